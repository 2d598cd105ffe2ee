# crm.team is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import datetime
import logging

from markupsafe import Markup

from odoo import _, fields, models

_logger = logging.getLogger(__name__)


class CrmTeam(models.Model):
    """Neglected leads: handed to another member of the team after some days unattended."""

    _inherit = "crm.team"

    def _lt_assign_reassign_neglected(self):
        """Hand leads unattended for more than ``reassign_after_days`` to another member of their team.

        A lead is unattended from its oldest activity's due date minus the company's horizon; the
        current salesperson must also have held it that long. Never back to a member who held it within
        30 days; among the others, the least loaded over 30 days relative to capacity whose domain
        matches. Returns the number of leads reassigned.
        """
        teams = self.sudo().filtered(lambda t: t.reassign_after_days > 0)
        if not teams:
            return 0
        self.env.flush_all()
        now = self.env.cr.now()
        rows = teams._lt_reassign_candidates(now)
        plan = teams._lt_reassign_plan(rows, now) if rows else []
        if not plan:
            return 0
        with self.env.cr.savepoint():
            teams._lt_reassign_write(plan, now)
            teams._lt_reassign_notify(plan)
        self.env["crm.lead"]._lt_refresh_all([move["lead_id"] for move in plan])
        _logger.info("Lead assignment: %s neglected leads reassigned", len(plan))
        return len(plan)

    def _lt_reassign_candidates(self, now):
        """(lead, salesperson, team, company) of the neglected leads of ``self``, locked (skipping
        rows another transaction holds)."""
        self.env.cr.execute(
            """SELECT l.id, l.user_id, l.team_id, l.company_id
                 FROM crm_lead l
                 JOIN crm_team t ON t.id = l.team_id
            LEFT JOIN res_company c ON c.id = l.company_id
                WHERE l.active AND l.user_id IS NOT NULL AND l.team_id = ANY(%(teams)s)
                  AND l.date_open < %(now)s - make_interval(days => t.reassign_after_days)
                  AND (SELECT MIN(a.date_deadline) FROM mail_activity a
                        WHERE a.res_model = 'crm.lead' AND a.res_id = l.id AND a.active IS NOT FALSE)
                      < %(today)s::date + COALESCE(c.lt_unattended_horizon_days, 0) - t.reassign_after_days
             ORDER BY l.id
                  FOR UPDATE OF l SKIP LOCKED""",
            {"teams": self.ids, "now": now, "today": fields.Date.context_today(self)},
        )
        return self.env.cr.fetchall()

    def _lt_reassign_recent_holders(self, lead_ids, since):
        """{lead id: salespeople it was taken from since ``since``}."""
        self.env.cr.execute(
            "SELECT lead_id, from_user_id FROM lt_lead_reassignment WHERE lead_id = ANY(%s) AND create_date >= %s",
            [lead_ids, since],
        )
        recent = {}
        for lead_id, user_id in self.env.cr.fetchall():
            recent.setdefault(lead_id, set()).add(user_id)
        return recent

    def _lt_reassign_plan(self, rows, now):
        """One move per lead that has an eligible receiver: {lead_id, from_user_id, to_user_id,
        team_id, company_id, reason}."""
        since = now - datetime.timedelta(days=30)
        lead_ids = [row[0] for row in rows]
        recent = self._lt_reassign_recent_holders(lead_ids, since)
        members = self.crm_team_member_ids.filtered(lambda m: m._lt_assign_takes_part())
        month = self.env["crm.team.member"]._lt_assign_month_counts(self.ids, members.user_id.ids, since)
        loads = {m.id: month.get((m.crm_team_id.id, m.user_id.id), (0, 0))[0] for m in members}
        matches = {m.id: self._lt_assign_match(m.assignment_domain, lead_ids) for m in members}
        plan = []
        for lead_id, old_user, team_id, company_id in rows:
            excluded = recent.get(lead_id, set()) | {old_user}
            eligible = [
                m for m in members
                if m.crm_team_id.id == team_id and m.user_id.id not in excluded
                and (matches[m.id] is None or lead_id in matches[m.id])
            ]
            if not eligible:
                continue
            member = min(eligible, key=lambda m: ((loads[m.id] + 1) / m.assignment_max, m.id))
            loads[member.id] += 1
            reason = _(
                "Reassigned from %(old)s to %(new)s: unattended for more than %(days)s days",
                old=self.env["res.users"].browse(old_user).name,
                new=member.user_id.name,
                days=member.crm_team_id.reassign_after_days,
            )
            plan.append({"lead_id": lead_id, "from_user_id": old_user, "to_user_id": member.user_id.id,
                         "team_id": team_id, "company_id": company_id, "reason": reason})
        return plan

    def _lt_reassign_write(self, plan, now):
        """The new salesperson (with its overdue activities, a note and the subscription), and the
        hand-over kept so that the lead does not come back within 30 days."""
        cr = self.env.cr
        ids, users = [move["lead_id"] for move in plan], [move["to_user_id"] for move in plan]
        cr.execute(
            """UPDATE crm_lead l SET user_id = v.user_id, assignment_reason = v.reason, date_open = %(now)s,
                      write_uid = %(uid)s, write_date = %(now)s
                 FROM unnest(%(ids)s::int[], %(users)s::int[], %(reasons)s::text[]) AS v(id, user_id, reason)
                WHERE l.id = v.id""",
            {"now": now, "uid": self.env.uid, "ids": ids, "users": users,
             "reasons": [move["reason"] for move in plan]},
        )
        # The overdue activities follow the lead to its new salesperson.
        cr.execute(
            """UPDATE mail_activity a SET user_id = v.user_id
                 FROM unnest(%s::int[], %s::int[]) AS v(id, user_id)
                WHERE a.res_model = 'crm.lead' AND a.res_id = v.id""",
            [ids, users],
        )
        self.env["crm.lead"].invalidate_model()
        self.env["mail.activity"].invalidate_model(["user_id"])
        self.env["lt.lead.reassignment"].sudo().create(
            [{key: move[key] for key in ("lead_id", "from_user_id", "to_user_id", "team_id", "company_id")}
             for move in plan]
        )
        leads = self.env["crm.lead"].browse(ids)
        leads._message_log_batch(bodies={move["lead_id"]: Markup("<p>%s</p>") % move["reason"] for move in plan})
        for user in leads.user_id:
            leads.filtered(lambda lead, user=user: lead.user_id == user).message_subscribe(
                partner_ids=user.partner_id.ids
            )

    def _lt_reassign_notify(self, plan):
        """One message to each previous salesperson, naming the leads it lost."""
        by_old = {}
        for move in plan:
            by_old.setdefault(move["from_user_id"], []).append(move["lead_id"])
        Lead = self.env["crm.lead"]
        for old_user_id, lead_ids in by_old.items():
            Lead.browse(lead_ids[0]).message_notify(
                partner_ids=self.env["res.users"].browse(old_user_id).partner_id.ids,
                subject=_("Leads reassigned"),
                body=_(
                    "%(count)s of your leads were unattended and went to another salesperson: %(leads)s",
                    count=len(lead_ids),
                    leads=", ".join(Lead.browse(lead_ids).mapped("name")),
                ),
            )
