"""Install/uninstall hooks of lead_tracking."""

from odoo.tools import SQL

from .models.crm_team_assignment_lock import LT_ASSIGN_HOLDER_SEQUENCE
from .report._common import LT_REPORT_RETIRED_SUMMARIES, lt_report_drop_indexes, lt_report_drop_summary


def pre_init_hook(env):
    """Create the score columns before the ORM does.

    A new stored computed column makes Odoo compute it for every existing lead in Python at
    install; on a database with a million leads that takes longer than the set-based refresh of
    the post-init hook, which fills them in a few statements.
    """
    env.cr.execute(
        "ALTER TABLE crm_lead ADD COLUMN IF NOT EXISTS score_tier varchar, "
        "ADD COLUMN IF NOT EXISTS is_quality_lead boolean"
    )


def post_init_hook(env):
    """Fill the lead intelligence columns (score tier, quality, lifecycle, closing score) of existing leads."""
    env["crm.lead"]._lt_refresh_all()


def uninstall_hook(env):
    """Remove what Odoo's uninstall cannot know about; the framework removes everything else.

    The reports' indexes, summary tables and their triggers were made in SQL on crm's and mail's
    tables, which outlive the addon, as does the sequence assignment runs leave their
    transaction in. Leads lost as spam keep being lost, without our reason: crm's
    column restricts deleting a reason still in use.
    """
    cr = env.cr
    env.flush_all()
    lt_report_drop_indexes(cr)
    for summary in env["lt.lead.report.mixin"]._lt_report_summaries():
        summary.drop(cr)
    for name in LT_REPORT_RETIRED_SUMMARIES:
        lt_report_drop_summary(cr, name)
    spam = env.ref("lead_tracking.lost_reason_spam", raise_if_not_found=False)
    if spam:
        cr.execute("UPDATE crm_lead SET lost_reason_id = NULL WHERE lost_reason_id = %s", [spam.id])
    cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(LT_ASSIGN_HOLDER_SEQUENCE)))
    env.invalidate_all()
