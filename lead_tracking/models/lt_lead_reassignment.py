from odoo import fields, models


class LtLeadReassignment(models.Model):
    """One hand-over of a neglected lead, kept so a lead never returns to the same member within 30 days."""

    _name = "lt.lead.reassignment"
    _description = "Neglected Lead Reassignment"
    _order = "create_date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    team_id = fields.Many2one("crm.team", string="Sales Team", ondelete="set null")
    from_user_id = fields.Many2one("res.users", string="Previous Salesperson", required=True, ondelete="cascade")
    to_user_id = fields.Many2one("res.users", string="New Salesperson", ondelete="set null")
    # The lead's company at the hand-over, written by whoever records it: a stored related field
    # would make every lead deletion search this table.
    company_id = fields.Many2one("res.company", index=True)
