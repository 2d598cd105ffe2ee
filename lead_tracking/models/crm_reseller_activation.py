from odoo import fields, models


class CrmResellerActivation(models.Model):
    _name = "crm.reseller.activation"
    _description = "Reseller Activation"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
