"""The bulk merge of duplicate leads (crm.lead._lt_merge_bulk) against crm's own merge, and the
query count of runs that merge duplicates."""

import base64
import datetime

from odoo.tests import tagged

from .common import LtAssignmentCase

# Queries of the bulk merge, whatever the number of groups.
LT_MERGE_QUERIES = 32
# Queries of a run over team-less leads of which one in five comes twice (merged first).
LT_RUN_MERGE_QUERIES = 204
# A one-pixel PNG: a note whose body embeds it gets it as an attachment (mail.message's create).
LT_PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


@tagged("post_install", "-at_install")
class TestAssignmentMerge(LtAssignmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Stage = cls.env["crm.stage"]
        cls.stage_b = Stage.create({"name": "LT Qualified", "sequence": 70})
        cls.stage_team = Stage.create({"name": "LT Team stage", "sequence": 1, "team_id": cls.team.id})
        cls.other_team = cls.env["crm.team"].create({"name": "LT Other", "use_leads": True})
        cls.stage_other = Stage.create({"name": "LT Other stage", "sequence": 2, "team_id": cls.other_team.id})
        Tag = cls.env["crm.tag"]
        cls.tags = Tag.create([{"name": f"LT tag {n}"} for n in range(3)])
        cls.customer = cls.env["res.partner"].create({
            "name": "Ada Customer", "email": "ada@customer.example.com", "phone": "+32 2 555 00 00",
            "street": "Rue Neuve 1", "city": "Brussels", "zip": "1000", "country_id": cls.env.ref("base.be").id,
        })
        cls.writer = cls.env["res.partner"].create({"name": "Wendy Writer", "email": "wendy@example.com"})
        cls.lost_reason = cls.env["crm.lost.reason"].create({"name": "LT too expensive"})

    def _groups(self):
        """Four duplicate groups crm's merge treats differently: leads and opportunities in several
        stages, a won one, team and stage changes, partner and address from a tail, descriptions,
        tags, priorities, a lost reason; the tails carry messages, activities, attachments, a follower
        who wrote lately and a meeting."""
        Lead = self.env["crm.lead"].with_context(tracking_disable=True)
        base = {"user_id": False, "team_id": False, "stage_id": False, "type": "lead"}
        rows = [
            # group 1: the opportunity in a later stage leads; the others fill its blanks
            [{"name": "G1 plain lead", "description": "<p>first</p>", "priority": "1", "phone": "+32 470 11 11 11"},
             {"name": "G1 opportunity", "type": "opportunity", "stage_id": self.stage_b.id, "probability": 30,
                  "description": "<p>second</p>", "tag_ids": [(6, 0, self.tags[:1].ids)], "expected_revenue": 900},
             {"name": "G1 with customer", "partner_id": self.customer.id, "priority": "3", "contact_name": "Ada",
                  "tag_ids": [(6, 0, self.tags[1:].ids)], "function": "Buyer", "website": "https://ada.example.com",
                  "mobile": "+32 470 22 22 22", "lang_id": self.env.ref("base.lang_en").id}],
            # group 2: a won opportunity heads it
            [{"name": "G2 won", "type": "opportunity", "stage_id": self.stage_won.id, "probability": 100},
             {"name": "G2 lead", "description": f'<p>note <img src="data:image/png;base64,{LT_PIXEL}"></p>',
                  "email_cc": "cc@example.com", "referred": "Bob"}],
            # group 3: the head has no team, a tail brings one: its stage must belong to that team
            [{"name": "G3 head", "probability": 60, "stage_id": self.stage_other.id, "street": "Main 2",
              "city": "Ghent"},
             {"name": "G3 tail", "probability": 10, "team_id": self.team.id, "zip": "9000",
                  "country_id": self.env.ref("base.be").id, "partner_name": "Acme"}],
            # group 4: a lost lead and an automated probability
            [{"name": "G4 lost", "probability": 0, "lost_reason_id": self.lost_reason.id, "priority": "2"},
             {"name": "G4 fresh", "probability": 20, "date_deadline": datetime.date(2030, 1, 1),
                  "recurring_revenue": 10}],
        ]
        groups = []
        for index, group in enumerate(rows):
            email = f"group{index}@duplicates.example.com"
            created = Lead.create([{**base, "email_from": email, **values} for values in group])
            groups.append(created.with_env(self.env))  # merged with tracking on, as the run merges
        self._dependences(groups)
        self.env.flush_all()
        # as if created in an earlier transaction: mail tracks their changes (it does not track
        # records created in the current one)
        for model in ("crm.lead", "res.partner"):
            self.env.cr.precommit.data.pop(f"mail.tracking.{model}", None)
        return groups

    def _dependences(self, groups):
        tail = groups[0][0]
        tail.message_post(body="A question", subject="Pricing", message_type="comment")
        tail.message_post(body="No subject", message_type="comment")
        tail.message_subscribe(partner_ids=self.writer.ids)
        tail.with_context(mail_create_nosubscribe=True).message_post(
            body="From Wendy", author_id=self.writer.id, message_type="comment")
        tail.activity_schedule("mail.mail_activity_data_todo", summary="Call back", user_id=self.salesman.id)
        self.env["ir.attachment"].create({
            "name": "offer.pdf", "res_model": "crm.lead", "res_id": tail.id, "datas": base64.b64encode(b"pdf"),
        })
        self.env["calendar.event"].create({
            "name": "Meeting G1", "opportunity_id": tail.id, "res_model_id": self.env.ref("crm.model_crm_lead").id,
            "res_id": tail.id, "start": "2030-01-01 10:00:00", "stop": "2030-01-01 11:00:00",
        })
        groups[1][1].message_post(body="Second group", subject="Hello", message_type="comment")
        groups[2][1].activity_schedule("mail.mail_activity_data_todo", summary="Visit", user_id=self.salesman.id)
        # a follower of the Note subtype on every lead of group 4: the head's summary note notifies it
        note = self.env.ref("mail.mt_note")
        groups[3].message_subscribe(partner_ids=self.salesman.partner_id.ids,
                                    subtype_ids=(note | self.env.ref("mail.mt_comment")).ids)

    def _merged_state(self, groups, merge):
        """Merge ``groups`` with ``merge`` (a function of the groups returning the heads), unlink the
        tails as the run does, run the tracking as a commit would, and describe what is left."""
        heads = merge(groups)
        tails = self.env["crm.lead"].union(*groups) - self.env["crm.lead"].union(*heads)
        tails.sudo().unlink()
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.env.invalidate_all()
        state = {"heads": [head.id for head in heads], "left": sorted(self.env["crm.lead"].union(*groups).exists().ids)}
        cr = self.env.cr
        cr.execute("SELECT * FROM crm_lead WHERE id = ANY(%s) ORDER BY id", [state["heads"]])
        names = [column.name for column in cr.description]
        state["rows"] = [dict(zip(names, row, strict=True)) for row in cr.fetchall()]
        # an embedded image's link names its attachment (a new one on each side)
        body = r"regexp_replace(m.body, '/web/image/\d+\?access_token=[-0-9a-f]+', '/web/image/…', 'g')"
        queries = {
            "tags": "SELECT lead_id, tag_id FROM crm_tag_rel WHERE lead_id = ANY(%s) ORDER BY 1, 2",
            "messages": f"""SELECT m.res_id, {body}, m.subject, m.message_type, m.subtype_id, m.author_id,
                                  m.email_from, m.record_name, m.reply_to, m.is_internal, m.record_company_id,
                                  m.email_add_signature, m.parent_id IS NULL,
                                  ARRAY(SELECT ROW(f.name, v.old_value_char, v.new_value_char,
                                                   v.old_value_integer, v.new_value_integer,
                                                   v.old_value_float, v.new_value_float)::text
                                          FROM mail_tracking_value v JOIN ir_model_fields f ON f.id = v.field_id
                                         WHERE v.mail_message_id = m.id ORDER BY f.name)
                             FROM mail_message m WHERE m.model = 'crm.lead' AND m.res_id = ANY(%s)
                         ORDER BY 1, 2, 3""",
            "columns": f"""SELECT m.res_id,
                                 to_jsonb(m) - ARRAY['id', 'date', 'create_date', 'write_date', 'message_id',
                                                     'parent_id']
                                 || jsonb_build_object('body', {body}),
                                 m.message_id LIKE '<%%@%%>'
                            FROM mail_message m WHERE m.model = 'crm.lead' AND m.res_id = ANY(%s)
                        ORDER BY 1, 2""",
            "notified": """SELECT m.res_id, n.res_partner_id, n.notification_type
                             FROM mail_notification n JOIN mail_message m ON m.id = n.mail_message_id
                            WHERE m.model = 'crm.lead' AND m.res_id = ANY(%s) ORDER BY 1, 2""",
            "activities": """SELECT res_id, res_name, summary, user_id FROM mail_activity
                              WHERE res_model = 'crm.lead' AND res_id = ANY(%s) ORDER BY 1, 3""",
            "attachments": """SELECT res_id, name FROM ir_attachment
                               WHERE res_model = 'crm.lead' AND res_id = ANY(%s) ORDER BY 1, 2""",
            "followers": """SELECT f.res_id, f.partner_id,
                                   ARRAY(SELECT r.mail_message_subtype_id FROM mail_followers_mail_message_subtype_rel r
                                          WHERE r.mail_followers_id = f.id ORDER BY 1)
                              FROM mail_followers f WHERE f.res_model = 'crm.lead' AND f.res_id = ANY(%s)
                          ORDER BY 1, 2""",
            "meetings": "SELECT name, res_id, opportunity_id FROM calendar_event WHERE opportunity_id = ANY(%s)",
        }
        for key, query in queries.items():
            cr.execute(query, [state["heads"]])
            state[key] = cr.fetchall()
        # crm's write syncs the customer from the lead (its email): tracked on the customer's chatter
        cr.execute(
            """SELECT p.email, ARRAY(SELECT ROW(f.name, v.old_value_char, v.new_value_char)::text
                                       FROM mail_message m JOIN mail_tracking_value v ON v.mail_message_id = m.id
                                       JOIN ir_model_fields f ON f.id = v.field_id
                                      WHERE m.model = 'res.partner' AND m.res_id = p.id ORDER BY m.id, f.name)
                 FROM res_partner p WHERE p.id = %s""",
            [self.customer.id],
        )
        state["customer"] = cr.fetchall()
        return state

    def test_bulk_merge_equals_crm_merge(self):
        """The same duplicate groups merged by crm's _merge_opportunity one group at a time and by the
        bulk merge leave the same heads, column for column, with the same tags, chatter (summary
        notes, moved messages with their new subjects, tracking values), activities, attachments,
        followers and meetings."""
        groups = self._groups()
        self.env.flush_all()
        Lead = self.env["crm.lead"].sudo()

        def crm_merge(groups):
            return [group.sudo()._merge_opportunity(user_id=False, team_id=False, auto_unlink=False, max_length=0)
                    for group in groups]

        def bulk_merge(groups):
            self.assertFalse(Lead._lt_merge_extended())
            return Lead._lt_merge_run([group.ids for group in groups])  # the bulk path, no fallback

        savepoint = self.env.cr.savepoint(flush=False)
        expected = self._merged_state(groups, crm_merge)
        savepoint.rollback()
        savepoint.close()
        self.env.invalidate_all()
        merged = self._merged_state(groups, bulk_merge)
        # the fixtures mean something: crm changed the heads in every way compared below
        self.assertEqual(len(expected["heads"]), 4)
        self.assertEqual(len(expected["left"]), 4)
        self.assertTrue(expected["tags"] and expected["activities"] and expected["attachments"])
        self.assertTrue(expected["meetings"] and any(row[1] == self.writer.id for row in expected["followers"]))
        self.assertTrue(any(row[-1] for row in expected["messages"]), "crm tracked changes on heads")
        self.assertEqual(len({row[4] for row in expected["messages"]}), 2, "notes and a stage change")
        self.assertTrue(expected["customer"][0][1], "crm's write changed the customer, tracked")
        self.assertIn(self.salesman.partner_id.id, [row[1] for row in expected["notified"]], "a Note follower")
        self.assertTrue(any(row[1].startswith("image") for row in expected["attachments"]), "the embedded image")
        self.assertTrue(all(row[2] for row in expected["columns"]), "every message has a Message-Id")
        for key in ("heads", "left", "tags", "activities", "attachments", "followers", "meetings", "notified",
                    "customer"):
            self.assertEqual(merged[key], expected[key], key)
        for got, want in zip(merged["columns"], expected["columns"], strict=True):
            self.assertEqual(got, want, {key: (got[1].get(key), value) for key, value in want[1].items()
                                         if got[1].get(key) != value})
        self.assertEqual(len(merged["messages"]), len(expected["messages"]))
        for got, want in zip(merged["messages"], expected["messages"], strict=True):
            self.assertEqual(got, want)
        for got, want in zip(merged["rows"], expected["rows"], strict=True):
            differing = {key: (got[key], want[key]) for key in want if got[key] != want[key]}
            self.assertFalse(differing, f"lead {want['id']}")

    def test_bulk_merge_queries_do_not_grow_with_groups(self):
        """Merging 3 or 30 duplicate groups costs the same pinned number of queries."""
        Lead = self.env["crm.lead"].sudo()
        for size in (1, 3, 30):  # the first one warms the caches up
            groups = []
            for index in range(size):
                email = f"q{size}.{index}@duplicates.example.com"
                groups.append(Lead.create([
                    {"name": f"Q{index} a", "email_from": email, "team_id": False, "user_id": False,
                     "description": f"<p>a {index}</p>", "tag_ids": [(6, 0, self.tags[:1].ids)]},
                    {"name": f"Q{index} b", "email_from": email, "team_id": False, "user_id": False,
                     "probability": 40, "description": f"<p>b {index}</p>", "phone": f"+32 470 00 00 {index:02d}",
                     "tag_ids": [(6, 0, self.tags[1:].ids)], "partner_id": self.customer.id},
                ]))
                groups[-1][0].message_post(body="Hello", subject=f"S{index}", message_type="comment")
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(LT_MERGE_QUERIES if size > 1 else 1000):
                heads = Lead._lt_merge_run([group.ids for group in groups])
                self.env.flush_all()
            self.assertEqual(len([head for head in heads if head]), size)
            self.assertTrue(all(len(head.tag_ids) == 3 for head in heads))

    def test_run_queries_do_not_grow_with_duplicates(self):
        """A run over 50 or 500 team-less leads, one in five a duplicate merged first, costs the same
        pinned number of queries."""
        self.m_sam.assignment_max = 1000
        self.m_alex.assignment_max = 1000
        self._leads(1)
        self._run()  # warms the caches up
        for size in (50, 500):
            leads = self._leads(size)
            for first, second in zip(leads[0::5], leads[1::5], strict=True):
                second.email_from = first.email_from
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(LT_RUN_MERGE_QUERIES):
                summary = self._run()
            self.assertEqual(summary["duplicates"], size // 5)
            self.assertEqual(summary["assigned"], size - size // 5)
