import math
import random
from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# ---- lead intelligence: begin -------------------------------------------------------------
LT_SCORE_TIERS = [("cold", "Cold"), ("warm", "Warm"), ("hot", "Hot")]
LT_LIFECYCLE_STAGES = [
    ("lead", "Lead"),
    ("prospect", "Prospect"),
    ("customer", "Customer"),
    ("repeat_customer", "Repeat Customer"),
]
# Fields whose change can move a customer between lifecycle stages.
LT_LIFECYCLE_TRIGGERS = {"partner_id", "stage_id", "active", "type", "probability"}
# ---- lead intelligence: end ---------------------------------------------------------------


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Kept by lead intelligence (set-based refresh); read by assignment and reports.
    is_quality_lead = fields.Boolean(
        string="Quality Lead",
        readonly=True,
        copy=False,
        help="The lead matches its company's definition of a quality lead (CRM Settings).",
    )

    # ---- lead intelligence: begin ---------------------------------------------------------
    # Plain stored columns filled by set-based SQL (_lt_refresh_leads): NULL-able, so bulk
    # INSERTs that ignore them stay valid until the next refresh. Neither this one nor is_quality_lead
    # is indexed: two or three values select too much for an index to help a search, and each index
    # on a refreshed column is one more write per changed lead.
    score_tier = fields.Selection(
        LT_SCORE_TIERS,
        readonly=True,
        copy=False,
        help="Cold, warm or hot, from the probability and the thresholds set in CRM Settings.",
    )
    lifecycle_stage = fields.Selection(
        related="partner_id.lifecycle_stage",
        string="Customer Lifecycle",
        help="Lifecycle stage of the customer's company (lead, prospect, customer, repeat customer).",
    )
    closing_score = fields.Float(
        readonly=True,
        copy=False,
        group_operator="avg",
        help="Automated probability (%) the lead had just before it was won or lost. For leads already "
        "closed when Lead Tracking was installed, it is the naive Bayes probability recomputed from "
        "the lead's team and scoring variables, without its final stage.",
    )
    is_unattended = fields.Boolean(
        string="Unattended",
        compute="_compute_lt_unattended",
        search="_search_is_unattended",
        help="Active lead with a salesperson and an activity due on or before today plus the horizon "
        "set in CRM Settings.",
    )
    days_overdue = fields.Integer(
        compute="_compute_lt_unattended",
        search="_search_days_overdue",
        help="Days since the deadline of the lead's oldest due activity.",
    )
    lt_score_explanation_html = fields.Html(
        string="Why This Score",
        compute="_compute_lt_score_explanation_html",
        sanitize=False,
    )

    # -- create / write hooks --
    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        if not self.env.context.get("lt_skip_intelligence"):
            leads._lt_refresh_leads(lifecycle=any(vals.get("partner_id") for vals in vals_list))
        return leads

    def write(self, vals):
        if self.env.context.get("lt_skip_intelligence"):
            return super().write(vals)
        old_partner_ids = set()
        if "partner_id" in vals:
            old_partner_ids = {lead.partner_id.id for lead in self if lead.partner_id}
        self._lt_capture_closing_score(vals)
        res = super().write(vals)
        lifecycle = bool(LT_LIFECYCLE_TRIGGERS & set(vals))
        self._lt_refresh_leads(lifecycle=lifecycle, extra_partner_ids=old_partner_ids)
        return res

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

    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        partner_ids = set(self.partner_id.ids)
        head = super()._merge_opportunity(user_id=user_id, team_id=team_id, auto_unlink=auto_unlink,
                                          max_length=max_length)
        tails = (self - head).exists()
        if auto_unlink and tails:
            # This Odoo build does not delete merged tails (the unlink overrides of crm, mail and
            # their mixins never call down): delete them with the base ORM delete, with their
            # activities and followers, or they keep counting in the customer's lifecycle.
            for model in ("mail.activity", "mail.followers"):
                linked = self.env[model].sudo().search([("res_model", "=", self._name), ("res_id", "in", tails.ids)])
                models.BaseModel.unlink(linked)
            models.BaseModel.unlink(tails.sudo())
        self.env["res.partner"]._lt_refresh_lifecycle(partner_ids | set(head.partner_id.ids))
        return head

    def toggle_active(self):
        res = super().toggle_active()
        # crm rewrites probability after archiving/restoring: tiers must follow.
        self._lt_refresh_leads()
        return res

    def _update_automated_probabilities(self):
        res = super()._update_automated_probabilities()
        # crm updates probabilities with raw SQL: refresh the tiers of every lead.
        self.browse().with_context(lt_refresh_all=True)._lt_refresh_leads(lifecycle=False, quality=False)
        return res

    # -- set-based refresh --
    def _lt_quality_company_domains(self, company_ids=None):
        """{company id: domain} of the quality definition of each company (or the given ones)."""
        Company = self.env["res.company"].sudo()
        companies = Company.browse(company_ids) if company_ids else Company.search([("id", "!=", 0)])
        return {company.id: company._lt_quality_domain_list() for company in companies}

    def _lt_quality_sql(self, company_ids=None):
        """SQL boolean expression over alias ``l``: whether the lead matches its company's definition."""
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        default_company = self.env.company.id
        cases = []
        for company_id, domain in self._lt_quality_company_domains(company_ids).items():
            query = Lead._where_calc(domain)
            cases.append(SQL("WHEN COALESCE(l.company_id, %s) = %s THEN l.id IN %s",
                             default_company, company_id, query.subselect()))
        if not cases:
            return SQL("FALSE")
        return SQL("(CASE %s ELSE FALSE END)", SQL(" ").join(cases))

    def _lt_refresh_leads(self, lifecycle=True, extra_partner_ids=(), company_ids=None, tiers=True,
                          quality=True):
        """Recompute score_tier and is_quality_lead of ``self`` (all leads when empty and called from
        _lt_refresh_all) in one UPDATE, then the lifecycle of their customers."""
        lead_ids = self.ids
        if not lead_ids and not self.env.context.get("lt_refresh_all"):
            return
        self.env.flush_all()
        values = {}
        if tiers:
            values["score_tier"] = SQL(
                "CASE WHEN COALESCE(l.probability, 0) >= c.lt_score_hot_threshold THEN 'hot' "
                "WHEN COALESCE(l.probability, 0) >= c.lt_score_warm_threshold THEN 'warm' ELSE 'cold' END"
            )
        if quality:
            values["is_quality_lead"] = self._lt_quality_sql(company_ids)
        where = [SQL("c.id = COALESCE(l.company_id, %s)", self.env.company.id)]
        if lead_ids:
            where.append(SQL("l.id = ANY(%s)", lead_ids))
        if company_ids:
            where.append(SQL("c.id = ANY(%s)", list(company_ids)))
        ident = SQL.identifier
        # New values are computed once per lead (OFFSET 0 keeps PostgreSQL from inlining them into both
        # the SET and the comparison, which would run the quality subquery twice), and only leads whose
        # values change are written: a written row costs a new entry in each of crm_lead's ~30 indexes.
        fresh = SQL(
            "SELECT l.id, %s FROM crm_lead l JOIN res_company c ON %s OFFSET 0",
            SQL(", ").join(SQL("%s AS %s, l.%s AS %s", value, ident(name), ident(name), ident(f"old_{name}"))
                           for name, value in values.items()),
            SQL(" AND ").join(where),
        )
        stale = SQL(" OR ").join(SQL("n.%s IS DISTINCT FROM n.%s", ident(name), ident(f"old_{name}"))
                                 for name in values)
        sets = SQL(", ").join(SQL("%s = n.%s", ident(name), ident(name)) for name in values)
        Partner = self.env["res.partner"]
        lifecycle_sql = Partner._lt_lifecycle_sql(extra_partner_ids, lead_ids=lead_ids) \
            if lifecycle and lead_ids else None
        update = SQL("UPDATE crm_lead l SET %s FROM (%s) n WHERE n.id = l.id AND (%s)", sets, fresh, stale)
        if lifecycle_sql:
            # One round trip for both: the partner update reads stage/partner/type, which the lead
            # update does not change.
            ctes, partner_update = lifecycle_sql
            update = SQL("WITH %s, lt_partner_update AS (%s RETURNING 1) %s", ctes, partner_update, update)
        self.env.cr.execute(update)
        self.invalidate_model(["score_tier", "is_quality_lead"])
        if lifecycle_sql:
            Partner._lt_invalidate_lifecycle()

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
        """SQL of (lead id, oldest due deadline) for unattended leads."""
        horizon = self.env.company.lt_unattended_horizon_days or 0
        return SQL(
            "SELECT l.id, MIN(a.date_deadline) FROM crm_lead l JOIN mail_activity a "
            "ON a.res_model = 'crm.lead' AND a.res_id = l.id "
            "WHERE l.active AND l.user_id IS NOT NULL AND a.date_deadline <= %s::date + %s "
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
        frequencies = self.env["crm.lead.scoring.frequency"].sudo().search_read(
            [("variable", "in", fields_used)], ["variable", "value", "won_count", "lost_count", "team_id"])
        won_stage_ids = set(self.env["crm.stage"].search([("is_won", "=", True)]).ids)
        first_stage = self.env["crm.stage"].search([("team_id", "=", False)], order="sequence, id", limit=1)

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
                lines.append({
                    "variable": field, "value": value_name, "won": factor["won"], "lost": factor["lost"],
                    "effect": factor["effect"],
                    "label": _("%(variable)s: %(value)s: %(won)s won, %(lost)s lost: %(effect)s",
                               variable=variable_label, value=value_name, won=factor["won"],
                               lost=factor["lost"], effect=word),
                })
            explanation[lead.id] = lines
        return explanation

    def _lt_variable_labels(self):
        labels = {name: field.string for name, field in self._fields.items()}
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
                for value in values:
                    names[(field, value)] = selection.get(value, str(value))
            else:
                for value in values:
                    names[(field, value)] = str(value)
        return names

    @api.depends_context("lang")
    def _compute_lt_score_explanation_html(self):
        real = self.filtered("id")
        explanations = real.get_score_explanation() if real else {}
        for lead in self:
            lines = explanations.get(lead.id) or []
            if not lines:
                lead.lt_score_explanation_html = False
                continue
            items = Markup("").join(
                Markup("<li class='{}'>{}</li>").format(
                    "text-success" if line["effect"] > 0.05 else "text-danger" if line["effect"] < -0.05 else "",
                    line["label"])
                for line in lines
            )
            lead.lt_score_explanation_html = Markup("<ul class='o_lt_score_explanation mb-0'>{}</ul>").format(items)

    # ---- lead intelligence: end -----------------------------------------------------------

# ---- Resellers (issue 5) -------------------------------------------------------
class CrmLeadReseller(models.Model):
    _inherit = "crm.lead"

    reseller_id = fields.Many2one(
        "res.partner",
        index="btree_not_null",
        tracking=True,
        copy=False,
        domain="[('reseller_level_id', '!=', False)]",
        help="The reseller partner this lead is handed to; its portal users see and work the lead.",
    )
    reseller_assigned_date = fields.Datetime(string="Reseller Assigned On", copy=False, readonly=True)
    reseller_declined_ids = fields.Many2many(
        "res.partner",
        "crm_lead_reseller_declined_rel",
        "lead_id",
        "partner_id",
        string="Declined by Resellers",
        copy=False,
        help="Resellers that declined this lead: automatic assignment never offers it to them again.",
    )
    reseller_assign_note = fields.Char(
        string="Reseller Assignment Note",
        copy=False,
        readonly=True,
        help="Why the last automatic reseller assignment left this lead without a reseller.",
    )
    reseller_portal_url = fields.Char(string="Reseller Portal Link", compute="_compute_reseller_portal_url")

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("reseller_id") and "reseller_assigned_date" not in vals:
                vals["reseller_assigned_date"] = now
        return super().create(vals_list)

    def write(self, vals):
        if "reseller_id" in vals and "reseller_assigned_date" not in vals:
            vals = dict(vals, reseller_assigned_date=fields.Datetime.now() if vals["reseller_id"] else False)
            if vals["reseller_id"]:
                vals.setdefault("reseller_assign_note", False)
        return super().write(vals)

    def action_assign_reseller(self):
        """Give each lead of ``self`` without a reseller one, drawn at random by reseller weight.

        Candidates are resellers with a level and a weight above 0 that did not decline the lead;
        those in the lead's state come first, then those in its country, then (a Settings choice)
        any. Leads locked by another transaction are skipped, not waited for, so concurrent runs
        never hand one lead to two resellers. Leads left without a reseller say why.
        Returns a notification telling how many leads received a reseller.
        """
        assigned = self._lt_reseller_assign()
        if len(self) == 1 and not assigned and self.reseller_assign_note:
            raise UserError(self.reseller_assign_note)
        left = len(self.filtered(lambda lead: not lead.reseller_id))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if assigned else "warning",
                "message": _(
                    "%(assigned)s lead(s) given to a reseller, %(left)s left without one.",
                    assigned=len(assigned),
                    left=left,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _lt_reseller_assign(self, rng=None):
        """Set-based core of :meth:`action_assign_reseller`; returns the leads assigned."""
        if not self:
            return self.browse()
        self.flush_model(["reseller_id", "active", "state_id", "country_id", "probability", "company_id"])
        self.env["res.partner"].flush_model(
            ["reseller_level_id", "reseller_weight", "active", "state_id", "country_id", "company_id"]
        )
        cr = self.env.cr
        cr.execute(
            """
            SELECT l.id, l.state_id, l.country_id, l.company_id
              FROM crm_lead l
             WHERE l.id = ANY(%s) AND l.reseller_id IS NULL AND l.active
               AND COALESCE(l.probability, 0) < 100
             ORDER BY l.id
               FOR UPDATE SKIP LOCKED
            """,
            [list(self.ids)],
        )
        leads = cr.fetchall()
        if not leads:
            return self.browse()
        cr.execute(
            """
            SELECT p.id, p.state_id, p.country_id, p.reseller_weight, p.company_id
              FROM res_partner p
              JOIN crm_reseller_level lvl ON lvl.id = p.reseller_level_id AND lvl.active
             WHERE p.active AND p.reseller_weight > 0
             ORDER BY p.id
            """
        )
        resellers = cr.fetchall()
        cr.execute(
            "SELECT lead_id, partner_id FROM crm_lead_reseller_declined_rel WHERE lead_id = ANY(%s)",
            [[lead[0] for lead in leads]],
        )
        declined = {}
        for lead_id, partner_id in cr.fetchall():
            declined.setdefault(lead_id, set()).add(partner_id)
        lead_companies = {lead[3] for lead in leads if lead[3]}
        anywhere = {
            company.id: company.lt_reseller_assign_anywhere
            for company in self.env["res.company"].browse(lead_companies)
        }
        default_anywhere = self.env.company.lt_reseller_assign_anywhere

        by_state, by_country = {}, {}
        for reseller in resellers:
            if reseller[1]:
                by_state.setdefault(reseller[1], []).append(reseller)
            if reseller[2]:
                by_country.setdefault(reseller[2], []).append(reseller)

        rng = rng or random.SystemRandom()
        chosen, notes = {}, {}
        for lead_id, state_id, country_id, company_id in leads:
            refused = declined.get(lead_id, set())

            def eligible(pool, refused=refused, company_id=company_id):
                return [r for r in pool if r[0] not in refused and (not r[4] or not company_id or r[4] == company_id)]

            pool = eligible(by_state.get(state_id, [])) if state_id else []
            if not pool and country_id:
                pool = eligible(by_country.get(country_id, []))
            if not pool and anywhere.get(company_id, default_anywhere):
                pool = eligible(resellers)
            if pool:
                pick = rng.choices(pool, weights=[r[3] for r in pool])[0]
                chosen.setdefault(pick[0], []).append(lead_id)
                continue
            if not resellers:
                note = _("No reseller has a level and a weight above 0.")
            elif refused and not eligible(resellers):
                note = _("Every reseller that could take this lead declined it.")
            elif not (state_id or country_id):
                note = _("The lead has no state or country and assignment to any reseller is off in Settings.")
            else:
                note = _("No reseller in the lead's state or country.")
            notes.setdefault(note, []).append(lead_id)

        for reseller_id, lead_ids in chosen.items():
            self.browse(lead_ids).write({"reseller_id": reseller_id})
        for note, lead_ids in notes.items():
            self.browse(lead_ids).write({"reseller_assign_note": note})
        return self.browse([lead_id for ids in chosen.values() for lead_id in ids])

    @api.model
    def _lt_reseller_cron_assign(self):
        """Step run after the scheduled lead assignment when enabled in Settings."""
        companies = self.env["res.company"].search([("lt_reseller_auto_assign", "=", True)])
        if not companies:
            return self.browse()
        leads = self.search(
            [
                ("company_id", "in", companies.ids + [False]),
                ("reseller_id", "=", False),
                ("user_id", "=", False),
                ("probability", "<", 100),
            ]
        )
        return leads._lt_reseller_assign()

    def _lt_reseller_accept(self, user, summary, date, expected_revenue):
        """The reseller takes the lead: it becomes an opportunity, still the reseller's, with its next action."""
        self.ensure_one()
        self.convert_opportunity(self.partner_id)
        self.write({"expected_revenue": expected_revenue})
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=date,
            summary=summary,
            user_id=(self.user_id or self.team_id.user_id or user).id,
        )
        self.message_post(
            body=_(
                "%(reseller)s is interested and has contacted the customer. Next action: %(summary)s on %(date)s.",
                reseller=user.partner_id.display_name,
                summary=summary,
                date=fields.Date.to_string(date),
            ),
            author_id=user.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )

    def _lt_reseller_decline(self, user, reason, contacted, spam):
        """The reseller declines: it loses the lead and is never offered it again."""
        self.ensure_one()
        reseller = self.reseller_id
        self.write({"reseller_id": False, "reseller_declined_ids": [(4, reseller.id)]})
        self.message_post(
            body=_(
                "%(reseller)s is not interested. Reason: %(reason)s. Contacted the customer: %(contacted)s. "
                "Spam: %(spam)s.",
                reseller=reseller.display_name,
                reason=reason,
                contacted=_("yes") if contacted else _("no"),
                spam=_("yes") if spam else _("no"),
            ),
            author_id=user.partner_id.id,
            subtype_xmlid="mail.mt_note",
        )
        if spam:
            self.action_set_lost(lost_reason_id=self.env.ref("lead_tracking.lost_reason_spam").id)

    @api.depends("type")
    def _compute_reseller_portal_url(self):
        for lead in self:
            kind = "opportunity" if lead.type == "opportunity" else "lead"
            lead.reseller_portal_url = f"{lead.get_base_url()}/my/{kind}/{lead.id}" if lead.id else False


# ---- end Resellers -------------------------------------------------------------

# --- assignment engine (issue 4) ---
class CrmLeadAssignment(models.Model):
    _inherit = "crm.lead"

    assignment_reason = fields.Char(
        readonly=True,
        copy=False,
        help="Why rule-based assignment gave this lead to its team and salesperson.",
    )



# --- end assignment engine ---
