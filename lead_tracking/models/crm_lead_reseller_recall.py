# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import datetime

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import SQL

LT_ANSWER_DAYS_PARAM = "lead_tracking.reseller_answer_days"
# Leads recalled per statement: each batch is locked, recorded, reassigned and logged set-based.
LT_RECALL_BATCH = 5000
# Leads listed by name in a digest email; the rest are counted and the portal lists them all.
LT_DIGEST_SHOWN = 20
# Leads waiting for their reseller's answer: still a lead (interested converts it, not interested
# removes the reseller), open.
LT_WAITING = SQL(
    "l.reseller_id IS NOT NULL AND l.type = 'lead' AND l.active AND COALESCE(l.probability, 0) < 100 "
    "AND l.reseller_assigned_date IS NOT NULL"
)


class CrmLead(models.Model):
    """Answer deadline: a reseller answers a forwarded lead (interested or not) within the days set
    in Settings (``lead_tracking.reseller_answer_days``; 0 or unset: no deadline), or the scheduled
    action ``lead_tracking.ir_cron_reseller_recall`` recalls it: the reseller is recorded as a decliner
    ("no answer in N days"), the lead goes to the next reseller by the usual rules, both resellers are
    emailed (one digest each), and the chatter says so. A reminder goes out a day before."""

    _inherit = "crm.lead"

    reseller_reminder_sent = fields.Date(
        string="Answer Reminder Sent",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="When the reseller was reminded that its answer is due the next day (sent once per assignment).",
    )
    reseller_answer_deadline = fields.Datetime(
        string="Answer Due",
        compute="_compute_reseller_answer_deadline",
        help="When the reseller must have answered (interested or not) before the lead is recalled.",
    )

    def write(self, vals):
        if "reseller_id" in vals and "reseller_reminder_sent" not in vals:
            vals = dict(vals, reseller_reminder_sent=False)
        return super().write(vals)

    @api.model
    def _lt_reseller_answer_days(self):
        raw = self.env["ir.config_parameter"].sudo().get_param(LT_ANSWER_DAYS_PARAM) or "0"
        try:
            return max(int(raw), 0)
        except ValueError:
            return 0

    @api.depends("reseller_assigned_date", "type", "reseller_id")
    def _compute_reseller_answer_deadline(self):
        days = self._lt_reseller_answer_days()
        for lead in self:
            waiting = days and lead.reseller_id and lead.type == "lead" and lead.reseller_assigned_date
            lead.reseller_answer_deadline = lead.reseller_assigned_date + datetime.timedelta(days=days) if waiting \
                else False

    # ---- scheduled action ---------------------------------------------------------------------
    @api.model
    def _cron_lt_reseller_recall(self, batch_size=LT_RECALL_BATCH):
        """Remind the resellers whose answers are due within a day, then recall the leads whose deadline
        passed, batch after batch. Returns (reminded, recalled, reassigned) counts."""
        days = self._lt_reseller_answer_days()
        if not days:
            return 0, 0, 0
        now = self.env.cr.now()
        reminded = self._lt_reseller_send_reminders(days, now)
        recalled = reassigned = 0
        while True:
            batch, given = self._lt_reseller_recall_batch(days, now, batch_size)
            recalled += batch
            reassigned += given
            if batch < batch_size:
                break
        return reminded, recalled, reassigned

    @api.model
    def _lt_reseller_send_reminders(self, days, now):
        """One email per reseller listing its leads whose answer is due within the next day, each lead
        reminded once (``reseller_reminder_sent``); none when the deadline is a single day."""
        if days < 2:
            return 0
        self.flush_model(["reseller_id", "type", "active", "probability", "reseller_assigned_date",
                          "reseller_reminder_sent"])
        self.env.cr.execute(SQL(
            """
            UPDATE crm_lead u SET reseller_reminder_sent = %s
              FROM (SELECT l.id FROM crm_lead l
                     WHERE %s AND l.reseller_reminder_sent IS NULL
                       AND l.reseller_assigned_date < %s AND l.reseller_assigned_date >= %s
                     ORDER BY l.id FOR UPDATE OF l SKIP LOCKED) due
             WHERE u.id = due.id
         RETURNING u.id, u.reseller_id
            """,
            now.date(), LT_WAITING, now - datetime.timedelta(days=days - 1), now - datetime.timedelta(days=days),
        ))
        rows = self.env.cr.fetchall()
        self.invalidate_model(["reseller_reminder_sent"])
        by_reseller = {}
        for lead_id, reseller_id in rows:
            by_reseller.setdefault(reseller_id, []).append(lead_id)
        self._lt_reseller_digest("lead_tracking.mail_template_reseller_reminder", by_reseller, days=days)
        return len(rows)

    @api.model
    def _lt_reseller_recall_batch(self, days, now, limit):
        """Recall at most ``limit`` overdue leads, locked (``FOR UPDATE SKIP LOCKED``: a concurrent run
        takes other leads, never the same): each reseller becomes a decliner, the leads go to the next
        resellers, both sides are emailed, each lead's chatter says why. Returns (recalled, reassigned)."""
        self.flush_model(["reseller_id", "type", "active", "probability", "reseller_assigned_date"])
        cr = self.env.cr
        cr.execute(SQL(
            """
            SELECT l.id, l.reseller_id FROM crm_lead l
             WHERE %s AND l.reseller_assigned_date < %s
             ORDER BY l.id LIMIT %s
               FOR UPDATE OF l SKIP LOCKED
            """,
            LT_WAITING, now - datetime.timedelta(days=days), limit,
        ))
        rows = cr.fetchall()
        if not rows:
            return 0, 0
        lead_ids = [row[0] for row in rows]
        previous = dict(rows)
        cr.execute(
            """
            INSERT INTO crm_lead_reseller_declined_rel (lead_id, partner_id)
            SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING
            """,
            [lead_ids, [row[1] for row in rows]],
        )
        cr.execute(
            """
            UPDATE crm_lead SET reseller_id = NULL, reseller_assigned_date = NULL, reseller_reminder_sent = NULL,
                   write_uid = %s, write_date = %s
             WHERE id = ANY(%s)
            """,
            [self.env.uid, now, lead_ids],
        )
        self.invalidate_model(["reseller_id", "reseller_assigned_date", "reseller_reminder_sent",
                               "reseller_declined_ids", "write_uid", "write_date"])
        self.env["res.partner"].invalidate_model(["reseller_lead_ids"])
        leads = self.browse(lead_ids)
        result = leads._lt_reseller_assign(details=True, tracking=False)
        self._lt_reseller_recall_log(leads, previous, result, days)
        recalled_by, given_by = {}, {}
        for lead_id, reseller_id in rows:
            recalled_by.setdefault(reseller_id, []).append(lead_id)
        for lead_id, (reseller_id, _rule) in result["chosen"].items():
            given_by.setdefault(reseller_id, []).append(lead_id)
        self._lt_reseller_digest("lead_tracking.mail_template_reseller_recalled", recalled_by, days=days)
        self._lt_reseller_digest("lead_tracking.mail_template_reseller_new_leads", given_by, days=days)
        return len(rows), len(result["chosen"])

    @api.model
    def _lt_reseller_recall_log(self, leads, previous, result, days):
        """One internal note per recalled lead, created in one batch."""
        Partner = self.env["res.partner"].sudo()
        names = {partner.id: partner.display_name
                 for partner in Partner.browse(set(previous.values()) | {c[0] for c in result["chosen"].values()})}
        notes = {lead.id: lead.reseller_assign_note for lead in leads}
        bodies = {}
        for lead in leads:
            recalled = _("No answer from %(reseller)s in %(days)s days: the lead is recalled and %(reseller)s "
                         "recorded as declining it.", reseller=names.get(previous[lead.id], ""), days=days)
            chosen = result["chosen"].get(lead.id)
            if chosen:
                then = _("Given to %(reseller)s.", reseller=names.get(chosen[0], ""))
            else:
                then = _("No other reseller could take it: %(note)s", note=notes.get(lead.id) or "")
            if chosen and notes.get(lead.id):
                then = f"{then} {notes[lead.id]}"
            bodies[lead.id] = Markup("<p>%s</p><p>%s</p>") % (recalled, then)
        leads._message_log_batch(bodies, author_id=self.env.ref("base.partner_root").id)

    @api.model
    def _lt_reseller_digest(self, template_xmlid, lead_ids_by_reseller, days):
        """One email per reseller, to its people (``res.partner._lt_reseller_recipients``), listing its
        leads (the first ones by name; the portal lists them all); queued."""
        if not lead_ids_by_reseller:
            return
        template = self.env.ref(template_xmlid).sudo()
        resellers = self.env["res.partner"].sudo().browse(list(lead_ids_by_reseller))
        recipients = resellers._lt_reseller_recipients()
        for reseller in resellers:
            partners = recipients[reseller.id].filtered("email")
            if not partners:
                continue
            lead_ids = lead_ids_by_reseller[reseller.id]
            shown = self.sudo().browse(lead_ids[:LT_DIGEST_SHOWN])
            template.with_context(
                lt_leads=shown, lt_more=len(lead_ids) - len(shown), lt_days=days,
                lt_portal_url=f"{reseller.get_base_url()}/my/leads",
            ).send_mail(reseller.id, email_values={"recipient_ids": [(6, 0, partners.ids)]})
