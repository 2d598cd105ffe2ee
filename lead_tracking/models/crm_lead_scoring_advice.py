# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
from odoo import _, api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from . import pls_advisor

# crm's optional scoring variables (Settings > Predictive Lead Scoring > Update Probabilities), as the
# frequency table names them.
LT_PLS_OPTIONAL = ("state_id", "country_id", "phone_state", "email_state", "source_id", "lang_id", "tag_id")
# Variables whose empty value crm still counts (as "False").
LT_PLS_EMPTY_COUNTED = ("phone_state", "email_state")
LT_ADVICE_TEST_SHARE = 0.2  # the most recent fifth of the closed leads is scored...
LT_ADVICE_TEST_MAX = 50000  # ...at most this many: plenty to tell variables apart


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def get_pls_variable_advice(self):
        """Which of crm's optional scoring variables help on this company's own closed leads.

        The naive Bayes is learnt from the leads closed since the scoring start date except the most
        recent ones, which it then scores, for each variable with it and without it (the others as
        configured now). :return: [{"variable", "in_use", "log_loss_with", "log_loss_without",
        "brier_with", "brier_without", "auc_with", "auc_without", "recommended"}], one per optional
        variable; "recommended" follows a greedy choice that adds the variable lowering the log-loss
        most while it lowers it by more than half a percent."""
        if not self.env.su and not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only sales managers can analyse the scoring variables."))
        freq, test = self._lt_advice_data()
        current = tuple(self._lt_pls_current_variables())
        evaluator = pls_advisor.Evaluator(freq, test, LT_PLS_OPTIONAL)
        recommended = pls_advisor.recommend(lambda variables: evaluator.score(variables)["log_loss"], LT_PLS_OPTIONAL)
        advice = []
        for variable in LT_PLS_OPTIONAL:
            with_it = evaluator.score(tuple({*current, variable}))
            without = evaluator.score(tuple(v for v in current if v != variable))
            advice.append({
                "variable": variable, "in_use": variable in current,
                "log_loss_with": with_it["log_loss"], "log_loss_without": without["log_loss"],
                "brier_with": with_it["brier"], "brier_without": without["brier"],
                "auc_with": with_it["auc"], "auc_without": without["auc"],
                "recommended": variable in recommended, "test_leads": with_it["count"],
            })
        return advice

    @api.model
    def _lt_pls_current_variables(self):
        names = self._pls_get_safe_fields()
        return ["tag_id" if name == "tag_ids" else name for name in names if name != "stage_id"]

    @api.model
    def _lt_advice_data(self):
        """(frequencies learnt from the earlier closed leads, the recent ones [(team, values, won)])."""
        self.env.flush_all()
        start = self._pls_get_safe_start_date() or "1970-01-01"
        cr = self.env.cr
        # the split is the first recent lead, (closing time, id): ties in time split too
        cr.execute(SQL(
            """WITH c AS MATERIALIZED (%s)
               SELECT closed_on, id FROM c ORDER BY closed_on, id
               OFFSET (SELECT floor(COUNT(*) * %s)::int FROM c) LIMIT 1""",
            self._lt_advice_closed(start), 1 - LT_ADVICE_TEST_SHARE,
        ))
        split = cr.fetchone()
        if split is None:
            return pls_advisor.Frequencies(), []
        freq = self._lt_advice_frequencies(start, split)
        return freq, self._lt_advice_test_leads(start, split)

    @api.model
    def _lt_advice_frequencies(self, start, split):
        """crm's frequencies as they would be learnt from the leads closed from ``start`` until
        ``split`` (closing time, lead id), that lead excluded."""
        self.env.cr.execute(self._lt_advice_counts_query(start, split))
        freq = pls_advisor.Frequencies()
        for variable, team, value, won, lost in self.env.cr.fetchall():
            if variable == "":
                freq.add_prior(team, won, lost)
            else:
                freq.add(team, variable, value, won, lost)
        return freq

    @api.model
    def _lt_advice_closed(self, start):
        """The leads closed since ``start``, as crm counts them: won at 100 %, lost when archived at 0 %."""
        columns = SQL(", ").join(SQL.identifier("l", name) for name in LT_PLS_OPTIONAL if name != "tag_id")
        return SQL(
            """SELECT l.id, COALESCE(l.team_id, 0) AS team_id, l.probability = 100 AS won,
                      COALESCE(l.date_closed, l.write_date) AS closed_on, %s
                 FROM crm_lead l
                WHERE l.create_date >= %s AND (l.probability = 100 OR (l.probability = 0 AND NOT l.active))""",
            columns, start,
        )

    @api.model
    def _lt_advice_counts_query(self, start, split):
        """Won and lost counts of the training leads: per team (variable ''), and per team and value of
        each optional variable, in one pass over them."""
        branches = [SQL("SELECT '' AS variable, team_id, '' AS value, COUNT(*) FILTER (WHERE won),"
                        " COUNT(*) FILTER (WHERE NOT won) FROM train GROUP BY team_id")]
        for name in LT_PLS_OPTIONAL:
            if name == "tag_id":
                branches.append(SQL(
                    "SELECT 'tag_id', t.team_id, r.tag_id::text, COUNT(*) FILTER (WHERE t.won),"
                    " COUNT(*) FILTER (WHERE NOT t.won) FROM train t JOIN crm_tag_rel r ON r.lead_id = t.id"
                    " GROUP BY t.team_id, r.tag_id"
                ))
                continue
            value = SQL("COALESCE(%s::text, 'False')", SQL.identifier(name)) if name in LT_PLS_EMPTY_COUNTED \
                else SQL("%s::text", SQL.identifier(name))
            where = SQL("") if name in LT_PLS_EMPTY_COUNTED else SQL("WHERE %s IS NOT NULL", SQL.identifier(name))
            branches.append(SQL(
                "SELECT %s, team_id, %s, COUNT(*) FILTER (WHERE won), COUNT(*) FILTER (WHERE NOT won)"
                " FROM train %s GROUP BY team_id, 3", name, value, where,
            ))
        return SQL(
            "WITH train AS MATERIALIZED (SELECT * FROM (%s) c WHERE (closed_on, id) < (%s, %s)) %s",
            self._lt_advice_closed(start), *split, SQL(" UNION ALL ").join(branches),
        )

    @api.model
    def _lt_advice_test_leads(self, start, split):
        """The recent closed leads the model is scored on: [(team, {variable: [values]}, won)]."""
        names = [name for name in LT_PLS_OPTIONAL if name != "tag_id"]
        self.env.cr.execute(SQL(
            """SELECT c.team_id, c.won, %s,
                      ARRAY(SELECT r.tag_id::text FROM crm_tag_rel r WHERE r.lead_id = c.id)
                 FROM (%s) c WHERE (c.closed_on, c.id) >= (%s, %s) ORDER BY c.closed_on DESC, c.id DESC LIMIT %s""",
            SQL(", ").join(SQL.identifier("c", name) for name in names),
            self._lt_advice_closed(start), *split, LT_ADVICE_TEST_MAX,
        ))
        leads = []
        for row in self.env.cr.fetchall():
            values = {}
            for name, value in zip(names, row[2:-1], strict=True):
                if value is not None and value is not False:
                    values[name] = [str(value)]
                elif name in LT_PLS_EMPTY_COUNTED:
                    values[name] = ["False"]
            values["tag_id"] = row[-1]
            leads.append((row[0], values, row[1]))
        return leads
