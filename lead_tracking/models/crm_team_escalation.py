# crm.team is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import datetime
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import SQL

from .crm_team_assignment_lock import LT_ASSIGN_WAIT, LtAssignBusy

_logger = logging.getLogger(__name__)

LT_ESCALATION_ACTIONS = [
    ("notify_leader", "Notify the team leader"),
    ("activity", "Schedule an activity for the salesperson"),
    ("notify_manager", "Notify the salesperson's manager"),
    ("reassign", "Reassign to another salesperson"),
]


class CrmTeamEscalationStep(models.Model):
    """After so many working days unattended, do something about a lead (a team's escalation ladder)."""

    _name = "crm.team.escalation.step"
    _description = "Neglected Lead Escalation Step"
    _order = "team_id, days, sequence, id"

    team_id = fields.Many2one("crm.team", string="Sales Team", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="team_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    days = fields.Integer(
        string="After (working days)", required=True, default=3,
        help="Working days (the company's calendar, public holidays excluded) a lead has stayed unattended "
        "since its salesperson last did something on it.",
    )
    action = fields.Selection(LT_ESCALATION_ACTIONS, required=True, default="notify_leader")
    activity_days = fields.Integer(
        string="Activity Deadline (days)", default=1,
        help="For a scheduled activity: the days the salesperson has to do it.",
    )

    _sql_constraints = [
        ("lt_escalation_days_positive", "CHECK(days > 0)", "An escalation step comes after at least one day."),
        ("lt_escalation_activity_days", "CHECK(activity_days >= 0)", "An activity deadline cannot be negative."),
    ]


class CrmLeadEscalation(models.Model):
    """One escalation step done on one lead: each step happens once per period of neglect."""

    _name = "crm.lead.escalation"
    _description = "Neglected Lead Escalation"
    _order = "create_date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    step_id = fields.Many2one("crm.team.escalation.step", ondelete="set null", index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Salesperson", ondelete="set null")
    company_id = fields.Many2one("res.company", index=True)
    action = fields.Selection(LT_ESCALATION_ACTIONS, required=True)
    neglected_since = fields.Datetime(required=True, help="When the period of neglect this step answers began.")
    working_days = fields.Integer(string="Working Days Unattended")
    run_id = fields.Many2one("crm.lead.assignment.run", string="Assignment Run", ondelete="set null", index=True)


class CrmTeam(models.Model):
    """Neglected leads: a ladder of steps per team (notify the leader, an activity, the salesperson's
    manager, reassign), each once per period of neglect, counted in the company's working days."""

    _inherit = "crm.team"

    lt_escalation_step_ids = fields.One2many("crm.team.escalation.step", "team_id", string="Escalation Steps")

    @api.model
    def _lt_escalation_from_reassign_days(self):
        """Upgrade from 17.0.1.0: each team's former reassign_after_days (a column the ORM no longer
        knows) becomes one "reassign" step after as many days."""
        self.env.cr.execute(
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_name = 'crm_team' AND column_name = 'reassign_after_days'"
        )
        if not self.env.cr.fetchone():
            return
        self.env.cr.execute("SELECT id, reassign_after_days FROM crm_team WHERE reassign_after_days > 0")
        self.env["crm.team.escalation.step"].create(
            [{"team_id": team_id, "days": days, "action": "reassign"} for team_id, days in self.env.cr.fetchall()]
        )

    @api.model
    def _lt_escalate_neglected(self, run_id=False):
        """Run the due escalation steps of every team that has some; returns the number of steps done."""
        teams = self.sudo().search([("lt_escalation_step_ids", "!=", False)])
        if not teams:
            return 0
        self.env.flush_all()
        try:  # reassigning moves leads between salespeople: one assignment at a time
            if self._lt_assign_lock(LT_ASSIGN_WAIT["cron"]):
                self._lt_assign_restart()
        except LtAssignBusy:
            _logger.info("Lead assignment: another run is in progress, escalation left to the next run")
            return 0
        now = fields.Datetime.now()
        rows = teams._lt_escalation_candidates()
        due = teams._lt_escalation_due(rows, now)
        done = 0
        for action in ("notify_leader", "activity", "notify_manager", "reassign"):
            moves = [item for item in due if item["step"].action == action]
            if moves:
                getattr(teams, f"_lt_escalate_{action}")(moves, now)
                done += len(moves)
        if due:
            teams._lt_escalation_log(due, run_id)
        _logger.info("Lead assignment: %s escalation steps done", done)
        return done

    def _lt_escalation_candidates(self):
        """Unattended leads of these teams (active, a salesperson, an activity due on or before today plus
        the company's horizon), locked, with when their neglect began: the day they became unattended,
        or the salesperson's last activity, message or stage change on them if later."""
        self.env.cr.execute(self._lt_escalation_candidates_query())
        return self.env.cr.fetchall()

    def _lt_escalation_candidates_query(self):
        # from the activities (one pass over them), not from every lead: most leads have none due
        return SQL(
            """WITH due AS (
                   SELECT a.res_id AS lead_id, MIN(a.date_deadline) AS deadline
                     FROM mail_activity a
                    WHERE a.res_model = 'crm.lead' AND a.active IS NOT FALSE
                 GROUP BY a.res_id)
               SELECT l.id, l.user_id, l.team_id, l.company_id,
                      GREATEST((due.deadline - COALESCE(c.lt_unattended_horizon_days, 0))::timestamp,
                               l.date_open, l.date_last_stage_update, act.last, msg.last) AS since
                 FROM due
                 JOIN crm_lead l ON l.id = due.lead_id
                 LEFT JOIN res_company c ON c.id = l.company_id
                 LEFT JOIN LATERAL (
                       SELECT MAX(a.create_date) AS last FROM mail_activity a
                        WHERE a.res_model = 'crm.lead' AND a.res_id = l.id AND a.create_uid = l.user_id) act ON TRUE
                 LEFT JOIN LATERAL (
                       SELECT MAX(m.date) AS last FROM mail_message m JOIN res_users u ON u.partner_id = m.author_id
                        WHERE m.model = 'crm.lead' AND m.res_id = l.id AND u.id = l.user_id) msg ON TRUE
                WHERE l.active AND l.user_id IS NOT NULL AND l.team_id = ANY(%s)
                  AND due.deadline - COALESCE(c.lt_unattended_horizon_days, 0) <= %s::date
             ORDER BY l.id
                  FOR UPDATE OF l SKIP LOCKED""",
            self.ids, fields.Date.context_today(self),
        )

    def _lt_escalation_due(self, rows, now):
        """The steps due on these leads: [{lead_id, user_id, team_id, company_id, since, days, step}]."""
        steps = defaultdict(list)
        for step in self.lt_escalation_step_ids.sorted(lambda s: (s.days, s.sequence, s.id)):
            steps[step.team_id.id].append(step)
        done = self._lt_escalation_done([row[0] for row in rows])
        working_days = self.env["res.company"]._lt_working_days_between(
            {(row[3], row[4]) for row in rows if row[4]}, now
        )
        due = []
        for lead_id, user_id, team_id, company_id, since in rows:
            if not since:
                continue
            days = working_days[(company_id, since)]
            for step in steps.get(team_id, []):
                if step.days <= days and done.get((lead_id, step.id), datetime.datetime.min) < since:
                    due.append({"lead_id": lead_id, "user_id": user_id, "team_id": team_id, "company_id": company_id,
                                "since": since, "days": days, "step": step})
        return due

    def _lt_escalation_done(self, lead_ids):
        """{(lead, step): start of the neglect its latest escalation answered}: a step comes again only
        after the salesperson reset the clock."""
        if not lead_ids:
            return {}
        self.env.cr.execute(
            """SELECT lead_id, step_id, MAX(neglected_since) FROM crm_lead_escalation
                WHERE lead_id = ANY(%s) AND step_id IS NOT NULL GROUP BY lead_id, step_id""",
            [lead_ids],
        )
        return {(lead_id, step_id): since for lead_id, step_id, since in self.env.cr.fetchall()}

    def _lt_escalation_log(self, due, run_id):
        """Keep each step done (once per period of neglect) and say it in the lead's chatter."""
        labels = dict(self.env["crm.team.escalation.step"]._fields["action"]._description_selection(self.env))
        self.env["crm.lead.escalation"].sudo().create([
            {"lead_id": item["lead_id"], "step_id": item["step"].id, "team_id": item["team_id"],
             "user_id": item["user_id"], "company_id": item["company_id"], "action": item["step"].action,
             "neglected_since": item["since"], "working_days": item["days"], "run_id": run_id}
            for item in due
        ])
        bodies = defaultdict(list)
        for item in due:
            bodies[item["lead_id"]].append(_(
                "Unattended for %(days)s working days: %(action)s.", days=item["days"],
                action=labels[item["step"].action].lower(),
            ))
        self.env["crm.lead"].browse(list(bodies))._message_log_batch(
            bodies={lead_id: Markup("<p>%s</p>") % " ".join(lines) for lead_id, lines in bodies.items()}
        )

    # -- the steps --
    def _lt_escalate_notify_leader(self, due, now):
        self._lt_escalation_notify(due, lambda item: self.browse(item["team_id"]).user_id)

    def _lt_escalate_notify_manager(self, due, now):
        self._lt_escalation_notify(due, lambda item: self._lt_escalation_manager(item))

    def _lt_escalation_manager(self, item):
        """The salesperson's manager: their employee's manager when Employees is installed, else the team leader."""
        user = self.env["res.users"].browse(item["user_id"])
        employees = user.employee_ids if "employee_ids" in user._fields else None
        manager = employees[:1].parent_id.user_id if employees else self.env["res.users"]
        return manager or self.browse(item["team_id"]).user_id

    def _lt_escalation_notify(self, due, recipient):
        """One message per person to tell, naming the neglected leads."""
        by_person = defaultdict(list)
        for item in due:
            person = recipient(item)
            if person:
                by_person[person].append(item)
        Lead = self.env["crm.lead"]
        for person, items in by_person.items():
            leads = Lead.browse([item["lead_id"] for item in items])
            self.browse(items[0]["team_id"]).with_context(lang=person.lang).message_notify(
                partner_ids=person.partner_id.ids,
                subject=_("%(count)s neglected leads", count=len(leads)),
                body=_("These leads have stayed unattended: %(leads)s.", leads=", ".join(leads.mapped("name"))),
                force_send=False,
            )

    def _lt_escalate_activity(self, due, now):
        """A To-Do for the salesperson, due within the step's days; the clock restarts when they do it."""
        by_deadline = defaultdict(list)
        for item in due:
            by_deadline[(item["step"].activity_days, item["user_id"])].append(item["lead_id"])
        today = fields.Date.context_today(self)
        for (days, user_id), lead_ids in by_deadline.items():
            self.env["crm.lead"].browse(lead_ids).activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today + datetime.timedelta(days=days),
                summary=_("Follow up this neglected lead"),
                user_id=user_id,
            )

    def _lt_escalate_reassign(self, due, now):
        rows = [(item["lead_id"], item["user_id"], item["team_id"], item["company_id"]) for item in due]
        days = {item["lead_id"]: item["days"] for item in due}
        plan = self._lt_reassign_plan(rows, now, days)
        if plan:
            with self.env.cr.savepoint():
                self._lt_reassign_write(plan, now)
                self._lt_reassign_notify(plan)
            self.env["crm.lead"].browse([move["lead_id"] for move in plan])._lt_refresh_leads()
