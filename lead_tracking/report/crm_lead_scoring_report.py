from odoo import fields, models

from ._common import LT_LEAD_REPORT_COLUMNS, LT_STATUS_SELECTION, LT_STATUS_SQL, LtReportSummary

SCORE_BUCKETS = [(str(b), f"{b * 10}-{b * 10 + 10}%") for b in range(10)]
# The closing-score bucket (0-9) of a lead aliased ``l``.
SCORE_BUCKET_SQL = "LEAST(GREATEST(FLOOR(COALESCE(l.closing_score, 0) / 10), 0), 9)::int"

# Leads per stage, salesperson, team, company, archived or not, probability zero or not, closing-score
# bucket and tier: what status, bucket and tier are computed from (status reads the stage when read).
SCORING_SUMMARY = LtReportSummary(
    table="lt_report_scoring_summary",
    keys={**LtReportSummary.LEAD_KEYS, "closing_bucket": "int4", "score_tier": "varchar"},
    measures=("closing_score", "probability", "expected_revenue", "weighted_revenue"),
    watched={
        "crm_lead": (*LtReportSummary.LEAD_WATCHED, "closing_score", "score_tier", "expected_revenue"),
    },
    source=f"""
        SELECT {LtReportSummary.LEAD_COLUMNS},
               {SCORE_BUCKET_SQL} AS closing_bucket,
               l.score_tier,
               COALESCE(l.closing_score, 0) AS closing_score,
               l.probability,
               COALESCE(l.expected_revenue, 0) AS expected_revenue,
               COALESCE(l.expected_revenue, 0) * COALESCE(l.probability, 0) / 100.0 AS weighted_revenue
          FROM {{crm_lead}} l
    """,
)


class CrmLeadScoringReport(models.Model):
    """One line per lead: closed ones feed the calibration (predicted vs actual won rate by
    closing-score bucket), open ones the pipeline by score tier."""

    _name = "crm.lead.scoring.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Lead Scoring Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_scoring_idx",)
    _rec_name = "lead_id"
    _order = "date desc, id desc"
    _lt_summary = SCORING_SUMMARY
    _lt_summary_keys = ("stage_id", "user_id", "team_id", "company_id", "status", "is_closed", "score_bucket",
                        "score_tier", "company_currency")
    _lt_summary_measures = ("predicted_won_rate", "actual_won_rate", "probability", "expected_revenue",
                            "weighted_revenue")

    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    date = fields.Datetime(readonly=True, help="Closing date of closed leads, creation date of open ones.")
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    score_bucket = fields.Selection(SCORE_BUCKETS, string="Closing Score", readonly=True)
    score_tier = fields.Selection([("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")], readonly=True)
    predicted_won_rate = fields.Float(
        string="Predicted Won Rate (%)",
        readonly=True,
        group_operator="avg",
        help="Average automated probability of the closed leads just before they were won or lost.",
    )
    actual_won_rate = fields.Float(
        string="Actual Won Rate (%)",
        readonly=True,
        group_operator="avg",
        help="Share of the closed leads that were won.",
    )
    probability = fields.Float(readonly=True, group_operator="avg")
    expected_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    weighted_revenue = fields.Monetary(
        string="Weighted Revenue",
        readonly=True,
        currency_field="company_currency",
        help="Expected revenue times probability.",
    )
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _lt_report_query(self):
        return f"""
            SELECT
                {LT_LEAD_REPORT_COLUMNS},
                l.stage_id AS stage_id,
                CASE WHEN st.status IN ('won', 'lost') THEN COALESCE(l.date_closed, l.write_date)
                     ELSE l.create_date END AS date,
                st.status AS status,
                st.status IN ('won', 'lost') AS is_closed,
                CASE WHEN st.status IN ('won', 'lost')
                     THEN {SCORE_BUCKET_SQL}::varchar
                END AS score_bucket,
                CASE WHEN st.status = 'open' THEN l.score_tier END AS score_tier,
                CASE WHEN st.status IN ('won', 'lost') THEN COALESCE(l.closing_score, 0) END
                    AS predicted_won_rate,
                CASE st.status WHEN 'won' THEN 100.0 WHEN 'lost' THEN 0.0 END AS actual_won_rate,
                l.probability AS probability,
                COALESCE(l.expected_revenue, 0) AS expected_revenue,
                COALESCE(l.expected_revenue, 0) * COALESCE(l.probability, 0) / 100.0 AS weighted_revenue,
                c.currency_id AS company_currency
            FROM crm_lead l
            LEFT JOIN crm_stage s ON s.id = l.stage_id
            LEFT JOIN res_company c ON c.id = l.company_id
            CROSS JOIN LATERAL (SELECT {LT_STATUS_SQL} AS status) st
        """

    def _lt_summary_query(self):
        closed = "st.status IN ('won', 'lost')"
        return f"""
            SELECT s.stage_id, s.user_id, s.team_id, s.company_id,
                   st.status AS status,
                   {closed} AS is_closed,
                   CASE WHEN {closed} THEN s.closing_bucket::varchar END AS score_bucket,
                   CASE WHEN st.status = 'open' THEN s.score_tier END AS score_tier,
                   c.currency_id AS company_currency,
                   s.lt_weight,
                   CASE WHEN {closed} THEN s.closing_score END AS predicted_won_rate,
                   CASE WHEN {closed} THEN s.lt_weight END AS predicted_won_rate__n,
                   CASE st.status WHEN 'won' THEN 100.0 * s.lt_weight WHEN 'lost' THEN 0.0 END AS actual_won_rate,
                   CASE WHEN {closed} THEN s.lt_weight END AS actual_won_rate__n,
                   s.probability, s.probability__n,
                   s.expected_revenue, s.expected_revenue__n,
                   s.weighted_revenue, s.weighted_revenue__n
              FROM ({SCORING_SUMMARY.rows()}) s
              LEFT JOIN res_company c ON c.id = s.company_id
              {LtReportSummary.STATUS_JOIN}
        """
