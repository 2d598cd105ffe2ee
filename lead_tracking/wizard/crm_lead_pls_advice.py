from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.crm_lead_scoring_advice import LT_PLS_OPTIONAL


class CrmLeadPlsAdvice(models.TransientModel):
    """Which of crm's optional scoring variables help, measured on the company's own closed leads."""

    _name = "crm.lead.pls.advice"
    _description = "Predictive Lead Scoring: Which Variables Help"

    line_ids = fields.One2many("crm.lead.pls.advice.line", "advice_id", readonly=True)
    test_leads = fields.Integer(string="Closed Leads Scored", readonly=True,
                                help="The most recent closed leads, scored by a model learnt from the earlier ones.")
    current_fields = fields.Char(string="Variables Now", readonly=True)
    recommended_fields = fields.Char(string="Recommended Variables", readonly=True)

    @api.model
    def action_open(self):
        """Compute the advice and open it (Settings > Predictive Lead Scoring)."""
        rows = self.env["crm.lead"].get_pls_variable_advice()
        labels = self.env["crm.lead.pls.advice.line"]._lt_labels()
        advice = self.create({
            "test_leads": rows[0]["test_leads"] if rows else 0,
            "current_fields": ", ".join(labels[r["variable"]] for r in rows if r["in_use"]) or _("none"),
            "recommended_fields": ", ".join(labels[r["variable"]] for r in rows if r["recommended"]) or _("none"),
            "line_ids": [(0, 0, {key: row[key] for key in (
                "variable", "in_use", "recommended", "log_loss_with", "log_loss_without", "brier_with",
                "brier_without", "auc_with", "auc_without")}) for row in rows],
        })
        return {
            "type": "ir.actions.act_window", "name": _("Which Variables Help?"), "res_model": self._name,
            "res_id": advice.id, "view_mode": "form", "target": "new",
        }

    def action_apply(self):
        """Use the recommended variables: crm's own Update Probabilities, with the same start date."""
        self.ensure_one()
        if not self.env.user._is_admin():
            raise AccessError(_("Only an administrator can change the variables crm scores leads with."))
        names = ["tag_ids" if line.variable == "tag_id" else line.variable
                 for line in self.line_ids if line.recommended]
        frequency_fields = self.env["crm.lead.scoring.frequency.field"].search(
            [("field_id.model", "=", "crm.lead"), ("field_id.name", "in", names)]
        )
        update = self.env["crm.lead.pls.update"].create({"pls_fields": [(6, 0, frequency_fields.ids)]})
        update.action_update_crm_lead_probabilities()
        return {"type": "ir.actions.client", "tag": "reload"}


class CrmLeadPlsAdviceLine(models.TransientModel):
    _name = "crm.lead.pls.advice.line"
    _description = "Predictive Lead Scoring: One Variable"

    advice_id = fields.Many2one("crm.lead.pls.advice", required=True, ondelete="cascade")
    variable = fields.Selection(lambda self: list(self._lt_labels().items()), readonly=True)
    in_use = fields.Boolean(readonly=True)
    recommended = fields.Boolean(readonly=True)
    log_loss_with = fields.Float(string="Log-loss With", digits=(16, 4), readonly=True,
                                 help="How surprised the score is by what happened (lower is better).")
    log_loss_without = fields.Float(string="Log-loss Without", digits=(16, 4), readonly=True)
    brier_with = fields.Float(digits=(16, 4), readonly=True,
                              help="Mean squared error of the probability (lower is better).")
    brier_without = fields.Float(digits=(16, 4), readonly=True)
    auc_with = fields.Float(string="AUC With", digits=(16, 3), readonly=True,
                            help="How often a won lead scores above a lost one (higher is better).")
    auc_without = fields.Float(string="AUC Without", digits=(16, 3), readonly=True)
    helps = fields.Boolean(compute="_compute_helps", help="The variable lowers the log-loss.")

    @api.model
    def _lt_labels(self):
        fields_ = self.env["crm.lead"]._fields
        labels = {name: fields_[name].string for name in LT_PLS_OPTIONAL if name in fields_}
        labels["tag_id"] = _("Tags")
        labels["phone_state"] = _("Phone Quality")
        labels["email_state"] = _("Email Quality")
        return {name: labels[name] for name in LT_PLS_OPTIONAL}

    @api.depends("log_loss_with", "log_loss_without")
    def _compute_helps(self):
        for line in self:
            line.helps = line.log_loss_with < line.log_loss_without
