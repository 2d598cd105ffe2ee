from contextlib import contextmanager
from datetime import date, datetime, time

from odoo import _, api, fields, models
from odoo.models import parse_read_group_spec
from odoo.osv import expression
from odoo.tools import SQL

from ._common import (
    LT_REPORT_RETIRED_SUMMARIES,
    LT_SUMMARIES_PAUSED,
    LtColumn,
    LtReportSummary,
    lt_report_create_indexes,
    lt_report_create_view,
    lt_report_drop_summary,
)

# Aggregates a summary row answers for a key: its lines share the key's value.
LT_SUMMARY_KEY_AGGREGATES = {"sum", "avg", "count", "max", "min", "bool_and", "bool_or", "count_distinct"}
# Aggregates of an additive measure, kept per row as a sum and a count of non-empty values.
LT_SUMMARY_MEASURE_AGGREGATES = {"sum", "avg", "count"}
# Group-by granularities a day key answers (without a time zone): whole days and longer.
LT_SUMMARY_DAY_GRANULARITIES = {None, "day", "week", "month", "quarter", "year"}
# Models the lines point to that hold few records (the reports' dimensions): a condition on their
# fields is resolved to their ids before the lines are read (see _lt_resolve_dimensions).
LT_REPORT_DIMENSIONS = {
    "res.users", "crm.team", "crm.tag", "crm.stage", "crm.lost.reason", "utm.source", "utm.medium",
    "utm.campaign", "res.company", "res.country", "res.country.state", "mail.activity.type",
    "crm.reseller.level", "crm.reseller.activation",
}


class LtLeadReportMixin(models.AbstractModel):
    """What the six SQL-view reports share.

    A report declares its lines once:

    - ``_from(tables)`` and ``_where()``: the tables its lines come from (``tables`` maps each table
      of ``_lt_tables`` to the relation to read it from: the table itself for the view, a trigger's
      transition table for a summary), or ``_lt_parts(tables)`` for lines made of several SELECTs;
    - ``_lt_columns()``: every column, as an :class:`~._common.LtColumn` (its SQL expression and
      whether it adds up), which makes the view's ``_select()``;
    - ``_lt_live_from()`` / ``_lt_live_where()``: the joins and condition its live columns read,
      applied on top of the lines (aliased ``b``) when they are read;
    - ``_lt_summarised``: whether it keeps a summary (:class:`~._common.LtReportSummary`), derived
      from the same declarations, kept only where it pays (see docs/reports.md).

    Every line carries the columns crm's record rules on leads read (salesperson, team, company), so
    that the reports' rules mirror crm's, and the lead it comes from (``lead_id``): any set of lines
    opens as the crm leads behind it (``lt_action_open_leads``)."""

    _name = "lt.lead.report.mixin"
    _description = "Lead Tracking Report"

    # Names of the indexes (see _common.LT_REPORT_INDEXES) the report's queries need.
    _lt_report_indexes = ()
    # The tables ``_from`` reads: a summary's triggers watch them.
    _lt_tables = ("crm_lead",)
    # Whether the report keeps a summary, and which relation rows its lead deletions cascade to.
    _lt_summarised = False
    _lt_summary_children = None
    # The crm.lead one2many of the report's lines (see models/crm_lead.py): the click-through's domain.
    _lt_lead_field = None

    lead_id = fields.Many2one("crm.lead", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    # ------------------------------------------------------------------ declaration
    def _from(self, tables):
        """FROM of the lines (SQL), reading each table of ``_lt_tables`` from ``tables[table]``."""
        raise NotImplementedError

    def _where(self):
        """WHERE condition of the lines (SQL)."""
        return SQL("TRUE")

    def _lt_parts(self, tables):
        """The SELECTs the lines are made of: [(tables read, FROM, WHERE)], added up (UNION ALL)."""
        return [(set(self._lt_tables), self._from(tables), self._where())]

    def _lt_columns(self):
        """{field name: LtColumn} of every column of the report."""
        return {
            "lead_id": LtColumn("l.id", detail=True),
            "user_id": LtColumn("l.user_id"),
            "team_id": LtColumn("l.team_id"),
            "company_id": LtColumn("l.company_id"),
        }

    def _lt_live_from(self):
        """Joins the live columns read, on the lines aliased ``b`` (SQL)."""
        return SQL("")

    def _lt_live_where(self):
        """Condition on the lines aliased ``b`` and the live joins, applied when read (SQL)."""
        return SQL("TRUE")

    # ------------------------------------------------------------------ derived SQL
    def _select(self):
        """SELECT list of the lines: every stored column, under its field name."""
        return SQL(", ").join(
            SQL("%s AS %s", column.sql, SQL.identifier(name))
            for name, column in self._lt_columns().items()
            if not column.live
        )

    def _lt_read_sql(self, lines):
        """The report's columns over ``lines`` (aliased ``b``): the stored ones and the live ones."""
        live = [SQL("%s AS %s", column.sql, SQL.identifier(name))
                for name, column in self._lt_columns().items() if column.live]
        return SQL(
            "SELECT %s FROM (%s) b %s WHERE %s",
            SQL(", ").join([SQL("b.*"), *live]),
            lines,
            self._lt_live_from(),
            self._lt_live_where(),
        )

    def _lt_lines_sql(self):
        """SELECT of the report's lines: what its view is made of."""
        relations = {table: SQL.identifier(table) for table in self._lt_tables}
        lines = SQL(" UNION ALL ").join(
            SQL("SELECT %s FROM %s WHERE %s", self._select(), from_sql, where_sql)
            for _reads, from_sql, where_sql in self._lt_parts(relations)
        )
        return self._lt_read_sql(lines)

    @property
    def _lt_summary(self):
        """The report's summary (LtReportSummary), or None."""
        if not self._lt_summarised:
            return None
        return LtReportSummary(self, children=self._lt_summary_children)

    @property
    def _table_query(self):
        # Only the reads the router sends to the summary (see _read_group) set lt_report_summary.
        if self._lt_summarised and self.env.context.get("lt_report_summary"):
            return SQL("(%s)", self._lt_read_sql(self._lt_summary.rows()))
        return None

    def init(self):
        if self._abstract:
            return
        lt_report_create_indexes(self.env.cr, self._lt_report_indexes)
        lt_report_create_view(self.env.cr, self._table, self._lt_lines_sql())
        # Summaries of earlier versions, or one this version no longer keeps, go with their triggers.
        for name in LT_REPORT_RETIRED_SUMMARIES:
            lt_report_drop_summary(self.env.cr, name)
        if self._lt_summarised:
            self._lt_summary.install(self.env.cr)
        else:
            lt_report_drop_summary(self.env.cr, f"{self._table}_summary")

    @api.model
    def _lt_report_summaries(self):
        """The summaries (_common.LtReportSummary) of every report model."""
        return [
            self.env[name]._lt_summary
            for name, model in self.env.registry.items()
            if not model._abstract and getattr(model, "_lt_summarised", False)
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
        cr.execute(SQL("SELECT set_config(%s, 'on', true)", LT_SUMMARIES_PAUSED))
        try:
            yield
            self._lt_report_rebuild_summaries()
        finally:
            cr.execute(SQL("SELECT set_config(%s, 'off', true)", LT_SUMMARIES_PAUSED))

    # ------------------------------------------------------------------ read routing
    def _lt_summary_answers(self, domain, groupby, aggregates, having, order):
        """Whether every field the read (and the user's record rules) touches is on the summary rows:
        its keys, its live columns and its additive measures."""
        columns = self._lt_columns()
        keys = {name for name, column in columns.items() if not (column.additive or column.detail)}
        measures = {name for name, column in columns.items() if column.additive}
        days = {name for name, column in columns.items() if column.day}

        def aggregate_ok(spec):
            if spec == "__count":
                return True
            fname, _property, func = parse_read_group_spec(spec)
            if fname in measures:
                return func in LT_SUMMARY_MEASURE_AGGREGATES
            return fname in keys and fname not in days and func in LT_SUMMARY_KEY_AGGREGATES

        rules = self.env["ir.rule"]._compute_domain(self._name, "read") or []
        leaves = [leaf for leaf in [*domain, *rules] if isinstance(leaf, (list, tuple)) and len(leaf) == 3]
        if any(isinstance(leaf[0], str) and leaf[0].split(".")[0] not in keys for leaf in leaves):
            return False
        if any(leaf[0] in days and not self._lt_summary_whole_day(leaf) for leaf in leaves):
            return False
        utc = self.env.context.get("tz") in (None, False, "UTC")
        for spec in groupby:
            fname, _property, granularity = parse_read_group_spec(spec)
            if fname not in keys:
                return False
            if fname in days and not (utc and granularity in LT_SUMMARY_DAY_GRANULARITIES):
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
        if not (self._lt_summarised and self.env.context.get("lt_report_summary")):
            return super()._read_group_select(aggregate_spec, query)
        weight = SQL.identifier(self._table, "lt_weight")
        if aggregate_spec == "__count":
            return SQL("SUM(%s)::bigint", weight), []
        fname, _property, func = parse_read_group_spec(aggregate_spec)
        column = SQL.identifier(self._table, fname)
        if self._lt_columns()[fname].additive:
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

    def _lt_without_jit(self):
        """Switch PostgreSQL's JIT off for this transaction. It compiles any plan whose estimated cost
        passes jit_above_cost (every read over a million lines): 1 to 1.5 s of compilation, measured at
        1,000,000 leads, for reads that run in a few hundred milliseconds."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, access_rights_uid=None):
        self._lt_without_jit()
        return super()._search(self._lt_resolve_dimensions(domain), offset, limit, order, access_rights_uid)

    @api.model
    def _lt_resolve_dimensions(self, domain):
        """``domain`` with each condition on a dimension's fields (``team_id.name ilike Europe``,
        ``tag_ids ilike 20``) replaced by the ids it selects, searched as Odoo's own subquery would
        search them. Given ids, PostgreSQL reads the lines through the column's index in one pass;
        given a subquery, it joins the dimension first and probes the lines once per dimension row
        (the "Good leads" favourite at 1,000,000 leads: 1.18 s, 0.83 s with ids)."""
        result = []
        for leaf in domain:
            if not (isinstance(leaf, (list, tuple)) and len(leaf) == 3 and isinstance(leaf[0], str)):
                result.append(leaf)
                continue
            path, operator, value = leaf
            name, _dot, rest = path.partition(".")
            field = self._fields.get(name)
            if not (field and field.type in ("many2one", "many2many") and field.comodel_name in LT_REPORT_DIMENSIONS):
                result.append(leaf)
            elif rest:  # Odoo: the lines whose record is any of those matching the rest of the path
                ids = self.env[field.comodel_name].with_context(active_test=False)._search([(rest, operator, value)])
                result.append((name, "in", list(ids)))
            elif field.type == "many2many" and isinstance(value, str):  # Odoo: a name search of the records
                negative = operator in expression.NEGATIVE_TERM_OPERATORS
                positive = expression.TERM_OPERATORS_NEGATION[operator] if negative else operator
                ids = self.env[field.comodel_name]._name_search(value, field.get_domain_list(self), positive)
                result.append((name, "not in" if negative else "in", list(ids)))
            else:
                result.append(leaf)
        return result

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        self._lt_without_jit()
        # lt_report_summary: None = read the summary when it can answer, False = always read the lines.
        if (
            self._lt_summarised
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
        if field.type == "selection":
            order = [key for key, _label in field._description_selection(self.env)]
            return lambda value: (0, order.index(value)) if value in order else (1, 0)
        return lambda value: (1, 0) if value is None or value is False else (0, value)

    # ------------------------------------------------------------------ groups always shown
    @api.model
    def _lt_expanded_groups(self, fname, domain):
        """Values a non-lazy grouped read shows for ``fname`` even without lines (graph and pivot
        read non-lazily, where Odoo's group_expand does not apply), or None: all of them."""
        return None

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        result = super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if lazy or limit or offset or not groupby:
            return result
        expanded = {}
        for spec in groupby:
            values = self._lt_expanded_groups(spec, domain)
            if values is None:
                return result
            expanded[spec] = values
        return self._lt_fill_groups(result, groupby, expanded, domain, fields)

    def _lt_fill_groups(self, result, groupby, expanded, domain, fields):
        """Add an empty group for each combination of the expanded values that has no line."""
        seen = {tuple(self._lt_group_value(group[spec]) for spec in groupby) for group in result}
        combinations = [()]
        for spec in groupby:
            combinations = [(*combo, value) for combo in combinations for value in expanded[spec]]
        measures = [spec.split(":")[0] for spec in fields if spec.split(":")[0] not in groupby and spec != "__count"]
        for combo in combinations:
            if tuple(self._lt_group_value(value) for value in combo) in seen:
                continue
            group = {"__count": 0, **{name: 0 if self._fields[name].type in ("integer", "float", "monetary") else False
                                      for name in measures if name in self._fields}}
            group_domain = list(domain)
            for spec, value in zip(groupby, combo, strict=True):
                group[spec] = value
                group_domain.append((spec, "=", self._lt_group_value(value)))
            group["__domain"] = group_domain
            result.append(group)
        position = {spec: [self._lt_group_value(value) for value in expanded[spec]] for spec in groupby}
        result.sort(key=lambda group: tuple(
            position[spec].index(self._lt_group_value(group[spec])) if self._lt_group_value(group[spec]) in
            position[spec] else len(position[spec]) for spec in groupby
        ))
        return result

    @staticmethod
    def _lt_group_value(value):
        """A group's raw value: the id of a many2one's (id, name), else the value."""
        return value[0] if isinstance(value, tuple) else value

    # ------------------------------------------------------------------ click-through
    @api.model
    def _lt_lead_domain(self, domain):
        """The crm.lead domain of the leads behind the report lines matching ``domain``: the leads
        having such a line (``lead_field`` any ``domain``), so that the report's own record rules and
        every filter the user set apply, however the domain was built."""
        return [(self._lt_lead_field, "any", self._lt_report_domain(domain))]

    @api.model
    def _lt_report_domain(self, domain):
        """``domain`` as the report's lines understand it (a report with virtual fields drops them)."""
        return list(domain or [])

    @api.model
    def lt_action_open_leads(self, domain):
        """Window action on the crm leads behind the lines matching ``domain`` (a graph bar, a pivot
        cell, a selection): crm's own list, form and search views, archived leads included (a report
        counts lost leads too)."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Leads: %(report)s", report=self._description),
            "res_model": "crm.lead",
            "views": [
                (self.env.ref("crm.crm_case_tree_view_oppor").id, "list"),
                (self.env.ref("crm.crm_lead_view_form").id, "form"),
                (False, "kanban"),
            ],
            "search_view_id": [self.env.ref("crm.view_crm_case_opportunities_filter").id, "search"],
            "domain": self._lt_lead_domain(domain),
            "context": {"active_test": False, "create": False},
            "target": "current",
        }

    def action_open_lead(self):
        """The line's lead, in crm's own form."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "views": [(self.env.ref("crm.crm_lead_view_form").id, "form")],
            "context": {"active_test": False},
            "target": "current",
        }

    def action_open_leads(self):
        """The leads of the selected lines (the list's action button)."""
        return self.lt_action_open_leads([("id", "in", self.ids)])
