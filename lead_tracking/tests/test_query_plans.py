"""No statement whose plan stays linear only while a hash fits in memory.

Each set-based statement of the addon is EXPLAINed with the least memory PostgreSQL allows
(``work_mem = 64kB``): a subquery that would have been hashed is then planned as a subplan run once
per row, and a subplan that scans crm_lead or mail_activity per row is what turns a refresh over a
million leads into days (an ``l.id IN (subquery)`` quality flag did). A hashed subplan (run once)
and a per-row primary-key lookup are fine.
"""

import json
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..models.crm_team import LtAssignRun
from .common import LeadTrackingCase

WATCHED = {"crm_lead", "mail_activity"}
PER_ROW_SCANS = {"Seq Scan", "Bitmap Heap Scan", "Materialize", "Sort", "Hash", "CTE Scan", "Subquery Scan"}


def per_row_scans(plan, in_subplan=False):
    """Nodes scanning a watched table inside a subplan that runs per row: [(subplan, node type)]."""
    found = []
    relationship = plan.get("Parent Relationship")
    name = plan.get("Subplan Name", "")
    if relationship == "SubPlan" and not name.startswith("hashed"):
        in_subplan = name or "SubPlan"
    if in_subplan and plan.get("Relation Name") in WATCHED:
        index = plan.get("Index Name") or ""
        primary_key = plan["Node Type"] in ("Index Scan", "Index Only Scan") and index.endswith("_pkey")
        if not primary_key:
            found.append((in_subplan, plan["Node Type"], plan["Relation Name"], index))
    for child in plan.get("Plans", []):
        found.extend(per_row_scans(child, in_subplan))
    return found


@tagged("post_install", "-at_install")
class TestQueryPlans(LeadTrackingCase):
    def assertLinearPlan(self, query, label):
        cr = self.env.cr
        cr.execute("SET LOCAL work_mem = '64kB'")
        try:
            cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", SQL(cr.mogrify(query).decode())))
            plan = cr.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
        finally:
            cr.execute("RESET work_mem")
        self.assertFalse(per_row_scans(plan[0]["Plan"]), f"{label}: a subplan scans per row")

    def test_refresh_and_lifecycle(self):
        Lead = self.env["crm.lead"]
        self.company.lt_quality_domain = "['|', ('phone', '!=', False), ('source_id.name', 'ilike', 'chat')]"
        self.assertLinearPlan(Lead.browse()._lt_refresh_query(), "refresh of every lead")
        leads = Lead.search([], limit=50)
        self.assertLinearPlan(leads._lt_refresh_query(lifecycle=True), "refresh of some leads")
        ctes, update = self.env["res.partner"]._lt_lifecycle_sql(all_partners=True)
        self.assertLinearPlan(f"WITH {self.env.cr.mogrify(ctes).decode()} {self.env.cr.mogrify(update).decode()}",
                              "lifecycle of every customer")

    def test_summary_recounts_and_report_views(self):
        for summary in self.env["lt.lead.report.mixin"]._lt_report_summaries():
            self.assertLinearPlan(summary.insert([(1, {})]), f"recount of {summary.table}")
        for name, model in self.env.registry.items():
            if name != "lt.lead.report.mixin" and "lt.lead.report.mixin" in model._inherit_module:
                self.assertLinearPlan(f"SELECT COUNT(*) FROM {model._table}", f"view {model._table}")

    def test_report_favourites(self):
        """Each shipped favourite's filter on its report (the part a per-row subplan would hide in)."""
        for favourite in self.env["ir.filters"].search([("model_id", "like", "crm.%report"), ("user_id", "=", False)]):
            domain = safe_eval(favourite.domain, {"context_today": date.today, "relativedelta": relativedelta,
                                                  "uid": self.env.uid})
            query = self.env[favourite.model_id]._search(domain)
            self.assertLinearPlan(query.select(), f"favourite {favourite.name}")

    def test_assignment_gather(self):
        teams = self.env["crm.team"].search([])
        run = LtAssignRun(work_days=1, now=self.env.cr.now())
        self.assertLinearPlan(teams._lt_assign_candidates_query(run), "assignment candidates")
        emails = self.env["crm.lead"].search([("email_normalized", "!=", False)], limit=500).mapped("email_normalized")
        self.assertLinearPlan(teams._lt_assign_duplicates_query(emails), "duplicate groups")
        users = teams.crm_team_member_ids.user_id
        self.assertLinearPlan(
            self.env["crm.team.member"]._lt_assign_month_counts_query(teams.ids, users.ids, run.now),
            "30-day counts",
        )
        self.assertLinearPlan(self.env["crm.lead"]._lt_unattended_sql(), "unattended leads")

    def test_detector_sees_a_per_row_subplan(self):
        """The check itself: the old quality flag (``l.id IN (subquery)``) is refused at 64kB."""
        query = (
            "SELECT l.id, l.id IN (SELECT q.id FROM crm_lead q WHERE q.phone IS NOT NULL) FROM crm_lead l"
        )
        with self.assertRaises(AssertionError):
            self.assertLinearPlan(query, "old quality flag")
