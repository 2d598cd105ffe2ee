import contextlib
import datetime
import functools
import logging
import time
from ast import literal_eval
from collections import namedtuple
from dataclasses import dataclass, field

import psycopg2
from markupsafe import Markup

from odoo import SUPERUSER_ID, _, api, exceptions, fields, models, tools
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL

from .assignment_planner import (
    CAPACITY,
    NO_MEMBER_DOMAIN,
    NO_TEAM,
    OPTOUT,
    PREFERRED,
    QUALITY_SHARE,
    QUOTA_LEFT,
    UNASSIGNED_REASONS,
    CandidateGroup,
    MemberSlot,
    TeamSlot,
    largest_remainder,
    plan_assignment,
)
from .crm_team_assignment_lock import LT_ASSIGN_WAIT, LtAssignBusy

_logger = logging.getLogger(__name__)

# Leads listed by name in a salesperson's message after a run (the rest are counted), and in a
# run's or a preview's sample.
LT_DIGEST_LEADS = 20
LT_SAMPLE_LEADS = 20
# What a lead's new team changes before its salesperson is chosen: a member domain reading one of
# these is matched on the values the run will write (see crm.team._lt_assign_allocate_write). The
# quality flag, computed from the whole row, is the one read on rows written with the team first.
LT_WRITTEN_FIRST_FIELDS = ("is_quality_lead",)
LT_TEAM_DEPENDENT_FIELDS = ("team_id", "company_id", "stage_id", "probability", "score_tier", *LT_WRITTEN_FIRST_FIELDS)


def lt_assign_domain(text):
    """The domain an assignment domain text stands for: empty or blank text is no domain (the check
    of the fields accepts it as such, see ``_lt_assign_check_domain``)."""
    return literal_eval((text or "").strip() or "[]")

# One candidate lead as the run reads it: quality flag, normalized email, customer, and whether no
# salesperson opened it yet (crm only gives such leads to salespeople).
LtCandidate = namedtuple("LtCandidate", "id team_id quality email partner_id open probability create_date stageless")


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
    preferred_domains: dict = field(default_factory=dict)  # member id -> preferred domain (text)
    carries: dict = field(default_factory=dict)  # member id -> (carry before, carry after)
    merges: list = field(default_factory=list)  # (head id, candidate ids, merged ids)
    fixed_leads: set = field(default_factory=set)  # candidates already in their team
    allocated: dict = field(default_factory=dict)  # lead id -> team given in this run
    # lead id -> (automated probability, probability) in its new team, for the leads whose team is
    # written with the salesperson (see _lt_assign_allocate_write)
    probabilities: dict = field(default_factory=dict)
    overlaid: dict = field(default_factory=dict)  # lead id -> team not written yet that member domains read
    written_first: dict = field(default_factory=dict)  # lead id -> team written before the plan
    team_match: dict = field(default_factory=dict)  # team id -> team-less candidates matching (None: all)
    plan: object = None
    written: list = field(default_factory=list)
    only: list = None  # instant runs: the new leads only
    original_teams: dict = field(default_factory=dict)  # lead id -> team before the run (0: none)
    stages: dict = field(default_factory=dict)  # team id -> first stage of its leads
    candidates: list = field(default_factory=list)  # what was planned, as last read
    fresh_counts: bool = False  # read the 30-day counts as committed now (see _lt_assign_lock)
    patterns: dict = None  # the reasons' sentences, translated (see _lt_assign_reason_patterns)
    team_labels: dict = field(default_factory=dict)  # (team id, already in team) -> label


class LtPreviewDone(Exception):
    """Carries a preview's summary out of the savepoint it rolls back."""

    def __init__(self, summary):
        super().__init__("preview")
        self.summary = summary


class CrmTeam(models.Model):
    _inherit = "crm.team"

    lt_quality_balancing = fields.Boolean(
        string="Quality Balancing",
        default=True,
        help="Rule-based assignment gives quality leads first to the salespeople whose share of quality "
        "leads over the last 30 days is the lowest relative to their capacity.",
    )
    lt_assignment_run_count = fields.Integer(
        string="Assignment Runs", compute="_compute_lt_assignment_run_count", groups="sales_team.group_sale_manager"
    )

    def _compute_lt_assignment_run_count(self):
        counts = dict(self.env["crm.lead.assignment.run"]._read_group(
            [("team_ids", "in", self.ids)], ["team_ids"], ["__count"]))
        for team in self:
            team.lt_assignment_run_count = counts.get(team, 0)

    def action_view_assignment_runs(self):
        """The assignment runs this team took part in."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_tracking.crm_lead_assignment_run_action")
        action["domain"] = [("team_ids", "in", self.ids)]
        return action

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
        """Run crm's assignment cron (our engine behind it), escalate neglected leads, then (a Settings
        choice) give the leads no salesperson took to resellers."""
        runs = []
        cron = self.with_context(lt_assign_trigger="cron", lt_assign_runs=runs)

        def assign_and_escalate():
            runs.clear()
            result = super(CrmTeam, cron)._cron_assign_leads(work_days=work_days)
            cron.env["crm.team"]._lt_escalate_neglected(run_id=runs[-1] if runs else False)
            return result

        result = self._lt_assign_retrying(assign_and_escalate)
        self.env["crm.lead"]._lt_reseller_cron_assign()
        return result

    def action_assign_leads(self, work_days=1, log=True):
        """Assign leads now (team button, settings' run-now arrow) and show the run's summary: logged on
        each team's chatter, and shown as a notification, one line per team and member (success when
        every lead found a salesperson, a warning that stays when some did not)."""
        summary = self.with_context(lt_assign_trigger="button")._lt_assign_run(work_days=work_days)
        lines = self._lt_assign_summary_lines(summary)
        body = Markup("<p>%s<br/><br/>%s</p>") % (
            _("Lead Assignment requested by %(user_name)s", user_name=self.env.user.name),
            Markup("<br/>").join(lines),
        )
        self._message_log_batch(bodies={team.id: body for team in self})
        unassigned = sum(summary["unassigned"].values()) or summary.get("busy")
        return {
            "type": "ir.actions.client",
            "tag": "lt_assignment_summary",
            "params": {
                "type": "warning" if unassigned else "success",
                "title": _("Leads Assigned"),
                "lines": lines,
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

    def _lt_assign_run(self, work_days=1, lead_ids=None):
        """Assign the unassigned leads of teams ``self`` (or only ``lead_ids``, new leads assigned at
        once) to teams and salespeople, set-based, and keep the run in the history
        (``crm.lead.assignment.run``; a failed run is kept too, with its error). Returns the run's
        summary (see ``_lt_assign_summary``).
        """
        if lead_ids is None:  # new leads are assigned on the system's behalf, whoever creates them
            self._lt_assign_check(work_days)
        preview = self.env.context.get("lt_assign_preview")
        started, start = time.perf_counter(), fields.Datetime.now()
        record = {
            "start": start, "trigger": self.env.context.get("lt_assign_trigger", "code"),
            "user_id": self.env.context.get("lt_assign_user", self.env.uid),
            "team_ids": [(6, 0, self.ids)], "work_days": work_days, "company_id": self.env.company.id,
        }
        try:
            summary = self._lt_assign_execute(work_days, lead_ids=lead_ids)
        except Exception as error:
            concurrency = isinstance(error, psycopg2.OperationalError) and (
                error.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY)
            if not preview and not concurrency:  # a concurrency failure is tried again, not a failed run
                record.update(state="failed", error=str(error) or repr(error),
                              duration=time.perf_counter() - started)
                self.env["crm.lead.assignment.run"]._lt_record_failure(record)
            raise
        if summary.get("busy"):
            _logger.info("Lead assignment (%s): another run is in progress, nothing done", record["trigger"])
            return summary
        if preview or not (summary["assigned"] or summary["allocated"] or lead_ids is None):
            return summary
        record["duration"] = time.perf_counter() - started
        if lead_ids is None:
            summary["run_id"] = self._lt_assign_finish(summary, record)
            if isinstance(self.env.context.get("lt_assign_runs"), list):
                self.env.context["lt_assign_runs"].append(summary["run_id"])
        else:
            # New leads: the record and the messages once they are committed, from a cursor of their
            # own, so that creating a lead pays only for its assignment.
            self.env.cr.postcommit.add(functools.partial(self._lt_assign_finish_after_commit, summary, record))
        return summary

    def _lt_assign_finish(self, summary, record):
        """Tell the salespeople and keep the run; returns the run record's id."""
        self._lt_assign_notify(summary)
        Run = self.env["crm.lead.assignment.run"].sudo()
        return Run.create({**record, **Run._lt_values_from_summary(summary)}).id

    def _lt_assign_finish_after_commit(self, summary, record):
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr, user=SUPERUSER_ID)
            env["crm.team"].browse(self.ids)._lt_assign_finish(summary, record)

    def _lt_assign_execute(self, work_days, lead_ids=None):
        """The run itself. Phases: the members' slots (quotas, 30-day counts); the candidate leads,
        locked in SQL (``FOR UPDATE SKIP LOCKED``: concurrent runs share nothing); duplicates merged
        as crm merges them; teams first, then crm's probability; the plan (:mod:`.assignment_planner`,
        in memory); the write (one UPDATE per batch, in a savepoint: each lead ends fully assigned or
        untouched); the summary."""
        self.env.flush_all()
        teams = self.sudo()
        run = LtAssignRun(work_days=work_days, now=self.env.cr.now(), only=lead_ids)
        if teams and not self.env.context.get("lt_assign_preview"):  # a preview writes nothing: no lock
            trigger = "instant" if lead_ids is not None else self.env.context.get("lt_assign_trigger")
            try:
                stale = self._lt_assign_lock(LT_ASSIGN_WAIT.get(trigger, LT_ASSIGN_WAIT["button"]))
            except LtAssignBusy:
                return {**self.browse()._lt_assign_summary(run), "busy": True}
            if stale and lead_ids is None:
                self._lt_assign_restart()
            # new leads cannot start again (they are being created): their salespeople's load is
            # read as committed now instead
            run.fresh_counts = stale
        if teams:
            teams._lt_assign_gather_slots(run)
            candidates = teams._lt_assign_lock_candidates(run)
            if lead_ids is None:  # new leads are never merged away under the code that creates them
                candidates = teams._lt_assign_deduplicate(run, candidates)
            candidates = teams._lt_assign_allocate_teams(run, candidates)
            run.plan = teams._lt_assign_plan(run, candidates)
            run.candidates = candidates
            teams._lt_assign_write(run)
        return teams._lt_assign_summary(run)

    @api.model
    def _lt_assign_new_leads(self, leads):
        """Assign new leads without a salesperson at once, all of them in one plan (Settings: Assign New
        Leads at Once): to the least busy eligible salesperson over 30 days, within capacity."""
        waiting = leads.filtered(lambda lead: lead.active and not lead.user_id and not lead.stage_id.is_won)
        if not waiting:
            return None
        teams = self.sudo().search([
            "&", ("assignment_optout", "=", False), "|", ("use_leads", "=", True), ("use_opportunities", "=", True),
        ])
        if not teams:
            return None
        runner = teams.with_user(SUPERUSER_ID).with_context(
            lt_assign_trigger="instant", lt_assign_user=self.env.uid, lang=self.env.user.lang
        )
        return runner._lt_assign_run(work_days=30, lead_ids=waiting.ids)

    def preview_assign_leads(self, work_days=1):
        """What a run of teams ``self`` would do now, written nowhere: the same summary as a run
        (computed by the same code inside a savepoint that is rolled back), so that a run right after
        it, on the same data, assigns exactly what the preview shows."""
        self._lt_assign_check(work_days)
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                summary = self.with_context(lt_assign_preview=True)._lt_assign_run(work_days=work_days)
                raise LtPreviewDone(summary)
        except LtPreviewDone as done:
            summary = done.summary
        self.env.invalidate_all()
        return summary

    def action_preview_assign_leads(self):
        """Open the preview of the next run of these teams (team form, CRM Settings)."""
        work_days = self.env.context.get("lt_preview_work_days", 1)
        return self.env["crm.lead.assignment.preview"]._lt_open(self, work_days)

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
        members.mapped("lt_assign_carry")  # one read for every team's members
        members.user_id.mapped("name")
        counts = self.env["crm.team.member"]._lt_assign_month_counts(
            self.ids, members.user_id.ids, run.now - datetime.timedelta(days=30), fresh=run.fresh_counts
        )
        for team in self:
            exact = {}
            for member in team.crm_team_member_ids.filtered(lambda m: m._lt_assign_takes_part()):
                count, quality = counts.get((team.id, member.user_id.id), (0, 0))
                unlimited = member.lt_rotation == "unlimited"
                if not unlimited:
                    exact[member.id] = member._lt_assign_exact_quota(count, run.work_days, carry=run.only is None)
                run.members[member.id] = MemberSlot(
                    member.id, team.id, member.user_id.id,
                    member.lt_rotation_weight if unlimited else member.assignment_max, 0,
                    quality30=quality, balancing=team.lt_quality_balancing, unlimited=unlimited,
                    # new leads one by one go to the least busy over 30 days, not to the first member
                    base=count if run.only is not None else 0,
                )
                run.member_names[member.id] = member.user_id.name
                run.member_domains[member.id] = member.assignment_domain
                run.preferred_domains[member.id] = member.lt_assignment_domain_preferred
                if not unlimited:
                    run.carries[member.id] = (member.lt_assign_carry, 0.0)
            for member_id, quota in largest_remainder(exact).items():
                run.members[member_id].quota = quota
                run.carries[member_id] = (run.carries[member_id][0], exact[member_id] - quota)
            takes_part = tuple(mid for mid in run.members if run.members[mid].team_id == team.id)
            run.teams[team.id] = TeamSlot(team.id, sum(run.members[mid].capacity for mid in takes_part)
                                          or sum(team.crm_team_member_ids.mapped("assignment_max")), takes_part)
            run.team_names[team.id] = team.name
            run.team_domains[team.id] = team.assignment_domain

    def _lt_assign_lock_candidates(self, run):
        """Candidate leads hottest first (probability, then oldest), locked; rows another run holds are
        skipped, never shared. Team-less leads older than crm's ``crm.assignment.delay``, and leads of
        the run's teams without a salesperson that nobody opened yet; never won or archived ones."""
        self.env.cr.execute(self._lt_assign_candidates_query(run))
        candidates = [LtCandidate(*row) for row in self.env.cr.fetchall()]
        run.fixed_leads = {row.id for row in candidates if row.team_id}
        run.original_teams = {row.id: row.team_id or 0 for row in candidates}
        return candidates

    def _lt_assign_candidates_query(self, run):
        """The locking SELECT of the run's candidates (see ``_lt_assign_lock_candidates``)."""
        delay = int(self.env["ir.config_parameter"].sudo().get_param("crm.assignment.delay", default=0))
        if run.only is not None:  # new leads: at once, whatever the delay
            scope = SQL("l.id = ANY(%s) AND (l.team_id IS NULL OR l.team_id = ANY(%s))", list(run.only), self.ids)
        else:
            scope = SQL(
                "((l.team_id IS NULL AND l.create_date <= %s) OR (l.team_id = ANY(%s) AND l.date_open IS NULL))",
                run.now - datetime.timedelta(hours=delay), self.ids,
            )
        return SQL(
            "%s AND %s ORDER BY COALESCE(l.probability, 0) DESC, l.create_date, l.id FOR UPDATE OF l SKIP LOCKED",
            self._lt_assign_candidate_select(), scope,
        )

    @api.model
    def _lt_assign_candidate_select(self):
        return SQL(
            "SELECT l.id, l.team_id, COALESCE(l.is_quality_lead, FALSE), l.email_normalized, l.partner_id,"
            " l.date_open IS NULL, COALESCE(l.probability, 0), l.create_date, l.stage_id IS NULL"
            " FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id"
            " WHERE l.active AND l.user_id IS NULL AND s.is_won IS NOT TRUE"
        )

    def _lt_assign_match(self, domain_text, lead_ids):
        """Ids among ``lead_ids`` matching a team/member domain, through the ORM's query builder;
        None means "every lead" (no domain, no query)."""
        return self._lt_assign_matches({0: domain_text}, lead_ids)[0]

    def _lt_assign_matches(self, domains, lead_ids, rows=None):
        """{key: ids among ``lead_ids`` matching ``domains[key]``, or None for an empty domain}: every
        domain in one query where Odoo's query builder needs no join (one per domain otherwise).
        ``rows``: SQL of the leads' rows to match instead of crm_lead's (see ``_lt_assign_overlay``)."""
        Lead = self.env["crm.lead"].with_context(active_test=False)
        table = SQL("(%s)", rows) if rows else None
        result, columns = {}, []
        for key, text in domains.items():
            domain = lt_assign_domain(text)
            if not domain:
                result[key] = None
            elif not lead_ids:
                result[key] = set()
            else:
                query = Lead._where_calc(list(domain))
                if query._joins or len(query._tables) != 1:
                    if table:
                        query._tables[query.table] = table
                    query.add_where(SQL("%s = ANY(%s)", SQL.identifier(query.table, "id"), list(lead_ids)))
                    self.env.cr.execute(query.select())
                    result[key] = {row[0] for row in self.env.cr.fetchall()}
                else:
                    columns.append((key, query.where_clause))
        if columns:
            self.env.cr.execute(SQL(
                "SELECT %s, %s FROM %s AS crm_lead WHERE %s = ANY(%s)",
                SQL.identifier("crm_lead", "id"),
                SQL(", ").join(SQL("COALESCE(%s, FALSE)", where) for _key, where in columns),
                table or SQL.identifier("crm_lead"), SQL.identifier("crm_lead", "id"), list(lead_ids),
            ))
            for key, _where in columns:
                result[key] = set()
            for row in self.env.cr.fetchall():
                for (key, _where), matched in zip(columns, row[1:], strict=True):
                    if matched:
                        result[key].add(row[0])
        return result

    def _lt_assign_team_matches(self, run, lead_ids):
        """{team id: matching ids or None} for the team-less candidates; no lead for a team without capacity."""
        domains = {tid: run.team_domains[tid] for tid, slot in run.teams.items() if slot.capacity}
        matches = self._lt_assign_matches(domains, lead_ids)
        return {tid: matches.get(tid, set()) for tid in run.teams}

    # -- duplicates, merged as crm's _allocate_leads_deduplicate does --
    def _lt_assign_deduplicate(self, run, candidates):
        """Merge each team-less candidate that a team would take with its duplicates (crm's
        ``_get_lead_duplicates``: active, not won leads with the same email), crm's way, before
        anything is planned. Groups are found in one query for the whole candidate set and merged all
        at once (``crm.lead._lt_merge_bulk``); a group partly held by another transaction is left for
        the next run. Returns the candidates that remain (heads take the place of their group's first
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
        removed = {row.id for rows in wanted.values() for row in rows}
        # a group another transaction holds a lead of waits for the next run
        emails = [email for email in wanted if email in locked]
        merged = self.env["crm.lead"]._lt_merge_bulk([groups[email] for email in emails])
        heads, tail_ids = {}, []
        for email, head in zip(emails, merged, strict=True):
            if head:  # else crm refused the merge: the group waits, unmerged and unassigned
                tails = [lead_id for lead_id in groups[email] if lead_id != head.id]
                tail_ids.extend(tails)
                heads[wanted[email][0].id] = head.id
                run.merges.append((head.id, [row.id for row in wanted[email]], tails))
        removed = (removed - set(heads)) | set(tail_ids)
        self.env["crm.lead"].browse(tail_ids).unlink()
        self.env.flush_all()
        return self._lt_assign_replace_heads(run, candidates, heads, removed)

    def _lt_assign_duplicate_groups(self, emails):
        """{email: ids of its duplicates} for the emails with two or more active, not won leads."""
        if not emails:
            return {}
        self.env.cr.execute(self._lt_assign_duplicates_query(emails))
        return dict(self.env.cr.fetchall())

    @api.model
    def _lt_assign_duplicates_query(self, emails):
        return SQL(
            """SELECT l.email_normalized, array_agg(l.id ORDER BY l.id)
                 FROM crm_lead l LEFT JOIN crm_stage s ON s.id = l.stage_id
                WHERE l.email_normalized = ANY(%s) AND l.active AND s.is_won IS NOT TRUE
             GROUP BY l.email_normalized HAVING COUNT(*) > 1""",
            list(emails),
        )

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
        domains = self._lt_assign_member_domains(run)
        domains.update({("t", tid): run.team_domains[tid] for tid, slot in run.teams.items() if slot.capacity})
        matches = self._lt_assign_matches(domains, [row.id for row in candidates])  # one query for all
        run.team_match = {tid: matches.get(("t", tid), set()) for tid in run.teams}
        plan = self._lt_assign_plan(run, candidates, matches)
        teamless = set(teamless)
        allocated = {d.lead_id: d.team_id for d in plan.decisions if d.team_id and d.lead_id in teamless}
        for slot in (*run.members.values(), *run.teams.values()):
            slot.reset()
        if not allocated:
            return candidates
        run.allocated = allocated
        probabilities = self._lt_assign_allocate_write(run, candidates, allocated)
        if run.written_first:
            self.env["crm.lead"].browse(run.written_first)._lt_refresh_leads()  # member domains read the flag
            self.env.cr.execute(SQL(
                "%s AND l.id = ANY(%s)", self._lt_assign_candidate_select(), [row.id for row in candidates]
            ))
            fresh = [LtCandidate(*row) for row in self.env.cr.fetchall()]
        else:  # only the team and the probability changed: no need to read the rows again
            fresh = [
                row._replace(team_id=allocated.get(row.id, row.team_id),
                             probability=probabilities.get(row.id, row.probability))
                for row in candidates
            ]
        return sorted(fresh, key=lambda row: (-row.probability, row.create_date, row.id))

    def _lt_assign_allocate_write(self, run, candidates, allocated):
        """crm's probability of each allocated lead in its new team, and the writes it needs before the
        salespeople are chosen: none where member domains read at most what the new team changes in
        the columns (the team, the probability and the tier go with the salesperson, in one UPDATE;
        the domains that read them are matched on those values, see ``_lt_assign_overlay``); one
        UPDATE of team, probability and tier for the teams whose domains read the quality flag; a
        lead without a stage gets its team and the team's first stage (one of naive Bayes'
        variables) before crm reads it. Returns {lead id: its probability now}."""
        Lead = self.env["crm.lead"]
        stageless = {row.id for row in candidates if row.stageless and row.id in allocated}
        first = {lid: allocated[lid] for lid in stageless}
        probabilities = {}
        if first:
            self._lt_assign_write_teams(run, first)
            probabilities = Lead._lt_assign_update_probabilities(list(first))
        rest = {lid: tid for lid, tid in allocated.items() if lid not in stageless}
        computed = Lead._lt_assign_update_probabilities(list(rest), teams=rest) if rest else {}
        first_teams = self._lt_assign_teams_reading(run, LT_WRITTEN_FIRST_FIELDS)
        early = {lid: tid for lid, tid in rest.items() if tid in first_teams}
        if early:
            self._lt_assign_write_teams(run, early, computed)
        run.written_first = early
        reading = self._lt_assign_teams_reading(run, LT_TEAM_DEPENDENT_FIELDS)
        run.overlaid = {lid: tid for lid, tid in rest.items() if tid in reading and lid not in early}
        run.probabilities = {lid: values for lid, values in computed.items() if lid not in early}
        probabilities.update({lid: probability for lid, (_automated, probability) in computed.items()})
        return probabilities

    @api.model
    def _lt_assign_teams_reading(self, run, names):
        """Teams where a member's (or preferred) domain reads one of the fields ``names``."""
        return {
            run.members[mid].team_id
            for domains in (run.member_domains, run.preferred_domains)
            for mid, text in domains.items()
            if mid in run.members and any(name in (text or "") for name in names)
        }

    @api.model
    def _lt_assign_team_set_clause(self):
        """``_lt_assign_team_sets`` as the SET clause of an UPDATE of crm_lead ``l``."""
        return SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value) for name, value in self._lt_assign_team_sets().items()
        )

    @api.model
    def _lt_assign_team_sets(self):
        """{column: SQL} of what a lead's new team changes, over the lead ``l``, the run's values ``v``
        (``team_id``, ``stage_id``: the team's first, ``automated``, ``probability``: crm's probability
        in the team, NULL when it did not change), the team ``t`` and the company ``c``: the team,
        company, stage when missing, probability and tier. Shared by the assignment UPDATEs and the
        rows member domains are matched on before they are written."""
        probability = SQL("CASE WHEN v.automated IS NULL THEN l.probability ELSE v.probability END")
        return {
            "team_id": SQL("v.team_id"),
            "company_id": SQL("COALESCE(t.company_id, l.company_id)"),
            "stage_id": SQL("COALESCE(l.stage_id, NULLIF(v.stage_id, 0))"),
            "automated_probability": SQL("COALESCE(v.automated, l.automated_probability)"),
            "probability": probability,
            "score_tier": self.env["crm.lead"]._lt_tier_sql(probability),
        }

    def _lt_assign_team_source(self, run, allocated, probabilities):
        """The FROM items and WHERE (over crm_lead ``l``) of ``_lt_assign_team_sets`` for the leads
        ``allocated`` ({lead id: team id}; ``probabilities``: {lead id: (automated, probability)})."""
        stages = self._lt_assign_stages(run, allocated.values())
        return SQL(
            """unnest(%(ids)s::int[], %(teams)s::int[], %(stages)s::int[], %(automated)s::float8[],
                      %(probabilities)s::float8[]) AS v(id, team_id, stage_id, automated, probability)
               JOIN crm_team t ON t.id = v.team_id, res_company c
              WHERE l.id = v.id AND c.id = COALESCE(t.company_id, l.company_id, %(company)s)""",
            company=self.env.company.id, ids=list(allocated), teams=list(allocated.values()),
            stages=[stages[team_id] for team_id in allocated.values()],
            automated=[probabilities.get(lid, (None, None))[0] for lid in allocated],
            probabilities=[probabilities.get(lid, (None, None))[1] for lid in allocated],
        )

    def _lt_assign_write_teams(self, run, allocated, probabilities=None):
        """Team, company and (when missing) first stage of newly allocated leads, and with
        ``probabilities`` ({lead id: (automated, probability)}) crm's probability in the team and its
        tier, in one UPDATE."""
        self.env.cr.execute(SQL(
            "UPDATE crm_lead l SET %s, write_uid = %s, write_date = %s FROM %s",
            self._lt_assign_team_set_clause(), self.env.uid, run.now,
            self._lt_assign_team_source(run, allocated, probabilities or {}),
        ))
        self.env["crm.lead"].invalidate_model()

    def _lt_assign_overlay(self, run, allocated):
        """SQL of the rows of the leads ``allocated`` ({lead id: team id}) as the run will write them:
        every column of crm_lead, those the new team changes replaced by the values to be written, so
        that member domains see the team, probability and tier a lead will have without a write."""
        sets = self._lt_assign_team_sets()
        Lead = self.env["crm.lead"]
        columns = [SQL("l.%s", SQL.identifier(name)) for name, field in Lead._fields.items()
                   if field.store and field.column_type and name not in sets]
        columns += [SQL("%s AS %s", value, SQL.identifier(name)) for name, value in sets.items()]
        return SQL("SELECT %s FROM crm_lead l, %s", SQL(", ").join(columns),
                   self._lt_assign_team_source(run, allocated, run.probabilities))

    def _lt_assign_member_matches(self, run, lead_ids):
        """The members' (and preferred) domains matched on the candidates ``lead_ids``, the leads of
        ``run.overlaid`` on the values the run will write with their new team."""
        domains = self._lt_assign_member_domains(run)
        overlaid = {lid: run.overlaid[lid] for lid in lead_ids if lid in run.overlaid}
        if not overlaid:
            return self._lt_assign_matches(domains, lead_ids)
        matches = self._lt_assign_matches(domains, [lid for lid in lead_ids if lid not in overlaid])
        seen = self._lt_assign_matches(domains, list(overlaid), rows=self._lt_assign_overlay(run, overlaid))
        for key, found in seen.items():
            if matches[key] is not None:
                matches[key] |= found
        return matches

    def _lt_assign_stages(self, run, team_ids):
        """{team id: id of the first unfolded stage a lead of the team gets (0: none)}."""
        for tid in set(team_ids) - set(run.stages):
            run.stages[tid] = self._lt_assign_first_stage(tid)
        return run.stages

    @api.model
    @tools.ormcache("team_id")
    def _lt_assign_first_stage(self, team_id):
        """crm's first unfolded stage for a team's leads (cached: stages change seldom, see crm.stage)."""
        return self.env["crm.lead"].sudo()._stage_find(team_id=team_id, domain=[("fold", "=", False)]).id or 0

    # -- groups the planner works on --
    def _lt_assign_plan(self, run, candidates, matches=None):
        """The planner's decisions for these candidates (see :mod:`.assignment_planner`)."""
        groups = self._lt_assign_groups(run, candidates, matches)
        return plan_assignment(run.members.values(), run.teams.values(), groups)

    @api.model
    def _lt_assign_member_domains(self, run):
        """The members' domains (key ("m", member id)) and non-empty preferred domains (("p", member id))."""
        domains = {("m", mid): text for mid, text in run.member_domains.items()}
        domains.update({("p", mid): text for mid, text in run.preferred_domains.items() if lt_assign_domain(text)})
        return domains

    def _lt_assign_groups(self, run, candidates, matches=None):
        """Candidate groups for the planner, hottest first: leads of one customer or email (in the
        same pool: team-less, or one team, opened or not) go to one salesperson together. ``matches``:
        what ``_lt_assign_matches`` found for ``_lt_assign_member_domains`` (read when not given)."""
        lead_ids = [row.id for row in candidates]
        if matches is None:
            matches = self._lt_assign_member_matches(run, lead_ids)
        matches = {**{("t", tid): found for tid, found in run.team_match.items()}, **matches}
        keys_of = self._lt_assign_signatures(lead_ids, matches)
        with_room = {mid for mid, slot in run.members.items() if slot.room > 0}
        shapes = {}  # groups of one signature, team and openness share everything but their leads
        groups = []
        for rows in self._lt_assign_cluster(candidates):
            ids = tuple(row.id for row in rows)
            head = rows[0]
            keys = keys_of[ids[0]]
            for lead_id in ids[1:]:
                keys = keys & keys_of[lead_id]  # a domain takes the group when it matches every lead
            shape = (keys, head.team_id, head.open)
            if shape not in shapes:
                shapes[shape] = self._lt_assign_group_shape(run, keys, head.team_id, head.open, with_room)
            teams, eligible, matched_teams, preferred = shapes[shape]
            groups.append(CandidateGroup(
                lead_ids=ids,
                quality=tuple(row.quality for row in rows),
                teams=teams,
                members=eligible,
                matched_teams=matched_teams,
                fixed_team=head.team_id or 0,
                open=head.open,
                preferred=preferred,
            ))
        return groups

    @api.model
    def _lt_assign_signatures(self, lead_ids, matches):
        """{lead id: the keys of ``matches`` ({key: ids its domain matches, None: every lead}) whose
        domain matches the lead}. The leads are split into classes one domain at a time with set
        operations: a handful of classes, whatever the number of leads."""
        every = frozenset(key for key, found in matches.items() if found is None)
        classes = [(set(lead_ids), every)]
        for key, found in matches.items():
            if found is None:
                continue
            split = []
            for members, keys in classes:
                inside = members & found
                if inside:
                    split.append((inside, keys | {key}))
                if len(inside) < len(members):
                    split.append((members - inside, keys))
            classes = split
        return {lead_id: keys for members, keys in classes for lead_id in members}

    @api.model
    def _lt_assign_group_shape(self, run, keys, team_id, open_, with_room):
        """(teams, eligible members, teams with a matching member, members whose preferred domain
        claims it) of a group the domains ``keys`` match: ("t", team), ("m", member), ("p", member)."""
        if team_id:
            teams = (team_id,)
        else:
            teams = tuple(tid for tid in run.team_match if run.teams[tid].capacity and ("t", tid) in keys)
        matched = [mid for tid in teams for mid in run.teams[tid].member_ids if ("m", mid) in keys]
        eligible = frozenset(mid for mid in matched if mid in with_room) if open_ else frozenset()
        return (
            teams, eligible, frozenset(run.members[mid].team_id for mid in matched),
            frozenset(mid for mid in eligible if ("p", mid) in keys),
        )

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
        stages = self._lt_assign_stages(run, {row[1] for row in rows})
        subtype_ids = list(self.env["mail.message.subtype"]._default_subtypes("crm.lead")[0])
        preview = self.env.context.get("lt_assign_preview")
        # all or nothing per lead; new leads are assigned inside the transaction that creates them
        with cr.savepoint() if run.only is None else contextlib.nullcontext():
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                self._lt_assign_write_batch(batch, stages, run.now, run.probabilities)
                self._lt_assign_subscribe(batch, subtype_ids)
                if not preview:
                    self._lt_assign_track(run, batch)
            if run.only is None:
                self._lt_assign_store_carries(run)
        # only what the SQL above wrote: users, teams and members read so far stay in the cache
        self.env["crm.lead"].invalidate_model()
        if run.only is None:
            self.env["crm.team.member"].invalidate_model(["lt_assign_carry"])
        self.env["mail.followers"].invalidate_model()
        self.env["mail.message"].invalidate_model()
        if rows:  # leads being assigned are never closed: no closing score to backfill
            written = {row[0] for row in rows}
            customers = any(row.partner_id for row in run.candidates if row.id in written)
            self.env["crm.lead"].browse([row[0] for row in rows])._lt_refresh_leads(lifecycle=customers)
        run.written = rows

    def _lt_assign_write_batch(self, batch, stages, now, probabilities):
        """Team, salesperson, reason, stage, conversion, (for the leads whose team was not written
        before) crm's probability, and the tier, of a batch of planned leads, in one UPDATE (the
        refresh after it then rewrites only the leads whose quality changed)."""
        self.env.cr.execute(SQL(
            """UPDATE crm_lead l
                  SET %(team)s,
                      assignment_reason = v.reason,
                      user_id = NULLIF(v.user_id, 0),
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
                             %(stages)s::int[], %(automated)s::float8[], %(probabilities)s::float8[])
                      AS v(id, team_id, user_id, reason, stage_id, automated, probability)
                 JOIN crm_team t ON t.id = v.team_id, res_company c
                WHERE l.id = v.id AND c.id = COALESCE(t.company_id, l.company_id, %(company)s)""",
            team=self._lt_assign_team_set_clause(),
            company=self.env.company.id,
            automated=[probabilities.get(row[0], (None, None))[0] for row in batch],
            probabilities=[probabilities.get(row[0], (None, None))[1] for row in batch],
            now=now,
            uid=self.env.uid,
            ids=[row[0] for row in batch],
            teams=[row[1] for row in batch],
            users=[row[2] for row in batch],
            reasons=[row[3] for row in batch],
            stages=[stages[row[1]] for row in batch],
        ))

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

    def _lt_assign_track(self, run, batch):
        """The lead's chatter tells the story as an ORM write would: one note per lead with the
        assignment reason and the Salesperson and Sales Team tracking values, inserted in bulk."""
        field_ids = {name: self.env["ir.model.fields"]._get("crm.lead", name).id for name in ("user_id", "team_id")}
        assignees = self.env["res.users"].browse({row[2] for row in batch if row[2]})
        users = {user.id: user.display_name for user in assignees}
        teams = {team.id: team.display_name for team in self.browse({row[1] for row in batch})}
        author = self.env.user.partner_id
        message_ids = [tools.generate_tracking_message_id(f"crm.lead-{row[0]}") for row in batch]
        self.env.cr.execute(
            """WITH message AS (
                   INSERT INTO mail_message (model, res_id, record_name, record_company_id, message_type, subtype_id,
                                             author_id, email_from, body, date, message_id, is_internal,
                                             create_uid, create_date, write_uid, write_date)
                   SELECT 'crm.lead', v.id, l.name, l.company_id, 'notification', %(subtype)s,
                          %(author)s, %(email)s, v.body, %(now)s, v.message_id, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM unnest(%(ids)s::int[], %(bodies)s::text[], %(message_ids)s::text[]) AS v(id, body, message_id)
                     JOIN crm_lead l ON l.id = v.id
                RETURNING id, res_id)
               INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_integer, old_value_char,
                                                new_value_integer, new_value_char,
                                                create_uid, create_date, write_uid, write_date)
               SELECT message.id, t.field_id, NULLIF(t.old_id, 0), t.old_name, NULLIF(t.new_id, 0), t.new_name,
                      %(uid)s, %(now)s, %(uid)s, %(now)s
                 FROM message
                 JOIN unnest(%(track_ids)s::int[], %(track_fields)s::int[], %(old_ids)s::int[], %(old_names)s::text[],
                             %(new_ids)s::int[], %(new_names)s::text[])
                      AS t(lead_id, field_id, old_id, old_name, new_id, new_name) ON t.lead_id = message.res_id""",
            {
                "subtype": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                "author": author.id, "email": author.email_formatted,
                "now": run.now, "uid": self.env.uid, "ids": [row[0] for row in batch],
                "bodies": [str(Markup("<p>%s</p>") % row[3]) for row in batch], "message_ids": message_ids,
                **self._lt_assign_tracking_values(run, batch, field_ids, users, teams),
            },
        )
        self.env["crm.lead"].invalidate_model(["message_ids"])

    @api.model
    def _lt_assign_tracking_values(self, run, batch, field_ids, users, teams):
        """Columns of the Salesperson and Sales Team tracking values (only what changed)."""
        columns = {key: [] for key in ("track_ids", "track_fields", "old_ids", "old_names", "new_ids", "new_names")}

        def add(lead_id, field, old_id, old_name, new_id, new_name):
            values = (lead_id, field_ids[field], old_id, old_name, new_id, new_name)
            for key, value in zip(columns, values, strict=True):
                columns[key].append(value)

        for lead_id, team_id, user_id, _reason in batch:
            if user_id:
                add(lead_id, "user_id", 0, "", user_id, users[user_id])
            old_team = run.original_teams.get(lead_id, 0)
            if old_team != team_id:
                add(lead_id, "team_id", old_team, teams.get(old_team, "") if old_team else "", team_id, teams[team_id])
        return columns

    def _lt_assign_notify(self, summary):
        """One message per salesperson who received leads (Odoo's inbox, or email per their
        preference): how many, up to 20 of them with links, the quality ones marked."""
        by_user = {}
        for team in summary["teams"]:
            for member in team["members"]:
                if member["lead_ids"]:
                    by_user.setdefault(member["user_id"], (team["team_id"], []))[1].extend(member["lead_ids"])
        for user_id, (team_id, lead_ids) in by_user.items():
            user = self.env["res.users"].browse(user_id)
            team = self.browse(team_id).with_context(lang=user.lang)
            leads = self.env["crm.lead"].browse(lead_ids[:LT_DIGEST_LEADS])
            body = self.env["ir.qweb"]._render("lead_tracking.lt_assignment_digest", {
                "leads": leads, "count": len(lead_ids), "more": len(lead_ids) - len(leads),
                "base_url": team.get_base_url(),
            })
            team.message_notify(
                partner_ids=user.partner_id.ids,
                subject=_("%(count)s new leads for you", count=len(lead_ids)),
                body=body,
                email_layout_xmlid="mail.mail_notification_light",
                force_send=False,  # queued: a run never waits for a mail server
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

    @api.model
    def _lt_assign_reason_patterns(self):
        """The reasons' sentences, translated once per run (a lookup per lead adds up at 20,000)."""
        return {
            "fixed": _("Team %(team)s (already in team)"),
            "no_domain": _("Team %(team)s (no domain)"),
            "matched": _("Team %(team)s (domain matched)"),
            "waiting": _("%(team)s: no salesperson yet, %(why)s"),
            QUALITY_SHARE: _("lowest quality share, %(quality)s of %(capacity)s"),
            "unlimited": _("in rotation without a limit, %(done)s this run"),
            QUOTA_LEFT: _("most quota left, %(done)s of %(quota)s this run"),
            PREFERRED: _("preferred domain, %(done)s this run"),
            "customer": _("%(team)s → %(user)s: same customer as lead %(lead)s"),
            "member": _("%(team)s → %(user)s: %(why)s"),
            "labels": self._lt_assign_reason_labels(),
        }

    def _lt_assign_team_label(self, run, team_id, fixed):
        key = (team_id, fixed)
        if key not in run.team_labels:
            matched = fixed or lt_assign_domain(run.team_domains[team_id])
            pattern = "fixed" if fixed else "matched" if matched else "no_domain"
            run.team_labels[key] = run.patterns[pattern] % {"team": run.team_names[team_id]}
        return run.team_labels[key]

    def _lt_assign_reason(self, run, decision):
        """The Assignment Reason written on a lead, in words."""
        if run.patterns is None:
            run.patterns = self._lt_assign_reason_patterns()
        texts = run.patterns
        team = self._lt_assign_team_label(run, decision.team_id, decision.lead_id in run.fixed_leads)
        if not decision.member_id:
            return texts["waiting"] % {"team": team, "why": texts["labels"][decision.reason]}
        member = run.members[decision.member_id]
        user = run.member_names[member.member_id]
        if decision.reason == QUALITY_SHARE:
            why = texts[QUALITY_SHARE] % {"quality": decision.quality_share, "capacity": member.capacity}
        elif decision.reason == QUOTA_LEFT and member.unlimited:
            why = texts["unlimited"] % {"done": decision.done}
        elif decision.reason == QUOTA_LEFT:
            why = texts[QUOTA_LEFT] % {"done": decision.done, "quota": member.quota}
        elif decision.reason == PREFERRED:
            why = texts[PREFERRED] % {"done": decision.done}
        else:
            return texts["customer"] % {"team": team, "user": user, "lead": decision.head_id}
        return texts["member"] % {"team": team, "user": user, "why": why}

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
        summary["sample"] = self._lt_assign_sample(run) if run.only is None else []
        for team_id, team_slot in run.teams.items():
            members = [run.members[mid] for mid in team_slot.member_ids]
            assigned = sum(slot.assigned for slot in members)
            summary["teams"].append({
                "team_id": team_id, "name": run.team_names[team_id],
                "assigned": assigned, "allocated": allocated[team_id], **by_team[team_id],
                "members": [{
                    "member_id": slot.member_id, "user_id": slot.user_id, "name": run.member_names[slot.member_id],
                    "assigned": slot.assigned, "quality": slot.quality_assigned, "quota": slot.quota,
                    "unlimited": slot.unlimited,
                    "lead_ids": by_member[slot.member_id],
                } for slot in members],
            })
            summary["assigned"] += assigned
            summary["allocated"] += allocated[team_id]
        return summary

    def _lt_assign_sample(self, run):
        """The first leads of the plan (hottest first) with where they go and why, for people to read."""
        decisions = run.plan.decisions[:LT_SAMPLE_LEADS] if run.plan else []
        names = {lead.id: lead.name for lead in self.env["crm.lead"].browse([d.lead_id for d in decisions]).exists()}
        return [
            {
                "lead_id": d.lead_id,
                "name": names.get(d.lead_id, ""),
                "team_id": d.team_id,
                "user_id": d.member_id and run.members[d.member_id].user_id,
                "reason": self._lt_assign_reason(run, d) if d.team_id else self._lt_assign_reason_labels()[d.reason],
            }
            for d in decisions
        ]

    @api.model
    def _lt_assign_summary_merges(self, run, by_team):
        """File each merge under the team its head ended in (else the first team of the run)."""
        if not run.merges:
            return
        heads = self.env["crm.lead"].browse([merge[0] for merge in run.merges]).exists()
        head_teams = {lead.id: lead.team_id.id for lead in heads}
        merged_heads = set()
        for head_id, _candidate_ids, tail_ids in run.merges:
            team_id = head_teams.get(head_id) if head_teams.get(head_id) in by_team else next(iter(by_team))
            by_team[team_id]["merged_ids"].append(head_id)
            by_team[team_id]["duplicate_ids"].extend(tail_ids)
            merged_heads.add(head_id)
        for rows in by_team.values():  # a head counts as merged, not as a lead the team received
            rows["lead_ids"] = [lead_id for lead_id in rows["lead_ids"] if lead_id not in merged_heads]

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
            lines.append(_("%(team)s: %(count)s assigned", team=team["name"], count=team["assigned"]))
            lines.extend(
                _("• %(name)s: %(count)s (%(quality)s quality, no limit)", name=m["name"], count=m["assigned"],
                  quality=m["quality"])
                if m.get("unlimited") else
                _("• %(name)s: %(count)s (%(quality)s quality, quota %(quota)s)", name=m["name"], count=m["assigned"],
                  quality=m["quality"], quota=m["quota"])
                for m in team["members"]
            )
        if summary.get("busy"):
            lines.append(_("Another assignment run is in progress: it takes the waiting leads, or the next run will."))
        labels = self._lt_assign_reason_labels()
        left = [
            _("%(count)s %(reason)s", count=summary["unassigned"][key], reason=labels[key])
            for key in UNASSIGNED_REASONS
            if summary["unassigned"][key]
        ]
        if left:
            lines.append(_("Left without salesperson: %(details)s.", details=", ".join(left)))
        return lines
