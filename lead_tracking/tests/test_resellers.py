import random

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import LeadTrackingCase, lt_make_reseller, lt_reseller_setup


@tagged("post_install", "-at_install")
class TestResellers(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        lt_reseller_setup(cls)

    def _leads(self, count, **values):
        return self.env["crm.lead"].create(
            [{"name": f"Reseller lead {i}", "type": "lead", "team_id": self.team.id, **values} for i in range(count)]
        )

    # ---- configuration -----------------------------------------------------------
    def test_shipped_levels_and_activations(self):
        """Gold, Silver and Bronze weigh 10, 5 and 2 (the README's figures), and a reseller given a
        shipped level draws with that weight."""
        levels = [self.env.ref(f"lead_tracking.reseller_level_{x}") for x in ("gold", "silver", "bronze")]
        self.assertEqual([(level.name, level.weight) for level in levels], [("Gold", 10), ("Silver", 5), ("Bronze", 2)])
        self.assertEqual(self.env["crm.reseller.level"].search([("id", "in", [lv.id for lv in levels])]).ids,
                         [level.id for level in levels], "listed Gold first")
        self.reseller_b.reseller_level_id = levels[1]
        self.assertEqual(self.reseller_b.reseller_weight, 5)
        self.assertEqual((levels[1].partner_count, self.level_bronze.partner_count, self.level_gold.partner_count),
                         (1, 0, 1))
        names = [
            self.env.ref(f"lead_tracking.reseller_activation_{x}").name
            for x in ("fully_operational", "ramp_up", "first_contact")
        ]
        self.assertEqual(names, ["Fully Operational", "Ramp-up", "First Contact"])
        self.assertEqual(self.env.ref("lead_tracking.lost_reason_spam").name, "Spam")

    def test_activation_archivable(self):
        """An archived activation is no longer offered, and the resellers that have it keep it."""
        activation = self.env.ref("lead_tracking.reseller_activation_ramp_up")
        self.reseller_a.reseller_activation_id = activation
        offered = lambda: [name for _id, name in self.env["crm.reseller.activation"].name_search("")]  # noqa: E731
        self.assertIn("Ramp-up", offered())
        activation.action_archive()
        self.assertNotIn("Ramp-up", offered())
        self.assertEqual(offered(), ["Fully Operational", "First Contact"])
        self.reseller_a.invalidate_recordset()
        self.assertEqual(self.reseller_a.reseller_activation_id, activation)
        activation.action_unarchive()
        self.assertIn("Ramp-up", offered())

    def test_negative_weight_refused(self):
        with self.assertRaises(ValidationError):
            self.level_gold.weight = -1
        with self.assertRaises(ValidationError):
            self.reseller_a.reseller_weight = -3

    def test_weight_follows_level_until_overridden(self):
        self.assertEqual(self.reseller_a.reseller_weight, 10)
        self.level_gold.weight = 12
        self.assertEqual(self.reseller_a.reseller_weight, 12)
        self.reseller_a.reseller_weight = 3
        self.assertTrue(self.reseller_a.reseller_weight_overridden)
        self.level_gold.weight = 20
        self.assertEqual(self.reseller_a.reseller_weight, 3, "a weight set on the contact wins over the level")
        self.reseller_a.reseller_level_id = self.level_bronze
        self.assertEqual(self.reseller_a.reseller_weight, 3)
        self.reseller_a.action_reset_reseller_weight()
        self.assertEqual(self.reseller_a.reseller_weight, 2)

    def test_smart_button(self):
        lead = self.lt_lead(reseller_id=self.reseller_a.id)
        self.assertEqual(self.reseller_a.reseller_lead_count, 1)
        action = self.reseller_a.action_view_reseller_leads()
        self.assertEqual(self.env["crm.lead"].search(action["domain"]), lead)
        self.assertTrue(lead.reseller_assigned_date)

    # ---- automatic assignment -------------------------------------------------------
    def test_weighted_choice(self):
        # Both in the lead's country, neither in its state: weights 10 and 2 share the leads ~5:1.
        leads = self._leads(600, country_id=self.belgium.id)
        assigned = leads._lt_reseller_assign(rng=random.Random(7))
        self.assertEqual(assigned, leads)
        share_a = len(leads.filtered(lambda lead: lead.reseller_id == self.reseller_a)) / len(leads)
        self.assertAlmostEqual(share_a, 10 / 12, delta=0.06)
        self.assertEqual(set(leads.reseller_id), {self.reseller_a, self.reseller_b})

    def test_state_then_country_preference(self):
        # a reseller outside Belgium that would win nearly every draw: only "anywhere" could pick it
        heavy = lt_make_reseller(self.env, "Heavy France", self.level_gold, self.france, reseller_weight=1000)
        self.env.company.lt_reseller_assign_anywhere = True
        in_flanders = self._leads(30, country_id=self.belgium.id, state_id=self.state_vlg.id)
        in_belgium = self._leads(30, country_id=self.belgium.id)
        in_spain = self._leads(5, country_id=self.env.ref("base.es").id)
        (in_flanders | in_belgium | in_spain)._lt_reseller_assign(rng=random.Random(7))
        self.assertEqual(set(in_flanders.reseller_id), {self.reseller_b}, "the lead's state comes first")
        self.assertFalse(in_belgium.filtered(lambda lead: not lead.reseller_id))
        self.assertEqual(set(in_belgium.reseller_id), {self.reseller_a, self.reseller_b}, "then its country")
        self.assertEqual(set(in_spain.reseller_id), {heavy}, "anywhere last: the heavy one wins")

    def test_list_action(self):
        leads = self._leads(4, country_id=self.belgium.id, state_id=self.state_bru.id)
        action = self.env.ref("lead_tracking.crm_lead_action_assign_reseller")
        result = action.with_user(self.salesman_all).with_context(
            active_model="crm.lead", active_ids=leads.ids
        ).run()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("4 lead(s)", result["params"]["message"])
        self.assertEqual(set(leads.reseller_id), {self.reseller_a})

    def test_any_reseller_setting(self):
        self.env.company.lt_reseller_assign_anywhere = False
        french = self._leads(5, country_id=self.france.id)
        self.assertFalse(french._lt_reseller_assign())
        self.assertFalse(french.reseller_id)
        self.assertTrue(all(lead.reseller_assign_note for lead in french))
        with self.assertRaises(UserError):
            french[0].action_assign_reseller()
        self.env.company.lt_reseller_assign_anywhere = True
        self.assertEqual(french._lt_reseller_assign(), french)

    def test_weight_zero_never_assigned(self):
        self.reseller_a.reseller_level_id = self.level_zero
        self.reseller_b.reseller_weight = 0
        leads = self._leads(10, country_id=self.belgium.id)
        self.assertFalse(leads._lt_reseller_assign())
        self.assertEqual(leads[0].reseller_assign_note, "No reseller has a level and a weight above 0.")
        # A weight set on the contact overrides a 0 level weight.
        self.reseller_a.reseller_weight = 4
        self.assertEqual(leads._lt_reseller_assign(), leads)
        self.assertEqual(set(leads.reseller_id), {self.reseller_a})

    def test_never_a_decliner(self):
        leads = self._leads(40, country_id=self.belgium.id, reseller_declined_ids=[(4, self.reseller_a.id)])
        leads.action_assign_reseller()
        self.assertEqual(set(leads.reseller_id), {self.reseller_b})
        other = self._leads(
            1, country_id=self.belgium.id, reseller_declined_ids=[(6, 0, (self.reseller_a | self.reseller_b).ids)]
        )
        self.assertFalse(other._lt_reseller_assign())
        self.assertIn("declined", other.reseller_assign_note)

    def test_assigned_leads_are_skipped(self):
        lead = self.lt_lead(reseller_id=self.reseller_b.id, country_id=self.belgium.id)
        self.assertFalse(lead._lt_reseller_assign())
        self.assertEqual(lead.reseller_id, self.reseller_b)

    def test_locked_leads_are_skipped(self):
        # A lead another transaction holds is left alone (SKIP LOCKED), never assigned twice; the
        # other lead of the batch is assigned. The held one must be committed before this test's
        # snapshot for the other cursor to lock it: a demo lead named by its id, moved to Belgium.
        held = self.env.ref("crm.crm_case_10")
        self.assertEqual((held.active, held.reseller_id.id), (True, False))
        free = self._leads(1, country_id=self.belgium.id)
        with self.env.registry.cursor() as other_cr:
            other_cr.execute("SELECT id FROM crm_lead WHERE id = %s FOR UPDATE", [held.id])
            self.assertEqual((held | free)._lt_reseller_assign(rng=random.Random(1)), free)
            other_cr.rollback()
        self.assertFalse(held.reseller_id)
        self.assertIn(free.reseller_id, self.reseller_a | self.reseller_b)
        # released, the same lead is assigned (anywhere: its own country has no reseller of ours)
        self.env.company.lt_reseller_assign_anywhere = True
        self.assertEqual(held._lt_reseller_assign(rng=random.Random(1)), held)

    def test_single_lead_query_count(self):
        """One lead and 200 cost the same few queries (set-based: no query per lead or reseller)."""
        lt_make_reseller(self.env, "Heavy France", self.level_gold, self.france, reseller_weight=1000)
        for count in (1, 200):
            leads = self._leads(count, country_id=self.belgium.id, state_id=self.state_bru.id)
            self.env.invalidate_all()
            with self.assertQueryCount(6):
                leads._lt_reseller_assign(tracking=False)
            self.assertEqual(leads.reseller_id, self.reseller_a)
            self.assertFalse(leads.filtered(lambda lead: not lead.reseller_id))
        # the button adds the chatter's tracking message (crm's, one per lead)
        lead = self._leads(1, country_id=self.belgium.id, state_id=self.state_bru.id)
        self.env.invalidate_all()
        with self.assertQueryCount(10):
            lead.action_assign_reseller()
        self.assertEqual(lead.reseller_id, self.reseller_a)

    def test_cron_step(self):
        lead = self.lt_lead(country_id=self.belgium.id, state_id=self.state_vlg.id, user_id=False)
        # Salespeople take nothing here: only the reseller step is under test.
        self.env["crm.team"].search([]).write({"assignment_optout": True})
        self.env.company.lt_reseller_auto_assign = False
        self.env["crm.team"]._cron_assign_leads()
        self.assertFalse(lead.reseller_id)
        self.env.company.lt_reseller_auto_assign = True
        self.env["crm.team"]._cron_assign_leads()
        self.assertEqual(lead.reseller_id, self.reseller_b)

    # ---- forwarding -----------------------------------------------------------------
    def test_forward_wizard_mail(self):
        leads = self._leads(2, country_id=self.france.id, email_from="buyer@example.com")
        wizard = (
            self.env["crm.reseller.forward"]
            .with_user(self.salesman_all)
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"reseller_id": self.reseller_a.id})
        )
        self.assertEqual(wizard.lead_ids, leads)
        wizard.action_forward()
        self.assertEqual(set(leads.reseller_id), {self.reseller_a})
        mails = self.env["mail.mail"].sudo().search([("model", "=", "crm.lead"), ("res_id", "in", leads.ids)])
        self.assertEqual(len(mails), 2)
        for mail in mails:
            # to the reseller's people with portal access, not to the company's address
            self.assertEqual(mail.recipient_ids, self.portal_a.partner_id)
            self.assertIn(f"/my/lead/{mail.res_id}", mail.body_html)
            self.assertIn("Reseller lead", mail.body_html)

    def test_forward_wizard_auto_and_errors(self):
        leads = self._leads(3, country_id=self.belgium.id, state_id=self.state_bru.id)
        wizard = self.env["crm.reseller.forward"].create({"lead_ids": [(6, 0, leads.ids)], "assignment": "auto"})
        wizard.action_forward()
        self.assertEqual(set(leads.reseller_id), {self.reseller_a})
        lonely = self._leads(1)
        with self.assertRaises(UserError):
            self.env["crm.reseller.forward"].create({"lead_ids": [(6, 0, lonely.ids)]}).action_forward()
        self.assertFalse(lonely.reseller_id)

    # ---- record rules ------------------------------------------------------------------
    def test_record_rules(self):
        lead_a = self.lt_lead(name="Lead of A", reseller_id=self.reseller_a.id)
        lead_b = self.lt_lead(name="Lead of B", reseller_id=self.reseller_b.id)
        Lead_a = self.env["crm.lead"].with_user(self.portal_a)
        self.assertEqual(Lead_a.search([("id", "in", (lead_a | lead_b).ids)]), lead_a)
        lead_a.with_user(self.portal_a).read(["name"])
        lead_a.with_user(self.portal_a).write({"expected_revenue": 10})
        with self.assertRaises(AccessError):
            lead_b.with_user(self.portal_a).read(["name"])
        with self.assertRaises(AccessError):
            lead_b.with_user(self.portal_a).write({"name": "Hijacked"})
        with self.assertRaises(AccessError):
            Lead_a.create({"name": "Portal lead"})
        # Reassigned: A loses access at once.
        lead_a.reseller_id = self.reseller_b
        lead_a.invalidate_recordset()
        with self.assertRaises(AccessError):
            lead_a.with_user(self.portal_a).read(["name"])
        self.assertEqual(lead_a.with_user(self.portal_b).read(["name"])[0]["name"], "Lead of A")

    def test_reseller_lead_view_renders(self):
        lead = self.lt_lead(reseller_id=self.reseller_a.id)
        self.assertTrue(self.reseller_a.get_formview_id() is not None)
        self.env["crm.lead"].get_view(view_type="form")
        self.env["res.partner"].get_view(view_type="form")
        self.env["res.config.settings"].get_view(view_type="form")
        self.assertTrue(lead.reseller_portal_url.endswith(f"/my/lead/{lead.id}"))


@tagged("post_install", "-at_install")
class TestResellerLocation(LeadTrackingCase):
    def test_reseller_without_country_only_via_anywhere(self):
        lt_reseller_setup(self)
        nowhere = lt_make_reseller(self.env, "Nowhere", self.level_gold)
        self.reseller_a.reseller_level_id = False
        self.reseller_b.reseller_level_id = False
        lead = self.lt_lead(country_id=self.belgium.id)
        self.env.company.lt_reseller_assign_anywhere = False
        self.assertFalse(lead._lt_reseller_assign())
        self.env.company.lt_reseller_assign_anywhere = True
        lead._lt_reseller_assign()
        self.assertEqual(lead.reseller_id, nowhere)
