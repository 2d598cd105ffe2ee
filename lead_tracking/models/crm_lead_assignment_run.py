import datetime
import logging

from odoo import SUPERUSER_ID, _, api, fields, models

_logger = logging.getLogger(__name__)

LT_RUN_TRIGGERS = [
    ("cron", "Scheduled"),
    ("button", "Assign Leads"),
    ("instant", "New leads"),
    ("code", "Other"),
]
LT_RUN_KEEP_DAYS = 90


class CrmLeadAssignmentRun(models.Model):
    """One rule-based assignment run: what it was asked, what it did, or why it failed."""

    _name = "crm.lead.assignment.run"
    _description = "Lead Assignment Run"
    _order = "start desc, id desc"
    _rec_name = "start"

    start = fields.Datetime(required=True, readonly=True, index=True)
    duration = fields.Float(string="Duration (s)", digits=(16, 2), readonly=True)
    trigger = fields.Selection(LT_RUN_TRIGGERS, required=True, readonly=True, default="code")
    user_id = fields.Many2one("res.users", string="Run By", readonly=True, ondelete="set null")
    team_ids = fields.Many2many("crm.team", string="Sales Teams", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, default=lambda self: self.env.company)
    state = fields.Selection([("done", "Done"), ("failed", "Failed")], required=True, readonly=True, default="done")
    error = fields.Text(readonly=True)
    work_days = fields.Float(digits=(16, 2), readonly=True)
    assigned = fields.Integer(string="Assigned to Salespeople", readonly=True)
    allocated = fields.Integer(string="Given to a Team Only", readonly=True)
    merged = fields.Integer(string="Merged Leads", readonly=True, help="Leads that absorbed duplicates.")
    duplicates = fields.Integer(string="Duplicates Removed", readonly=True)
    unassigned_no_team = fields.Integer(string="No Team Domain Matches", readonly=True)
    unassigned_optout = fields.Integer(string="Every Member Opted Out", readonly=True)
    unassigned_no_member_domain = fields.Integer(string="No Member Domain Matches", readonly=True)
    unassigned_capacity = fields.Integer(string="Every Member at Capacity", readonly=True)
    unassigned = fields.Integer(string="Left without Salesperson", readonly=True)
    line_ids = fields.One2many("crm.lead.assignment.run.line", "run_id", string="Salespeople", readonly=True)

    @api.depends("start", "trigger")
    def _compute_display_name(self):
        labels = dict(self._fields["trigger"]._description_selection(self.env))
        for run in self:
            start = fields.Datetime.context_timestamp(run, run.start) if run.start else False
            run.display_name = _("%(trigger)s on %(date)s", trigger=labels.get(run.trigger, ""),
                                  date=start.strftime("%Y-%m-%d %H:%M") if start else "")

    @api.model
    def _lt_values_from_summary(self, summary):
        """Values of a finished run from the engine's summary (see crm.team._lt_assign_summary)."""
        unassigned = summary["unassigned"]
        lines = [
            (0, 0, {"team_id": team["team_id"], "user_id": member["user_id"], "assigned": member["assigned"],
                    "quality": member["quality"], "quota": member["quota"]})
            for team in summary["teams"] for member in team["members"]
        ]
        return {
            "state": "done",
            "work_days": summary["work_days"],
            "assigned": summary["assigned"],
            "allocated": summary["allocated"],
            "merged": summary["merged"],
            "duplicates": summary["duplicates"],
            "unassigned_no_team": unassigned["no_team"],
            "unassigned_optout": unassigned["optout"],
            "unassigned_no_member_domain": unassigned["no_member_domain"],
            "unassigned_capacity": unassigned["capacity"],
            "unassigned": sum(unassigned.values()),
            "team_ids": [(6, 0, [team["team_id"] for team in summary["teams"]])],
            "line_ids": lines,
        }

    @api.model
    def _lt_record_failure(self, values):
        """Keep a failed run from a cursor of its own: the run's transaction is about to be rolled back."""
        try:
            with self.env.registry.cursor() as cr:
                env = self.env(cr=cr, user=SUPERUSER_ID)
                # only what that cursor can see: records made in the failed transaction are not there
                teams = env["crm.team"].browse(values.pop("team_ids")[0][2]).exists()
                user = env["res.users"].browse(values.pop("user_id")).exists()
                env[self._name].create({**values, "team_ids": [(6, 0, teams.ids)], "user_id": user.id})
        except Exception:  # the failure being reported matters more than its record
            _logger.exception("Lead assignment: could not record the failed run")

    @api.model
    def _cron_purge(self):
        """Delete runs older than the number of days set in Settings (``lead_tracking.assign_run_keep_days``)."""
        param = self.env["ir.config_parameter"].sudo().get_param("lead_tracking.assign_run_keep_days")
        days = int(param) if param and param.strip().isdigit() else LT_RUN_KEEP_DAYS
        if days <= 0:
            return
        limit = fields.Datetime.now() - datetime.timedelta(days=days)
        self.sudo().search([("start", "<", limit)]).unlink()


class CrmLeadAssignmentRunLine(models.Model):
    """What one salesperson of one team received in a run."""

    _name = "crm.lead.assignment.run.line"
    _description = "Lead Assignment Run Line"
    _order = "run_id, team_id, assigned desc, id"

    run_id = fields.Many2one("crm.lead.assignment.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id")
    team_id = fields.Many2one("crm.team", string="Sales Team", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Salesperson", ondelete="set null")
    assigned = fields.Integer(string="Leads Received")
    quality = fields.Integer(string="Quality Leads")
    quota = fields.Integer(help="Leads the salesperson could receive in this run.")
