"""17.0.1.1.0: a team's "Reassign Neglected Leads After (days)" becomes one escalation step."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.team"]._lt_escalation_from_reassign_days()
