from odoo import api, fields, models


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


# --- assignment engine (issue 4) ---
class CrmLeadAssignment(models.Model):
    _inherit = "crm.lead"

    assignment_reason = fields.Char(
        readonly=True,
        copy=False,
        help="Why rule-based assignment gave this lead to its team and salesperson.",
    )

    @api.model
    def _lt_assign_demo_flag_quality(self, lead_ids):
        """Demo data only: flag quality leads with the default definition (phone set, email not free-mail)."""
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE crm_lead SET is_quality_lead = (COALESCE(phone, '') <> ''
                      AND email_from !~* '(hotmail|aol\\.com|icloud\\.com|yahoo)')
                WHERE id = ANY(%s)""",
            [list(lead_ids)],
        )
        self.invalidate_model(["is_quality_lead"])


# --- end assignment engine ---
