from . import crm_lead
from . import res_company
from . import _pending_fields
