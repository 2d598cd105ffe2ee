from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # ---- Resellers (issue 5) -------------------------------------------------
    lt_reseller_auto_assign = fields.Boolean(related="company_id.lt_reseller_auto_assign", readonly=False)
    lt_reseller_assign_anywhere = fields.Boolean(related="company_id.lt_reseller_assign_anywhere", readonly=False)
    # ---- end Resellers -------------------------------------------------------
