from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmResellerForward(models.TransientModel):
    _name = "crm.reseller.forward"
    _description = "Forward Leads to a Reseller"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    assignment = fields.Selection(
        [("manual", "To this reseller"), ("auto", "Pick resellers automatically (weight and location)")],
        default="manual",
        required=True,
    )
    reseller_id = fields.Many2one(
        "res.partner", domain="[('reseller_level_id', '!=', False)]"
    )
    send_mail = fields.Boolean(string="Email the Reseller", default=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "lead_ids" in fields_list and not res.get("lead_ids"):
            active_ids = self.env.context.get("active_ids") or []
            if self.env.context.get("active_model") == "crm.lead" and active_ids:
                res["lead_ids"] = [(6, 0, active_ids)]
        return res

    def action_forward(self):
        """Assign the leads (to the chosen reseller or automatically) and email each reseller."""
        self.ensure_one()
        if not self.lead_ids:
            raise UserError(_("Select at least one lead to forward."))
        if self.assignment == "manual":
            if not self.reseller_id:
                raise UserError(_("Choose the reseller to forward the leads to."))
            if not self.reseller_id.email:
                raise UserError(_("The reseller %s has no email address.", self.reseller_id.display_name))
            self.lead_ids.write({"reseller_id": self.reseller_id.id})
            forwarded = self.lead_ids
        else:
            forwarded = self.lead_ids._lt_reseller_assign()
            if not forwarded:
                raise UserError(
                    _("No lead could be given to a reseller: %s", self.lead_ids[:1].reseller_assign_note or "")
                )
        if self.send_mail:
            self._lt_reseller_send_mails(forwarded)
        return {"type": "ir.actions.act_window_close"}

    def _lt_reseller_send_mails(self, leads):
        template = self.env.ref("lead_tracking.mail_template_reseller_forward")
        # The template addresses the lead's reseller; one mail per lead, sent by the mail queue.
        template.send_mail_batch(leads.ids)
