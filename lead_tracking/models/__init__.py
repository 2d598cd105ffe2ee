from . import crm_lead
from . import crm_reseller_activation
from . import crm_reseller_level
from . import crm_team
from . import res_company
from . import res_config_settings
from . import res_partner
