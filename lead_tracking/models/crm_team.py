import datetime
import logging
from ast import literal_eval
from collections import namedtuple
from dataclasses import dataclass, field

from markupsafe import Markup

from odoo import _, api, exceptions, fields, models
from odoo.tools import SQL

from .assignment_planner import (
    CAPACITY,
    NO_MEMBER_DOMAIN,
    NO_TEAM,
    OPTOUT,
    QUALITY_SHARE,
    QUOTA_LEFT,
    UNASSIGNED_REASONS,
    CandidateGroup,
    MemberSlot,
    TeamSlot,
    largest_remainder,
    plan_assignment,
)

_logger = logging.getLogger(__name__)

# One candidate lead as the run reads it: quality flag, normalized email, customer, and whether no
# salesperson opened it yet (crm only gives such leads to salespeople).
LtCandidate = namedtuple("LtCandidate", "id team_id quality email partner_id open")


@dataclass
class LtAssignRun:
    """What one assignment run gathers, plans and writes (shared by its phases)."""

    work_days: float
    now: datetime.datetime
    members: dict = field(default_factory=dict)  # member id -> MemberSlot
    teams: dict = field(default_factory=dict)  # team id -> TeamSlot
    member_names: dict = field(default_factory=dict)
    member_domains: dict = field(default_factory=dict)
    team_names: dict = field(default_factory=dict)
    team_domains: dict = field(default_factory=dict)
    carries: dict = field(default_factory=dict)  # member id -> (carry before, carry after)
    merges: list = field(default_factory=list)  # (head id, candidate ids, merged ids)
    fixed_leads: set = field(default_factory=set)  # candidates already in their team
    allocated: dict = field(default_factory=dict)  # lead id -> team given in this run
    team_match: dict = field(default_factory=dict)  # team id -> team-less candidates matching (None: all)
    plan: object = None
    written: list = field(default_factory=list)


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
        """crm's private entry point (the cron calls it): same return shape, set-based engine.

        ``teams_data``: {team: {"assigned": lead ids given the team, "merged": ids of leads that
        absorbed duplicates, "duplicates": ids of the merged (deleted) duplicates}};
        ``members_data``: {member: {"assigned": leads given to the member}}.
        """
        summary = self._lt_assign_run(work_days=work_days)
        _logger.info("Lead assignment: %s", " | ".join(self._lt_assign_summary_lines(summary)))
        teams_data, members_data = {}, {}
        Lead, Member = self.env["crm.lead"], self.env["crm.team.member"]
        for team_row in summary["teams"]:
            teams_data[self.browse(team_row["team_id"])] = {
                "assigned": set(team_row["lead_ids"]),
                "merged": set(team_row["merged_ids"]),
                "duplicates": set(team_row["duplicate_ids"]),
            }
            for member_row in team_row["members"]:
                members_data[Member.browse(member_row["member_id"])] = {"assigned": Lead.browse(member_row["lead_ids"])}
        return teams_data, members_data

    # ------------------------------------------------------------
    # Engine: gather, deduplicate, plan, write, report
    # ------------------------------------------------------------

    def _lt_assign_run(self, work_days=1):
        """Assign the unassigned leads of teams ``self`` to teams and salespeople, set-based.

        Phases: the members' slots (quotas, 30-day counts); the candidate leads, locked in SQL
        (``FOR UPDATE SKIP LOCKED``: concurrent runs share nothing); duplicates merged as crm merges
        them; the plan (:mod:`.assignment_planner`, in memory); the write (one UPDATE per batch, in
        a savepoint: each lead ends fully assigned or untouched); the summary (see
        ``_lt_assign_summary_lines``), which is returned.
        """
        self._lt_assign_check(work_days)
        self.env.flush_all()
        teams = self.sudo()
        run = LtAssignRun(work_days=work_days, now=self.env.cr.now())
        if teams:
            teams._lt_assign_gather_slots(run)
            candidates = teams._lt_assign_lock_candidates(run)
            candidates = teams._lt_assign_deduplicate(run, candidates)
            candidates = teams._lt_assign_allocate_teams(run, candidates)
            run.plan = teams._lt_assign_plan(run, candidates)
            teams._lt_assign_write(run)
        return teams._lt_assign_summary(run)

    def _lt_assign_check(self, work_days):
        if not self.env.user.has_group("sales_team.group_sale_manager") and not self.env.user.has_group(
            "base.group_system"
        ):
            raise exceptions.UserError(
                _("Lead/Opportunities automatic assignment is limited to managers or administrators")
            )
        if not isinstance(work_days, (int, float)) or not 0.2 <= work_days <= 30:
            raise exceptions.UserError(
                _("Leads are assigned for at least 0.2 and at most 30 work days, not %(days)s.", days=work_days)
            )

    def _lt_assign_gather_slots(self, run):
        """Team and member slots of the run, quotas rounded per team by largest remainder."""
        members = self.crm_team_member_ids
        counts = self.env["crm.team.member"]._lt_assign_month_counts(
            self.ids, members.user_id.ids, run.now - datetime.timedelta(days=30)
        )
        for team in self:
            exact = {}
            for member in team.crm_team_member_ids.filtered(lambda m: m._lt_assign_takes_part()):
                count, quality = counts.get((team.id, member.user_id.id), (0, 0))
                exact[member.id] = member._lt_assign_exact_quota(count, run.work_days)
                run.members[member.id] = MemberSlot(
                    member.id, team.id, member.user_id.id, member.assignment_max, 0,
                    quality30=quality, balancing=team.lt_quality_balancing,
                )
                run.member_names[member.id] = member.user_id.name
                run.member_domains[member.id] = member.assignment_domain
                run.carries[member.id] = (member.lt_assign_carry, 0.0)
            for member_id, quota in largest_remainder(exact).items():
                run.members[member_id].quota = quota
                run.carries[member_id] = (run.carries[member_id][0], exact[member_id] - quota)
            run.teams[team.id] = TeamSlot(
                team.id, sum(team.crm_team_member_ids.mapped("assignment_max")), tuple(exact)
            )
            run.team_names[team.id] = team.name
            run.team_domains[team.id] = team.assignment_domain

    def _lt_assign_lock_candidates(self, run):
        """Candidate leads hottest first (probability, then oldest), locked; rows another run holds are
        skipped, never shared. Team-less leads older than crm's ``crm.assignment.delay``, and leads of
        the run's teams without a salesperson that nobody opened yet; never won or archived ones."""
        delay = int(self.env["ir.config_parameter"].sudo().get_param("crm.assignment.delay", default=0))
        self.env.cr.execute(
            SQL(
                "%s AND ((l.team_id IS NULL AND l.create_date <= %s) OR (l.team_id = ANY(%s) AND l.date_open IS NULL))"
                " ORDER BY COALESCE(l.probability, 0) DESC, l.create_date, l.id FOR UPDATE OF l SKIP LOCKED",
                self._lt_assign_candidate_select(), run.now - datetime.timedelta(hours=delay), self.ids,
            )
        )
        candidates = [LtCandidate(*row) for row in self.env.cr.fetchall()]
        run.fixed_leads = {row.id for row in candidates if row.team_id}
        return candidates

    @api.model
    def _lt_assign_candidate_select(self):
        return SQL(
            "SELECT l.id, l.team_id, COALESCE(l.is_quality_lead, FALSE), l.email_normalized, l.partner_id,"
            " l.date_open IS NULL FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id"
            " WHERE l.active AND l.user_id IS NULL AND s.is_won IS NOT TRUE"
        )

    def _lt_assign_match(self, domain_text, lead_ids):
        """Ids among ``lead_ids`` matching a team/member domain, through the ORM's query builder;
        None means "every lead" (no domain, no query)."""
        domain = literal_eval(domain_text or "[]")
        if not domain or not lead_ids:
            return None
        query = self.env["crm.lead"].with_context(active_test=False)._where_calc(list(domain))
        query.add_where(SQL("%s = ANY(%s)", SQL.identifier(query.table, "id"), list(lead_ids)))
        self.env.cr.execute(query.select())
        return {row[0] for row in self.env.cr.fetchall()}

    def _lt_assign_team_matches(self, run, lead_ids):
        """{team id: matching ids or None} for the team-less candidates, teams with capacity only."""
        return {
            team_id: self._lt_assign_match(run.team_domains[team_id], lead_ids) if slot.capacity else set()
            for team_id, slot in run.teams.items()
        }

    # -- duplicates, merged as crm's _allocate_leads_deduplicate does --
    def _lt_assign_deduplicate(self, run, candidates):
        """Merge each team-less candidate that a team would take with its duplicates (crm's
        ``_get_lead_duplicates``: active, not won leads with the same email), crm's way, before
        anything is planned. Groups are found in one query for the whole candidate set and merged one
        by one where there is one; a group partly held by another transaction is left for the next
        run. Returns the candidates that remain (heads take the place of their group's first
        candidate; heads someone already works are dropped)."""
        teamless = [row for row in candidates if not row.team_id and row.email]
        groups = self._lt_assign_duplicate_groups({row.email for row in teamless})
        by_email = {}
        for row in teamless:
            if row.email in groups:
                by_email.setdefault(row.email, []).append(row)
        if not by_email:
            return candidates
        matches = self._lt_assign_team_matches(run, [row.id for rows in by_email.values() for row in rows])
        wanted = {
            email: rows for email, rows in by_email.items()
            if any(match is None or row.id in match for row in rows for match in matches.values())
        }
        locked = self._lt_assign_lock_groups({email: groups[email] for email in wanted})
        heads, removed, tails = {}, set(), self.env["crm.lead"]
        for email, rows in wanted.items():
            removed.update(row.id for row in rows)
            if email not in locked:
                continue  # another transaction holds one of them: the next run merges them
            head = self._lt_assign_merge(groups[email])
            if head:
                tails |= self.env["crm.lead"].browse(groups[email]) - head
                heads[rows[0].id] = head.id
                run.merges.append((head.id, [row.id for row in rows], [i for i in groups[email] if i != head.id]))
        removed = (removed - set(heads)) | set(tails.ids)
        tails.unlink()
        self.env.flush_all()
        return self._lt_assign_replace_heads(run, candidates, heads, removed)

    def _lt_assign_merge(self, lead_ids):
        """Merge leads as crm's assignment does (their head keeps its team and salesperson); the head,
        or None when crm refuses the merge (the group then waits, unmerged and unassigned)."""
        leads = self.env["crm.lead"].browse(lead_ids)
        try:
            with self.env.cr.savepoint():
                return leads._merge_opportunity(user_id=False, team_id=False, auto_unlink=False, max_length=0)
        except (exceptions.UserError, exceptions.AccessError) as error:
            _logger.warning("Lead assignment: leads %s not merged: %s", lead_ids, error)
            return None

    def _lt_assign_duplicate_groups(self, emails):
        """{email: ids of its duplicates} for the emails with two or more active, not won leads."""
        if not emails:
            return {}
        self.env.cr.execute(
            """SELECT l.email_normalized, array_agg(l.id ORDER BY l.id)
                 FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
                WHERE l.email_normalized = ANY(%s) AND l.active AND s.is_won IS NOT TRUE
             GROUP BY l.email_normalized HAVING COUNT(*) > 1""",
            [list(emails)],
        )
        return dict(self.env.cr.fetchall())

    def _lt_assign_lock_groups(self, groups):
        """The emails of ``groups`` whose leads this run could all lock (none held elsewhere)."""
        if not groups:
            return set()
        self.env.cr.execute(
            "SELECT id FROM crm_lead WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED",
            [[lead_id for ids in groups.values() for lead_id in ids]],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        return {email for email, ids in groups.items() if locked.issuperset(ids)}

    def _lt_assign_replace_heads(self, run, candidates, heads, removed):
        """The candidate list after merges: merged heads still waiting for a salesperson replace their
        group's first candidate (their rows read again: the merge changed them)."""
        if not heads:
            return [row for row in candidates if row.id not in removed]
        self.env.cr.execute(
            SQL("%s AND l.id = ANY(%s)", self._lt_assign_candidate_select(), list(heads.values()))
        )
        fresh = {row[0]: LtCandidate(*row) for row in self.env.cr.fetchall()}
        result, seen = [], set()
        for row in candidates:
            if row.id in heads:
                row = fresh.get(heads[row.id])
                if not row or (row.team_id and row.team_id not in run.teams):
                    continue
            elif row.id in removed:
                continue
            if row.id not in seen:
                seen.add(row.id)
                result.append(row)
        return result

    # -- crm's first phase: teams --
    def _lt_assign_allocate_teams(self, run, candidates):
        """Give team-less candidates their team first, as crm does, then let crm recompute their
        probability (the team is one of its naive Bayes variables) before salespeople are chosen, so
        that member domains on the probability see the value the lead will show. The teams come from
        a plan over every candidate (each lead to the team of the member it would go to, else to the
        least allocated matching team). Returns the candidates read again, hottest first."""
        teamless = [row.id for row in candidates if not row.team_id]
        if not teamless:
            return candidates
        run.team_match = self._lt_assign_team_matches(run, teamless)
        plan = self._lt_assign_plan(run, candidates)
        allocated = {d.lead_id: d.team_id for d in plan.decisions if d.team_id and d.lead_id in set(teamless)}
        for slot in (*run.members.values(), *run.teams.values()):
            slot.reset()
        if not allocated:
            return candidates
        run.allocated = allocated
        self._lt_assign_write_teams(run, allocated)
        Lead = self.env["crm.lead"]
        Lead._lt_assign_update_probabilities(list(allocated))
        Lead._lt_refresh_all(list(allocated))
        self.env.cr.execute(SQL(
            "%s AND l.id = ANY(%s) ORDER BY COALESCE(l.probability, 0) DESC, l.create_date, l.id",
            self._lt_assign_candidate_select(), [row.id for row in candidates],
        ))
        return [LtCandidate(*row) for row in self.env.cr.fetchall()]

    def _lt_assign_write_teams(self, run, allocated):
        """Team, company and (when missing) first stage of newly allocated leads, in one UPDATE."""
        stages = self._lt_assign_stages(set(allocated.values()))
        self.env.cr.execute(
            """UPDATE crm_lead l
                  SET team_id = v.team_id, company_id = COALESCE(t.company_id, l.company_id),
                      stage_id = COALESCE(l.stage_id, NULLIF(v.stage_id, 0)), write_uid = %s, write_date = %s
                 FROM unnest(%s::int[], %s::int[], %s::int[]) AS v(id, team_id, stage_id)
                 JOIN crm_team t ON t.id = v.team_id
                WHERE l.id = v.id""",
            [self.env.uid, run.now, list(allocated), list(allocated.values()),
             [stages[team_id] for team_id in allocated.values()]],
        )
        self.env.invalidate_all()

    def _lt_assign_stages(self, team_ids):
        """{team id: id of the first unfolded stage a lead of the team gets (0: none)}."""
        Lead = self.env["crm.lead"]
        return {tid: Lead._stage_find(team_id=tid, domain=[("fold", "=", False)]).id or 0 for tid in team_ids}

    # -- groups the planner works on --
    def _lt_assign_plan(self, run, candidates):
        """The planner's decisions for these candidates (see :mod:`.assignment_planner`)."""
        groups = self._lt_assign_groups(run, candidates)
        return plan_assignment(run.members.values(), run.teams.values(), groups)

    def _lt_assign_groups(self, run, candidates):
        """Candidate groups for the planner, hottest first: leads of one customer or email (in the
        same pool: team-less, or one team, opened or not) go to one salesperson together."""
        lead_ids = [row.id for row in candidates]
        team_match = run.team_match
        member_match = {mid: self._lt_assign_match(run.member_domains[mid], lead_ids) for mid in run.members}
        groups = []
        for rows in self._lt_assign_cluster(candidates):
            ids = [row.id for row in rows]

            def matches(match, ids=ids):
                return match is None or all(lead_id in match for lead_id in ids)

            head = rows[0]
            if head.team_id:
                teams = (head.team_id,)
            else:
                teams = tuple(tid for tid, match in team_match.items() if run.teams[tid].capacity and matches(match))
            matched = {mid for tid in teams for mid in run.teams[tid].member_ids if matches(member_match[mid])}
            groups.append(CandidateGroup(
                lead_ids=tuple(ids),
                quality=tuple(row.quality for row in rows),
                teams=teams,
                members=frozenset(mid for mid in matched if run.members[mid].quota > 0) if head.open else frozenset(),
                matched_teams=frozenset(run.members[mid].team_id for mid in matched),
                fixed_team=head.team_id or 0,
                open=head.open,
            ))
        return groups

    @api.model
    def _lt_assign_cluster(self, candidates):
        """Candidates joined by email or customer within their pool, each cluster in hotness order."""
        parent = {}

        def find(key):
            while parent.setdefault(key, key) != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for row in candidates:
            pool = (row.team_id or 0, row.open)
            keys = ((pool, "e", row.email) if row.email else None,
                    (pool, "p", row.partner_id) if row.partner_id else None)
            for key in filter(None, keys):
                parent[find(("l", row.id))] = find(key)
        clusters = {}
        for row in candidates:
            clusters.setdefault(find(("l", row.id)), []).append(row)
        return list(clusters.values())

    # -- write --
    def _lt_assign_write(self, run):
        """Write the plan: one UPDATE per batch and the followers, all inside a savepoint (all or nothing
        per lead); then our columns of the leads written."""
        rows = [
            (d.lead_id, d.team_id, d.member_id and run.members[d.member_id].user_id, self._lt_assign_reason(run, d))
            for d in run.plan.decisions
            if d.team_id and (d.member_id or d.lead_id not in run.fixed_leads)
        ]
        cr = self.env.cr
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("lead_tracking.assign_batch", 20000)) or 20000
        stages = self._lt_assign_stages({row[1] for row in rows})
        subtype_ids = list(self.env["mail.message.subtype"]._default_subtypes("crm.lead")[0])
        with cr.savepoint():
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                self._lt_assign_write_batch(batch, stages, run.now)
                self._lt_assign_subscribe(batch, subtype_ids)
            self._lt_assign_store_carries(run)
        self.env.invalidate_all()
        if rows:
            self.env["crm.lead"]._lt_refresh_all([row[0] for row in rows])
        run.written = rows

    def _lt_assign_write_batch(self, batch, stages, now):
        self.env.cr.execute(
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
                "ids": [row[0] for row in batch],
                "teams": [row[1] for row in batch],
                "users": [row[2] for row in batch],
                "reasons": [row[3] for row in batch],
                "stages": [stages[row[1]] for row in batch],
            },
        )

    def _lt_assign_subscribe(self, batch, subtype_ids):
        """crm subscribes the new salesperson (without notifying) when it assigns a lead."""
        self.env.cr.execute(
            """WITH new AS (
                   INSERT INTO mail_followers (res_model, res_id, partner_id)
                   SELECT 'crm.lead', v.id, u.partner_id
                     FROM unnest(%s::int[], %s::int[]) AS v(id, user_id)
                     JOIN res_users u ON u.id = v.user_id
              ON CONFLICT DO NOTHING
                RETURNING id)
               INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
               SELECT new.id, st.id FROM new CROSS JOIN unnest(%s::int[]) AS st(id)""",
            [[row[0] for row in batch], [row[2] for row in batch], subtype_ids],
        )

    def _lt_assign_store_carries(self, run):
        # Only changed carries are written: an unchanged row needs no lock a concurrent run would wait on.
        changed = {mid: new for mid, (old, new) in run.carries.items() if abs(new - old) > 1e-6}
        if changed:
            self.env.cr.execute(
                """UPDATE crm_team_member m SET lt_assign_carry = v.carry
                     FROM unnest(%s::int[], %s::float8[]) AS v(id, carry) WHERE m.id = v.id""",
                [list(changed), list(changed.values())],
            )

    # -- reasons and summary --
    @api.model
    def _lt_assign_reason_labels(self):
        return {
            NO_TEAM: _("no team domain matches"),
            OPTOUT: _("every member opted out"),
            NO_MEMBER_DOMAIN: _("no member domain matches"),
            CAPACITY: _("every member at capacity"),
        }

    def _lt_assign_team_label(self, run, team_id, fixed):
        name = run.team_names[team_id]
        if fixed:
            return _("Team %(team)s (already in team)", team=name)
        if not literal_eval(run.team_domains[team_id] or "[]"):
            return _("Team %(team)s (no domain)", team=name)
        return _("Team %(team)s (domain matched)", team=name)

    def _lt_assign_reason(self, run, decision):
        """The Assignment Reason written on a lead, in words."""
        team = self._lt_assign_team_label(run, decision.team_id, decision.lead_id in run.fixed_leads)
        if not decision.member_id:
            return _("%(team)s: no salesperson yet, %(why)s", team=team,
                     why=self._lt_assign_reason_labels()[decision.reason])
        member = run.members[decision.member_id]
        if decision.reason == QUALITY_SHARE:
            why = _("lowest quality share, %(quality)s of %(capacity)s",
                    quality=decision.quality_share, capacity=member.capacity)
        elif decision.reason == QUOTA_LEFT:
            why = _("most quota left, %(done)s of %(quota)s this run", done=decision.done, quota=member.quota)
        else:
            return _("%(team)s → %(user)s: same customer as lead %(lead)s",
                     team=team, user=run.member_names[member.member_id], lead=decision.head_id)
        return _("%(team)s → %(user)s: %(why)s", team=team, user=run.member_names[member.member_id], why=why)

    def _lt_assign_summary(self, run):
        """The run's summary: totals, leads left without salesperson by reason, and per team and member
        what was received (see ``_lt_assign_summary_lines``)."""
        summary = {
            "work_days": run.work_days, "assigned": 0, "allocated": 0,
            "merged": len(run.merges), "duplicates": sum(len(m[2]) for m in run.merges),
            "unassigned": dict(run.plan.unassigned) if run.plan else dict.fromkeys(UNASSIGNED_REASONS, 0),
            "teams": [],
        }
        by_team = {tid: {"lead_ids": [], "merged_ids": [], "duplicate_ids": []} for tid in run.teams}
        by_member = {mid: [] for mid in run.members}
        allocated = dict.fromkeys(run.teams, 0)
        for decision in run.plan.decisions if run.plan else []:
            if decision.member_id:
                by_member[decision.member_id].append(decision.lead_id)
            if decision.team_id and decision.lead_id not in run.fixed_leads:
                by_team[decision.team_id]["lead_ids"].append(decision.lead_id)
                allocated[decision.team_id] += 0 if decision.member_id else 1
        self._lt_assign_summary_merges(run, by_team)
        for team_id, team_slot in run.teams.items():
            members = [run.members[mid] for mid in team_slot.member_ids]
            assigned = sum(slot.assigned for slot in members)
            summary["teams"].append({
                "team_id": team_id, "name": run.team_names[team_id],
                "assigned": assigned, "allocated": allocated[team_id], **by_team[team_id],
                "members": [{
                    "member_id": slot.member_id, "user_id": slot.user_id, "name": run.member_names[slot.member_id],
                    "assigned": slot.assigned, "quality": slot.quality_assigned, "quota": slot.quota,
                    "lead_ids": by_member[slot.member_id],
                } for slot in members],
            })
            summary["assigned"] += assigned
            summary["allocated"] += allocated[team_id]
        return summary

    @api.model
    def _lt_assign_summary_merges(self, run, by_team):
        """File each merge under the team its head ended in (else the first team of the run)."""
        if not run.merges:
            return
        heads = self.env["crm.lead"].browse([merge[0] for merge in run.merges]).exists()
        head_teams = {lead.id: lead.team_id.id for lead in heads}
        for head_id, _candidate_ids, tail_ids in run.merges:
            team_id = head_teams.get(head_id) if head_teams.get(head_id) in by_team else next(iter(by_team))
            rows = by_team[team_id]
            if head_id in rows["lead_ids"]:
                rows["lead_ids"].remove(head_id)
            rows["merged_ids"].append(head_id)
            rows["duplicate_ids"].extend(tail_ids)

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
        if summary.get("duplicates"):
            lines.append(_("%(duplicates)s duplicate leads merged into %(merged)s.",
                           duplicates=summary["duplicates"], merged=summary["merged"]))
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
            for key in UNASSIGNED_REASONS
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
            """SELECT l.id, l.user_id, l.team_id, l.company_id
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
        for lead_id, old_user, team_id, company_id in rows:
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
                {"lead_id": lead_id, "from_user_id": old_user, "to_user_id": member.user_id.id, "team_id": team_id,
                 "company_id": company_id}
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
