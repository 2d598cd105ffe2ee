from odoo import fields, models
from odoo.tools import SQL

from ._common import LT_LEAD_TYPES, LT_STATUS_SELECTION, LT_STATUS_SQL, LtColumn


class CrmLeadDistributionReport(models.Model):
    """One line per assigned lead, archived ones included, dated by its assignment.

    No summary: its reads scan a range of the covering index ``lt_report_crm_lead_date_open_idx``."""

    _name = "crm.lead.distribution.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Lead Distribution Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_date_open_idx",)
    _lt_lead_field = "lt_distribution_report_ids"
    _rec_name = "lead_id"
    _order = "date_assigned desc, id desc"

    lead_type = fields.Selection(LT_LEAD_TYPES, string="Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    date_assigned = fields.Datetime(string="Assigned On", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_active = fields.Boolean(string="Active", readonly=True)
    # The lead's contact and interest, for the shared favourite "Good leads" (the documentation's filter).
    source_id = fields.Many2one("utm.source", readonly=True)
    phone = fields.Char(readonly=True)
    email_from = fields.Char(string="Email", readonly=True)
    referred = fields.Char(string="Referred By", readonly=True)
    description = fields.Html(string="Notes", readonly=True, sanitize=False)
    # A line's id is its lead's: the lead's own tag relation is the line's, so that a filter on tags
    # probes each line's few tag rows by the relation's primary key.
    tag_ids = fields.Many2many("crm.tag", "crm_tag_rel", "lead_id", "tag_id", string="Tags", readonly=True)
    is_quality_lead = fields.Boolean(string="Quality Lead", readonly=True)
    quality_count = fields.Integer(string="Quality Leads", readonly=True)
    kept_count = fields.Integer(string="Kept", readonly=True, help="Leads still active.")
    lost_count = fields.Integer(string="Lost", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    quality_kept_share = fields.Float(
        string="Quality Kept (%)",
        readonly=True,
        group_operator="avg",
        help="Share of the quality leads received that are still active.",
    )

    def _from(self, tables):
        return SQL("%s l LEFT JOIN crm_stage s ON s.id = l.stage_id", tables["crm_lead"])

    def _where(self):
        return SQL("l.user_id IS NOT NULL AND l.date_open IS NOT NULL")

    def _lt_columns(self):
        return {
            "id": LtColumn("l.id", detail=True),
            **super()._lt_columns(),
            "lead_type": LtColumn("l.type"),
            "stage_id": LtColumn("l.stage_id"),
            "date_assigned": LtColumn("l.date_open", day=True),
            "create_date": LtColumn("l.create_date", detail=True),
            "status": LtColumn(LT_STATUS_SQL),
            "is_active": LtColumn("l.active"),
            "source_id": LtColumn("l.source_id"),
            "phone": LtColumn("l.phone", detail=True),
            "email_from": LtColumn("l.email_from", detail=True),
            "referred": LtColumn("l.referred", detail=True),
            "description": LtColumn("l.description", detail=True),
            "is_quality_lead": LtColumn("COALESCE(l.is_quality_lead, FALSE)"),
            "quality_count": LtColumn("CASE WHEN l.is_quality_lead THEN 1 ELSE 0 END", additive=True),
            "kept_count": LtColumn("CASE WHEN l.active THEN 1 ELSE 0 END", additive=True),
            "lost_count": LtColumn(SQL("CASE WHEN (%s) = 'lost' THEN 1 ELSE 0 END", LT_STATUS_SQL), additive=True),
            "won_count": LtColumn(SQL("CASE WHEN (%s) = 'won' THEN 1 ELSE 0 END", LT_STATUS_SQL), additive=True),
            "quality_kept_share": LtColumn(
                "CASE WHEN l.is_quality_lead THEN CASE WHEN l.active THEN 100.0 ELSE 0.0 END END", additive=True
            ),
        }
