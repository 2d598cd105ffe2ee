# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

# What a reseller's portal users may change on their leads, by setting (Settings > Resellers).
LT_PORTAL_ALWAYS = ("stage_id", "priority")
LT_PORTAL_TERMS = ("expected_revenue", "date_deadline")
LT_PORTAL_CONTACT = ("contact_name", "email_from", "phone", "street", "city", "zip", "country_id")


class CrmLead(models.Model):
    """Field-level limits for resellers' portal users, enforced by the model so that JSON-RPC obeys
    them as the portal pages do. Record rules give them their company's leads; this decides what
    of those leads they may change. The portal's own flows (interested, not interested, report a
    win) write their answers with sudo, after checking the reseller may answer."""

    _inherit = "crm.lead"

    reseller_won_requested = fields.Boolean(
        string="Won Reported by Reseller",
        groups="base.group_user",
        copy=False,
        tracking=True,
        help="The reseller reported this opportunity as won; the salesperson confirms it by marking it won.",
    )

    def _lt_portal_user(self):
        """Whether the current call is a portal user's own (not the server acting for them)."""
        return not self.env.su and self.env.user._is_portal()

    @api.model
    def _lt_portal_writable_fields(self):
        """The fields a reseller may change, per Settings."""
        params = self.env["ir.config_parameter"].sudo()
        names = list(LT_PORTAL_ALWAYS)
        if params.get_param("lead_tracking.reseller_edit_terms", "True") == "True":
            names += LT_PORTAL_TERMS
        if params.get_param("lead_tracking.reseller_edit_contact", "True") == "True":
            names += LT_PORTAL_CONTACT
        return set(names)

    @api.model
    def _lt_portal_may_close(self):
        return self.env["ir.config_parameter"].sudo().get_param("lead_tracking.reseller_may_close") == "True"

    def write(self, vals):
        if self._lt_portal_user():
            self._lt_portal_check_write(vals)
            if vals.get("stage_id") and self.env["crm.stage"].browse(vals["stage_id"]).sudo().is_won:
                # allowed by Settings: crm's won bookkeeping (scoring frequencies) is not the reseller's to read
                return self.sudo().write(vals)
        answered = vals.get("stage_id") or vals.get("active") is False
        if answered and "reseller_won_requested" not in vals and self.sudo().filtered("reseller_won_requested"):
            # the salesperson's answer to a win the reseller reported: confirmed, or lost
            vals = dict(vals, reseller_won_requested=False)
        return super().write(vals)

    def _lt_portal_check_write(self, vals):
        refused = set(vals) - self._lt_portal_writable_fields()
        if refused:
            labels = ", ".join(sorted(self._fields[name].string for name in refused if name in self._fields))
            raise AccessError(_("Resellers may not change these fields of a lead: %(fields)s.", fields=labels))
        won = vals.get("stage_id") and self.env["crm.stage"].sudo().browse(vals["stage_id"]).is_won
        if won and not self._lt_portal_may_close():
            raise AccessError(_("A reseller reports a win; the salesperson marks the opportunity won."))
        if vals.get("partner_id"):
            self.env["res.partner"].browse(vals["partner_id"]).check_access_rule("read")

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        if self._lt_portal_user() and set(partner_ids or []) - set(self.env.user.partner_id.ids):
            raise AccessError(_("Resellers may not add followers to a lead."))
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def message_unsubscribe(self, partner_ids=None):
        if self._lt_portal_user() and set(partner_ids or []) - set(self.env.user.partner_id.ids):
            raise AccessError(_("Resellers may not remove followers from a lead."))
        return super().message_unsubscribe(partner_ids=partner_ids)

    def _lt_reseller_report_won(self, user):
        """The reseller says the deal is won: the salesperson is asked to confirm (Settings decide
        whether resellers may close deals themselves instead)."""
        self.ensure_one()
        self.write({"reseller_won_requested": True})
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Confirm the win reported by %(reseller)s", reseller=user.partner_id.commercial_partner_id.name),
            user_id=(self.user_id or self.team_id.user_id or self.env.user).id,
        )
        self.message_post(
            body=_("%(reseller)s reports this opportunity as won.", reseller=user.partner_id.display_name),
            author_id=user.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )

    def _lt_portal_messages(self):
        """The lead's messages a portal user may read: comments and emails, never internal notes or
        logs (internal subtype, employee-only flag, or log note)."""
        self.ensure_one()
        return self.message_ids.filtered(
            lambda m: m.message_type in ("comment", "email")
            and not m.is_internal
            and not (m.subtype_id and m.subtype_id.internal)
            and m.subtype_id != self.env.ref("mail.mt_note")
        )

    # ---- the portal's own ways to a lead: email buttons and /mail/view ----------------------------
    def _lt_portal_path(self):
        self.ensure_one()
        return f"/my/{'opportunity' if self.type == 'opportunity' else 'lead'}/{self.id}"

    def _get_access_action(self, access_uid=None, force_website=False):
        """A reseller's portal user opening a lead from an email (/mail/view) lands on its portal page;
        /mail/view has checked the record rules first, so anyone else never gets here."""
        self.ensure_one()
        user = self.env["res.users"].sudo().browse(access_uid) if access_uid else self.env.user
        if user.share or force_website:
            return {"type": "ir.actions.act_url", "url": self._lt_portal_path(), "target": "self", "res_id": self.id}
        return super()._get_access_action(access_uid=access_uid, force_website=force_website)

    def _notify_get_recipients_groups(self, message, model_description, msg_vals=None):
        """Emails to the reseller's people carry the button to the lead (through /mail/view, which checks
        the record rules); other portal users get no button, as crm gives them."""
        groups = super()._notify_get_recipients_groups(message, model_description, msg_vals=msg_vals)
        if len(self) != 1 or not self.sudo().reseller_id:
            return groups
        reseller = self.sudo().reseller_id
        people = set(self.env["res.partner"].sudo().search([("commercial_partner_id", "=", reseller.id)]).ids)
        reseller_group = [
            "lt_reseller",
            lambda pdata: pdata["type"] == "portal" and pdata["id"] in people,
            {"active": True, "has_button_access": True},
        ]
        return [reseller_group, *groups]
