"""The install and uninstall hooks, called in the test's transaction (test_install runs them in a
database of their own, through Odoo): what each promises, checked in the tables."""

from odoo.tests import tagged
from odoo.tools import SQL

from ..hooks import post_init_hook, pre_init_hook, uninstall_hook
from ..models.crm_team_assignment_lock import LT_ASSIGN_HOLDER_SEQUENCE
from ..report._common import LT_REPORT_INDEXES
from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestHooks(LeadTrackingCase):
    def _exists(self, kind, name):
        self.env.cr.execute("SELECT 1 FROM pg_class WHERE relkind = %s AND relname = %s", [kind, name])
        return bool(self.env.cr.fetchone())

    def test_init_hooks_fill_existing_leads(self):
        lead = self.lt_lead(probability=80)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET score_tier = NULL, is_quality_lead = NULL WHERE id = %s", [lead.id])
        lead.invalidate_recordset()
        pre_init_hook(self.env)  # the columns exist: nothing changes
        self.assertFalse(lead.score_tier)
        post_init_hook(self.env)
        lead.invalidate_recordset()
        self.assertEqual((lead.score_tier, lead.is_quality_lead), ("hot", True))

    def test_uninstall_hook_removes_what_odoo_cannot(self):
        spam = self.env.ref("lead_tracking.lost_reason_spam")
        lead = self.lt_lead(type="opportunity")
        lead.action_set_lost(lost_reason_id=spam.id)
        self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(LT_ASSIGN_HOLDER_SEQUENCE)))
        self.assertTrue(self._exists("S", LT_ASSIGN_HOLDER_SEQUENCE))
        present = [name for name in LT_REPORT_INDEXES if self._exists("i", name)]
        self.assertTrue(present, "the reports' indexes exist")
        uninstall_hook(self.env)  # rolled back with the test
        self.assertFalse([name for name in LT_REPORT_INDEXES if self._exists("i", name)])
        self.assertFalse(self._exists("S", LT_ASSIGN_HOLDER_SEQUENCE))
        self.assertFalse(lead.lost_reason_id)
        self.assertFalse(lead.active, "still lost, without our reason")
