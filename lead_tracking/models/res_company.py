from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import datetime, dateutil, safe_eval, time

# ---- lead intelligence: begin -------------------------------------------------------------
LT_DEFAULT_QUALITY_DOMAIN = (
    "['&', '&', '&', '&', ('phone', '!=', False), ('email_from', 'not ilike', 'hotmail'), "
    "('email_from', 'not ilike', 'aol.com'), ('email_from', 'not ilike', 'icloud.com'), "
    "('email_from', 'not ilike', 'yahoo')]"
)
# ---- lead intelligence: end ---------------------------------------------------------------


class ResCompany(models.Model):
    _inherit = "res.company"

    lt_unattended_horizon_days = fields.Integer(
        string="Unattended Horizon (days)",
        default=0,
        help="A lead is unattended when one of its activities is due on or before today plus this many days.",
    )

    # ---- lead intelligence: begin ---------------------------------------------------------
    lt_score_warm_threshold = fields.Float(
        string="Warm From (%)", default=30.0,
        help="Leads with a probability from this value are warm.")
    lt_score_hot_threshold = fields.Float(
        string="Hot From (%)", default=70.0,
        help="Leads with a probability from this value are hot.")
    lt_quality_domain = fields.Char(
        string="Quality Lead Definition", default=LT_DEFAULT_QUALITY_DOMAIN,
        help="Leads matching this filter are quality leads.")

    @api.constrains("lt_score_warm_threshold", "lt_score_hot_threshold")
    def _check_lt_score_thresholds(self):
        for company in self:
            warm, hot = company.lt_score_warm_threshold, company.lt_score_hot_threshold
            if not (0 <= warm <= 100 and 0 <= hot <= 100):
                raise ValidationError(_("Score tier thresholds must lie between 0 and 100."))
            if warm >= hot:
                raise ValidationError(_("The warm threshold (%(warm)s) must be below the hot threshold (%(hot)s).",
                                        warm=warm, hot=hot))

    @api.constrains("lt_unattended_horizon_days")
    def _check_lt_unattended_horizon(self):
        if any(company.lt_unattended_horizon_days < 0 for company in self):
            raise ValidationError(_("The unattended horizon cannot be negative."))

    @api.constrains("lt_quality_domain")
    def _check_lt_quality_domain(self):
        for company in self:
            company._lt_quality_domain_list(raise_error=True)

    def _lt_quality_domain_list(self, raise_error=False):
        """The quality definition as a domain; the default one when it cannot be read.

        With ``raise_error`` the definition is also checked against crm.lead (unknown fields, bad
        operators) and a ValidationError says what is wrong."""
        self.ensure_one()
        text = self.lt_quality_domain or "[]"
        try:
            domain = safe_eval(text, {"datetime": datetime, "dateutil": dateutil, "time": time,
                                      "context_today": datetime.datetime.now, "uid": self.env.uid})
            if not isinstance(domain, (list, tuple)):
                raise ValueError(text)
            if raise_error:
                self.env["crm.lead"].sudo()._where_calc(domain)
        except Exception as error:  # any parse or field error: an invalid definition
            if raise_error:
                raise ValidationError(
                    _("The quality lead definition is not a valid filter on leads: %(error)s", error=error)
                ) from error
            return safe_eval(LT_DEFAULT_QUALITY_DOMAIN)
        return list(domain)

    @api.model
    def _lt_working_days_between(self, starts, end):
        """{(company id, start): whole working days from ``start`` to ``end`` in the company's calendar
        (its public holidays excluded)}, each calendar and start day computed once."""
        result, cache = {}, {}
        default = self.env.company
        for company_id, start in starts:
            company = self.browse(company_id) if company_id else default
            calendar = company.resource_calendar_id
            key = (calendar.id, start.date())
            if key not in cache:
                if calendar:
                    cache[key] = int(calendar.get_work_duration_data(start, end)["days"] + 1e-6)
                else:  # no calendar: every day counts
                    cache[key] = max(0, (end.date() - start.date()).days)
            result[(company_id, start)] = cache[key]
        return result

    @api.model
    @tools.ormcache()
    def _lt_all_company_ids(self):
        """Ids of every company, archived ones included (each has a quality definition)."""
        return tuple(self.sudo().with_context(active_test=False).search([("id", "!=", False)]).ids)

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env.registry.clear_cache()  # _lt_all_company_ids
        return companies

    def write(self, vals):
        res = super().write(vals)
        tiers = bool({"lt_score_warm_threshold", "lt_score_hot_threshold"} & set(vals))
        quality = "lt_quality_domain" in vals
        if tiers or quality:
            self.env["crm.lead"].with_context(lt_refresh_all=True)._lt_refresh_leads(
                lifecycle=False, company_ids=self.ids, tiers=tiers, quality=quality)
        return res
    # ---- lead intelligence: end -----------------------------------------------------------
    # ---- Resellers (issue 5) -------------------------------------------------
    lt_reseller_auto_assign = fields.Boolean(
        string="Assign Resellers after Lead Assignment",
        help="After each scheduled lead assignment, leads left without a salesperson are given to resellers.",
    )
    lt_reseller_assign_anywhere = fields.Boolean(
        string="Any Reseller as Last Resort",
        default=True,
        help="When no reseller works in the lead's state or country, pick among all resellers.",
    )
    # ---- end Resellers -------------------------------------------------------
