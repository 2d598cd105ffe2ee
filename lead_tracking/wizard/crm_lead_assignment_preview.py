from odoo import _, api, fields, models


class CrmLeadAssignmentPreview(models.TransientModel):
    """What the next rule-based assignment run would do, computed by the run's own code, written nowhere."""

    _name = "crm.lead.assignment.preview"
    _description = "Lead Assignment Preview"

    team_ids = fields.Many2many("crm.team", string="Sales Teams", readonly=True)
    work_days = fields.Float(digits=(16, 2), readonly=True)
    assigned = fields.Integer(string="To Salespeople", readonly=True)
    allocated = fields.Integer(string="To a Team Only", readonly=True)
    merged = fields.Integer(string="Duplicates to Merge", readonly=True)
    unassigned_no_team = fields.Integer(string="No Team Domain Matches", readonly=True)
    unassigned_optout = fields.Integer(string="Every Member Opted Out", readonly=True)
    unassigned_no_member_domain = fields.Integer(string="No Member Domain Matches", readonly=True)
    unassigned_capacity = fields.Integer(string="Every Member at Capacity", readonly=True)
    unassigned = fields.Integer(string="Left without Salesperson", readonly=True)
    line_ids = fields.One2many("crm.lead.assignment.preview.line", "preview_id", readonly=True)
    sample_ids = fields.One2many("crm.lead.assignment.preview.sample", "preview_id", readonly=True)

    @api.model
    def _lt_open(self, teams, work_days):
        """Compute the preview of ``teams`` and open it."""
        summary = teams.preview_assign_leads(work_days=work_days)
        unassigned = summary["unassigned"]
        preview = self.create({
            "team_ids": [(6, 0, teams.ids)],
            "work_days": work_days,
            "assigned": summary["assigned"],
            "allocated": summary["allocated"],
            "merged": summary["duplicates"],
            "unassigned_no_team": unassigned["no_team"],
            "unassigned_optout": unassigned["optout"],
            "unassigned_no_member_domain": unassigned["no_member_domain"],
            "unassigned_capacity": unassigned["capacity"],
            "unassigned": sum(unassigned.values()),
            "line_ids": [
                (0, 0, {"team_id": team["team_id"], "user_id": member["user_id"], "assigned": member["assigned"],
                        "quality": member["quality"], "quota": member["quota"]})
                for team in summary["teams"] for member in team["members"]
            ],
            "sample_ids": [
                (0, 0, {"lead_id": row["lead_id"], "name": row["name"], "team_id": row["team_id"] or False,
                        "user_id": row["user_id"] or False, "reason": row["reason"]})
                for row in summary["sample"]
            ],
        })
        return {
            "type": "ir.actions.act_window",
            "name": _("Preview Assignment"),
            "res_model": self._name,
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_assign_now(self):
        """Run the assignment the preview describes."""
        self.ensure_one()
        return self.team_ids.action_assign_leads(work_days=self.work_days)


class CrmLeadAssignmentPreviewLine(models.TransientModel):
    _name = "crm.lead.assignment.preview.line"
    _description = "Lead Assignment Preview: Salesperson"

    preview_id = fields.Many2one("crm.lead.assignment.preview", required=True, ondelete="cascade")
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    assigned = fields.Integer(string="Leads to Receive", readonly=True)
    quality = fields.Integer(string="Quality Leads", readonly=True)
    quota = fields.Integer(readonly=True)


class CrmLeadAssignmentPreviewSample(models.TransientModel):
    _name = "crm.lead.assignment.preview.sample"
    _description = "Lead Assignment Preview: Lead"

    preview_id = fields.Many2one("crm.lead.assignment.preview", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", readonly=True)
    name = fields.Char(readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    reason = fields.Char(readonly=True)
