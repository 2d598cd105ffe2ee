"""Install/uninstall hooks of lead_tracking."""

from odoo.tools import SQL
from odoo.tools.sql import TableKind, table_kind

from .report._common import lt_report_drop_indexes

# The Odoo we run on never really deletes views, actions, record rules, groups, mail templates,
# models or fields at uninstall (their ``unlink`` overrides don't reach the database), so an
# uninstall would leave tables, columns and views behind that break crm. We remove what is ours
# in SQL before the framework's own pass, which then finds nothing left to do for these.
_LT_SIMPLE_TABLES = [
    ("ir.ui.menu", "ir_ui_menu"),
    ("ir.actions.act_window", "ir_actions"),
    ("ir.actions.server", "ir_actions"),
    ("ir.actions.client", "ir_actions"),
    ("ir.actions.report", "ir_actions"),
    ("ir.rule", "ir_rule"),
    ("ir.filters", "ir_filters"),
    ("mail.template", "mail_template"),
    ("ir.model.access", "ir_model_access"),
]


def _lt_ids(cr, model):
    """Ids of ``model`` records that only lead_tracking references (never what another module owns too)."""
    cr.execute(
        """
        SELECT d.res_id FROM ir_model_data d
         WHERE d.module = 'lead_tracking' AND d.model = %s
           AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                            WHERE o.model = d.model AND o.res_id = d.res_id AND o.module != 'lead_tracking')
        """,
        [model],
    )
    return [row[0] for row in cr.fetchall()]


def _lt_forget(cr, model, ids):
    cr.execute(
        "DELETE FROM ir_model_data WHERE module = 'lead_tracking' AND model = %s AND res_id = ANY(%s)", [model, ids]
    )


def post_init_hook(env):
    """Fill the lead intelligence columns (score tier, quality, lifecycle, closing score) of existing leads."""
    env["crm.lead"]._lt_refresh_all()


def uninstall_hook(env):
    """Delete, in SQL, what the framework's uninstall would leave behind (see above)."""
    cr = env.cr
    env.flush_all()
    # The reports' indexes, summary triggers and tables sit on crm and mail tables, which outlive the addon.
    lt_report_drop_indexes(cr)
    for summary in env["lt.lead.report.mixin"]._lt_report_summaries():
        summary.drop(cr)
    view_ids = _lt_ids(cr, "ir.ui.view")
    if view_ids:
        cr.execute(
            """
            WITH RECURSIVE doomed(id) AS (
                SELECT id FROM ir_ui_view WHERE id = ANY(%s)
                UNION SELECT v.id FROM ir_ui_view v JOIN doomed d ON v.inherit_id = d.id
            )
            DELETE FROM ir_ui_view WHERE id IN (SELECT id FROM doomed)
            """,
            [view_ids],
        )
        _lt_forget(cr, "ir.ui.view", view_ids)
    cron_ids = _lt_ids(cr, "ir.cron")
    if cron_ids:
        # A cron owns the server action it inherits from: both rows go, the cron's first.
        cr.execute("DELETE FROM ir_cron WHERE id = ANY(%s) RETURNING ir_actions_server_id", [cron_ids])
        cr.execute("DELETE FROM ir_actions WHERE id = ANY(%s)", [[row[0] for row in cr.fetchall()]])
        _lt_forget(cr, "ir.cron", cron_ids)
    for model, table in _LT_SIMPLE_TABLES:
        ids = _lt_ids(cr, model)
        if ids:
            cr.execute(SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(table), ids))
            _lt_forget(cr, model, ids)
    group_ids = _lt_ids(cr, "res.groups")
    if group_ids:
        cr.execute("DELETE FROM ir_model_access WHERE group_id = ANY(%s)", [group_ids])
        cr.execute("DELETE FROM res_groups WHERE id = ANY(%s)", [group_ids])
        _lt_forget(cr, "res.groups", group_ids)

    # Fields: drop their columns (and many2many tables), then their metadata.
    field_ids = _lt_ids(cr, "ir.model.fields")
    if field_ids:
        cr.execute(
            """
            SELECT f.id, f.name, f.ttype, f.store, f.relation_table, m.model
              FROM ir_model_fields f JOIN ir_model m ON m.id = f.model_id
             WHERE f.id = ANY(%s)
            """,
            [field_ids],
        )
        for _fid, name, ttype, store, relation_table, model in cr.fetchall():
            if name == "id" or name in ("create_uid", "create_date", "write_uid", "write_date"):
                continue
            if ttype == "many2many" and relation_table:
                cr.execute(SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(relation_table)))
            elif store and model in env and table_kind(cr, env[model]._table) == TableKind.Regular:
                # (the reports' SQL views lose their columns with DROP VIEW below)
                table = env[model]._table
                cr.execute(
                    SQL("ALTER TABLE %s DROP COLUMN IF EXISTS %s CASCADE", SQL.identifier(table), SQL.identifier(name))
                )
        cr.execute("DELETE FROM ir_model_fields_selection WHERE field_id = ANY(%s)", [field_ids])
        cr.execute("DELETE FROM ir_model_fields WHERE id = ANY(%s)", [field_ids])
        _lt_forget(cr, "ir.model.fields", field_ids)
        cr.execute("DELETE FROM ir_model_data WHERE module = 'lead_tracking' AND model = 'ir.model.fields.selection'")

    # Models: drop their tables, then their metadata (their remaining fields go with them).
    model_ids = _lt_ids(cr, "ir.model")
    if model_ids:
        cr.execute("SELECT id, model FROM ir_model WHERE id = ANY(%s)", [model_ids])
        names = []
        for _mid, model in cr.fetchall():
            names.append(model)
            table = env[model]._table if model in env else model.replace(".", "_")
            kind = table_kind(cr, table)
            if kind == TableKind.View:
                cr.execute(SQL("DROP VIEW %s CASCADE", SQL.identifier(table)))
            elif kind is not None:
                cr.execute(SQL("DROP TABLE %s CASCADE", SQL.identifier(table)))
        # Records of these models (shipped data) went with their tables.
        cr.execute("DELETE FROM ir_model_data WHERE model = ANY(%s)", [names])
        cr.execute(
            "DELETE FROM ir_model_inherit WHERE model_id = ANY(%(ids)s) OR parent_id = ANY(%(ids)s)", {"ids": model_ids}
        )
        cr.execute("DELETE FROM ir_model_fields WHERE model_id = ANY(%s)", [model_ids])
        cr.execute("DELETE FROM ir_model_access WHERE model_id = ANY(%s)", [model_ids])
        cr.execute("DELETE FROM ir_rule WHERE model_id = ANY(%s)", [model_ids])
        cr.execute("DELETE FROM ir_model WHERE id = ANY(%s)", [model_ids])
        _lt_forget(cr, "ir.model", model_ids)
    # Our external ids on models and fields other modules own: those records stay, the ids go.
    cr.execute(
        "DELETE FROM ir_model_data WHERE module = 'lead_tracking' "
        "AND model IN ('ir.model', 'ir.model.fields', 'ir.model.fields.selection', 'ir.model.constraint', "
        "'ir.model.inherit')"
    )
    # Plain shipped records whose unlink is a no-op here too.
    for model, table in (("crm.lost.reason", "crm_lost_reason"), ("ir.module.category", "ir_module_category")):
        ids = _lt_ids(cr, model)
        if ids:
            if table == "crm_lost_reason":
                # Leads lost as spam keep being lost, without our reason (the column restricts deletes).
                cr.execute("UPDATE crm_lead SET lost_reason_id = NULL WHERE lost_reason_id = ANY(%s)", [ids])
            cr.execute(SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(table), ids))
            _lt_forget(cr, model, ids)
    env.invalidate_all()
