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
    # Attribution: leads by marketing origin.
    "lt_report_crm_lead_utm_idx": ("crm_lead", "(medium_id, source_id, campaign_id)"),
}


def lt_report_create_view(cr, table, select_sql):
    """(Re)create the SQL view ``table`` from ``select_sql``."""
    tools.drop_view_if_exists(cr, table)
    cr.execute(f"CREATE OR REPLACE VIEW {table} AS ({select_sql})")  # pylint: disable=sql-injection


def lt_report_create_indexes(cr, names):
    """Create the named report indexes when missing (cheap on reinstall/upgrade)."""
    for name in names:
        table, definition = LT_REPORT_INDEXES[name]
        cr.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")  # pylint: disable=sql-injection


def lt_report_drop_indexes(cr):
    """Drop every index the reports created."""
    for name in LT_REPORT_INDEXES:
        cr.execute(f"DROP INDEX IF EXISTS {name}")  # pylint: disable=sql-injection


# A lead's status as crm's own filters read it: Won = active in a won stage, Lost = archived with
# probability 0; other archived leads are kept apart so that no lead is counted twice or lost.
LT_STATUS_SELECTION = [("open", "Open"), ("won", "Won"), ("lost", "Lost"), ("archived", "Archived")]
LT_STATUS_SQL = """
    CASE
        WHEN l.active AND s.is_won THEN 'won'
        WHEN l.active THEN 'open'
        WHEN COALESCE(l.probability, 0) = 0 THEN 'lost'
        ELSE 'archived'
    END
"""


# The columns of lt.lead.report.mixin, read from crm_lead aliased ``l``: the ones crm's lead rules need.
LT_LEAD_REPORT_COLUMNS = (
    "l.id AS id, l.id AS lead_id, l.user_id AS user_id, l.team_id AS team_id, l.company_id AS company_id"
)
