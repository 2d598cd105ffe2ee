"""Neglected leads: escalation steps once per period of neglect, in working days, and the reassign
step (never back within 30 days)."""

import datetime

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import LeadTrackingCase

# A Tuesday morning: the Friday before is two working days back, four calendar days.
TUESDAY = "2030-01-08 10:00:00"
FRIDAY = datetime.date(2030, 1, 4)


@tagged("post_install", "-at_install")
class TestEscalation(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.third = new_test_user(cls.env, login="lt_third", name="Tia Third", groups="sales_team.group_sale_salesman")
        cls.env["crm.team.member"].create({"crm_team_id": cls.team.id, "user_id": cls.third.id})
        cls.team.user_id = cls.manager
        cls.company.lt_unattended_horizon_days = 0
        cls.env["crm.team.escalation.step"].search([]).unlink()  # the demo's: only this team escalates here
        cls.calendar = cls.company.resource_calendar_id
        cls.assertTrue(cls, cls.calendar, "the company has Odoo's standard 40-hour calendar")

    def _steps(self, *steps):
        self.team.lt_escalation_step_ids = [(0, 0, dict(zip(("days", "action"), step, strict=True))) for step in steps]

    def _neglected(self, user, deadline=FRIDAY, since="2029-12-01"):
        """An opportunity of ``user`` with an activity due on ``deadline``, held and untouched since ``since``."""
        lead = self.lt_lead(user_id=user.id, type="opportunity")
        lead.activity_schedule("mail.mail_activity_data_todo", date_deadline=deadline, user_id=user.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_open = %s, date_last_stage_update = %s WHERE id = %s", [since, since, lead.id]
        )
        lead.invalidate_recordset()
        return lead

    def _escalate(self):
        return self.env["crm.team"]._lt_escalate_neglected()

    def _log(self, lead):
        return self.env["crm.lead.escalation"].search([("lead_id", "=", lead.id)])

    @freeze_time(TUESDAY)
    def test_working_days_across_a_weekend_and_a_holiday(self):
        self._steps((3, "notify_leader"), (2, "activity"))
        lead = self._neglected(self.salesman)
        self.assertEqual(self._escalate(), 1)  # 2 working days since Friday (4 calendar days)
        self.assertEqual(self._log(lead).mapped("action"), ["activity"])
        self.assertEqual(self._log(lead).working_days, 2)
        self.assertEqual(lead.activity_ids.filtered(lambda a: a.summary == "Follow up this neglected lead").user_id,
                         self.salesman)
        # Monday was a public holiday: one working day only
        self.env["resource.calendar.leaves"].create({
            "name": "LT holiday", "calendar_id": self.calendar.id,
            "date_from": "2030-01-07 00:00:00", "date_to": "2030-01-07 23:59:59",
        })
        other = self._neglected(self.salesman_all)
        self.assertEqual(self._escalate(), 0)
        self.assertFalse(self._log(other))

    @freeze_time(TUESDAY)
    def test_each_step_once_until_the_salesperson_acts(self):
        self._steps((1, "notify_leader"), (2, "notify_manager"))
        lead = self._neglected(self.salesman)
        self.assertEqual(self._escalate(), 2)
        leader_messages = self.env["mail.message"].search(
            [("partner_ids", "in", self.manager.partner_id.ids), ("subject", "like", "neglected leads")]
        )
        self.assertEqual(len(leader_messages), 2)  # the leader, and the manager (no employee: the leader again)
        self.assertIn(lead.name, leader_messages[0].body)
        self.assertIn("Unattended for 2 working days", lead.message_ids[0].body)
        self.assertEqual(self._escalate(), 0)  # once
        # the salesperson writes on the lead: a new period of neglect starts from there
        lead.with_user(self.salesman).message_post(body="Called them", message_type="comment")
        self.assertEqual(self._escalate(), 0)
        with freeze_time("2030-01-15 10:00:00"):
            self.assertEqual(self._escalate(), 2)
        self.assertEqual(len(self._log(lead)), 4)

    @freeze_time(TUESDAY)
    def test_reassign_step_never_back_within_30_days(self):
        self._steps((1, "reassign"))
        lead = self._neglected(self.salesman)
        fresh = self._neglected(self.salesman, deadline=datetime.date(2030, 2, 15))  # not due yet
        # Alex received two leads this month, Tia none: the least loaded member is Tia
        self.lt_lead(user_id=self.salesman_all.id, type="opportunity")
        self.lt_lead(user_id=self.salesman_all.id, type="opportunity")
        self.assertEqual(self._escalate(), 1)
        self.assertEqual(lead.user_id, self.third)
        self.assertIn("unattended for 2 working days", lead.assignment_reason)
        self.assertEqual(fresh.user_id, self.salesman)
        self.assertEqual(lead.activity_ids.user_id, lead.user_id)
        self.assertTrue(self.env["mail.message"].search_count(
            [("partner_ids", "in", self.salesman.partner_id.ids), ("subject", "=", "Leads reassigned")]
        ))
        second = lead.user_id
        # neglected again by the second salesperson (from the hand-over on): the third one
        with freeze_time("2030-01-15 10:00:00"):
            self.assertEqual(self._escalate(), 1)
        third = lead.user_id
        self.assertEqual((second, third), (self.third, self.salesman_all), "never back to Sam within 30 days")
        with freeze_time("2030-01-22 10:00:00"):
            self._escalate()
        self.assertEqual(lead.user_id, third, "everyone else held it within 30 days: it stays")

    @freeze_time(TUESDAY)
    def test_horizon_and_no_steps(self):
        lead = self._neglected(self.salesman, deadline=datetime.date(2030, 1, 9))
        self.assertEqual(self._escalate(), 0)  # no step on the team
        self._steps((1, "notify_leader"))
        self.assertEqual(self._escalate(), 0)  # due tomorrow: not unattended yet
        self.company.lt_unattended_horizon_days = 5  # unattended from five days before the deadline
        self.assertEqual(self._escalate(), 1)
        self.assertTrue(self._log(lead))

    def test_former_reassign_days_become_a_step(self):
        self.env.cr.execute("ALTER TABLE crm_team ADD COLUMN IF NOT EXISTS reassign_after_days int")
        self.env.cr.execute("UPDATE crm_team SET reassign_after_days = 6 WHERE id = %s", [self.team.id])
        self.env["crm.team"]._lt_escalation_from_reassign_days()
        step = self.team.lt_escalation_step_ids
        self.assertEqual((step.days, step.action), (6, "reassign"))
