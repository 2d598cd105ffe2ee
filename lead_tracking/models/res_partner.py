from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- Resellers (issue 5) -------------------------------------------------
    reseller_level_id = fields.Many2one(
        "crm.reseller.level", index="btree_not_null", tracking=True
    )
    reseller_activation_id = fields.Many2one("crm.reseller.activation", string="Partner Activation", tracking=True)
    reseller_weight = fields.Integer(
        string="Level Weight",
        compute="_compute_reseller_weight",
        inverse="_inverse_reseller_weight",
        store=True,
        readonly=False,
        help="Chance of receiving leads, relative to other resellers; follows the level until set here. "
        "0 means the reseller never receives leads automatically.",
    )
    reseller_weight_custom = fields.Integer(string="Custom Weight", copy=False)
    reseller_weight_overridden = fields.Boolean(
        string="Weight Set on Contact", copy=False, help="The weight was set on this contact and ignores the level."
    )
    reseller_partnership_date = fields.Date(string="Partnership Date")
    reseller_published = fields.Boolean(
        string="Published Reseller", copy=False, help="Listed on the public /partners page."
    )
    reseller_lead_ids = fields.One2many("crm.lead", "reseller_id", string="Assigned Leads")
    reseller_lead_count = fields.Integer(string="Reseller Leads", compute="_compute_reseller_lead_count")

    @api.depends("reseller_level_id.weight", "reseller_weight_overridden", "reseller_weight_custom")
    def _compute_reseller_weight(self):
        for partner in self:
            if partner.reseller_weight_overridden:
                partner.reseller_weight = partner.reseller_weight_custom
            else:
                partner.reseller_weight = partner.reseller_level_id.weight

    def _inverse_reseller_weight(self):
        for partner in self:
            if partner.reseller_weight < 0:
                raise ValidationError(_("A reseller's weight cannot be negative."))
            partner.write({"reseller_weight_custom": partner.reseller_weight, "reseller_weight_overridden": True})

    def action_reset_reseller_weight(self):
        """Make the weight follow the reseller level again."""
        self.write({"reseller_weight_overridden": False, "reseller_weight_custom": 0})

    def _compute_reseller_lead_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group([("reseller_id", "in", self.ids)], ["reseller_id"], ["__count"])
        )
        for partner in self:
            partner.reseller_lead_count = counts.get(partner, 0)

    def action_view_reseller_leads(self):
        """Leads and opportunities assigned to this reseller."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        action.update(
            {
                "name": _("Assigned Leads"),
                "domain": [("reseller_id", "=", self.id)],
                "context": {"active_test": False, "default_reseller_id": self.id},
                "view_mode": "tree,kanban,form",
                "views": [(False, "list"), (False, "kanban"), (False, "form")],
            }
        )
        return action

    # ---- end Resellers -------------------------------------------------------
