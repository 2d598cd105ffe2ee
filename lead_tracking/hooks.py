from odoo.tools import SQL, column_exists
from odoo.tools.sql import TableKind, table_kind

from .report._common import lt_report_drop_indexes


def uninstall_hook(env):
    """Remove what lead_tracking created, with real deletes.

    This Odoo build does not delete records during an uninstall (its unlink calls
    are no-ops), which would leave our fields, columns, models, views and menus
    behind.  Records whose external id belongs only to lead_tracking are deleted
    here, newest first; columns and tables of our fields and models are dropped."""
    cr = env.cr
    # The reports' indexes sit on crm and mail tables, which outlive the addon.
    lt_report_drop_indexes(cr)
    cr.execute(
        """SELECT d.id, d.model, d.res_id FROM ir_model_data d
            WHERE d.module = 'lead_tracking'
              AND NOT EXISTS (SELECT 1 FROM ir_model_data o
                               WHERE o.model = d.model AND o.res_id = d.res_id AND o.module <> 'lead_tracking')
            ORDER BY d.id DESC"""
    )
    owned = cr.fetchall()
    fields = [res_id for _id, model, res_id in owned if model == "ir.model.fields"]
    models = [res_id for _id, model, res_id in owned if model == "ir.model"]
    for _id, model, res_id in owned:
        if model in ("ir.model.fields", "ir.model") or model not in env:
            continue
        cr.execute(SQL("DELETE FROM %s WHERE id = %s", SQL.identifier(env[model]._table), res_id))
    if fields:
        cr.execute("SELECT id, model, name FROM ir_model_fields WHERE id IN %s", [tuple(fields)])
        for field_id, model_name, name in cr.fetchall():
            model = env.get(model_name)
            field = model is not None and model._fields.get(name)
            if (
                field
                and field.store
                and table_kind(cr, model._table) == TableKind.Regular  # not the reports' views
                and column_exists(cr, model._table, name)
            ):
                cr.execute(
                    SQL("ALTER TABLE %s DROP COLUMN %s CASCADE", SQL.identifier(model._table), SQL.identifier(name))
                )
            cr.execute("DELETE FROM ir_model_fields_selection WHERE field_id = %s", [field_id])
            cr.execute("DELETE FROM ir_model_fields WHERE id = %s", [field_id])
    if models:
        cr.execute("SELECT id, model FROM ir_model WHERE id IN %s", [tuple(models)])
        for model_id, model_name in cr.fetchall():
            model = env.get(model_name)
            kind = table_kind(cr, model._table) if model is not None and not model._abstract else None
            if kind == TableKind.View:  # the SQL-view reports
                cr.execute(SQL("DROP VIEW %s CASCADE", SQL.identifier(model._table)))
            elif kind is not None:
                cr.execute(SQL("DROP TABLE %s CASCADE", SQL.identifier(model._table)))
            cr.execute("DELETE FROM ir_model_access WHERE model_id = %s", [model_id])
            cr.execute("DELETE FROM ir_rule WHERE model_id = %s", [model_id])
            cr.execute("DELETE FROM ir_model_fields WHERE model_id = %s", [model_id])
            cr.execute("DELETE FROM ir_model WHERE id = %s", [model_id])
    cr.execute("DELETE FROM ir_model_data WHERE module = 'lead_tracking'")
    env.invalidate_all()
