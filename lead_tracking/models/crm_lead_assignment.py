# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models

# Leads per naive Bayes computation: the ORM reads their values in memory.
LT_PLS_BATCH = 5000


class CrmLead(models.Model):
    _inherit = "crm.lead"

    assignment_reason = fields.Char(
        readonly=True,
        copy=False,
        help="Why rule-based assignment gave this lead to its team and salesperson.",
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        if self.env["ir.config_parameter"].sudo().get_param("lead_tracking.assign_on_create"):
            self.env["crm.team"]._lt_assign_new_leads(leads)
        return leads

    @api.model
    def _lt_assign_update_probabilities(self, lead_ids):
        """crm's automated probability of leads whose team or stage an assignment wrote in SQL.

        An ORM write of the team recomputes it (the team is one of naive Bayes' variables): the
        values come from crm's own computation over the leads in batches, and the probability follows
        unless it was set by hand, as in crm's compute. Returns {lead id: its probability now} for the
        leads whose automated probability changed."""
        probabilities = {}
        for start in range(0, len(lead_ids), LT_PLS_BATCH):
            batch = self.browse(lead_ids[start:start + LT_PLS_BATCH])
            probabilities.update(batch._pls_get_naive_bayes_probabilities())
        if not probabilities:
            return {}
        self.env.cr.execute(
            """UPDATE crm_lead l
                  SET automated_probability = v.probability,
                      probability = CASE WHEN l.active AND (l.probability IS NULL
                                              OR ROUND(l.probability::numeric, 2)
                                               = ROUND(COALESCE(l.automated_probability, 0)::numeric, 2))
                                         THEN v.probability ELSE l.probability END
                 FROM unnest(%s::int[], %s::float8[]) AS v(id, probability)
                WHERE l.id = v.id AND l.automated_probability IS DISTINCT FROM v.probability
            RETURNING l.id, COALESCE(l.probability, 0)""",
            [list(probabilities), list(probabilities.values())],
        )
        changed = dict(self.env.cr.fetchall())
        self.invalidate_model(["automated_probability", "probability"])
        return changed
