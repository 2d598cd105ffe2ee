"""Generated hostile input over every portal route and the addon's public methods over JSON-RPC.

Every answer must be a 2xx page, a redirect after a write, a form with its errors (400), a 400
for a bad CSRF token, a 404, or over JSON-RPC a UserError, ValidationError or AccessError: never a
500, a traceback or a write. test_reseller_security fuzzes the opportunity form, the answers and
the lists' search and sort; this file covers the rest."""

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import FUZZ, HOSTILE, LtResellerPortalCase

CLEAR_ERRORS = {"odoo.exceptions.UserError", "odoo.exceptions.ValidationError", "odoo.exceptions.AccessError",
                "odoo.exceptions.MissingError"}
REGISTRATION_FIELDS = ["partner_name", "contact_name", "email_from", "phone", "country_id", "description",
                       "expected_revenue", "date_deadline", "reseller_id", "user_id"]
# Ids a URL may carry: another reseller's record, none, out of PostgreSQL's integer range.
ODD_IDS = st.one_of(st.sampled_from([0, 2**31, 2**31 - 1, 2**63, 10**30]), st.integers(min_value=1, max_value=10**40))
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**30), 10**30),
                    st.sampled_from([-1, 0, 0.5, 30, 31, 1e308, "1", "abc", None, [], {}, True]))
DOMAINS = st.one_of(HOSTILE, st.sampled_from([
    "[", "[('name', '=')]", "[('no_such_field', '=', 1)]", "__import__('os')", "[(1, '=', 1)]", "['|']",
    "[('name', 'ilike', 'x')]", "[('probability', '>=', 'abc')]", "{}", "None", "[('id', 'in', [1, 2])]",
]))
# 100 examples a test here (about 1,500 requests in all): the portal's own fuzzing runs 120 a test.
FUZZ = settings(FUZZ, max_examples=100)
POST_ROUTES = ["/my/lead/{lead}/interested", "/my/lead/{lead}/decline", "/my/opportunity/{opp}",
               "/my/opportunity/{opp}/message", "/my/opportunity/new"]
GET_ROUTES = ["/my/lead/{id}", "/my/lead/{id}/interested", "/my/lead/{id}/decline", "/my/opportunity/{id}",
              "/partners/{id}"]


@tagged("post_install", "-at_install")
class TestFuzzInputs(LtResellerPortalCase):
    def _state(self):
        """What a refused request must leave as it was: the four records' values and their messages."""
        records = self.lead_a | self.lead_b | self.opp_a | self.opp_b
        records.invalidate_recordset()
        values = records.read(["type", "city", "reseller_id", "stage_id", "expected_revenue", "active"])
        messages = self.env["mail.message"].search_count([("model", "=", "crm.lead"), ("res_id", "in", records.ids)])
        leads = self.env["crm.lead"].with_context(active_test=False).search_count([])
        return values, messages, leads

    def _form_token(self):
        token = getattr(self, "_fuzz_token", None) or self._csrf("/my/opportunity/new")
        self._fuzz_token = token
        return token

    def _send(self, url, data, csrf=True):
        body = {**data, "csrf_token": self._form_token()} if csrf else data
        return self.url_open(url, data=body, allow_redirects=False, timeout=60)

    def _assert_clear(self, error, what):
        if error:
            self.assertIn(error.get("name"), CLEAR_ERRORS, (what, error.get("message", "")[:300]))

    # ---- portal ------------------------------------------------------------------------------
    @FUZZ
    @given(st.dictionaries(st.sampled_from(REGISTRATION_FIELDS), HOSTILE, max_size=8))
    def test_fuzz_registration(self, data):
        before = self._state()
        response = self._send("/my/opportunity/new", data)
        self.assertIn(response.status_code, (303, 400), {k: v[:40] for k, v in data.items()})
        if response.status_code == 400:
            self.assertIn("invalid-feedback", response.text)
            self.assertEqual(self._state(), before)
        else:  # a registration that passed every check: the reseller's, with clean values
            lead = self.env["crm.lead"].search([("reseller_id", "=", self.reseller_a.id)], order="id desc", limit=1)
            self.assertTrue(lead.reseller_registered)
            self.assertFalse(any(char < " " for char in lead.partner_name + lead.contact_name))

    @FUZZ
    @given(HOSTILE, st.sampled_from(["own", "other"]))
    def test_fuzz_message(self, message, whose):
        opportunity = self.opp_a if whose == "own" else self.opp_b
        before = self._state()
        response = self._send(f"/my/opportunity/{opportunity.id}/message", {"message": message})
        if whose == "other":
            self.assertEqual(response.status_code, 404)
        else:
            self.assertIn(response.status_code, (303, 400), message[:40])
        if response.status_code != 303 or not message.strip():
            self.assertEqual(self._state(), before)

    @FUZZ
    @given(st.sampled_from(POST_ROUTES), st.dictionaries(st.sampled_from(["city", "reason", "message", "contacted",
                                                                         "partner_name", "activity_summary"]),
                                                         HOSTILE, max_size=3),
           st.sampled_from(["missing", "empty", "forged", "garbage"]), HOSTILE)
    def test_fuzz_csrf(self, route, data, kind, garbage):
        """Every form refuses a missing or wrong token with a 400 and writes nothing."""
        url = route.format(lead=self.lead_a.id, opp=self.opp_a.id)
        token = {"missing": None, "empty": "", "forged": self._form_token()[:-4] + "abcd", "garbage": garbage}[kind]
        before = self._state()
        body = {"lt_fuzz": "1", **data}  # never empty: requests sends an empty body as a GET
        if token is not None:
            body["csrf_token"] = token
        response = self.url_open(url, data=body, allow_redirects=False, timeout=60)
        self.assertEqual(response.status_code, 400, (url, kind))
        self.assertEqual(self._state(), before)

    @FUZZ
    @given(st.sampled_from(GET_ROUTES + POST_ROUTES[:4]), st.one_of(st.sampled_from(["lead_b", "opp_b"]), ODD_IDS),
           st.sampled_from(["GET", "POST"]))
    def test_fuzz_other_ids(self, route, target, method):
        """Other resellers' records and ids out of range: a 404 (the public partner page may show a
        published reseller), never another reseller's record nor a write."""
        record_id = getattr(self, target).id if isinstance(target, str) else target
        url = route.format(id=record_id, lead=record_id, opp=record_id)
        before = self._state()
        if method == "GET":
            response = self.url_open(url, allow_redirects=False, timeout=60)
        else:
            response = self._send(url, {"city": "Taken", "reason": "x", "contacted": "yes", "message": "Hi",
                                        "activity_summary": "Call", "activity_date": "2031-01-01",
                                        "expected_revenue": "1"})
        allowed = (200, 404) if url.startswith("/partners/") else (404,)
        if method == "GET" and url.endswith("/message"):
            allowed = (404, 405)  # a POST-only route
        self.assertIn(response.status_code, allowed, url)
        self.assertEqual(self._state(), before)

    @FUZZ
    @given(st.sampled_from(["/my/leads", "/my/opportunities"]), st.one_of(ODD_IDS, st.integers(-5, 5)),
           st.dictionaries(st.sampled_from(["page", "sortby", "search", "filterby", "groupby", "search_in"]),
                           st.one_of(HOSTILE, NUMBERS.map(str)), max_size=4))
    def test_fuzz_list_arguments(self, url, page, query):
        """Pager numbers in the path and the query, sort keys and searches of any kind."""
        path = f"{url}/page/{page}" if page > 0 else url
        response = self.opener.get(self.base_url() + path, params=query, timeout=60, allow_redirects=False)
        self.assertIn(response.status_code, (200, 303, 400, 404), (path, {k: v[:40] for k, v in query.items()}))

    def test_non_utf8_query_strings(self):
        for url in ("/my/leads", "/my/opportunities", f"/my/lead/{self.lead_a.id}", "/partners"):
            for query in ("search=%FF%FE%00", "sortby=%C0%AF", "page=%ED%A0%80", "search=%"):
                response = self.url_open(f"{url}?{query}", allow_redirects=False)
                self.assertIn(response.status_code, (200, 303, 400, 404), (url, query))

    # ---- JSON-RPC, as a sales manager ------------------------------------------------------------
    def _as_manager(self):
        self.authenticate("lt_manager", "lt_manager")

    @FUZZ
    @given(NUMBERS, st.sampled_from(["action_assign_leads", "preview_assign_leads"]))
    def test_fuzz_rpc_assignment_work_days(self, work_days, method):
        self._as_manager()
        self.env["crm.lead"].search([("user_id", "=", False)]).write({"active": False})
        waiting = self.lt_lead(name="Waiting", user_id=False, team_id=False)
        _result, error = self._rpc("crm.team", method, [self.team.ids], {"work_days": work_days})
        self._assert_clear(error, ("work_days", work_days))
        if error:
            waiting.invalidate_recordset()
            self.assertFalse(waiting.user_id)

    @FUZZ
    @given(DOMAINS, st.sampled_from(["crm.team", "crm.team.member"]),
           st.sampled_from(["assignment_domain", "lt_assignment_domain_preferred"]))
    def test_fuzz_rpc_domains(self, domain, model, field):
        self._as_manager()
        if model == "crm.team" and field != "assignment_domain":
            return
        record = self.team if model == "crm.team" else self.team.crm_team_member_ids[:1]
        before = record[field]
        _result, error = self._rpc(model, "write", [record.ids, {field: domain}])
        self._assert_clear(error, (field, domain[:60]))
        record.invalidate_recordset()
        if error:
            self.assertEqual(record[field], before)
        else:  # accepted: a domain that parses, and a run with it does not fail
            _result, error = self._rpc("crm.team", "preview_assign_leads", [self.team.ids])
            self._assert_clear(error, ("preview", domain[:60]))

    @FUZZ
    @given(st.one_of(
        st.tuples(st.sampled_from([("res.company", "lt_score_warm_threshold"),
                                   ("res.company", "lt_score_hot_threshold")]),
                  st.one_of(st.floats(), st.integers(-(10**30), 10**30))),
        st.tuples(st.sampled_from([("res.company", "lt_unattended_horizon_days"), ("crm.reseller.level", "weight"),
                                   ("crm.team.member", "lt_rotation_weight"), ("crm.team.member", "assignment_max")]),
                  st.integers(-(2**31), 2**31 - 1)),
        st.tuples(st.just(("res.company", "lt_quality_domain")), DOMAINS),
    ))
    def test_fuzz_rpc_settings(self, case):
        """Thresholds out of range, weights below 0, capacities and definitions of any kind (as the
        administrator, who may write them all). Values of the field's type: a string for a number, or
        a number beyond PostgreSQL's integer, fails in the ORM's conversion for every Odoo field."""
        self.authenticate("admin", "admin")
        (model, field), value = case
        record = {"res.company": self.company, "crm.reseller.level": self.level_gold,
                  "crm.team.member": self.team.crm_team_member_ids[:1]}[model]
        before = record[field]
        _result, error = self._rpc(model, "write", [record.ids, {field: value}])
        self._assert_clear(error, (field, repr(value)[:60]))
        record.invalidate_recordset()
        if error:
            self.assertEqual(record[field], before)

    def test_blank_domains_are_no_domain(self):
        """A blank domain passes the fields' check as no domain; the engine read it as a domain and
        failed (found by test_fuzz_rpc_domains: a SyntaxError from the preview)."""
        member = self.team.crm_team_member_ids[:1]
        self.team.assignment_domain = " \n "
        member.write({"assignment_domain": "\t", "lt_assignment_domain_preferred": " "})
        self.env["crm.lead"].search([("user_id", "=", False)]).write({"active": False})
        waiting = self.lt_lead(name="Waiting", user_id=False, team_id=False, email_from="blank.domains@example.com")
        self.team.preview_assign_leads(work_days=30)
        self.team.with_context(lt_assign_trigger="button")._lt_assign_run(work_days=30)
        self.assertTrue(waiting.user_id)
