from . import crm_lead, res_company
