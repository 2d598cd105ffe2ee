from odoo import fields, models
from odoo.tools import SQL

from ._common import LT_LEAD_TYPES, LT_STATUS_SELECTION, LT_STATUS_SQL, LtColumn


class CrmLeadAttributionReport(models.Model):
    """One line per lead, archived ones included, with its marketing origin and outcome.

    Keeps a summary (leads per medium, source, campaign, salesperson, team, company, stage and status:
    ~35,000 rows at a million leads): its pivots add up those rows rather than scanning a million index
    entries per group-by level (the Medium › Source › Campaign favourite read four levels). Country,
    type and dates are the lines' own: reads on them scan the covering index
    ``lt_report_crm_lead_attribution_idx`` (~100 bytes a lead rather than the table's ~1.6 kB)."""

    _name = "crm.lead.attribution.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Marketing Attribution Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_attribution_idx",)
    _lt_summarised = True
    _lt_lead_field = "lt_attribution_report_ids"
    _rec_name = "lead_id"
    _order = "create_date desc, id desc"

    lead_type = fields.Selection(LT_LEAD_TYPES, string="Type", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    city = fields.Char(readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
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

    def _from(self, tables):
        return SQL("%s l LEFT JOIN crm_stage s ON s.id = l.stage_id", tables["crm_lead"])

    def _lt_columns(self):
        won = SQL("(%s) = 'won'", LT_STATUS_SQL)
        closed = SQL("(%s) IN ('won', 'lost')", LT_STATUS_SQL)
        return {
            "id": LtColumn("l.id", detail=True),
            **super()._lt_columns(),
            "lead_type": LtColumn("l.type", detail=True),
            "medium_id": LtColumn("l.medium_id"),
            "source_id": LtColumn("l.source_id"),
            "campaign_id": LtColumn("l.campaign_id"),
            "country_id": LtColumn("l.country_id", detail=True),
            "city": LtColumn("l.city", detail=True),
            "stage_id": LtColumn("l.stage_id"),
            "create_date": LtColumn("l.create_date", detail=True),
            "date_closed": LtColumn("l.date_closed", detail=True),
            "status": LtColumn(LT_STATUS_SQL),
            "is_active": LtColumn("l.active"),
            "opportunity_count": LtColumn("CASE WHEN l.type = 'opportunity' THEN 1 ELSE 0 END", additive=True),
            "won_count": LtColumn(SQL("CASE WHEN %s THEN 1 ELSE 0 END", won), additive=True),
            "won_rate": LtColumn(SQL("CASE WHEN %s THEN 100.0 WHEN %s THEN 0.0 END", won, closed), additive=True),
            "expected_revenue": LtColumn("COALESCE(l.expected_revenue, 0)", additive=True),
            "won_revenue": LtColumn(SQL("CASE WHEN %s THEN COALESCE(l.expected_revenue, 0) ELSE 0 END", won),
                                    additive=True),
            "days_to_close": LtColumn(
                SQL("CASE WHEN %s AND l.date_closed IS NOT NULL"
                    " THEN EXTRACT(EPOCH FROM l.date_closed - l.create_date) / 86400.0 END", closed),
                additive=True,
            ),
            "company_currency": LtColumn("c.currency_id", live=True),
        }

    def _lt_live_from(self):
        return SQL("LEFT JOIN res_company c ON c.id = b.company_id")
