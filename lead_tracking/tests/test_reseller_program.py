"""The reseller program as a partner program runs it: portal access granted the standard way,
forwarding to the reseller's people, deal registration, answer deadlines, location fall-through
explained and a portal that feels like Odoo's."""

import datetime

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import (
    LeadTrackingCase,
    LtResellerPortalCase,
    lt_make_reseller,
    lt_make_reseller_user,
    lt_reseller_setup,
)

REVIEW = "lead_tracking.mail_activity_type_registration_review"


# ---- 1. access follows portal access ----------------------------------------------------------
@tagged("post_install", "-at_install")
class TestResellerPortalGrant(LtResellerPortalCase):
    def _grant(self, partner):
        """Contacts > Action > Grant portal access, as an administrator does it."""
        wizard = self.env["portal.wizard"].with_user(self.manager).with_context(
            active_model="res.partner", active_ids=partner.ids).create({})
        line = wizard.user_ids.filtered(lambda wizard_user: wizard_user.partner_id == partner)
        line.action_grant_access()
        user = partner.with_context(active_test=False).user_ids
        self.assertTrue(user.has_group("base.group_portal"))
        user.password = "granted-pass"  # what the invitation's signup link lets the contact choose
        return user

    def test_standard_grant_routes_and_rpc(self):
        contact = self.env["res.partner"].create(
            {"name": "Carla Contact", "email": "carla@reseller-a.example.com", "parent_id": self.reseller_a.id})
        user = self._grant(contact)
        self.authenticate(user.login, "granted-pass")
        leads = self.url_open("/my/leads").text
        self.assertIn("Lead Alpha", leads)
        self.assertNotIn("Lead Bravo", leads)
        self.assertIn("Opportunity Alpha", self.url_open("/my/opportunities").text)
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_a.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/opportunity/{self.opp_a.id}").status_code, 200)
        home = self.url_open("/my").text
        self.assertIn("/my/leads", home)
        self.assertIn("portal-opportunities.svg", home)
        for url in (f"/my/lead/{self.lead_b.id}", f"/my/opportunity/{self.opp_b.id}",
                    f"/my/lead/{self.lead_b.id}/interested", f"/my/lead/{self.lead_b.id}/decline"):
            self.assertEqual(self.url_open(url).status_code, 404, url)
        result, error = self._rpc("crm.lead", "read", [[self.lead_a.id], ["name"]])
        self.assertEqual(result[0]["name"], "Lead Alpha", error)
        for method, args in (("read", [[self.lead_b.id], ["name"]]), ("write", [[self.opp_b.id], {"priority": "3"}])):
            _result, error = self._rpc("crm.lead", method, args)
            self.assertEqual(error.get("name"), "odoo.exceptions.AccessError", method)
        result, _error = self._rpc("crm.lead", "search_read", [[], ["name"]])
        self.assertEqual({row["id"] for row in result}, {self.lead_a.id, self.opp_a.id})

    def test_second_contact_sees_the_resellers_leads(self):
        second = lt_make_reseller_user(self.env, "lt_portal_a2", self.reseller_a)
        Lead = self.env["crm.lead"].with_user(second)
        self.assertEqual(Lead.search([]), self.lead_a | self.opp_a)
        self.opp_a.with_user(second).write({"priority": "1"})
        with self.assertRaises(AccessError):
            self.lead_b.with_user(second).read(["name"])
        self.authenticate("lt_portal_a2", "lt_portal_a2")
        self.assertIn("Lead Alpha", self.url_open("/my/leads").text)
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_b.id}").status_code, 404)

    def test_revoked_access_sees_nothing(self):
        self.portal_a.active = False
        self.env["res.users"].with_user(self.portal_a).env.invalidate_all()
        self.logout()
        response = self.url_open(f"/my/lead/{self.lead_a.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))


# ---- 2. forwarding emails the reseller's people ------------------------------------------------
@tagged("post_install", "-at_install")
class TestResellerForwardRecipients(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lt_reseller_setup(cls)
        cls.portal_a2 = lt_make_reseller_user(cls.env, "lt_portal_a2", cls.reseller_a)
        cls.leads = cls.env["crm.lead"].create(
            [{"name": f"Forwarded {i}", "type": "lead", "email_from": "buyer@example.com"} for i in range(2)])

    def _forward(self, reseller):
        wizard = self.env["crm.reseller.forward"].with_user(self.salesman_all).with_context(
            active_model="crm.lead", active_ids=self.leads.ids).create({"reseller_id": reseller.id})
        result = wizard.action_forward()
        mails = self.env["mail.mail"].sudo().search([("model", "=", "crm.lead"), ("res_id", "in", self.leads.ids)])
        return result["params"]["message"], mails, wizard

    def test_portal_users_receive_it(self):
        message, mails, _wizard = self._forward(self.reseller_a)
        self.assertEqual(len(mails), 2)
        people = self.portal_a.partner_id | self.portal_a2.partner_id
        for mail in mails:
            self.assertEqual(mail.recipient_ids, people)
            self.assertIn(f"/my/lead/{mail.res_id}", mail.body_html)
        for partner in people:
            self.assertIn(partner.email, message)
        self.assertNotIn(self.reseller_a.email, message)

    def test_primary_contact_receives_it(self):
        primary = self.env["res.partner"].create(
            {"name": "Pia Primary", "email": "pia@reseller-a.example.com", "parent_id": self.reseller_a.id})
        self.reseller_a.reseller_primary_contact_id = primary
        message, mails, _wizard = self._forward(self.reseller_a)
        self.assertEqual(set(mails.mapped("recipient_ids")), {primary})
        self.assertIn("pia@reseller-a.example.com", message)

    def test_company_address_without_portal_access(self):
        lonely = lt_make_reseller(self.env, "Reseller C", self.level_gold, self.belgium)
        wizard_form = Form(self.env["crm.reseller.forward"].with_context(
            active_model="crm.lead", active_ids=self.leads.ids))
        wizard_form.reseller_id = lonely
        self.assertEqual(wizard_form.recipients_preview, lonely.email_formatted)
        message, mails, _wizard = self._forward(lonely)
        self.assertEqual(set(mails.mapped("recipient_ids")), {lonely})
        self.assertIn("company address", message)
        self.assertIn(lonely.email, message)

    def test_recipients_one_query_for_all_resellers(self):
        resellers = self.reseller_a | self.reseller_b
        resellers.invalidate_recordset()
        with self.assertQueryCount(6):
            recipients = resellers._lt_reseller_recipients()
        self.assertEqual(recipients[self.reseller_b.id], self.portal_b.partner_id)


# ---- 3. deal registration ----------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestDealRegistration(LtResellerPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reseller_a.user_id = cls.salesman
        cls.good = {
            "partner_name": "Namur Robotics", "contact_name": "Nina Noel",
            "email_from": "nina@namur-robotics.example.com", "phone": "+32 81 555 12 34",
            "country_id": str(cls.belgium.id), "description": "Needs a CRM\nfor 12 people",
            "expected_revenue": "12,500.50",
            "date_deadline": (fields.Date.today() + datetime.timedelta(days=40)).isoformat(),
        }

    def _register(self, data):
        return self._post("/my/opportunity/new", data)

    def _registrations(self):
        return self.env["crm.lead"].with_context(active_test=False).search(
            [("reseller_registered", "=", True), ("reseller_id", "=", self.reseller_a.id)])

    def test_button_and_form(self):
        self.assertIn('href="/my/opportunity/new"', self.url_open("/my/opportunities").text)
        page = self.url_open("/my/opportunity/new")
        self.assertEqual(page.status_code, 200)
        for name in ("partner_name", "contact_name", "email_from", "phone", "country_id", "description",
                     "expected_revenue", "date_deadline"):
            self.assertIn(f'name="{name}"', page.text)
        self.assertIn("Register a Deal", page.text)

    def test_register_good_input(self):
        response = self._register(self.good)
        self.assertEqual(response.status_code, 303)
        lead = self._registrations()
        self.assertEqual(len(lead), 1)
        self.assertTrue(response.headers["Location"].endswith(f"/my/opportunity/{lead.id}?registered=1"))
        self.assertEqual((lead.type, lead.reseller_id, lead.reseller_registration_state, lead.user_id),
                         ("opportunity", self.reseller_a, "pending", self.salesman))
        self.assertEqual((lead.partner_name, lead.contact_name, lead.email_from, lead.phone, lead.country_id),
                         ("Namur Robotics", "Nina Noel", "nina@namur-robotics.example.com", "+32 81 555 12 34",
                          self.belgium))
        self.assertEqual(lead.expected_revenue, 12500.50)
        self.assertEqual(lead.date_deadline, fields.Date.today() + datetime.timedelta(days=40))
        self.assertIn("for 12 people", str(lead.description))
        self.assertFalse(lead.reseller_registration_duplicate)
        activity = lead.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref(REVIEW))
        self.assertEqual(activity.user_id, self.salesman)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("under review", page)
        self.assertIn("Registration under review", self.url_open("/my/opportunities").text)

    def test_register_without_salesperson_uses_assignment(self):
        self.reseller_a.user_id = False
        self.env["crm.team"].search([("id", "!=", self.team.id)]).write({"assignment_optout": True})
        self.team.assignment_optout = False
        self._register(self.good)
        lead = self._registrations()
        self.assertIn(lead.user_id, self.salesman | self.salesman_all)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.activity_ids.user_id, lead.user_id)

    def test_register_bad_input_writes_nothing(self):
        before = self.env["crm.lead"].with_context(active_test=False).search_count([])
        cases = [
            ({"partner_name": " "}, "partner_name"), ({"contact_name": ""}, "contact_name"),
            ({"email_from": "not-an-email"}, "email_from"), ({"email_from": ""}, "email_from"),
            ({"phone": "call me maybe"}, "phone"), ({"expected_revenue": "abc"}, "expected_revenue"),
            ({"date_deadline": "2001-01-01"}, "date_deadline"), ({"date_deadline": "soon"}, "date_deadline"),
            ({"country_id": "999999"}, "country_id"), ({"partner_name": "a\x00b"}, "partner_name"),
            ({"description": "x" * 6000}, "description"),
        ]
        for broken, field in cases:
            response = self._register({**self.good, **broken})
            self.assertEqual(response.status_code, 400, broken)
            self.assertIn("invalid-feedback", response.text)
            self.assertRegex(response.text, rf'name="{field}"[^>]*|id="{field}"')
            kept = "Nina Noel" if field != "contact_name" else "Namur Robotics"
            self.assertIn(kept, response.text, "what was typed is kept")
        self.assertEqual(self.env["crm.lead"].with_context(active_test=False).search_count([]), before)
        response = self._register({**self.good, "expected_revenue": "abc"})
        self.assertIn('value="abc"', response.text)

    def test_register_duplicate_flagged(self):
        existing = self.lt_lead(name="Robots for Namur", partner_name="NAMUR robotics",
                                email_from="info@other.example.com")
        response = self._register(self.good)
        lead = self._registrations()
        self.assertTrue(lead.reseller_registration_duplicate)
        note = lead.message_ids.filtered(lambda m: "Possible duplicate" in (m.body or ""))
        self.assertTrue(note)
        self.assertIn(f'data-oe-id="{existing.id}"', note.body)
        self.assertTrue(note.subtype_id.internal)
        self.assertIn("possible duplicate", lead.activity_ids.summary)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("may already be in our pipeline", page)
        self.assertNotIn("Robots for Namur", page)
        # the same email is a duplicate too; a won or lost lead is not
        existing.write({"partner_name": "Other", "email_from": "NINA@namur-robotics.example.com"})
        self.assertEqual(lead._lt_registration_duplicates(), existing)
        existing.action_set_lost()
        self.assertFalse(lead._lt_registration_duplicates())

    def test_not_a_reseller_404(self):
        outsider = self.env["res.partner"].create({"name": "Outsider Ltd", "is_company": True})
        lt_make_reseller_user(self.env, "lt_outsider", outsider)
        self.authenticate("lt_outsider", "lt_outsider")
        self.assertEqual(self.url_open("/my/opportunity/new").status_code, 404)
        data = {**self.good, "csrf_token": self._csrf("/my/account")}
        self.assertEqual(self.url_open("/my/opportunity/new", data=data, allow_redirects=False).status_code, 404)
        self.assertNotIn("/my/opportunity/new", self.url_open("/my/opportunities").text)
        self.assertFalse(self.env["crm.lead"].search([("partner_name", "=", "Namur Robotics")]))

    def test_no_create_over_rpc(self):
        _result, error = self._rpc("crm.lead", "create", [{"name": "Mine", "reseller_id": self.reseller_a.id,
                                                         "reseller_registered": True}])
        self.assertEqual(error.get("name"), "odoo.exceptions.AccessError")

    def test_approve(self):
        self._register(self.good)
        lead = self._registrations()
        lead.with_user(self.salesman).action_lt_registration_approve()
        self.assertEqual(lead.reseller_registration_state, "approved")
        self.assertFalse(lead.activity_ids)
        message = lead.message_ids[0]
        self.assertIn("approved", message.body)
        self.assertEqual(message.partner_ids, self.portal_a.partner_id)
        self.assertIn("Registration approved", self.url_open(f"/my/opportunity/{lead.id}").text)

    def test_reject_with_reason(self):
        self._register(self.good)
        lead = self._registrations()
        action = lead.with_user(self.salesman).action_lt_registration_reject_wizard()
        wizard = self.env[action["res_model"]].with_user(self.salesman).with_context(**action["context"]).create(
            {"reason": "We already serve Namur Robotics directly."})
        wizard.action_reject()
        self.assertEqual(lead.reseller_registration_state, "rejected")
        self.assertFalse(lead.active)
        self.assertEqual(lead.lost_reason_id, self.env.ref("lead_tracking.lost_reason_registration_rejected"))
        self.assertIn("We already serve Namur Robotics directly.", lead.message_ids[0].body)
        self.assertEqual(lead.message_ids[0].partner_ids, self.portal_a.partner_id)
        listing = self.url_open("/my/opportunities").text
        self.assertIn("Namur Robotics", listing)
        self.assertIn("Registration rejected", listing)
        page = self.url_open(f"/my/opportunity/{lead.id}").text
        self.assertIn("We already serve Namur Robotics directly.", page)
        self.assertNotIn('class="o_lt_opportunity_form"', page)
        self._post(f"/my/opportunity/{lead.id}", {"priority": "3"}, form_url="/my/account")
        self.assertNotEqual(lead.priority, "3")

    def test_register_query_count(self):
        values = {"partner_name": "Query Co", "contact_name": "Q", "email_from": "q@query.example.com",
                  "country_id": self.belgium.id, "expected_revenue": 10.0}
        Lead = self.env["crm.lead"]
        Lead._lt_reseller_register(self.portal_a, dict(values, partner_name="Warm Co"))  # caches warmed
        self.env.invalidate_all()
        with self.assertQueryCount(120):
            Lead._lt_reseller_register(self.portal_a, values)


# ---- 4. answer deadline ------------------------------------------------------------------------
@tagged("post_install", "-at_install")
class TestResellerRecall(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lt_reseller_setup(cls)
        # 10 days: the demo's waiting leads (assigned at most 9 days ago) are neither due nor overdue
        cls.env["ir.config_parameter"].sudo().set_param("lead_tracking.reseller_answer_days", "10")
        now = fields.Datetime.now()
        cls.overdue = cls.lt_lead(name="Overdue lead", country_id=cls.belgium.id, state_id=cls.state_bru.id,
                                  reseller_id=cls.reseller_a.id,
                                  reseller_assigned_date=now - datetime.timedelta(days=11))
        cls.due = cls.lt_lead(name="Due lead", country_id=cls.belgium.id, reseller_id=cls.reseller_a.id,
                              reseller_assigned_date=now - datetime.timedelta(days=9, hours=6))
        cls.fresh = cls.lt_lead(name="Fresh lead", country_id=cls.belgium.id, reseller_id=cls.reseller_a.id,
                                reseller_assigned_date=now - datetime.timedelta(days=1))
        cls.answered = cls.lt_lead(name="Answered", type="opportunity", reseller_id=cls.reseller_a.id,
                                   reseller_assigned_date=now - datetime.timedelta(days=20))

    def _mails(self, template):
        return self.env["mail.mail"].sudo().search([
            ("model", "=", "res.partner"), ("res_id", "in", (self.reseller_a | self.reseller_b).ids),
            ("subject", "ilike", template)])

    def test_cron_record(self):
        cron = self.env.ref("lead_tracking.ir_cron_reseller_recall")
        self.assertEqual((cron.state, cron.code.strip(), cron.model_id.model),
                         ("code", "model._cron_lt_reseller_recall()", "crm.lead"))
        self.assertTrue(cron.active)

    def test_setting(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.lt_reseller_answer_days, 10)
        settings.lt_reseller_answer_days = 5
        settings.execute()
        self.assertEqual(self.env["crm.lead"]._lt_reseller_answer_days(), 5)
        self.assertIn("lt_reseller_answer_days", self.env["res.config.settings"].get_view(view_type="form")["arch"])

    def test_recall_and_reminder(self):
        reminded, recalled, reassigned = self.env["crm.lead"]._cron_lt_reseller_recall()
        self.assertEqual((reminded, recalled, reassigned), (1, 1, 1))
        # recalled: A declined it (no answer), the next reseller by the usual rules has it
        self.assertEqual(self.overdue.reseller_declined_ids, self.reseller_a)
        self.assertEqual(self.overdue.reseller_id, self.reseller_b)
        self.assertAlmostEqual(self.overdue.reseller_assigned_date, fields.Datetime.now(),
                               delta=datetime.timedelta(minutes=5))
        log = self.overdue.message_ids[0]
        self.assertIn("No answer from Reseller A in 10 days", log.body)
        self.assertIn("Given to Reseller B", log.body)
        self.assertTrue(log.subtype_id.internal)
        recalled_mail = self._mails("Leads recalled")
        self.assertEqual(recalled_mail.recipient_ids, self.portal_a.partner_id)
        self.assertIn("Overdue lead", recalled_mail.body_html)
        new_mail = self._mails("New leads for you")
        self.assertEqual(new_mail.recipient_ids, self.portal_b.partner_id)
        self.assertIn(f"/my/lead/{self.overdue.id}", new_mail.body_html)
        # reminded once, the day before the deadline
        self.assertEqual(self.due.reseller_reminder_sent, fields.Date.today())
        reminder = self._mails("waiting for your answer")
        self.assertEqual(reminder.recipient_ids, self.portal_a.partner_id)
        self.assertIn("Due lead", reminder.body_html)
        self.assertEqual(self.due.reseller_id, self.reseller_a)
        self.assertEqual((self.fresh.reseller_id, self.answered.reseller_id), (self.reseller_a, self.reseller_a))
        self.assertFalse(self.fresh.reseller_reminder_sent)
        # a second run: nothing new
        self.assertEqual(self.env["crm.lead"]._cron_lt_reseller_recall(), (0, 0, 0))
        self.assertEqual(len(self._mails("waiting for your answer")), 1)

    def test_no_deadline(self):
        self.env["ir.config_parameter"].sudo().set_param("lead_tracking.reseller_answer_days", "0")
        self.assertEqual(self.env["crm.lead"]._cron_lt_reseller_recall(), (0, 0, 0))
        self.assertEqual(self.overdue.reseller_id, self.reseller_a)
        self.assertFalse(self.overdue.reseller_answer_deadline)

    def test_nobody_left(self):
        self.overdue.reseller_declined_ids = [(4, self.reseller_b.id)]
        self.env["crm.lead"]._cron_lt_reseller_recall()
        self.assertFalse(self.overdue.reseller_id)
        self.assertEqual(self.overdue.reseller_declined_ids, self.reseller_a | self.reseller_b)
        self.assertIn("No other reseller could take it", self.overdue.message_ids[0].body)
        self.assertFalse(self._mails("New leads for you"))

    def test_deadline_shown(self):
        deadline = self.overdue.reseller_assigned_date + datetime.timedelta(days=10)
        self.assertEqual(self.overdue.reseller_answer_deadline, deadline)
        self.assertFalse(self.answered.reseller_answer_deadline)

    def test_locked_lead_not_recalled_twice(self):
        """A concurrent run holds a lead: this run skips it (FOR UPDATE SKIP LOCKED) and takes the others.
        The demo's lead due tomorrow (assigned 6.5 days before install) is committed, so another
        cursor can lock it; a 5-day deadline makes it overdue."""
        held = self.env.ref("lead_tracking.reseller_program_lead_due")
        reseller = held.reseller_id
        self.env["ir.config_parameter"].sudo().set_param("lead_tracking.reseller_answer_days", "5")
        self.env.flush_all()
        with self.env.registry.cursor() as other:
            other.execute("SELECT id FROM crm_lead WHERE id = %s FOR UPDATE", [held.id])
            self.assertEqual(other.rowcount, 1)
            self.env["crm.lead"]._cron_lt_reseller_recall()
            other.rollback()
        self.assertEqual(held.reseller_id, reseller)
        self.assertFalse(held.reseller_declined_ids & reseller)
        self.assertEqual(self.overdue.reseller_declined_ids, self.reseller_a)

    def test_batches(self):
        now = fields.Datetime.now()
        more = self.env["crm.lead"].create([
            {"name": f"Old {i}", "type": "lead", "country_id": self.belgium.id, "reseller_id": self.reseller_a.id,
             "reseller_assigned_date": now - datetime.timedelta(days=12)} for i in range(7)])
        _reminded, recalled, reassigned = self.env["crm.lead"]._cron_lt_reseller_recall(batch_size=3)
        self.assertEqual((recalled, reassigned), (8, 8))
        self.assertEqual(set(more.mapped("reseller_id")), {self.reseller_b})
        self.assertEqual(len(self._mails("Leads recalled")), 3, "one email per reseller and batch")


# ---- 5. location fall-through explained --------------------------------------------------------
@tagged("post_install", "-at_install")
class TestResellerFallthrough(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lt_reseller_setup(cls)
        cls.uk = cls.env.ref("base.uk")
        cls.us = cls.env.ref("base.us")
        lt_make_reseller(cls.env, "Quiet UK", cls.level_zero, cls.uk)
        cls.reseller_us = lt_make_reseller(cls.env, "Lone Star", cls.level_gold, cls.us)
        cls.reseller_a.reseller_level_id = cls.level_zero  # Belgium: only B (Flanders) remains
        cls.env.company.lt_reseller_assign_anywhere = True

    def test_last_resort_noted_and_counted(self):
        london = self.lt_lead(name="London lead", country_id=self.uk.id)
        flanders = self.lt_lead(name="Flanders lead", country_id=self.belgium.id, state_id=self.state_vlg.id)
        brussels = self.lt_lead(name="Brussels lead", country_id=self.belgium.id, state_id=self.state_bru.id)
        nowhere = self.lt_lead(name="Nowhere lead")
        declined = self.lt_lead(name="Declined lead", country_id=self.uk.id,
                                reseller_declined_ids=[(6, 0, (self.reseller_b | self.reseller_us).ids)])
        leads = london | flanders | brussels | nowhere | declined
        result = leads.action_assign_reseller()
        message = result["params"]["message"]
        self.assertIn("in the lead's state", message)
        self.assertIn("4 lead(s) given to a reseller: 1 in the lead's state, 1 in its country, 2 anywhere as last "
                      "resort; 1 left without one.", message)
        self.assertEqual(result["params"]["type"], "warning")
        self.assertEqual(london.reseller_assign_note,
                         "No reseller with weight in United Kingdom; given to Lone Star (United States) as last resort."
                         if london.reseller_id == self.reseller_us else
                         "No reseller with weight in United Kingdom; given to Reseller B (Belgium) as last resort.")
        self.assertIn("London lead: No reseller with weight in United Kingdom", message)
        self.assertIn("no state or country", nowhere.reseller_assign_note)
        self.assertFalse(flanders.reseller_assign_note)
        self.assertEqual(flanders.reseller_id, self.reseller_b)
        self.assertEqual(brussels.reseller_id, self.reseller_b)
        self.assertFalse(brussels.reseller_assign_note)
        self.assertFalse(declined.reseller_id)
        self.assertIn("declined", declined.reseller_assign_note)

    def test_summary_counts(self):
        leads = self.env["crm.lead"].create([{"name": f"UK {i}", "type": "lead", "country_id": self.uk.id}
                                             for i in range(3)])
        result = leads._lt_reseller_assign(details=True)
        self.assertEqual(result["by_rule"], {"state": 0, "country": 0, "anywhere": 3, "none": 0})
        self.assertEqual(len(result["fallthrough"]), 3)


# ---- 6. a portal that feels like Odoo's -----------------------------------------------------------
@tagged("post_install", "-at_install")
class TestResellerPortalFeel(LtResellerPortalCase):
    def test_home_counts_icons(self):
        self.lt_lead(name="Second lead", reseller_id=self.reseller_a.id)
        home = self.url_open("/my").text
        self.assertIn("portal-leads.svg", home)
        self.assertIn("portal-opportunities.svg", home)
        self.assertNotIn("/portal/static/src/img/portal-addresses.svg", home.split("/my/leads")[0][-600:])
        self.assertRegex(home, r"<h5[^>]*>\s*2\s*<span>Leads</span>")
        self.assertRegex(home, r"<h5[^>]*>\s*1\s*<span>Opportunities</span>")

    def test_breadcrumbs(self):
        for url, crumb in (("/my/opportunities", "Opportunities"), ("/my/leads", "Leads"),
                           ("/my/opportunity/new", "Register a Deal")):
            page = self.url_open(url).text
            breadcrumbs = page[page.index("o_portal_submenu"):]
            breadcrumbs = breadcrumbs[:breadcrumbs.index("</ol>")]
            self.assertIn(crumb, breadcrumbs, url)

    def test_money_and_dates_in_the_readers_language(self):
        self.opp_a.write({"expected_revenue": 12000, "date_deadline": "2030-03-15"})
        listing = self.url_open("/my/opportunities").text
        self.assertIn("12,000.00", listing)
        self.assertIn("03/15/2030", listing)
        self.env["res.lang"]._activate_lang("fr_FR")
        self.portal_a.lang = "fr_FR"
        self.authenticate("lt_portal_a", "lt_portal_a")
        listing = self.url_open("/my/opportunities").text
        self.assertRegex(listing, r"12\W000,00")
        self.assertIn("15/03/2030", listing)
        page = self.url_open(f"/my/opportunity/{self.opp_a.id}").text
        self.assertRegex(page, r'name="expected_revenue"[^>]*value="12\W000,00"')

    def test_odoo_portal_chatter(self):
        opp = self.opp_a
        opp.message_post(body="INTERNAL NOTE: margin", subtype_xmlid="mail.mt_note", message_type="comment")
        opp.message_post(body="Visible: please call", subtype_xmlid="mail.mt_comment", message_type="comment")
        page = self.url_open(f"/my/opportunity/{opp.id}").text
        self.assertIn('data-res_model="crm.lead"', page)
        self.assertIn(f'data-res_id="{opp.id}"', page)
        fetched = self._json("/mail/chatter_init", {"res_model": "crm.lead", "res_id": opp.id, "allow_composer": True})
        bodies = " ".join(message["body"] for message in fetched["result"]["messages"])
        self.assertIn("Visible: please call", bodies)
        self.assertNotIn("INTERNAL NOTE", bodies)
        self.assertTrue(fetched["result"]["options"]["display_composer"])
        posted = self._json("/mail/chatter_post",
                            {"res_model": "crm.lead", "res_id": opp.id, "message": "From the portal"})
        self.assertIn("default_message_id", posted["result"])
        self.assertEqual(opp.message_ids[0].author_id, self.portal_a.partner_id)
        # another reseller's opportunity: nothing read, nothing posted
        self.opp_b.message_post(body="B's own talk", subtype_xmlid="mail.mt_comment", message_type="comment")
        fetched = self._json("/mail/chatter_init", {"res_model": "crm.lead", "res_id": self.opp_b.id})
        self.assertEqual(fetched["result"]["messages"], [])
        posted = self._json("/mail/chatter_post", {"res_model": "crm.lead", "res_id": self.opp_b.id, "message": "x"})
        self.assertEqual(posted["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertNotIn(self.portal_a.partner_id, self.opp_b.message_ids.author_id)

    def test_attachments_through_the_chatter(self):
        token = self._csrf(f"/my/opportunity/{self.opp_a.id}")
        response = self.opener.post(
            f"{self.base_url()}/portal/attachment/add",
            data={"name": "offer.txt", "res_model": "crm.lead", "res_id": self.opp_a.id, "csrf_token": token},
            files={"file": ("offer.txt", b"our offer", "text/plain")},
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        attachment = response.json()
        posted = self._json("/mail/chatter_post", {
            "res_model": "crm.lead", "res_id": self.opp_a.id, "message": "", "attachment_ids": [attachment["id"]],
            "attachment_tokens": [attachment["access_token"]]})
        self.assertIn("default_attachment_ids", posted["result"])
        self.assertEqual(self.opp_a.message_ids[0].attachment_ids.name, "offer.txt")
        response = self.opener.post(
            f"{self.base_url()}/portal/attachment/add",
            data={"name": "x.txt", "res_model": "crm.lead", "res_id": self.opp_b.id, "csrf_token": token},
            files={"file": ("x.txt", b"x", "text/plain")},
        )
        self.assertNotEqual(response.status_code, 200)

    def test_accept_and_decline_notes(self):
        self._post(f"/my/lead/{self.lead_a.id}/interested", {
            "activity_summary": "Call the buyer", "activity_date": "2030-01-15", "expected_revenue": "1500",
            "contacted": "on"})
        fetched = self._json("/mail/chatter_init", {"res_model": "crm.lead", "res_id": self.lead_a.id})
        bodies = " ".join(message["body"] for message in fetched["result"]["messages"])
        self.assertIn("is interested", bodies)
        self.assertIn("01/15/2030", bodies)
        lead = self.lt_lead(name="To decline", reseller_id=self.reseller_a.id)
        self._post(f"/my/lead/{lead.id}/decline", {"reason": "We only serve freelancers.", "contacted": "no"})
        note = lead.message_ids.filtered(lambda m: "not interested" in (m.body or ""))
        self.assertIn("We only serve freelancers.", note.body)
        self.assertNotIn("..", note.body)

    def test_email_button_opens_the_portal_page(self):
        message = self.opp_a.with_context(mail_notify_force_send=False).message_post(
            body="Hello reseller", partner_ids=self.portal_a.partner_id.ids,
            message_type="comment", subtype_xmlid="mail.mt_comment")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.recipient_ids, self.portal_a.partner_id)
        self.assertIn("/mail/view", str(mail.body_html))
        response = self.url_open(f"/mail/view?model=crm.lead&res_id={self.opp_a.id}", allow_redirects=False)
        self.assertIn(f"/my/opportunity/{self.opp_a.id}", response.headers.get("Location", ""))
        response = self.url_open(f"/mail/view?model=crm.lead&res_id={self.opp_b.id}", allow_redirects=False)
        self.assertNotIn(f"/my/opportunity/{self.opp_b.id}", response.headers.get("Location", ""))

    def test_answer_deadline_shown(self):
        self.env["ir.config_parameter"].sudo().set_param("lead_tracking.reseller_answer_days", "5")
        self.lead_a.reseller_assigned_date = "2030-01-10 09:00:00"
        page = self.url_open(f"/my/lead/{self.lead_a.id}").text
        self.assertIn("Please answer by", page)
        self.assertIn("01/15/2030", page)
        self.assertIn("01/15/2030", self.url_open("/my/leads").text)

    def test_no_warning_in_the_log(self):
        with self.assertNoLogs("odoo.models", level="WARNING"):
            self.url_open("/partners")
            self.url_open(f"/partners/{self.reseller_a.id}")
            self.url_open("/my")
            self.url_open("/my/leads")
            self.url_open("/my/opportunities")
            self.url_open(f"/my/opportunity/{self.opp_a.id}")
            self.url_open("/my/opportunity/new")

    def test_tour_registration(self):
        self.reseller_a.user_id = self.salesman
        self.start_tour("/my/opportunities", "lead_tracking_reseller_registration", login="lt_portal_a")
        lead = self.env["crm.lead"].search([("partner_name", "=", "Tour Solar Farms")])
        self.assertEqual((lead.reseller_id, lead.reseller_registration_state, lead.user_id),
                         (self.reseller_a, "pending", self.salesman))
        self.assertEqual(lead.email_from, "buyer@tour-solar.example.com")
        self.assertEqual(lead.expected_revenue, 25000)
