from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # ---- lead intelligence: begin ---------------------------------------------------------
    # Not related fields: the two thresholds are checked together, so they are written in one call.
    lt_score_warm_threshold = fields.Float(string="Warm From (%)")
    lt_score_hot_threshold = fields.Float(string="Hot From (%)")
    lt_quality_domain = fields.Char(string="Quality Lead Definition")
    lt_unattended_horizon_days = fields.Integer(string="Unattended Horizon (days)")

    @api.model
    def get_values(self):
        res = super().get_values()
        company = self.env.company
        res.update(
            lt_score_warm_threshold=company.lt_score_warm_threshold,
            lt_score_hot_threshold=company.lt_score_hot_threshold,
            lt_quality_domain=company.lt_quality_domain,
            lt_unattended_horizon_days=company.lt_unattended_horizon_days,
        )
        return res

    def set_values(self):
        res = super().set_values()
        company = self.company_id or self.env.company
        values = {
            "lt_score_warm_threshold": self.lt_score_warm_threshold,
            "lt_score_hot_threshold": self.lt_score_hot_threshold,
            "lt_quality_domain": self.lt_quality_domain or "[]",
            "lt_unattended_horizon_days": self.lt_unattended_horizon_days,
        }
        changed = {key: value for key, value in values.items() if company[key] != value}
        if changed:
            company.write(changed)
        return res
    # ---- lead intelligence: end -----------------------------------------------------------
    # ---- Resellers (issue 5) -------------------------------------------------
    lt_reseller_auto_assign = fields.Boolean(related="company_id.lt_reseller_auto_assign", readonly=False)
    lt_reseller_assign_anywhere = fields.Boolean(related="company_id.lt_reseller_assign_anywhere", readonly=False)
    # ---- end Resellers -------------------------------------------------------
