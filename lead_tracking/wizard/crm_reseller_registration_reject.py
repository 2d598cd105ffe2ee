from odoo import _, fields, models
from odoo.exceptions import UserError


class CrmResellerRegistrationReject(models.TransientModel):
    _name = "crm.reseller.registration.reject"
    _description = "Reject a Deal Registration"

    lead_ids = fields.Many2many("crm.lead", string="Registrations", required=True)
    reason = fields.Text(required=True, help="The reseller reads it in the portal and receives it by email.")

    def action_reject(self):
        self.ensure_one()
        reason = (self.reason or "").strip()
        if not reason:
            raise UserError(_("Tell the reseller why the registration is rejected."))
        self.lead_ids._lt_registration_reject(reason)
        return {"type": "ir.actions.act_window_close"}
