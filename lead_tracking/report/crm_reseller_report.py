from odoo import fields, models

from ._common import LtReportSummary, lt_status_sql

DECLINED_REL = "crm_lead_reseller_declined_rel"  # crm.lead's reseller_declined_ids: (lead_id, partner_id)

# What a line reads of its lead (aliased ``l``): the summary's keys and measures, and for the report's
# lines the lead and its assignment date too (the summary ignores columns that are not its own).
RESELLER_LEAD_COLUMNS = f"""
    l.id AS lead_id, l.reseller_assigned_date, {LtReportSummary.LEAD_COLUMNS},
    l.type IS NOT DISTINCT FROM 'opportunity' AS is_opportunity,
    COALESCE(l.expected_revenue, 0) AS expected_revenue
"""

# Lines per reseller, declined or not, and what the lead's status, rules and measures read: stage,
# salesperson, team, company, archived, probability zero, opportunity. The reseller's level,
# activation, country and partnership date are read from the partner when the summary is read.
RESELLER_SUMMARY = LtReportSummary(
    table="lt_report_reseller_summary",
    keys={"reseller_id": "int4", "declined": "bool", **LtReportSummary.LEAD_KEYS, "is_opportunity": "bool"},
    measures=("expected_revenue",),
    watched={
        "crm_lead": (*LtReportSummary.LEAD_WATCHED, "reseller_id", "type", "expected_revenue"),
        DECLINED_REL: (),
    },
    children={"crm_lead": (DECLINED_REL, "lead_id")},
    source=[
        f"SELECT l.reseller_id, FALSE AS declined, {RESELLER_LEAD_COLUMNS}"
        " FROM {crm_lead} l WHERE l.reseller_id IS NOT NULL",
        f"SELECT d.partner_id AS reseller_id, TRUE AS declined, {RESELLER_LEAD_COLUMNS}"
        f" FROM {{{DECLINED_REL}}} d JOIN {{crm_lead}} l ON l.id = d.lead_id",
    ],
)


class CrmResellerReport(models.Model):
    """One line per lead and reseller: the lead's current reseller, and each reseller who declined it
    (a reseller who declined a lead and was given it again has both lines).

    The lead's salesperson and company are on the line, so crm's rules on leads apply to it."""

    _name = "crm.reseller.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Partnership Analysis"
    _auto = False
    _rec_name = "reseller_id"
    _order = "reseller_id, lead_id"
    _lt_summary = RESELLER_SUMMARY
    _lt_summary_keys = ("reseller_id", "level_id", "activation_id", "country_id", "partnership_date", "user_id",
                        "team_id", "company_id", "accepted_count", "declined_count", "opportunity_count",
                        "won_count", "acceptance_rate", "company_currency")
    _lt_summary_measures = ("won_revenue",)

    reseller_id = fields.Many2one("res.partner", string="Reseller", readonly=True)
    level_id = fields.Many2one("crm.reseller.level", string="Level", readonly=True)
    activation_id = fields.Many2one("crm.reseller.activation", string="Activation", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    partnership_date = fields.Date(readonly=True)
    date_assigned = fields.Datetime(string="Assigned On", readonly=True)
    accepted_count = fields.Integer(string="Accepted", readonly=True)
    declined_count = fields.Integer(string="Declined", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    won_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    acceptance_rate = fields.Float(
        string="Acceptance Rate (%)",
        readonly=True,
        group_operator="avg",
        help="Leads accepted among the leads the reseller answered (accepted or declined).",
    )
    answer_hours = fields.Float(
        string="Hours to Answer",
        readonly=True,
        group_operator="avg",
        help="Hours from the assignment to the reseller's first message on the lead.",
    )
    median_answer_hours = fields.Float(
        string="Median Hours to Answer",
        readonly=True,
        group_operator="max",
        help="Median over all the reseller's leads; meaningful when grouped by reseller.",
    )
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _lt_report_query(self):
        status = lt_status_sql("l.active", "s.is_won", "l.zero_probability")
        # The pairs are the summary's own lines (one definition of a line for both), and carry what the
        # line reads of its lead: the lead table is visited once per pair.
        return f"""
            WITH pairs AS ({RESELLER_SUMMARY.lines()}
            ), answers AS (
                SELECT p.lead_id, p.reseller_id,
                       EXTRACT(EPOCH FROM MIN(m.date) - MIN(p.reseller_assigned_date)) / 3600.0 AS hours
                FROM (SELECT DISTINCT lead_id, reseller_id, reseller_assigned_date FROM pairs) p
                JOIN mail_message m ON m.model = 'crm.lead' AND m.res_id = p.lead_id
                                   AND m.date >= p.reseller_assigned_date
                JOIN res_partner a ON a.id = m.author_id
                WHERE p.reseller_id IN (a.id, a.commercial_partner_id)
                GROUP BY p.lead_id, p.reseller_id
            ), medians AS (
                SELECT reseller_id, PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY hours) AS median
                FROM answers GROUP BY reseller_id
            )
            SELECT
                (l.lead_id::bigint * 100000000 + l.reseller_id) * 2 + l.declined::int AS id,
                l.reseller_id AS reseller_id,
                r.reseller_level_id AS level_id,
                r.reseller_activation_id AS activation_id,
                r.country_id AS country_id,
                r.reseller_partnership_date AS partnership_date,
                l.lead_id AS lead_id,
                l.user_id AS user_id,
                l.team_id AS team_id,
                l.company_id AS company_id,
                CASE WHEN NOT l.declined THEN l.reseller_assigned_date END AS date_assigned,
                CASE WHEN NOT l.declined AND l.is_opportunity THEN 1 ELSE 0 END AS accepted_count,
                l.declined::int AS declined_count,
                CASE WHEN NOT l.declined AND l.is_opportunity THEN 1 ELSE 0 END AS opportunity_count,
                CASE WHEN NOT l.declined AND {status} = 'won' THEN 1 ELSE 0 END AS won_count,
                CASE WHEN NOT l.declined AND {status} = 'won' THEN l.expected_revenue ELSE 0 END AS won_revenue,
                CASE WHEN l.declined THEN 0.0 WHEN l.is_opportunity THEN 100.0 END AS acceptance_rate,
                ans.hours AS answer_hours,
                med.median AS median_answer_hours,
                c.currency_id AS company_currency
            FROM pairs l
            JOIN res_partner r ON r.id = l.reseller_id
            LEFT JOIN crm_stage s ON s.id = l.stage_id
            LEFT JOIN res_company c ON c.id = l.company_id
            LEFT JOIN answers ans ON ans.lead_id = l.lead_id AND ans.reseller_id = l.reseller_id
            LEFT JOIN medians med ON med.reseller_id = l.reseller_id
        """

    def _lt_summary_query(self):
        won = "NOT s.declined AND st.status = 'won'"
        accepted = "NOT s.declined AND s.is_opportunity"
        return f"""
            SELECT s.reseller_id,
                   r.reseller_level_id AS level_id,
                   r.reseller_activation_id AS activation_id,
                   r.country_id AS country_id,
                   r.reseller_partnership_date AS partnership_date,
                   s.user_id, s.team_id, s.company_id,
                   c.currency_id AS company_currency,
                   s.lt_weight,
                   CASE WHEN {accepted} THEN 1 ELSE 0 END AS accepted_count,
                   s.declined::int AS declined_count,
                   CASE WHEN {accepted} THEN 1 ELSE 0 END AS opportunity_count,
                   CASE WHEN {won} THEN 1 ELSE 0 END AS won_count,
                   CASE WHEN {won} THEN s.expected_revenue ELSE 0 END AS won_revenue,
                   s.lt_weight AS won_revenue__n,
                   CASE WHEN s.declined THEN 0.0 WHEN s.is_opportunity THEN 100.0 END AS acceptance_rate
              FROM ({RESELLER_SUMMARY.rows()}) s
              JOIN res_partner r ON r.id = s.reseller_id
              LEFT JOIN res_company c ON c.id = s.company_id
              {LtReportSummary.STATUS_JOIN}
        """
