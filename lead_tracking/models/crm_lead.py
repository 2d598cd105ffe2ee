import logging
import math
from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .res_company import LT_DEFAULT_QUALITY_DOMAIN

_logger = logging.getLogger(__name__)

LT_SCORE_TIERS = [("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")]
# Points between crm's stored probability and today's beyond which the explanation says so.
LT_STALE_POINTS = 0.5
# Fields whose change can move a customer between lifecycle stages.
LT_LIFECYCLE_TRIGGERS = {"partner_id", "stage_id", "active", "type", "probability"}
# Stored fields a quality definition never needs: bookkeeping that changes on every write, and the
# columns lead_tracking derives itself (a definition built on them would depend on itself).
LT_QUALITY_IGNORED = {
    "write_date", "write_uid", "create_uid", "score_tier", "is_quality_lead", "closing_score",
    "assignment_reason", "reseller_assign_note", "reseller_assigned_date", "reseller_reminder_sent",
}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Both are computed by the ORM on create and write, for the whole batch in memory (no query of
    # their own); bulk paths that bypass the ORM refresh them in SQL (_lt_refresh_leads). Neither is
    # indexed: two or three values select too much for an index to help, and each index on them
    # would be one more write per changed lead.
    score_tier = fields.Selection(
        LT_SCORE_TIERS,
        compute="_compute_score_tier",
        store=True,
        readonly=True,
        copy=False,
        help="Cold, warm or hot, from the probability and the thresholds set in CRM Settings.",
        groups="base.group_user",
    )
    is_quality_lead = fields.Boolean(
        string="Quality Lead",
        compute="_compute_is_quality_lead",
        store=True,
        readonly=True,
        copy=False,
        help="The lead matches its company's definition of a quality lead (CRM Settings).",
        groups="base.group_user",
    )
    # The report lines of each lead: a report's click-through opens the leads having lines that match
    # the clicked group ([(field, "any", domain)]), under the report's own record rules.
    lt_unattended_report_ids = fields.One2many(
        "crm.lead.unattended.report", "lead_id", string="Unattended Leads Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lt_quality_report_ids = fields.One2many(
        "crm.lead.quality.report", "lead_id", string="Quality Leads Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lt_scoring_report_ids = fields.One2many(
        "crm.lead.scoring.report", "lead_id", string="Lead Scoring Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lt_reseller_report_ids = fields.One2many(
        "crm.reseller.report", "lead_id", string="Partnership Analysis Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lt_attribution_report_ids = fields.One2many(
        "crm.lead.attribution.report", "lead_id", string="Marketing Attribution Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lt_distribution_report_ids = fields.One2many(
        "crm.lead.distribution.report", "lead_id", string="Lead Distribution Lines", readonly=True,
        groups="sales_team.group_sale_salesman",
    )
    lifecycle_stage = fields.Selection(
        related="partner_id.lifecycle_stage",
        string="Customer Lifecycle",
        help="Lifecycle stage of the customer's company (lead, prospect, customer, repeat customer).",
        groups="base.group_user",
    )
    closing_score = fields.Float(
        readonly=True,
        copy=False,
        group_operator="avg",
        help="Automated probability (%) the lead had just before it was won or lost. For leads already "
        "closed when Lead Tracking was installed, it is the naive Bayes probability recomputed from "
        "the lead's team and scoring variables, without its final stage.",
        groups="base.group_user",
    )
    is_unattended = fields.Boolean(
        string="Unattended",
        compute="_compute_lt_unattended",
        search="_search_is_unattended",
        help="Active lead with a salesperson and an activity due on or before today plus the horizon "
        "set in CRM Settings.",
        groups="base.group_user",
    )
    days_overdue = fields.Integer(
        compute="_compute_lt_unattended",
        search="_search_days_overdue",
        help="Days since the deadline of the lead's oldest due activity.",
        groups="base.group_user",
    )
    lt_score_stale = fields.Boolean(
        string="Probability Out of Date",
        compute="_compute_lt_score_explanation_html",
        groups="base.group_user",
        help="crm's stored automated probability differs from what today's won and lost leads give.",
    )
    lt_score_explanation_html = fields.Html(
        string="Why This Score",
        compute="_compute_lt_score_explanation_html",
        sanitize=False,
        groups="base.group_user",
    )

    # -- tiers and quality, computed by the ORM --
    @api.depends("probability", "company_id")
    def _compute_score_tier(self):
        for lead in self:
            company = lead.company_id or self.env.company
            probability = lead.probability or 0.0
            if probability >= company.lt_score_hot_threshold:
                lead.score_tier = "hot"
            elif probability >= company.lt_score_warm_threshold:
                lead.score_tier = "warm"
            else:
                lead.score_tier = "cold"

    def _lt_quality_depends(self):
        # A company's definition may use any field of the lead; the written ones are re-evaluated in memory.
        return [
            name for name, field in self._fields.items()
            if field.store and field.type != "one2many" and name not in LT_QUALITY_IGNORED
            and not name.startswith(("message_", "activity_"))
        ]

    @api.depends(lambda self: self._lt_quality_depends())
    def _compute_is_quality_lead(self):
        by_company = defaultdict(list)
        for lead in self:
            by_company[lead.company_id or self.env.company].append(lead.id)
        for company, ids in by_company.items():
            leads = self.browse(ids)
            domain = company.sudo()._lt_quality_domain_list()
            try:
                matching = leads.filtered_domain(domain)
            except (KeyError, ValueError, TypeError):
                # a definition that no longer fits the model (a field went away with its module)
                _logger.warning("Quality lead definition of %s cannot be evaluated; using the default", company.name)
                matching = leads.filtered_domain(safe_eval(LT_DEFAULT_QUALITY_DOMAIN))
            matching.is_quality_lead = True
            (leads - matching).is_quality_lead = False

    # -- create / write hooks --
    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["res.partner"]._lt_lifecycle_schedule(leads.partner_id.ids)
        return leads

    def write(self, vals):
        lifecycle = bool(LT_LIFECYCLE_TRIGGERS & set(vals))
        old_partner_ids = self.partner_id.ids if lifecycle else []
        self._lt_capture_closing_score(vals)
        res = super().write(vals)
        if lifecycle:
            self.env["res.partner"]._lt_lifecycle_schedule(old_partner_ids + self.partner_id.ids)
        return res

    def unlink(self):
        # Merged tails and deleted leads no longer count in their customer's lifecycle.
        self.env["res.partner"]._lt_lifecycle_schedule(self.partner_id.ids)
        return super().unlink()

    def _lt_capture_closing_score(self, vals):
        """Keep the automated probability of leads about to be won or lost, and forget it on reopening."""
        closing = self.browse()
        if vals.get("stage_id"):
            stage = self.env["crm.stage"].browse(vals["stage_id"])
            if stage.is_won:
                closing |= self.filtered(lambda lead: not lead.stage_id.is_won)
        if "active" in vals and not vals["active"]:
            closing |= self.filtered("active")
        if closing:
            if len(closing) == 1 and closing == self:
                vals["closing_score"] = closing.automated_probability
            else:
                closing.flush_recordset(["automated_probability"])
                self.env.cr.execute(
                    "UPDATE crm_lead SET closing_score = automated_probability WHERE id = ANY(%s)",
                    [closing.ids],
                )
                closing.invalidate_recordset(["closing_score"])
        elif vals.get("active") and len(self) == 1 and not self.active:
            vals["closing_score"] = False

    def _update_automated_probabilities(self):
        res = super()._update_automated_probabilities()
        # crm updates probabilities with raw SQL: refresh the tiers of every lead.
        self.browse().with_context(lt_refresh_all=True)._lt_refresh_leads(lifecycle=False, quality=False)
        return res

    # -- crm's naive Bayes, one lookup fewer per team --
    def _pls_get_naive_bayes_probabilities(self, batch_mode=False):
        # crm looks the first stage up again for every team of the frequency table, on every
        # probability computation; look it up once per computation instead.
        first_stage = self.env["crm.stage"].search([("team_id", "=", False)], order="sequence, id", limit=1)
        leads = self.with_context(lt_pls_first_stage=first_stage.id or 0)
        return super(CrmLead, leads)._pls_get_naive_bayes_probabilities(batch_mode=batch_mode)

    def _pls_get_won_lost_total_count(self, team_results):
        first_stage_id = self.env.context.get("lt_pls_first_stage")
        if first_stage_id is None:
            return super()._pls_get_won_lost_total_count(team_results)
        counts = team_results.get("stage_id", {}).get(str(first_stage_id or False))
        if not counts:
            return 0, 0, 0
        return counts["won"], counts["lost"], counts["won"] + counts["lost"]

    # -- set-based refresh (bulk paths that bypass the ORM) --
    def _lt_quality_sql(self, company_ids=None):
        """SQL boolean expression over alias ``l``: whether the lead matches its company's definition.

        Each definition is evaluated on the lead's own row (a correlated EXISTS on the primary key),
        so the plan stays linear whatever the memory PostgreSQL may use for hashing."""
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        Company = self.env["res.company"].sudo()
        companies = Company.browse(company_ids or Company._lt_all_company_ids())
        cases = []
        for company in companies:
            query = Lead._where_calc(company._lt_quality_domain_list())
            query.add_where(SQL("%s = l.id", SQL.identifier(query.table, "id")))
            cases.append(SQL("WHEN COALESCE(l.company_id, %s) = %s THEN EXISTS(%s)",
                             self.env.company.id, company.id, query.select(SQL("1"))))
        if not cases:
            return SQL("FALSE")
        return SQL("(CASE %s ELSE FALSE END)", SQL(" ").join(cases))

    def _lt_refresh_leads(self, lifecycle=True, company_ids=None, tiers=True, quality=True):
        """Recompute score_tier and is_quality_lead of ``self`` (all leads when empty and called with
        the ``lt_refresh_all`` context key) in one UPDATE, and the lifecycle of their customers.

        For writes that bypass the ORM (assignment, crm's probability update, bulk loads, a new
        definition in Settings); ORM writes get the same values from the fields' computes."""
        if not self.ids and not self.env.context.get("lt_refresh_all"):
            return
        self.env.flush_all()
        lifecycle = lifecycle and bool(self.ids)
        self.env.cr.execute(self._lt_refresh_query(lifecycle, company_ids, tiers, quality))
        self.invalidate_model(["score_tier", "is_quality_lead"], flush=False)
        if lifecycle:
            self.env["res.partner"]._lt_invalidate_lifecycle()

    @api.model
    def _lt_tier_sql(self, probability):
        """SQL of the tier of a lead of ``probability`` (SQL) in the company aliased ``c``."""
        return SQL(
            "CASE WHEN COALESCE(%(p)s, 0) >= c.lt_score_hot_threshold THEN 'hot' "
            "WHEN COALESCE(%(p)s, 0) >= c.lt_score_warm_threshold THEN 'warm' ELSE 'cold' END",
            p=probability,
        )

    def _lt_refresh_query(self, lifecycle=False, company_ids=None, tiers=True, quality=True):
        """The UPDATE of ``_lt_refresh_leads`` (all leads when ``self`` is empty)."""
        lead_ids = self.ids
        values = {}
        if tiers:
            values["score_tier"] = self._lt_tier_sql(SQL("l.probability"))
        if quality:
            values["is_quality_lead"] = self._lt_quality_sql(company_ids)
        where = [SQL("c.id = COALESCE(l.company_id, %s)", self.env.company.id)]
        if lead_ids:
            where.append(SQL("l.id = ANY(%s)", lead_ids))
        if company_ids:
            where.append(SQL("c.id = ANY(%s)", list(company_ids)))
        ident = SQL.identifier
        # New values are computed once per lead (OFFSET 0 keeps PostgreSQL from inlining them into both
        # the SET and the comparison), and only leads whose values change are written: a written row
        # costs a new entry in each of crm_lead's ~30 indexes.
        fresh = SQL(
            "SELECT l.id, %s FROM crm_lead l JOIN res_company c ON %s OFFSET 0",
            SQL(", ").join(SQL("%s AS %s, l.%s AS %s", value, ident(name), ident(name), ident(f"old_{name}"))
                           for name, value in values.items()),
            SQL(" AND ").join(where),
        )
        stale = SQL(" OR ").join(SQL("n.%s IS DISTINCT FROM n.%s", ident(name), ident(f"old_{name}"))
                                 for name in values)
        sets = SQL(", ").join(SQL("%s = n.%s", ident(name), ident(name)) for name in values)
        update = SQL("UPDATE crm_lead l SET %s FROM (%s) n WHERE n.id = l.id AND (%s)", sets, fresh, stale)
        lifecycle_sql = self.env["res.partner"]._lt_lifecycle_sql(lead_ids=lead_ids) if lifecycle else None
        if lifecycle_sql:
            # One round trip for both: the partner update reads stage/partner/type, which the lead
            # update does not change.
            ctes, partner_update = lifecycle_sql
            update = SQL("WITH %s, lt_partner_update AS (%s RETURNING 1) %s", ctes, partner_update, update)
        return update

    @api.model
    def _lt_refresh_all(self, lead_ids=None):
        """Set-based refresh of score_tier, is_quality_lead and the customers' lifecycle_stage for all
        leads (or the given ids), and backfill closing_score of closed leads that have none; for all
        leads, the reports' summaries are recounted too.

        Used after bulk loads (data generator) and by the daily scheduled action."""
        if lead_ids:
            self.browse(lead_ids)._lt_refresh_leads()
            self._lt_backfill_closing_score(lead_ids)
            return True
        # Rewriting every lead through the summary triggers would cost more than recounting them after.
        with self.env["lt.lead.report.mixin"]._lt_report_summaries_recounted():
            self.browse().with_context(lt_refresh_all=True)._lt_refresh_leads(lifecycle=False)
            self.env["res.partner"]._lt_refresh_lifecycle(all_partners=True)
            self._lt_backfill_closing_score()
            self._lt_backfill_reseller_answers()
        return True

    @api.model
    def _cron_lt_refresh(self):
        """Daily: catch changes made elsewhere (archived salesperson, edited partner, date domains)."""
        self._lt_refresh_all()

    @api.model
    def _lt_backfill_closing_score(self, lead_ids=None):
        """Fill closing_score of closed leads without one with the stage-less naive Bayes probability."""
        self.env.flush_all()
        query = (
            "SELECT l.id FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id "
            "WHERE l.closing_score IS NULL AND (s.is_won OR (NOT l.active AND COALESCE(l.probability, 0) = 0))"
        )
        params = []
        if lead_ids:
            query += " AND l.id = ANY(%s)"
            params.append(list(lead_ids))
        self.env.cr.execute(query, params)
        ids = [row[0] for row in self.env.cr.fetchall()]
        for start in range(0, len(ids), 5000):
            batch = self.browse(ids[start:start + 5000])
            scores = batch._lt_score_factors(skip_stage=True)
            values = [(lead_id, data["probability"]) for lead_id, data in scores.items()
                      if data["probability"] is not None]
            if values:
                self.env.cr.execute(
                    "UPDATE crm_lead l SET closing_score = v.score FROM "
                    "(SELECT unnest(%s::int[]) AS id, unnest(%s::float[]) AS score) v WHERE v.id = l.id",
                    [[v[0] for v in values], [v[1] for v in values]],
                )
        self.invalidate_model(["closing_score"])

    # -- unattended --
    def _lt_unattended_sql(self):
        """SQL of (lead id, oldest due deadline) for unattended leads: due within the horizon of the
        lead's own company (the current company's for a lead without one)."""
        horizon = self.env.company.lt_unattended_horizon_days or 0
        return SQL(
            "SELECT l.id, MIN(a.date_deadline) FROM crm_lead l JOIN mail_activity a "
            "ON a.res_model = 'crm.lead' AND a.res_id = l.id "
            "LEFT JOIN res_company c ON c.id = l.company_id "
            "WHERE l.active AND l.user_id IS NOT NULL "
            "AND a.date_deadline <= %s::date + COALESCE(c.lt_unattended_horizon_days, %s) "
            "GROUP BY l.id",
            fields.Date.context_today(self), horizon,
        )

    @api.depends("activity_ids.date_deadline", "user_id", "active")
    @api.depends_context("company")
    def _compute_lt_unattended(self):
        due = {}
        if self.ids:
            self.env.flush_all()
            self.env.cr.execute(SQL("SELECT * FROM (%s) u WHERE u.id = ANY(%s)", self._lt_unattended_sql(),
                                    self.ids))
            due = dict(self.env.cr.fetchall())
        today = fields.Date.context_today(self)
        for lead in self:
            deadline = due.get(lead.id)
            lead.is_unattended = bool(deadline)
            lead.days_overdue = max((today - deadline).days, 0) if deadline else 0

    def _search_is_unattended(self, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(_("Operation not supported"))
        positive = (operator == "=") == bool(value)
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT id FROM (%s) u", self._lt_unattended_sql()))
        ids = [row[0] for row in self.env.cr.fetchall()]
        return [("id", "in" if positive else "not in", ids)]

    def _search_days_overdue(self, operator, value):
        ops = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        if operator not in ops:
            raise NotImplementedError(_("Operation not supported"))
        self.env.flush_all()
        today = fields.Date.context_today(self)
        self.env.cr.execute(SQL(
            "SELECT l.id FROM crm_lead l LEFT JOIN (%s) u ON u.id = l.id "
            "WHERE GREATEST(COALESCE(%s::date - u.min, 0), 0) " + ops[operator] + " %s",
            self._lt_unattended_sql(), today, int(value or 0),
        ))
        return [("id", "in", [row[0] for row in self.env.cr.fetchall()])]

    # -- explanation --
    def _lt_score_factors(self, skip_stage=False):
        """Naive Bayes factors of crm's scoring for ``self``, with the same data and rules as crm.

        Returns {lead id: {"probability": float or None, "factors": [dict]}} where each factor has
        variable, field, value (record id or raw), won, lost and effect (log-odds contribution).
        The prior (team) plus the sum of effects gives the log-odds of the probability."""
        result = {}
        if not self.ids:
            return result
        Lead = self.env["crm.lead"].sudo()
        values_by_lead = Lead._pls_get_lead_pls_values(domain=[("id", "in", self.ids)])
        fields_used = sorted({f for data in values_by_lead.values() for f, _v in data["values"]} - {"probability"})
        tables = self._lt_score_tables(fields_used)
        won_stage_ids = set(self.env["crm.stage"].search([("is_won", "=", True)]).ids)
        first_stage = self.env["crm.stage"].search([("team_id", "=", False)], order="sequence, id", limit=1)

        for lead_id, data in values_by_lead.items():
            lead_fields = [f for f, _v in data["values"]]
            if not skip_stage:
                if "stage_id" not in lead_fields:
                    result[lead_id] = {"probability": 0.0, "factors": [], "reason": "no_stage"}
                    continue
                if any(f == "stage_id" and v in won_stage_ids for f, v in data["values"]):
                    result[lead_id] = {"probability": 100.0, "factors": [], "reason": "won"}
                    continue
            team_key = data["team_id"] if data["team_id"] in tables else -1
            table = tables[team_key]
            team_counts = table["stage_id"]["values"].get(str(first_stage.id)) if "stage_id" in table else None
            team_won, team_lost = team_counts or (0, 0)
            if not team_won or not team_lost:
                result[lead_id] = {"probability": None, "factors": [], "reason": "no_history"}
                continue
            factors = [{"field": "team_id", "value": data["team_id"], "won": team_won, "lost": team_lost,
                        "effect": math.log(team_won / team_lost)}]
            for field, value in data["values"]:
                if field == "probability" or (skip_stage and field == "stage_id"):
                    continue
                entry = table.get(field)
                counts = entry["values"].get(str(value)) if entry else None
                if not counts:
                    continue
                total_won = team_won if field == "stage_id" else entry["won_total"]
                total_lost = team_lost if field == "stage_id" else entry["lost_total"]
                if not total_won or not total_lost:
                    continue
                won, lost = counts
                if not won or not lost:
                    # crm multiplies by zero here: the probability is pinned to 0.01 or 99.99.
                    effect = math.inf if not lost else -math.inf
                else:
                    effect = math.log((won / total_won) / (lost / total_lost))
                factors.append({"field": field, "value": value, "won": won, "lost": lost, "effect": effect})
            logit = sum(f["effect"] for f in factors)
            if math.isnan(logit):
                probability = None
            elif logit == math.inf:
                probability = 99.99
            elif logit == -math.inf:
                probability = 0.01
            else:
                probability = min(max(round(100 / (1 + math.exp(-logit)), 2), 0.01), 99.99)
            result[lead_id] = {"probability": probability, "factors": factors, "reason": "computed"}
        return result

    @api.model
    def _lt_score_tables(self, fields_used):
        """crm's frequency table as naive Bayes reads it: {team id (-1: all teams): {variable:
        {"won_total", "lost_total", "values": {value: [won, lost]}}}}; tags with fewer than 50 closed
        leads are left out, as crm leaves them out."""
        frequencies = self.env["crm.lead.scoring.frequency"].sudo().search_read(
            [("variable", "in", fields_used)], ["variable", "value", "won_count", "lost_count", "team_id"])

        def blank():
            return defaultdict(lambda: {"won_total": 0, "lost_total": 0, "values": {}})

        tables = defaultdict(blank)
        for freq in frequencies:
            field, value = freq["variable"], freq["value"]
            if field == "tag_id" and freq["won_count"] + freq["lost_count"] < 50:
                continue
            team_keys = [-1] + ([freq["team_id"][0]] if freq["team_id"] else [])
            for key in team_keys:
                entry = tables[key][field]
                counts = entry["values"].setdefault(value, [0, 0])
                counts[0] += freq["won_count"]
                counts[1] += freq["lost_count"]
                entry["won_total"] += freq["won_count"]
                entry["lost_total"] += freq["lost_count"]
        return tables

    def get_score_explanation(self):
        """Explain the automated probability of each lead of ``self``.

        :return: {lead id: [{"variable", "value", "won", "lost", "effect", "label"}, ...]}, strongest
            effect first. ``effect`` is the variable's contribution to the log-odds of winning
            (positive raises the chance); the sum of all effects is the log-odds of
            ``automated_probability``, i.e. ``100 / (1 + exp(-sum))``. ``label`` says it in words.
            A lead whose probability was typed by hand gets a first entry of variable "manual".
        """
        self.check_access_rights("read")
        self.check_access_rule("read")
        factors_by_lead = self._lt_score_factors()
        names = self._lt_factor_names(factors_by_lead)
        labels = self._lt_variable_labels()
        minimum = int(self.env["ir.config_parameter"].sudo().get_param("lead_tracking.pls_min_closed", 10) or 10)
        explanation = {}
        for lead in self:
            data = factors_by_lead.get(lead.id, {"factors": [], "reason": "no_history"})
            lines = []
            if not lead.is_automated_probability:
                lines.append({
                    "variable": "manual", "value": lead.probability, "won": 0, "lost": 0, "effect": 0.0,
                    "label": _("Probability set by hand to %(probability)s%%: automatic updates are stopped "
                               "(the automated probability is %(automated)s%%).",
                               probability=round(lead.probability, 2), automated=round(lead.automated_probability, 2)),
                })
            if data["reason"] == "won":
                lines.append({"variable": "stage_id", "value": names.get(("stage_id", lead.stage_id.id), ""),
                              "won": 0, "lost": 0, "effect": math.inf, "label": _("Won stage: 100%.")})
            elif data["reason"] == "no_stage":
                lines.append({"variable": "stage_id", "value": "", "won": 0, "lost": 0, "effect": -math.inf,
                              "label": _("No stage: 0%.")})
            elif data["reason"] == "no_history":
                lines.append({"variable": "team_id", "value": lead.team_id.display_name or "", "won": 0, "lost": 0,
                              "effect": 0.0,
                              "label": _("Not enough won and lost leads yet to compute a probability.")})
            for factor in sorted(data["factors"], key=lambda f: -abs(f["effect"])):
                field = factor["field"]
                value_name = names.get((field, factor["value"]), "") or _("None")
                if factor["effect"] > 0.05:
                    word = _("raises the chance")
                elif factor["effect"] < -0.05:
                    word = _("lowers the chance")
                else:
                    word = _("hardly matters")
                variable_label = labels.get(field, field)
                # crm adds 0.1 to each count it stores (so that no count is zero): people read whole leads
                won, lost = int(factor["won"] + 1e-6), int(factor["lost"] + 1e-6)
                label = _("%(variable)s: %(value)s: %(won)s won, %(lost)s lost: %(effect)s",
                          variable=variable_label, value=value_name, won=won, lost=lost, effect=word)
                if won + lost < minimum:
                    label = _("%(factor)s (only %(count)s closed leads: not much to go on)", factor=label,
                              count=won + lost)
                lines.append({
                    "variable": field, "value": value_name, "won": won, "lost": lost,
                    "effect": factor["effect"], "label": label, "few": won + lost < minimum,
                })
            explanation[lead.id] = lines
        return explanation

    def get_score_status(self):
        """Whether the probability crm stored still is what today's data gives.

        crm recomputes stored probabilities when a lead changes and once a day for all; in between,
        won and lost leads change the frequencies. :return: {lead id: {"stored": the automated
        probability crm stored, "today": what the effects recompose to (None without history),
        "stale": they differ by more than half a point}}. Writes nothing."""
        self.check_access_rights("read")
        self.check_access_rule("read")
        factors = self._lt_score_factors()
        status = {}
        for lead in self:
            today = factors.get(lead.id, {}).get("probability")
            stored = lead.automated_probability
            status[lead.id] = {"stored": stored, "today": today,
                               "stale": today is not None and abs(stored - today) > LT_STALE_POINTS}
        return status

    def action_lt_update_probability(self):
        """Update now: recompute the automated probability with crm's own computation (the probability
        follows unless it was set by hand)."""
        self._compute_probabilities()
        self.env.flush_all()
        self._lt_refresh_leads(lifecycle=False, quality=False)
        return True

    def _lt_scoring_computed_on(self):
        """When crm last recomputed every probability (its daily scheduled action), or False."""
        cron = self.env.ref("crm.website_crm_score_cron", raise_if_not_found=False)
        return cron.sudo().lastcall if cron else False

    def _lt_variable_labels(self):
        labels = {name: field._description_string(self.env) for name, field in self._fields.items()}
        labels.update({"tag_id": _("Tag"), "team_id": _("Sales Team (overall odds)"), "stage_id": _("Stage"),
                       "phone_state": _("Phone Quality"), "email_state": _("Email Quality")})
        return labels

    def _lt_factor_names(self, factors_by_lead):
        """Display names of the factor values, one read per variable model."""
        wanted = defaultdict(set)
        for data in factors_by_lead.values():
            for factor in data["factors"]:
                wanted[factor["field"]].add(factor["value"])
        for lead in self:
            if lead.stage_id:
                wanted["stage_id"].add(lead.stage_id.id)
        names = {}
        for field, values in wanted.items():
            model_field = self._fields.get("tag_ids" if field == "tag_id" else field)
            if model_field is not None and model_field.type in ("many2one", "many2many"):
                records = self.env[model_field.comodel_name].sudo().browse(
                    [v for v in values if v and isinstance(v, int)])
                for record in records:
                    names[(field, record.id)] = record.display_name
                if 0 in values or False in values:
                    names[(field, 0)] = names[(field, False)] = _("None")
            elif model_field is not None and model_field.type == "selection":
                selection = dict(model_field._description_selection(self.env))
                missing = {"phone_state": _("no phone"), "email_state": _("no email")}.get(field, _("None"))
                for value in values:
                    names[(field, value)] = selection.get(value, str(value)).lower() if value else missing
            else:
                for value in values:
                    names[(field, value)] = str(value)
        return names

    @api.depends_context("lang")
    def _compute_lt_score_explanation_html(self):
        real = self.filtered("id")
        explanations = real.get_score_explanation() if real else {}
        status = real.get_score_status() if real else {}
        computed_on = self._lt_scoring_computed_on() if real else False
        for lead in self:
            lines = explanations.get(lead.id) or []
            lead.lt_score_stale = status.get(lead.id, {}).get("stale", False)
            if not lines:
                lead.lt_score_explanation_html = False
                continue
            intro = Markup("")
            if lead.lt_score_stale:
                when = fields.Date.to_string(fields.Datetime.context_timestamp(lead, computed_on)) \
                    if computed_on else _("its last update")
                intro = Markup("<p class='alert alert-warning mb-2'>%s</p>") % _(
                    "crm computed %(stored)s%% on %(when)s; with today's data it is %(today)s%%: the factors below "
                    "explain today's figure. Update now to store it.",
                    stored=round(status[lead.id]["stored"], 2), when=when, today=round(status[lead.id]["today"], 2),
                )
            items = Markup("").join(
                Markup("<li class='{}'>{}</li>").format(
                    "text-success" if line["effect"] > 0.05 else "text-danger" if line["effect"] < -0.05 else "",
                    line["label"])
                for line in lines
            )
            lead.lt_score_explanation_html = intro + Markup("<ul class='o_lt_score_explanation mb-0'>{}</ul>").format(
                items)
