from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    lt_unattended_horizon_days = fields.Integer(
        string="Unattended Horizon (days)",
        default=0,
        help="A lead is unattended when one of its activities is due on or before today plus this many days.",
    )
