from odoo import fields, models
from odoo.tools import SQL

from ._common import LT_LEAD_TYPES, LtColumn


class CrmLeadUnattendedReport(models.Model):
    """One line per open activity due on or before today (plus the company's horizon) on an active lead
    that has a salesperson and is neither won nor lost.

    Keeps a summary (due activities per stage, salesperson, team, company, lead type, activity type and
    due date): its default read adds up a few thousand rows instead of every due activity (see
    docs/reports.md for the figures)."""

    _name = "crm.lead.unattended.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Unattended Leads"
    _auto = False
    _lt_report_indexes = ("lt_report_mail_activity_lead_deadline_idx", "lt_report_crm_lead_active_assigned_idx")
    _lt_tables = ("mail_activity", "crm_lead")
    _lt_summarised = True
    _lt_lead_field = "lt_unattended_report_ids"
    _rec_name = "lead_id"
    _order = "date_deadline, id"

    lead_type = fields.Selection(LT_LEAD_TYPES, string="Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    activity_type_id = fields.Many2one("mail.activity.type", readonly=True)
    activity_user_id = fields.Many2one("res.users", string="Activity Assigned To", readonly=True)
    summary = fields.Char(readonly=True)
    date_deadline = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(
        readonly=True,
        group_operator="avg",
        help="Days between the due date and today (negative: due within the horizon).",
    )
    max_days_overdue = fields.Integer(string="Most Days Overdue", readonly=True, group_operator="max")
    probability = fields.Float(readonly=True, group_operator="avg")
    date_closing = fields.Date(string="Expected Closing", readonly=True)
    expected_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _from(self, tables):
        return SQL(
            "%s a JOIN %s l ON l.id = a.res_id LEFT JOIN crm_stage s ON s.id = l.stage_id",
            tables["mail_activity"], tables["crm_lead"],
        )

    def _where(self):
        return SQL(
            "a.res_model = 'crm.lead' AND a.active AND l.active AND l.user_id IS NOT NULL"
            " AND NOT COALESCE(s.is_won, FALSE)"
        )

    def _lt_columns(self):
        return {
            "id": LtColumn("a.id", detail=True),
            **super()._lt_columns(),
            "lead_id": LtColumn("a.res_id", detail=True),
            "lead_type": LtColumn("l.type"),
            "stage_id": LtColumn("l.stage_id"),
            "activity_type_id": LtColumn("a.activity_type_id"),
            "activity_user_id": LtColumn("a.user_id", detail=True),
            "summary": LtColumn("a.summary", detail=True),
            "date_deadline": LtColumn("a.date_deadline"),
            "days_overdue": LtColumn("CURRENT_DATE - b.date_deadline", live=True),
            "max_days_overdue": LtColumn("CURRENT_DATE - b.date_deadline", live=True),
            "probability": LtColumn("l.probability", additive=True),
            "date_closing": LtColumn("l.date_deadline", detail=True),
            "expected_revenue": LtColumn("l.expected_revenue", additive=True),
            "company_currency": LtColumn("c.currency_id", live=True),
        }

    def _lt_live_from(self):
        return SQL("LEFT JOIN res_company c ON c.id = b.company_id")

    def _lt_live_where(self):
        # The first bound (the largest horizon of all companies) is a constant the planner can use on
        # the partial activity index; the second one applies the lead's own company horizon.
        return SQL(
            "b.date_deadline <= CURRENT_DATE + (SELECT COALESCE(MAX(lt_unattended_horizon_days), 0) FROM res_company)"
            " AND b.date_deadline <= CURRENT_DATE + COALESCE(c.lt_unattended_horizon_days, 0)"
        )
