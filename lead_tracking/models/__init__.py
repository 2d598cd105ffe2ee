from . import crm_lead
from . import res_company
# ---- Resellers (issue 5)
from . import crm_reseller_level
from . import crm_reseller_activation
from . import res_partner
from . import res_config_settings
from . import crm_team
# ---- end Resellers
