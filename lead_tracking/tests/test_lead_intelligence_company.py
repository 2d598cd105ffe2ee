"""Lead Intelligence settings are per company: each lead follows the quality definition and the
unattended horizon of its own company, whichever company the user works in."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestLeadIntelligenceCompany(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create({"name": "LT Second Company"})
        cls.salesman.company_ids |= cls.company_2

    def _pair(self, **values):
        """The same lead in each company (no team: a team belongs to one company)."""
        return tuple(
            self.lt_lead(team_id=False, company_id=company.id, **values) for company in (self.company, self.company_2)
        )

    def test_quality_definition_per_company(self):
        self.company_2.lt_quality_domain = "[('name', 'ilike', 'VIP')]"
        here, there = self._pair(name="VIP without phone", phone=False)
        self.assertEqual((here.is_quality_lead, there.is_quality_lead), (False, True))
        plain_here, plain_there = self._pair(name="Plain with phone")
        self.assertEqual((plain_here.is_quality_lead, plain_there.is_quality_lead), (True, False))
        # the set-based refresh applies each company's definition too
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET is_quality_lead = NOT is_quality_lead WHERE id = ANY(%s)",
                            [[here.id, there.id, plain_here.id, plain_there.id]])
        self.env["crm.lead"].invalidate_model(["is_quality_lead"])
        self.env["crm.lead"]._lt_refresh_all()
        self.assertEqual([lead.is_quality_lead for lead in (here, there, plain_here, plain_there)],
                         [False, True, True, False])

    def test_unattended_horizon_per_company(self):
        self.company.lt_unattended_horizon_days = 0
        self.company_2.lt_unattended_horizon_days = 5
        here, there = self._pair(name="Due in three days", user_id=self.salesman.id)
        in_three_days = fields.Date.context_today(here) + relativedelta(days=3)
        for lead in (here, there):
            lead.activity_schedule("mail.mail_activity_data_call", date_deadline=in_three_days,
                                   user_id=self.salesman.id)
        for company in (self.company, self.company_2):
            Lead = self.env["crm.lead"].with_company(company)
            (here | there).invalidate_recordset(["is_unattended"])
            self.assertEqual([lead.with_company(company).is_unattended for lead in (here, there)], [False, True],
                             company.name)
            self.assertEqual(Lead.search([("is_unattended", "=", True), ("id", "in", (here | there).ids)]), there,
                             company.name)
