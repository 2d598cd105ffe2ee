# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import random

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, plaintext2html

# How automatic assignment found a lead's reseller (or did not).
LT_RESELLER_RULES = ("state", "country", "anywhere", "none")
DECLINED_REL = "crm_lead_reseller_declined_rel"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    reseller_id = fields.Many2one(
        "res.partner",
        index="btree_not_null",
        tracking=True,
        copy=False,
        domain="[('reseller_level_id', '!=', False)]",
        help="The reseller partner this lead is handed to; its portal users see and work the lead.",
    )
    reseller_assigned_date = fields.Datetime(string="Reseller Assigned On", copy=False, readonly=True)
    reseller_answered_date = fields.Datetime(
        string="Reseller Answered On",
        copy=False,
        readonly=True,
        help="When the current reseller (or one of its contacts) first wrote on the lead since it was handed the lead.",
        groups="base.group_user",
    )
    reseller_declined_ids = fields.Many2many(
        "res.partner",
        "crm_lead_reseller_declined_rel",
        "lead_id",
        "partner_id",
        string="Declined by Resellers",
        copy=False,
        help="Resellers that declined this lead: automatic assignment never offers it to them again.",
        groups="base.group_user",
    )
    reseller_assign_note = fields.Char(
        string="Reseller Assignment Note",
        copy=False,
        readonly=True,
        help="Why the last automatic reseller assignment left this lead without a reseller.",
        groups="base.group_user",
    )
    reseller_portal_url = fields.Char(string="Reseller Portal Link", compute="_compute_reseller_portal_url")

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("reseller_id") and "reseller_assigned_date" not in vals:
                vals["reseller_assigned_date"] = now
        return super().create(vals_list)

    def write(self, vals):
        if "reseller_id" in vals and "reseller_assigned_date" not in vals:
            vals = dict(vals, reseller_assigned_date=fields.Datetime.now() if vals["reseller_id"] else False)
            if vals["reseller_id"]:
                vals.setdefault("reseller_assign_note", False)
        if "reseller_id" in vals and "reseller_answered_date" not in vals:
            vals = dict(vals, reseller_answered_date=False)
        res = super().write(vals)
        if self._lt_portal_user():
            # A reseller's contact updating the lead from the portal answers it, as a message would.
            self._lt_reseller_record_answer(self.env.user.partner_id, fields.Datetime.now())
        return res

    def init(self):
        res = super().init()
        # When each reseller declined a lead, and when it had been offered it: the Partnership report's
        # hours to answer of a declined lead. Filled by the database for every decline, whatever writes it.
        self.env.cr.execute(SQL(
            "ALTER TABLE %s ADD COLUMN IF NOT EXISTS lt_declined_date timestamp DEFAULT (now() AT TIME ZONE 'UTC'),"
            " ADD COLUMN IF NOT EXISTS lt_offered_date timestamp",
            SQL.identifier(DECLINED_REL),
        ))
        return res

    def _message_post_after_hook(self, message, msg_vals):
        """The current reseller's first message on the lead is its answer (Partnership report)."""
        res = super()._message_post_after_hook(message, msg_vals)
        if message.message_type != "user_notification":
            self._lt_reseller_record_answer(message.author_id, message.date)
        return res

    def _lt_reseller_record_answer(self, author, when):
        """Record ``when`` as the answer of the leads of ``self`` whose current reseller is ``author`` (or
        the company of the contact ``author``) and that have no answer since it was handed the lead."""
        if not author:
            return
        answered = self.filtered(
            lambda lead: lead.reseller_id and lead.reseller_id in (author | author.commercial_partner_id)
        )
        if not answered:
            return
        # In SQL: the author may be a portal user, who may not write this field. Pending writes of the
        # lead's reseller fields go first, so that they do not overwrite this one afterwards.
        answered.flush_recordset(["reseller_id", "reseller_assigned_date", "reseller_answered_date"])
        self.env.cr.execute(SQL(
            "UPDATE crm_lead SET reseller_answered_date = %s"
            " WHERE id IN %s AND reseller_answered_date IS NULL AND reseller_assigned_date <= %s",
            when, tuple(answered.ids), when,
        ))
        answered.invalidate_recordset(["reseller_answered_date"])

    @api.model
    def _lt_backfill_reseller_answers(self):
        """Set-based: the answer time of leads whose current reseller wrote on them but that have none
        (messages written outside the ORM, leads from before the field existed)."""
        self.env.flush_all()
        self.env.cr.execute(SQL("""
            UPDATE crm_lead l SET reseller_answered_date = a.answered
              FROM (SELECT l2.id, MIN(m.date) AS answered
                      FROM crm_lead l2
                      JOIN mail_message m ON m.model = 'crm.lead' AND m.res_id = l2.id
                                         AND m.date >= l2.reseller_assigned_date
                                         AND m.message_type <> 'user_notification'
                      JOIN res_partner p ON p.id = m.author_id
                     WHERE l2.reseller_id IS NOT NULL AND l2.reseller_answered_date IS NULL
                       AND l2.reseller_id IN (p.id, p.commercial_partner_id)
                     GROUP BY l2.id) a
             WHERE l.id = a.id
        """))
        self.invalidate_model(["reseller_answered_date"])

    def action_assign_reseller(self):
        """Give each lead of ``self`` without a reseller one, drawn at random by reseller weight.

        Candidates are resellers with a level and a weight above 0 that did not decline the lead;
        those in the lead's state come first, then those in its country, then (a Settings choice)
        any. Leads locked by another transaction are skipped, not waited for, so concurrent runs
        never hand one lead to two resellers. Leads left without a reseller say why, and so do those
        given to a reseller outside their state and country.
        Returns a notification counting the leads per rule.
        """
        result = self._lt_reseller_assign(details=True)
        if len(self) == 1 and not result["assigned"] and self.reseller_assign_note:
            raise UserError(self.reseller_assign_note)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if result["by_rule"]["anywhere"] or not result["assigned"] else "success",
                "title": _("Reseller Assignment"),
                "message": self._lt_reseller_summary(result),
                "sticky": bool(result["fallthrough"]),
                "className": "o_lt_notification_lines",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _lt_reseller_summary(self, result):
        """One text for a manager: leads per rule (state, country, anywhere, none), then each lead given
        outside its state and country, and why leads were left without a reseller."""
        counts = result["by_rule"]
        lines = [
            _(
                "%(assigned)s lead(s) given to a reseller: %(state)s in the lead's state, %(country)s in its "
                "country, %(anywhere)s anywhere as last resort; %(none)s left without one.",
                assigned=len(result["assigned"]), state=counts["state"], country=counts["country"],
                anywhere=counts["anywhere"], none=counts["none"],
            )
        ]
        shown = 5
        for lead_name, note in result["fallthrough"][:shown]:
            lines.append(f"{lead_name}: {note}")
        if len(result["fallthrough"]) > shown:
            lines.append(_("... and %(count)s more given as last resort.", count=len(result["fallthrough"]) - shown))
        for note, count in result["left"].items():
            lines.append(_("%(count)s left: %(note)s", count=count, note=note))
        return "\n".join(lines)

    def _lt_reseller_assign(self, rng=None, details=False, tracking=True):
        """Set-based core of :meth:`action_assign_reseller`; returns the leads assigned, or with
        ``details`` a dict: ``assigned`` (leads), ``by_rule`` (leads per rule: state, country,
        anywhere, none), ``chosen`` ({lead id: (reseller id, rule)}), ``fallthrough`` ([(lead name,
        note)] of the leads given outside their state and country) and ``left`` ({note: count}).
        ``tracking=False`` writes without chatter tracking (the caller logs its own message)."""
        result = {"assigned": self.browse(), "by_rule": dict.fromkeys(LT_RESELLER_RULES, 0), "chosen": {},
                  "fallthrough": [], "left": {}}
        leads = self._lt_reseller_lock_candidates() if self else []
        if leads:
            resellers = self._lt_reseller_candidates()
            cr = self.env.cr
            cr.execute(
                "SELECT lead_id, partner_id FROM crm_lead_reseller_declined_rel WHERE lead_id = ANY(%s)",
                [[lead[0] for lead in leads]],
            )
            declined = {}
            for lead_id, partner_id in cr.fetchall():
                declined.setdefault(lead_id, set()).add(partner_id)
            chosen, notes = self._lt_reseller_pick(leads, resellers, declined, rng or random.SystemRandom())
            self._lt_reseller_write_choice(chosen, notes, resellers, leads, result, tracking)
        return result if details else result["assigned"]

    def _lt_reseller_lock_candidates(self):
        """(id, state, country, company) of the leads of ``self`` that may receive a reseller, locked;
        those another transaction holds are skipped."""
        self.flush_model(["reseller_id", "active", "state_id", "country_id", "probability", "company_id"])
        self.env.cr.execute(
            """
            SELECT l.id, l.state_id, l.country_id, l.company_id
              FROM crm_lead l
             WHERE l.id = ANY(%s) AND l.reseller_id IS NULL AND l.active
               AND COALESCE(l.probability, 0) < 100
             ORDER BY l.id
               FOR UPDATE SKIP LOCKED
            """,
            [list(self.ids)],
        )
        return self.env.cr.fetchall()

    @api.model
    def _lt_reseller_candidates(self):
        """(id, state, country, weight, company) of every reseller that may receive leads."""
        self.env["res.partner"].flush_model(
            ["reseller_level_id", "reseller_weight", "active", "state_id", "country_id", "company_id"]
        )
        self.env.cr.execute(
            """
            SELECT p.id, p.state_id, p.country_id, p.reseller_weight, p.company_id
              FROM res_partner p
              JOIN crm_reseller_level lvl ON lvl.id = p.reseller_level_id AND lvl.active
             WHERE p.active AND p.reseller_weight > 0
             ORDER BY p.id
            """
        )
        return self.env.cr.fetchall()

    def _lt_reseller_write_choice(self, chosen, notes, resellers, leads, result, tracking):
        """Write the picks of :meth:`_lt_reseller_pick`: one write per reseller (and note, for the
        leads given as last resort), one per note for the leads left; fills ``result``."""
        rows = {lead[0]: lead for lead in leads}
        countries = {reseller[0]: reseller[2] for reseller in resellers}
        Country = self.env["res.country"]
        State = self.env["res.country.state"]
        Partner = self.env["res.partner"]
        writes = {}
        fallthrough_ids = []
        for lead_id, (reseller_id, rule) in chosen.items():
            result["by_rule"][rule] += 1
            note = False
            if rule == "anywhere":
                _lead_id, state_id, country_id, _company = rows[lead_id]
                place = Country.browse(country_id).name or State.browse(state_id).name
                reseller_country = Country.browse(countries.get(reseller_id)).name or _("no country")
                values = {"reseller": Partner.browse(reseller_id).sudo().display_name, "where": reseller_country}
                if place:
                    note = _("No reseller with weight in %(place)s; given to %(reseller)s (%(where)s) as last resort.",
                             place=place, **values)
                else:
                    note = _("The lead has no state or country; given to %(reseller)s (%(where)s) as last resort.",
                             **values)
                fallthrough_ids.append((lead_id, note))
            writes.setdefault((reseller_id, note), []).append(lead_id)
        Lead = self if tracking else self.with_context(tracking_disable=True)
        for (reseller_id, note), lead_ids in writes.items():
            Lead.browse(lead_ids).write({"reseller_id": reseller_id, "reseller_assign_note": note})
        for note, lead_ids in notes.items():
            Lead.browse(lead_ids).write({"reseller_assign_note": note})
            result["left"][note] = len(lead_ids)
            result["by_rule"]["none"] += len(lead_ids)
        result["chosen"] = chosen
        result["assigned"] = self.browse(list(chosen))
        named = self.browse([lead_id for lead_id, _note in fallthrough_ids])
        names = {lead.id: lead.name for lead in named}
        result["fallthrough"] = [(names.get(lead_id, ""), note) for lead_id, note in fallthrough_ids]

    def _lt_reseller_pick(self, leads, resellers, declined, rng):
        """Draw a reseller for each lead by weight: in its state, else its country, else (Settings)
        anywhere; never one that declined it nor of another company. Returns ({lead id: (reseller
        id, rule)} with the rule that found it (state, country, anywhere), {note: lead ids} for the
        leads left without one)."""
        lead_companies = {lead[3] for lead in leads if lead[3]}
        anywhere = {
            company.id: company.lt_reseller_assign_anywhere
            for company in self.env["res.company"].browse(lead_companies)
        }
        default_anywhere = self.env.company.lt_reseller_assign_anywhere
        by_state, by_country = {}, {}
        for reseller in resellers:
            if reseller[1]:
                by_state.setdefault(reseller[1], []).append(reseller)
            if reseller[2]:
                by_country.setdefault(reseller[2], []).append(reseller)
        chosen, notes = {}, {}
        for lead_id, state_id, country_id, company_id in leads:
            refused = declined.get(lead_id, set())

            def eligible(pool, refused=refused, company_id=company_id):
                return [r for r in pool if r[0] not in refused and (not r[4] or not company_id or r[4] == company_id)]

            rule, pool = "state", eligible(by_state.get(state_id, [])) if state_id else []
            if not pool and country_id:
                rule, pool = "country", eligible(by_country.get(country_id, []))
            if not pool and anywhere.get(company_id, default_anywhere):
                rule, pool = "anywhere", eligible(resellers)
            if pool:
                pick = rng.choices(pool, weights=[r[3] for r in pool])[0]
                chosen[lead_id] = (pick[0], rule)
                continue
            if not resellers:
                note = _("No reseller has a level and a weight above 0.")
            elif refused and not eligible(resellers):
                note = _("Every reseller that could take this lead declined it.")
            elif not (state_id or country_id):
                note = _("The lead has no state or country and assignment to any reseller is off in Settings.")
            else:
                note = _("No reseller in the lead's state or country.")
            notes.setdefault(note, []).append(lead_id)
        return chosen, notes

    @api.model
    def _lt_reseller_cron_assign(self):
        """Step run after the scheduled lead assignment when enabled in Settings."""
        companies = self.env["res.company"].search([("lt_reseller_auto_assign", "=", True)])
        if not companies:
            return self.browse()
        leads = self.search(
            [
                ("company_id", "in", companies.ids + [False]),
                ("reseller_id", "=", False),
                ("user_id", "=", False),
                ("probability", "<", 100),
            ]
        )
        return leads._lt_reseller_assign()

    def _lt_reseller_accept(self, user, summary, date, expected_revenue):
        """The reseller takes the lead: it becomes an opportunity, still the reseller's, with its next action."""
        self.ensure_one()
        self.convert_opportunity(self.partner_id)
        self.write({"expected_revenue": expected_revenue})
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date,
            summary=summary,
            user_id=(self.user_id or self.team_id.user_id or user).id,
        )
        self.message_post(
            body=_(
                "%(reseller)s is interested and has contacted the customer. Next action: %(summary)s, on %(date)s.",
                reseller=user.partner_id.display_name,
                summary=summary,
                date=format_date(self.env, date, lang_code=user.lang),
            ),
            author_id=user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _lt_reseller_decline(self, user, reason, contacted, spam):
        """The reseller declines: it loses the lead and is never offered it again."""
        self.ensure_one()
        reseller = self.reseller_id
        offered = self.reseller_assigned_date
        self.write({"reseller_id": False, "reseller_declined_ids": [(4, reseller.id)]})
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE %s SET lt_offered_date = %s WHERE lead_id = %s AND partner_id = %s",
            SQL.identifier(DECLINED_REL), offered, self.id, reseller.id,
        ))
        self.message_post(
            body=Markup("<p>%s</p><blockquote>%s</blockquote><p>%s</p>") % (
                _("%(reseller)s is not interested. Reason:", reseller=reseller.display_name),
                plaintext2html(reason),
                _("Contacted the customer: %(contacted)s. Spam: %(spam)s.",
                  contacted=_("yes") if contacted else _("no"), spam=_("yes") if spam else _("no")),
            ),
            author_id=user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        if spam:
            self.action_set_lost(lost_reason_id=self.env.ref("lead_tracking.lost_reason_spam").id)

    @api.depends("type")
    def _compute_reseller_portal_url(self):
        for lead in self:
            kind = "opportunity" if lead.type == "opportunity" else "lead"
            lead.reseller_portal_url = f"{lead.get_base_url()}/my/{kind}/{lead.id}" if lead.id else False
