from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .crm_lead_assignment_run import LT_RUN_KEEP_DAYS

# What a reseller's portal users may do (ir.config_parameter lead_tracking.<name>), and the default.
LT_RESELLER_RIGHTS = {"reseller_may_close": "False", "reseller_edit_terms": "True", "reseller_edit_contact": "True"}


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
        params = self.env["ir.config_parameter"].sudo()
        for name, default in LT_RESELLER_RIGHTS.items():
            res[f"lt_{name}"] = params.get_param(f"lead_tracking.{name}", default) == "True"
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
        params = self.env["ir.config_parameter"].sudo()
        for name in LT_RESELLER_RIGHTS:
            params.set_param(f"lead_tracking.{name}", "True" if self[f"lt_{name}"] else "False")
        return res
    # ---- lead intelligence: end -----------------------------------------------------------
    # ---- Resellers (issue 5) -------------------------------------------------
    lt_reseller_auto_assign = fields.Boolean(related="company_id.lt_reseller_auto_assign", readonly=False)
    # Stored as "True"/"False" (not config_parameter fields: those delete the parameter when unticked,
    # and the two edit rights are on when the parameter is missing).
    lt_reseller_may_close = fields.Boolean(
        string="Resellers May Close Deals",
        help="Resellers set their opportunities to a won stage themselves; otherwise they report the win and "
        "the salesperson confirms it.",
    )
    lt_reseller_edit_terms = fields.Boolean(
        string="Resellers Edit Deal Terms", help="Resellers change the expected revenue and the expected closing."
    )
    lt_reseller_edit_contact = fields.Boolean(
        string="Resellers Edit Contact Details",
        help="Resellers change the contact's name, email, phone, street, city, zip and country.",
    )
    lt_reseller_assign_anywhere = fields.Boolean(related="company_id.lt_reseller_assign_anywhere", readonly=False)
    lt_reseller_answer_days = fields.Integer(
        string="Days for a Reseller to Answer",
        config_parameter="lead_tracking.reseller_answer_days",
        help="A forwarded lead the reseller has not answered (interested or not) within this many days goes to the "
        "next reseller, the first one recorded as declining it; a reminder goes out the day before. 0: no deadline.",
    )

    @api.constrains("lt_reseller_answer_days")
    def _check_lt_reseller_answer_days(self):
        if any(settings.lt_reseller_answer_days < 0 for settings in self):
            raise ValidationError(_("The days for a reseller to answer cannot be negative."))
    # ---- end Resellers -------------------------------------------------------

    # -- assignment --
    lt_assign_on_create = fields.Boolean(
        string="Assign New Leads at Once",
        config_parameter="lead_tracking.assign_on_create",
        help="A lead created without a salesperson (mail alias, website, import, API, by hand) is assigned "
        "by the assignment rules the moment it is created, the whole batch at once.",
    )
    lt_assign_run_keep_days = fields.Integer(
        string="Keep Assignment Runs (days)",
        config_parameter="lead_tracking.assign_run_keep_days",
        default=LT_RUN_KEEP_DAYS,
        help="Assignment runs older than this are deleted every day; 0 keeps them all.",
    )

    def action_lt_preview_assign_leads(self):
        """Preview of what the run-now arrow would do (the same teams and work days as crm's arrow)."""
        self.ensure_one()
        teams = self.env["crm.team"].search([("assignment_optout", "=", False)])
        return teams.with_context(lt_preview_work_days=2).action_preview_assign_leads()
