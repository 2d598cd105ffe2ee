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


def primary_key_lookup(plan):
    """Whether the node reads its rows through the primary key: an index scan on it, or a bitmap heap
    scan whose bitmap is the primary key's (alone or ANDed with others), which PostgreSQL picks
    instead of the index scan depending on the table's statistics."""
    node = plan["Node Type"]
    if node in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        return (plan.get("Index Name") or "").endswith("_pkey")
    children = plan.get("Plans", [])
    if node == "BitmapAnd":
        return any(primary_key_lookup(child) for child in children)
    if node in ("Bitmap Heap Scan", "BitmapOr"):
        return bool(children) and all(primary_key_lookup(child) for child in children)
    return False


def per_row_scans(plan, in_subplan=False):
    """Nodes scanning a watched table inside a subplan that runs per row: [(subplan, node type)]."""
    found = []
    relationship = plan.get("Parent Relationship")
    name = plan.get("Subplan Name", "")
    if relationship == "SubPlan" and not name.startswith("hashed"):
        in_subplan = name or "SubPlan"
    if in_subplan and plan.get("Relation Name") in WATCHED and not primary_key_lookup(plan):
        found.append((in_subplan, plan["Node Type"], plan["Relation Name"], plan.get("Index Name") or ""))
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

    def test_detector_allows_primary_key_bitmaps(self):
        """A per-row lookup stays a lookup when PostgreSQL reads the primary key as a bitmap."""
        def subplan(scan):
            return {"Node Type": "Seq Scan", "Relation Name": "crm_lead", "Plans": [
                {"Parent Relationship": "SubPlan", "Subplan Name": "SubPlan 2", **scan}]}

        def bitmap(*indexes, node="BitmapAnd"):
            leaves = [{"Node Type": "Bitmap Index Scan", "Index Name": name} for name in indexes]
            return {"Node Type": "Bitmap Heap Scan", "Relation Name": "crm_lead",
                    "Plans": leaves if len(leaves) == 1 else [{"Node Type": node, "Plans": leaves}]}

        self.assertFalse(per_row_scans(subplan(bitmap("crm_lead_pkey"))))
        self.assertFalse(per_row_scans(subplan(bitmap("crm_lead_pkey", "crm_lead_phone_index"))))
        self.assertTrue(per_row_scans(subplan(bitmap("crm_lead_user_id_index"))))
        self.assertTrue(per_row_scans(subplan(bitmap("crm_lead_pkey", "crm_lead_user_id_index", node="BitmapOr"))))
        self.assertTrue(per_row_scans(subplan({"Node Type": "Index Scan", "Relation Name": "crm_lead",
                                               "Index Name": "crm_lead_user_id_index"})))
        self.assertFalse(per_row_scans(subplan({"Node Type": "Index Scan", "Relation Name": "crm_lead",
                                                "Index Name": "crm_lead_pkey"})))

    def test_detector_sees_a_per_row_subplan(self):
        """The check itself: the old quality flag (``l.id IN (subquery)``) is refused at 64kB."""
        query = (
            "SELECT l.id, l.id IN (SELECT q.id FROM crm_lead q WHERE q.phone IS NOT NULL) FROM crm_lead l"
        )
        with self.assertRaises(AssertionError):
            self.assertLinearPlan(query, "old quality flag")
