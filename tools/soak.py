"""``make soak``: the addon under load, faults and concurrent crons, on a multi-worker Odoo.

Builds (once, kept as a template per size, generator version and addon code) a generated
database with lead_tracking, copies it, starts Odoo on it with 4 HTTP workers and 2 cron workers
on the private server (127.0.0.1 only), and for ``--minutes`` runs at once:

- reseller portal sessions (``--portal``, 20) browsing, opening, answering, registering deals,
  editing opportunities and posting messages;
- salespeople over JSON-RPC (``--salespeople``, 10): stages, activities scheduled and done,
  won, lost, merges of their own leads;
- new leads (``--rate`` a minute, 1,000) through JSON-RPC ``create`` and the mail gateway
  (``mail.thread.message_process`` of generated emails, as ``odoo-mailgate`` sends them);
- the assignment cron every minute and the Assign Leads button on top, the daily refresh (which
  recounts the report summaries) and the reseller recall forced several times;
- managers reading each report's default graph and pivot;
- a fault injector that SIGKILLs the cron worker in the middle of an assignment run, of a
  refresh and of a summary recount (found from PostgreSQL: the worker holding the assignment lock,
  or running the refresh's UPDATE or the recount's DELETE).

Then it lets the crons run once more, checks, prints p50/p95 per route and, as its last line,
``soak: R requests, E errors, D double assignments, L lost writes, S summary mismatches, F failed
cron runs``; the exit code is 0 only when E, D, L, S and F are 0 and every fault was injected.
What each figure counts is in docs/soak.md.
"""

import argparse
import collections
import contextlib
import datetime
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import requests

from . import pg
from .bench import addon_fingerprint
from .datagen import GENERATOR_VERSION, create_database, generate
from .odoo_env import environment, load_odoo, odoo_cmd, require_odoo, stop_odoo, wait_until_answering, write_config

CLUSTER = "pg-soak"
SOAK_VERSION = 2  # bump when prepare() changes: the templates are rebuilt
RUN_DB = "soak_run"
PASSWORD_ADMIN = "admin"
ASSIGN_LOCK_KEY = 0x6C746173  # crm_team_assignment_lock.LT_ASSIGN_LOCK_KEY
CRONS = {
    "assign": "crm.ir_cron_crm_lead_assign",
    "refresh": "lead_tracking.ir_cron_lt_intelligence_refresh",
    "recall": "lead_tracking.ir_cron_reseller_recall",
}
# What each fault waits for in pg_stat_activity / pg_locks, from a cron worker's connection.
FAULT_QUERIES = {
    "refresh": r'^\s*UPDATE crm_lead l SET "?score_tier',
    "recount": r'^\s*(INSERT INTO|DELETE FROM) "?\w+_report_summary\M',
}
INFLOW_SENDERS = 3  # threads per way new leads arrive (JSON-RPC create, the mail gateway)
COUNTRIES = ["BE", "FR", "DE", "US", "CA", "IN", "AU", "IT", "BR", "JP"]
CRON_FAILED = re.compile(r"Call from cron (.*) for server action #\d+ failed")
ROUTE_IDS = re.compile(r"/\d+")
# A unix socket in ``ss -xpn``: local address, inode, peer inode, the processes holding it.
SOCKET_LINE = re.compile(r"^u_str\s+\S+\s+\d+\s+\d+\s+(\S+)\s+(\d+)\s+\S+\s+(\d+)\s+users:\((.*)\)\s*$")


def log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def token(kind):
    return f"soak-{kind}-{uuid.uuid4().hex[:12]}"


def refusal(response):
    """Why a portal form was refused: its error messages, else the start of the page."""
    messages = re.findall(r'invalid-feedback[^>]*>\s*([^<]+)', response.text)
    return "; ".join(m.strip() for m in messages) or re.sub(r"\s+", " ", response.text)[:200]


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)] if ordered else None


class Stats:
    """Requests, their durations per route, errors and the writes each client expects to read back."""

    def __init__(self):
        self.lock = threading.Lock()
        self.durations = collections.defaultdict(list)
        self.statuses = collections.Counter()
        self.errors = []
        self.expected = []  # (kind, details...) read back at the end

    def record(self, route, seconds, status):
        with self.lock:
            self.durations[route].append(seconds)
            self.statuses[status] += 1

    def error(self, route, detail):
        with self.lock:
            self.errors.append((route, str(detail)[:300]))

    def expect(self, *item):
        with self.lock:
            self.expected.append(item)

    @property
    def requests(self):
        return sum(len(values) for values in self.durations.values())


class Client(threading.Thread):
    """One simulated user: acts until ``stop`` is set, with think time in between."""

    think = (0.5, 2.0)

    def __init__(self, soak, name):
        super().__init__(name=name, daemon=True)
        self.soak, self.stats, self.rnd = soak, soak.stats, random.Random(name)
        self.http = requests.Session()

    def run(self):
        try:
            self.start_session()
            while not self.soak.stop.is_set():
                try:
                    self.act()
                except requests.RequestException as error:
                    self.stats.error(f"{self.name}", f"connection: {error}")
                self.pause()
        except Exception as error:  # a client that dies is an error of the soak, not a silent stop
            self.stats.error(self.name, f"client stopped: {error!r}")

    def start_session(self):
        pass

    def pause(self):
        self.soak.stop.wait(self.rnd.uniform(*self.think))

    def act(self):
        raise NotImplementedError

    # -- JSON-RPC ---------------------------------------------------------------------------
    def rpc(self, model, method, args, kwargs=None, expect_access=False):
        """``execute_kw`` over /jsonrpc as this client's user; (result, error name or None)."""
        route = f"rpc {model}.{method}"
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [self.soak.db, self.uid, self.password, model, method, args, kwargs or {}]}}
        started = time.perf_counter()
        response = self.http.post(f"{self.soak.url}/jsonrpc", json=payload, timeout=300)
        self.stats.record(route, time.perf_counter() - started, response.status_code)
        if response.status_code >= 500:
            self.stats.error(route, f"HTTP {response.status_code}")
            return None, "http"
        body = response.json()
        if "error" in body:
            name = body["error"].get("data", {}).get("name", "")
            if not (expect_access and name == "odoo.exceptions.AccessError"):
                self.stats.error(route, f"{name}: {body['error'].get('data', {}).get('message', '')}")
            return None, name
        return body.get("result"), None

    def login_rpc(self, login, password):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "common", "method": "login", "args": [self.soak.db, login, password]}}
        self.uid = self.http.post(f"{self.soak.url}/jsonrpc", json=payload, timeout=60).json()["result"]
        self.password = password
        if not self.uid:
            raise RuntimeError(f"{login} could not log in")


class PortalClient(Client):
    """A reseller's portal user: lists, lead pages, answers, deal registration, edits, messages."""

    def __init__(self, soak, name, login, reseller_id):
        super().__init__(soak, name)
        self.login, self.reseller_id = login, reseller_id
        self.csrf = None

    def request(self, method, path, **kwargs):
        route = f"{method} {ROUTE_IDS.sub('/<id>', path.split('?')[0])}"
        started = time.perf_counter()
        response = self.http.request(method, self.soak.url + path, allow_redirects=False, timeout=300, **kwargs)
        self.stats.record(route, time.perf_counter() - started, response.status_code)
        if response.status_code >= 500:
            self.stats.error(route, f"HTTP {response.status_code}")
        return response

    def post(self, path, data):
        return self.request("POST", path, data={**data, "csrf_token": self.csrf})

    def start_session(self):
        page = self.request("GET", "/web/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        done = self.post_login(csrf)
        if done.status_code != 303:
            raise RuntimeError(f"{self.login} could not log in ({done.status_code})")
        form = self.request("GET", "/my/opportunity/new")
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)

    def post_login(self, csrf):
        return self.request("POST", "/web/login", data={
            "login": self.login, "password": self.login, "csrf_token": csrf, "redirect": "/my"})

    def act(self):
        choice = self.rnd.random()
        if choice < 0.5:
            self.leads()
        elif choice < 0.65:
            self.register()
        else:
            self.opportunities()

    def leads(self):
        sortby = self.rnd.choice(["date", "name", "contact"])
        page = self.request("GET", f"/my/leads?sortby={sortby}")
        ids = [int(i) for i in re.findall(r'href="/my/lead/(\d+)"', page.text)]
        if not ids:
            return
        lead_id = self.rnd.choice(ids)
        if self.request("GET", f"/my/lead/{lead_id}").status_code != 200:
            return  # recalled or taken meanwhile
        today = datetime.date.today()
        if self.rnd.random() < 0.5:
            summary = token("interested")
            response = self.post(f"/my/lead/{lead_id}/interested", {
                "activity_summary": summary, "activity_date": str(today + datetime.timedelta(days=7)),
                "expected_revenue": str(self.rnd.randint(1000, 90000)), "contacted": "on"})
            if response.status_code == 303:
                self.stats.expect("interested", lead_id, summary)
        else:
            reason = token("declined")
            response = self.post(f"/my/lead/{lead_id}/decline", {"reason": reason, "contacted": "yes"})
            if response.status_code == 303:
                self.stats.expect("declined", lead_id, reason, self.reseller_id)
        if response.status_code not in (303, 404):
            self.stats.error("POST /my/lead/<id>/answer", f"HTTP {response.status_code}: {refusal(response)}")

    def register(self):
        self.request("GET", "/my/opportunity/new")
        name = token("deal")
        response = self.post("/my/opportunity/new", {
            "partner_name": name, "contact_name": "Soak Contact", "email_from": f"{name}@deal.example.com",
            "phone": "+32 2 555 01 02", "expected_revenue": "25000", "description": "Registered by the soak",
            "date_deadline": str(datetime.date.today() + datetime.timedelta(days=60))})
        found = re.search(r"/my/opportunity/(\d+)", response.headers.get("Location", ""))
        if response.status_code == 303 and found:
            self.stats.expect("registered", int(found.group(1)), name, self.reseller_id)
        else:
            self.stats.error("POST /my/opportunity/new", f"HTTP {response.status_code}: {refusal(response)}")

    def opportunities(self):
        page = self.request("GET", f"/my/opportunities?sortby={self.rnd.choice(['date', 'stage', 'revenue'])}")
        ids = sorted({int(i) for i in re.findall(r'href="/my/opportunity/(\d+)"', page.text)})
        if not ids:
            return
        lead_id = self.rnd.choice(ids)
        opened = self.request("GET", f"/my/opportunity/{lead_id}")
        if opened.status_code != 200 or 'name="city"' not in opened.text:
            return  # a rejected registration is read-only
        if self.rnd.random() < 0.5:
            text = token("message")
            response = self.post(f"/my/opportunity/{lead_id}/message", {"message": text})
            if response.status_code == 303:
                self.stats.expect("message", lead_id, text)
        else:
            city = token("city")
            response = self.post(f"/my/opportunity/{lead_id}", {"city": city})
            if response.status_code == 303:
                self.stats.expect("field", lead_id, "city", city)
        if response.status_code != 303:
            self.stats.error("POST /my/opportunity/<id>", f"HTTP {response.status_code}: {refusal(response)}")


class SalesClient(Client):
    """A salesperson over JSON-RPC, on its own leads that no reseller holds."""

    def __init__(self, soak, name, login):
        super().__init__(soak, name)
        self.login = login
        self.activities = []  # (activity id, lead id) this client scheduled and has not done
        self.closed = set()

    def start_session(self):
        self.login_rpc(self.login, self.login)
        self.stages = self.soak.open_stages

    def act(self):
        domain = [("user_id", "=", self.uid), ("reseller_id", "=", False), ("active", "=", True),
                  ("stage_id.is_won", "=", False), ("id", "not in", sorted(self.closed))]
        leads, _error = self.rpc("crm.lead", "search_read", [domain], {
            "fields": ["id", "stage_id", "email_from"], "limit": 30, "offset": self.rnd.randint(0, 60)})
        if not leads:
            leads, _error = self.rpc("crm.lead", "search_read", [domain], {"fields": ["id"], "limit": 30})
        if not leads:
            return
        lead_id = self.rnd.choice(leads)["id"]
        choice = self.rnd.random()
        if choice < 0.35:
            stage = self.rnd.choice(self.stages)
            if self.rpc("crm.lead", "write", [[lead_id], {"stage_id": stage}])[1] is None:
                self.stats.expect("field", lead_id, "stage_id", stage)
        elif choice < 0.6:
            summary = token("activity")
            activity, error = self.rpc("mail.activity", "create", [{
                "res_model_id": self.soak.lead_model_id, "res_id": lead_id, "summary": summary,
                "activity_type_id": self.soak.todo_type_id, "user_id": self.uid,
                "date_deadline": str(datetime.date.today() + datetime.timedelta(days=3))}])
            if error is None:
                self.activities.append((activity, lead_id))
                self.stats.expect("activity", activity, summary, lead_id)
        elif choice < 0.8 and self.activities:
            activity, lead_id = self.activities.pop(self.rnd.randrange(len(self.activities)))
            feedback = token("done")
            if self.rpc("mail.activity", "action_feedback", [[activity]], {"feedback": feedback})[1] is None:
                self.stats.expect("activity_done", activity, feedback)
        elif choice < 0.87:
            if self.rpc("crm.lead", "action_set_won", [[lead_id]])[1] is None:
                self.closed.add(lead_id)
                self.stats.expect("won", lead_id)
        elif choice < 0.94:
            if self.rpc("crm.lead", "action_set_lost", [[lead_id]])[1] is None:
                self.closed.add(lead_id)
                self.stats.expect("lost", lead_id)
                # archiving a record removes its activities (mail.activity.mixin)
                self.activities = [(a, lead) for a, lead in self.activities if lead != lead_id]
        else:
            others = [lead["id"] for lead in leads if lead["id"] != lead_id]
            if others:
                pair = [lead_id, self.rnd.choice(others)]
                if self.rpc("crm.lead", "merge_opportunity", [pair])[1] is None:
                    self.closed.update(pair)  # the survivor's fields are the merge's, not this client's
                    self.stats.expect("merged", pair)


class InflowClient(Client):
    """New leads at ``rate`` a minute: batches through JSON-RPC create, single emails through the gateway."""

    def __init__(self, soak, name, per_minute, mail):
        super().__init__(soak, name)
        self.mail = mail
        self.batch = 1 if mail else 10
        self.interval = 60.0 * self.batch / per_minute if per_minute else None
        self.due = time.monotonic()

    def start_session(self):
        self.login_rpc("admin", PASSWORD_ADMIN)

    def pause(self):
        """Keep the rate: the next request is due an interval after the previous one was."""
        if self.interval is None:
            self.soak.stop.wait(3600)
            return
        self.due += self.interval
        self.soak.stop.wait(max(0.0, self.due - time.monotonic()))

    def act(self):
        if self.mail:
            name = token("mail")
            message = EmailMessage()
            message["From"] = f"Soak Sender <{name}@inflow.example.com>"
            message["To"] = "sales@soak.example.com"
            message["Subject"] = f"Quote request {name}"
            message["Message-Id"] = make_msgid(domain="inflow.example.com")
            message["Date"] = format_datetime(datetime.datetime.now(datetime.timezone.utc))
            message.set_content(f"Hello, we would like a quote.\n{name}\n")
            lead_id, error = self.rpc("mail.thread", "message_process",
                                      ["crm.lead", message.as_string(), {"user_id": False, "team_id": False}])
            if error is None:
                self.stats.expect("new", [lead_id], "mail")
            return
        values = []
        for _ in range(self.batch):
            name = token("lead")
            values.append({"name": f"Inbound {name}", "email_from": f"{name}@inflow.example.com", "type": "lead",
                           "user_id": False, "team_id": False,
                           "country_id": self.soak.country_ids[self.rnd.choice(COUNTRIES)]})
        ids, error = self.rpc("crm.lead", "create", [values])
        if error is None:
            self.stats.expect("new", ids, "rpc")


class ManagerClient(Client):
    """A sales manager: each report's default graph and pivot, and the Assign Leads button now and then."""

    think = (1.0, 3.0)

    def __init__(self, soak, name, login, button_every):
        super().__init__(soak, name)
        self.login, self.button_every = login, button_every
        self.views = {}
        self.pressed = time.monotonic()

    def start_session(self):
        self.login_rpc(self.login, self.login)
        for model in self.soak.report_models:
            result, _error = self.rpc(model, "get_views", [[[False, "graph"], [False, "pivot"]]])
            self.views[model] = {kind: self.view_fields(result["views"][kind]["arch"]) for kind in ("graph", "pivot")}

    @staticmethod
    def view_fields(arch):
        """Row and column groupbys (with their interval) and measures of a graph or pivot view."""
        found = {"row": [], "col": [], "measure": []}
        for name, attrs in re.findall(r'<field name="(\w+)"([^>]*)>', arch):
            kind = re.search(r'type="(\w+)"', attrs)
            interval = re.search(r'interval="(\w+)"', attrs)
            found[kind.group(1) if kind else "row"].append(f"{name}:{interval.group(1)}" if interval else name)
        return {"rows": found["row"], "cols": found["col"], "measures": found["measure"]}

    def act(self):
        if self.button_every and time.monotonic() - self.pressed > self.button_every:
            self.pressed = time.monotonic()
            self.rpc("crm.team", "action_assign_leads", [self.soak.team_ids])
            return
        model = self.rnd.choice(self.soak.report_models)
        for kind, view in self.views[model].items():
            measures = [f"{m}:sum" for m in view["measures"] if m != "__count"]
            groupbys = [view["rows"][:1], view["rows"][:1] + view["cols"][:1]] if kind == "pivot" else [view["rows"]]
            for groupby in groupbys:
                self.rpc(model, "read_group", [[], measures, groupby], {"lazy": False})


class Soak:
    """The whole run: database, server, clients, crons, faults and the final checks."""

    def __init__(self, args, cluster):
        self.args, self.cluster = args, cluster
        self.stats = Stats()
        self.stop = threading.Event()
        self.db = RUN_DB
        self.kills = collections.Counter()
        self.cron_ids = {}
        self.logfile = pg.RUN / "soak-odoo.log"

    # -- database ---------------------------------------------------------------------------
    def template(self, config):
        name = f"soak_tpl_{self.args.leads}_v{GENERATOR_VERSION}s{SOAK_VERSION}_{addon_fingerprint()}"
        if self.cluster.database_exists(name):
            return name
        # older versions of this size's template (another size's stays: make test and make soak alternate)
        old_templates = self.cluster.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                             params=[f"soak\\_tpl\\_{self.args.leads}\\_%"])
        for (old,) in old_templates or []:
            self.cluster.drop_database(old)
        building = f"{name}_build"
        self.cluster.drop_database(building)
        log(f"building template {name} ({self.args.leads} leads) ...")
        create_database(self.cluster, config, building, lead_tracking=True, logfile=pg.RUN / "soak-install.log")
        with environment(config, building) as env:
            generate(env.cr, self.args.leads, self.args.leads // 2, seed=42)
            prepare(env, self.args.portal, self.args.salespeople)
        odoo = load_odoo(config)
        odoo.modules.registry.Registry.delete(building)
        odoo.sql_db.close_db(building)
        self.cluster.execute("VACUUM ANALYZE", dbname=building)
        self.cluster.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        return name

    def read_setup(self):
        """Ids the clients need, read from the copy."""
        def rows(sql, params=None):
            return self.cluster.execute(sql, dbname=self.db, params=params)
        self.cron_ids = {key: rows("SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
                                   xmlid.split("."))[0][0] for key, xmlid in CRONS.items()}
        self.portal_users = rows("SELECT u.login, p.commercial_partner_id FROM res_users u"
                                 " JOIN res_partner p ON p.id = u.partner_id WHERE u.login LIKE 'soak.portal%%'"
                                 " ORDER BY u.login")
        self.sales_logins = [r[0] for r in rows("SELECT login FROM res_users WHERE login LIKE 'gen.sales%%'"
                                                " ORDER BY login")][: self.args.salespeople]
        self.open_stages = [r[0] for r in rows("SELECT id FROM crm_stage WHERE NOT COALESCE(is_won, FALSE)"
                                                    " AND NOT COALESCE(fold, FALSE) ORDER BY id")]
        self.lead_model_id = rows("SELECT id FROM ir_model WHERE model = 'crm.lead'")[0][0]
        self.todo_type_id = rows("SELECT res_id FROM ir_model_data WHERE module = 'mail'"
                                 " AND name = 'mail_activity_data_todo'")[0][0]
        self.country_ids = dict(rows("SELECT code, id FROM res_country WHERE code = ANY(%s)", [COUNTRIES]))
        self.team_ids = [r[0] for r in rows("SELECT id FROM crm_team WHERE NOT assignment_optout ORDER BY id")]
        self.report_models = [r[0] for r in rows("SELECT model FROM ir_model WHERE model = ANY(%s) ORDER BY model",
                                                 [REPORT_MODELS])]

    # -- server -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def server(self, config):
        self.port = self.args.port or pg.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ODOO_NOTIFY_CRON_CHANGES": "1"}  # a forced nextcall wakes the cron workers
        handle = open(self.logfile, "w", encoding="utf-8")  # noqa: SIM115
        cmd = odoo_cmd(config, "-d", self.db, "--db-filter", f"^{self.db}$", "--http-port", str(self.port),
                       "--workers", str(self.args.workers), "--max-cron-threads", "2",
                       "--limit-time-real", "1800", "--limit-time-cpu", "1200", "--limit-time-real-cron", "1800",
                       "--limit-memory-soft", str(4 << 30), "--limit-memory-hard", str(6 << 30),
                       "--log-handler", "odoo.addons.base.models.ir_cron:INFO",
                       "--log-handler", "odoo.addons.lead_tracking.models.crm_team_assignment_lock:INFO")
        # Started from a script, not ``python -m odoo``: the prefork server spawns its gevent process
        # with its own argv[0] (see tools/odoo_bin.py).
        cmd[1:3] = [str(pg.ROOT / "tools" / "odoo_bin.py")]
        process = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)

        try:
            if not wait_until_answering(process, f"{self.url}/web/login", timeout=180):
                raise RuntimeError(f"Odoo did not start; see {self.logfile}")
            yield process
        finally:
            stop_odoo(process, timeout=60)
            handle.close()

    # -- crons and faults -------------------------------------------------------------------
    def sql(self, query, params=None):
        with self.lock_db:
            self.conn.rollback()
            with self.conn.cursor() as cr:
                cr.execute(query, params)
                result = cr.fetchall() if cr.description else None
            self.conn.commit()
            return result

    def force(self, key):
        """Run cron ``key`` now, as Odoo's ``ir.cron._trigger`` does: a trigger row, then the notification
        that wakes the cron workers (a write of the job itself would fail while it runs)."""
        self.sql("INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, create_date, write_uid, write_date)"
                 " SELECT %s, now() at time zone 'UTC', 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'",
                 [self.cron_ids[key]])
        self.cluster.execute("SELECT pg_notify('cron_trigger', %s)", params=[self.db])

    def running_cron_backends(self):
        """Backends of the cron workers running a job now: a worker keeps the job's ir_cron row locked by
        the query that acquired it, in a transaction left open while the job runs on another connection."""
        rows = self.sql("SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction'"
                        " AND query LIKE '%%FROM ir_cron%%FOR NO KEY UPDATE SKIP LOCKED%%'", [self.db])
        return [pid for (pid,) in rows]

    @staticmethod
    def backend_clients():
        """{PostgreSQL backend pid: pids of the processes at the other end of its unix socket} (``ss``)."""
        listing = subprocess.run(["ss", "-xpn"], capture_output=True, text=True, check=False).stdout
        owners, backends = {}, []
        for line in listing.splitlines():
            found = SOCKET_LINE.match(line)
            if not found:
                continue
            path, inode, peer, users = found.groups()
            pids = [int(pid) for pid in re.findall(r"pid=(\d+)", users)]
            owners[int(inode)] = pids
            if ".s.PGSQL." in path and '"postgres"' in users:
                backends.append((pids[0], int(peer)))
        return {backend: owners.get(peer, []) for backend, peer in backends}

    def kill_during(self, fault, timeout=120):
        """Force the cron of ``fault`` and SIGKILL its cron worker while it is in the middle of it."""
        self.force("assign" if fault == "assign" else "refresh")
        if fault == "assign":
            query = ("SELECT a.pid FROM pg_locks k JOIN pg_stat_activity a ON a.pid = k.pid"
                     " WHERE k.locktype = 'advisory' AND k.objid = %s AND k.granted AND a.datname = %s",
                     [ASSIGN_LOCK_KEY, self.db])
        else:
            query = ("SELECT pid FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                     " AND query ~ %s AND query !~ 'ANY\\('", [self.db, FAULT_QUERIES[fault]])
        deadline = time.monotonic() + timeout
        seen = collections.Counter()
        forced = time.monotonic()
        while time.monotonic() < deadline and not self.stop.is_set():
            if fault != "assign" and time.monotonic() - forced > 5:  # a refresh lasts seconds: again
                forced = time.monotonic()
                self.force("refresh")
            holders = self.sql(*query)
            seen["matches"] += bool(holders)
            if holders:
                # the processes at the other end of the connections (their names are the main process's)
                clients = self.backend_clients()
                workers = {pid for backend in self.running_cron_backends() for pid in clients.get(backend, [])}
                for (backend,) in holders:
                    owner = [pid for pid in clients.get(backend, []) if pid in workers]
                    if owner:
                        os.kill(owner[0], signal.SIGKILL)
                        self.kills[fault] += 1
                        log(f"fault: SIGKILL cron worker {owner[0]} in the middle of {fault}")
                        return True
                    seen["held by an HTTP worker"] += 1
            time.sleep(0.002)
        log(f"fault: no {fault} caught in {timeout:.0f} s: {dict(seen)}")
        return False

    def conductor(self, end):
        """Crons on their schedule and forced, the faults once each, until ``end``."""
        minutes = max(self.args.minutes, 1)
        # the shortest window first: a recount lasts a fraction of a second
        faults = ["recount", "assign", "refresh"]
        fault_at = {fault: end - (minutes * 60) * (0.85 - 0.2 * n) for n, fault in enumerate(faults)}
        forced = {"assign": 0, "refresh": 0, "recall": 0}
        every = {"assign": 60, "refresh": minutes * 60 / 4, "recall": minutes * 60 / 3}
        started = time.monotonic()
        while time.monotonic() < end - 5 and not self.stop.is_set():
            now = time.monotonic()
            for key, period in every.items():
                if now - started >= forced[key] * period + (5 if key == "assign" else period / 2):
                    forced[key] += 1
                    self.force(key)
            for fault, moment in list(fault_at.items()):
                if now >= moment:
                    del fault_at[fault]
                    later = [moment for moment in fault_at.values() if moment > now]
                    self.kill_during(fault, timeout=max(20, (min(later) if later else end - 10) - now))
            time.sleep(0.5)
        self.forced = forced

    def wait_crons_idle(self, timeout=600):
        """Wait until no cron of the soak is due or running."""
        ids = list(self.cron_ids.values())
        def idle():
            due = self.sql(
                "SELECT count(*) FROM ir_cron c WHERE c.id = ANY(%s) AND c.active AND (c.nextcall <= now() at time zone"
                " 'UTC' OR EXISTS (SELECT 1 FROM ir_cron_trigger t WHERE t.cron_id = c.id"
                " AND t.call_at <= now() at time zone 'UTC'))", [ids])[0][0]
            with self.lock_db:  # a job being run is locked by its worker
                with self.conn.cursor() as cr:
                    cr.execute("SELECT id FROM ir_cron WHERE id = ANY(%s) FOR NO KEY UPDATE SKIP LOCKED", [ids])
                    free = len(cr.fetchall())
                self.conn.rollback()
            return not due and free == len(ids)
        return pg.wait_for(idle, timeout=timeout, step=2)

    # -- the run ----------------------------------------------------------------------------
    def run(self, config):
        import psycopg2

        self.cluster.copy_database(self.template(config), self.db)
        self.read_setup()
        self.conn = psycopg2.connect(host=str(self.cluster.sockdir), port=self.cluster.port, user=pg.DB_USER,
                                     dbname=self.db)
        self.lock_db = threading.Lock()
        self.soak_start = self.sql("SELECT now() at time zone 'UTC'")[0][0]
        with self.server(config):
            self.admin = Client(self, "admin")
            self.admin.login_rpc("admin", PASSWORD_ADMIN)
            clients = [PortalClient(self, f"portal{n:02d}", login, reseller)
                       for n, (login, reseller) in enumerate(self.portal_users[: self.args.portal])]
            clients += [SalesClient(self, f"sales{n:02d}", login) for n, login in enumerate(self.sales_logins)]
            # several senders of each kind, each paced at its share of the rate: one alone could not
            # keep the rate once requests take seconds on a loaded machine
            mail_rate = self.args.rate * self.args.mail_share / INFLOW_SENDERS
            rpc_rate = self.args.rate / INFLOW_SENDERS - mail_rate
            for n in range(INFLOW_SENDERS):
                clients += [InflowClient(self, f"inflow-rpc{n}", rpc_rate, mail=False),
                            InflowClient(self, f"inflow-mail{n}", mail_rate, mail=True)]
            clients += [ManagerClient(self, f"manager{n}", f"soak.manager{n}", button_every=45 if n == 0 else 0)
                        for n in range(2)]
            log(f"{len(clients)} clients on {self.url} for {self.args.minutes} min")
            end = time.monotonic() + self.args.minutes * 60
            for client in clients:
                client.start()
            self.conductor(end)
            self.stop.set()
            for client in clients:
                client.join(timeout=300)
            log("load stopped; the crons run once more")
            self.stop.clear()
            self.wait_crons_idle()
            self.drift = self.summary_mismatches()
            self.force("assign")
            self.force("refresh")
            time.sleep(3)
            self.wait_crons_idle()
            return self.report()

    # -- checks -----------------------------------------------------------------------------
    def summary_mismatches(self):
        """Summary rows that differ from a full recount of their lines, over every report summary."""
        odoo = load_odoo(self.config)
        registry = odoo.modules.registry.Registry(self.db)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            total = 0
            for summary in env["lt.lead.report.mixin"]._lt_report_summaries():
                total += summary.mismatches(cr)
        return total

    def double_assignments(self):
        """Leads that received a salesperson twice during the soak: two notes from no salesperson to
        one. A merge moves the merged leads' notes to the lead that absorbs them: merge heads are left
        out (their second note is the absorbed lead's)."""
        rows = self.sql(
            """SELECT count(*) FROM (
                   SELECT m.res_id FROM mail_tracking_value v
                     JOIN mail_message m ON m.id = v.mail_message_id
                     JOIN ir_model_fields f ON f.id = v.field_id
                    WHERE m.model = 'crm.lead' AND f.model = 'crm.lead' AND f.name = 'user_id'
                      AND v.old_value_integer IS NULL AND v.new_value_integer IS NOT NULL AND m.date >= %s
                      AND NOT EXISTS (SELECT 1 FROM mail_message h WHERE h.model = 'crm.lead' AND h.res_id = m.res_id
                                         AND h.body LIKE '%%crm_lead_merge_summary%%' AND h.date >= %s)
                    GROUP BY m.res_id HAVING count(*) > 1) d""", [self.soak_start, self.soak_start])
        return rows[0][0]

    def partial_assignments(self, new_ids):
        """New leads left half-written by an assignment: a salesperson without the team, the reason or the note."""
        return self.sql(
            """SELECT count(*) FROM crm_lead l WHERE l.id = ANY(%s) AND l.user_id IS NOT NULL AND (
                   l.team_id IS NULL OR l.assignment_reason IS NULL OR l.date_open IS NULL OR NOT EXISTS (
                              SELECT 1 FROM mail_message m
                         JOIN mail_tracking_value v ON v.mail_message_id = m.id
                         JOIN ir_model_fields f ON f.id = v.field_id AND f.model = 'crm.lead' AND f.name = 'user_id'
                        WHERE m.model = 'crm.lead' AND m.res_id = l.id))""", [new_ids])[0][0]

    def lost_writes(self):
        """Writes the clients were told succeeded and that are not in the database."""
        last = {}
        lost = []
        merged = set()
        for item in self.stats.expected:
            if item[0] == "field":
                last[(item[1], item[2])] = item[3]
            elif item[0] == "merged":
                merged.update(item[1])

        def one(sql, params):
            return self.sql(sql, params)[0][0]

        def has_message(lead_id, text):
            if lead_id in merged:  # a salesperson merged it since: its messages are the head's now
                return one("SELECT count(*) FROM mail_message WHERE model = 'crm.lead' AND body LIKE %s",
                           [f"%{text}%"])
            return one("SELECT count(*) FROM mail_message WHERE model = 'crm.lead' AND res_id = %s AND body LIKE %s",
                       [lead_id, f"%{text}%"])

        new_ids = []
        lost_ids = {e[1] for e in self.stats.expected if e[0] == "lost"}
        for item in self.stats.expected:
            kind = item[0]
            if kind == "new":
                new_ids += [i for i in item[1] if i]
                if len([i for i in item[1] if i]) != len(item[1]):
                    lost.append(item)
            # a lead merged after the reseller's answer took the head's fields: its answer is its message
            elif kind == "interested":
                if not (has_message(item[1], item[2]) and (item[1] in merged or one(
                        "SELECT count(*) FROM crm_lead WHERE id = %s AND type = 'opportunity'", [item[1]]))):
                    lost.append(item)
            elif kind == "declined":
                if not (has_message(item[1], item[2]) and (item[1] in merged or one(
                        "SELECT count(*) FROM crm_lead WHERE id = %s AND reseller_id IS DISTINCT FROM %s",
                        [item[1], item[3]]))):
                    lost.append(item)
            elif kind == "registered":
                if not one("SELECT count(*) FROM crm_lead WHERE id = %s AND partner_name = %s AND reseller_id = %s",
                           [item[1], item[2], item[3]]):
                    lost.append(item)
            elif kind == "message":
                if not has_message(item[1], item[2]):
                    lost.append(item)
            elif kind == "activity":
                done = any(e[0] == "activity_done" and e[1] == item[1] for e in self.stats.expected)
                if not done and item[3] not in lost_ids and not one(
                        "SELECT count(*) FROM mail_activity WHERE id = %s AND summary = %s", [item[1], item[2]]):
                    lost.append(item)
            elif kind == "activity_done":
                if one("SELECT count(*) FROM mail_activity WHERE id = %s", [item[1]]) or not one(
                        "SELECT count(*) FROM mail_message WHERE model = 'crm.lead' AND body LIKE %s",
                        [f"%{item[2]}%"]):
                    lost.append(item)
            elif kind == "won":
                if item[1] not in merged and not one(
                        "SELECT count(*) FROM crm_lead l JOIN crm_stage s ON s.id = l.stage_id"
                        " WHERE l.id = %s AND s.is_won", [item[1]]):
                    lost.append(item)
            elif kind == "lost":
                if item[1] not in merged and not one("SELECT count(*) FROM crm_lead WHERE id = %s AND NOT active",
                                                     [item[1]]):
                    lost.append(item)
            elif kind == "merged" and one("SELECT count(*) FROM crm_lead WHERE id = ANY(%s)", [item[1]]) != 1:
                lost.append(item)
        closed = {e[1] for e in self.stats.expected if e[0] in ("won", "lost")} | merged
        for (lead_id, field), value in last.items():
            if lead_id in closed and field == "stage_id":
                continue  # won after the stage was written: the won stage is the last write
            column = {"stage_id": "stage_id", "city": "city"}[field]
            if not one(f"SELECT count(*) FROM crm_lead WHERE id = %s AND {column} = %s", [lead_id, value]):
                lost.append(("field", lead_id, field, value))
        return lost, new_ids

    def failed_crons(self):
        """Cron runs that failed for good: the log's cron failures and failed assignment runs."""
        text = self.logfile.read_text(errors="replace")
        failures = CRON_FAILED.findall(text)
        runs = self.sql("SELECT count(*) FROM crm_lead_assignment_run WHERE state = 'failed' AND start >= %s",
                        [self.soak_start])[0][0]
        return failures, runs

    def report(self):
        stats = self.stats
        print(f"\n{'route':<52} {'count':>7} {'p50':>9} {'p95':>9}")
        for route in sorted(stats.durations):
            values = stats.durations[route]
            print(f"{route:<52} {len(values):>7} {percentile(values, 50) * 1000:>8.0f}ms"
                  f" {percentile(values, 95) * 1000:>8.0f}ms")
        lost, new_ids = self.lost_writes()
        doubles = self.double_assignments()
        partial = self.partial_assignments(new_ids)
        summaries = self.summary_mismatches()
        failures, failed_runs = self.failed_crons()
        assigned = self.sql("SELECT count(*) FROM crm_lead WHERE id = ANY(%s) AND user_id IS NOT NULL", [new_ids])[0][0]
        runs = self.sql("SELECT trigger, count(*), sum(assigned) FROM crm_lead_assignment_run WHERE start >= %s"
                        " GROUP BY trigger ORDER BY trigger", [self.soak_start])
        rate = len(new_ids) / max(self.args.minutes, 0.01)
        print(f"\nnew leads: {len(new_ids)}, {rate:.0f} a minute ({assigned} assigned); assignment runs: "
              + ", ".join(f"{t} {n} ({a or 0} leads)" for t, n, a in runs))
        print(f"crons forced: {dict(self.forced)}; faults: {dict(self.kills)}; half-assigned leads: {partial}")
        print(f"summary rows off before the last refresh: {self.drift}; after it: {summaries}")
        for route, detail in stats.errors[:20]:
            print(f"  error {route}: {detail}")
        for item in lost[:20]:
            print(f"  lost write: {item}")
        for failure in failures[:10]:
            print(f"  failed cron: {failure}")
        missing = [f for f in ("assign", "refresh", "recount") if not self.kills[f]]
        if missing:
            print(f"  fault not injected: {', '.join(missing)}")
        errors, failed = len(stats.errors), len(failures) + failed_runs
        print(f"soak: {stats.requests} requests, {errors} errors, {doubles} double assignments,"
              f" {len(lost)} lost writes, {summaries} summary mismatches, {failed} failed cron runs", flush=True)
        return int(bool(errors or doubles or lost or summaries or failed or partial or missing))


REPORT_MODELS = [
    "crm.lead.attribution.report", "crm.lead.distribution.report", "crm.lead.quality.report",
    "crm.lead.scoring.report", "crm.lead.unattended.report", "crm.reseller.report",
]


def prepare(env, portal, salespeople):
    """What the soak's users need in the generated database: passwords, portal users of the resellers with
    the most open leads, two managers, assignment every minute with room for the inflow, answer deadlines."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("crm.lead.auto.assignment", True)
    params.set_param("lead_tracking.reseller_answer_days", 7)
    env.ref("base.user_admin").password = PASSWORD_ADMIN
    cron = env.ref(CRONS["assign"])
    cron.write({"active": True, "interval_number": 1, "interval_type": "minutes"})
    for key in ("refresh", "recall"):
        env.ref(CRONS[key]).active = True
    env["crm.team.member"].search([]).write({"assignment_max": 2000})
    # Lead enrichment calls Odoo's IAP service, out of reach here; left on, every new lead wakes its
    # cron to fail (it locks leads NOWAIT inside a savepoint and fails when a run holds them).
    params.set_param("crm.iap.lead.enrich.setting", "manual")
    enrich = env.ref("crm_iap_enrich.ir_cron_lead_enrichment", raise_if_not_found=False)
    if enrich:
        enrich.active = False
    sales = env["res.users"].search([("login", "like", "gen.sales%")], order="login", limit=salespeople)
    for user in sales:
        user.password = user.login
    manager_group = env.ref("sales_team.group_sale_manager")
    for n in range(2):
        env["res.users"].with_context(no_reset_password=True).create({
            "name": f"Soak Manager {n}", "login": f"soak.manager{n}", "password": f"soak.manager{n}",
            "groups_id": [(6, 0, [env.ref("base.group_user").id, manager_group.id])]})
    # One reseller per portal session, each with its share of the generated reseller leads: two sessions
    # of one reseller would write the same leads, and neither could tell its writes from the other's.
    resellers = env["res.partner"].search([("reseller_level_id", "!=", False), ("is_company", "=", True)],
                                          order="id", limit=portal)
    model = resellers[:1]
    extra = [{"name": f"Soak Reseller {n:02d}", "is_company": True, "reseller_level_id": model.reseller_level_id.id,
              "reseller_activation_id": model.reseller_activation_id.id, "reseller_published": True,
              "country_id": model.country_id.id, "email": f"soak.reseller{n:02d}@example.com"}
             for n in range(portal - len(resellers))]
    resellers |= env["res.partner"].create(extra)
    env.flush_all()
    env.cr.execute("UPDATE crm_lead SET reseller_id = (%s::int[])[id %% %s + 1] WHERE reseller_id IS NOT NULL",
                   [resellers.ids, len(resellers)])
    env["crm.lead"]._lt_refresh_all()
    portal_group = env.ref("base.group_portal")
    for n, reseller_id in enumerate(resellers.ids):
        login = f"soak.portal{n:02d}"
        user = env["res.users"].with_context(no_reset_password=True).create({
            "name": f"Soak Reseller User {n:02d}", "login": login, "password": login,
            "groups_id": [(6, 0, [portal_group.id])]})
        user.partner_id.parent_id = reseller_id
    env.flush_all()


def main(argv=None):
    """Entry point of ``make soak``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--leads", type=int, default=100_000, help="generated leads in the database")
    parser.add_argument("--rate", type=int, default=1000, help="new leads a minute")
    parser.add_argument("--mail-share", type=float, default=0.25, help="share of new leads sent as emails")
    parser.add_argument("--portal", type=int, default=20, help="reseller portal sessions")
    parser.add_argument("--salespeople", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4, help="Odoo HTTP workers (2 cron workers besides)")
    parser.add_argument("--port", type=int, default=0, help="Odoo's HTTP port (default: a free one)")
    args = parser.parse_args(argv)
    require_odoo()
    with pg.running(CLUSTER, profile="fast") as cluster:
        config = write_config(cluster, "soak", data_dir=cluster.base / "filestore", log_level="warn")
        soak = Soak(args, cluster)
        soak.config = config
        return soak.run(config)


if __name__ == "__main__":
    sys.exit(main())
