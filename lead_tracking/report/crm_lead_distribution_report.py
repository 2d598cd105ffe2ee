from odoo import fields, models

from ._common import LT_LEAD_REPORT_COLUMNS, LT_STATUS_SELECTION, LT_STATUS_SQL


class CrmLeadDistributionReport(models.Model):
    """One line per assigned lead, archived ones included, dated by its assignment."""

    _name = "crm.lead.distribution.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Lead Distribution Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_date_open_idx",)
    _rec_name = "lead_id"
    _order = "date_assigned desc, id desc"

    lead_type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], string="Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    date_assigned = fields.Datetime(string="Assigned On", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_active = fields.Boolean(string="Active", readonly=True)
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

    def _lt_report_query(self):
        return f"""
            SELECT
                {LT_LEAD_REPORT_COLUMNS},
                l.type AS lead_type,
                l.stage_id AS stage_id,
                l.date_open AS date_assigned,
                l.create_date AS create_date,
                st.status AS status,
                l.active AS is_active,
                COALESCE(l.is_quality_lead, FALSE) AS is_quality_lead,
                CASE WHEN l.is_quality_lead THEN 1 ELSE 0 END AS quality_count,
                CASE WHEN l.active THEN 1 ELSE 0 END AS kept_count,
                CASE WHEN st.status = 'lost' THEN 1 ELSE 0 END AS lost_count,
                CASE WHEN st.status = 'won' THEN 1 ELSE 0 END AS won_count,
                CASE WHEN l.is_quality_lead THEN CASE WHEN l.active THEN 100.0 ELSE 0.0 END END
                    AS quality_kept_share
            FROM crm_lead l
            LEFT JOIN crm_stage s ON s.id = l.stage_id
            CROSS JOIN LATERAL (SELECT {LT_STATUS_SQL} AS status) st
            WHERE l.user_id IS NOT NULL AND l.date_open IS NOT NULL
        """
