"""Which scoring variables help: the advisor on closed leads built so that one variable decides
the outcome and another is noise, checked against crm's own naive Bayes, applied through crm's
own Update Probabilities."""

from datetime import datetime, timedelta

from odoo.addons.lead_tracking.models import pls_advisor
from odoo.addons.lead_tracking.models.crm_lead_scoring_advice import LT_PLS_OPTIONAL
from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from .common import LeadTrackingCase

CLOSED = 400
# Queries of one advice, whatever the number of leads: the split, the counts, the recent leads.
LT_ADVICE_QUERIES = 3


@tagged("post_install", "-at_install")
class TestScoringAdvice(LeadTrackingCase):
    """400 closed leads, one every hour: Belgian leads are won 9 times in 10, French ones once in
    10; the language alternates within each country and outcome, so it tells nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lead = cls.env["crm.lead"].with_context(active_test=False)
        Lead.search([]).unlink()  # the demo's closed leads would blur the constructed ones
        cls.env["ir.config_parameter"].sudo().set_param("crm.pls_fields", "phone_state,email_state")
        cls.env["ir.config_parameter"].sudo().set_param("crm.pls_start_date", "2000-01-01")
        cls.belgium, cls.france = cls.env.ref("base.be"), cls.env.ref("base.fr")
        cls.english = cls.env.ref("base.lang_en")
        cls.french = cls.env["res.lang"]._activate_lang("fr_FR")
        rows, seen = [], {}
        for index in range(CLOSED):
            country = cls.belgium if index % 2 else cls.france
            won = (index // 2) % 10 != 0 if country == cls.belgium else (index // 2) % 10 == 0
            cell = seen[country, won] = seen.get((country, won), -1) + 1
            rows.append((index, country, won, cls.english if cell % 2 else cls.french))
        leads = cls.env["crm.lead"].create([{
            "name": f"Closed {index}", "type": "opportunity", "team_id": cls.team.id,
            "country_id": country.id, "lang_id": lang.id, "email_from": "buyer@example.com",
        } for index, country, _won, lang in rows])
        cls.won = leads.browse([lead.id for lead, row in zip(leads, rows, strict=True) if row[2]])
        cls.lost = leads - cls.won
        cls.won.action_set_won()
        cls.lost.action_set_lost()
        start = datetime(2026, 1, 1)
        for lead, (index, _country, _won, _lang) in zip(leads, rows, strict=True):
            lead.date_closed = start + timedelta(hours=index)

    def advice(self):
        return {row["variable"]: row for row in self.env["crm.lead"].get_pls_variable_advice()}

    def test_decisive_and_noise(self):
        self.advice()  # warm-up: the settings it reads are cached
        with self.assertQueryCount(LT_ADVICE_QUERIES):
            advice = self.advice()
        self.assertEqual(set(advice), set(LT_PLS_OPTIONAL))
        country, lang = advice["country_id"], advice["lang_id"]
        # the most recent fifth is scored
        self.assertEqual(country["test_leads"], CLOSED // 5)
        self.assertTrue(country["recommended"])
        self.assertFalse(country["in_use"])
        self.assertLess(country["log_loss_with"], country["log_loss_without"] * 0.7)
        self.assertLess(country["brier_with"], country["brier_without"])
        self.assertGreater(country["auc_with"], 0.85)
        self.assertAlmostEqual(country["auc_without"], 0.5)
        self.assertFalse(lang["recommended"])
        self.assertAlmostEqual(lang["log_loss_with"], lang["log_loss_without"], delta=0.002)
        # variables every lead shares tell nothing either
        self.assertFalse(advice["phone_state"]["recommended"] or advice["source_id"]["recommended"])
        self.assertTrue(advice["phone_state"]["in_use"])
        # with the country in use, "without" is the measure of taking it out
        self.env["ir.config_parameter"].sudo().set_param("crm.pls_fields", "country_id,lang_id")
        again = self.advice()
        self.assertTrue(again["country_id"]["in_use"])
        self.assertAlmostEqual(again["country_id"]["log_loss_with"], country["log_loss_with"], delta=0.002)
        self.assertAlmostEqual(again["country_id"]["log_loss_without"], country["log_loss_without"], delta=0.002)

    def test_figures_measured_on_the_recent_leads(self):
        """log-loss and Brier of the country-only model, worked out here from the counts of the
        leads closed before the last fifth."""
        train = self.env["crm.lead"].with_context(active_test=False).search(
            [("id", "in", (self.won | self.lost).ids)], order="date_closed, id")
        learn, test = train[:CLOSED - CLOSED // 5], train[CLOSED - CLOSED // 5:]
        won = learn & self.won

        def counts(records, country):
            subset = records.filtered(lambda lead: lead.country_id == country)
            return len(subset & won) + 0.1, len(subset - won) + 0.1

        team_won, team_lost = len(won) + 0.1, len(learn - won) + 0.1
        by_country = {country: counts(learn, country) for country in (self.belgium, self.france)}
        total_won = sum(c[0] for c in by_country.values())
        total_lost = sum(c[1] for c in by_country.values())
        probabilities, outcomes = [], []
        for lead in test:
            country_won, country_lost = by_country[lead.country_id]
            odds = team_won / team_lost * (country_won / total_won) / (country_lost / total_lost)
            probabilities.append(odds / (1 + odds))
            outcomes.append(1 if lead in self.won else 0)
        advice = self.advice()["country_id"]
        self.assertAlmostEqual(advice["log_loss_with"], pls_advisor.log_loss(probabilities, outcomes), places=6)
        self.assertAlmostEqual(advice["brier_with"], pls_advisor.brier(probabilities, outcomes), places=6)
        self.assertAlmostEqual(advice["auc_with"], pls_advisor.auc(probabilities, outcomes), places=6)

    def test_same_model_as_crm(self):
        """Learnt from every closed lead, the advisor's naive Bayes gives an open lead in the first
        stage the probability crm stores (the first stage's factor is 1: every closed lead passed it)."""
        self.env["ir.config_parameter"].sudo().set_param("crm.pls_fields", "country_id,lang_id,phone_state")
        self.env["crm.lead"]._cron_update_automated_probabilities()
        freq = self.env["crm.lead"]._lt_advice_frequencies("2000-01-01", (datetime(2100, 1, 1), 0))
        totals = freq.totals()
        open_leads = self.env["crm.lead"].create([
            {"name": "Open BE", "type": "opportunity", "team_id": self.team.id, "country_id": self.belgium.id,
             "lang_id": self.english.id, "stage_id": self.stage_new.id},
            {"name": "Open FR", "type": "opportunity", "team_id": self.team.id, "country_id": self.france.id,
             "lang_id": self.french.id, "phone": False, "stage_id": self.stage_new.id},
            {"name": "Open, no team", "type": "opportunity", "team_id": False, "stage_id": self.stage_new.id},
        ])
        variables = ("country_id", "lang_id", "phone_state")
        for lead in open_leads:
            values = {"country_id": [str(lead.country_id.id)] if lead.country_id else [],
                      "lang_id": [str(lead.lang_id.id)] if lead.lang_id else [],
                      "phone_state": [lead.phone_state or "False"]}
            ours = pls_advisor.probability(freq, totals, lead.team_id.id, values, variables)
            self.assertAlmostEqual(lead.automated_probability, round(100 * ours, 2), delta=0.011, msg=lead.name)
        self.assertGreater(open_leads[0].automated_probability, 80)
        self.assertLess(open_leads[1].automated_probability, 20)

    def test_apply_recommended(self):
        action = self.env["crm.lead.pls.advice"].action_open()
        advice = self.env["crm.lead.pls.advice"].browse(action["res_id"])
        self.assertEqual(advice.test_leads, CLOSED // 5)
        self.assertEqual(advice.recommended_fields, "Country")
        self.assertEqual(advice.current_fields, "Phone Quality, Email Quality")
        line = advice.line_ids.filtered(lambda line: line.variable == "country_id")
        self.assertTrue(line.recommended and line.helps)
        self.assertFalse(advice.line_ids.filtered(lambda line: line.variable == "lang_id").helps)
        # a sales manager may read the advice but not change crm's setting
        with self.assertRaises(AccessError):
            advice.with_user(self.manager).action_apply()
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("crm.pls_fields"), "phone_state,email_state")
        open_lead = self.lt_lead(name="Open", type="opportunity", country_id=self.belgium.id)
        before = open_lead.automated_probability
        advice.action_apply()
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("crm.pls_fields"), "country_id")
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("crm.pls_start_date"), "2000-01-01")
        open_lead.invalidate_recordset()
        self.assertGreater(open_lead.automated_probability, before + 20)  # crm recomputed with the country

    @users("lt_manager")
    def test_manager_opens_the_advice(self):
        action = self.env["crm.lead.pls.advice"].action_open()
        self.assertEqual(action["res_model"], "crm.lead.pls.advice")
        self.assertEqual(len(self.env["crm.lead.pls.advice"].browse(action["res_id"]).line_ids), 7)

    @users("lt_salesman")
    def test_salesman_may_not(self):
        with self.assertRaises(AccessError):
            self.env["crm.lead"].get_pls_variable_advice()
        with self.assertRaises(AccessError):
            self.env["crm.lead.pls.advice"].action_open()

    def test_no_closed_leads(self):
        (self.won | self.lost).unlink()
        advice = self.advice()
        self.assertEqual(len(advice), 7)
        self.assertFalse([row for row in advice.values() if row["recommended"] or row["test_leads"]])
