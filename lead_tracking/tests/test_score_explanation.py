"""The Why This Score panel against crm's own figures: each factor's counts are crm's frequency
table for the lead's team, and the words match the sign of the effect."""

from odoo.tests import tagged

from .test_lead_intelligence import LeadIntelligenceCase


@tagged("post_install", "-at_install")
class TestScoreExplanation(LeadIntelligenceCase):
    def test_counts_are_the_frequency_table(self):
        leads = self.lt_lead(name="News", source_id=self.source_news.id) | self.lt_lead(
            name="Fair no phone", source_id=self.source_fair.id, phone=False
        )
        Frequency = self.env["crm.lead.scoring.frequency"]
        explanation = leads.get_score_explanation()
        checked = 0
        for lead in leads:
            for line in explanation[lead.id]:
                if line["variable"] not in ("source_id", "phone_state", "email_state"):
                    continue
                value = str(lead[line["variable"]].id if line["variable"] == "source_id" else lead[line["variable"]])
                frequency = Frequency.search(
                    [("variable", "=", line["variable"]), ("value", "=", value), ("team_id", "=", self.team.id)]
                )
                self.assertEqual(len(frequency), 1, line)
                self.assertEqual((line["won"], line["lost"]),
                                 (int(frequency.won_count + 1e-6), int(frequency.lost_count + 1e-6)), line)
                checked += 1
        # three variables of two leads, but no closed lead lacked a phone: crm has no row, nor the panel a line
        self.assertEqual(checked, 5, explanation)
        news = {line["variable"]: line for line in explanation[leads[0].id]}["source_id"]
        self.assertEqual((news["won"], news["lost"]), (4, 4))

    def test_words_follow_the_sign(self):
        leads = self.env["crm.lead"]
        for index in range(6):
            leads |= self.lt_lead(name=f"Words {index}", source_id=(self.source_news if index % 2 else
                                                                   self.source_fair).id,
                                  phone=False if index % 3 == 0 else "+32 470 12 34 56")
        words = {"raises the chance": 0, "lowers the chance": 0, "hardly matters": 0}
        for lines in leads.get_score_explanation().values():
            for line in lines:
                if line["variable"] == "manual" or "effect" not in line or line["won"] + line["lost"] == 0:
                    continue
                if line["effect"] > 0.05:
                    expected = "raises the chance"
                elif line["effect"] < -0.05:
                    expected = "lowers the chance"
                else:
                    expected = "hardly matters"
                self.assertIn(expected, line["label"], line)
                for other in set(words) - {expected}:
                    self.assertNotIn(other, line["label"], line)
                words[expected] += 1
        # the fair's 3 won of 4 raise the chance, the newsletter's 4 of 8 lower it (7 of 12 won overall)
        self.assertTrue(words["raises the chance"] and words["lowers the chance"], words)
        fair = {line["variable"]: line for line in leads[0].get_score_explanation()[leads[0].id]}["source_id"]
        self.assertGreater(fair["effect"], 0.05)
        self.assertIn("LT Fair: 3 won, 1 lost: raises the chance", fair["label"])
