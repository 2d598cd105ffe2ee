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

    def test_every_model_has_access_rights(self):
        """Every model the addon defines grants access to someone through ir.model.access (a model
        without any is usable by the superuser only), and salespeople can read the lead's new fields."""
        models = self.env["ir.model"].search([("model", "not in", ("crm.lead", "crm.team"))]).filtered(
            lambda model: model.modules == "lead_tracking" and not self.env[model.model]._transient
            and not self.env[model.model]._abstract
        )
        self.assertGreaterEqual(len(models), 10)
        without = models.filtered(lambda model: not model.access_ids)
        self.assertFalse(without.mapped("model"), "models of lead_tracking without access rights")
        lead = self.lt_lead(user_id=self.salesman.id, probability=80)
        values = lead.with_user(self.salesman).read(["score_tier", "is_quality_lead", "lifecycle_stage"])[0]
        self.assertEqual((values["score_tier"], values["is_quality_lead"]), ("hot", True))

    def test_daily_refresh_cron(self):
        """The daily job is active, runs every day and refreshes what bulk writes left stale."""
        cron = self.env.ref("lead_tracking.ir_cron_lt_intelligence_refresh")
        self.assertEqual((cron.active, cron.interval_number, cron.interval_type), (True, 1, "days"))
        lead = self.lt_lead(probability=80)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET score_tier = 'cold', is_quality_lead = FALSE WHERE id = %s", [lead.id])
        lead.invalidate_recordset()
        cron.method_direct_trigger()
        lead.invalidate_recordset()
        self.assertEqual((lead.score_tier, lead.is_quality_lead), ("hot", True))
