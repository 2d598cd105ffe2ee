from . import crm_reseller_forward
from . import crm_lead_assignment_preview
from . import crm_lead_pls_advice
