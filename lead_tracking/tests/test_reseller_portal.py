from odoo.tests import HttpCase, tagged

from .common import LtResellerPortalCase, lt_make_reseller, lt_make_reseller_user


@tagged("post_install", "-at_install")
class TestResellerPortal(LtResellerPortalCase):
    # ---- /my and the lists -----------------------------------------------------------
    def test_home_counters(self):
        self.assertIn("/my/leads", self.url_open("/my").text)
        response = self.opener.post(
            self.base_url() + "/my/counters",
            json={"params": {"counters": ["lt_lead_count", "lt_opportunity_count"]}},
        )
        self.assertEqual(response.json()["result"], {"lt_lead_count": 1, "lt_opportunity_count": 1})

    def test_lists(self):
        text = self.url_open("/my/leads").text
        self.assertIn("Lead Alpha", text)
        self.assertNotIn("Lead Bravo", text)
        self.assertNotIn("Opportunity Alpha", text)
        text = self.url_open("/my/opportunities?sortby=revenue").text
        self.assertIn("Opportunity Alpha", text)
        self.assertNotIn("Opportunity Bravo", text)
        self.assertNotIn("Lead Bravo", self.url_open("/my/leads?search=Bravo").text)
        self.assertNotIn("Lead Alpha", self.url_open("/my/leads?search=nomatch").text)
        self.assertIn("Lead Alpha", self.url_open("/my/leads?search=ann&sortby=contact").text)
        self.assertEqual(self.url_open("/my/leads/page/2?sortby=bogus").status_code, 200)

    def test_pager(self):
        self.env["crm.lead"].create(
            [{"name": f"Paged lead {i:03d}", "type": "lead", "reseller_id": self.reseller_a.id} for i in range(85)]
        )
        first = self.url_open("/my/leads?sortby=name").text
        second = self.url_open("/my/leads/page/2?sortby=name").text
        self.assertIn("Paged lead 000", first)
        self.assertNotIn("Paged lead 084", first)
        self.assertIn("Paged lead 084", second)
        self.assertIn("/my/leads/page/2", first)

    # ---- another reseller's ids, on every route ---------------------------------------
    def test_other_reseller_ids_are_404(self):
        token = self._token()
        missing = self.env["crm.lead"].search([], order="id desc", limit=1).id + 1000
        for lead in (self.lead_b, self.opp_b, self.env["crm.lead"].browse(missing)):
            for url in (
                f"/my/lead/{lead.id}",
                f"/my/lead/{lead.id}/interested",
                f"/my/lead/{lead.id}/decline",
                f"/my/opportunity/{lead.id}",
            ):
                self.assertEqual(self.url_open(url).status_code, 404, url)
            posts = {
                f"/my/lead/{lead.id}/interested": {
                    "activity_summary": "x", "activity_date": "2030-01-01", "expected_revenue": "1", "contacted": "on"
                },
                f"/my/lead/{lead.id}/decline": {"reason": "x", "contacted": "no", "spam": "on"},
                f"/my/opportunity/{lead.id}": {"expected_revenue": "1", "name": "x"},
                f"/my/opportunity/{lead.id}/message": {"message": "hello"},
            }
            for url, data in posts.items():
                response = self.url_open(url, data={**data, "csrf_token": token}, allow_redirects=False)
                self.assertEqual(response.status_code, 404, url)
        self.assertEqual(self.lead_b.reseller_id, self.reseller_b)
        self.assertEqual(self.lead_b.type, "lead")
        self.assertTrue(self.lead_b.active)
        self.assertEqual(self.opp_b.expected_revenue, 0)
        # An opportunity is not served as a lead page for answers, nor a lead as an opportunity.
        self.assertEqual(self.url_open(f"/my/lead/{self.opp_a.id}/interested").status_code, 404)
        self.assertEqual(self.url_open(f"/my/opportunity/{self.lead_a.id}").status_code, 404)

    def test_rpc_access_error(self):
        def call(method, args, kwargs=None):
            response = self.opener.post(
                self.base_url() + "/web/dataset/call_kw",
                json={"params": {"model": "crm.lead", "method": method, "args": args, "kwargs": kwargs or {}}},
            )
            return response.json()

        ok = call("read", [[self.lead_a.id], ["name"]])
        self.assertEqual(ok["result"][0]["name"], "Lead Alpha")
        for method, args in (
            ("read", [[self.lead_b.id], ["name"]]),
            ("write", [[self.opp_b.id], {"expected_revenue": 99}]),
        ):
            error = call(method, args)["error"]
            self.assertEqual(error["data"]["name"], "odoo.exceptions.AccessError", method)
        found = call("search_read", [[["id", "in", [self.lead_a.id, self.lead_b.id]]], ["name"]])
        self.assertEqual([r["id"] for r in found["result"]], [self.lead_a.id])
        self.assertEqual(self.opp_b.expected_revenue, 0)

    def test_reassigned_lead_lost(self):
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_a.id}").status_code, 200)
        self.lead_a.reseller_id = self.reseller_b
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_a.id}").status_code, 404)

    def test_csrf_required(self):
        for url, data in (
            (f"/my/lead/{self.lead_a.id}/interested", {"activity_summary": "x", "activity_date": "2030-01-01",
                                                       "expected_revenue": "1", "contacted": "on"}),
            (f"/my/lead/{self.lead_a.id}/decline", {"reason": "x", "contacted": "no"}),
            (f"/my/opportunity/{self.opp_a.id}", {"expected_revenue": "5"}),
            (f"/my/opportunity/{self.opp_a.id}/message", {"message": "hi"}),
        ):
            response = self.url_open(url, data=data, allow_redirects=False)
            self.assertEqual(response.status_code, 400, url)
        self.assertEqual(self.lead_a.type, "lead")
        self.assertEqual(self.lead_a.reseller_id, self.reseller_a)
        self.assertEqual(self.opp_a.expected_revenue, 0)

    # ---- I'm interested ------------------------------------------------------------------
    def test_interested_bad_input(self):
        url = f"/my/lead/{self.lead_a.id}/interested"
        good = {"activity_summary": "Call back", "activity_date": "2030-01-15", "expected_revenue": "1500",
                "contacted": "on"}
        for broken, field in (
            ({"activity_summary": "  "}, "Describe the next action"),
            ({"activity_date": "15/01/2030"}, "Give a date such as"),
            ({"activity_date": ""}, "Give the date of the next action"),
            ({"expected_revenue": "a lot"}, "Give an amount between 0 and"),
            ({"expected_revenue": "-5"}, "Give an amount between 0 and"),
            ({"contacted": None}, "Confirm that you have contacted"),
        ):
            data = {k: v for k, v in {**good, **broken}.items() if v is not None}
            response = self._post(url, data)
            self.assertEqual(response.status_code, 400, broken)
            self.assertIn(field, response.text)
            self.assertIn('name="activity_summary"', response.text)
        self.assertEqual(self.lead_a.type, "lead")
        self.assertEqual(self.lead_a.expected_revenue, 0)
        self.assertFalse(self.lead_a.activity_ids)

    def test_interested_converts(self):
        response = self._post(
            f"/my/lead/{self.lead_a.id}/interested",
            {"activity_summary": "Demo at their office", "activity_date": "2030-01-15",
             "expected_revenue": "1500.50", "contacted": "on"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/my/opportunity/{self.lead_a.id}"))
        self.assertEqual(self.lead_a.type, "opportunity")
        self.assertEqual(self.lead_a.reseller_id, self.reseller_a)
        self.assertEqual(self.lead_a.expected_revenue, 1500.50)
        activity = self.lead_a.activity_ids
        self.assertEqual(activity.summary, "Demo at their office")
        self.assertEqual(str(activity.date_deadline), "2030-01-15")
        self.assertTrue(any("is interested" in (m.body or "") for m in self.lead_a.message_ids))
        self.assertEqual(self.url_open(f"/my/opportunity/{self.lead_a.id}").status_code, 200)

    def test_won_lead_waits_for_no_answer(self):
        """A lead already won is not offered: crm does not convert it, so an answer would only post
        messages and leave it in the list, to be answered again (found by the soak)."""
        self.lead_a.write({"stage_id": self.stage_won.id, "probability": 100})
        self.assertNotIn("Lead Alpha", self.url_open("/my/leads").text)
        page = self.url_open(f"/my/lead/{self.lead_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("o_lt_interested", page.text)
        messages = len(self.lead_a.message_ids)
        for answer, data in (("interested", {"activity_summary": "Call", "activity_date": "2030-01-15",
                                             "expected_revenue": "10", "contacted": "on"}),
                             ("decline", {"reason": "No", "contacted": "yes"})):
            url = f"/my/lead/{self.lead_a.id}/{answer}"
            self.assertEqual(self.url_open(url).status_code, 404)
            self.assertEqual(self._post(url, data, form_url="/my/opportunity/new").status_code, 404)
        self.assertEqual((self.lead_a.type, self.lead_a.reseller_id), ("lead", self.reseller_a))
        self.assertEqual(len(self.lead_a.message_ids), messages)

    # ---- I'm not interested ------------------------------------------------------------------
    def test_decline_bad_input(self):
        url = f"/my/lead/{self.lead_a.id}/decline"
        for data in ({"reason": "", "contacted": "no"}, {"reason": "Too small"}, {"reason": "x", "contacted": "maybe"}):
            response = self._post(url, data)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn("invalid-feedback", response.text)
        self.assertEqual(self.lead_a.reseller_id, self.reseller_a)
        self.assertFalse(self.lead_a.reseller_declined_ids)

    def test_decline(self):
        response = self._post(
            f"/my/lead/{self.lead_a.id}/decline", {"reason": "Outside our region", "contacted": "yes"}
        )
        self.assertEqual(response.status_code, 303)
        self.assertFalse(self.lead_a.reseller_id)
        self.assertEqual(self.lead_a.reseller_declined_ids, self.reseller_a)
        self.assertTrue(self.lead_a.active)
        self.assertTrue(any("Outside our region" in (m.body or "") for m in self.lead_a.message_ids))
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_a.id}").status_code, 404)
        # Never offered again to A.
        self.lead_a.write({"country_id": self.belgium.id, "state_id": self.state_bru.id})
        self.lead_a.action_assign_reseller()
        self.assertEqual(self.lead_a.reseller_id, self.reseller_b)

    def test_decline_spam(self):
        response = self._post(
            f"/my/lead/{self.lead_a.id}/decline", {"reason": "Fake company", "contacted": "no", "spam": "on"}
        )
        self.assertEqual(response.status_code, 303)
        lead = self.lead_a.with_context(active_test=False)
        self.assertFalse(lead.active)
        self.assertEqual(lead.lost_reason_id, self.env.ref("lead_tracking.lost_reason_spam"))
        self.assertEqual(lead.reseller_declined_ids, self.reseller_a)

    # ---- opportunity page -------------------------------------------------------------------
    def test_opportunity_update(self):
        stage = self.env["crm.stage"].search(
            [("team_id", "=", False), ("is_won", "=", False)], order="sequence desc", limit=1
        )
        url = f"/my/opportunity/{self.opp_a.id}"
        response = self._post(
            url,
            {"stage_id": str(stage.id), "priority": "2", "expected_revenue": "7000", "date_deadline": "2030-03-01",
             "contact_name": "New Contact", "email_from": "new@example.com", "phone": "+32 2 000 00 00"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.opp_a.stage_id, stage)
        self.assertEqual(self.opp_a.priority, "2")
        self.assertEqual(self.opp_a.expected_revenue, 7000)
        self.assertEqual(str(self.opp_a.date_deadline), "2030-03-01")
        self.assertEqual(self.opp_a.contact_name, "New Contact")
        self.assertEqual(self.opp_a.email_from, "new@example.com")

    def test_opportunity_bad_input(self):
        url = f"/my/opportunity/{self.opp_a.id}"
        other_team_stage = self.env["crm.stage"].create({"name": "Elsewhere", "team_id": self.env["crm.team"].create(
            {"name": "Other team"}).id})
        for data in (
            {"expected_revenue": "lots"},
            {"date_deadline": "soon"},
            {"priority": "9"},
            {"stage_id": str(other_team_stage.id)},
            {"stage_id": "abc"},
            {"email_from": "not an email"},
        ):
            response = self._post(url, {**data, "contact_name": "Should not be saved"})
            self.assertEqual(response.status_code, 400, data)
            self.assertIn("invalid-feedback", response.text)
        self.assertNotEqual(self.opp_a.contact_name, "Should not be saved")
        self.assertEqual(self.opp_a.expected_revenue, 0)

    def test_opportunity_chatter(self):
        response = self._post(f"/my/opportunity/{self.opp_a.id}/message", {"message": "<b>Met them</b> today"},
                              form_url=f"/my/opportunity/{self.opp_a.id}")
        self.assertEqual(response.status_code, 303)
        message = self.opp_a.message_ids[0]
        self.assertEqual(message.author_id, self.portal_a.partner_id)
        self.assertIn("&lt;b&gt;Met them&lt;/b&gt; today", message.body)
        self.assertIn("Met them", self.url_open(f"/my/opportunity/{self.opp_a.id}").text)

    # ---- public /partners ------------------------------------------------------------------
    def test_public_partners(self):
        self.logout()
        hidden = lt_make_reseller(self.env, "Hidden Reseller", self.level_gold, reseller_published=False)
        response = self.url_open("/partners")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Reseller A", response.text)
        self.assertIn("LT Gold", response.text)
        self.assertIn("Belgium", response.text)
        self.assertNotIn("Hidden Reseller", response.text)
        self.assertEqual(self.url_open(f"/partners/{self.reseller_a.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/partners/{hidden.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/partners/{self.portal_a.partner_id.id}").status_code, 404)

    def test_partners_grouped_by_level_then_country(self):
        """/partners lists the levels in their order, in each the countries by name, then the resellers;
        a reseller's page shows its website only as an http(s) link."""
        self.logout()
        self.level_gold.sequence, self.level_bronze.sequence = 1, 2
        # by name alone, a Bronze reseller and a French one would come first
        for name, level, country in (("Reseller C", self.level_gold, self.france),
                                     ("Able Paris", self.level_gold, self.france),
                                     ("Reseller Aa", self.level_gold, self.belgium),
                                     ("Early Bronze", self.level_bronze, self.belgium)):
            lt_make_reseller(self.env, name, level, country)
        text = self.url_open("/partners").text
        order = ["LT Gold", "Belgium", ">Reseller A", ">Reseller Aa", "France", ">Able Paris", ">Reseller C",
                 "LT Bronze", ">Early Bronze", ">Reseller B"]
        positions = [text.find(word) for word in order]
        self.assertNotIn(-1, positions, dict(zip(order, positions, strict=True)))
        self.assertEqual(positions, sorted(positions), dict(zip(order, positions, strict=True)))
        self.reseller_a.website = "javascript:alert(1)"
        page = self.url_open(f"/partners/{self.reseller_a.id}").text
        self.assertIn("Reseller A", page)
        self.assertNotIn("javascript:alert", page)
        self.reseller_a.website = "https://reseller-a.example.com"
        self.assertIn('href="https://reseller-a.example.com"', self.url_open(f"/partners/{self.reseller_a.id}").text)

    def test_second_contact_sees_the_resellers_leads(self):
        """Every portal user of the reseller sees its leads, not only the first one."""
        lt_make_reseller_user(self.env, "lt_portal_a2", self.reseller_a)
        self.authenticate("lt_portal_a2", "lt_portal_a2")
        text = self.url_open("/my/leads").text
        self.assertIn("Lead Alpha", text)
        self.assertNotIn("Lead Bravo", text)
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_a.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/lead/{self.lead_b.id}").status_code, 404)
        second = self.env["res.users"].search([("login", "=", "lt_portal_a2")])
        self.assertEqual(self.env["crm.lead"].with_user(second).search([]), self.lead_a | self.opp_a)

    def test_anonymous_redirected(self):
        self.logout()
        response = self.url_open(f"/my/lead/{self.lead_a.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    # ---- browser ---------------------------------------------------------------------------
    def test_tour_interested(self):
        lead = self.lt_lead(name="Tour Lead Solar Panels", reseller_id=self.reseller_a.id)
        self.start_tour("/my/leads", "lead_tracking_reseller_interested", login="lt_portal_a")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.expected_revenue, 12500)
        self.assertEqual(lead.activity_ids.summary, "Call the buyer")


@tagged("post_install", "-at_install")
class TestResellerDemo(HttpCase):
    def test_demo_login(self):
        # The login printed by `make demo` works and shows the Gold reseller's leads and opportunities.
        self.authenticate("reseller.gold@example.com", "reseller")
        leads = self.url_open("/my/leads").text
        self.assertIn("Warehouse scanners for 3 sites", leads)
        self.assertNotIn("Helpdesk for a call centre", leads)
        self.assertIn("ERP roll-out, 50 users", self.url_open("/my/opportunities").text)
        partners = self.url_open("/partners").text
        for name in ("Brabant Solutions", "Loire Conseil", "Maple Leaf Partners"):
            self.assertIn(name, partners)
