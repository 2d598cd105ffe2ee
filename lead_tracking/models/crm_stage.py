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
        res = super().write(vals)
        if {"sequence", "fold", "team_id", "active"} & set(vals):
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
