"""Shared fixtures of lead_tracking's tests: one place, imported by every test file."""

from odoo.tests import TransactionCase, new_test_user


class LeadTrackingCase(TransactionCase):
    """A sales organisation of our own, independent of the demo data.

    Users: ``manager`` (Sales / Administrator), ``salesman`` (own documents
    only), ``salesman_all`` (all documents).  Team ``team`` holds the two
    salesmen.  ``stage_new`` is the first stage, ``stage_won`` a won stage.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.manager = new_test_user(
            cls.env,
            login="lt_manager",
            name="Lena Manager",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="lt_salesman", name="Sam Salesman", groups="sales_team.group_sale_salesman"
        )
        cls.salesman_all = new_test_user(
            cls.env, login="lt_salesman_all", name="Alex Allleads", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "LT Europe",
                "use_leads": True,
                "use_opportunities": True,
                "company_id": cls.company.id,
                "crm_team_member_ids": [
                    (0, 0, {"user_id": cls.salesman.id}),
                    (0, 0, {"user_id": cls.salesman_all.id}),
                ],
            }
        )
        stages = cls.env["crm.stage"].search([], order="sequence, id")
        cls.stage_new = stages[0]
        cls.stage_won = stages.filtered("is_won")[:1]

    @classmethod
    def lt_lead(cls, **values):
        """Create a lead (type ``lead`` unless given) in ``team`` with sensible defaults."""
        defaults = {
            "name": "Lead",
            "type": "lead",
            "team_id": cls.team.id,
            "email_from": "buyer@example.com",
            "phone": "+32 470 12 34 56",
        }
        return cls.env["crm.lead"].create({**defaults, **values})
