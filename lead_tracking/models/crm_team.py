from odoo import models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    # ---- Resellers (issue 5) -------------------------------------------------
    def _cron_assign_leads(self, work_days=None):
        res = super()._cron_assign_leads(work_days=work_days)
        # Optional step (Settings): leads no salesperson took go to resellers.
        self.env["crm.lead"]._lt_reseller_cron_assign()
        return res

    # ---- end Resellers -------------------------------------------------------
