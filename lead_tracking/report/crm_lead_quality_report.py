from odoo import fields, models

from ._common import LT_LEAD_REPORT_COLUMNS, LT_STATUS_SELECTION, LT_STATUS_SQL, LtReportSummary

# Leads per day received (UTC), salesperson, team, company, stage, type, archived, probability zero and
# quality: what the lines' status and quality columns are computed from.
QUALITY_SUMMARY = LtReportSummary(
    table="lt_report_quality_summary",
    keys={"day_received": "timestamp", **LtReportSummary.LEAD_KEYS, "lead_type": "varchar", "is_quality": "bool"},
    measures=(),
    watched={
        "crm_lead": (*LtReportSummary.LEAD_WATCHED, "date_open", "create_date", "type", "is_quality_lead"),
    },
    source=f"""
        SELECT date_trunc('day', COALESCE(l.date_open, l.create_date)) AS day_received,
               {LtReportSummary.LEAD_COLUMNS}, l.type AS lead_type,
               COALESCE(l.is_quality_lead, FALSE) AS is_quality
          FROM {{crm_lead}} l
    """,
)


class CrmLeadQualityReport(models.Model):
    """One line per lead, archived ones included, dated when its salesperson received it."""

    _name = "crm.lead.quality.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Quality Leads Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_received_idx",)
    _rec_name = "lead_id"
    _order = "date_received desc, id desc"
    _lt_summary = QUALITY_SUMMARY
    _lt_summary_keys = (
        "date_received",
        "user_id",
        "team_id",
        "company_id",
        "stage_id",
        "lead_type",
        "status",
        "is_active",
        "is_quality_lead",
        "quality_count",
        "quality_share",
    )
    _lt_summary_days = ("date_received",)

    lead_type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], string="Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    source_id = fields.Many2one("utm.source", string="Source", readonly=True)
    date_received = fields.Datetime(
        string="Received On",
        readonly=True,
        help="When the lead was assigned to its salesperson (its creation for unassigned leads).",
    )
    create_date = fields.Datetime(string="Created On", readonly=True)
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_active = fields.Boolean(string="Active", readonly=True)
    is_quality_lead = fields.Boolean(string="Quality Lead", readonly=True)
    quality_count = fields.Integer(string="Quality Leads", readonly=True)
    quality_share = fields.Float(
        string="Quality Share (%)",
        readonly=True,
        group_operator="avg",
        help="Share of the leads that are quality leads.",
    )

    def _lt_report_query(self):
        return f"""
            SELECT
                {LT_LEAD_REPORT_COLUMNS},
                l.type AS lead_type,
                l.stage_id AS stage_id,
                l.source_id AS source_id,
                COALESCE(l.date_open, l.create_date) AS date_received,
                l.create_date AS create_date,
                {LT_STATUS_SQL} AS status,
                l.active AS is_active,
                COALESCE(l.is_quality_lead, FALSE) AS is_quality_lead,
                CASE WHEN l.is_quality_lead THEN 1 ELSE 0 END AS quality_count,
                CASE WHEN l.is_quality_lead THEN 100.0 ELSE 0.0 END AS quality_share
            FROM crm_lead l
            LEFT JOIN crm_stage s ON s.id = l.stage_id
        """

    def _lt_summary_query(self):
        return f"""
            SELECT s.day_received AS date_received, s.user_id, s.team_id, s.company_id, s.stage_id, s.lead_type,
                   st.status AS status,
                   s.active AS is_active,
                   s.is_quality AS is_quality_lead,
                   CASE WHEN s.is_quality THEN 1 ELSE 0 END AS quality_count,
                   CASE WHEN s.is_quality THEN 100.0 ELSE 0.0 END AS quality_share,
                   s.lt_weight
              FROM ({QUALITY_SUMMARY.rows()}) s
              {LtReportSummary.STATUS_JOIN}
        """
