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

    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        if not groupby or limit or offset or (order and order != ",".join(groupby)):
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        # Ordering many2one groups in SQL (salespeople by name, stages by sequence) joins that table
        # to every line before aggregating: a million joined lines for a few groups. Aggregate in the
        # columns' own order instead, then order the few groups as the ORM would have.
        rows = super()._read_group(domain, groupby, aggregates, having)
        keys = [self._lt_report_group_key(spec, [row[position] for row in rows])
                for position, spec in enumerate(groupby)]
        return sorted(rows, key=lambda row: tuple(key(row[position]) for position, key in enumerate(keys)))

    def _lt_report_group_key(self, spec, values):
        """Sort key of one groupby term's values, empty values last (as PostgreSQL sorts NULLs)."""
        field = self._fields[spec.split(":")[0].split(".")[0]]
        if field.type == "many2one":
            records = self.env[field.comodel_name].browse({value.id for value in values if value})
            ordered = records.sudo().with_context(active_test=False).sorted()
            rank = {record_id: position for position, record_id in enumerate(ordered.ids)}
            return lambda value: (0, rank.get(value.id, len(rank))) if value else (1, 0)
        if field.type == "boolean":
            return lambda value: (0, bool(value))
        return lambda value: (1, 0) if value is None or value is False else (0, value)
