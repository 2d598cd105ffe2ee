"""What the SQL-view reports of lead_tracking share: their indexes, the lead status, the declaration
of a report column (:class:`LtColumn`) and the summary derived from a report's columns
(:class:`LtReportSummary`). Every statement is composed of ``odoo.tools.SQL`` pieces."""

from odoo.tools import SQL, drop_view_if_exists

# Indexes the report views rely on, created in init() and dropped by the uninstall hook. Kept here,
# in one list, so that the hook drops exactly what the reports created: {name: (table, definition)}.
LT_REPORT_INDEXES = {
    # Unattended: activities on leads by due date (range scan on the deadline, then the lead).
    "lt_report_mail_activity_lead_deadline_idx": (
        "mail_activity",
        SQL("(date_deadline, res_id) WHERE res_model = 'crm.lead' AND active"),
    ),
    # Unattended: the lead of each due activity, when active and assigned (hash-joined, index only).
    "lt_report_crm_lead_active_assigned_idx": (
        "crm_lead",
        SQL("(id) INCLUDE (stage_id, user_id, team_id, company_id, type, probability, expected_revenue)"
            " WHERE active AND user_id IS NOT NULL"),
    ),
    # Scoring: what the calibration reads of every lead, so that it scans this and not the table.
    "lt_report_crm_lead_scoring_idx": (
        "crm_lead",
        SQL("(stage_id) INCLUDE (active, probability, closing_score, user_id, team_id, company_id, score_tier,"
            " expected_revenue, date_closed, create_date, write_date)"),
    ),
    # Distribution: assigned leads by assignment date, covering what its measures read.
    "lt_report_crm_lead_date_open_idx": (
        "crm_lead",
        SQL("(date_open) INCLUDE (user_id, team_id, company_id, active, probability, stage_id, is_quality_lead, type,"
            " create_date) WHERE date_open IS NOT NULL AND user_id IS NOT NULL"),
    ),
    # Quality: leads by received date (assignment, else creation), covering the default aggregate.
    "lt_report_crm_lead_received_idx": (
        "crm_lead",
        SQL("((COALESCE(date_open, create_date))) INCLUDE (date_open, create_date, user_id, team_id, company_id,"
            " active, probability, stage_id, is_quality_lead, type)"),
    ),
    # Attribution: leads by marketing origin, covering what its measures and crm's rules read, so that
    # its reads scan this (~100 bytes a lead) rather than the table (~1.6 kB a lead).
    "lt_report_crm_lead_attribution_idx": (
        "crm_lead",
        SQL("(medium_id, source_id, campaign_id) INCLUDE (country_id, team_id, user_id, company_id, stage_id, active,"
            " probability, type, expected_revenue, create_date, date_closed)"),
    ),
    # Partnership: the leads handed to a reseller, covering what a line reads of its lead.
    "lt_report_crm_lead_reseller_idx": (
        "crm_lead",
        SQL("(reseller_id) INCLUDE (id, reseller_assigned_date, reseller_answered_date, stage_id, user_id, team_id,"
            " company_id, active, probability, type, expected_revenue, create_date) WHERE reseller_id IS NOT NULL"),
    ),
}
# Indexes earlier versions created under another name or definition: dropped when the reports are
# installed or upgraded.
LT_REPORT_RETIRED_INDEXES = ("lt_report_crm_lead_utm_idx",)
# Summary tables of earlier versions (with their trigger functions, named after them): dropped when the
# reports are installed or upgraded, and by the uninstall hook.
LT_REPORT_RETIRED_SUMMARIES = (
    "lt_report_unattended_summary",
    "lt_report_scoring_summary",
    "lt_report_quality_summary",
    "lt_report_reseller_summary",
)


def lt_report_create_view(cr, table, select_sql):
    """(Re)create the SQL view ``table`` from the SQL object ``select_sql``."""
    drop_view_if_exists(cr, table)
    cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(table), select_sql))


def lt_report_create_indexes(cr, names):
    """Create the named report indexes when missing (cheap on reinstall/upgrade); drop retired ones."""
    for name in LT_REPORT_RETIRED_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
    for name in names:
        table, definition = LT_REPORT_INDEXES[name]
        cr.execute(SQL("CREATE INDEX IF NOT EXISTS %s ON %s %s", SQL.identifier(name), SQL.identifier(table),
                       definition))


def lt_report_drop_summary(cr, table):
    """Drop the summary table ``table`` and its trigger functions (named ``<table>_...``, as
    LtReportSummary names them), with their triggers."""
    cr.execute(SQL("SELECT proname FROM pg_proc WHERE proname LIKE %s", f"{table}\\_%"))
    for (function,) in cr.fetchall():
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE", SQL.identifier(function)))
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))


def lt_report_drop_indexes(cr):
    """Drop every index the reports created."""
    for name in (*LT_REPORT_INDEXES, *LT_REPORT_RETIRED_INDEXES):
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))


# A lead's status as crm's own filters read it: Won = active in a won stage, Lost = archived with
# probability 0; other archived leads are kept apart so that no lead is counted twice or lost.
LT_STATUS_SELECTION = [("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("archived", "Archived")]
LT_LEAD_TYPES = [("lead", "Lead"), ("opportunity", "Opportunity")]

# The status of a lead aliased ``l`` in a stage aliased ``s``.
LT_STATUS_SQL = SQL("""
    CASE
        WHEN l.active AND s.is_won THEN 'won'
        WHEN l.active THEN 'open'
        WHEN COALESCE(l.probability, 0) = 0 THEN 'lost'
        ELSE 'archived'
    END
""")


# Transaction setting under which the summary triggers do nothing: set by a transaction that recounts
# the summaries once its writes are done (see lt.lead.report.mixin._lt_report_summaries_recounted).
LT_SUMMARIES_PAUSED = "lead_tracking.summaries_paused"
# Statements of at most this many rows keep the summary up to date with a statement planned once per
# session (see LtReportSummary.install); larger ones plan it for their own rows.
LT_SUMMARY_STATIC_ROWS = 64


class LtColumn:
    """One column of a report, declared once: its SQL expression over the report's FROM and how it adds
    up. The view's SELECT, its summary (when it keeps one) and the choice between the two for a read
    all come from these declarations.

    - ``additive``: a measure whose lines add up (sum; avg = sum / count; count of non-empty values);
      a summary keeps its sum and count per row.
    - ``detail``: a value of each line (the line's id, its lead, a text, an exact time): a summary does
      not keep it, so a read that touches it reads the lines.
    - ``day``: a datetime that a summary keeps truncated to the day (UTC): it answers whole-day filters
      and groupings by day or longer.
    - ``live``: computed when read, from the other columns (aliased ``b``) and the report's live joins
      (today's date, the reseller's level, the company's currency or horizon): never stored, so a
      summary stays true when those change.
    Any other column is a key: one value per summary row.
    """

    __slots__ = ("sql", "additive", "detail", "day", "live")

    def __init__(self, sql, *, additive=False, detail=False, day=False, live=False):
        self.sql = SQL(sql)
        self.additive = additive
        self.detail = detail
        self.day = day
        self.live = live


# SQL type of a summary key, per Odoo field type.
LT_SUMMARY_TYPES = {
    "many2one": SQL("int4"),
    "integer": SQL("int4"),
    "boolean": SQL("bool"),
    "selection": SQL("varchar"),
    "char": SQL("varchar"),
    "date": SQL("date"),
    "datetime": SQL("timestamp"),
    "float": SQL("float8"),
    "monetary": SQL("numeric"),
}


class LtReportSummary:
    """A running aggregate of a report's lines, derived from the report's column declarations, so that
    its grouped reads add up a few thousand rows instead of a million lines.

    Its rows carry the report's stored keys, ``lt_weight`` (lines in the row) and per additive measure
    its sum and its count of non-empty values (``<measure>__n``). Statement-level triggers on every
    table the report's FROM reads insert, per statement, the difference the statement made (the
    lines of its new rows minus the lines of its old rows, grouped by key; unchanged lines cancel
    out): insert-only, so concurrent transactions never wait on or conflict with each other.
    ``rebuild`` replaces the rows by a fresh count; the daily refresh runs it, which also folds the
    differences into one row per key and heals what a race between two transactions (one moving a
    lead, the other adding an activity to it, each not seeing the other) may have left wrong.

    ``report`` is the report model (an instance); ``children`` names, per watched table, a watched
    relation table whose rows its deletions cascade to: {table: (relation, column)}. Those rows are
    deleted just before their parent row, so that the relation's trigger still finds the parent to
    count what the rows were.
    """

    def __init__(self, report, children=None):
        self.table = f"{report._table}_summary"
        columns = report._lt_columns()
        self.keys = {name: column for name, column in columns.items()
                     if not (column.additive or column.detail or column.live)}
        self.measures = {name: column for name, column in columns.items() if column.additive}
        self.types = {name: LT_SUMMARY_TYPES[report._fields[name].type] for name in self.keys}
        self.parts = report._lt_parts
        self.watched = report._lt_tables
        self.children = children or {}

    def _key_sql(self, name):
        column = self.keys[name]
        return SQL("date_trunc('day', %s)", column.sql) if column.day else column.sql

    def _lines(self, sign, tables):
        """SELECT of the signed lines of the parts reading any of ``tables`` (every part if empty), each
        watched table read from ``tables`` when named there."""
        relations = {table: SQL.identifier(table) for table in self.watched}
        relations.update(tables)
        selects = []
        for reads, from_sql, where_sql in self.parts(relations):
            if tables and not reads & set(tables):
                continue
            items = [SQL("%s AS lt_sign", sign)]
            items += [SQL("%s AS %s", self._key_sql(name), SQL.identifier(name)) for name in self.keys]
            items += [SQL("%s AS %s", column.sql, SQL.identifier(name)) for name, column in self.measures.items()]
            selects.append(SQL("SELECT %s FROM %s WHERE %s", SQL(", ").join(items), from_sql, where_sql))
        return selects

    def insert(self, parts):
        """INSERT of the grouped difference of ``parts``: [(sign, {table: relation})]."""
        selects = [select for sign, tables in parts for select in self._lines(sign, tables)]
        keys = [SQL.identifier(name) for name in self.keys]
        sums, nonzero = [], [SQL("SUM(d.lt_sign) <> 0")]
        for name in self.measures:
            value = SQL("d.%s", SQL.identifier(name))
            sums += [SQL("SUM(d.lt_sign * %s::numeric)", value), SQL("SUM(d.lt_sign * (%s IS NOT NULL)::int)", value)]
            nonzero.append(SQL("SUM(d.lt_sign * %s::numeric) <> 0", value))
        columns = [*keys, SQL("lt_weight")]
        for name in self.measures:
            columns += [SQL.identifier(name), SQL.identifier(f"{name}__n")]
        grouped = SQL(", ").join(SQL("d.%s", key) for key in keys)
        return SQL(
            "INSERT INTO %s (%s) SELECT %s FROM (%s) d GROUP BY %s HAVING %s",
            SQL.identifier(self.table),
            SQL(", ").join(columns),
            SQL(", ").join([grouped, SQL("SUM(d.lt_sign)"), *sums]),
            SQL(" UNION ALL ").join(selects),
            grouped,
            SQL(" OR ").join(nonzero),
        )

    def function(self, table):
        return f"{self.table}_on_{table}"

    def install(self, cr):
        """(Re)create the summary table and its triggers, then fill it."""
        self.drop(cr)
        columns = [SQL("%s %s", SQL.identifier(name), self.types[name]) for name in self.keys]
        columns.append(SQL("lt_weight int4 NOT NULL"))
        for name in self.measures:
            columns += [SQL("%s numeric", SQL.identifier(name)), SQL("%s int4", SQL.identifier(f"{name}__n"))]
        cr.execute(SQL("CREATE TABLE %s (%s)", SQL.identifier(self.table), SQL(", ").join(columns)))
        for table in self.watched:
            statements = {
                "INSERT": self.insert([(1, {table: SQL("lt_new")})]),
                "DELETE": self.insert([(-1, {table: SQL("lt_old")})]),
                "UPDATE": self.insert([(1, {table: SQL("lt_new")}), (-1, {table: SQL("lt_old")})]),
            }
            # A statement of a few rows runs the static statement, whose plan the session keeps:
            # planning the statement again costs more than running it for one lead (a single-lead
            # ORM write paid ~2 ms per summary for it). A larger one runs it through EXECUTE, planned
            # for its own rows: a plan kept from a one-row write would make a bulk update's
            # comparison quadratic.
            rows_of = {"INSERT": "lt_new", "DELETE": "lt_old", "UPDATE": "lt_new"}
            branches = [
                SQL(
                    "%s TG_OP = %s THEN IF NOT EXISTS (SELECT 1 FROM %s OFFSET %s) THEN %s;"
                    " ELSE EXECUTE %s; END IF;",
                    SQL("IF" if op == "INSERT" else "ELSIF"), op, SQL(rows_of[op]), LT_SUMMARY_STATIC_ROWS,
                    statements[op], cr.mogrify(statements[op]).decode(),
                )
                for op in ("INSERT", "DELETE", "UPDATE")
            ]
            body = SQL(
                """
                BEGIN
                    IF current_setting(%s, true) = 'on' THEN
                        RETURN NULL;
                    END IF;
                    %s
                    END IF;
                    RETURN NULL;
                END
                """,
                LT_SUMMARIES_PAUSED,
                SQL("\n").join(branches),
            )
            function = SQL.identifier(self.function(table))
            cr.execute(SQL("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s", function,
                           cr.mogrify(body).decode()))
            for event, transitions in (
                ("insert", SQL("NEW TABLE AS lt_new")),
                ("update", SQL("OLD TABLE AS lt_old NEW TABLE AS lt_new")),
                ("delete", SQL("OLD TABLE AS lt_old")),
            ):
                cr.execute(SQL(
                    "CREATE TRIGGER %s AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
                    SQL.identifier(f"{self.function(table)}_{event}"), SQL(event.upper()), SQL.identifier(table),
                    transitions, function,
                ))
        for table, (relation, column) in self.children.items():
            # Left to the foreign key's cascade, the relation's rows would go after their parent, and
            # neither trigger would find both any more: the lines they made would stay counted.
            function = SQL.identifier(f"{self.table}_before_{table}_delete")
            body = SQL(
                """
                BEGIN
                    IF EXISTS (SELECT 1 FROM %(relation)s WHERE %(column)s = OLD.id) THEN
                        DELETE FROM %(relation)s WHERE %(column)s = OLD.id;
                    END IF;
                    RETURN OLD;
                END
                """,
                relation=SQL.identifier(relation), column=SQL.identifier(column),
            )
            cr.execute(SQL("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS %s", function,
                           cr.mogrify(body).decode()))
            cr.execute(SQL("CREATE TRIGGER %s BEFORE DELETE ON %s FOR EACH ROW EXECUTE FUNCTION %s()",
                           function, SQL.identifier(table), function))
        self.rebuild(cr)

    def rebuild(self, cr):
        """Replace the rows by a fresh count: one row per key."""
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(self.table)))
        cr.execute(self.insert([(1, {})]))

    def drop(self, cr):
        """Drop the triggers (with their functions) and the table."""
        for table in self.watched:
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE", SQL.identifier(self.function(table))))
        for table in self.children:
            cr.execute(SQL("DROP FUNCTION IF EXISTS %s() CASCADE",
                           SQL.identifier(f"{self.table}_before_{table}_delete")))
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(self.table)))

    def mismatches(self, cr):
        """How many of the summary's rows differ from a fresh count of its lines (0 when it is right):
        the check of the soak (tools/soak.py) and of the interruption tests."""
        keys = SQL(", ").join(SQL.identifier(name) for name in self.keys)
        counted, kept = [keys, SQL("COUNT(*)")], [keys, SQL("SUM(lt_weight)")]
        for name in self.measures:
            counted += [SQL("SUM(%s::numeric)", SQL.identifier(name)), SQL("COUNT(%s)", SQL.identifier(name))]
            kept += [SQL("SUM(%s)::numeric", SQL.identifier(name)), SQL("SUM(%s)", SQL.identifier(f"{name}__n"))]
        recount = SQL("SELECT %s FROM (%s) s GROUP BY %s", SQL(", ").join(counted),
                      SQL(" UNION ALL ").join(self._lines(SQL("1"), {})), keys)
        rows = SQL("SELECT %s FROM %s GROUP BY %s HAVING SUM(lt_weight) <> 0",
                   SQL(", ").join(kept), SQL.identifier(self.table), keys)
        cr.execute(SQL(
            "SELECT (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) a) + (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) b)",
            rows, recount, recount, rows,
        ))
        return cr.fetchone()[0]

    def rows(self):
        """SELECT of the summary's current rows, one per key, sums as float."""
        keys = SQL(", ").join(SQL.identifier(name) for name in self.keys)
        items = [keys, SQL("SUM(lt_weight) AS lt_weight")]
        for name in self.measures:
            items += [SQL("SUM(%s)::float8 AS %s", SQL.identifier(name), SQL.identifier(name)),
                      SQL("SUM(%s) AS %s", SQL.identifier(f"{name}__n"), SQL.identifier(f"{name}__n"))]
        return SQL("SELECT %s FROM %s GROUP BY %s HAVING SUM(lt_weight) <> 0",
                   SQL(", ").join(items), SQL.identifier(self.table), keys)
