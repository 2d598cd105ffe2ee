from odoo import api, fields, models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ---- lead intelligence: begin ---------------------------------------------------------
    lifecycle_stage = fields.Selection(
        [("lead", "Lead"), ("prospect", "Prospect"), ("customer", "Customer"),
         ("repeat_customer", "Repeat Customer")],
        readonly=True,
        copy=False,
        index=True,
        help="Of the company (commercial entity), from its leads: repeat customer with two or more won "
        "opportunities, customer with one, prospect with an open opportunity, lead with only leads.",
    )

    def write(self, vals):
        moved = set()
        if "parent_id" in vals or "is_company" in vals:
            moved = set(self.commercial_partner_id.ids)
        res = super().write(vals)
        if moved:
            self._lt_refresh_lifecycle(moved | set(self.ids))
        return res

    @api.model
    def _lt_lifecycle_sql(self, partner_ids=(), lead_ids=None, all_partners=False):
        """(CTEs, UPDATE) recomputing the lifecycle stage of the commercial entities of ``partner_ids``
        and of the customers of ``lead_ids`` (or of every partner), copied to their contacts; None
        when there is nothing to do. Split so that callers can chain it with their own statement."""
        partner_ids = [pid for pid in partner_ids if pid]
        if not (partner_ids or lead_ids or all_partners):
            return None
        if all_partners:
            scope = SQL("SELECT id FROM res_partner WHERE id = commercial_partner_id OR commercial_partner_id IS NULL")
        else:
            scope = SQL(
                "SELECT p.commercial_partner_id FROM res_partner p WHERE p.id = ANY(%s) "
                "UNION SELECT p.commercial_partner_id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id "
                "WHERE l.id = ANY(%s)",
                partner_ids, list(lead_ids or []),
            )
        ctes = SQL(
            """
            lt_scope AS (%s),
            lt_counts AS (
                SELECT p.commercial_partner_id AS id,
                       COUNT(*) FILTER (WHERE l.active AND s.is_won) AS won,
                       COUNT(*) FILTER (WHERE l.active AND l.type = 'opportunity'
                                          AND NOT COALESCE(s.is_won, FALSE)) AS open_opp,
                       COUNT(*) FILTER (WHERE l.active AND l.type = 'lead'
                                          AND NOT COALESCE(s.is_won, FALSE)) AS open_lead
                  FROM crm_lead l
                  JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE p.commercial_partner_id IN (SELECT * FROM lt_scope)
              GROUP BY p.commercial_partner_id
            ),
            lt_stages AS (
                SELECT sc.id, CASE WHEN c.won >= 2 THEN 'repeat_customer' WHEN c.won = 1 THEN 'customer'
                                   WHEN c.open_opp > 0 THEN 'prospect' WHEN c.open_lead > 0 THEN 'lead' END AS stage
                  FROM lt_scope sc(id) LEFT JOIN lt_counts c ON c.id = sc.id
            )
            """,
            scope,
        )
        update = SQL(
            "UPDATE res_partner p SET lifecycle_stage = st.stage FROM lt_stages st "
            "WHERE COALESCE(p.commercial_partner_id, p.id) = st.id "
            "AND p.lifecycle_stage IS DISTINCT FROM st.stage"
        )
        return ctes, update

    @api.model
    def _lt_refresh_lifecycle(self, partner_ids=(), lead_ids=None, all_partners=False):
        """Set-based: recompute the lifecycle stage (see _lt_lifecycle_sql) in one statement."""
        parts = self._lt_lifecycle_sql(partner_ids, lead_ids=lead_ids, all_partners=all_partners)
        if not parts:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL("WITH %s %s", *parts))
        self._lt_invalidate_lifecycle()

    def _lt_invalidate_lifecycle(self):
        self.env["res.partner"].invalidate_model(["lifecycle_stage"])
        self.env["crm.lead"].invalidate_model(["lifecycle_stage"])

    # ---- lead intelligence: end -----------------------------------------------------------
