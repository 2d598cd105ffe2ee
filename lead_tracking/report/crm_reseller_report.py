from odoo import api, fields, models
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from ._common import LT_STATUS_SQL, LtColumn

DECLINED_REL = "crm_lead_reseller_declined_rel"  # crm.lead's reseller_declined_ids: (lead_id, partner_id)
WON_SQL = SQL("(%s) = 'won'", LT_STATUS_SQL)


class CrmResellerReport(models.Model):
    """One line per lead and reseller: the lead's current reseller, and each reseller who declined it
    (a reseller who declined a lead and was given it again has both lines).

    The lead's salesperson and company are on the line, so crm's rules on leads apply to it. The
    reseller's level, activation, country and partnership date are read from the partner when read.

    Keeps a summary (lines per reseller, declined or not, salesperson, team, company, status, type): its
    default graph and pivot add up a few thousand rows (docs/reports.md). Hours to answer run from the
    offer to the reseller's first message on the lead (``reseller_answered_date``, kept as messages are
    posted) or to its decline (the declines relation's ``lt_declined_date``)."""

    _name = "crm.reseller.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Partnership Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_reseller_idx",)
    _lt_tables = ("crm_lead", DECLINED_REL)
    _lt_summarised = True
    _lt_summary_children = {"crm_lead": (DECLINED_REL, "lead_id")}
    _lt_lead_field = "lt_reseller_report_ids"
    _rec_name = "reseller_id"
    _order = "reseller_id, lead_id"

    reseller_id = fields.Many2one("res.partner", readonly=True)
    level_id = fields.Many2one("crm.reseller.level", readonly=True)
    activation_id = fields.Many2one("crm.reseller.activation", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    partnership_date = fields.Date(readonly=True)
    is_declined = fields.Boolean(string="Declined", readonly=True)
    date_assigned = fields.Datetime(string="Assigned On", readonly=True)
    accepted_count = fields.Integer(string="Accepted", readonly=True)
    declined_count = fields.Integer(string="Declined Leads", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    won_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    acceptance_rate = fields.Float(
        string="Acceptance (%)",
        readonly=True,
        group_operator="avg",
        help="Leads accepted among the leads the reseller answered (accepted or declined).",
    )
    answer_hours = fields.Float(
        string="Hours to Answer",
        readonly=True,
        group_operator="avg",
        help="Hours from the offer to the reseller's first message on the lead, or to its decline, over the "
        "lines the reseller answered.",
    )
    median_answer_hours = fields.Float(
        string="Median Hours to Answer",
        readonly=True,
        group_operator="max",
        help="Median of the hours to answer of the lines in the group.",
    )
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _lt_parts(self, tables):
        # Each part names, as ``p``, the line's reseller, whether it declined, the line's id (the lead's
        # own for its current reseller, so that reading lines by id uses the lead's primary key), and
        # when the reseller was offered the lead and answered (its first message; for a decline, the
        # decline; an offer to a declining reseller from before this was kept counts from the lead's
        # creation).
        stage = SQL("LEFT JOIN crm_stage s ON s.id = l.stage_id")
        current = (
            {"crm_lead"},
            SQL("%s l %s CROSS JOIN LATERAL (SELECT l.reseller_id AS reseller_id, FALSE AS declined, l.id::bigint"
                " AS line_id, l.reseller_assigned_date AS offered, l.reseller_answered_date AS answered) p",
                tables["crm_lead"], stage),
            SQL("l.reseller_id IS NOT NULL"),
        )
        declined = (
            {"crm_lead", DECLINED_REL},
            SQL("%s d JOIN %s l ON l.id = d.lead_id %s"
                " CROSS JOIN LATERAL (SELECT d.partner_id AS reseller_id, TRUE AS declined,"
                " 4294967296 + (d.lead_id::bigint * 100000000 + d.partner_id) AS line_id,"
                " COALESCE(d.lt_offered_date, l.create_date) AS offered, d.lt_declined_date AS answered) p",
                tables[DECLINED_REL], tables["crm_lead"], stage),
            SQL("TRUE"),
        )
        return [current, declined]

    def _lt_columns(self):
        accepted = SQL("NOT p.declined AND l.type IS NOT DISTINCT FROM 'opportunity'")
        answer = SQL("EXTRACT(EPOCH FROM p.answered - p.offered) / 3600.0")
        return {
            "id": LtColumn("p.line_id", detail=True),
            **super()._lt_columns(),
            "reseller_id": LtColumn("p.reseller_id"),
            "is_declined": LtColumn("p.declined"),
            "level_id": LtColumn("r.reseller_level_id", live=True),
            "activation_id": LtColumn("r.reseller_activation_id", live=True),
            "country_id": LtColumn("r.country_id", live=True),
            "partnership_date": LtColumn("r.reseller_partnership_date", live=True),
            "date_assigned": LtColumn("CASE WHEN NOT p.declined THEN l.reseller_assigned_date END", detail=True),
            "accepted_count": LtColumn(SQL("CASE WHEN %s THEN 1 ELSE 0 END", accepted), additive=True),
            "declined_count": LtColumn("p.declined::int", additive=True),
            "opportunity_count": LtColumn(SQL("CASE WHEN %s THEN 1 ELSE 0 END", accepted), additive=True),
            "won_count": LtColumn(SQL("CASE WHEN NOT p.declined AND %s THEN 1 ELSE 0 END", WON_SQL), additive=True),
            "won_revenue": LtColumn(
                SQL("CASE WHEN NOT p.declined AND %s THEN COALESCE(l.expected_revenue, 0) ELSE 0 END", WON_SQL),
                additive=True,
            ),
            "acceptance_rate": LtColumn(
                SQL("CASE WHEN p.declined THEN 0.0 WHEN %s THEN 100.0 END", accepted), additive=True
            ),
            "answer_hours": LtColumn(answer, additive=True),
            "median_answer_hours": LtColumn(answer, detail=True),
            "company_currency": LtColumn("c.currency_id", live=True),
        }

    def _lt_live_from(self):
        return SQL("JOIN res_partner r ON r.id = b.reseller_id LEFT JOIN res_company c ON c.id = b.company_id")

    def _read_group_select(self, aggregate_spec, query):
        fname, _property, _func = parse_read_group_spec(aggregate_spec) if aggregate_spec != "__count" else ("",) * 3
        if fname == "median_answer_hours":
            column = SQL.identifier(self._table, "answer_hours")
            return SQL("PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s)", column), [fname]
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _lt_expanded_groups(self, fname, domain):
        # Every level and activation that resellers have, with or without leads.
        if fname in ("level_id", "activation_id"):
            column = {"level_id": "reseller_level_id", "activation_id": "reseller_activation_id"}[fname]
            resellers = self.env["res.partner"].sudo().search([(column, "!=", False)])
            records = resellers[column].sorted()
            return [(record.id, record.display_name) for record in records]
        return None
