"""The project's data generator (tools/datagen.py) inside the test database: counts,
distributions, reproducibility, and crm's stored computed fields filled as crm fills them."""

import ast
import importlib
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from odoo.tests import TransactionCase, tagged

REPO = Path(__file__).resolve().parents[2]


def load_tool(name):
    """Import ``tools.<name>`` from this repository (the tools are not part of the addon)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    return importlib.import_module(f"tools.{name}")


LEADS, ACTIVITIES, SEED = 3000, 2000, 7


@tagged("post_install", "-at_install")
class TestDatagen(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.datagen = load_tool("datagen")
        cls.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM crm_lead")
        cls.last_id = cls.env.cr.fetchone()[0]
        cls.figures = cls.datagen.generate(cls.env.cr, LEADS, ACTIVITIES, seed=SEED, verbose=False)
        cls.leads = cls.env["crm.lead"].with_context(active_test=False).search([("id", ">", cls.last_id)])

    def test_counts(self):
        """The requested numbers of leads and activities are written, with tags."""
        self.assertEqual(len(self.leads), LEADS)
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "in", self.leads.ids)]
        )
        self.assertEqual(len(activities), ACTIVITIES)
        self.assertEqual(self.figures["activities"], ACTIVITIES)
        self.assertGreater(self.figures["lead_tags"], LEADS * 0.8)

    def test_distributions(self):
        """Most leads lost, a few big sources and a long tail, free mail, size tags, activities around today."""
        leads = self.leads
        won = leads.filtered(lambda lead: lead.probability == 100)
        lost = leads.filtered(lambda lead: not lead.active)
        self.assertGreater(len(lost), 0.5 * LEADS, "most leads are lost")
        self.assertTrue(0.05 * LEADS < len(won) < 0.3 * LEADS)
        self.assertTrue(all(lead.probability == 0 and lead.date_closed for lead in lost))
        self.assertGreater(len(lost.filtered("lost_reason_id")), 0.7 * len(lost))

        sources = Counter(lead.source_id.id for lead in leads)
        counts = sorted(sources.values(), reverse=True)
        self.assertGreater(counts[0], 0.15 * LEADS, "one big source")
        self.assertGreaterEqual(len(counts), 30, "a long tail of sources")
        self.assertLess(counts[len(counts) // 2], 0.02 * LEADS, "most sources are small")
        self.assertTrue(leads.mapped("medium_id") and leads.mapped("campaign_id"))

        emails = " ".join(email for email in leads.mapped("email_from") if email)
        for freemail in ("hotmail", "aol.com", "icloud.com", "yahoo", ".example.com"):
            self.assertIn(freemail, emails)
        self.assertTrue(leads.filtered(lambda lead: not lead.phone) and leads.filtered("phone"))
        self.assertTrue(leads.filtered("country_id") and leads.filtered("state_id") and leads.filtered("city"))
        self.assertTrue(leads.filtered("partner_id").partner_id.filtered("is_company"))
        self.assertLessEqual({"5-20", "20-50", "50-200", "200+"}, set(leads.tag_ids.mapped("name")))
        self.assertGreaterEqual(len(leads.mapped("team_id")), 5)
        self.assertGreaterEqual(len(leads.mapped("user_id")), 15)

        today = self.env.cr.now().date()
        self.env.cr.execute(
            "SELECT date_deadline FROM mail_activity WHERE res_model = 'crm.lead' AND res_id IN %s", (tuple(leads.ids),)
        )
        deadlines = [row[0] for row in self.env.cr.fetchall()]
        near = [d for d in deadlines if abs((d - today).days) <= 7]
        self.assertGreater(len(near), 0.4 * len(deadlines), "activities cluster around today")
        self.assertTrue(any(d < today - timedelta(days=7) for d in deadlines))
        self.assertTrue(any(d > today + timedelta(days=7) for d in deadlines))

    def test_reproducible(self):
        """The same seed gives the same leads again."""
        fields = [
            "name",
            "type",
            "active",
            "stage_id",
            "user_id",
            "team_id",
            "source_id",
            "country_id",
            "city",
            "phone",
            "expected_revenue",
            "create_date",
            "date_closed",
            "lost_reason_id",
            "tag_ids",
            "reseller_id",
            "reseller_assigned_date",
        ]
        first = self.leads.sorted("id")[:300].read(fields)
        self.datagen.generate(self.env.cr, 300, 0, seed=SEED, verbose=False)
        again = self.env["crm.lead"].with_context(active_test=False).search([], order="id desc", limit=300)
        second = again.sorted("id").read(fields)
        strip = [{k: v for k, v in row.items() if k != "id"} for row in first]
        self.assertEqual(strip, [{k: v for k, v in row.items() if k != "id"} for row in second])

    def test_options(self):
        """``make data``'s options as its help says: activities as many as leads unless given, the
        seed, the database, lead_tracking, the assignment scenario and its capacity."""
        args = self.datagen.parse_args(["--leads", "500"])
        self.assertEqual((args.leads, args.activities, args.seed, args.db), (500, 500, 42, "lead_tracking_data"))
        self.assertEqual((args.assignment, args.capacity, args.lead_tracking, args.config), (None, 24_000, False, None))
        args = self.datagen.parse_args(["--leads", "500", "--activities", "0", "--seed", "7", "--db", "other",
                                        "--lead-tracking", "--assignment", "300", "--capacity", "900"])
        self.assertEqual((args.activities, args.seed, args.db, args.lead_tracking), (0, 7, "other", True))
        self.assertEqual((args.assignment, args.capacity), (300, 900))
        with self.assertRaises(SystemExit):
            self.datagen.parse_args(["--leads", "many"])

    def test_same_columns_without_resellers(self):
        """Without lead_tracking's resellers, the same seed gives the same leads in every other column
        (the benches compare crm with and without the addon on the same data); addresses are numbered
        by the lead's id, so only their domain is compared."""
        fields = ["name", "type", "active", "stage_id", "user_id", "team_id", "source_id", "medium_id",
                  "country_id", "state_id", "city", "phone", "expected_revenue", "probability",
                  "create_date", "date_closed", "lost_reason_id", "tag_ids", "partner_id"]
        first = self.leads.sorted("id")[:300]
        self.assertTrue(first.filtered("reseller_id"), "the first run handed some leads to resellers")
        self.datagen.generate(self.env.cr, 300, 0, seed=SEED, verbose=False, resellers=False)
        again = self.env["crm.lead"].with_context(active_test=False).search([], order="id desc", limit=300)
        self.assertFalse(again.filtered("reseller_id"))
        strip = lambda rows: [{k: v for k, v in row.items() if k != "id"} for row in rows]  # noqa: E731
        self.assertEqual(strip(first.read(fields)), strip(again.sorted("id").read(fields)))
        domains = lambda leads: [(lead.email_from or "").rpartition("@")[2] for lead in leads]  # noqa: E731
        self.assertEqual(domains(first), domains(again.sorted("id")))

    def test_resellers(self):
        """Resellers with levels, activations and countries receive about one lead in twenty; some leads
        were declined first, and resellers answer in the lead's chatter after the assignment."""
        leads = self.leads
        handed = leads.filtered("reseller_id")
        self.assertTrue(0.02 * LEADS < len(handed) < 0.08 * LEADS, len(handed))
        resellers = handed.reseller_id
        self.assertGreaterEqual(len(resellers), 8)
        self.assertFalse(resellers.filtered(lambda reseller: not reseller.reseller_level_id))
        self.assertGreaterEqual(len(resellers.reseller_level_id), 2)
        self.assertFalse(resellers.filtered(lambda reseller: not reseller.reseller_activation_id))
        self.assertFalse(resellers.filtered(lambda reseller: not reseller.country_id))
        for lead in handed:
            self.assertTrue(lead.create_date <= lead.reseller_assigned_date <= (lead.date_closed or self.env.cr.now()))
        declined = leads.filtered("reseller_declined_ids")
        self.assertGreater(self.figures["reseller_declines"], 0)
        self.assertEqual(len(declined), self.figures["reseller_declines"])
        self.assertTrue(declined.filtered("reseller_id") and declined.filtered(lambda lead: not lead.reseller_id))
        for lead in declined.filtered("reseller_id"):
            self.assertNotIn(lead.reseller_id, lead.reseller_declined_ids)

        messages = self.env["mail.message"].search([("model", "=", "crm.lead"), ("res_id", "in", leads.ids)])
        self.assertEqual(len(messages), self.figures["reseller_messages"])
        self.assertLessEqual(
            messages.author_id.commercial_partner_id, handed.reseller_id | declined.reseller_declined_ids
        )
        answered = handed.filtered(lambda lead: lead.type == "opportunity")
        reseller_of = {lead.id: lead.reseller_id for lead in handed}
        by_lead = {m.res_id: m for m in messages if m.author_id.commercial_partner_id == reseller_of.get(m.res_id)}
        self.assertEqual(set(answered.ids) - set(by_lead), set(), "accepted leads carry the reseller's answer")
        self.assertTrue(all(by_lead[lead.id].date >= lead.reseller_assigned_date for lead in answered))

        # The partnership report sees them: every pair, and answer times for the accepted ones.
        lines = self.env["crm.reseller.report"].search([("lead_id", "in", leads.ids)])
        self.assertEqual(len(lines), len(handed) + self.figures["reseller_declines"])
        self.assertTrue(lines.filtered("median_answer_hours"))

    def test_crm_computed_fields(self):
        """Stored computed fields hold what crm's own computations give."""
        sample = self.leads.sorted("id")[::25]
        for lead in sample:
            fresh = self.env["crm.lead"].new(
                {"email_from": lead.email_from, "phone": lead.phone, "country_id": lead.country_id.id}
            )
            for fname in (
                "email_normalized",
                "email_domain_criterion",
                "email_state",
                "phone_sanitized",
                "phone_state",
            ):
                self.assertEqual(lead[fname], fresh[fname], f"{fname} of {lead.email_from} / {lead.phone}")
            if lead.date_open:
                self.assertEqual(lead.day_open, abs((lead.date_open - lead.create_date.replace(microsecond=0)).days))
                self.assertTrue(lead.date_open >= lead.create_date)
            else:
                self.assertFalse(lead.day_open)
            if lead.date_closed:
                self.assertEqual(lead.day_close, abs((lead.date_closed - lead.create_date).days))
            self.assertTrue(lead.date_last_stage_update and lead.stage_id)
            self.assertAlmostEqual(lead.prorated_revenue, round(lead.expected_revenue * lead.probability / 100, 2))
            if lead.probability == 100:
                self.assertTrue(lead.stage_id.is_won)
                self.assertEqual(lead.automated_probability, 100)

    def test_scoring(self):
        """The frequency table is crm's own rebuild; open leads carry crm's naive Bayes probability."""
        open_leads = self.leads.filtered(lambda lead: lead.active and lead.probability < 100)[:100]
        computed = open_leads._pls_get_naive_bayes_probabilities()
        for lead in open_leads:
            self.assertAlmostEqual(lead.automated_probability, computed[lead.id], places=2)
            if not lead.is_automated_probability:  # typed by hand: kept
                self.assertNotEqual(lead.probability, lead.automated_probability)

        self.env["ir.config_parameter"].set_param(
            "crm.pls_fields", "phone_state,email_state,country_id,state_id,source_id,lang_id,tag_ids"
        )

        def table():
            self.env["crm.lead.scoring.frequency"].flush_model()
            self.env.cr.execute(
                "SELECT team_id, variable, value, won_count, lost_count FROM crm_lead_scoring_frequency"
            )
            return Counter(self.env.cr.fetchall())

        self.datagen.rebuild_scoring_frequencies(self.env)
        ours = table()
        self.env["crm.lead"]._rebuild_pls_frequency_table()
        self.assertEqual(ours, table())
        self.assertGreater(sum(ours.values()), 50)

    def test_assignment_scenario(self):
        """Unassigned leads of mixed probabilities, 5 overlapping teams, 30 members of mixed capacity."""
        team_ids = self.datagen.build_assignment_scenario(self.env.cr, leads=400, capacity=2400, seed=3, verbose=False)
        teams = self.env["crm.team"].browse(team_ids)
        self.assertEqual(len(teams), 5)
        members = teams.crm_team_member_ids
        self.assertEqual(len(members), 30)
        self.assertEqual(sum(members.mapped("assignment_max")), 2400)
        self.assertGreater(len(set(members.mapped("assignment_max"))), 3)
        self.assertFalse(self.env["crm.team"].search([("assignment_optout", "=", False), ("id", "not in", team_ids)]))
        self.assertTrue(self.env["ir.config_parameter"].get_param("crm.lead.auto.assignment"))
        leads = self.env["crm.lead"].search([("id", ">", max(self.leads.ids)), ("user_id", "=", False)])
        self.assertEqual(len(leads), 400)
        self.assertEqual(set(leads.mapped("type")), {"lead"})
        self.assertFalse(leads.team_id)
        probabilities = leads.mapped("probability")
        self.assertTrue(min(probabilities) < 20 and max(probabilities) > 40)
        matches = Counter()
        for team in teams:
            for lead in leads.filtered_domain(ast.literal_eval(team.assignment_domain)):
                matches[lead.id] += 1
        self.assertEqual(len(matches), 400, "every lead fits at least one team")
        self.assertTrue(any(count > 1 for count in matches.values()), "team domains overlap")
        emails = Counter(leads.filtered("email_normalized").mapped("email_normalized"))
        self.assertEqual(set(emails.values()), {1, 2}, "some leads came in twice")
        self.assertAlmostEqual(sum(count == 2 for count in emails.values()), 400 / 20, delta=5)
