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
    send_mail = fields.Boolean(
        string="Email the Reseller",
        default=True,
        help="To the reseller's primary contact when set, else to its contacts with portal access, else to "
        "the reseller's own address.",
    )
    recipients_preview = fields.Char(string="Will Be Emailed", compute="_compute_recipients_preview")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "lead_ids" in fields_list and not res.get("lead_ids"):
            active_ids = self.env.context.get("active_ids") or []
            if self.env.context.get("active_model") == "crm.lead" and active_ids:
                res["lead_ids"] = [(6, 0, active_ids)]
        return res

    @api.depends("reseller_id", "assignment")
    def _compute_recipients_preview(self):
        for wizard in self:
            reseller = wizard.reseller_id if wizard.assignment == "manual" else False
            if not reseller:
                wizard.recipients_preview = False
                continue
            partners = reseller._lt_reseller_recipients()[reseller.id]
            wizard.recipients_preview = ", ".join(partners.mapped(lambda p: p.email_formatted or p.display_name))

    def action_forward(self):
        """Assign the leads (to the chosen reseller or automatically), email each reseller's people and
        say to whom the emails went."""
        self.ensure_one()
        if not self.lead_ids:
            raise UserError(_("Select at least one lead to forward."))
        if self.assignment == "manual":
            if not self.reseller_id:
                raise UserError(_("Choose the reseller to forward the leads to."))
            recipients = self.reseller_id._lt_reseller_recipients()[self.reseller_id.id]
            if self.send_mail and not any(recipients.mapped("email")):
                raise UserError(_("Nobody at %s has an email address: no contact with portal access, no primary "
                                  "contact and no company address.", self.reseller_id.display_name))
            self.lead_ids.write({"reseller_id": self.reseller_id.id})
            forwarded = self.lead_ids
        else:
            forwarded = self.lead_ids._lt_reseller_assign()
            if not forwarded:
                raise UserError(
                    _("No lead could be given to a reseller: %s", self.lead_ids[:1].reseller_assign_note or "")
                )
        sent = self._lt_reseller_send_mails(forwarded) if self.send_mail else {}
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Forwarded to Resellers"),
                "message": self._lt_forward_summary(forwarded, sent),
                "sticky": False,
                "className": "o_lt_notification_lines",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _lt_reseller_send_mails(self, leads):
        """One email per lead to its reseller's people (see ``res.partner._lt_reseller_recipients``),
        queued; returns {reseller: recipients}."""
        template = self.env.ref("lead_tracking.mail_template_reseller_forward")
        resellers = leads.reseller_id
        recipients = resellers._lt_reseller_recipients()
        for reseller in resellers:
            partners = recipients[reseller.id].filtered("email")
            if not partners:
                continue
            batch = leads.filtered(lambda lead, reseller=reseller: lead.reseller_id == reseller)
            template.send_mail_batch(batch.ids, email_values={"recipient_ids": [(6, 0, partners.ids)]})
        return {reseller: recipients[reseller.id].filtered("email") for reseller in resellers}

    @api.model
    def _lt_forward_summary(self, leads, sent):
        lines = []
        for reseller in leads.reseller_id:
            count = len(leads.filtered(lambda lead, reseller=reseller: lead.reseller_id == reseller))
            partners = sent.get(reseller)
            if partners is None:
                lines.append(_("%(count)s lead(s) to %(reseller)s, no email sent.",
                               count=count, reseller=reseller.display_name))
            elif not partners:
                lines.append(_("%(count)s lead(s) to %(reseller)s: nobody there has an email address, no email "
                               "sent.", count=count, reseller=reseller.display_name))
            elif partners == reseller:
                lines.append(_("%(count)s lead(s) to %(reseller)s, emailed to the company address %(email)s (no "
                               "contact has portal access).", count=count, reseller=reseller.display_name,
                               email=reseller.email))
            else:
                lines.append(_("%(count)s lead(s) to %(reseller)s, emailed to %(people)s.",
                               count=count, reseller=reseller.display_name,
                               people=", ".join(partners.mapped(lambda p: f"{p.name} <{p.email}>"))))
        return "\n".join(lines)
