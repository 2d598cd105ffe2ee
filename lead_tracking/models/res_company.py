from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    lt_unattended_horizon_days = fields.Integer(
        string="Unattended Horizon (days)",
        default=0,
        help="A lead is unattended when one of its activities is due on or before today plus this many days.",
    )

    # ---- Resellers (issue 5) -------------------------------------------------
    lt_reseller_auto_assign = fields.Boolean(
        string="Assign Resellers after Lead Assignment",
        help="After each scheduled lead assignment, leads left without a salesperson are given to resellers.",
    )
    lt_reseller_assign_anywhere = fields.Boolean(
        string="Any Reseller as Last Resort",
        default=True,
        help="When no reseller works in the lead's state or country, pick among all resellers.",
    )
    # ---- end Resellers -------------------------------------------------------
