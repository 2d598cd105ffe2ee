from odoo.tests import tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestFoundation(LeadTrackingCase):
    def test_installed_from_apps(self):
        """The addon is installed under its Apps name and crm keeps working beside it."""
        module = self.env["ir.module.module"].search([("name", "=", "lead_tracking")])
        self.assertEqual(module.state, "installed")
        self.assertEqual(module.shortdesc, "Lead Tracking")
        lead = self.lt_lead(name="Smoke", user_id=self.salesman.id)
        lead.action_set_won()
        self.assertEqual(lead.probability, 100)
