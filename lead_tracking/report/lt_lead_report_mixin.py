from odoo import fields, models

from ._common import lt_report_create_indexes, lt_report_create_view


class LtLeadReportMixin(models.AbstractModel):
    """What the six SQL-view reports share: one line per lead (or per lead and activity or reseller)
    carrying the columns crm's record rules on leads read, so that the reports' rules mirror them."""

    _name = "lt.lead.report.mixin"
    _description = "Lead Tracking Report"

    # Names of the indexes (see _common.LT_REPORT_INDEXES) the report's queries need.
    _lt_report_indexes = ()

    lead_id = fields.Many2one("crm.lead", string="Lead", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)

    def _lt_report_query(self):
        """The SELECT the report's view is made of."""
        raise NotImplementedError

    def init(self):
        if self._abstract:
            return
        lt_report_create_indexes(self.env.cr, self._lt_report_indexes)
        lt_report_create_view(self.env.cr, self._table, self._lt_report_query())
