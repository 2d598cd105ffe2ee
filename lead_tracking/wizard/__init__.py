from . import crm_reseller_forward
