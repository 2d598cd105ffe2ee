"""Install/uninstall hooks of lead_tracking."""

from .report._common import lt_report_drop_indexes


def uninstall_hook(env):
    """Drop the indexes the reports created on crm and mail tables: they outlive our views otherwise."""
    lt_report_drop_indexes(env.cr)
