from . import crm_lead
from . import res_company
# --- assignment engine (issue 4) ---
from . import crm_team
from . import crm_team_member
from . import lt_lead_reassignment
# --- end assignment engine ---
