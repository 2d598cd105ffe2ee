# crm.team is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import datetime

from markupsafe import Markup

from odoo import _, models


class CrmTeam(models.Model):
    """Reassigning a neglected lead (an escalation step): to another member of its team, never back to
    one who held it within 30 days."""

    _inherit = "crm.team"

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

    def _lt_reassign_plan(self, rows, now, days):
        """One move per lead (rows: lead, salesperson, team, company) that has an eligible receiver, the
        least loaded over 30 days relative to its capacity (its weight when in rotation without a
        limit) whose domain matches: {lead_id, from_user_id, to_user_id, team_id, company_id, reason};
        ``days``: the working days each lead stayed unattended."""
        # the 30 days of hand-overs and loads, in the database's time (their dates are written in it)
        since = self.env.cr.now() - datetime.timedelta(days=30)
        lead_ids = [row[0] for row in rows]
        recent = self._lt_reassign_recent_holders(lead_ids, since)
        members = self.crm_team_member_ids.filtered(lambda m: m._lt_assign_takes_part())
        month = self.env["crm.team.member"]._lt_assign_month_counts(self.ids, members.user_id.ids, since)
        loads = {m.id: month.get((m.crm_team_id.id, m.user_id.id), (0, 0))[0] for m in members}
        capacity = {m.id: m.lt_rotation_weight if m.lt_rotation == "unlimited" else m.assignment_max for m in members}
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
            member = min(eligible, key=lambda m: ((loads[m.id] + 1) / capacity[m.id], m.id))
            loads[member.id] += 1
            reason = _(
                "Reassigned from %(old)s to %(new)s: unattended for %(days)s working days",
                old=self.env["res.users"].browse(old_user).name,
                new=member.user_id.name,
                days=days[lead_id],
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
