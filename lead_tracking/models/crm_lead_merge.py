# crm.lead is extended in one file per capability, as Odoo's own addons split a model they extend.
# pylint: disable=consider-merging-classes-inherited
import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.addons.mail.models.mail_message import _image_dataurl
from odoo.tools import SQL, is_html_empty
from odoo.tools.translate import code_translations

from .crm_lead import LT_LIFECYCLE_TRIGGERS

_logger = logging.getLogger(__name__)

# crm's merge steps the bulk merge performs itself: when another module extends one of them, its
# extension could do anything per group, so groups are then merged by crm's own method one by one.
LT_MERGE_STEPS = (
    "_merge_opportunity", "_merge_followers", "_merge_log_summary", "_merge_dependences",
    "_merge_dependences_history", "_merge_dependences_attachments", "_merge_dependences_calendar_events",
)
# What crm's write (and lead_tracking's) does something with when it is written, whatever its value:
# the bulk merge writes these even when the head keeps its value (see _lt_merge_changed_values).
LT_MERGE_WRITTEN_ALWAYS = {
    "stage_id", "user_id", "team_id", "probability", "automated_probability", "active", "website",
    "date_closed", "date_open", "date_last_stage_update", *LT_LIFECYCLE_TRIGGERS,
}
# Field types whose unchanged value the bulk merge leaves out of the head's write.
LT_MERGE_PLAIN_TYPES = {
    "char", "text", "html", "integer", "float", "monetary", "boolean", "selection", "date", "datetime", "many2one",
}
LT_MERGE_NULL_READ_AS_ZERO = {"integer", "float", "monetary", "boolean"}
# Column types the bulk flush writes through unnest(); any other dirty column goes through the ORM.
LT_MERGE_BULK_TYPES = {
    "int4", "int8", "float8", "numeric", "bool", "varchar", "text", "date", "timestamp",
}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # Bulk merge: crm's _merge_opportunity for many duplicate groups at once
    # ------------------------------------------------------------

    @api.model
    def _lt_merge_bulk(self, groups):
        """Merge each group of lead ids as ``_merge_opportunity(user_id=False, team_id=False,
        auto_unlink=False, max_length=0)`` would, for every group at once: the same head, the same
        merged values (crm's ``_merge_data``, stage checked against the head's team, tracking), the
        same summary note, followers, messages, activities, attachments and meetings moved to the head,
        in a number of queries that does not grow with the groups. The tails are left for the caller
        to unlink (all at once). Returns one head (a crm.lead) per group, in order; an empty
        recordset for a group crm refuses to merge.

        Where another module extends one of crm's merge steps (``LT_MERGE_STEPS``), or the bulk path
        fails on the data, each group goes through crm's own method instead."""
        heads = [self.browse()] * len(groups)
        todo = {index: list(dict.fromkeys(ids)) for index, ids in enumerate(groups) if len(set(ids)) > 1}
        if not todo:
            return heads
        if self._lt_merge_extended():
            merged = [self._lt_merge_one(ids) for ids in todo.values()]
        else:
            try:
                with self.env.cr.savepoint():
                    merged = self._lt_merge_run(list(todo.values()))
            except Exception as error:
                _logger.warning("Bulk merge of %s groups failed (%s): merged one by one", len(todo), error)
                self.env.invalidate_all()
                merged = [self._lt_merge_one(ids) for ids in todo.values()]
        for index, head in zip(todo, merged, strict=True):
            heads[index] = head
        return heads

    @api.model
    def _lt_merge_extended(self):
        """Whether a module other than crm (and this one) overrides one of crm's merge steps."""
        own = ("odoo.addons.crm.", "odoo.addons.lead_tracking.")
        for name in LT_MERGE_STEPS:
            for cls in type(self).__mro__:
                module = cls.__module__
                if name in vars(cls) and module.startswith("odoo.addons.") and not module.startswith(own):
                    return True
        return False

    @api.model
    def _lt_merge_one(self, lead_ids):
        """crm's own merge of one group, in a savepoint; an empty recordset when crm refuses it."""
        leads = self.browse(lead_ids)
        try:
            with self.env.cr.savepoint():
                return leads._merge_opportunity(user_id=False, team_id=False, auto_unlink=False, max_length=0)
        except Exception as error:
            _logger.warning("Leads %s not merged: %s", lead_ids, error)
            return self.browse()

    def _lt_merge_run(self, groups):
        self.env.flush_all()
        Lead = self.with_context(active_test=False)
        leads = Lead.browse({lead_id for ids in groups for lead_id in ids})
        fnames = Lead._merge_get_fields()
        # everything crm reads, for every lead at once (the per-group steps below run in memory)
        leads.fetch([name for name, field in Lead._fields.items() if field.store and field.column_type]
                    + ["tag_ids", "lead_properties"])
        leads.stage_id.mapped("sequence")
        # the stages a merged team may need (crm checks the head's stage against its team's)
        stages = self.env["crm.stage"].search(
            ["|", ("team_id", "=", False), ("team_id", "in", leads.team_id.ids)], order="sequence, id")
        stages.mapped("team_id")
        plans = [Lead._lt_merge_plan(Lead.browse(ids).with_prefetch(leads._prefetch_ids), fnames, stages)
                 for ids in groups]
        followers = Lead._lt_merge_followers(plans)
        Lead._lt_merge_summaries(plans, followers)
        Lead._lt_merge_move_dependences(plans)
        Lead._lt_merge_write_heads(plans)
        return [plan[0].with_env(self.env) for plan in plans]

    @api.model
    def _lt_merge_plan(self, leads, fnames, stages):
        """(head, tails, values to write on the head) for one group, as crm's merge computes them."""
        ordered = leads._sort_by_confidence_level(reverse=True)
        head, tails = ordered[0], ordered[1:]
        values = ordered._merge_data(fnames)
        if values.get("team_id"):
            # crm's check: a stage of the team (or of every team), else the team's first one
            allowed = [stage.id for stage in stages if stage.team_id.id in (values["team_id"], False)]
            if values.get("stage_id") not in allowed:
                values["stage_id"] = allowed[0] if allowed else False
        if "user_id" in values and head.user_id.id == values["user_id"]:
            values.pop("user_id")
        if "team_id" in values and head.team_id.id == values["team_id"]:
            values.pop("team_id")
        return head, tails, self._lt_merge_changed_values(head, values)

    @api.model
    def _lt_merge_changed_values(self, head, values):
        """``values`` without the plain fields that keep the head's value: writing them changes
        nothing but costs the ORM its dependency walk per field and head. A field write rules look
        at (``LT_MERGE_WRITTEN_ALWAYS``), one with an inverse, a relation to many and anything
        unusual are kept; so is every value when none changes (the write still stamps the head)."""
        changed = {}
        for name, value in values.items():
            field = head._fields[name]
            kept = (name in LT_MERGE_WRITTEN_ALWAYS or field.inverse or field.type not in LT_MERGE_PLAIN_TYPES
                    or isinstance(value, models.BaseModel))  # a value only the write converts
            # a NULL number or flag reads as 0 or False: writing 0 or False on it is a change
            kept = kept or (field.type in LT_MERGE_NULL_READ_AS_ZERO and not value)
            if not kept and (head[name].id if field.type == "many2one" else head[name]) == value:
                continue
            changed[name] = value
        return changed if any(name not in LT_MERGE_WRITTEN_ALWAYS for name in changed) else values

    @api.model
    def _lt_merge_followers(self, plans):
        """crm's ``_merge_followers`` for every group in one query: a tail's follower who wrote on
        it in the last 30 days follows the head (moved, once per partner), unless already there.
        Returns {head id: {tail id: mail.followers}} for the summary notes."""
        tail_heads = {tail.id: head.id for head, tails, _values in plans for tail in tails}
        self.env["mail.message"].flush_model()
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(SQL(
            """SELECT MAX(mf.id), v.head_id
                 FROM unnest(%s::int[], %s::int[]) AS v(tail_id, head_id)
                 JOIN mail_followers mf ON mf.res_model = 'crm.lead' AND mf.res_id = v.tail_id
                 JOIN mail_message mm ON mm.author_id = mf.partner_id AND mm.res_id = mf.res_id
                                     AND mm.model = 'crm.lead' AND mm.date > NOW() - INTERVAL '30 DAY'
            LEFT JOIN mail_followers destf ON destf.res_model = 'crm.lead' AND destf.res_id = v.head_id
                                          AND destf.partner_id = mf.partner_id
                WHERE destf IS NULL
             GROUP BY v.head_id, mf.partner_id""",
            list(tail_heads), list(tail_heads.values()),
        ))
        moved = dict(self.env.cr.fetchall())
        result = defaultdict(dict)
        if not moved:
            return result
        followers = self.env["mail.followers"].sudo().browse(moved)
        for follower in followers:
            by_tail = result[moved[follower.id]]
            by_tail[follower.res_id] = by_tail.get(follower.res_id, followers.browse()) | follower
        followers.partner_id.mapped("email")  # read before they move: the notes list them
        self.env.cr.execute(
            "UPDATE mail_followers f SET res_id = v.head_id FROM unnest(%s::int[], %s::int[]) AS v(id, head_id)"
            " WHERE f.id = v.id",
            [list(moved), list(moved.values())],
        )
        followers.invalidate_recordset(["res_id"])
        return result

    @api.model
    def _lt_merge_summaries(self, plans, followers):
        """crm's summary note on each head (its template, rendered per head), as ``message_post``
        leaves it: the values it gives a note, the body sanitized by mail.message's own field, all
        inserted in one query; the heads' followers of the Note subtype are notified as a post
        notifies them."""
        heads = self.browse([plan[0].id for plan in plans])
        view = self.env.ref("crm.crm_lead_merge_summary")
        Render = self.env["mail.render.mixin"]
        Message = self.env["mail.message"]
        body_field = Message._fields["body"]
        bodies = {}
        for head, tails, _values in plans:
            body = Render._render_template_qweb_view(view, self._name, head.ids, add_context={
                "merged_followers": followers.get(head.id, {}), "opportunities": tails,
                "is_html_empty": is_html_empty,
            })[head.id]
            bodies[head.id] = Markup(body_field.convert_to_column(body, Message))
        author_id, email_from = heads._message_compute_author(None, None, raise_on_email=True)
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        aliases = heads.sudo()._mail_get_alias_domains(default_company=self.env.company)
        companies = heads._mail_get_companies(default=self.env.company)
        reply_to = heads._notify_get_reply_to(default=email_from)
        values = {head.id: {
            "email_add_signature": True, "record_name": head.sudo().display_name,
            "author_id": author_id, "author_guest_id": False, "email_from": email_from,
            "model": self._name, "res_id": head.id, "body": bodies[head.id], "message_type": "notification",
            "parent_id": False, "subject": False, "subtype_id": subtype_id, "partner_ids": [],
            "record_alias_domain_id": aliases[head.id].id, "record_company_id": companies[head.id].id,
            "reply_to": reply_to[head.id],
        } for head in heads}
        # a body with an embedded image becomes an attachment in mail's own create: those go through it
        imaged = [head_id for head_id, body in bodies.items() if _image_dataurl.search(body)]
        messages = dict(zip(imaged, heads.browse(imaged)._message_create([values[i] for i in imaged]).ids, strict=True))
        messages.update(self._lt_merge_insert_notes([values[head.id] for head in heads if head.id not in messages]))
        self._lt_merge_notify_note_followers(messages, values, subtype_id)

    @api.model
    def _lt_merge_insert_notes(self, values_list):
        """Insert notes (values as ``_message_create`` takes them, bodies sanitized) in one query, with
        the defaults mail.message's create gives; returns {res_id: message id}."""
        if not values_list:
            return {}
        Message = self.env["mail.message"]
        columns = ("res_id", "record_name", "record_alias_domain_id", "record_company_id", "author_id",
                   "email_from", "reply_to", "body", "message_id")
        types = ("int", "text", "int", "int", "int", "text", "text", "text", "text")
        rows = [
            [values[name] or None for name in columns[:-1]] + [Message._get_message_id(values)]
            for values in values_list
        ]
        first = values_list[0]
        self.env.cr.execute(SQL(
            """INSERT INTO mail_message (model, message_type, subtype_id, subject, parent_id, author_guest_id,
                                         email_add_signature, date, %(columns)s,
                                         create_uid, create_date, write_uid, write_date)
               SELECT %(model)s, %(type)s, %(subtype)s, NULL, NULL, NULL, TRUE, %(date)s, %(names)s,
                      %(uid)s, %(now)s, %(uid)s, %(now)s
                 FROM unnest(%(arrays)s) AS v(%(columns)s)
            RETURNING res_id, id""",
            columns=SQL(", ").join(SQL.identifier(name) for name in columns),
            names=SQL(", ").join(SQL("v.%s", SQL.identifier(name)) for name in columns),
            arrays=SQL(", ").join(SQL("%s::%s[]", [row[index] for row in rows], SQL(kind))
                                  for index, kind in enumerate(types)),
            model=first["model"], type=first["message_type"], subtype=first["subtype_id"],
            date=fields.Datetime.now(), uid=self.env.uid, now=self.env.cr.now(),
        ))
        inserted = dict(self.env.cr.fetchall())
        self.invalidate_model(["message_ids"])
        return inserted

    @api.model
    def _lt_merge_notify_note_followers(self, messages, values, subtype_id):
        """Notify, as ``message_post`` does, the followers of the Note subtype of the heads that have
        one (seldom: the subtype is off by default), each head with its note ({head id: message id})."""
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(
            """SELECT DISTINCT f.res_id FROM mail_followers f
                 JOIN mail_followers_mail_message_subtype_rel r ON r.mail_followers_id = f.id
                WHERE f.res_model = %s AND f.res_id = ANY(%s) AND r.mail_message_subtype_id = %s""",
            [self._name, list(messages), subtype_id],
        )
        for (head_id,) in self.env.cr.fetchall():
            message = self.env["mail.message"].browse(messages[head_id])
            self.browse(head_id)._notify_thread(message, values[head_id])

    @api.model
    def _lt_merge_move_dependences(self, plans):
        """crm's ``_merge_dependences`` for every group: the tails' messages (subject "From <tail>"),
        activities, attachments (renamed "<name> (from <tail>)") and meetings go to the head."""
        tail_heads = {tail.id: head for head, tails, _values in plans for tail in tails}
        if not tail_heads:
            return
        tails = self.browse(tail_heads)
        cr = self.env.cr
        # the tails' message_ids: a user's own notifications are not among them (they die with the tail)
        cr.execute(
            """SELECT id, res_id, subject FROM mail_message
                WHERE model = 'crm.lead' AND res_id = ANY(%s) AND message_type != 'user_notification'""",
            [list(tail_heads)],
        )
        rows = cr.fetchall()
        if rows:
            names = {tail.id: tail.name for tail in tails}
            subjects = [
                self._lt_merge_crm_text("From %(source_name)s: %(source_subject)s", source_name=names[res_id],
                                        source_subject=subject)
                if subject else self._lt_merge_crm_text("From %(source_name)s", source_name=names[res_id])
                for _id, res_id, subject in rows
            ]
            cr.execute(
                """UPDATE mail_message m SET res_id = v.head_id, subject = v.subject
                     FROM unnest(%s::int[], %s::int[], %s::text[]) AS v(id, head_id, subject) WHERE m.id = v.id""",
                [[row[0] for row in rows], [tail_heads[row[1]].id for row in rows], subjects],
            )
            self.env["mail.message"].invalidate_model(["res_id", "subject"])
        cr.execute(
            """UPDATE mail_activity a SET res_id = v.head_id, res_name = v.name
                 FROM unnest(%s::int[], %s::int[], %s::text[]) AS v(tail_id, head_id, name)
                WHERE a.res_model = 'crm.lead' AND a.res_id = v.tail_id""",
            [list(tail_heads), [head.id for head in tail_heads.values()],
             [head.display_name for head in tail_heads.values()]],
        )
        self._lt_merge_move_attachments(tail_heads)
        cr.execute(
            """UPDATE calendar_event e SET res_id = v.head_id, opportunity_id = v.head_id
                 FROM unnest(%s::int[], %s::int[]) AS v(tail_id, head_id) WHERE e.opportunity_id = v.tail_id""",
            [list(tail_heads), [head.id for head in tail_heads.values()]],
        )
        self.env["mail.activity"].invalidate_model(["res_id", "res_name"])
        self.env["calendar.event"].invalidate_model(["res_id", "opportunity_id"])
        self.invalidate_model(["message_ids", "activity_ids"])

    @api.model
    def _lt_merge_crm_text(self, source, **values):
        """One of the sentences crm's merge writes (``source``, crm's English text), in the user's
        language from crm's own translations: the records read exactly as crm's merge leaves them."""
        lang = self.env.lang
        if lang and lang != "en_US":
            source = code_translations.get_python_translations("crm", lang).get(source, source)
        return source % values

    @api.model
    def _lt_merge_move_attachments(self, tail_heads):
        cr = self.env.cr
        cr.execute(
            """SELECT id, res_id, name FROM ir_attachment
                WHERE res_model = 'crm.lead' AND res_id = ANY(%s) AND res_field IS NULL""",
            [list(tail_heads)],
        )
        rows = cr.fetchall()
        if not rows:
            return
        names = {tail.id: tail.name for tail in self.browse(tail_heads)}
        cr.execute(
            """UPDATE ir_attachment a SET res_id = v.head_id, name = v.name
                 FROM unnest(%s::int[], %s::int[], %s::text[]) AS v(id, head_id, name) WHERE a.id = v.id""",
            [[row[0] for row in rows], [tail_heads[row[1]].id for row in rows],
             [self._lt_merge_crm_text("%(attach_name)s (from %(lead_name)s)", attach_name=name,
                                      lead_name=names[res_id][:20])
              for _id, res_id, name in rows]],
        )
        self.env["ir.attachment"].invalidate_model(["res_id", "name"])

    @api.model
    def _lt_merge_write_heads(self, plans):
        """Write the merged values on the heads as crm's merge does (the ORM's write: same recomputed
        fields, same crm rules on stage and salesperson), but flushed in bulk and tracked in bulk: the
        tags in one INSERT, every column in one UPDATE, the tracking notes in one batch."""
        tags = {}
        for head, _tails, values in plans:
            if "tag_ids" in values:
                added = values.pop("tag_ids") - head.tag_ids
                if added:
                    tags[head.id] = added.ids
        if tags:
            self._lt_merge_add_tags(tags)
        # crm's write hands each head's stage to _handle_won_lost, which counts a head reaching or
        # leaving a won stage in naive Bayes' frequencies; the others it leaves alone and so do we
        # (one search fewer per head). A head that counts is handled as crm's sequence does: after
        # the probabilities of the heads merged before it, before its own write.
        won_ids = set(self.env["crm.stage"].search([("is_won", "=", True)]).ids)
        done = self.with_context(lt_merge_won_lost_done=True)
        for head, _tails, values in plans:
            if self._lt_merge_counts_won_lost(head, values, won_ids):
                self.env._recompute_all()
                head._handle_won_lost(values)
            head.with_env(done.env).write(values)
        self._lt_merge_flush()
        # mail.thread's write kept the heads' tracked values for the commit: track them now, in bulk,
        # and leave the commit nothing to do for them (heads created in this transaction, None,
        # are not tracked, as mail does)
        pending = self.env.cr.precommit.data.get(f"mail.tracking.{self._name}", {})
        initial = {head.id: pending.pop(head.id) for head, _tails, _values in plans if pending.get(head.id)}
        self._lt_merge_track(initial)

    @api.model
    def _lt_merge_counts_won_lost(self, head, values, won_ids):
        """Whether crm's _handle_won_lost changes naive Bayes' frequencies for this head's write."""
        if "stage_id" in values and (values["stage_id"] in won_ids or (head.stage_id.id in won_ids and head.active)):
            return True
        return "active" in values and bool(values["active"]) != head.active

    def _handle_won_lost(self, vals):
        if self.env.context.get("lt_merge_won_lost_done"):
            return None  # the bulk merge handled it beforehand (_lt_merge_write_heads)
        return super()._handle_won_lost(vals)

    @api.model
    def _lt_merge_add_tags(self, tags):
        self.env.cr.execute(
            """INSERT INTO crm_tag_rel (lead_id, tag_id)
               SELECT v.lead_id, v.tag_id FROM unnest(%s::int[], %s::int[]) AS v(lead_id, tag_id)
               ON CONFLICT DO NOTHING""",
            [[lead_id for lead_id, ids in tags.items() for _tag in ids],
             [tag_id for ids in tags.values() for tag_id in ids]],
        )
        heads = self.browse(tags)
        heads.invalidate_recordset(["tag_ids"])
        self.env["crm.tag"].invalidate_model()
        heads.modified(["tag_ids"])

    @api.model
    def _lt_merge_flush(self):
        """Flush crm.lead's pending values one UPDATE per column (the ORM's flush issues one per
        distinct set of values, here one per head); other models flush the usual way."""
        cache = self.env.cache
        while True:
            # a recomputation may ask for others: compute until nothing is pending on stored records
            # (new records wait to be read, as the ORM leaves them, or this would never end)
            while any(any(self.env.all.tocompute.get(field, ())) for field in self.env.fields_to_compute()):
                self.env._recompute_all()
            fields = [
                field for field in cache.get_dirty_fields()
                if field.model_name == self._name and not field.translate
                and (field.column_type and field.column_type[0]) in LT_MERGE_BULK_TYPES
                and not self.pool.field_depends_context[field]
            ]
            if not fields:
                break
            self._lt_merge_flush_fields(fields)
        self.env.flush_all()

    @api.model
    def _lt_merge_flush_fields(self, fields):
        """One UPDATE for every dirty value of ``fields`` (columns of crm_lead): each row is rewritten
        once, whatever the number of its columns that changed (a row version per column would cost a
        new entry in each of crm_lead's indexes per column)."""
        cache = self.env.cache
        dirty = {field: {id_ for id_ in cache.clear_dirty_field(field) if id_} for field in fields}
        ids = sorted(set().union(*dirty.values()))
        if not ids:
            return
        ident = SQL.identifier
        # as the ORM's flush, a write stamps write_uid and write_date, unless it writes them itself
        stamps = {"write_uid": self.env.uid, "write_date": self.env.cr.now()}
        sets, arrays, names = [], [], []
        for number, (field, field_ids) in enumerate(dirty.items()):
            field_cache = cache._get_field_cache(self, field)
            values = [
                field.convert_to_column(field.convert_to_write(field_cache[id_], self.browse(id_)), self.browse(id_))
                if id_ in field_ids else None
                for id_ in ids
            ]
            value, flag = f"value{number}", f"dirty{number}"
            otherwise = SQL("%s", stamps.pop(field.name)) if field.name in stamps else SQL("l.%s", ident(field.name))
            sets.append(SQL("%s = CASE WHEN v.%s THEN v.%s ELSE %s END",
                            ident(field.name), ident(flag), ident(value), otherwise))
            flags = [id_ in field_ids for id_ in ids]
            arrays += [SQL("%s::%s[]", values, SQL(field.column_type[0])), SQL("%s::bool[]", flags)]
            names += [ident(value), ident(flag)]
        sets += [SQL("%s = %s", ident(name), stamp) for name, stamp in stamps.items()]
        self.env.cr.execute(SQL(
            "UPDATE crm_lead l SET %s FROM unnest(%s::int[], %s) AS v(id, %s) WHERE l.id = v.id",
            SQL(", ").join(sets), ids, SQL(", ").join(arrays), SQL(", ").join(names),
        ))

    @api.model
    def _lt_merge_track(self, initial):
        """The tracking notes crm's write leaves on the heads, created in one batch (a change with a
        subtype of its own, a stage for instance, is posted as crm posts it)."""
        heads = self.browse([head_id for head_id, values in initial.items() if values])
        if not heads:
            return
        fnames = set().union(*(values for values in initial.values()))
        tracked_fields = self.fields_get(fnames, attributes=("string", "type", "selection", "currency_field"))
        logged, tracking_values = self.browse(), []
        for head in heads:
            changes, commands = head._mail_track(tracked_fields, initial[head.id])
            if not changes:
                continue
            subtype = head._track_subtype({fname: initial[head.id][fname] for fname in changes})
            body = head._track_get_default_log_message(changes)
            if subtype:
                head.message_post(body=body, subtype_id=subtype.id, tracking_value_ids=commands)
            elif commands:
                logged |= head
                tracking_values.append((body, [command[2] for command in commands]))
        if not logged:
            return
        bodies = {head.id: body for head, (body, _rows) in zip(logged, tracking_values, strict=True)}
        messages = logged._message_log_batch(bodies)
        self.env["mail.tracking.value"].sudo().create([
            {**values, "mail_message_id": message.id}
            for message, (_body, rows) in zip(messages, tracking_values, strict=True) for values in rows
        ])
