"""Every measure of the six reports against the same figure counted directly on crm.lead / mail.activity."""

import importlib.util
import io
import json
import statistics
import zipfile
from datetime import date, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import fields, http, models
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..report._common import LT_REPORT_INDEXES, LT_SUMMARY_STATIC_ROWS
from .common import LeadTrackingCase


def lt_status(lead):
    """A lead's status as the reports define it (crm's Won / Lost filters)."""
    if lead.active and lead.stage_id.is_won:
        return "won"
    if lead.active:
        return "open"
    return "lost" if not lead.probability else "archived"


@tagged("post_install", "-at_install")
class TestReports(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company2 = cls.env["res.company"].create({"name": "LT Second Company"})
        cls.salesman_all.write({"company_ids": [(4, cls.company2.id)]})
        cls.company.lt_unattended_horizon_days = 2
        cls.env.cr.execute("SELECT CURRENT_DATE")
        cls.today = cls.env.cr.fetchone()[0]
        cls.medium = cls.env["utm.medium"].create({"name": "LT Medium"})
        cls.source = cls.env["utm.source"].create({"name": "LT Source"})
        stage_lost_from = cls.stage_new
        leads = cls.env["crm.lead"]
        # Open / won / lost / archived leads of both salesmen, made varied through the inputs that make
        # the variety: a free-mail address makes a lead not a quality one (the company's definition),
        # an open lead's probability its tier (warm from 30, hot from 70), and a lead closed while its
        # automated probability is P keeps P as its closing score.
        for i, (user, quality, outcome, probability) in enumerate(
            [
                (cls.salesman, True, "open", 10),
                (cls.salesman, False, "won", 85),
                (cls.salesman, True, "lost", 25),
                (cls.salesman_all, True, "open", 45),
                (cls.salesman_all, False, "lost", 65),
                (cls.salesman_all, True, "won", 92),
                (cls.salesman_all, False, "archived", 40),
                (False, True, "open", 80),
            ]
        ):
            lead = cls.lt_lead(
                name=f"LT report lead {i}",
                user_id=user and user.id,
                stage_id=stage_lost_from.id,
                expected_revenue=1000 * (i + 1),
                medium_id=cls.medium.id,
                source_id=cls.source.id,
                type="opportunity" if i % 2 else "lead",
                email_from="buyer@example.com" if quality else f"buyer{i}@hotmail.com",
            )
            if outcome == "open":
                lead.write({"probability": probability})
            elif outcome == "archived":
                lead.write({"active": False, "probability": probability})
            else:
                lead.write({"automated_probability": probability})
                if outcome == "won":
                    lead.action_set_won()
                else:
                    lead.action_set_lost()
            leads |= lead
        cls.fixture = leads
        # a lead that changes salesperson: it belongs to the new one everywhere
        cls.moved = cls.lt_lead(name="LT moved lead", user_id=cls.salesman.id, expected_revenue=500)
        cls.moved.write({"user_id": cls.salesman_all.id})
        # a lead of the second company
        cls.other = cls.env["crm.lead"].create(
            {
                "name": "LT other company lead",
                "type": "opportunity",
                "company_id": cls.company2.id,
                "team_id": False,
                "user_id": cls.salesman_all.id,
                "expected_revenue": 7000,
                "medium_id": cls.medium.id,
            }
        )
        cls.leads = leads | cls.moved | cls.other
        activity_type = cls.env.ref("mail.mail_activity_data_call")
        lead_model = cls.env["ir.model"]._get_id("crm.lead")
        cls.activities = cls.env["mail.activity"]
        for lead in cls.leads:
            for delta in (-3, 0, 2, 3):
                cls.activities |= cls.env["mail.activity"].create(
                    {
                        "res_model_id": lead_model,
                        "res_id": lead.id,
                        "activity_type_id": activity_type.id,
                        "summary": f"Follow up {delta}",
                        "date_deadline": cls.today + timedelta(days=delta),
                        "user_id": (lead.user_id or cls.manager).id,
                    }
                )
        cls.env.flush_all()

    def _rows(self, model, user=None, companies=None):
        """The report's lines on our test leads, read as ``user`` in ``companies``."""
        report = self.env[model]
        if user:
            report = report.with_user(user)
        if companies:
            report = report.with_context(allowed_company_ids=companies.ids)
        return report.search([("lead_id", "in", self.leads.ids)])

    def _leads(self, user=None, companies=None):
        leads = self.env["crm.lead"].with_context(active_test=False)
        if user:
            leads = leads.with_user(user)
        if companies:
            leads = leads.with_context(allowed_company_ids=companies.ids)
        return leads.search([("id", "in", self.leads.ids)])

    def _group_total(self, model, measures, groupby, user=None):
        report = self.env[model].with_user(user) if user else self.env[model]
        groups = report.read_group([("lead_id", "in", self.leads.ids)], measures, [groupby], lazy=False)
        return {g[groupby] and (g[groupby][0] if isinstance(g[groupby], tuple) else g[groupby]): g for g in groups}

    # ------------------------------------------------------------------ unattended
    def test_unattended(self):
        model = "crm.lead.unattended.report"
        rows = self._rows(model)
        horizon = {self.company: 2, self.company2: 0}
        expected = self.activities.filtered(
            lambda a: (
                self.env["crm.lead"].browse(a.res_id).active
                and self.env["crm.lead"].browse(a.res_id).user_id
                and not self.env["crm.lead"].browse(a.res_id).stage_id.is_won
                and a.date_deadline
                <= self.today + timedelta(days=horizon[self.env["crm.lead"].browse(a.res_id).company_id])
            )
        )
        self.assertEqual(set(rows.ids), set(expected.ids))
        self.assertTrue(rows and len(rows) < len(self.activities))
        for row in rows:
            activity = self.env["mail.activity"].browse(row.id)
            lead = self.env["crm.lead"].browse(activity.res_id)
            self.assertEqual(row.lead_id, lead)
            self.assertEqual(row.user_id, lead.user_id)
            self.assertEqual(row.stage_id, lead.stage_id)
            self.assertEqual(row.team_id, lead.team_id)
            self.assertEqual(row.date_deadline, activity.date_deadline)
            self.assertEqual(row.days_overdue, (self.today - activity.date_deadline).days)
            self.assertEqual(row.activity_type_id, activity.activity_type_id)
            self.assertEqual(row.summary, activity.summary)
            self.assertAlmostEqual(row.probability, lead.probability)
            self.assertAlmostEqual(row.expected_revenue, lead.expected_revenue)
            self.assertEqual(row.date_closing, lead.date_deadline)
        by_stage = self._group_total(model, ["expected_revenue:sum"], "stage_id")
        for stage_id, group in by_stage.items():
            subset = expected.filtered(lambda a, s=stage_id: self.env["crm.lead"].browse(a.res_id).stage_id.id == s)
            self.assertEqual(group["__count"], len(subset))
            self.assertAlmostEqual(
                group["expected_revenue"], sum(self.env["crm.lead"].browse(a.res_id).expected_revenue for a in subset)
            )
        # the moved lead is the new salesperson's
        self.assertEqual(rows.filtered(lambda r: r.lead_id == self.moved).user_id, self.salesman_all)

    # ------------------------------------------------------------------ rules, for every report
    def test_rules_mirror_crm(self):
        """Each report shows a user the lines of the leads crm.lead shows them: own documents, all
        documents of one company, all documents of several companies."""
        self._resellers()
        for model in self.REPORTS:
            for user, companies in (
                (self.salesman, None),
                (self.salesman_all, self.company),
                (self.salesman_all, self.company | self.company2),
            ):
                visible_leads = self._leads(user, companies)
                rows = self._rows(model, user, companies)
                self.assertTrue(rows, (model, user.login))
                self.assertTrue(set(rows.sudo().lead_id.ids) <= set(visible_leads.ids), (model, user.login))
                all_rows = self._rows(model)
                self.assertEqual(
                    set(rows.ids), set(all_rows.filtered(lambda r, v=visible_leads: r.lead_id in v).ids), model
                )
        # own documents only: neither the moved lead nor the other company's lead
        visible = self._rows("crm.lead.quality.report", self.salesman).lead_id
        self.assertNotIn(self.moved, visible)
        self.assertNotIn(self.other, visible)
        self.assertIn(
            self.other, self._rows("crm.lead.quality.report", self.salesman_all, self.company | self.company2).lead_id
        )
        self.assertNotIn(self.other, self._rows("crm.lead.quality.report", self.salesman_all, self.company).lead_id)

    # ------------------------------------------------------------------ quality
    def test_quality(self):
        model = "crm.lead.quality.report"
        rows = self._rows(model)
        leads = self._leads()
        self.assertEqual(set(rows.lead_id.ids), set(leads.ids), "archived leads included")
        for row in rows:
            lead = row.lead_id.with_context(active_test=False)
            self.assertEqual(row.user_id, lead.user_id)
            self.assertEqual(row.status, lt_status(lead))
            self.assertEqual(row.is_quality_lead, lead.is_quality_lead)
            self.assertEqual(row.date_received, lead.date_open or lead.create_date)
        groups = self._group_total(model, ["quality_count:sum", "lead_count:sum", "quality_share:avg"], "user_id")
        for user in (self.salesman, self.salesman_all):
            mine = leads.filtered(lambda lead, u=user: lead.user_id == u)
            quality = mine.filtered("is_quality_lead")
            self.assertEqual(groups[user.id]["__count"], len(mine))
            self.assertEqual(groups[user.id]["lead_count"], len(mine))
            self.assertEqual(groups[user.id]["quality_count"], len(quality))
            self.assertAlmostEqual(groups[user.id]["quality_share"], 100.0 * len(quality) / len(mine))
        # the variety the fixture's addresses make, read back from the report
        quality = {row.lead_id: row.is_quality_lead for row in rows}
        self.assertEqual([quality[lead] for lead in self.fixture], [True, False, True, True, False, True, False, True])
        by_status = self._group_total(model, [], "status")
        for status in ("open", "won", "lost", "archived"):
            self.assertEqual(
                by_status[status]["__count"], len(leads.filtered(lambda lead, s=status: lt_status(lead) == s))
            )

    # ------------------------------------------------------------------ attribution
    def test_attribution(self):
        model = "crm.lead.attribution.report"
        leads = self._leads().filtered(lambda lead: lead.medium_id == self.medium)
        group = self.env[model].read_group(
            [("lead_id", "in", self.leads.ids), ("medium_id", "=", self.medium.id)],
            [
                "opportunity_count:sum",
                "won_count:sum",
                "won_rate:avg",
                "expected_revenue:sum",
                "won_revenue:sum",
                "days_to_close:avg",
            ],
            ["medium_id"],
            lazy=False,
        )
        self.assertEqual(len(group), 1)
        group = group[0]
        self.assertEqual(group["medium_id"][0], self.medium.id)
        won = leads.filtered(lambda lead: lt_status(lead) == "won")
        lost = leads.filtered(lambda lead: lt_status(lead) == "lost")
        self.assertEqual(group["__count"], len(leads))
        self.assertEqual(group["opportunity_count"], len(leads.filtered(lambda lead: lead.type == "opportunity")))
        self.assertEqual(group["won_count"], len(won))
        self.assertAlmostEqual(group["won_rate"], 100.0 * len(won) / (len(won) + len(lost)))
        self.assertAlmostEqual(group["expected_revenue"], sum(leads.mapped("expected_revenue")))
        self.assertAlmostEqual(group["won_revenue"], sum(won.mapped("expected_revenue")))
        closed = (won | lost).filtered("date_closed")
        days = [(lead.date_closed - lead.create_date).total_seconds() / 86400 for lead in closed]
        self.assertAlmostEqual(group["days_to_close"], sum(days) / len(days), places=4)
        favourite = self.env.ref("lead_tracking.crm_lead_attribution_report_filter_utm")
        self.assertIn("campaign_id", favourite.context)

    # ------------------------------------------------------------------ distribution
    def test_distribution(self):
        model = "crm.lead.distribution.report"
        leads = self._leads().filtered("user_id")
        groups = self._group_total(
            model,
            ["quality_count:sum", "kept_count:sum", "lost_count:sum", "won_count:sum", "quality_kept_share:avg"],
            "user_id",
        )
        self.assertEqual(set(groups), {self.salesman.id, self.salesman_all.id})
        for user in (self.salesman, self.salesman_all):
            mine = leads.filtered(lambda lead, u=user: lead.user_id == u)
            quality = mine.filtered("is_quality_lead")
            group = groups[user.id]
            self.assertEqual(group["__count"], len(mine))
            self.assertEqual(group["quality_count"], len(quality))
            self.assertEqual(group["kept_count"], len(mine.filtered("active")))
            self.assertEqual(group["lost_count"], len(mine.filtered(lambda lead: lt_status(lead) == "lost")))
            self.assertEqual(group["won_count"], len(mine.filtered(lambda lead: lt_status(lead) == "won")))
            self.assertAlmostEqual(group["quality_kept_share"], 100.0 * len(quality.filtered("active")) / len(quality))

    def test_distribution_good_leads(self):
        """The shared favourite Good leads selects exactly the leads its definition names: recent, of a
        region's team, with a phone, showing interest (appointment, live chat, a product in the notes, a
        company-size tag), from a professional address, kept by an active salesperson."""
        favourite = self.env.ref("lead_tracking.crm_lead_distribution_report_filter_good_leads")
        self.assertFalse(favourite.user_id)
        domain = safe_eval(favourite.domain, {"context_today": date.today, "relativedelta": relativedelta})
        americas = self.env["crm.team"].create({"name": "LT Americas"})
        former = self.salesman.copy({"login": "lt_former_salesman", "name": "LT Former"})
        tag = self.env["crm.tag"].create({"name": "LT 5-20 employees"})
        livechat = self.env["utm.source"].create({"name": "LT LiveChat"})
        base = {"team_id": self.team.id, "user_id": self.salesman.id}  # the team "LT Europe"
        cases = {
            "in: product in the notes": ({"description": "<p>Needs stock and purchase</p>"}, True),
            "in: company-size tag": ({"tag_ids": [(6, 0, tag.ids)]}, True),
            "in: appointment": ({"referred": "Appointment booked online"}, True),
            "in: live chat": ({"source_id": livechat.id}, True),
            "out: no interest": ({}, False),
            "out: no phone": ({"phone": False, "description": "<p>stock</p>"}, False),
            "out: free mail": ({"email_from": "buyer@hotmail.com", "description": "<p>stock</p>"}, False),
            "out: other team": ({"team_id": americas.id, "description": "<p>stock</p>"}, False),
            "out: former salesperson": ({"user_id": former.id, "description": "<p>stock</p>"}, False),
            "out: over a year old": ({"description": "<p>stock</p>"}, False),
        }
        leads = {name: self.lt_lead(name=name, **{**base, **values}) for name, (values, _good) in cases.items()}
        former.action_archive()
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET create_date = now() - interval '13 months' WHERE id = %s",
                            [leads["out: over a year old"].id])
        ids = [lead.id for lead in leads.values()]
        good = self.env["crm.lead.distribution.report"].search(domain + [("lead_id", "in", ids)])
        self.assertEqual(sorted(good.lead_id.mapped("name")), sorted(name for name, (_v, ok) in cases.items() if ok))

    def test_group_order(self):
        """Groups come in the ORM's own order (salespeople by name, stages by sequence, empty last)
        although the reports aggregate without joining the grouped tables."""
        leads = self._leads()

        def order(model, field, domain):
            groups = self.env[model].with_context(active_test=False).read_group(domain, [field], [field], lazy=False)
            return [group[field] and group[field][0] for group in groups]

        native = order("crm.lead", "user_id", [("id", "in", leads.ids)])
        ours = order("crm.lead.quality.report", "user_id", [("lead_id", "in", leads.ids)])
        # "Alex Allleads" sorts before "Sam Salesman", who was created first
        self.assertEqual(ours, [self.salesman_all.id, self.salesman.id, False])
        self.assertEqual(ours, native)
        stages = order("crm.lead.quality.report", "stage_id", [("lead_id", "in", leads.ids)])
        self.assertEqual(stages, order("crm.lead", "stage_id", [("id", "in", leads.ids)]))
        self.assertEqual(stages, self.env["crm.stage"].browse(stages).sorted().ids)

    # ------------------------------------------------------------------ scoring
    def test_scoring(self):
        model = "crm.lead.scoring.report"
        leads = self._leads()
        rows = self._rows(model)
        closed = leads.filtered(lambda lead: lt_status(lead) in ("won", "lost"))
        groups = self.env[model].read_group(
            [("lead_id", "in", self.leads.ids), ("is_closed", "=", True)],
            ["predicted_won_rate:avg", "actual_won_rate:avg"],
            ["score_bucket"],
            lazy=False,
        )
        self.assertEqual(sum(g["__count"] for g in groups), len(closed))
        # the fixture's closings and probabilities, as literal buckets and tiers
        lines = {row.lead_id: row for row in rows}
        self.assertEqual([lines[lead].score_bucket if lines[lead].is_closed else None for lead in self.fixture],
                         [None, "8", "2", None, "6", "9", None, None])
        self.assertEqual(self.fixture.with_context(active_test=False).mapped("score_tier"),
                         ["cold", "hot", "cold", "warm", "cold", "hot", "warm", "hot"])
        self.assertEqual([lines[lead].score_tier for lead in self.fixture],  # the report's: open leads only
                         ["cold", False, False, "warm", False, False, False, "hot"])
        self.assertEqual({g["score_bucket"]: g["__count"] for g in groups if g["__count"]},
                         {"2": 1, "6": 1, "8": 1, "9": 1})
        for group in groups:
            bucket = int(group["score_bucket"])
            subset = closed.filtered(lambda lead, b=bucket: min(int(lead.closing_score // 10), 9) == b)
            self.assertEqual(group["__count"], len(subset))
            if not subset:  # every bucket is shown, empty ones at 0
                self.assertFalse(group["predicted_won_rate"])
                continue
            self.assertAlmostEqual(group["predicted_won_rate"], sum(subset.mapped("closing_score")) / len(subset))
            self.assertAlmostEqual(
                group["actual_won_rate"],
                100.0 * len(subset.filtered(lambda lead: lt_status(lead) == "won")) / len(subset),
            )
        open_leads = leads.filtered(lambda lead: lt_status(lead) == "open")
        tiers = self.env[model].read_group(
            [("lead_id", "in", self.leads.ids), ("status", "=", "open")],
            ["expected_revenue:sum", "weighted_revenue:sum"],
            ["score_tier"],
            lazy=False,
        )
        for group in tiers:
            subset = open_leads.filtered(lambda lead, t=group["score_tier"]: (lead.score_tier or False) == t)
            self.assertEqual(group["__count"], len(subset))
            self.assertAlmostEqual(group["expected_revenue"], sum(subset.mapped("expected_revenue")))
            self.assertAlmostEqual(
                group["weighted_revenue"], sum(lead.expected_revenue * lead.probability / 100 for lead in subset)
            )
        self.assertEqual(len(rows), len(leads))

    # ------------------------------------------------------------------ summaries
    SUMMARY_READS = [
        # model, domain, aggregates, groupby
        ("crm.lead.unattended.report", [], ["__count"], ["stage_id"]),
        (
            "crm.lead.unattended.report",
            [("days_overdue", ">", 0)],
            ["expected_revenue:sum", "probability:avg", "days_overdue:avg", "max_days_overdue:max"],
            ["user_id", "team_id"],
        ),
        ("crm.lead.unattended.report", [("stage_id", "!=", False)], ["__count"], ["date_deadline:day", "lead_type"]),
        ("crm.lead.scoring.report", [("is_closed", "=", True)], ["__count", "actual_won_rate:avg"], ["score_bucket"]),
        (
            "crm.lead.scoring.report",
            [],
            ["predicted_won_rate:avg", "probability:avg", "expected_revenue:sum", "weighted_revenue:sum"],
            ["user_id", "status", "score_tier"],
        ),
        (
            "crm.lead.scoring.report",
            [("is_closed", "=", True)],
            ["closed_count:sum", "predicted_won_rate:avg", "actual_won_rate:avg", "brier_score:avg"],
            ["score_bucket"],
        ),
        ("crm.lead.unattended.report", [], ["expected_revenue:sum"], ["user_id", "stage_id"]),
        (
            "crm.lead.attribution.report",
            [],
            ["__count", "opportunity_count:sum", "won_count:sum", "won_rate:avg", "expected_revenue:sum",
             "won_revenue:sum", "days_to_close:avg"],
            ["medium_id", "source_id", "campaign_id"],
        ),
        ("crm.lead.attribution.report", [("status", "in", ["won", "lost"])], ["won_rate:avg"], ["user_id", "stage_id"]),
        ("crm.reseller.report", [], ["__count", "accepted_count:sum", "won_revenue:sum"], ["level_id", "reseller_id"]),
        ("crm.reseller.report", [], ["__count", "won_revenue:sum"], ["reseller_id"]),
        (
            "crm.reseller.report",
            [("is_declined", "=", False)],
            ["accepted_count:sum", "opportunity_count:sum", "won_count:sum", "acceptance_rate:avg", "won_revenue:avg"],
            ["level_id", "activation_id"],
        ),
        (
            "crm.reseller.report",
            [],
            ["__count", "declined_count:sum", "acceptance_rate:avg"],
            ["country_id", "user_id", "partnership_date:month"],
        ),
    ]

    def _resellers(self):
        """Two resellers (Gold in Belgium, Silver in France) with leads of both companies; leads 0, 2 and
        6 were declined, lead 6 by both."""
        values = {"is_company": True, "reseller_partnership_date": self.today - timedelta(days=40)}
        gold, silver = self.env["res.partner"].create(
            [
                {
                    **values,
                    "name": "LT Gold Reseller",
                    "reseller_level_id": self.env.ref("lead_tracking.reseller_level_gold").id,
                    "reseller_activation_id": self.env.ref("lead_tracking.reseller_activation_ramp_up").id,
                    "country_id": self.env.ref("base.be").id,
                },
                {
                    **values,
                    "name": "LT Silver Reseller",
                    "reseller_level_id": self.env.ref("lead_tracking.reseller_level_silver").id,
                    "country_id": self.env.ref("base.fr").id,
                },
            ]
        )
        self.leads[:5].write({"reseller_id": gold.id})
        (self.leads[5] | self.other).write({"reseller_id": silver.id})
        (self.leads[0] | self.leads[2]).write({"reseller_declined_ids": [(4, silver.id)]})
        self.leads[6].write({"reseller_declined_ids": [(4, gold.id), (4, silver.id)]})
        return gold, silver

    def _assert_summaries_match(self, user=None, companies=None):
        """The summaries' answers equal the lines' for every read of SUMMARY_READS."""
        self.env.flush_all()
        for model, domain, aggregates, groupby in self.SUMMARY_READS:
            report = self.env[model].with_user(user or self.env.user)
            if companies:
                report = report.with_context(allowed_company_ids=companies.ids)
            self.assertTrue(report._lt_summary_answers(domain, groupby, aggregates, (), None))
            summary = report.read_group(domain, aggregates, groupby, lazy=False)
            lines = report.with_context(lt_report_summary=False).read_group(domain, aggregates, groupby, lazy=False)
            self.assertEqual(len(summary), len(lines), f"{model} {groupby}")
            for ours, expected in zip(summary, lines, strict=True):
                for key, value in expected.items():
                    if key == "__domain":
                        continue
                    if isinstance(value, float):
                        self.assertAlmostEqual(ours[key], value, msg=f"{model} {groupby} {key}")
                    else:
                        self.assertEqual(ours[key], value, f"{model} {groupby} {key}")

    def test_summaries(self):
        """Grouped reads answered by the summaries equal the lines, for every user, through every change
        the triggers must follow (ORM and SQL writes, deletes); a rebuild recounts a damaged summary."""
        gold, silver = self._resellers()
        self._assert_summaries_match()
        self._assert_summaries_match(user=self.salesman)
        self._assert_summaries_match(user=self.salesman_all, companies=self.company2)
        lead, other = self.leads[0], self.leads[3]
        activity_type = self.env.ref("mail.mail_activity_data_call")
        new_activity = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                "res_id": lead.id,
                "activity_type_id": activity_type.id,
                "date_deadline": self.today - timedelta(days=9),
                "user_id": self.salesman.id,
            }
        )
        self._assert_summaries_match()
        new_activity.date_deadline = self.today - timedelta(days=1)
        self.activities[0].action_feedback(feedback="done")
        self.activities[5].unlink()
        self._assert_summaries_match()
        lead.write({"stage_id": self.stage_won.id, "probability": 35, "expected_revenue": 4321})
        other.write({"user_id": self.salesman.id, "score_tier": "hot", "closing_score": 77})
        self.moved.action_set_lost()
        self._assert_summaries_match()
        self._assert_summaries_match(user=self.salesman)
        self.moved.action_unarchive()
        other.action_set_won()
        # set-based SQL writes (as the assignment and the refresh make) are followed too
        self.env.cr.execute(
            "UPDATE crm_lead SET user_id = %s, team_id = NULL WHERE id = ANY(%s)",
            [self.salesman_all.id, self.leads[:4].ids],
        )
        self.env.cr.execute("UPDATE mail_activity SET active = FALSE WHERE id = ANY(%s)", [self.activities[8:12].ids])
        self.env.invalidate_all()
        self._assert_summaries_match()
        # quality: a lead no longer quality, another one received 40 days ago (out of the last 30 days)
        self.leads[3].write({"is_quality_lead": False})
        self.env.cr.execute(
            "UPDATE crm_lead SET date_open = now() at time zone 'UTC' - interval '40 days' WHERE id = %s",
            [self.leads[5].id],
        )
        # partnership: a decline, a reseller given back a lead it declined, a new level, declines in SQL
        self.leads[1].write({"reseller_id": False, "reseller_declined_ids": [(4, gold.id)]})
        self.leads[6].write({"reseller_id": gold.id, "type": "opportunity"})
        silver.reseller_level_id = self.env.ref("lead_tracking.reseller_level_bronze")
        self.env.cr.execute(
            "INSERT INTO crm_lead_reseller_declined_rel (lead_id, partner_id) VALUES (%s, %s)",
            [self.leads[3].id, silver.id],
        )
        self.env.cr.execute(
            "UPDATE crm_lead_reseller_declined_rel SET partner_id = %s WHERE lead_id = %s AND partner_id = %s",
            [gold.id, self.leads[0].id, silver.id],
        )
        self.env.invalidate_all()
        self._assert_summaries_match()
        self._assert_summaries_match(user=self.salesman)
        # deleted leads and resellers take their lines (declines included) with them
        self.leads[2].unlink()
        self.env.flush_all()
        self._assert_summaries_match()
        silver.unlink()
        self.env.flush_all()
        self._assert_summaries_match()
        self._assert_summaries_match(user=self.salesman_all, companies=self.company2)
        # the summaries really answer these reads: emptied, they answer nothing until rebuilt
        self.env.cr.execute("DELETE FROM crm_lead_unattended_report_summary")
        self.assertFalse(self.env["crm.lead.unattended.report"].read_group([], ["__count"], ["stage_id"]))
        self.env["lt.lead.report.mixin"]._lt_report_rebuild_summaries()
        self._assert_summaries_match()
        # the full refresh rewrites tiers with the triggers paused, recounts, and leaves them running
        self.env.cr.execute("UPDATE crm_lead SET score_tier = NULL WHERE id = ANY(%s)", [self.leads.ids])
        self.env["crm.lead"]._lt_refresh_all()
        self.env.invalidate_all()
        self.assertTrue(all(self.leads.exists().mapped("score_tier")))
        self._assert_summaries_match()
        self.leads[4].write({"user_id": self.salesman.id, "probability": 12})
        self._assert_summaries_match()
        # reads the summaries cannot answer (a lead, an activity type) read the lines
        report = self.env["crm.lead.unattended.report"]
        self.assertFalse(report._lt_summary_answers([("lead_id", "in", lead.ids)], ["stage_id"], ["__count"], (), None))
        self.assertTrue(report._lt_summary_answers([], ["activity_type_id"], ["__count"], (), None))
        self.assertFalse(report._lt_summary_answers([], ["stage_id"], ["expected_revenue:max"], (), None))
        self.assertFalse(report._lt_summary_answers([], ["user_id"], ["summary:count"], (), None))
        self.assertTrue(report._lt_summary_answers([("days_overdue", ">", 0)], ["user_id"], ["__count"], (), None))
        scoring = self.env["crm.lead.scoring.report"]
        dated = [("date", ">=", "2026-01-01")]
        self.assertFalse(scoring._lt_summary_answers(dated, ["user_id"], ["__count"], (), None))
        partnership = self.env["crm.reseller.report"]
        self.assertFalse(partnership._lt_summary_answers([], ["reseller_id"], ["median_answer_hours:max"], (), None))
        self.assertFalse(partnership._lt_summary_answers([], ["date_assigned:month"], ["__count"], (), None))

    def test_summaries_reinstalled(self):
        """A module update reinstalls each summary: its table comes back filled as the lines count, and
        its new triggers follow the writes made after it."""
        cr = self.env.cr
        for summary in self.env["lt.lead.report.mixin"]._lt_report_summaries():
            cr.execute(summary.rows())
            rows = sorted(cr.fetchall(), key=repr)
            self.assertTrue(rows, summary.table)
            summary.install(cr)
            cr.execute(summary.rows())
            self.assertEqual(sorted(cr.fetchall(), key=repr), rows, summary.table)
            self.assertEqual(summary.mismatches(cr), 0, summary.table)
        self.leads[0].write({"user_id": self.salesman_all.id, "probability": 64, "expected_revenue": 999})
        self.activities[1].date_deadline = self.today - timedelta(days=4)
        self.activities[2].unlink()
        self.env.flush_all()
        self._assert_summaries_match()

    def test_summaries_large_statements(self):
        """Statements of more rows than LT_SUMMARY_STATIC_ROWS take the triggers' other path (planned for
        their own rows): inserts, updates and deletes of that many leads and activities are followed."""
        gold, silver = self._resellers()
        count = LT_SUMMARY_STATIC_ROWS + 6
        leads = self.env["crm.lead"].create([
            {"name": f"LT bulk {i}", "type": "opportunity", "team_id": self.team.id, "user_id": self.salesman.id,
             "expected_revenue": 100 * i, "medium_id": self.medium.id, "reseller_id": gold.id}
            for i in range(count)
        ])
        self.leads |= leads
        self.env["mail.activity"].create([
            {"res_model_id": self.env["ir.model"]._get_id("crm.lead"), "res_id": lead.id,
             "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
             "date_deadline": self.today - timedelta(days=1), "user_id": self.salesman.id}
            for lead in leads
        ])
        self._assert_summaries_match()
        self.env.cr.execute("UPDATE crm_lead SET user_id = %s, probability = 55 WHERE id = ANY(%s)",
                            [self.salesman_all.id, leads.ids])
        self.env.cr.execute("UPDATE mail_activity SET date_deadline = date_deadline - 3 WHERE res_id = ANY(%s)"
                            " AND res_model = 'crm.lead'", [leads.ids])
        self.env.cr.execute(
            "INSERT INTO crm_lead_reseller_declined_rel (lead_id, partner_id) SELECT id, %s FROM crm_lead"
            " WHERE id = ANY(%s)", [silver.id, leads.ids],
        )
        self.env.invalidate_all()
        self._assert_summaries_match()
        self.env.cr.execute("DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND res_id = ANY(%s)", [leads.ids])
        self.env.cr.execute("DELETE FROM crm_lead WHERE id = ANY(%s)", [leads[: count - 1].ids])
        self.env.invalidate_all()
        self._assert_summaries_match()

    # ------------------------------------------------------------------ partnership
    def test_partnership(self):
        model = "crm.reseller.report"
        level = self.env["crm.reseller.level"].create({"name": "Gold"})
        activation = self.env["crm.reseller.activation"].create({"name": "Fully Operational"})
        reseller = self.env["res.partner"].create(
            {
                "name": "LT Reseller",
                "is_company": True,
                "reseller_level_id": level.id,
                "reseller_activation_id": activation.id,
                "country_id": self.env.ref("base.be").id,
            }
        )
        assigned = fields.Datetime.now() - timedelta(hours=5)
        accepted, won, pending, declined = self.leads[:4]
        (accepted | won | pending).write({"reseller_id": reseller.id, "reseller_assigned_date": assigned})
        (accepted | won).write({"type": "opportunity"})
        won.write({"stage_id": self.stage_won.id, "active": True})
        declined.write({"reseller_declined_ids": [(4, reseller.id)]})
        for lead, hours in ((accepted, 1), (won, 3)):
            message = lead.message_post(body="Contacted the customer", author_id=reseller.id)
            self.assertEqual(lead.reseller_answered_date, message.date, "the reseller's first message is its answer")
            lead.message_post(body="Still on it", author_id=reseller.id)
            self.assertEqual(lead.reseller_answered_date, message.date, "only the first message counts")
            lead.reseller_answered_date = assigned + timedelta(hours=hours)
        self.env.flush_all()
        # the decline has no recorded time here: it is not counted in the hours to answer
        self.env.cr.execute("UPDATE crm_lead_reseller_declined_rel SET lt_declined_date = NULL WHERE lead_id = %s",
                            [declined.id])
        group = self.env[model].read_group(
            [("reseller_id", "=", reseller.id)],
            [
                "accepted_count:sum",
                "declined_count:sum",
                "opportunity_count:sum",
                "won_count:sum",
                "won_revenue:sum",
                "acceptance_rate:avg",
                "median_answer_hours:max",
            ],
            ["reseller_id"],
            lazy=False,
        )[0]
        self.assertEqual(group["__count"], 4)
        self.assertEqual(group["accepted_count"], 2)
        self.assertEqual(group["declined_count"], 1)
        self.assertEqual(group["opportunity_count"], 2)
        self.assertEqual(group["won_count"], 1)
        self.assertAlmostEqual(group["won_revenue"], won.expected_revenue)
        self.assertAlmostEqual(group["acceptance_rate"], 100.0 * 2 / 3)
        self.assertAlmostEqual(group["median_answer_hours"], statistics.median([1, 3]), places=3)
        row = self.env[model].search([("reseller_id", "=", reseller.id)], limit=1)
        self.assertEqual((row.level_id, row.activation_id), (level, activation))
        # rules: the salesman sees only the lines of his own or unassigned leads
        mine = self.env[model].with_user(self.salesman).search([("reseller_id", "=", reseller.id)])
        self.assertEqual(
            set(mine.lead_id.ids),
            set(self._leads(self.salesman).filtered(lambda lead: lead in (accepted | won | pending | declined)).ids),
        )

    # ------------------------------------------------------------------ calibration
    def test_scoring_calibration(self):
        """Predicted and actual won rate side by side per bucket (every bucket, empty ones at 0), the
        Brier score and the expected calibration error, against figures computed here."""
        model = self.env["crm.lead.scoring.report"]
        domain = [("lead_id", "in", self.leads.ids), ("is_closed", "=", True)]
        closed = self._leads().filtered(lambda lead: lt_status(lead) in ("won", "lost"))
        self.assertTrue(closed)

        def bucket(lead):
            return min(max(int((lead.closing_score or 0) // 10), 0), 9)

        groups = model.read_group(domain, ["won_rate:avg", "closed_count:sum"], ["score_bucket", "series"], lazy=False)
        self.assertEqual(len(groups), 20, "10 buckets x 2 series, empty buckets included")
        self.assertEqual([g["score_bucket"] for g in groups[::2]], [str(b) for b in range(10)])
        by_key = {(g["score_bucket"], g["series"]): g for g in groups}
        n = len(closed)
        ece = 0.0
        for b in range(10):
            subset = closed.filtered(lambda lead, b=b: bucket(lead) == b)
            predicted, actual = by_key[(str(b), "predicted")], by_key[(str(b), "actual")]
            self.assertEqual(actual["closed_count"], len(subset))
            self.assertEqual(predicted["closed_count"], len(subset))
            if not subset:
                self.assertEqual((predicted["won_rate"], actual["won_rate"], actual["__count"]), (0, 0, 0))
                continue
            mean_score = sum(lead.closing_score for lead in subset) / len(subset)
            won_share = 100.0 * len(subset.filtered(lambda lead: lt_status(lead) == "won")) / len(subset)
            self.assertAlmostEqual(predicted["won_rate"], mean_score)
            self.assertAlmostEqual(actual["won_rate"], won_share)
            ece += len(subset) / n * abs(mean_score - won_share)
        outcome = {lead: 1.0 if lt_status(lead) == "won" else 0.0 for lead in closed}
        brier = sum((lead.closing_score / 100 - outcome[lead]) ** 2 for lead in closed) / n
        (total,) = model.read_group(domain, ["brier_score:avg", "calibration_error:avg", "closed_count:sum"], [],
                                    lazy=False)
        self.assertAlmostEqual(total["brier_score"], brier)
        self.assertAlmostEqual(total["calibration_error"], ece)
        # the same figures by hand: won at 85 and 92, lost at 25 and 65, one lead per bucket
        self.assertAlmostEqual(brier, (0.15**2 + 0.25**2 + 0.65**2 + 0.08**2) / 4)
        self.assertAlmostEqual(total["brier_score"], 0.128475)
        self.assertAlmostEqual(total["calibration_error"], (15 + 25 + 65 + 8) / 4)
        self.assertEqual(total["closed_count"], n)
        figures = model.lt_calibration(domain)
        self.assertEqual(figures["closed"], n)
        self.assertAlmostEqual(figures["brier_score"], brier)
        self.assertAlmostEqual(figures["calibration_error"], ece)
        # the summary gives the same figures as the lines
        lines = model.with_context(lt_report_summary=False)
        self.assertAlmostEqual(lines.read_group(domain, ["brier_score:avg"], [], lazy=False)[0]["brier_score"], brier)
        # the list's button reports the figures of the domain it is given (the user's period and filters)
        action = model.with_context(active_domain=domain).action_lt_calibration()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(f"{brier:.4f}", action["params"]["message"])
        # per group: the ECE of each salesperson's closed leads
        for group in model.read_group(domain, ["calibration_error:avg"], ["user_id"], lazy=False):
            mine = closed.filtered(lambda lead, g=group: lead.user_id.id == (g["user_id"] and g["user_id"][0]))
            expected = 0.0
            for b in range(10):
                subset = mine.filtered(lambda lead, b=b: bucket(lead) == b)
                if subset:
                    gap = sum(lead.closing_score for lead in subset) / len(subset) - 100.0 * len(
                        subset.filtered(lambda lead: lt_status(lead) == "won")) / len(subset)
                    expected += len(subset) / len(mine) * abs(gap)
            self.assertAlmostEqual(group["calibration_error"], expected)

    # ------------------------------------------------------------------ click-through
    REPORTS = (
        "crm.lead.unattended.report",
        "crm.lead.quality.report",
        "crm.lead.scoring.report",
        "crm.reseller.report",
        "crm.lead.attribution.report",
        "crm.lead.distribution.report",
    )

    def test_click_through(self):
        """A graph bar or pivot cell (its group's domain) opens the crm leads having lines in it, as the
        user sees them; a line's button opens its lead."""
        self._resellers()
        self.env.flush_all()
        for model in self.REPORTS:
            for user in (self.manager, self.salesman):
                report = self.env[model].with_user(user)
                groups = report.read_group([("lead_id", "in", self.leads.ids)], ["__count"], ["user_id"], lazy=False)
                self.assertTrue(groups, model)
                for group in groups:
                    action = report.lt_action_open_leads(group["__domain"])
                    self.assertEqual(action["res_model"], "crm.lead")
                    self.assertFalse(action["context"]["active_test"])
                    leads = self.env["crm.lead"].with_user(user).with_context(active_test=False).search(
                        action["domain"])
                    expected = report.search(group["__domain"]).lead_id
                    self.assertEqual(leads, expected, f"{model} {user.login} {group['user_id']}")
                    self.assertTrue(leads)
                    # never a lead the user may not read
                    self.assertFalse(leads - self._leads(user))
            line = self.env[model].search([("lead_id", "in", self.leads.ids)], limit=1)
            self.assertEqual(line.action_open_lead()["res_id"], line.lead_id.id)
            self.assertEqual(self.env["crm.lead"].with_context(active_test=False).search(
                line.action_open_leads()["domain"]), line.lead_id)
        # the scoring series are the same lines: a bar of either series opens the bucket's closed leads
        scoring = self.env["crm.lead.scoring.report"]
        bars = scoring.read_group([("lead_id", "in", self.leads.ids), ("is_closed", "=", True)], ["won_rate:avg"],
                                  ["score_bucket", "series"], lazy=False)
        bar = next(group for group in bars if group["__count"] and group["series"] == "predicted")
        leads = self.env["crm.lead"].with_context(active_test=False).search(
            scoring.lt_action_open_leads(bar["__domain"])["domain"])
        self.assertEqual(leads, scoring.search(bar["__domain"]).lead_id)
        self.assertTrue(all(int(lead.closing_score // 10) == int(bar["score_bucket"]) for lead in leads))

    # ------------------------------------------------------------------ export
    def test_exports(self):
        """The list export (every stored field of the list) and the pivot's xlsx export work on every report."""
        self._resellers()
        self.env.flush_all()
        for model in self.REPORTS:
            report = self.env[model]
            view = report.get_view(view_type="tree")
            names = [name for name in report._fields if name in view["arch"] and name not in ("id",)]
            rows = report.search([("lead_id", "in", self.leads.ids)])
            self.assertTrue(rows, model)
            data = rows.export_data([*names, "lead_id/name"])["datas"]
            self.assertEqual(len(data), len(rows), model)
            self.assertEqual(len(data[0]), len(names) + 1)

    # ------------------------------------------------------------------ partnership views
    def test_partnership_levels_and_answers(self):
        """Every level and activation that has resellers has its group, with or without leads; hours
        to answer are filled wherever the reseller answered, declined leads included."""
        gold, silver = self._resellers()
        bronze = self.env["res.partner"].create({
            "name": "LT Bronze Reseller", "is_company": True,
            "reseller_level_id": self.env.ref("lead_tracking.reseller_level_bronze").id,
        })
        model = self.env["crm.reseller.report"]
        groups = model.read_group([("lead_id", "in", self.leads.ids)], ["__count"], ["level_id"], lazy=False)
        levels = {g["level_id"][0]: g["__count"] for g in groups}
        self.assertEqual(levels[bronze.reseller_level_id.id], 0)
        self.assertIn(gold.reseller_level_id.id, levels)
        resellers = self.env["res.partner"].search([("reseller_level_id", "!=", False)])
        self.assertEqual(set(levels), set(resellers.reseller_level_id.ids))
        activations = model.read_group([], ["__count"], ["activation_id"], lazy=False)
        self.assertEqual({g["activation_id"][0] for g in activations if g["activation_id"]},
                         set(resellers.reseller_activation_id.ids))
        # answers: the gold reseller's contact answers lead 1 two hours after the offer; silver declined
        # lead 0 five hours after it was offered it
        contact = self.env["res.partner"].create({"name": "LT Gold Contact", "parent_id": gold.id})
        lead_1, declined = self.leads[1], self.leads[0]
        lead_1.reseller_assigned_date = fields.Datetime.now() - timedelta(hours=2)
        message = lead_1.message_post(body="We called them", author_id=contact.id, message_type="comment")
        self.assertEqual(lead_1.reseller_answered_date, message.date)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead_reseller_declined_rel SET lt_offered_date = lt_declined_date - interval '5 hours'"
            " WHERE lead_id = %s AND partner_id = %s", [declined.id, silver.id],
        )
        rows = model.search([("lead_id", "in", (lead_1 | declined).ids)])
        answered = {(row.lead_id, row.reseller_id, row.is_declined): row.answer_hours for row in rows}
        self.assertAlmostEqual(answered[(lead_1, gold, False)], 2.0, places=2)
        self.assertAlmostEqual(answered[(declined, silver, True)], 5.0, places=3)
        self.assertFalse(answered[(declined, gold, False)], "the gold reseller has not answered lead 0")
        # the contact updating a lead from the portal answers it too
        lead_3 = self.leads[3]
        portal = new_test_user(self.env, login="lt_gold_portal", groups="base.group_portal", partner_id=contact.id)
        lead_3.reseller_assigned_date = fields.Datetime.now() - timedelta(hours=3)
        self.assertFalse(lead_3.reseller_answered_date)
        lead_3.with_user(portal).write({"priority": "2"})
        self.assertAlmostEqual(
            (lead_3.reseller_answered_date - lead_3.reseller_assigned_date).total_seconds() / 3600, 3.0, places=2)
        # a message the reseller wrote outside the ORM is found by the daily refresh
        lead_4 = self.leads[4]
        lead_4.reseller_assigned_date = fields.Datetime.now() - timedelta(hours=8)
        self.env.flush_all()
        self.env.cr.execute(
            "INSERT INTO mail_message (model, res_id, message_type, author_id, date, body)"
            " VALUES ('crm.lead', %s, 'email', %s, now() at time zone 'UTC' - interval '6 hours', '<p>ok</p>')",
            [lead_4.id, contact.id],
        )
        self.assertFalse(lead_4.reseller_answered_date)
        self.env["crm.lead"]._cron_lt_refresh()
        self.assertAlmostEqual(
            (lead_4.reseller_answered_date - lead_4.reseller_assigned_date).total_seconds() / 3600, 2.0, places=2)
        # a reseller declining through the portal records when it had been offered the lead
        offered = lead_3.reseller_assigned_date
        lead_3._lt_reseller_decline(self.env.user, "not ours", False, False)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT lt_offered_date, lt_declined_date IS NOT NULL FROM crm_lead_reseller_declined_rel"
            " WHERE lead_id = %s AND partner_id = %s", [lead_3.id, gold.id],
        )
        self.assertEqual(self.env.cr.fetchone(), (offered, True))
        # the summary (the pivot's default read) gives the lines' averages
        summary = model.read_group([("lead_id", "in", self.leads.ids)], ["answer_hours:avg"],
                                   ["level_id", "reseller_id"], lazy=False)
        lines = model.with_context(lt_report_summary=False).read_group(
            [("lead_id", "in", self.leads.ids)], ["answer_hours:avg"], ["level_id", "reseller_id"], lazy=False)
        self.assertEqual([(g["reseller_id"], round(g["answer_hours"] or 0, 6)) for g in summary],
                         [(g["reseller_id"], round(g["answer_hours"] or 0, 6)) for g in lines])
        (group,) = model.read_group([("reseller_id", "=", gold.id), ("lead_id", "=", lead_1.id)],
                                    ["answer_hours:avg", "median_answer_hours:max"], ["reseller_id"], lazy=False)
        self.assertAlmostEqual(group["answer_hours"], 2.0, places=2)
        self.assertAlmostEqual(group["median_answer_hours"], 2.0, places=2)

    # ------------------------------------------------------------------ upgrade
    def test_upgrade_fills_reseller_answers(self):
        """The 17.0.1.1.0 migration gives leads answered before answers were kept their answer time."""
        gold, _silver = self._resellers()
        lead = self.leads[1]
        lead.reseller_assigned_date = fields.Datetime.now() - timedelta(hours=4)
        message = lead.message_post(body="Taken", author_id=gold.id, message_type="comment")
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET reseller_answered_date = NULL WHERE id = %s", [lead.id])
        lead.invalidate_recordset()
        path = Path(__file__).parents[1] / "migrations" / "17.0.1.1.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("lt_post_migrate_17_0_1_1_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "17.0.1.0.0")
        self.assertEqual(lead.reseller_answered_date, message.date)
        self._assert_summaries_match()

    def test_retired_summaries_dropped(self):
        """An upgrade drops the summaries this version no longer keeps (Quality's, the old names), with
        their triggers and functions; the kept ones are in place with their triggers."""
        cr = self.env.cr
        cr.execute("CREATE TABLE lt_report_quality_summary (lt_weight int4)")
        cr.execute("CREATE FUNCTION lt_report_quality_summary_on_crm_lead() RETURNS trigger LANGUAGE plpgsql"
                   " AS $$ BEGIN RETURN NULL; END $$")
        cr.execute("CREATE TRIGGER lt_report_quality_summary_on_crm_lead_update AFTER UPDATE ON crm_lead"
                   " FOR EACH STATEMENT EXECUTE FUNCTION lt_report_quality_summary_on_crm_lead()")
        self.env["crm.lead.quality.report"].init()
        cr.execute("SELECT to_regclass('lt_report_quality_summary'), to_regclass('crm_lead_quality_report_summary')")
        self.assertEqual(cr.fetchone(), (None, None))
        cr.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'lt_report_%%' OR tgname LIKE '%%_summary_on_%%'")
        triggers = {row[0] for row in cr.fetchall()}
        self.assertFalse({name for name in triggers if "quality" in name})
        kept = {summary.table for summary in self.env["lt.lead.report.mixin"]._lt_report_summaries()}
        self.assertEqual(kept, {"crm_lead_unattended_report_summary", "crm_lead_scoring_report_summary",
                                "crm_reseller_report_summary", "crm_lead_attribution_report_summary"})
        for table in kept:
            self.assertTrue(any(name.startswith(f"{table}_on_crm_lead_") for name in triggers), table)

    # ------------------------------------------------------------------ search filters and groupings
    # The date each report's period presets filter on, and the lead's own dates it comes from.
    REPORT_DATES = {
        "crm.lead.unattended.report": "date_deadline",
        "crm.lead.quality.report": "date_received",
        "crm.lead.scoring.report": "date",
        "crm.reseller.report": "date_assigned",
        "crm.lead.attribution.report": "create_date",
        "crm.lead.distribution.report": "date_assigned",
    }
    PRESET_DAYS = {"last_7_days": 7, "last_30_days": 30, "last_365_days": 365}

    def _search_filters(self, model):
        """{name: filter element} of the report's search view."""
        arch = self.env[model].get_views([(False, "search")])["views"]["search"]["arch"]
        return {node.get("name"): node for node in etree.fromstring(arch).iter("filter")}

    def _filter_domain(self, node, user):
        return safe_eval(node.get("domain"), {"uid": user.id, "context_today": date.today,
                                              "relativedelta": relativedelta})

    def test_search_filters_and_groupings(self):
        """Each report's period presets keep the lines of the period by the report's own date, *My Leads*
        and *My Team* the lines of the salesperson's leads and teams (as crm.lead tells them), and each
        grouping of the search view splits the lines without losing or doubling one."""
        self._resellers()
        self.leads[:5].write({"reseller_assigned_date": fields.Datetime.now()})
        # Age some leads and activities so that each preset keeps some lines and drops others.
        aged = self.leads[:3] | self.leads[5]
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = now() - interval '40 days', date_open = now() - interval '40 days',"
            " date_closed = now() - interval '40 days', write_date = now() - interval '40 days',"
            " reseller_assigned_date = CASE WHEN reseller_id IS NULL THEN NULL ELSE now() - interval '40 days' END"
            " WHERE id = ANY(%s)", [aged.ids],
        )
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = now() - interval '400 days', date_open = now() - interval '400 days'"
            " WHERE id = %s", [self.leads[3].id],
        )
        self.env.cr.execute("UPDATE mail_activity SET date_deadline = date_deadline - 20 WHERE id = ANY(%s)",
                            [self.activities.filtered(lambda a: a.res_id in aged.ids).ids])
        self.env.invalidate_all()
        today = fields.Date.context_today(self.env["crm.lead"])
        Lead = self.env["crm.lead"].with_context(active_test=False)
        salesman_leads = Lead.search([("id", "in", self.leads.ids), ("user_id", "=", self.salesman.id)])
        salesman_teams = Lead.search([("id", "in", self.leads.ids),
                                      ("team_id", "in", self.team.ids)]).filtered(
            lambda lead: self.salesman in lead.team_id.crm_team_member_ids.user_id)
        for model, date_field in self.REPORT_DATES.items():
            filters = self._search_filters(model)
            report = self.env[model]
            ours = [("lead_id", "in", self.leads.ids)]
            lines = report.search(ours)
            self.assertTrue(lines, model)
            narrowed = []
            for name, days in self.PRESET_DAYS.items():
                since = today - timedelta(days=days)
                found = report.search(ours + self._filter_domain(filters[name], self.env.user))
                expected = lines.filtered(
                    lambda r, f=date_field, since=since: r[f] and fields.Date.to_date(r[f]) >= since)
                self.assertEqual(found, expected, f"{model} {name}")
                if found and lines - found:
                    narrowed.append(name)
            self.assertTrue(narrowed, f"{model}: a preset keeps some lines and drops others")
            mine = report.with_user(self.salesman)
            for name, leads in (("my", salesman_leads), ("my_team", salesman_teams)):
                found = mine.search(ours + self._filter_domain(filters[name], self.salesman))
                self.assertTrue(found, f"{model} {name}")
                self.assertEqual(found.lead_id, leads & found.sudo().lead_id, f"{model} {name}")
                self.assertEqual(found, mine.search(ours).filtered(lambda r, leads=leads: r.sudo().lead_id in leads),
                                 f"{model} {name}")
            groupings = [node for name, node in filters.items() if name.startswith("groupby_")]
            self.assertTrue(groupings, model)
            for node in groupings:
                groupby = safe_eval(node.get("context"))["group_by"]
                groups = report.read_group(ours, ["__count"], [groupby], lazy=False)
                # both series of the calibration graph hold every line (the scoring report says so)
                copies = len(groups) if groupby == "series" else 1
                self.assertEqual(sum(g["__count"] for g in groups), copies * len(lines), f"{model} by {groupby}")
                for group in groups:
                    self.assertEqual(report.search_count(group["__domain"]), group["__count"],
                                     f"{model} by {groupby}: {group[groupby]}")

    def test_dimension_conditions_resolved(self):
        """Conditions on a dimension (team, salesperson, tags...) are read as ids, and select the lines
        Odoo's own subqueries select, negative ones included."""
        self.leads[:3].write({"tag_ids": [(0, 0, {"name": "LT size 20-50"})]})
        self.leads[3].write({"tag_ids": [(0, 0, {"name": "LT other"})]})
        self.salesman_all.sudo().active = False
        domains = [
            [("team_id.name", "ilike", self.team.name[:5])],
            [("team_id.name", "not ilike", self.team.name[:5])],
            [("user_id.active", "=", True)],
            [("tag_ids", "ilike", "20")],
            [("tag_ids", "not ilike", "20")],
            [("tag_ids.name", "=", "LT other")],
            ["|", ("user_id.login", "=", self.salesman.login), "!", ("tag_ids", "ilike", "other")],
        ]
        report = self.env["crm.lead.distribution.report"]
        ours = [("lead_id", "in", self.leads.ids)]
        for domain in domains:
            resolved = report._lt_resolve_dimensions(domain)
            self.assertNotIn(".", " ".join(str(leaf[0]) for leaf in resolved if isinstance(leaf, tuple)), domain)
            odoo = models.BaseModel._search(report, ours + domain)
            found = report.search(ours + domain)
            self.assertEqual(found, report.browse(odoo), domain)
        self.assertEqual(len(report.search(ours + [("tag_ids", "ilike", "20")])), 3)
        self.assertTrue(report.search(ours + [("user_id.active", "=", True)]))
        self.assertFalse(report.search(ours + [("user_id.active", "=", True), ("user_id", "=", self.salesman_all.id)]))

    # ------------------------------------------------------------------ export, demo, indexes
    def test_export_demo_indexes(self):
        for model in self.REPORTS:
            report = self.env[model]
            rows = report.search([], limit=20)
            data = rows.export_data(["lead_id/name", "user_id/name", "company_id/name"])["datas"]
            self.assertEqual(len(data), len(rows))
            self.assertTrue(report.with_user(self.manager).search_count([]), f"demo data shows in {model}")
        self.env.cr.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'lt_report_%%'")
        self.assertEqual({row[0] for row in self.env.cr.fetchall()}, set(LT_REPORT_INDEXES))


@tagged("post_install", "-at_install")
class TestReportsTour(HttpCase):
    def test_reports_tour(self):
        """Each report opens from CRM > Reporting, switches views, and a pivot cell opens its crm leads;
        on Unattended, the list's count, the pivot's total and the leads it opens match this test's leads."""
        seller = new_test_user(self.env, login="lt_tour_seller", name="LT Tour Seller",
                               groups="sales_team.group_sale_salesman")
        today = fields.Date.context_today(self.env["crm.lead"])
        leads = self.env["crm.lead"].create([
            {"name": f"LT tour lead {amount}", "type": "opportunity", "user_id": seller.id, "expected_revenue": amount}
            for amount in (1000, 2000, 4000)
        ])
        for lead in leads:
            lead.activity_schedule("mail.mail_activity_data_call", date_deadline=today, user_id=seller.id)
        # a lead of the seller that is not unattended (its activity is months away) stays out
        later = self.env["crm.lead"].create({"name": "LT tour later", "user_id": seller.id, "expected_revenue": 500})
        later.activity_schedule("mail.mail_activity_data_call", date_deadline=today + timedelta(days=90),
                                user_id=seller.id)
        self.start_tour("/web", "lead_tracking_reports_tour", login="admin", timeout=300)

    def test_pivot_xlsx_export(self):
        """The pivot's xlsx export (Odoo's /web/pivot/export_xlsx, fed as the pivot feeds it) works on
        every report, on its default pivot's rows and measures."""
        self.authenticate("admin", "admin")
        for model in TestReports.REPORTS:
            report = self.env[model]
            arch = etree.fromstring(report.get_view(view_type="pivot")["arch"])
            rows = [node.get("name") for node in arch.iter("field") if node.get("type") == "row"][:1]
            measures = [node.get("name") for node in arch.iter("field") if node.get("type") == "measure"]
            aggregates = [f"{name}:{report._fields[name].group_operator or 'sum'}" for name in measures]
            groups = report.read_group([], aggregates, rows, lazy=False)
            payload = {
                "title": report._description,
                "model": model,
                "measure_count": len(measures),
                "origin_count": 1,
                "col_group_headers": [[{"title": "Total", "width": len(measures), "height": 1}]],
                "measure_headers": [{"title": report._fields[m].string, "is_bold": False} for m in measures],
                "origin_headers": [],
                "rows": [
                    {"title": str(group[rows[0]] and (group[rows[0]][1] if isinstance(group[rows[0]], tuple)
                                                      else group[rows[0]])),
                     "indent": 1,
                     "values": [{"value": group[m] or 0, "is_bold": False} for m in measures]}
                    for group in groups
                ],
            }
            response = self.url_open("/web/pivot/export_xlsx", data={
                "data": json.dumps(payload), "csrf_token": http.Request.csrf_token(self),
            })
            self.assertEqual(response.status_code, 200, model)
            self.assertIn("spreadsheetml", response.headers["Content-Type"])
            with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
                self.assertIn("xl/worksheets/sheet1.xml", workbook.namelist())
