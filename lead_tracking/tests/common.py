"""Shared fixtures of lead_tracking's tests: one place, imported by every test file."""

import json
import os
import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from odoo.tests import HttpCase, TransactionCase, new_test_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# What a hostile user types: any text, bytes read as Latin-1, and the values that once got through.
HOSTILE = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
    st.sampled_from(["\x00", "a\x00b", "1e308", "-1", "NaN", "inf", "0001-01-01", "2024-01-01garbage", "\u0661",
                     "x" * 20000, "<script>alert(1)</script>", "' OR 1=1 --", "9" * 40, "", " "]),
)
# Fuzzing profile: a bounded number of examples per test, no per-example deadline (HTTP round trips).
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def lt_examples(count):
    """How many examples a property-based test draws: ``count``, scaled down by ``LT_EXAMPLES_SCALE``
    when ``make mutation`` reruns the pure tests once per mutant."""
    return max(20, round(count * float(os.environ.get("LT_EXAMPLES_SCALE", "1"))))


class LeadTrackingCase(TransactionCase):
    """A sales organisation of our own, independent of the demo data.

    Users: ``manager`` (Sales / Administrator), ``salesman`` (own documents
    only), ``salesman_all`` (all documents).  Team ``team`` holds the two
    salesmen.  ``stage_new`` is the first stage, ``stage_won`` a won stage.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="lt_manager",
            name="Lena Manager",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="lt_salesman", name="Sam Salesman", groups="sales_team.group_sale_salesman"
        )
        cls.salesman_all = new_test_user(
            cls.env, login="lt_salesman_all", name="Alex Allleads", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "LT Europe",
                "use_leads": True,
                "use_opportunities": True,
                "company_id": cls.company.id,
                "crm_team_member_ids": [
                    (0, 0, {"user_id": cls.salesman.id}),
                    (0, 0, {"user_id": cls.salesman_all.id}),
                ],
            }
        )
        stages = cls.env["crm.stage"].search([], order="sequence, id")
        cls.stage_new = stages[0]
        cls.stage_won = stages.filtered("is_won")[:1]

    @classmethod
    def lt_lead(cls, **values):
        """Create a lead (type ``lead`` unless given) in ``team`` with sensible defaults."""
        defaults = {
            "name": "Lead",
            "type": "lead",
            "team_id": cls.team.id,
            "email_from": "buyer@example.com",
            "phone": "+32 470 12 34 56",
        }
        return cls.env["crm.lead"].create({**defaults, **values})


class LtAssignmentCase(LeadTrackingCase):
    """Rule-based assignment on ``team`` only: the demo's waiting leads are archived, Sam has a
    capacity of 30 and Alex of 60; ``_leads`` makes team-less leads, ``_run`` runs as the manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("crm.lead.auto.assignment", True)
        # the demo's waiting leads would join every run: keep runs to the leads each test creates
        cls.env["crm.lead"].search([("user_id", "=", False)]).write({"active": False})
        cls.team.write({"assignment_domain": False})
        cls.m_sam = cls.team.crm_team_member_ids.filtered(lambda m: m.user_id == cls.salesman)
        cls.m_alex = cls.team.crm_team_member_ids.filtered(lambda m: m.user_id == cls.salesman_all)
        cls.m_sam.assignment_max = 30
        cls.m_alex.assignment_max = 60

    def _seq(self):
        self._counter = getattr(self, "_counter", 0) + 1
        return self._counter

    def _leads(self, count, quality=False, **values):
        """Unassigned team-less leads, quality or not by the default definition (phone, no webmail)."""
        vals = {
            "name": "Assign",
            "type": "lead",
            "user_id": False,
            "team_id": False,
            "email_from": "buyer@example.com" if quality else "buyer@hotmail.com",
            "phone": "+32 470 00 00 00" if quality else False,
        }
        leads = self.env["crm.lead"].create(
            [{**vals, **values, "email_from": f"{self._seq()}.{vals['email_from']}"} for _i in range(count)]
        )
        self.assertEqual(set(leads.mapped("is_quality_lead")), {quality})
        return leads

    def _run(self, teams=None, work_days=30):
        return (teams or self.team).with_user(self.manager)._lt_assign_run(work_days=work_days)


# ---- Resellers (issue 5) ---------------------------------------------------------
def lt_reseller_setup(cls):
    """Own reseller world on ``cls``, whatever the demo holds.

    Demo resellers lose their level (inside the test transaction) so that only ours compete.
    ``level_gold`` (10) / ``level_bronze`` (2) / ``level_zero`` (0); resellers ``reseller_a``
    (Gold, Belgium, Brussels region) and ``reseller_b`` (Bronze, Belgium, Flanders), each with a
    portal user ``portal_a`` / ``portal_b`` (password = login) in the reseller group.
    """
    env = cls.env
    env["res.partner"].with_context(active_test=False).search([("reseller_level_id", "!=", False)]).write(
        {"reseller_level_id": False}
    )
    Level = env["crm.reseller.level"]
    cls.level_gold = Level.create({"name": "LT Gold", "weight": 10})
    cls.level_bronze = Level.create({"name": "LT Bronze", "weight": 2})
    cls.level_zero = Level.create({"name": "LT Paused", "weight": 0})
    cls.belgium = env.ref("base.be")
    cls.france = env.ref("base.fr")
    State = env["res.country.state"]
    cls.state_bru = State.create({"name": "LT Brussels", "code": "LTBRU", "country_id": cls.belgium.id})
    cls.state_vlg = State.create({"name": "LT Flanders", "code": "LTVLG", "country_id": cls.belgium.id})
    cls.reseller_a = lt_make_reseller(env, "Reseller A", cls.level_gold, cls.belgium, cls.state_bru)
    cls.reseller_b = lt_make_reseller(env, "Reseller B", cls.level_bronze, cls.belgium, cls.state_vlg)
    cls.portal_a = lt_make_reseller_user(env, "lt_portal_a", cls.reseller_a)
    cls.portal_b = lt_make_reseller_user(env, "lt_portal_b", cls.reseller_b)


def lt_make_reseller(env, name, level, country=None, state=None, **values):
    """A published reseller company."""
    return env["res.partner"].create(
        {
            "name": name,
            "is_company": True,
            "email": f"{name.lower().replace(' ', '.')}@example.com",
            "reseller_level_id": level.id,
            "country_id": country.id if country else False,
            "state_id": state.id if state else False,
            "reseller_published": True,
            **values,
        }
    )


def lt_make_reseller_user(env, login, reseller):
    """A portal user of ``reseller``, given portal access the standard way (password = login)."""
    user = new_test_user(
        env, login=login, name=f"{reseller.name} User", groups="base.group_portal"
    )
    user.partner_id.parent_id = reseller
    return user


# ---- end Resellers ---------------------------------------------------------------


class LtResellerPortalCase(HttpCase, LeadTrackingCase):
    """Two resellers (see ``lt_reseller_setup``) with a lead and an opportunity each; requests are
    made as reseller A's portal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lt_reseller_setup(cls)
        cls.lead_a = cls.lt_lead(name="Lead Alpha", contact_name="Ann Alpha", reseller_id=cls.reseller_a.id)
        cls.lead_b = cls.lt_lead(name="Lead Bravo", reseller_id=cls.reseller_b.id)
        cls.opp_a = cls.lt_lead(name="Opportunity Alpha", type="opportunity", reseller_id=cls.reseller_a.id)
        cls.opp_b = cls.lt_lead(name="Opportunity Bravo", type="opportunity", reseller_id=cls.reseller_b.id)

    def setUp(self):
        super().setUp()
        self.authenticate("lt_portal_a", "lt_portal_a")

    def _csrf(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return CSRF.search(response.text).group(1)

    def _post(self, url, data, form_url=None, csrf=True):
        if csrf:
            data = {**data, "csrf_token": self._csrf(form_url or url)}
        return self.url_open(url, data=data, allow_redirects=False)

    def _token(self):
        return self._csrf(f"/my/lead/{self.lead_a.id}/interested")

    def _rpc(self, model, method, args, kwargs=None):
        """A JSON-RPC call as the logged-in user; (result, error data)."""
        response = self.opener.post(
            f"{self.base_url()}/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                             "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        return body.get("result"), body.get("error", {}).get("data", {})

    def _json(self, url, params):
        """A JSON route called as the logged-in user; the decoded answer."""
        response = self.opener.post(f"{self.base_url()}{url}", json={"jsonrpc": "2.0", "params": params})
        self.assertEqual(response.status_code, 200)
        return response.json()
