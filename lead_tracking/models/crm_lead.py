from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Kept by lead intelligence (set-based refresh); read by assignment and reports.
    is_quality_lead = fields.Boolean(
        string="Quality Lead",
        readonly=True,
        copy=False,
        index=True,
        help="The lead matches its company's definition of a quality lead (CRM Settings).",
    )
