from odoo import fields, models

from ._common import LtReportSummary

# Due activities per stage, salesperson, team, company, lead type and due date (a few thousand rows).
UNATTENDED_SUMMARY = LtReportSummary(
    table="lt_report_unattended_summary",
    keys={
        "stage_id": "int4",
        "user_id": "int4",
        "team_id": "int4",
        "company_id": "int4",
        "lead_type": "varchar",
        "date_deadline": "date",
    },
    measures=("probability", "expected_revenue"),
    watched={
        "crm_lead": ("stage_id", "user_id", "team_id", "company_id", "type", "active", "probability",
                     "expected_revenue"),
        "mail_activity": ("res_model", "res_id", "active", "date_deadline"),
    },
    source="""
        SELECT l.stage_id, l.user_id, l.team_id, l.company_id, l.type AS lead_type, a.date_deadline,
               l.probability, l.expected_revenue
          FROM {mail_activity} a
          JOIN {crm_lead} l ON l.id = a.res_id
         WHERE a.res_model = 'crm.lead' AND a.active AND l.active AND l.user_id IS NOT NULL
    """,
)


class CrmLeadUnattendedReport(models.Model):
    """One line per open activity due on or before today (plus the company's horizon)
    on an active lead that has a salesperson."""

    _name = "crm.lead.unattended.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Unattended Leads"
    _auto = False
    _lt_report_indexes = ("lt_report_mail_activity_lead_deadline_idx", "lt_report_crm_lead_active_assigned_idx")
    _rec_name = "lead_id"
    _order = "date_deadline, id"
    _lt_summary = UNATTENDED_SUMMARY
    _lt_summary_keys = ("stage_id", "user_id", "team_id", "company_id", "lead_type", "date_deadline",
                        "days_overdue", "max_days_overdue", "company_currency")
    _lt_summary_measures = ("probability", "expected_revenue")

    lead_type = fields.Selection([("lead", "Lead"), ("opportunity", "Opportunity")], string="Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity Type", readonly=True)
    activity_user_id = fields.Many2one("res.users", string="Activity Assigned To", readonly=True)
    summary = fields.Char(readonly=True)
    date_deadline = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(
        string="Days Overdue",
        readonly=True,
        group_operator="avg",
        help="Days between the due date and today (negative: due within the horizon).",
    )
    max_days_overdue = fields.Integer(string="Most Days Overdue", readonly=True, group_operator="max")
    probability = fields.Float(readonly=True, group_operator="avg")
    date_closing = fields.Date(string="Expected Closing", readonly=True)
    expected_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _lt_report_query(self):
        # The first deadline bound (the largest horizon of all companies) is a constant the planner
        # can use on the partial activity index; the second one applies the lead's own company horizon.
        return """
            SELECT
                a.id AS id,
                a.res_id AS lead_id,
                l.type AS lead_type,
                l.user_id AS user_id,
                l.team_id AS team_id,
                l.company_id AS company_id,
                l.stage_id AS stage_id,
                a.activity_type_id AS activity_type_id,
                a.user_id AS activity_user_id,
                a.summary AS summary,
                a.date_deadline AS date_deadline,
                (CURRENT_DATE - a.date_deadline) AS days_overdue,
                (CURRENT_DATE - a.date_deadline) AS max_days_overdue,
                l.probability AS probability,
                l.date_deadline AS date_closing,
                l.expected_revenue AS expected_revenue,
                c.currency_id AS company_currency
            FROM mail_activity a
            JOIN crm_lead l ON l.id = a.res_id
            LEFT JOIN res_company c ON c.id = l.company_id
            WHERE a.res_model = 'crm.lead'
              AND a.active
              AND a.date_deadline <= CURRENT_DATE
                  + (SELECT COALESCE(MAX(lt_unattended_horizon_days), 0) FROM res_company)
              AND a.date_deadline <= CURRENT_DATE + COALESCE(c.lt_unattended_horizon_days, 0)
              AND l.active
              AND l.user_id IS NOT NULL
        """

    def _lt_summary_query(self):
        return f"""
            SELECT s.stage_id, s.user_id, s.team_id, s.company_id, s.lead_type, s.date_deadline,
                   (CURRENT_DATE - s.date_deadline) AS days_overdue,
                   (CURRENT_DATE - s.date_deadline) AS max_days_overdue,
                   c.currency_id AS company_currency,
                   s.lt_weight, s.probability, s.probability__n, s.expected_revenue, s.expected_revenue__n
              FROM ({UNATTENDED_SUMMARY.rows()}) s
              LEFT JOIN res_company c ON c.id = s.company_id
             WHERE s.date_deadline <= CURRENT_DATE + COALESCE(c.lt_unattended_horizon_days, 0)
        """
