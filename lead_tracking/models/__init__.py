from . import (
    crm_lead,
    crm_team,  # assignment engine (issue 4)
    crm_team_member,  # assignment engine (issue 4)
    lt_lead_reassignment,  # assignment engine (issue 4)
    res_company,
)
