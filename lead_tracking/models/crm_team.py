import datetime
import logging
import math
from ast import literal_eval

from markupsafe import Markup

from odoo import _, api, exceptions, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Reasons a candidate lead can stay without a salesperson, in the order the summary lists them.
LT_UNASSIGNED_REASONS = ("no_team", "optout", "no_member_domain", "capacity")


class CrmTeam(models.Model):
    _inherit = "crm.team"

    lt_quality_balancing = fields.Boolean(
        string="Quality Balancing",
        default=True,
        help="Rule-based assignment gives quality leads first to the salespeople whose share of quality "
        "leads over the last 30 days is the lowest relative to their capacity.",
    )
    reassign_after_days = fields.Integer(
        string="Reassign Neglected Leads After (days)",
        default=0,
        help="When a lead has been unattended (overdue activity) for more than this many days, the assignment "
        "cron hands it to another salesperson of the team. 0 disables it.",
    )

    _sql_constraints = [
        (
            "lt_reassign_after_days_positive",
            "CHECK(reassign_after_days >= 0)",
            "The number of days after which neglected leads are reassigned cannot be negative.",
        ),
    ]

    # ------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------

    @api.model
    def _lt_assign_check_domain(self, domain_text, owner_label):
        """Raise a ValidationError unless ``domain_text`` is a domain on crm.lead that SQL can run."""
        if not domain_text or not domain_text.strip():
            return
        try:
            domain = literal_eval(domain_text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise exceptions.ValidationError(
                _(
                    "The assignment domain of %(owner)s cannot be read: %(domain)s. Write it as a list of "
                    "conditions, for example [('probability', '>=', 20)].",
                    owner=owner_label,
                    domain=domain_text,
                )
            ) from None
        if not isinstance(domain, (list, tuple)):
            raise exceptions.ValidationError(
                _(
                    "The assignment domain of %(owner)s must be a list of conditions, not %(domain)s.",
                    owner=owner_label,
                    domain=domain_text,
                )
            )
        try:
            # Building the SQL resolves every field path: unknown fields and bad operators fail here.
            self.env["crm.lead"].sudo()._where_calc(list(domain)).select()
        except Exception as error:
            raise exceptions.ValidationError(
                _(
                    "The assignment domain of %(owner)s is not valid on leads: %(error)s",
                    owner=owner_label,
                    error=error,
                )
            ) from None

    @api.constrains("assignment_domain")
    def _constrains_assignment_domain(self):
        # Replaces crm's check (a bare search) with one that names the problem.
        for team in self:
            self._lt_assign_check_domain(team.assignment_domain, _("team %(team)s", team=team.name))

    # ------------------------------------------------------------
    # Entry points kept from crm
    # ------------------------------------------------------------

    @api.model
    def _cron_assign_leads(self, work_days=None):
        """Run crm's assignment cron (our engine behind it), hand neglected leads on, then (a Settings
        choice) give the leads no salesperson took to resellers."""
        result = super()._cron_assign_leads(work_days=work_days)
        self.env["crm.team"].search(
            [("reassign_after_days", ">", 0), "|", ("use_leads", "=", True), ("use_opportunities", "=", True)]
        )._lt_assign_reassign_neglected()
        self.env["crm.lead"]._lt_reseller_cron_assign()
        return result

    def action_assign_leads(self, work_days=1, log=True):
        """Assign leads now (team button, settings' run-now arrow) and show the run's summary."""
        summary = self._lt_assign_run(work_days=work_days)
        lines = self._lt_assign_summary_lines(summary)
        body = Markup("<p>%s<br/><br/>%s</p>") % (
            _("Lead Assignment requested by %(user_name)s", user_name=self.env.user.name),
            Markup("<br/>").join(lines),
        )
        self._message_log_batch(bodies={team.id: body for team in self})
        unassigned = sum(summary["unassigned"].values())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if unassigned else "success",
                "title": _("Leads Assigned"),
                "message": "\n".join(lines),
                "sticky": bool(unassigned),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _action_assign_leads(self, work_days=1):
        """crm's private entry point (the cron calls it): same return shape, set-based engine."""
        summary = self._lt_assign_run(work_days=work_days)
        _logger.info("Lead assignment: %s", " | ".join(self._lt_assign_summary_lines(summary)))
        teams_data, members_data = {}, {}
        lead_model = self.env["crm.lead"]
        for team_row in summary["teams"]:
            team = self.browse(team_row["team_id"])
            teams_data[team] = {"assigned": set(team_row["lead_ids"]), "merged": set(), "duplicates": set()}
            for member_row in team_row["members"]:
                member = self.env["crm.team.member"].browse(member_row["member_id"])
                members_data[member] = {"assigned": lead_model.browse(member_row["lead_ids"])}
        return teams_data, members_data

    # ------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------

    @api.model
    def _lt_assign_member_quota(self, capacity, month_count, work_days, carry):
        """Exact (fractional) share of leads a member should receive this run.

        crm's meaning: ``capacity`` targets 30 days, a run covers ``work_days`` of it, plus a 20 %
        catch-up toward capacity; we never go past the member's remaining 30-day capacity and we add
        what earlier runs' rounding owes the member (``carry``).
        """
        if capacity <= 0:
            return 0.0
        to_assign = capacity * work_days / 30.0
        catch_up = max(0.0, capacity - (month_count + to_assign)) * 0.2
        return max(0.0, min(to_assign + catch_up + carry, float(capacity - month_count)))

    @api.model
    def _lt_assign_largest_remainder(self, exact_by_key):
        """Round fractional quotas to integers whose sum is the floor of their total (Hamilton method)."""
        total = int(math.floor(sum(exact_by_key.values()) + 1e-9))
        result = {key: int(math.floor(value + 1e-9)) for key, value in exact_by_key.items()}
        left = total - sum(result.values())
        by_remainder = sorted(exact_by_key, key=lambda key: (-(exact_by_key[key] - result[key]), key))
        for key in by_remainder[: max(0, left)]:
            result[key] += 1
        return result

    def _lt_assign_match(self, domain_text, lead_ids):
        """Ids among ``lead_ids`` matching a team/member domain, through the ORM's query builder."""
        domain = literal_eval(domain_text or "[]")
        if not domain or not lead_ids:
            return None  # None means "every lead": no query needed
        query = self.env["crm.lead"].with_context(active_test=False)._where_calc(list(domain))
        query.add_where(SQL("%s = ANY(%s)", SQL.identifier("crm_lead", "id"), list(lead_ids)))
        self.env.cr.execute(query.select())
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _lt_assign_place(self, index, size, eligible, member_info, placed):
        """Give group ``index`` to the member of ``eligible`` with quota left that stays furthest below its
        capacity-weighted share; False when every eligible member is at quota."""
        room = [mid for mid in eligible if member_info[mid]["assigned"] < member_info[mid]["quota"]]
        if not room:
            return False
        member_id = min(
            room, key=lambda mid: ((member_info[mid]["assigned"] + size) / member_info[mid]["capacity"], mid)
        )
        member_info[member_id]["assigned"] += size
        placed[index] = member_id
        return True

    @api.model
    def _lt_assign_rebalance(self, member_info, movable, placed):
        """Move single leads along chains of members so that each member's count is as close as domains and
        quotas allow to its capacity-weighted share of the run's total (a member more than one lead above
        an eligible member's deviation hands a lead on, possibly through intermediates).

        ``movable`` maps a member to its movable leads by eligible-member set; it and ``placed`` are updated.
        Each move strictly lowers the sum of squared deviations, so this ends; chains move several leads at
        once so the loop stays short on large runs. Returns True when a member gave leads away.
        """
        total = sum(info["assigned"] for info in member_info.values())
        capacity = sum(info["capacity"] for info in member_info.values())
        if not total or not capacity:
            return False

        def deviation(mid):
            return member_info[mid]["assigned"] - total * member_info[mid]["capacity"] / capacity

        moved = False
        while True:
            for source in sorted(movable, key=deviation, reverse=True):
                source_dev = deviation(source)
                previous = {source: None}
                queue = [source]
                target, target_dev = None, source_dev - 1 - 1e-9
                for node in queue:  # breadth-first: the queue grows while it is read
                    for eligible, indexes in movable.get(node, {}).items():
                        if not indexes:
                            continue
                        for nxt in eligible:
                            if nxt in previous:
                                continue
                            previous[nxt] = (node, eligible)
                            queue.append(nxt)
                            nxt_dev = deviation(nxt)
                            if member_info[nxt]["assigned"] < member_info[nxt]["quota"] and nxt_dev < target_dev:
                                target, target_dev = nxt, nxt_dev
                if target is None:
                    continue
                path, node = [], target
                while previous[node]:
                    path.append(previous[node] + (node,))
                    node = previous[node][0]
                count = max(1, int((source_dev - target_dev) / 2))
                count = min(
                    [count, member_info[target]["quota"] - member_info[target]["assigned"]]
                    + [len(movable[frm][eligible]) for frm, eligible, _to in path]
                )
                for frm, eligible, to in path:
                    for _i in range(count):
                        index = movable[frm][eligible].pop()
                        placed[index] = to
                        movable.setdefault(to, {}).setdefault(eligible, []).append(index)
                member_info[source]["assigned"] -= count
                member_info[target]["assigned"] += count
                moved = True
                break
            else:
                return moved

    def _lt_assign_run(self, work_days=1):
        """Assign the unassigned leads of teams ``self`` to teams and salespeople, set-based.

        Leads are locked (``FOR UPDATE SKIP LOCKED``) so concurrent runs share nothing, planned in
        memory in hotness order and written with one UPDATE per batch inside a savepoint, so that each
        lead ends fully assigned or untouched.  Returns the run's summary (see
        ``_lt_assign_summary_lines``).
        """
        if not self.env.user.has_group("sales_team.group_sale_manager") and not self.env.user.has_group(
            "base.group_system"
        ):
            raise exceptions.UserError(
                _("Lead/Opportunities automatic assignment is limited to managers or administrators")
            )
        if work_days < 0.2 or work_days > 30:
            raise exceptions.UserError(
                _("Leads are assigned for at least 0.2 and at most 30 work days, not %(days).2f.", days=work_days)
            )
        self.env.flush_all()
        cr = self.env.cr
        now = cr.now()
        teams = self.sudo()
        summary = {"work_days": work_days, "assigned": 0, "allocated": 0, "teams": []}
        summary["unassigned"] = dict.fromkeys(LT_UNASSIGNED_REASONS, 0)
        if not teams:
            return summary

        # -- teams and members (a handful of rows: ORM reads are fine) --
        members = teams.crm_team_member_ids
        month_stats = {}
        if members:
            cr.execute(
                """SELECT team_id, user_id, COUNT(*), COUNT(*) FILTER (WHERE is_quality_lead)
                     FROM crm_lead
                    WHERE team_id = ANY(%s) AND user_id = ANY(%s) AND date_open >= %s
                 GROUP BY team_id, user_id""",
                [teams.ids, members.user_id.ids, now - datetime.timedelta(days=30)],
            )
            month_stats = {(team_id, user_id): (count, quality) for team_id, user_id, count, quality in cr.fetchall()}
        team_info, member_info = {}, {}
        for team in teams:
            info = team_info[team.id] = {
                "name": team.name,
                "domain": team.assignment_domain,
                "capacity": sum(team.crm_team_member_ids.mapped("assignment_max")),
                "balancing": team.lt_quality_balancing,
                "members": [],
                "has_optin": False,
                "allocated": 0,
                "assigned": 0,
                "lead_ids": [],
            }
            exact = {}
            for member in team.crm_team_member_ids:
                if member.assignment_optout or member.assignment_max <= 0 or not member.user_id.active:
                    continue
                info["has_optin"] = True
                count, quality = month_stats.get((team.id, member.user_id.id), (0, 0))
                exact[member.id] = self._lt_assign_member_quota(
                    member.assignment_max, count, work_days, member.lt_assign_carry
                )
                member_info[member.id] = {
                    "old_carry": member.lt_assign_carry,
                    "team_id": team.id,
                    "user_id": member.user_id.id,
                    "name": member.user_id.name,
                    "domain": member.assignment_domain,
                    "capacity": member.assignment_max,
                    "quality30": quality,
                    "assigned": 0,
                    "quality_assigned": 0,
                    "lead_ids": [],
                }
                info["members"].append(member.id)
            quotas = self._lt_assign_largest_remainder(exact)
            for member_id, quota in quotas.items():
                member_info[member_id]["quota"] = quota
                member_info[member_id]["carry"] = exact[member_id] - quota
            info["quota"] = sum(quotas.values())

        # -- candidate leads, locked; rows another run holds are skipped, never shared --
        delay = int(self.env["ir.config_parameter"].sudo().get_param("crm.assignment.delay", default=0))
        cr.execute(
            """SELECT l.id, l.team_id, l.is_quality_lead, l.email_normalized, l.partner_id, l.date_open IS NULL
                 FROM crm_lead l
            LEFT JOIN crm_stage s ON s.id = l.stage_id
                WHERE l.active AND l.user_id IS NULL AND s.is_won IS NOT TRUE
                  AND ((l.team_id IS NULL AND l.create_date <= %s)
                       OR (l.team_id = ANY(%s) AND l.date_open IS NULL))
             ORDER BY COALESCE(l.probability, 0) DESC, l.create_date, l.id
                  FOR UPDATE OF l SKIP LOCKED""",
            [now - datetime.timedelta(hours=delay), teams.ids],
        )
        leads = cr.fetchall()
        lead_ids = [row[0] for row in leads]
        teamless_ids = [row[0] for row in leads if not row[1]]
        for info in team_info.values():
            info["match"] = self._lt_assign_match(info["domain"], teamless_ids) if info["capacity"] else set()
        for info in member_info.values():
            info["match"] = self._lt_assign_match(info["domain"], lead_ids)

        # -- duplicates: leads of one customer or one email, in the same pool, move together --
        parent = {}

        def find(key):
            while parent.setdefault(key, key) != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for lead_id, team_id, _quality, email, partner_id, open_ok in leads:
            pool = (team_id or 0, open_ok)
            for key in ((pool, "e", email) if email else None, (pool, "p", partner_id) if partner_id else None):
                if key:
                    parent[find(("l", lead_id))] = find(key)
        groups = {}
        for row in leads:
            groups.setdefault(find(("l", row[0])), []).append(row)

        # -- plan (in memory). 1) hottest group first, each to the eligible member (any matching team)
        # furthest below its capacity-weighted share; 2) single leads move along chains of eligible
        # members until nobody is more than one lead from its share (domains and quotas permitting);
        # 3) quota freed by those moves goes to leads still waiting; 4) leads are written hottest first,
        # quality leads to the lowest quality share among the members the plan gives leads of that kind.
        group_list = list(groups.values())
        eligible_of, placed, waiting = {}, {}, []
        for index, group in enumerate(group_list):
            head_id, fixed_team, _quality, _email, _partner, open_ok = group[0]
            if fixed_team:
                candidates = [fixed_team]
            else:
                candidates = [
                    team_id
                    for team_id, info in team_info.items()
                    if info["capacity"] and (info["match"] is None or head_id in info["match"])
                ]
            eligible = frozenset(
                member_id
                for team_id in (candidates if open_ok else ())
                for member_id in team_info[team_id]["members"]
                if member_info[member_id]["quota"] > 0
                and (member_info[member_id]["match"] is None or head_id in member_info[member_id]["match"])
            )
            eligible_of[index] = (candidates, eligible)
            if candidates and not self._lt_assign_place(index, len(group), eligible, member_info, placed):
                waiting.append(index)
        movable = {}  # member id -> {eligible set: [indexes of single leads placed there]}
        for index, member_id in placed.items():
            eligible = eligible_of[index][1]
            if len(group_list[index]) == 1 and len(eligible) > 1:
                movable.setdefault(member_id, {}).setdefault(eligible, []).append(index)
        if self._lt_assign_rebalance(member_info, movable, placed):
            for index in waiting:
                self._lt_assign_place(index, len(group_list[index]), eligible_of[index][1], member_info, placed)
        # singles of one eligibility set are interchangeable: the plan fixes how many each member takes
        todo = {}
        for index, member_id in placed.items():
            if len(group_list[index]) == 1:
                key = (eligible_of[index][1], member_id)
                todo[key] = todo.get(key, 0) + 1
        done = dict.fromkeys(member_info, 0)

        plan = []  # (lead_id, team_id, user_id or 0, reason)
        for index, group in enumerate(group_list):
            head_id, fixed_team, quality, _email, _partner, open_ok = group[0]
            size = len(group)
            candidates, eligible = eligible_of[index]
            if not candidates:
                summary["unassigned"]["no_team"] += size
                continue
            if index not in placed:
                team_id = min(
                    candidates, key=lambda tid: (team_info[tid]["allocated"] + 1) / (team_info[tid]["capacity"] or 1)
                )
                info = team_info[team_id]
                reason_key = self._lt_assign_unassigned_reason(info, member_info, head_id, open_ok)
                summary["unassigned"][reason_key] += size
                if fixed_team:
                    continue  # nothing to write: the lead keeps its team and waits for a salesperson
                info["allocated"] += size
                reason = _(
                    "%(team)s: no salesperson yet, %(why)s",
                    team=self._lt_assign_team_label(info, fixed_team),
                    why=self._lt_assign_reason_labels()[reason_key],
                )
                for row in group:
                    info["lead_ids"].append(row[0])
                    plan.append((row[0], team_id, 0, reason))
                continue
            # a duplicate group keeps the member it was planned for
            choices = [mid for mid in eligible if todo.get((eligible, mid))] if size == 1 else [placed[index]]
            balancing = quality and any(team_info[member_info[mid]["team_id"]]["balancing"] for mid in choices)
            if balancing:
                member_id = min(
                    choices,
                    key=lambda mid: (
                        (member_info[mid]["quality30"] + member_info[mid]["quality_assigned"])
                        / member_info[mid]["capacity"],
                        done[mid] / (member_info[mid]["assigned"] or 1),
                        mid,
                    ),
                )
                member = member_info[member_id]
                why = _(
                    "lowest quality share, %(quality)s of %(capacity)s",
                    quality=member["quality30"] + member["quality_assigned"],
                    capacity=member["capacity"],
                )
            else:
                member_id = min(
                    choices,
                    key=lambda mid: (
                        done[mid] / (member_info[mid]["assigned"] or 1),
                        -member_info[mid]["assigned"],
                        mid,
                    ),
                )
                member = member_info[member_id]
                why = _(
                    "most quota left, %(done)s of %(quota)s this run",
                    done=done[member_id],
                    quota=member["quota"],
                )
            if size == 1:
                todo[(eligible, member_id)] -= 1
            done[member_id] += size
            team_id = member["team_id"]
            info = team_info[team_id]
            reason = _(
                "%(team)s → %(user)s: %(why)s",
                team=self._lt_assign_team_label(info, fixed_team),
                user=member["name"],
                why=why,
            )
            for position, row in enumerate(group):
                line = (
                    reason
                    if not position
                    else _("%(reason)s; same customer as lead %(lead)s", reason=reason, lead=head_id)
                )
                plan.append((row[0], team_id, member["user_id"], line))
                member["lead_ids"].append(row[0])
                member["quality_assigned"] += 1 if row[2] else 0
                if not fixed_team:
                    info["lead_ids"].append(row[0])
            info["assigned"] += size

        self._lt_assign_write(plan, member_info, now)

        # -- summary --
        for team_id, info in team_info.items():
            members_rows = [
                {
                    "member_id": member_id,
                    "user_id": member_info[member_id]["user_id"],
                    "name": member_info[member_id]["name"],
                    "assigned": member_info[member_id]["assigned"],
                    "quality": member_info[member_id]["quality_assigned"],
                    "quota": member_info[member_id]["quota"],
                    "lead_ids": member_info[member_id]["lead_ids"],
                }
                for member_id in info["members"]
            ]
            summary["teams"].append(
                {
                    "team_id": team_id,
                    "name": info["name"],
                    "assigned": info["assigned"],
                    "allocated": info["allocated"],
                    "lead_ids": info["lead_ids"],
                    "members": members_rows,
                }
            )
            summary["assigned"] += info["assigned"]
            summary["allocated"] += info["allocated"]
        return summary

    @api.model
    def _lt_assign_unassigned_reason(self, team, member_info, lead_id, open_ok):
        """Why no salesperson of ``team`` could take the lead (key of LT_UNASSIGNED_REASONS)."""
        if not team["has_optin"]:
            return "optout"
        if open_ok and not any(
            member_info[mid]["match"] is None or lead_id in member_info[mid]["match"] for mid in team["members"]
        ):
            return "no_member_domain"
        return "capacity"

    @api.model
    def _lt_assign_reason_labels(self):
        return {
            "no_team": _("no team domain matches"),
            "optout": _("every member opted out"),
            "no_member_domain": _("no member domain matches"),
            "capacity": _("every member at capacity"),
        }

    @api.model
    def _lt_assign_team_label(self, info, fixed_team):
        if fixed_team:
            return _("Team %(team)s (already in team)", team=info["name"])
        if info["match"] is None:
            return _("Team %(team)s (no domain)", team=info["name"])
        return _("Team %(team)s (domain matched)", team=info["name"])

    def _lt_assign_write(self, plan, member_info, now):
        """Write the plan: one UPDATE per batch, all inside a savepoint (all or nothing per lead)."""
        cr = self.env.cr
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("lead_tracking.assign_batch", 20000)) or 20000
        stages = {}
        for team_id in {row[1] for row in plan}:
            stage = self.env["crm.lead"]._stage_find(team_id=team_id, domain=[("fold", "=", False)])
            stages[team_id] = stage.id or 0
        subtype_ids = list(self.env["mail.message.subtype"]._default_subtypes("crm.lead")[0])
        with cr.savepoint():
            for start in range(0, len(plan), batch_size):
                batch = plan[start : start + batch_size]
                ids = [row[0] for row in batch]
                team_ids = [row[1] for row in batch]
                user_ids = [row[2] for row in batch]
                cr.execute(
                    """UPDATE crm_lead l
                          SET team_id = v.team_id,
                              company_id = COALESCE(t.company_id, l.company_id),
                              assignment_reason = v.reason,
                              user_id = NULLIF(v.user_id, 0),
                              stage_id = COALESCE(l.stage_id, NULLIF(v.stage_id, 0)),
                              type = CASE WHEN v.user_id <> 0 AND COALESCE(l.probability, 0) < 100
                                          THEN 'opportunity' ELSE l.type END,
                              date_conversion = CASE WHEN v.user_id <> 0 AND l.type = 'lead'
                                                     AND COALESCE(l.probability, 0) < 100
                                                     THEN %(now)s ELSE l.date_conversion END,
                              date_open = CASE WHEN v.user_id <> 0 THEN %(now)s ELSE l.date_open END,
                              day_open = CASE WHEN v.user_id <> 0
                                              THEN FLOOR(EXTRACT(EPOCH FROM (%(now)s - l.create_date)) / 86400)
                                              ELSE l.day_open END,
                              write_uid = %(uid)s,
                              write_date = %(now)s
                         FROM unnest(%(ids)s::int[], %(teams)s::int[], %(users)s::int[], %(reasons)s::text[],
                                     %(stages)s::int[]) AS v(id, team_id, user_id, reason, stage_id)
                         JOIN crm_team t ON t.id = v.team_id
                        WHERE l.id = v.id""",
                    {
                        "now": now,
                        "uid": self.env.uid,
                        "ids": ids,
                        "teams": team_ids,
                        "users": user_ids,
                        "reasons": [row[3] for row in batch],
                        "stages": [stages[team_id] for team_id in team_ids],
                    },
                )
                # crm subscribes the new salesperson (without notifying) when it assigns a lead.
                cr.execute(
                    """WITH new AS (
                           INSERT INTO mail_followers (res_model, res_id, partner_id)
                           SELECT 'crm.lead', v.id, u.partner_id
                             FROM unnest(%s::int[], %s::int[]) AS v(id, user_id)
                             JOIN res_users u ON u.id = v.user_id
                      ON CONFLICT DO NOTHING
                        RETURNING id)
                       INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
                       SELECT new.id, st.id FROM new CROSS JOIN unnest(%s::int[]) AS st(id)""",
                    [ids, user_ids, subtype_ids],
                )
            # Only changed carries are written: an unchanged row needs no lock a concurrent run would wait on.
            changed = {
                mid: info["carry"] for mid, info in member_info.items() if abs(info["carry"] - info["old_carry"]) > 1e-6
            }
            if changed:
                cr.execute(
                    """UPDATE crm_team_member m SET lt_assign_carry = v.carry
                         FROM unnest(%s::int[], %s::float8[]) AS v(id, carry) WHERE m.id = v.id""",
                    [list(changed), list(changed.values())],
                )
        self.env.invalidate_all()
        if plan:
            self.env["crm.lead"]._lt_refresh_all([row[0] for row in plan])

    @api.model
    def _lt_assign_summary_lines(self, summary):
        """Human-readable lines of a run's summary: per team and member, then unassigned by reason."""
        lines = [
            _(
                "%(assigned)s leads assigned to salespeople, %(allocated)s more given to a team only.",
                assigned=summary["assigned"],
                allocated=summary["allocated"],
            )
        ]
        for team in summary["teams"]:
            members = ", ".join(
                _("%(name)s %(count)s (%(quality)s quality)", name=m["name"], count=m["assigned"], quality=m["quality"])
                for m in team["members"]
            )
            lines.append(
                _("%(team)s: %(count)s assigned", team=team["name"], count=team["assigned"])
                + (f" ({members})" if members else "")
            )
        labels = self._lt_assign_reason_labels()
        left = [
            _("%(count)s %(reason)s", count=summary["unassigned"][key], reason=labels[key])
            for key in LT_UNASSIGNED_REASONS
            if summary["unassigned"][key]
        ]
        if left:
            lines.append(_("Left without salesperson: %(details)s.", details=", ".join(left)))
        return lines

    # ------------------------------------------------------------
    # Neglected leads
    # ------------------------------------------------------------

    def _lt_assign_reassign_neglected(self):
        """Hand leads unattended for more than ``reassign_after_days`` to another member of their team.

        A lead is unattended from its oldest activity's due date minus the company's horizon; the
        current salesperson must also have held it that long. Never back to a member who held it within
        30 days. Returns the number of leads reassigned.
        """
        teams = self.sudo().filtered(lambda t: t.reassign_after_days > 0)
        if not teams:
            return 0
        self.env.flush_all()
        cr = self.env.cr
        now = cr.now()
        today = fields.Date.context_today(self)
        cr.execute(
            """SELECT l.id, l.user_id, l.team_id
                 FROM crm_lead l
                 JOIN crm_team t ON t.id = l.team_id
            LEFT JOIN res_company c ON c.id = l.company_id
                WHERE l.active AND l.user_id IS NOT NULL AND l.team_id = ANY(%(teams)s)
                  AND l.date_open < %(now)s - make_interval(days => t.reassign_after_days)
                  AND (SELECT MIN(a.date_deadline) FROM mail_activity a
                        WHERE a.res_model = 'crm.lead' AND a.res_id = l.id AND a.active IS NOT FALSE)
                      < %(today)s::date + COALESCE(c.lt_unattended_horizon_days, 0) - t.reassign_after_days
             ORDER BY l.id
                  FOR UPDATE OF l SKIP LOCKED""",
            {"teams": teams.ids, "now": now, "today": today},
        )
        rows = cr.fetchall()
        if not rows:
            return 0
        lead_ids = [row[0] for row in rows]
        history = self.env["lt.lead.reassignment"].sudo()
        cr.execute(
            "SELECT lead_id, from_user_id FROM lt_lead_reassignment WHERE lead_id = ANY(%s) AND create_date >= %s",
            [lead_ids, now - datetime.timedelta(days=30)],
        )
        recent = {}
        for lead_id, user_id in cr.fetchall():
            recent.setdefault(lead_id, set()).add(user_id)
        loads, matches, names = {}, {}, {}
        cr.execute(
            """SELECT team_id, user_id, COUNT(*) FROM crm_lead
                WHERE team_id = ANY(%s) AND user_id IS NOT NULL AND date_open >= %s GROUP BY team_id, user_id""",
            [teams.ids, now - datetime.timedelta(days=30)],
        )
        month = {(team_id, user_id): count for team_id, user_id, count in cr.fetchall()}
        by_team = {}
        for team in teams:
            for member in team.crm_team_member_ids:
                if member.assignment_optout or member.assignment_max <= 0 or not member.user_id.active:
                    continue
                by_team.setdefault(team.id, []).append(member)
                loads[member.id] = month.get((team.id, member.user_id.id), 0)
                matches[member.id] = self._lt_assign_match(member.assignment_domain, lead_ids)
                names[member.user_id.id] = member.user_id.name
        plan, history_vals = [], []
        for lead_id, old_user, team_id in rows:
            excluded = recent.get(lead_id, set()) | {old_user}
            eligible = [
                member
                for member in by_team.get(team_id, [])
                if member.user_id.id not in excluded and (matches[member.id] is None or lead_id in matches[member.id])
            ]
            if not eligible:
                continue
            member = min(eligible, key=lambda m: ((loads[m.id] + 1) / m.assignment_max, m.id))
            loads[member.id] += 1
            reason = _(
                "Reassigned from %(old)s to %(new)s: unattended for more than %(days)s days",
                old=self.env["res.users"].browse(old_user).name,
                new=member.user_id.name,
                days=self.browse(team_id).reassign_after_days,
            )
            plan.append((lead_id, member.user_id.id, reason))
            history_vals.append(
                {"lead_id": lead_id, "from_user_id": old_user, "to_user_id": member.user_id.id, "team_id": team_id}
            )
        if not plan:
            return 0
        with cr.savepoint():
            cr.execute(
                """UPDATE crm_lead l SET user_id = v.user_id, assignment_reason = v.reason, date_open = %(now)s,
                          write_uid = %(uid)s, write_date = %(now)s
                     FROM unnest(%(ids)s::int[], %(users)s::int[], %(reasons)s::text[]) AS v(id, user_id, reason)
                    WHERE l.id = v.id""",
                {
                    "now": now,
                    "uid": self.env.uid,
                    "ids": [row[0] for row in plan],
                    "users": [row[1] for row in plan],
                    "reasons": [row[2] for row in plan],
                },
            )
            # The overdue activities follow the lead to its new salesperson.
            cr.execute(
                """UPDATE mail_activity a SET user_id = v.user_id
                     FROM unnest(%s::int[], %s::int[]) AS v(id, user_id)
                    WHERE a.res_model = 'crm.lead' AND a.res_id = v.id""",
                [[row[0] for row in plan], [row[1] for row in plan]],
            )
            self.env.invalidate_all()
            history.create(history_vals)
            leads = self.env["crm.lead"].browse([row[0] for row in plan])
            leads._message_log_batch(bodies={row[0]: Markup("<p>%s</p>") % row[2] for row in plan})
            for user in leads.user_id:
                leads.filtered(lambda lead, user=user: lead.user_id == user).message_subscribe(
                    partner_ids=user.partner_id.ids
                )
            by_old = {}
            for vals in history_vals:
                by_old.setdefault(vals["from_user_id"], []).append(vals["lead_id"])
            for old_user_id, old_lead_ids in by_old.items():
                old_user = self.env["res.users"].browse(old_user_id)
                lead_names = ", ".join(self.env["crm.lead"].browse(old_lead_ids).mapped("name"))
                self.env["crm.lead"].browse(old_lead_ids[0]).message_notify(
                    partner_ids=old_user.partner_id.ids,
                    subject=_("Leads reassigned"),
                    body=_(
                        "%(count)s of your leads were unattended and went to another salesperson: %(leads)s",
                        count=len(old_lead_ids),
                        leads=lead_names,
                    ),
                )
        self.env["crm.lead"]._lt_refresh_all(leads.ids)
        _logger.info("Lead assignment: %s neglected leads reassigned", len(plan))
        return len(plan)
