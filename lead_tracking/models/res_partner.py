from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

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
        moved = []
        if "parent_id" in vals or "is_company" in vals:
            moved = self.commercial_partner_id.ids
        res = super().write(vals)
        if moved:
            self._lt_lifecycle_schedule(moved + self.ids)
        return res

    # Lifecycle stages are refreshed once per transaction for every customer touched, not once per
    # lead written: crm writes leads one by one in many flows (conversion, merge, assignment).
    # Pending customers are refreshed in one statement when the transaction commits, or earlier
    # when someone reads or searches the stage (see flush_model and _fetch_query).
    _LT_LIFECYCLE_PENDING = "lead_tracking.lifecycle"

    @api.model
    def _lt_lifecycle_schedule(self, partner_ids):
        """Have the lifecycle stage of these partners' companies refreshed before it is next read."""
        partner_ids = [pid for pid in partner_ids if pid]
        if not partner_ids:
            return
        data = self.env.cr.precommit.data
        if self._LT_LIFECYCLE_PENDING not in data:
            data[self._LT_LIFECYCLE_PENDING] = set()
            self.env.cr.precommit.add(self.sudo()._lt_lifecycle_run_pending)
        data[self._LT_LIFECYCLE_PENDING].update(partner_ids)
        self._lt_invalidate_lifecycle()

    @api.model
    def _lt_lifecycle_run_pending(self):
        pending = self.env.cr.precommit.data.get(self._LT_LIFECYCLE_PENDING)
        if not pending:
            return
        partner_ids = list(pending)
        pending.clear()
        self._lt_refresh_lifecycle(partner_ids)

    def flush_model(self, fnames=None):
        res = super().flush_model(fnames)
        # Only an explicit request for the stage: flush_all() flushes every dirty model without
        # names, many times per lead in crm's flows.
        if fnames and "lifecycle_stage" in fnames:
            self._lt_lifecycle_run_pending()
        return res

    def _fetch_query(self, query, fields):
        if any(field.name == "lifecycle_stage" for field in fields):
            self._lt_lifecycle_run_pending()
        return super()._fetch_query(query, fields)

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
        self.env["crm.lead"].flush_model(["partner_id", "stage_id", "active", "type"])
        self.flush_model(["parent_id", "commercial_partner_id", "is_company"])
        self.env.cr.execute(SQL("WITH %s %s", *parts))
        self._lt_invalidate_lifecycle()

    def _lt_invalidate_lifecycle(self):
        # flush=False: flushing lifecycle_stage would run the pending refresh (flush_model above).
        self.env["res.partner"].invalidate_model(["lifecycle_stage"], flush=False)
        self.env["crm.lead"].invalidate_model(["lifecycle_stage"], flush=False)

    # -- resellers --
    reseller_level_id = fields.Many2one(
        "crm.reseller.level", index="btree_not_null", tracking=True
    )
    reseller_activation_id = fields.Many2one("crm.reseller.activation", string="Partner Activation", tracking=True)
    reseller_weight = fields.Integer(
        string="Level Weight",
        compute="_compute_reseller_weight",
        inverse="_inverse_reseller_weight",
        store=True,
        readonly=False,
        help="Chance of receiving leads, relative to other resellers; follows the level until set here. "
        "0 means the reseller never receives leads automatically.",
    )
    reseller_weight_custom = fields.Integer(string="Custom Weight", copy=False)
    reseller_weight_overridden = fields.Boolean(
        string="Weight Set on Contact", copy=False, help="The weight was set on this contact and ignores the level."
    )
    reseller_partnership_date = fields.Date(string="Partnership Date")
    reseller_published = fields.Boolean(
        string="Published Reseller", copy=False, help="Listed on the public /partners page."
    )
    reseller_primary_contact_id = fields.Many2one(
        "res.partner",
        string="Primary Contact",
        domain="[('parent_id', '=', id), ('type', '=', 'contact')]",
        help="Forwarded leads, reminders and recalls are emailed to this contact; when empty, to every "
        "contact of the reseller with portal access, else to the reseller's own address.",
    )
    reseller_lead_ids = fields.One2many("crm.lead", "reseller_id", string="Assigned Leads")
    reseller_lead_count = fields.Integer(string="Reseller Leads", compute="_compute_reseller_lead_count")

    @api.depends("reseller_level_id.weight", "reseller_weight_overridden", "reseller_weight_custom")
    def _compute_reseller_weight(self):
        for partner in self:
            if partner.reseller_weight_overridden:
                partner.reseller_weight = partner.reseller_weight_custom
            else:
                partner.reseller_weight = partner.reseller_level_id.weight

    def _inverse_reseller_weight(self):
        for partner in self:
            if partner.reseller_weight < 0:
                raise ValidationError(_("A reseller's weight cannot be negative."))
            partner.write({"reseller_weight_custom": partner.reseller_weight, "reseller_weight_overridden": True})

    def _lt_reseller_recipients(self):
        """{reseller id: partners to email}: the primary contact when set, else the partners of the
        reseller's active portal users, else the reseller itself (its company address). One query for
        every reseller of ``self``."""
        recipients = {}
        resellers = self.sudo()
        portal = self.env.ref("base.group_portal")
        users = self.env["res.users"].sudo().search([
            ("partner_id.commercial_partner_id", "in", resellers.ids),
            ("groups_id", "in", portal.ids),
            ("share", "=", True),
        ], order="id")
        by_reseller = {}
        for user in users:
            key = user.partner_id.commercial_partner_id.id
            by_reseller[key] = by_reseller.get(key, resellers.browse()) | user.partner_id
        for reseller in resellers:
            primary = reseller.reseller_primary_contact_id
            if primary and primary.email and primary.active:
                recipients[reseller.id] = primary
            else:
                recipients[reseller.id] = by_reseller.get(reseller.id) or reseller
        return recipients

    def action_reset_reseller_weight(self):
        """Make the weight follow the reseller level again."""
        self.write({"reseller_weight_overridden": False, "reseller_weight_custom": 0})

    def _compute_reseller_lead_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group([("reseller_id", "in", self.ids)], ["reseller_id"], ["__count"])
        )
        for partner in self:
            partner.reseller_lead_count = counts.get(partner, 0)

    def action_view_reseller_leads(self):
        """Leads and opportunities assigned to this reseller."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm.crm_lead_all_leads")
        action.update(
            {
                "name": _("Assigned Leads"),
                "domain": [("reseller_id", "=", self.id)],
                "context": {"active_test": False, "default_reseller_id": self.id},
                "view_mode": "tree,kanban,form",
                "views": [(False, "list"), (False, "kanban"), (False, "form")],
            }
        )
        return action
