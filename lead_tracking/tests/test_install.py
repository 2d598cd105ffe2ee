"""lead_tracking installs, uninstalls and installs again on a separate database holding
generated crm data, and crm keeps working after the uninstall: nothing the addon made
(records, views, menus, models, fields, columns, tables) is left behind."""

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import odoo
from odoo.tests import BaseCase, tagged
from odoo.tools import config

REPO = Path(__file__).resolve().parents[2]

# SQL snapshots: what the addon may add; everything in ``after uninstall`` must have existed before it.
SNAPSHOTS = {
    "tables": "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    "columns": "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'",
    "models": "SELECT model FROM ir_model",
    "fields": "SELECT model || '.' || name FROM ir_model_fields",
    "views": "SELECT id::text FROM ir_ui_view",
    "menus": "SELECT id::text FROM ir_ui_menu",
    "actions": "SELECT id::text FROM ir_actions",
    "access": "SELECT id::text FROM ir_model_access",
    "rules": "SELECT id::text FROM ir_rule",
    "crons": "SELECT id::text FROM ir_cron",
    "xmlids": "SELECT module || '.' || name FROM ir_model_data",
    "indexes": "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    "functions": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname = 'public'",
}

SMOKE = textwrap.dedent(
    """
    import sys
    import odoo
    from odoo import SUPERUSER_ID, api

    odoo.tools.config.parse_config(["-c", sys.argv[1]])
    dbname, uninstall = sys.argv[2], sys.argv[3] == "uninstall"
    registry = odoo.modules.registry.Registry(dbname)
    if uninstall:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.module.module"].search([("name", "=", "lead_tracking")]).button_immediate_uninstall()
        registry = odoo.modules.registry.Registry.new(dbname)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # every view of the models crm works with still combines and validates
        views = env["ir.ui.view"].search(["|", "|", ("model", "=like", "crm.%"), ("model", "=like", "utm.%"),
                                          ("model", "in", ["res.partner", "res.company", "res.users",
                                                           "res.config.settings", "mail.activity"])])
        views._check_xml()
        for model in ("crm.lead", "crm.team", "crm.team.member", "res.config.settings", "res.partner"):
            env[model].get_views([(False, "form"), (False, "tree"), (False, "search")])
        env["crm.lead"].get_views([(False, "kanban"), (False, "pivot"), (False, "graph"), (False, "activity")])
        env["ir.ui.menu"].load_menus(False)
        leads = env["crm.lead"].with_context(active_test=False)
        assert leads.search_count([]) >= 2000
        leads.search_read([], limit=200)
        leads.read_group([], ["expected_revenue:sum"], ["user_id", "stage_id"], lazy=False)
        lead = env["crm.lead"].create({"name": "Smoke", "email_from": "smoke@smoke.example.com", "type": "opportunity"})
        lead.action_set_won()
        assert lead.probability == 100, lead.probability
        other = env["crm.lead"].create({"name": "Smoke 2", "type": "lead", "phone": "+32 470 12 34 56"})
        other.convert_opportunity(env["res.partner"])
        other.action_set_lost()
        env["crm.lead"]._cron_update_automated_probabilities()
        env["res.config.settings"].create({}).execute()
        env.flush_all()
        cr.rollback()
    print("SMOKE OK")
    """
)


@tagged("post_install", "-at_install")
class TestInstall(BaseCase):
    """Runs Odoo in subprocesses against the test server, on a database of its own."""

    def setUp(self):
        super().setUp()
        self.dbname = f"lt_install_{uuid.uuid4().hex[:8]}"
        self.addCleanup(self._drop)

    def _drop(self):
        odoo.sql_db.close_db(self.dbname)
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            cr.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.dbname,))
            cr.execute(f'DROP DATABASE IF EXISTS "{self.dbname}"')

    def _run(self, *cmd):
        proc = subprocess.run(
            [sys.executable, *cmd], cwd=REPO, capture_output=True, text=True, check=False, timeout=600
        )
        output = proc.stdout + proc.stderr
        errors = [line for line in output.splitlines() if " ERROR " in line or " CRITICAL " in line]
        self.assertEqual(proc.returncode, 0, output[-4000:])
        self.assertFalse(errors, "\n".join(errors[-20:]))
        return output

    def _odoo(self, *args):
        return self._run(
            "-m", "odoo", "-c", config.rcfile, "-d", self.dbname, "--stop-after-init", "--http-port", "0", *args
        )

    def _snapshot(self):
        with odoo.sql_db.db_connect(self.dbname).cursor() as cr:
            result = {}
            for key, query in SNAPSHOTS.items():
                cr.execute(query)
                result[key] = {row[0] for row in cr.fetchall()}
            cr.execute("SELECT state FROM ir_module_module WHERE name = 'lead_tracking'")
            result["state"] = (cr.fetchone() or [None])[0]
        odoo.sql_db.close_db(self.dbname)
        return result

    def test_install_uninstall_install(self):
        self._run(
            "-m",
            "tools.datagen",
            "--config",
            config.rcfile,
            "--db",
            self.dbname,
            "--leads",
            "2000",
            "--activities",
            "2000",
            "--seed",
            "5",
        )
        before = self._snapshot()
        self.assertNotEqual(before["state"], "installed")

        self._odoo("-i", "lead_tracking")
        installed = self._snapshot()
        self.assertEqual(installed["state"], "installed")
        self.assertTrue(any(xmlid.startswith("lead_tracking.") for xmlid in installed["xmlids"]))

        self.assertIn("SMOKE OK", self._run("-c", SMOKE, config.rcfile, self.dbname, "uninstall"))
        after = self._snapshot()
        self.assertEqual(after["state"], "uninstalled")
        leftovers = {key: sorted(after[key] - before[key])[:10] for key in SNAPSHOTS if after[key] - before[key]}
        self.assertFalse(leftovers, f"left behind by the uninstall: {leftovers}")

        self._odoo("-i", "lead_tracking")
        self.assertEqual(self._snapshot()["state"], "installed")
        self.assertIn("SMOKE OK", self._run("-c", SMOKE, config.rcfile, self.dbname, "check"))
