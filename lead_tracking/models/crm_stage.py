from odoo import api, models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    # Rule-based assignment caches each team's first stage (crm.team._lt_assign_first_stage).
    @api.model_create_multi
    def create(self, vals_list):
        stages = super().create(vals_list)
        self.env.registry.clear_cache()
        return stages

    def write(self, vals):
        won_changed = "is_won" in vals and any(stage.is_won != bool(vals["is_won"]) for stage in self)
        res = super().write(vals)
        if {"sequence", "fold", "team_id", "active"} & set(vals):
            self.env.registry.clear_cache()
        if won_changed:
            # The report summaries keep each lead's status (won or not) and the unattended report leaves
            # won leads out: a stage that becomes won, or stops being won, moves its leads in both.
            self.env["lt.lead.report.mixin"]._lt_report_rebuild_summaries()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
