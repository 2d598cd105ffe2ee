from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmResellerLevel(models.Model):
    _name = "crm.reseller.level"
    _description = "Reseller Level"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    weight = fields.Integer(
        default=1,
        help="Relative chance of receiving leads in automatic assignment; 0 means the reseller never receives any.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    partner_count = fields.Integer(string="Resellers", compute="_compute_partner_count")

    @api.constrains("weight")
    def _check_weight(self):
        if any(level.weight < 0 for level in self):
            raise ValidationError(_("A reseller level's weight cannot be negative."))

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("reseller_level_id", "in", self.ids)], ["reseller_level_id"], ["__count"]
            )
        )
        for level in self:
            level.partner_count = counts.get(level, 0)
