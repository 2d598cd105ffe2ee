from odoo import _, api, exceptions, fields, models
from odoo.tools import SQL


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    lt_assign_carry = fields.Float(
        string="Assignment Carry",
        readonly=True,
        copy=False,
        digits=(16, 6),
        help="Fraction of a lead owed to (positive) or advanced to (negative) this member by earlier "
        "assignment runs; the next run adds it to the member's quota so that rounding never starves anyone.",
    )

    @api.constrains("assignment_domain")
    def _constrains_assignment_domain(self):
        # Replaces crm's check: crm only runs a search, which lets some unknown fields through
        # (for example inside '|' branches never reached) and gives no detail.
        for member in self:
            self.env["crm.team"]._lt_assign_check_domain(
                member.assignment_domain,
                _("salesperson %(user)s in team %(team)s", user=member.user_id.name, team=member.crm_team_id.name),
            )

    @api.constrains("assignment_max")
    def _lt_assign_check_capacity(self):
        for member in self:
            if member.assignment_max < 0:
                raise exceptions.ValidationError(
                    _(
                        "The lead capacity of %(user)s in team %(team)s cannot be negative (%(max)s).",
                        user=member.user_id.name,
                        team=member.crm_team_id.name,
                        max=member.assignment_max,
                    )
                )

    # -- assignment: what each member may receive --
    @api.model
    def _lt_assign_month_counts(self, team_ids, user_ids, since):
        """{(team id, user id): (leads, quality leads)} opened by the user in the team since ``since``:
        crm's 30-day count (archived leads included, as crm counts them), for every member at once."""
        if not team_ids or not user_ids:
            return {}
        self.env["crm.lead"].flush_model(["team_id", "user_id", "date_open", "is_quality_lead"])
        self.env.cr.execute(self._lt_assign_month_counts_query(team_ids, user_ids, since))
        return {(team_id, user_id): (count, quality) for team_id, user_id, count, quality in self.env.cr.fetchall()}

    @api.model
    def _lt_assign_month_counts_query(self, team_ids, user_ids, since):
        return SQL(
            """SELECT team_id, user_id, COUNT(*), COUNT(*) FILTER (WHERE is_quality_lead)
                 FROM crm_lead
                WHERE team_id = ANY(%s) AND user_id = ANY(%s) AND date_open >= %s
             GROUP BY team_id, user_id""",
            list(team_ids), list(user_ids), since,
        )

    def _lt_assign_takes_part(self):
        """Whether the member receives leads automatically (crm's rules: not opted out, capacity, active)."""
        self.ensure_one()
        return not self.assignment_optout and self.assignment_max > 0 and self.user_id.active

    def _lt_assign_exact_quota(self, month_count, work_days, carry=True):
        """Exact (fractional) share of leads the member should receive in a run of ``work_days``.

        crm's meaning: ``assignment_max`` targets 30 days, a run covers ``work_days`` of it, plus a
        20 % catch-up toward capacity; never past the remaining 30-day capacity; plus what earlier
        runs' rounding owes the member (``lt_assign_carry``; not for new leads assigned at once). crm
        rounds each member's quota on its own, which can give 0 run after run; the run rounds the
        team's quotas together instead.
        """
        self.ensure_one()
        capacity = self.assignment_max
        if capacity <= 0:
            return 0.0
        to_assign = capacity * work_days / 30.0
        catch_up = max(0.0, capacity - (month_count + to_assign)) * 0.2
        owed = self.lt_assign_carry if carry else 0.0
        return max(0.0, min(to_assign + catch_up + owed, float(capacity - month_count)))
