from . import lt_lead_report_mixin
from . import crm_lead_unattended_report
from . import crm_lead_quality_report
from . import crm_lead_attribution_report
from . import crm_lead_distribution_report
from . import crm_lead_scoring_report
from . import crm_reseller_report
