from odoo import _, api, fields, models
from odoo.models import parse_read_group_spec
from odoo.osv import expression
from odoo.tools import SQL

from ._common import LT_STATUS_SELECTION, LT_STATUS_SQL, LtColumn

SCORE_BUCKETS = [(str(b), f"{b * 10}-{b * 10 + 10}%") for b in range(10)]
SERIES = [("predicted", "Predicted"), ("actual", "Actual")]
# The closing-score bucket (0-9) of a lead aliased ``l``.
SCORE_BUCKET_SQL = SQL("LEAST(GREATEST(FLOOR(COALESCE(l.closing_score, 0) / 10), 0), 9)::int")
CLOSED_SQL = SQL("(%s) IN ('won', 'lost')", LT_STATUS_SQL)
WON_SQL = SQL("(%s) = 'won'", LT_STATUS_SQL)
# Measures computed from the others when read: the series' won rate and the calibration error.
VIRTUAL_MEASURES = ("won_rate", "calibration_error")


class CrmLeadScoringReport(models.Model):
    """One line per lead: closed ones feed the calibration (predicted vs actual won rate by closing-score
    bucket, the Brier score and the expected calibration error), open ones the pipeline by score tier.

    ``series`` (Predicted / Actual) is a dimension without lines of its own: grouped by it, each group
    comes twice, its ``won_rate`` the predicted (average closing score) or the actual (share won) rate
    of the closed leads in it, so that the graph shows both side by side. ``calibration_error`` is the
    expected calibration error of each group: the closed leads' gap between predicted and actual rate
    in each closing-score bucket, weighted by the bucket's leads.

    Keeps a summary (leads per stage, salesperson, team, company, status, bucket and tier): the
    calibration reads every closed lead, ~0.5 s at a million leads from the lines (docs/reports.md)."""

    _name = "crm.lead.scoring.report"
    _inherit = "lt.lead.report.mixin"
    _description = "Lead Scoring Analysis"
    _auto = False
    _lt_report_indexes = ("lt_report_crm_lead_scoring_idx",)
    _lt_summarised = True
    _lt_lead_field = "lt_scoring_report_ids"
    _rec_name = "lead_id"
    # Newest lead first: the primary key orders the first page without sorting every closed lead by its
    # closing date (a CASE over the status, which no index holds).
    _order = "id desc"

    stage_id = fields.Many2one("crm.stage", readonly=True)
    date = fields.Datetime(readonly=True, help="Closing date of closed leads, creation date of open ones.")
    status = fields.Selection(LT_STATUS_SELECTION, readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    score_bucket = fields.Selection(SCORE_BUCKETS, string="Closing Score", readonly=True)
    score_tier = fields.Selection([("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")], readonly=True)
    series = fields.Selection(SERIES, readonly=True, help="Predicted or actual won rate (group by it to compare).")
    closed_count = fields.Integer(string="Closed Leads", readonly=True, help="Leads won or lost.")
    won_rate = fields.Float(
        string="Won Rate (%)",
        readonly=True,
        group_operator="avg",
        help="Grouped by series: the predicted (average closing score) or the actual won rate of the closed leads.",
    )
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
    brier_score = fields.Float(
        readonly=True,
        group_operator="avg",
        digits=(16, 4),
        help="Mean squared gap between the closing score (as a probability) and the outcome (1 won, 0 lost), "
        "over the closed leads: 0 is perfect, 0.25 is a coin toss.",
    )
    calibration_error = fields.Float(
        string="Calibration Error (%)",
        readonly=True,
        group_operator="avg",
        help="Expected calibration error: the gap between predicted and actual won rate in each closing-score "
        "bucket, weighted by the bucket's closed leads.",
    )
    probability = fields.Float(readonly=True, group_operator="avg")
    expected_revenue = fields.Monetary(readonly=True, currency_field="company_currency")
    weighted_revenue = fields.Monetary(
        readonly=True,
        currency_field="company_currency",
        help="Expected revenue times probability.",
    )
    company_currency = fields.Many2one("res.currency", readonly=True)

    def _from(self, tables):
        return SQL("%s l LEFT JOIN crm_stage s ON s.id = l.stage_id", tables["crm_lead"])

    def _lt_columns(self):
        return {
            "id": LtColumn("l.id", detail=True),
            **super()._lt_columns(),
            "stage_id": LtColumn("l.stage_id"),
            "date": LtColumn(
                SQL("CASE WHEN %s THEN COALESCE(l.date_closed, l.write_date) ELSE l.create_date END", CLOSED_SQL),
                detail=True,
            ),
            "status": LtColumn(LT_STATUS_SQL),
            "is_closed": LtColumn(CLOSED_SQL),
            "score_bucket": LtColumn(SQL("CASE WHEN %s THEN (%s)::varchar END", CLOSED_SQL, SCORE_BUCKET_SQL)),
            "score_tier": LtColumn(SQL("CASE WHEN (%s) = 'open' THEN l.score_tier END", LT_STATUS_SQL)),
            "series": LtColumn("NULL::varchar", live=True),
            "closed_count": LtColumn(SQL("CASE WHEN %s THEN 1 ELSE 0 END", CLOSED_SQL), additive=True),
            "won_rate": LtColumn("NULL::float8", live=True),
            "predicted_won_rate": LtColumn(SQL("CASE WHEN %s THEN COALESCE(l.closing_score, 0) END", CLOSED_SQL),
                                           additive=True),
            "actual_won_rate": LtColumn(SQL("CASE WHEN %s THEN 100.0 WHEN %s THEN 0.0 END", WON_SQL, CLOSED_SQL),
                                        additive=True),
            "brier_score": LtColumn(
                SQL("CASE WHEN %s THEN POWER(COALESCE(l.closing_score, 0) / 100.0 - CASE WHEN %s THEN 1 ELSE 0 END, 2)"
                    " END", CLOSED_SQL, WON_SQL),
                additive=True,
            ),
            "calibration_error": LtColumn("NULL::float8", live=True),
            "probability": LtColumn("l.probability", additive=True),
            "expected_revenue": LtColumn("COALESCE(l.expected_revenue, 0)", additive=True),
            "weighted_revenue": LtColumn("COALESCE(l.expected_revenue, 0) * COALESCE(l.probability, 0) / 100.0",
                                         additive=True),
            "company_currency": LtColumn("c.currency_id", live=True),
        }

    def _lt_live_from(self):
        return SQL("LEFT JOIN res_company c ON c.id = b.company_id")

    # ------------------------------------------------------------------ series and calibration
    @api.model
    def _lt_report_domain(self, domain):
        """The lines of both series are the same lines: a series leaf selects all of them."""
        return [
            expression.TRUE_LEAF if isinstance(leaf, (list, tuple)) and len(leaf) == 3 and leaf[0] == "series"
            else leaf
            for leaf in expression.normalize_domain(list(domain or []))
        ]

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, access_rights_uid=None):
        return super()._search(self._lt_report_domain(domain), offset, limit, order, access_rights_uid)

    @api.model
    def _lt_expanded_groups(self, fname, domain):
        # Every bucket and both series, so that the calibration graph shows empty buckets at 0.
        if fname == "score_bucket":
            return [key for key, _label in SCORE_BUCKETS]
        if fname == "series":
            return [key for key, _label in SERIES]
        return None

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        domain = self._lt_report_domain(domain)
        virtual = [spec for spec in aggregates if parse_read_group_spec(spec)[0] in VIRTUAL_MEASURES]
        if "series" not in groupby and not virtual:
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        base_groupby = [spec for spec in groupby if spec != "series"]
        rates = ["predicted_won_rate:avg", "actual_won_rate:avg"]
        base_aggregates = [spec for spec in aggregates if spec not in virtual] + rates
        rows = super()._read_group(domain, base_groupby, base_aggregates, having, offset, limit)
        errors = self._lt_calibration_errors(domain, base_groupby) if any(
            spec.startswith("calibration_error") for spec in virtual) else {}
        size = len(base_groupby)
        result = []
        for row in rows:
            groups, values = row[:size], dict(zip(base_aggregates, row[size:], strict=True))
            values["calibration_error"] = errors.get(tuple(self._lt_group_value(value) for value in groups))
            for series in ([key for key, _label in SERIES] if "series" in groupby else [None]):
                values["won_rate"] = values[f"{series or 'actual'}_won_rate:avg"]
                keys = iter(groups)
                out = [series if spec == "series" else next(keys) for spec in groupby]
                out += [values.get(spec, values.get(parse_read_group_spec(spec)[0])) for spec in aggregates]
                result.append(tuple(out))
        return result

    def _lt_calibration_errors(self, domain, groupby):
        """{group key: expected calibration error (%)} of the closed lines matching ``domain``, per group of
        ``groupby``: sum over closing-score buckets of |predicted - actual| x the bucket's closed leads,
        over the group's closed leads."""
        rows = self._read_group(
            expression.AND([domain, [("is_closed", "=", True)]]),
            [*groupby, *([] if "score_bucket" in groupby else ["score_bucket"])],
            ["closed_count:sum", "predicted_won_rate:avg", "actual_won_rate:avg"],
        )
        gaps, counts = {}, {}
        size = len(groupby)
        for row in rows:
            key = tuple(self._lt_group_value(value) for value in row[:size])
            closed, predicted, actual = row[-3:]
            if not closed:
                continue
            gaps[key] = gaps.get(key, 0.0) + closed * abs((predicted or 0.0) - (actual or 0.0))
            counts[key] = counts.get(key, 0) + closed
        return {key: gaps[key] / counts[key] for key in gaps}

    @api.model
    def lt_calibration(self, domain=None):
        """Calibration of the closed leads matching ``domain`` (the period and filters the user shows):
        {closed, brier_score, calibration_error (%), buckets: [{bucket, closed, predicted, actual}]}."""
        domain = expression.AND([self._lt_report_domain(domain), [("is_closed", "=", True)]])
        buckets = self._read_group(domain, ["score_bucket"],
                                   ["closed_count:sum", "predicted_won_rate:avg", "actual_won_rate:avg"])
        (total,) = self._read_group(domain, [], ["closed_count:sum", "brier_score:avg"])
        error = self._lt_calibration_errors(domain, []).get((), 0.0)
        return {
            "closed": total[0] or 0,
            "brier_score": total[1] or 0.0,
            "calibration_error": error,
            "buckets": [
                {"bucket": bucket, "closed": closed, "predicted": predicted or 0.0, "actual": actual or 0.0}
                for bucket, closed, predicted, actual in buckets
            ],
        }

    def action_lt_calibration(self):
        """The list's *Calibration* button: the Brier score and expected calibration error of the lines
        shown (the search's domain, or the selected lines)."""
        domain = [("id", "in", self.ids)] if self else self.env.context.get("active_domain") or []
        figures = self.lt_calibration(domain)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Calibration of %(closed)s closed leads", closed=figures["closed"]),
                "message": _(
                    "Brier score %(brier).4f (0 is perfect, 0.25 a coin toss); expected calibration error "
                    "%(ece).1f points.",
                    brier=figures["brier_score"], ece=figures["calibration_error"],
                ),
                "sticky": True,
                "type": "info",
            },
        }
