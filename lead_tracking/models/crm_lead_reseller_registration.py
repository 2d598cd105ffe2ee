# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import email_normalize, plaintext2html

LT_REVIEW_ACTIVITY = "lead_tracking.mail_activity_type_registration_review"
# Open leads or opportunities a registration is compared with; few enough to list to the salesperson.
LT_DUPLICATES_SHOWN = 10


class CrmLead(models.Model):
    """Deal registration: a reseller registers an opportunity it found itself (portal page
    ``/my/opportunity/new``); the reseller's salesperson approves or rejects it."""

    _inherit = "crm.lead"

    reseller_registered = fields.Boolean(
        string="Registered by Reseller",
        readonly=True,
        copy=False,
        help="The reseller found this opportunity itself and registered it in the portal.",
    )
    reseller_registration_state = fields.Selection(
        [("pending", "To Review"), ("approved", "Approved"), ("rejected", "Rejected")],
        string="Registration",
        readonly=True,
        copy=False,
        tracking=True,
        help="A registered opportunity waits for the salesperson's approval; a rejection says why.",
    )
    reseller_registration_duplicate = fields.Boolean(
        string="Possible Duplicate",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When registered, the customer's email or company matched an open lead or opportunity.",
    )
    reseller_reject_reason = fields.Text(string="Rejection Reason", readonly=True, copy=False)

    @api.model
    def _lt_reseller_register(self, user, values):
        """Create the opportunity ``user`` (a reseller's portal user) registers, from checked
        ``values`` (partner_name, contact_name, email_from, phone, country_id, description,
        expected_revenue, date_deadline): the reseller is the user's company, the salesperson the
        reseller's, else rule-based assignment's; the salesperson is asked to review it and told
        when it may duplicate an open lead. Runs as superuser: portal users create no lead."""
        if isinstance(user, int):  # demo data and scripts pass an id
            user = self.env["res.users"].browse(user)
        reseller = user.sudo().commercial_partner_id
        Lead = self.sudo().with_context(mail_create_nosubscribe=True, tracking_disable=True)
        salesperson = reseller.user_id if reseller.user_id.active and not reseller.user_id.share else False
        vals = {
            "name": values["partner_name"],
            "type": "opportunity",
            "partner_name": values["partner_name"],
            "contact_name": values["contact_name"],
            "email_from": values["email_from"],
            "phone": values.get("phone") or False,
            "country_id": values.get("country_id") or False,
            "description": plaintext2html(values["description"]) if values.get("description") else False,
            "expected_revenue": values.get("expected_revenue") or 0.0,
            "date_deadline": values.get("date_deadline") or False,
            "reseller_id": reseller.id,
            "reseller_registered": True,
            "reseller_registration_state": "pending",
            "user_id": salesperson.id if salesperson else False,
            "company_id": reseller.company_id.id or self.env.company.id,
        }
        if salesperson and salesperson.sale_team_id:
            vals["team_id"] = salesperson.sale_team_id.id
        lead = Lead.create(vals).with_context(tracking_disable=False)
        if not lead.user_id:
            self.env["crm.team"].sudo()._lt_assign_new_leads(lead)
        duplicates = lead._lt_registration_duplicates()
        if duplicates:
            lead.reseller_registration_duplicate = True
        lead.message_post(
            body=_("%(person)s of %(reseller)s registered this opportunity. It is under review.",
                   person=user.partner_id.name, reseller=reseller.name),
            author_id=user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        lead._lt_registration_ask_review(duplicates)
        return lead

    def _lt_registration_duplicates(self):
        """Open leads and opportunities (active, not won) other than this one whose email or company
        name matches the registration's; as superuser (they may be anyone's)."""
        self.ensure_one()
        clauses = []
        email = email_normalize(self.email_from or "")
        if email:
            clauses.append([("email_normalized", "=", email)])
        if self.partner_name:
            clauses.append([("partner_name", "=ilike", self.partner_name.replace("\\", "\\\\")
                             .replace("%", "\\%").replace("_", "\\_"))])
        if not clauses:
            return self.browse()
        domain = expression.AND([
            [("id", "!=", self.id), ("active", "=", True), ("probability", "<", 100)],
            expression.OR(clauses),
        ])
        return self.sudo().search(domain, order="id desc", limit=LT_DUPLICATES_SHOWN)

    def _lt_registration_ask_review(self, duplicates):
        """An activity for the salesperson (else the team leader, else the administrator) to review
        the registration, and an internal note listing the open records it may duplicate."""
        self.ensure_one()
        reviewer = self.user_id or self.team_id.user_id or self.env.ref("base.user_admin")
        summary = _("Review the deal registration from %(reseller)s", reseller=self.reseller_id.name)
        if duplicates:
            summary = _("Review the deal registration from %(reseller)s (possible duplicate)",
                        reseller=self.reseller_id.name)
            links = Markup("").join(
                Markup('<li><a href="#" data-oe-model="crm.lead" data-oe-id="%s">%s</a></li>') % (dup.id, dup.name)
                for dup in duplicates
            )
            self.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>") % (
                    _("Possible duplicate: the customer's email or company matches these open leads or "
                      "opportunities."), links),
                author_id=self.env.ref("base.partner_root").id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
                partner_ids=reviewer.partner_id.ids,
            )
        self.activity_schedule(LT_REVIEW_ACTIVITY, summary=summary, user_id=reviewer.id)

    def action_lt_registration_approve(self):
        """The salesperson approves registrations: the reseller is told and works them as its own."""
        pending = self._lt_registrations_pending()
        pending.write({"reseller_registration_state": "approved"})
        pending.activity_feedback([LT_REVIEW_ACTIVITY], feedback=_("Approved"))
        for lead in pending:
            lead._lt_reseller_tell(_("Your deal registration is approved: the opportunity is yours to work."))
        return True

    def action_lt_registration_reject_wizard(self):
        self._lt_registrations_pending()
        return {
            "type": "ir.actions.act_window",
            "name": _("Reject Deal Registration"),
            "res_model": "crm.reseller.registration.reject",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": [(6, 0, self.ids)]},
        }

    def _lt_registration_reject(self, reason):
        """Reject registrations with ``reason``: they are marked lost, the reseller is told why and
        still sees them (and the reason) in the portal."""
        pending = self._lt_registrations_pending()
        pending.write({"reseller_registration_state": "rejected", "reseller_reject_reason": reason})
        pending.activity_feedback([LT_REVIEW_ACTIVITY], feedback=_("Rejected: %(reason)s", reason=reason))
        for lead in pending:
            lead._lt_reseller_tell(Markup("<p>%s</p><p>%s</p>") % (
                _("Your deal registration is rejected. Reason:"), reason))
        pending.action_set_lost(lost_reason_id=self.env.ref("lead_tracking.lost_reason_registration_rejected").id)
        return True

    def _lt_registrations_pending(self):
        pending = self.filtered(lambda lead: lead.reseller_registration_state == "pending")
        if not pending:
            raise UserError(_("Only deal registrations waiting for review can be approved or rejected."))
        return pending

    def _lt_reseller_tell(self, body):
        """A message the reseller's people read in the portal and receive by email."""
        self.ensure_one()
        recipients = self.reseller_id._lt_reseller_recipients()[self.reseller_id.id].filtered("email")
        self.message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=recipients.ids,
        )
