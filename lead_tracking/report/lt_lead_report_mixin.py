from contextlib import contextmanager
from datetime import date, datetime, time

from odoo import api, fields, models
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from ._common import LT_SUMMARIES_PAUSED, lt_report_create_indexes, lt_report_create_view

# Aggregates a summary row answers for a field that has one value per row (a key): its lines share it.
LT_SUMMARY_KEY_AGGREGATES = {"sum", "avg", "count", "max", "min", "bool_and", "bool_or", "count_distinct"}
# Aggregates of an additive measure, kept per row as a sum and a count of non-empty values.
LT_SUMMARY_MEASURE_AGGREGATES = {"sum", "avg", "count"}
# Group-by granularities a day key answers (without a time zone): whole days and longer.
LT_SUMMARY_DAY_GRANULARITIES = {None, "day", "week", "month", "quarter", "year"}


class LtLeadReportMixin(models.AbstractModel):
    """What the six SQL-view reports share: one line per lead (or per lead and activity or reseller)
    carrying the columns crm's record rules on leads read, so that the reports' rules mirror them."""

    _name = "lt.lead.report.mixin"
    _description = "Lead Tracking Report"

    # Names of the indexes (see _common.LT_REPORT_INDEXES) the report's queries need.
    _lt_report_indexes = ()
    # Optional running aggregate of the report's lines (_common.LtReportSummary) and the report fields
    # its rows carry: keys (one value per row) and additive measures (``f`` a sum, ``f__n`` a count).
    _lt_summary = None
    _lt_summary_keys = ()
    _lt_summary_measures = ()
    # Datetime keys the summary holds truncated to the day (UTC): it answers reads on them only when
    # that gives the lines' answer (whole-day bounds, groups of a day or more without a time zone).
    _lt_summary_days = ()

    lead_id = fields.Many2one("crm.lead", string="Lead", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)

    def _lt_report_query(self):
        """The SELECT the report's view is made of."""
        raise NotImplementedError

    def _lt_summary_query(self):
        """The SELECT of the summary's rows as report columns: the keys, ``lt_weight`` (lines in the
        row) and, per measure, its sum and ``<measure>__n``."""
        raise NotImplementedError

    @property
    def _table_query(self):
        # Grouped reads the summary can answer read it instead of the lines (see _read_group).
        if self._lt_summary and self.env.context.get("lt_report_summary"):
            return self._lt_summary_query()
        return None

    def init(self):
        if self._abstract:
            return
        lt_report_create_indexes(self.env.cr, self._lt_report_indexes)
        lt_report_create_view(self.env.cr, self._table, self._lt_report_query())
        if self._lt_summary:
            self._lt_summary.install(self.env.cr)

    @api.model
    def _lt_report_summaries(self):
        """The summaries (_common.LtReportSummary) of every report model."""
        return [
            model._lt_summary
            for model in self.env.registry.values()
            if not model._abstract and getattr(model, "_lt_summary", None)
        ]

    @api.model
    def _lt_report_rebuild_summaries(self):
        """Recount every report summary from the leads and activities (daily, and after bulk loads)."""
        self.env.flush_all()
        for summary in self._lt_report_summaries():
            summary.rebuild(self.env.cr)

    @api.model
    @contextmanager
    def _lt_report_summaries_recounted(self):
        """Run the block with this transaction's summary triggers paused, then recount the summaries:
        for work that rewrites many leads, whose differences the recount would replace anyway."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT set_config(%s, 'on', true)", [LT_SUMMARIES_PAUSED])
        try:
            yield
            self._lt_report_rebuild_summaries()
        finally:
            cr.execute("SELECT set_config(%s, 'off', true)", [LT_SUMMARIES_PAUSED])

    def _lt_summary_answers(self, domain, groupby, aggregates, having, order):
        """Whether every field the read (and the user's record rules) touches is on the summary rows."""
        keys, measures = set(self._lt_summary_keys), set(self._lt_summary_measures)

        def aggregate_ok(spec):
            if spec == "__count":
                return True
            fname, _property, func = parse_read_group_spec(spec)
            if fname in measures:
                return func in LT_SUMMARY_MEASURE_AGGREGATES
            return fname in keys and fname not in self._lt_summary_days and func in LT_SUMMARY_KEY_AGGREGATES

        rules = self.env["ir.rule"]._compute_domain(self._name, "read") or []
        leaves = [leaf for leaf in [*domain, *rules] if isinstance(leaf, (list, tuple)) and len(leaf) == 3]
        if any(isinstance(leaf[0], str) and leaf[0].split(".")[0] not in keys for leaf in leaves):
            return False
        if any(leaf[0] in self._lt_summary_days and not self._lt_summary_whole_day(leaf) for leaf in leaves):
            return False
        utc = self.env.context.get("tz") in (None, False, "UTC")
        for spec in groupby:
            fname, _property, granularity = parse_read_group_spec(spec)
            if fname not in keys:
                return False
            if fname in self._lt_summary_days and not (utc and granularity in LT_SUMMARY_DAY_GRANULARITIES):
                return False
        having_specs = [leaf[0] for leaf in having if isinstance(leaf, (list, tuple)) and len(leaf) == 3]
        order_terms = [part.split()[0] for part in (order or "").split(",") if part.strip()]
        return all(
            aggregate_ok(spec) for spec in [*aggregates, *having_specs, *(t for t in order_terms if t not in groupby)]
        )

    @staticmethod
    def _lt_summary_whole_day(leaf):
        """Whether a domain leaf on a day key selects whole days: ``>=`` or ``<`` a midnight."""
        _fname, operator, value = leaf
        if operator not in (">=", "<"):
            return False
        if isinstance(value, str):
            try:
                value = fields.Datetime.to_datetime(value)
            except ValueError:
                return False
        elif isinstance(value, date) and not isinstance(value, datetime):
            return True
        return isinstance(value, datetime) and value == datetime.combine(value.date(), time.min)

    def _read_group_select(self, aggregate_spec, query):
        if not (self._lt_summary and self.env.context.get("lt_report_summary")):
            return super()._read_group_select(aggregate_spec, query)
        weight = SQL.identifier(self._table, "lt_weight")
        if aggregate_spec == "__count":
            return SQL("SUM(%s)::bigint", weight), []
        fname, _property, func = parse_read_group_spec(aggregate_spec)
        column = SQL.identifier(self._table, fname)
        if fname in self._lt_summary_measures:
            counted = SQL.identifier(self._table, f"{fname}__n")
            sql = {
                "sum": SQL("SUM(%s)::float8", column),
                "avg": SQL("(SUM(%s) / NULLIF(SUM(%s), 0))::float8", column, counted),
                "count": SQL("SUM(%s)::bigint", counted),
            }[func]
            return sql, [fname]
        # A key: each row stands for lt_weight lines sharing its value.
        present = SQL("CASE WHEN %s IS NOT NULL THEN %s END", column, weight)
        cast = SQL("bigint") if self._fields[fname].type == "integer" else SQL("float8")
        if func == "sum":
            return SQL("SUM(%s * %s)::%s", column, weight, cast), [fname]
        if func == "avg":
            return SQL("(SUM(%s * %s)::float8 / NULLIF(SUM(%s), 0))", column, weight, present), [fname]
        if func == "count":
            return SQL("SUM(%s)::bigint", present), [fname]
        return super()._read_group_select(aggregate_spec, query)

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # lt_report_summary: None = read the summary when it can answer, False = always read the lines.
        if (
            self._lt_summary
            and self.env.context.get("lt_report_summary") is None
            and self._lt_summary_answers(domain, groupby, aggregates, having, order)
        ):
            summary = self.with_context(lt_report_summary=True)
            return summary._read_group(domain, groupby, aggregates, having, offset, limit, order)
        if not groupby or limit or offset or (order and order != ",".join(groupby)):
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        # Ordering many2one groups in SQL (salespeople by name, stages by sequence) joins that table
        # to every line before aggregating: a million joined lines for a few groups. Aggregate in the
        # columns' own order instead, then order the few groups as the ORM would have.
        rows = super()._read_group(domain, groupby, aggregates, having)
        keys = [self._lt_report_group_key(spec, [row[position] for row in rows])
                for position, spec in enumerate(groupby)]
        return sorted(rows, key=lambda row: tuple(key(row[position]) for position, key in enumerate(keys)))

    def _lt_report_group_key(self, spec, values):
        """Sort key of one groupby term's values, empty values last (as PostgreSQL sorts NULLs)."""
        field = self._fields[spec.split(":")[0].split(".")[0]]
        if field.type == "many2one":
            records = self.env[field.comodel_name].browse({value.id for value in values if value})
            ordered = records.sudo().with_context(active_test=False).sorted()
            rank = {record_id: position for position, record_id in enumerate(ordered.ids)}
            return lambda value: (0, rank.get(value.id, len(rank))) if value else (1, 0)
        if field.type == "boolean":
            return lambda value: (0, bool(value))
        return lambda value: (1, 0) if value is None or value is False else (0, value)
