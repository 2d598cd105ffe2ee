from odoo import _, api, exceptions, fields, models


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
