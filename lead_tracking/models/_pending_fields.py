# TEMPORARY until merge: minimal declarations of fields other branches own, so that the reports
# branch installs and tests alone. The lead engineer deletes this file (and its import and access
# rows) when merging the lead-intelligence and reseller branches.
from odoo import fields, models


class CrmResellerLevel(models.Model):
    _name = "crm.reseller.level"
    _description = "Reseller Level (temporary)"

    name = fields.Char(required=True)


class CrmResellerActivation(models.Model):
    _name = "crm.reseller.activation"
    _description = "Reseller Activation (temporary)"

    name = fields.Char(required=True)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    score_tier = fields.Selection([("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")])
    closing_score = fields.Float()
    reseller_id = fields.Many2one("res.partner")
    reseller_assigned_date = fields.Datetime()
    reseller_declined_ids = fields.Many2many("res.partner")


class ResPartner(models.Model):
    _inherit = "res.partner"

    reseller_level_id = fields.Many2one("crm.reseller.level")
    reseller_activation_id = fields.Many2one("crm.reseller.activation")
    reseller_partnership_date = fields.Date()
