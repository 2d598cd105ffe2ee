from . import crm_lead, res_company

# TEMPORARY until merge (reports branch): fields owned by other branches
from . import _pending_fields
