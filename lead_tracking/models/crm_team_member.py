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

    lt_assignment_domain_preferred = fields.Char(
        string="Preferred Domain",
        help="Leads matching this domain go to this salesperson before the others (within capacity; where "
        "several salespeople prefer a lead, the one furthest below its share gets it).",
    )
    lt_rotation = fields.Selection(
        [("limited", "In rotation, with a limit"), ("unlimited", "In rotation, no limit"), ("out", "Out of rotation")],
        string="Rotation",
        default="limited",
        required=True,
        help="With a limit: up to the capacity. No limit: served after the others, from the leads left, in "
        "proportion to the weight. Out: receives no lead automatically (Skip auto assignment).",
    )
    lt_rotation_weight = fields.Integer(
        string="Rotation Weight",
        default=10,
        help="Share of the leads left after the salespeople with a limit, relative to the other salespeople "
        "without a limit.",
    )

    _sql_constraints = [
        ("lt_rotation_weight_positive", "CHECK(lt_rotation_weight > 0)", "A rotation weight must be positive."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._lt_rotation_sync(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._lt_rotation_sync(vals))

    @api.model
    def _lt_rotation_sync(self, vals):
        """"Out of rotation" is crm's Skip auto assignment: each one follows the other."""
        vals = dict(vals)
        if "lt_rotation" in vals and "assignment_optout" not in vals:
            vals["assignment_optout"] = vals["lt_rotation"] == "out"
        elif "assignment_optout" in vals and "lt_rotation" not in vals:
            if vals["assignment_optout"]:
                vals["lt_rotation"] = "out"
            elif self.filtered(lambda member: member.lt_rotation == "out") or not self:
                vals["lt_rotation"] = "limited"
        return vals

    @api.constrains("lt_assignment_domain_preferred")
    def _lt_assign_check_preferred_domain(self):
        for member in self:
            self.env["crm.team"]._lt_assign_check_domain(
                member.lt_assignment_domain_preferred,
                _("the preferred domain of %(user)s in team %(team)s", user=member.user_id.name,
                  team=member.crm_team_id.name),
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
    def _lt_assign_month_counts(self, team_ids, user_ids, since, fresh=False):
        """{(team id, user id): (leads, quality leads)} opened by the user in the team since ``since``:
        crm's 30-day count (archived leads included, as crm counts them), for every member at once.

        ``fresh``: this transaction's snapshot misses a run committed since; the counts are the
        larger of what it sees and what is committed now (read from a cursor of its own)."""
        if not team_ids or not user_ids:
            return {}
        self.env["crm.lead"].flush_model(["team_id", "user_id", "date_open", "is_quality_lead"])
        query = self._lt_assign_month_counts_query(team_ids, user_ids, since)
        self.env.cr.execute(query)
        counts = {(team_id, user_id): (count, quality) for team_id, user_id, count, quality in self.env.cr.fetchall()}
        if fresh:
            with self.env.registry.cursor() as cr:
                cr.execute(query)
                for team_id, user_id, count, quality in cr.fetchall():
                    seen = counts.get((team_id, user_id), (0, 0))
                    counts[team_id, user_id] = (max(seen[0], count), max(seen[1], quality))
        return counts

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
        """Whether the member receives leads automatically (crm's rules: not opted out, capacity, active;
        a member in rotation without a limit needs no capacity)."""
        self.ensure_one()
        if self.assignment_optout or self.lt_rotation == "out" or not self.user_id.active:
            return False
        return self.lt_rotation == "unlimited" or self.assignment_max > 0

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
