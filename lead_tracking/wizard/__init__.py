from . import crm_reseller_forward
from . import crm_lead_assignment_preview
