# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.tools import SQL

# Leads per naive Bayes computation: the ORM reads their values in memory.
LT_PLS_BATCH = 5000

# crm's compute: the probability follows the automated one (v.probability, new) unless someone set it
# by hand (it differs from the automated one, old), and an archived lead keeps its own.
LT_FOLLOWED_PROBABILITY = SQL(
    "CASE WHEN l.active AND (l.probability IS NULL OR ROUND(l.probability::numeric, 2)"
    " = ROUND(COALESCE(l.automated_probability, 0)::numeric, 2)) THEN v.probability ELSE l.probability END"
)


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
    def _lt_assign_update_probabilities(self, lead_ids, teams=None):
        """crm's automated probability of leads whose team or stage an assignment wrote in SQL.

        An ORM write of the team recomputes it (the team is one of naive Bayes' variables): the
        values come from crm's own computation over the leads in batches, and the probability follows
        unless it was set by hand, as in crm's compute. Returns {lead id: its probability now} for the
        leads whose automated probability changed.

        ``teams`` ({lead id: team id}): compute as if the leads were in these teams, and write nothing
        (the assignment writes them with the salesperson); returns {lead id: (automated probability,
        probability)} then."""
        probabilities = {}
        leads = self.with_context(lt_pls_teams=teams) if teams else self
        for start in range(0, len(lead_ids), LT_PLS_BATCH):
            batch = leads.browse(lead_ids[start:start + LT_PLS_BATCH])
            probabilities.update(batch._pls_get_naive_bayes_probabilities())
        if not probabilities:
            return {}
        if teams:
            return self._lt_assign_followed_probabilities(probabilities)
        self.env.cr.execute(
            SQL("""UPDATE crm_lead l
                      SET automated_probability = v.probability, probability = %s
                     FROM unnest(%s::int[], %s::float8[]) AS v(id, probability)
                    WHERE l.id = v.id AND l.automated_probability IS DISTINCT FROM v.probability
                RETURNING l.id, COALESCE(l.probability, 0)""",
                LT_FOLLOWED_PROBABILITY, list(probabilities), list(probabilities.values())),
        )
        changed = dict(self.env.cr.fetchall())
        self.invalidate_model(["automated_probability", "probability"])
        return changed

    @api.model
    def _lt_assign_followed_probabilities(self, probabilities):
        """{lead id: (automated, probability)} for the leads whose automated probability changes: the
        probability follows it as LT_FOLLOWED_PROBABILITY says, read without writing."""
        self.env.cr.execute(
            SQL("""SELECT l.id, v.probability, %s
                     FROM crm_lead l JOIN unnest(%s::int[], %s::float8[]) AS v(id, probability) ON v.id = l.id
                    WHERE l.automated_probability IS DISTINCT FROM v.probability""",
                LT_FOLLOWED_PROBABILITY, list(probabilities), list(probabilities.values())),
        )
        return {lead_id: (automated, probability) for lead_id, automated, probability in self.env.cr.fetchall()}

    def _pls_get_lead_pls_values(self, domain=None):
        values = super()._pls_get_lead_pls_values(domain=domain or [])
        teams = self.env.context.get("lt_pls_teams")
        if teams:  # leads an assignment is about to put in these teams
            for lead_id, data in values.items():
                if lead_id in teams:
                    data["team_id"] = teams[lead_id]
        return values
