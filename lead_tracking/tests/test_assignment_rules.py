"""What the README promises of rule-based assignment and no other test checks: which leads a run
takes and in which order, the stage it writes, the reasons it gives, quality balancing's defaults,
and where the summary of a run is kept."""

import datetime
import logging

from odoo.tests import tagged

from .common import LtAssignmentCase


@tagged("post_install", "-at_install")
class TestAssignmentRules(LtAssignmentCase):
    def _age(self, leads, **delta):
        """Move the creation of ``leads`` into the past by ``delta`` (one by one: older first)."""
        self.env.flush_all()
        for index, lead in enumerate(leads):
            self.env.cr.execute(
                "UPDATE crm_lead SET create_date = now() at time zone 'UTC' - %s WHERE id = %s",
                [datetime.timedelta(**delta) * (len(leads) - index), lead.id],
            )
        leads.invalidate_recordset(["create_date"])

    def test_hottest_then_oldest(self):
        """Among leads of one probability, the oldest go first, whatever their ids."""
        self.m_sam.assignment_max = 1
        self.m_alex.assignment_max = 1
        leads = self._leads(4, probability=40)
        # the last two created are made the oldest
        self._age(leads[2:] + leads[:2], hours=1)
        self._run()
        self.assertEqual(leads.filtered("user_id"), leads[2:])
        self.assertFalse(leads[:2].user_id)

    def test_won_archived_and_delayed_leads_wait(self):
        """Won and archived leads are never taken; team-less leads younger than crm's
        ``crm.assignment.delay`` (hours) wait for a later run."""
        self.env["ir.config_parameter"].sudo().set_param("crm.assignment.delay", 2)
        won = self._leads(1, stage_id=self.stage_won.id)
        archived = self._leads(1)
        archived.action_archive()
        fresh = self._leads(1)
        due = self._leads(1)
        self._age(won | archived | due, hours=3)
        summary = self._run()
        self.assertEqual(summary["assigned"], 1)
        self.assertTrue(due.user_id)
        self.assertFalse((won | archived | fresh).user_id)
        self.env["ir.config_parameter"].sudo().set_param("crm.assignment.delay", 0)
        self._run()
        self.assertTrue(fresh.user_id)
        self.assertFalse((won | archived).user_id)

    def test_stage_written_on_assignment(self):
        """A lead without a stage gets the team's first stage; one with a stage keeps it."""
        first = self.env["crm.stage"].create({"name": "LT First", "sequence": -10, "team_id": self.team.id})
        later = self.env["crm.stage"].search([("is_won", "=", False), ("team_id", "=", False)], order="sequence desc",
                                             limit=1)
        no_stage, staged = self._leads(2)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = NULL WHERE id = %s", [no_stage.id])
        no_stage.invalidate_recordset(["stage_id"])
        staged.stage_id = later
        self._run()
        self.assertEqual((no_stage.stage_id, staged.stage_id), (first, later))
        self.assertEqual((no_stage.team_id, staged.team_id), (self.team, self.team))

    def test_no_member_domain_reason(self):
        """Leads the team takes but no member's domain accepts are counted under their own reason."""
        self.team.crm_team_member_ids.write({"assignment_domain": "[('probability', '>=', 90)]"})
        leads = self._leads(3, probability=20)
        summary = self._run()
        self.assertEqual(summary["assigned"], 0)
        self.assertEqual(summary["unassigned"]["no_member_domain"], 3)
        self.assertEqual((summary["unassigned"]["capacity"], summary["unassigned"]["no_team"]), (0, 0))
        self.assertEqual(leads.team_id, self.team)
        self.assertFalse(leads.user_id)
        run = self.env["crm.lead.assignment.run"].browse(summary["run_id"])
        self.assertEqual((run.unassigned_no_member_domain, run.unassigned), (3, 3))

    def test_quality_balancing_defaults_and_window(self):
        """A new team balances quality leads; the quality leads counted are those of the last 30 days."""
        self.assertTrue(self.env["crm.team"].create({"name": "LT New"}).lt_quality_balancing)
        self.m_sam.assignment_max = 30
        self.m_alex.assignment_max = 30
        # Alex had 5 quality leads 31 days ago (outside the window), Sam 2 within it: Sam has more
        old = self._leads(5, quality=True)
        old.write({"team_id": self.team.id, "user_id": self.salesman_all.id})
        recent = self._leads(2, quality=True)
        recent.write({"team_id": self.team.id, "user_id": self.salesman.id})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_open = now() at time zone 'UTC' - interval '31 days' WHERE id = ANY(%s)",
            [old.ids],
        )
        self.env.invalidate_all()
        new = self._leads(2, quality=True, probability=80)
        self._leads(2, probability=10)  # each member gets two of the four: the quality ones go to Alex
        self._run()
        self.assertEqual(new.user_id, self.salesman_all)
        self.assertIn("lowest quality share, 0 of 30", new[0].assignment_reason)

    def test_summary_on_the_team_and_in_the_log(self):
        """A run posts its summary in each team's chatter; the scheduled run logs it too."""
        self._leads(3)
        self.team.with_user(self.manager).action_assign_leads(work_days=30)
        message = self.env["mail.message"].search(
            [("model", "=", "crm.team"), ("res_id", "=", self.team.id)], order="id desc", limit=1
        )
        self.assertIn("3 leads assigned", str(message.body))
        self.env["crm.team"].search([("id", "!=", self.team.id)]).write({"assignment_optout": True})
        self._leads(2)
        with self.assertLogs("odoo.addons.lead_tracking.models.crm_team", logging.INFO) as logs:
            self.env["crm.team"]._cron_assign_leads(work_days=30)
        self.assertTrue([line for line in logs.output if "Lead assignment: " in line and "2 leads assigned" in line],
                        logs.output)

    def test_manual_mode_and_the_run_now_arrow(self):
        """*Manually*: crm's scheduled job is off; the arrow in Settings runs every team not opted out
        at once and answers with the run's summary."""
        settings = self.env["res.config.settings"].create(
            {"crm_use_auto_assignment": True, "crm_auto_assignment_action": "manual"}
        )
        settings.execute()
        self.assertFalse(self.env.ref("crm.ir_cron_crm_lead_assign").active)
        self.env["crm.team"].search([("id", "!=", self.team.id)]).write({"assignment_optout": True})
        leads = self._leads(3)
        action = settings.action_crm_assign_leads()
        self.assertEqual(action["tag"], "lt_assignment_summary")
        self.assertIn("3 leads assigned", action["params"]["lines"][0])
        self.assertFalse(leads.filtered(lambda lead: not lead.user_id))
        self.assertEqual(leads.team_id, self.team)

    def _stageless_lead_after_run(self):
        lead = self._leads(1)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = NULL WHERE id = %s", [lead.id])
        lead.invalidate_recordset(["stage_id"])
        self._run()
        return lead

    def test_first_stage_follows_stage_changes(self):
        """The team's first stage is cached by the run: a stage created, moved or deleted is seen by
        the next run."""
        first = self.env["crm.stage"].create({"name": "LT First", "sequence": -10, "team_id": self.team.id})
        lead = self._leads(1)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = NULL WHERE id = %s", [lead.id])
        lead.invalidate_recordset(["stage_id"])
        self._run()
        self.assertEqual(lead.stage_id, first)
        earlier = self.env["crm.stage"].create({"name": "LT Earlier", "sequence": -20, "team_id": self.team.id})
        self.assertEqual(self._stageless_lead_after_run().stage_id, earlier)
        earlier.sequence = 500  # moved after the others: no longer first
        moved = self._leads(1)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = NULL WHERE id = %s", [moved.id])
        moved.invalidate_recordset(["stage_id"])
        self._run()
        self.assertEqual(moved.stage_id, first)
        self.env["crm.stage"].create({"name": "LT Gone", "sequence": -30, "team_id": self.team.id}).unlink()
        first.team_id = self.env["crm.team"].create({"name": "LT Elsewhere"})  # another team's now
        last = self._leads(1)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = NULL WHERE id = %s", [last.id])
        last.invalidate_recordset(["stage_id"])
        self._run()
        self.assertNotIn(last.stage_id, first | earlier)
        self.assertTrue(last.stage_id)
