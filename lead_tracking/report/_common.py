"""Helpers shared by the SQL-view reports of lead_tracking."""

from odoo import tools

# Indexes the report views rely on, created in init() and dropped by the uninstall hook.
# Kept here, in one list, so that the hook drops exactly what the reports created.
LT_REPORT_INDEXES = {
    # Unattended: activities on leads by due date (range scan on the deadline, then the lead).
    "lt_report_mail_activity_lead_deadline_idx": (
        "mail_activity",
        "(date_deadline, res_id) WHERE res_model = 'crm.lead' AND active",
    ),
    # Unattended: the lead of each due activity, when active and assigned (hash-joined, index only).
    "lt_report_crm_lead_active_assigned_idx": (
        "crm_lead",
        "(id) INCLUDE (stage_id, user_id, team_id, company_id) WHERE active AND user_id IS NOT NULL",
    ),
    # Scoring: what the calibration reads of every lead, so that it scans this and not the table.
    "lt_report_crm_lead_scoring_idx": (
        "crm_lead",
        "(stage_id) INCLUDE (active, probability, closing_score, user_id, team_id, company_id)",
    ),
    # Quality / distribution: leads by assignment date, covering what the aggregates read.
    "lt_report_crm_lead_date_open_idx": (
        "crm_lead",
        "(date_open) INCLUDE (user_id, team_id, company_id, active, probability, stage_id, is_quality_lead)"
        " WHERE date_open IS NOT NULL AND user_id IS NOT NULL",
    ),
    # Quality: leads by received date (assignment, else creation), covering the default aggregate.
    "lt_report_crm_lead_received_idx": (
        "crm_lead",
        "((COALESCE(date_open, create_date))) INCLUDE (date_open, create_date, user_id, team_id, company_id,"
        " active, probability, stage_id, is_quality_lead)",
    ),
    # Attribution: leads by marketing origin, covering what its measures and crm's rules read, so that
    # its reads scan this (~100 bytes a lead) rather than the table (~1.6 kB a lead).
    "lt_report_crm_lead_attribution_idx": (
        "crm_lead",
        "(medium_id, source_id, campaign_id) INCLUDE (country_id, team_id, user_id, company_id, stage_id, active,"
        " probability, type, expected_revenue, create_date, date_closed)",
    ),
}
# Indexes earlier versions created under another name or definition: dropped when the reports are
# installed or upgraded.
LT_REPORT_RETIRED_INDEXES = ("lt_report_crm_lead_utm_idx",)


def lt_report_create_view(cr, table, select_sql):
    """(Re)create the SQL view ``table`` from ``select_sql``."""
    tools.drop_view_if_exists(cr, table)
    cr.execute(f"CREATE OR REPLACE VIEW {table} AS ({select_sql})")  # pylint: disable=sql-injection


def lt_report_create_indexes(cr, names):
    """Create the named report indexes when missing (cheap on reinstall/upgrade); drop retired ones."""
    for name in LT_REPORT_RETIRED_INDEXES:
        cr.execute(f"DROP INDEX IF EXISTS {name}")  # pylint: disable=sql-injection
    for name in names:
        table, definition = LT_REPORT_INDEXES[name]
        cr.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")  # pylint: disable=sql-injection


def lt_report_drop_indexes(cr):
    """Drop every index the reports created."""
    for name in (*LT_REPORT_INDEXES, *LT_REPORT_RETIRED_INDEXES):
        cr.execute(f"DROP INDEX IF EXISTS {name}")  # pylint: disable=sql-injection


# A lead's status as crm's own filters read it: Won = active in a won stage, Lost = archived with
# probability 0; other archived leads are kept apart so that no lead is counted twice or lost.
LT_STATUS_SELECTION = [("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("archived", "Archived")]


def lt_status_sql(active, is_won, zero_probability):
    """The status CASE over the given SQL expressions (a lead's, or a summary row's)."""
    return f"""
    CASE
        WHEN {active} AND {is_won} THEN 'won'
        WHEN {active} THEN 'open'
        WHEN {zero_probability} THEN 'lost'
        ELSE 'archived'
    END
"""


# Whether a lead aliased ``l`` has probability zero (a summary key: status reads it for archived leads).
LT_ZERO_PROBABILITY_SQL = "COALESCE(l.probability, 0) = 0"
LT_STATUS_SQL = lt_status_sql("l.active", "s.is_won", LT_ZERO_PROBABILITY_SQL)


# The columns of lt.lead.report.mixin, read from crm_lead aliased ``l``: the ones crm's lead rules need.
LT_LEAD_REPORT_COLUMNS = (
    "l.id AS id, l.id AS lead_id, l.user_id AS user_id, l.team_id AS team_id, l.company_id AS company_id"
)


# Transaction setting under which the summary triggers do nothing: set by a transaction that recounts
# the summaries once its writes are done (see lt.lead.report.mixin._lt_report_summaries_recounted).
LT_SUMMARIES_PAUSED = "lead_tracking.summaries_paused"


class LtReportSummary:
    """A running aggregate of a report's lines, so that its grouped reads add up a few thousand rows
    instead of a million lines.

    ``source`` is the SELECT of one row per report line: the ``keys`` columns, then the additive
    ``measures``, reading each table of ``watched`` through a ``{table}`` placeholder; or a list of
    such SELECTs whose lines add up (each table's triggers then count only the ones reading it, as
    a change to one table makes no difference to a SELECT that does not read it). Statement-level
    triggers on those tables insert, per statement, the difference the statement made (lines it added
    minus lines it removed, grouped by key): insert-only, so concurrent transactions never wait on or
    conflict with each other. ``rebuild`` replaces the rows by a fresh count from the tables; the
    daily refresh runs it, which also folds the differences into one row per key and heals what
    a race between two transactions (one moving a lead, the other adding an activity to it, each not
    seeing the other) may have left wrong.

    ``children`` names, per watched table, a watched relation table joined to it whose rows its
    deletions cascade to: {table: (relation, column)}. Those rows are deleted just before their parent
    row, so that the relation's trigger still finds the parent to count what the rows were.
    """

    # What every lead summary's rows carry for crm's rules on leads and for the lead's status: the
    # keys, their columns read from a lead aliased ``l``, and the crm_lead columns they come from.
    LEAD_KEYS = {
        "stage_id": "int4",
        "user_id": "int4",
        "team_id": "int4",
        "company_id": "int4",
        "active": "bool",
        "zero_probability": "bool",
    }
    LEAD_COLUMNS = (
        f"l.stage_id, l.user_id, l.team_id, l.company_id, l.active, {LT_ZERO_PROBABILITY_SQL} AS zero_probability"
    )
    LEAD_WATCHED = ("stage_id", "user_id", "team_id", "company_id", "active", "probability")
    # The status of a summary row aliased ``s`` (with the lead keys), as ``st.status``.
    STATUS_JOIN = f"""
        LEFT JOIN crm_stage stg ON stg.id = s.stage_id
        CROSS JOIN LATERAL (SELECT {lt_status_sql("s.active", "stg.is_won", "s.zero_probability")} AS status) st
    """

    def __init__(self, table, keys, measures, watched, source, children=None):
        self.table = table
        self.keys = keys  # {column: SQL type}
        self.measures = measures  # column names; stored as sums (numeric) and counts of non-null values
        # {table: columns the source reads from it}; no columns for a relation table (no id column):
        # each UPDATE of it then counts every row it rewrote.
        self.watched = watched
        self.sources = source if isinstance(source, (list, tuple)) else [source]
        self.children = children or {}

    def function(self, table):
        return f"{self.table}_on_{table}"

    def _insert(self, parts, with_sql=""):
        """INSERT of the signed, grouped difference of ``parts``: [(sign, {placeholder: relation})]."""
        keys = ", ".join(self.keys)
        lines = " UNION ALL ".join(
            f"SELECT {sign} AS lt_sign, s.* FROM ({source.format(**{**self._tables(), **tables})}) s"
            for sign, tables in parts
            for source in self.sources
            if all(f"{{{table}}}" in source for table in tables)
        )
        sums = [f"SUM(d.lt_sign * d.{m}::numeric), SUM(d.lt_sign * (d.{m} IS NOT NULL)::int)" for m in self.measures]
        nonzero = " OR ".join(
            ["SUM(d.lt_sign) <> 0"]
            + [f"SUM(d.lt_sign * d.{m}::numeric) <> 0" for m in self.measures]
        )
        columns = ", ".join(["lt_weight"] + [f"{m}, {m}__n" for m in self.measures])
        return (
            f"{with_sql} INSERT INTO {self.table} ({keys}, {columns})"
            f" SELECT {', '.join([*(f'd.{k}' for k in self.keys), 'SUM(d.lt_sign)', *sums])}"
            f" FROM ({lines}) d GROUP BY {keys} HAVING {nonzero}"
        )

    def _tables(self):
        return {table: table for table in self.watched}

    def install(self, cr):
        """(Re)create the summary table and its triggers, then fill it."""
        columns = ", ".join(
            [f"{name} {kind}" for name, kind in self.keys.items()]
            + ["lt_weight int4 NOT NULL"]
            + [f"{m} numeric, {m}__n int4" for m in self.measures]
        )
        self.drop(cr)
        cr.execute(f"CREATE TABLE {self.table} ({columns})")  # pylint: disable=sql-injection
        for table, watched in self.watched.items():
            inserted = self._insert([(1, {table: "lt_new"})])
            deleted = self._insert([(-1, {table: "lt_old"})])
            if watched:
                changed = (
                    f"WITH lt_changed AS (SELECT n.id FROM lt_new n JOIN lt_old o ON o.id = n.id"
                    f" WHERE ({', '.join(f'n.{c}' for c in watched)}) IS DISTINCT FROM"
                    f" ({', '.join(f'o.{c}' for c in watched)}))"
                )
                updated = self._insert(
                    [
                        (1, {table: "(SELECT * FROM lt_new WHERE id IN (SELECT id FROM lt_changed))"}),
                        (-1, {table: "(SELECT * FROM lt_old WHERE id IN (SELECT id FROM lt_changed))"}),
                    ],
                    with_sql=changed,
                )
            else:
                updated = self._insert([(1, {table: "lt_new"}), (-1, {table: "lt_old"})])
            function = self.function(table)
            cr.execute(  # pylint: disable=sql-injection
                f"""
                CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $lt$
                BEGIN
                    IF current_setting('{LT_SUMMARIES_PAUSED}', true) = 'on' THEN
                        RETURN NULL;
                    END IF;
                    -- EXECUTE: planned for the rows of this statement, every time. A static query's
                    -- plan is kept by the session: made for a one-row update, it turns the next bulk
                    -- update's comparison of old and new rows quadratic.
                    IF TG_OP = 'INSERT' THEN EXECUTE $lt_sql${inserted}$lt_sql$;
                    ELSIF TG_OP = 'DELETE' THEN EXECUTE $lt_sql${deleted}$lt_sql$;
                    ELSE EXECUTE $lt_sql${updated}$lt_sql$;
                    END IF;
                    RETURN NULL;
                END
                $lt$
                """
            )
            for event, tables in (
                ("INSERT", "NEW TABLE AS lt_new"),
                ("UPDATE", "OLD TABLE AS lt_old NEW TABLE AS lt_new"),
                ("DELETE", "OLD TABLE AS lt_old"),
            ):
                cr.execute(  # pylint: disable=sql-injection
                    f"CREATE TRIGGER {function}_{event.lower()} AFTER {event} ON {table}"
                    f" REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
        for table, (relation, column) in self.children.items():
            # Left to the foreign key's cascade, the relation's rows would go after their parent, and
            # neither trigger would find both any more: the lines they made would stay counted.
            function = f"{self.table}_before_{table}_delete"
            cr.execute(  # pylint: disable=sql-injection
                f"""
                CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $lt$
                BEGIN
                    IF EXISTS (SELECT 1 FROM {relation} WHERE {column} = OLD.id) THEN
                        DELETE FROM {relation} WHERE {column} = OLD.id;
                    END IF;
                    RETURN OLD;
                END
                $lt$
                """
            )
            cr.execute(  # pylint: disable=sql-injection
                f"CREATE TRIGGER {function} BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        self.rebuild(cr)

    def rebuild(self, cr):
        """Replace the rows by a fresh count: one row per key."""
        cr.execute(f"DELETE FROM {self.table}")  # pylint: disable=sql-injection
        cr.execute(self._insert([(1, {})]))

    def drop(self, cr):
        """Drop the triggers (with their functions) and the table."""
        for table in self.watched:
            cr.execute(f"DROP FUNCTION IF EXISTS {self.function(table)}() CASCADE")  # pylint: disable=sql-injection
        for table in self.children:
            cr.execute(  # pylint: disable=sql-injection
                f"DROP FUNCTION IF EXISTS {self.table}_before_{table}_delete() CASCADE"
            )
        cr.execute(f"DROP TABLE IF EXISTS {self.table}")  # pylint: disable=sql-injection

    def lines(self):
        """SELECT of the lines the summary counts, read from the tables (the sources' union)."""
        return " UNION ALL ".join(source.format(**self._tables()) for source in self.sources)

    def mismatches(self, cr):
        """How many of the summary's rows differ from a fresh count of its lines (0 when it is right):
        the check of the soak (tools/soak.py) and of the interruption tests."""
        keys = ", ".join(self.keys)
        measures = "".join(f", SUM({m}::numeric), COUNT({m})" for m in self.measures)
        recount = f"SELECT {keys}, COUNT(*){measures} FROM ({self.lines()}) s GROUP BY {keys}"
        kept = self.rows().replace("::float8", "::numeric")
        cr.execute(  # pylint: disable=sql-injection
            f"SELECT (SELECT count(*) FROM (({kept}) EXCEPT ALL ({recount})) a)"
            f" + (SELECT count(*) FROM (({recount}) EXCEPT ALL ({kept})) b)"
        )
        return cr.fetchone()[0]

    def rows(self):
        """SELECT of the summary's current rows, one per key, sums as float."""
        keys = ", ".join(self.keys)
        sums = "".join(f", SUM({m})::float8 AS {m}, SUM({m}__n) AS {m}__n" for m in self.measures)
        return (
            f"SELECT {keys}, SUM(lt_weight) AS lt_weight{sums} FROM {self.table}"
            f" GROUP BY {keys} HAVING SUM(lt_weight) <> 0"
        )
