from . import (
    crm_lead,
    crm_reseller_activation,  # resellers (issue 5)
    crm_reseller_level,  # resellers (issue 5)
    crm_team,  # resellers (issue 5)
    res_company,
    res_config_settings,  # resellers (issue 5)
    res_partner,  # resellers (issue 5)
)
