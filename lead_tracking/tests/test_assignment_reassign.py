"""Neglected leads: handed on to another member of the team, never back within 30 days."""

import datetime

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestAssignmentReassign(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.third = new_test_user(cls.env, login="lt_third", name="Tia Third", groups="sales_team.group_sale_salesman")
        cls.env["crm.team.member"].create({"crm_team_id": cls.team.id, "user_id": cls.third.id})
        cls.team.reassign_after_days = 3

    def _neglected(self, user, overdue_days, held_days=10):
        lead = self.lt_lead(user_id=user.id, type="opportunity")
        lead.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=fields.Date.today() - datetime.timedelta(days=overdue_days),
            user_id=user.id,
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_open = now() - make_interval(days => %s) WHERE id = %s", [held_days, lead.id]
        )
        lead.invalidate_recordset()
        return lead

    def test_reassign_neglected_lead(self):
        lead = self._neglected(self.salesman, overdue_days=5)
        fresh = self._neglected(self.salesman, overdue_days=1)
        count = self.env["crm.team"]._cron_assign_leads(work_days=1) and self.env["lt.lead.reassignment"].search_count(
            [("lead_id", "in", (lead | fresh).ids)]
        )
        self.assertEqual(count, 1)
        self.assertNotEqual(lead.user_id, self.salesman)
        self.assertIn("unattended for more than 3 days", lead.assignment_reason)
        self.assertEqual(fresh.user_id, self.salesman)
        self.assertEqual(lead.activity_ids.user_id, lead.user_id)
        self.assertIn("unattended", lead.message_ids[:3].mapped("body")[0] + "".join(lead.message_ids.mapped("body")))
        # the previous salesperson was notified
        self.assertTrue(
            self.env["mail.message"].search_count(
                [("partner_ids", "in", self.salesman.partner_id.ids), ("subject", "=", "Leads reassigned")]
            )
        )

    def test_never_back_within_30_days(self):
        lead = self._neglected(self.salesman, overdue_days=9)
        self.team._lt_assign_reassign_neglected()
        second = lead.user_id
        self.env.cr.execute("UPDATE crm_lead SET date_open = now() - interval '10 days' WHERE id = %s", [lead.id])
        lead.invalidate_recordset()
        self.team._lt_assign_reassign_neglected()
        third = lead.user_id
        self.assertEqual(len(self.salesman | second | third), 3)
        self.env.cr.execute("UPDATE crm_lead SET date_open = now() - interval '10 days' WHERE id = %s", [lead.id])
        lead.invalidate_recordset()
        # every other member held it within 30 days: it stays where it is
        self.assertEqual(self.team._lt_assign_reassign_neglected(), 0)
        self.assertEqual(lead.user_id, third)

    def test_off_when_zero(self):
        self.team.reassign_after_days = 0
        lead = self._neglected(self.salesman, overdue_days=20)
        self.assertEqual(self.team._lt_assign_reassign_neglected(), 0)
        self.assertEqual(lead.user_id, self.salesman)

    def test_horizon_counts(self):
        self.company.lt_unattended_horizon_days = 3
        lead = self._neglected(self.salesman, overdue_days=1)  # unattended since 4 days with the horizon
        self.assertEqual(self.team._lt_assign_reassign_neglected(), 1)
        self.assertNotEqual(lead.user_id, self.salesman)
