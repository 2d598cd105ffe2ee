"""The demo looks like a company: real salespeople of the lead's team, phones of the record's country."""

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        data = cls.env["ir.model.data"].search(
            [("module", "=", "lead_tracking"), ("model", "in", ("crm.lead", "res.partner"))]
        )
        ids = {"crm.lead": [], "res.partner": []}
        for row in data:
            ids[row.model].append(row.res_id)
        Lead = cls.env["crm.lead"].with_context(active_test=False)
        cls.leads = Lead.browse(ids["crm.lead"]).exists()
        cls.partners = cls.env["res.partner"].with_context(active_test=False).browse(ids["res.partner"]).exists()

    def test_demo_is_loaded(self):
        """Without the demo's leads every check below would pass on nothing."""
        self.assertGreater(len(self.leads), 100)

    def test_salespeople_are_real(self):
        """Every demo lead has none or a salesperson of its team, never OdooBot (the loading user)."""
        bot = self.env.ref("base.user_root")
        odd = []
        for lead in self.leads.filtered("user_id"):
            team_users = lead.team_id.crm_team_member_ids.user_id | lead.team_id.user_id
            if lead.user_id == bot or lead.user_id.share or lead.user_id not in team_users:
                odd.append(f"{lead.name}: {lead.user_id.name} in {lead.team_id.name or 'no team'}")
        self.assertFalse(odd, "demo leads with an odd salesperson")

    def test_reseller_leads_have_a_salesperson(self):
        """Accepting a reseller lead schedules an activity for its salesperson: there must be one."""
        reseller_leads = self.leads.filtered("reseller_id")
        self.assertTrue(reseller_leads)
        self.assertFalse(reseller_leads.filtered(lambda lead: not lead.user_id).mapped("name"))

    def test_activities_belong_to_the_salesperson(self):
        domain = [("res_model", "=", "crm.lead"), ("res_id", "in", self.leads.ids)]
        activities = self.env["mail.activity"].search(domain)
        self.assertTrue(activities)
        leads = {lead.id: lead for lead in self.leads}
        odd = [a.summary for a in activities if a.user_id != leads[a.res_id].user_id]
        self.assertFalse(odd, "activities of demo leads given to someone else than the lead's salesperson")

    def test_phones_match_countries(self):
        """A phone number starts with the calling code of its record's country (+32 in Belgium...)."""
        odd = []
        for record in [*self.leads, *self.partners]:
            for number in filter(None, (record.phone, record.mobile)):
                compact = "".join(number.split())
                if not record.country_id:
                    odd.append(f"{record.display_name}: {number} without a country")
                elif not compact.startswith(f"+{record.country_id.phone_code}"):
                    odd.append(f"{record.display_name}: {number} in {record.country_id.code}")
        self.assertFalse(odd, "demo phones that do not match their country")

    def test_customer_leads_are_at_the_customer(self):
        """A lead of a known customer is at the customer's address (country and city)."""
        odd = [
            lead.name
            for lead in self.leads.filtered(lambda lead: lead.partner_id.country_id)
            if (lead.country_id, lead.city) != (lead.partner_id.country_id, lead.partner_id.city)
        ]
        self.assertFalse(odd)
