"""A hostile reseller: what it may change, what it may read, and input that must never make a 500.

Each test sends the request that got through before the field-level limits existed (JSON-RPC and
the portal forms, as the reseller's portal user)."""


from hypothesis import given
from hypothesis import strategies as st

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CSRF, FUZZ, HOSTILE, LtResellerPortalCase

OPPORTUNITY_FIELDS = ["stage_id", "priority", "expected_revenue", "date_deadline", "contact_name", "email_from",
                      "phone", "street", "city", "zip", "country_id", "partner_id", "user_id", "probability"]
INTERESTED_FIELDS = ["activity_summary", "activity_date", "expected_revenue", "contacted"]


@tagged("post_install", "-at_install")
class TestResellerSecurity(LtResellerPortalCase):
    def test_rpc_writes_only_what_settings_allow(self):
        before = (self.opp_a.user_id, self.opp_a.reseller_id, self.opp_a.probability, self.opp_a.company_id)
        refused = {
            "user_id": self.portal_a.id, "probability": 100, "assignment_reason": "mine", "company_id": False,
            "reseller_declined_ids": [(4, self.reseller_b.id)], "partner_id": 3, "reseller_id": self.reseller_b.id,
            "active": False, "team_id": False,
        }
        for name, value in refused.items():
            _result, error = self._rpc("crm.lead", "write", [[self.opp_a.id], {name: value}])
            self.assertEqual(error.get("name"), "odoo.exceptions.AccessError", name)
        self.opp_a.invalidate_recordset()
        after = (self.opp_a.user_id, self.opp_a.reseller_id, self.opp_a.probability, self.opp_a.company_id)
        self.assertEqual(after, before)
        self.assertTrue(self.opp_a.active)
        self.assertFalse(self.opp_a.reseller_declined_ids)
        # what resellers may change
        result, error = self._rpc("crm.lead", "write", [[self.opp_a.id], {"priority": "2", "city": "Namur"}])
        self.assertTrue(result, error)
        self.assertEqual((self.opp_a.priority, self.opp_a.city), ("2", "Namur"))
        # Settings: contact details locked
        self.env["ir.config_parameter"].set_param("lead_tracking.reseller_edit_contact", "False")
        _result, error = self._rpc("crm.lead", "write", [[self.opp_a.id], {"city": "Liège"}])
        self.assertEqual(error.get("name"), "odoo.exceptions.AccessError")

    def test_no_contact_details_of_others(self):
        """Setting the customer to someone else's partner was a way to read that partner's details."""
        lead = self.lead_a.with_user(self.portal_a)
        for partner in (self.env.ref("base.main_partner"), self.reseller_b):
            with self.assertRaises(AccessError):
                lead.write({"partner_id": partner.id})
        self.assertFalse(self.lead_a.partner_id)

    def test_salespeople_fields_unreadable(self):
        lead = self.opp_a.with_user(self.portal_a)
        self.assertEqual(lead.read(["name"])[0]["name"], "Opportunity Alpha")
        for name in ("assignment_reason", "is_quality_lead", "score_tier", "closing_score",
                     "reseller_declined_ids", "reseller_assign_note", "lt_score_explanation_html"):
            with self.assertRaises(AccessError, msg=name):
                lead.read([name])
        self.assertNotIn("assignment_reason", lead.read()[0])

    def test_followers_only_self(self):
        lead = self.opp_a.with_user(self.portal_a)
        with self.assertRaises(AccessError):
            lead.message_subscribe(partner_ids=self.reseller_b.ids)
        with self.assertRaises(AccessError):
            lead.message_unsubscribe(partner_ids=self.salesman.partner_id.ids)
        _result, error = self._rpc("crm.lead", "message_subscribe", [[self.opp_a.id], [self.reseller_b.id]])
        self.assertEqual(error.get("name"), "odoo.exceptions.AccessError")
        self.assertNotIn(self.reseller_b, self.opp_a.message_partner_ids)

    def test_notes_stay_internal(self):
        opp = self.opp_a
        opp.message_post(body="INTERNAL NOTE: margin is 40%", subtype_xmlid="mail.mt_note", message_type="comment")
        opp._message_log(body="LOGGED: reassigned")
        opp.message_post(body="INTERNAL SUBTYPE: stage talk", subtype_id=self.env.ref("crm.mt_lead_stage").id)
        opp.message_post(body="For the reseller: call them", subtype_xmlid="mail.mt_comment", message_type="comment")
        page = self.url_open(f"/my/opportunity/{opp.id}").text
        self.assertIn("For the reseller: call them", page)
        for hidden in ("INTERNAL NOTE", "LOGGED", "INTERNAL SUBTYPE"):
            self.assertNotIn(hidden, page)
        bodies = " ".join(self.env["mail.message"].with_user(self.portal_a).search(
            [("model", "=", "crm.lead"), ("res_id", "=", opp.id)]).mapped("body"))
        for hidden in ("INTERNAL NOTE", "LOGGED"):
            self.assertNotIn(hidden, bodies)

    def test_closing_needs_approval(self):
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        with self.assertRaises(AccessError):
            self.opp_a.with_user(self.portal_a).write({"stage_id": won.id})
        with self.assertRaises(AccessError):
            self.opp_a.with_user(self.portal_a).action_set_won()
        response = self._post(f"/my/opportunity/{self.opp_a.id}", {"stage_id": str(won.id)})
        self.assertEqual(response.status_code, 303)
        self.assertNotEqual(self.opp_a.stage_id, won)
        self.assertTrue(self.opp_a.reseller_won_requested)
        self.assertIn("Confirm the win", self.opp_a.activity_ids.summary)
        # the salesperson confirms
        self.opp_a.action_set_won()
        self.assertFalse(self.opp_a.reseller_won_requested)
        # Settings: resellers may close deals
        self.env["ir.config_parameter"].set_param("lead_tracking.reseller_may_close", "True")
        self.opp_b.reseller_id = self.reseller_a
        self.opp_b.with_user(self.portal_a).write({"stage_id": won.id})
        self.assertEqual(self.opp_b.stage_id, won)

    def test_public_pages(self):
        self.reseller_a.website = "javascript:alert(1)"
        self.reseller_b.website = "https://reseller-b.example.com"
        self.assertNotIn("javascript:", self.url_open(f"/partners/{self.reseller_a.id}").text)
        self.assertIn('href="https://reseller-b.example.com"', self.url_open(f"/partners/{self.reseller_b.id}").text)
        self.reseller_b.active = False
        self.assertEqual(self.url_open(f"/partners/{self.reseller_b.id}").status_code, 404)
        self.assertNotIn("Reseller B", self.url_open("/partners").text)

    def test_hostile_input_never_500(self):
        """Each request that made a 500 or was accepted as it should not be."""
        nul = "a\x00b"
        for url in ("/my/leads", "/my/opportunities"):
            self.assertEqual(self.url_open(f"{url}?search={nul}").status_code, 200)
            self.assertEqual(self.url_open(f"{url}?search={'x' * 5000}").status_code, 200)
        opp_url = f"/my/opportunity/{self.opp_a.id}"
        lead_url = f"/my/lead/{self.lead_a.id}/interested"
        good = {"activity_summary": "Call", "activity_date": "2030-01-15", "expected_revenue": "10", "contacted": "on"}
        cases = [
            (opp_url, {"city": nul}), (opp_url, {"email_from": f"x{nul}@example.com"}),
            (opp_url, {"expected_revenue": "1e308"}), (opp_url, {"date_deadline": "2024-01-01garbage"}),
            (opp_url, {"date_deadline": "0001-01-01"}), (opp_url, {"stage_id": "\u0661"}),
            (opp_url, {"city": "x" * 1_000_000}),
            (lead_url, {**good, "activity_summary": nul}), (lead_url, {**good, "expected_revenue": "1e308"}),
            (lead_url, {**good, "activity_date": "2024-01-01garbage"}),
        ]
        for url, data in cases:
            response = self._post(url, data)
            self.assertEqual(response.status_code, 400, (url, {k: v[:40] for k, v in data.items()}))
            self.assertIn("invalid-feedback", response.text)
        self.assertEqual(self.lead_a.type, "lead")
        self.assertEqual((self.opp_a.city, self.opp_a.expected_revenue, self.opp_a.date_deadline), (False, 0, False))
        # the form keeps what was typed
        response = self._post(opp_url, {"expected_revenue": "abc", "city": "Kept City"})
        self.assertIn('value="abc"', response.text)
        self.assertIn('value="Kept City"', response.text)

    def test_missing_csrf_refused(self):
        response = self._post(f"/my/opportunity/{self.opp_a.id}", {"city": "No token"}, csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self.url_open(f"/my/opportunity/{self.opp_a.id}", data={"city": "Bad", "csrf_token": "x"},
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.opp_a.city)
        self.assertTrue(CSRF.search(self.url_open(f"/my/opportunity/{self.opp_a.id}").text))

    def test_settings_decide_what_resellers_change(self):
        Lead = self.env["crm.lead"]
        self.assertEqual(Lead._lt_portal_writable_fields(), {
            "stage_id", "priority", "expected_revenue", "date_deadline",
            "contact_name", "email_from", "phone", "street", "city", "zip", "country_id",
        })
        settings = self.env["res.config.settings"].create({})
        self.assertEqual((settings.lt_reseller_edit_terms, settings.lt_reseller_edit_contact,
                          settings.lt_reseller_may_close), (True, True, False))
        settings.write({"lt_reseller_edit_terms": False, "lt_reseller_edit_contact": False,
                        "lt_reseller_may_close": True})
        settings.execute()
        self.assertEqual(Lead._lt_portal_writable_fields(), {"stage_id", "priority"})
        self.assertTrue(Lead._lt_portal_may_close())
        page = self.url_open(f"/my/opportunity/{self.opp_a.id}").text
        self.assertNotIn('name="expected_revenue"', page)
        self.assertNotIn('name="email_from"', page)
        self.assertNotIn("(the salesperson confirms)", page)

    # ---- fuzzing: thousands of hostile inputs over the forms, never a 500 ------------------------
    def _fuzz_post(self, url, data):
        token = getattr(self, "_fuzz_token", None) or self._csrf(f"/my/opportunity/{self.opp_a.id}")
        self._fuzz_token = token
        response = self.url_open(url, data={**data, "csrf_token": token}, allow_redirects=False)
        self.assertIn(response.status_code, (200, 303, 400, 404), (url, data))

    @FUZZ
    @given(st.dictionaries(st.sampled_from(OPPORTUNITY_FIELDS), HOSTILE, max_size=6))
    def test_fuzz_opportunity_form(self, data):
        self._fuzz_post(f"/my/opportunity/{self.opp_a.id}", data)
        self.assertNotEqual(self.opp_a.user_id, self.portal_a)

    @FUZZ
    @given(st.dictionaries(st.sampled_from(INTERESTED_FIELDS + ["reason", "spam"]), HOSTILE, max_size=5),
           st.sampled_from(["interested", "decline"]))
    def test_fuzz_lead_answers(self, data, answer):
        self._fuzz_post(f"/my/lead/{self.lead_b.id}/{answer}", data)  # another reseller's lead: 404
        self._fuzz_post(f"/my/lead/{self.lead_a.id}/{answer}", {k: v for k, v in data.items() if k != "contacted"})

    @FUZZ
    @given(HOSTILE, st.sampled_from(["date", "name", "contact", "stage", "revenue", "bogus"]), st.integers(-5, 10**6))
    def test_fuzz_lists(self, search, sortby, page):
        for url in ("/my/leads", "/my/opportunities"):
            response = self.url_open(f"{url}/page/{max(page, 1)}", data=None, timeout=30) if page > 0 else None
            if response is not None:
                self.assertIn(response.status_code, (200, 404))
            response = self.opener.get(self.base_url() + url, params={"search": search, "sortby": sortby})
            self.assertIn(response.status_code, (200, 400), (url, search[:40]))

    def test_non_utf8_body(self):
        token = self._csrf(f"/my/opportunity/{self.opp_a.id}")
        response = self.opener.post(
            f"{self.base_url()}/my/opportunity/{self.opp_a.id}",
            data=b"city=%FF%FE%00&csrf_token=" + token.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (303, 400))
        self.assertNotIn("\x00", self.opp_a.city or "")
