from odoo import fields, models

from ._common import LT_LEAD_REPORT_COLUMNS, LT_STATUS_SELECTION, LT_STATUS_SQL


class CrmLeadAttributionReport(models.Model):
    """One line per lead, archived ones included, with its marketing origin and outcome."""

    _name = "crm.lead.attribution.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Marketing Attribution Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_attribution_idx",)
    _rec_name = "lead_id"
    _order = "create_date desc, id desc"

    lead_type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], string="Type", readonly=True)
    medium_id = fields.Many2one("utm.medium", string="Medium", readonly=True)
    source_id = fields.Many2one("utm.source", string="Source", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", string="Campaign", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    city = fields.Char(readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_active = fields.Boolean(string="Active", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    won_rate = fields.Float(
        string="Won Rate (%)",
        readonly=True,
        group_operator="avg",
        help="Won leads among the closed (won or lost) ones.",
    )
    expected_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    won_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    days_to_close = fields.Float(
        string="Days to Close",
        readonly=True,
        group_operator="avg",
        help="Average days from creation to closing, over the won or lost leads.",
    )
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _lt_report_query(self):
        return f"""
            SELECT
                {LT_LEAD_REPORT_COLUMNS},
                l.type AS lead_type,
                l.medium_id AS medium_id,
                l.source_id AS source_id,
                l.campaign_id AS campaign_id,
                l.country_id AS country_id,
                l.city AS city,
                l.stage_id AS stage_id,
                l.create_date AS create_date,
                l.date_closed AS date_closed,
                st.status AS status,
                l.active AS is_active,
                CASE WHEN l.type = 'opportunity' THEN 1 ELSE 0 END AS opportunity_count,
                CASE WHEN st.status = 'won' THEN 1 ELSE 0 END AS won_count,
                CASE st.status WHEN 'won' THEN 100.0 WHEN 'lost' THEN 0.0 END AS won_rate,
                COALESCE(l.expected_revenue, 0) AS expected_revenue,
                CASE WHEN st.status = 'won' THEN COALESCE(l.expected_revenue, 0) ELSE 0 END AS won_revenue,
                CASE WHEN st.status IN ('won', 'lost') AND l.date_closed IS NOT NULL
                     THEN EXTRACT(EPOCH FROM l.date_closed - l.create_date) / 86400.0 END AS days_to_close,
                c.currency_id AS company_currency
            FROM crm_lead l
            LEFT JOIN crm_stage s ON s.id = l.stage_id
            LEFT JOIN res_company c ON c.id = l.company_id
            CROSS JOIN LATERAL (SELECT {LT_STATUS_SQL} AS status) st
        """
