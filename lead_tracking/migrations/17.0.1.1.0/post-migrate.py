"""17.0.1.1.0: a team's "Reassign Neglected Leads After (days)" becomes one escalation step; leads a
reseller answered before answers were kept get their answer time (Partnership's hours to answer)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.team"]._lt_escalation_from_reassign_days()
    # one set-based update, the summaries recounted after it rather than followed lead by lead
    with env["lt.lead.report.mixin"]._lt_report_summaries_recounted():
        env["crm.lead"]._lt_backfill_reseller_answers()
