"""``make bench``: run the benchmark cases and print ours / anchor / ratio.

Cases are modules of ``tools/bench_cases`` with ``TITLE`` and ``run(bench)``;
``bench`` is a :class:`Bench` (see its methods for the API).  Databases run on
a private server ``.run/pg-bench``.  Generated databases are built once by
tools.datagen and kept as templates (one per size, activities and crm-only or
lead_tracking; rebuilt when the generator version or the addon's code
changes); each case works on fresh copies made with CREATE DATABASE ...
TEMPLATE, so both sides of a case see exactly the same data.  Results are
printed as one table and written as JSON under ``.run/bench/``.
"""

import argparse
import contextlib
import hashlib
import importlib
import json
import math
import pkgutil
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone

from . import bench_cases, pg
from .datagen import GENERATOR_VERSION, build_assignment_scenario, create_database, generate
from .odoo_env import environment, load_odoo, odoo_cmd, require_odoo, stop_odoo, wait_until_answering, write_config

CLUSTER = "pg-bench"
LIVE_SETTINGS = ("fsync", "synchronous_commit", "shared_buffers", "work_mem", "wal_level")
RESULTS = pg.RUN / "bench"
QUICK_LEADS = 20_000
FULL_ASSIGNMENT = (20_000, 24_000)
QUICK_ASSIGNMENT = (2_000, 2_400)


def addon_fingerprint():
    """Short hash of lead_tracking's code and data: templates holding the addon follow it."""
    digest = hashlib.sha1()
    addon = pg.ROOT / "lead_tracking"
    for path in sorted(addon.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".xml", ".csv"} and "tests" not in path.parts:
            digest.update(str(path.relative_to(addon)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def percentile(values, pct):
    """``pct`` percentile of ``values`` (nearest rank), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


class Bench:
    """What a case sees: databases, Odoo environments, timers and ``result``."""

    def __init__(self, cluster, config, quick, case_name="", out=None):
        self.cluster = cluster
        self.config = config
        self.quick = quick
        self.case_name = case_name
        self.rows = []
        self.out = out
        self._copies = []
        self._lt_hash = addon_fingerprint()

    # -- databases -------------------------------------------------------
    def _template(self, name, build):
        """Database ``name`` built once by ``build(env)``; older generator versions are dropped."""
        if not self.cluster.database_exists(name):
            suffix = f"_v{GENERATOR_VERSION}"
            stale = self.cluster.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'tpl\\_%%' AND datname NOT LIKE %s",
                params=(f"%{suffix}%",),
            )
            if self._lt_hash in name:  # the same database built with older addon code
                stale = (stale or []) + (
                    self.cluster.execute(
                        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                        params=(name.replace(self._lt_hash, "%"), name),
                    )
                    or []
                )
            for (old,) in stale or []:
                self.cluster.drop_database(old)
            building = f"{name}_build"
            self.cluster.drop_database(building)
            started = time.monotonic()
            print(f"  building template {name} ...", flush=True)
            create_database(self.cluster, self.config, building, lead_tracking="_lt" in name)
            with environment(self.config, building) as env:
                build(env)
            self._release(building)
            # A live database is kept vacuumed by autovacuum; without it the copies would start with
            # every generated row unvacuumed (no visibility map, dead versions from the install).
            self.cluster.execute("VACUUM ANALYZE", dbname=building)
            self.cluster.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            seconds = time.monotonic() - started
            print(f"  template {name} built in {seconds:.0f} s", flush=True)
            self.built = {**getattr(self, "built", {}), name: round(seconds, 1)}
        return name

    def _variant(self, lead_tracking):
        return f"lt{self._lt_hash}" if lead_tracking else "crm"

    def _copy(self, template):
        target = f"b_{self.case_name[:20]}_{len(self._copies)}_{int(time.time() * 1000) % 100000}".lower()
        self._release(template)
        self.cluster.copy_database(template, target)
        self._copies.append(target)
        return target

    def _release(self, dbname):
        """Close this process's connections to ``dbname`` (a template must have no session)."""
        odoo = load_odoo(self.config)
        odoo.modules.registry.Registry.delete(dbname)
        odoo.sql_db.close_db(dbname)

    def database(self, leads, activities=0, lead_tracking=True):
        """A fresh copy of a generated database with ``leads`` leads and ``activities`` activities."""
        name = f"tpl_{leads}_{activities}_{self._variant(lead_tracking)}_v{GENERATOR_VERSION}"

        def build(env):
            figures = generate(env.cr, leads, activities, seed=42)
            self.generation = {**getattr(self, "generation", {}), name: figures}

        return self._copy(self._template(name, build))

    def assignment_database(self, lead_tracking=True, size=None):
        """A fresh copy of the assignment scenario (unassigned leads, 5 teams, 30 members).

        ``size`` is ``(leads, capacity)``, by default the bench's own (20,000 / 24,000, quick 2,000 /
        2,400)."""
        leads, capacity = size or (QUICK_ASSIGNMENT if self.quick else FULL_ASSIGNMENT)
        # Named by lead count as before; the capacity joins the name only when it is not the usual
        # 1.2 per lead, so the default templates keep their names and are not rebuilt.
        sized = f"{leads}" if capacity * 5 == leads * 6 else f"{leads}c{capacity}"
        name = f"tpl_assign_{sized}_{self._variant(lead_tracking)}_v{GENERATOR_VERSION}"
        return self._copy(self._template(name, lambda env: build_assignment_scenario(env.cr, leads, capacity, seed=42)))

    def drop_copies(self):
        """Drop every copy this bench made."""
        for dbname in self._copies:
            self._release(dbname)
            self.cluster.drop_database(dbname)
        self._copies = []

    # -- running code ----------------------------------------------------
    def env(self, dbname):
        """Context manager: a superuser Environment on ``dbname``, committed at exit."""
        return environment(self.config, dbname)

    def settle(self, timeout=180):
        """Start a timed run on a quiet server: the checkpoint and the autovacuum that an earlier
        run's writes set off would otherwise land on the next run's clock, whichever side it is."""
        self.cluster.execute("CHECKPOINT")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.cluster.execute(
            "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' LIMIT 1"
        ):
            time.sleep(1)

    @staticmethod
    def timed(fn, repeat=1, warmup=0):
        """Seconds of each of ``repeat`` calls of ``fn()`` after ``warmup`` untimed calls."""
        for _ in range(warmup):
            fn()
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - started)
        return seconds

    def queries(self, fn):
        """``(fn(), number of SQL queries it ran)``."""
        sql_db = load_odoo(self.config).sql_db
        before = sql_db.sql_counter
        result = fn()
        return result, sql_db.sql_counter - before

    @contextlib.contextmanager
    def http(self, dbname):
        """Base URL of an Odoo HTTP server serving ``dbname`` (stopped at exit)."""
        port = pg.free_port()
        log = open(pg.RUN / f"bench-http-{dbname}.log", "w", encoding="utf-8")  # noqa: SIM115
        server = subprocess.Popen(
            odoo_cmd(
                self.config,
                "-d",
                dbname,
                "--db-filter",
                f"^{dbname}$",
                "--http-port",
                str(port),
                "--max-cron-threads",
                "0",
                "--workers",
                "0",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"

        try:
            if not wait_until_answering(server, f"{url}/web/login", timeout=120):
                raise RuntimeError(f"Odoo did not start on {dbname}; see {log.name}")
            yield url
        finally:
            stop_odoo(server)
            log.close()

    # -- results ---------------------------------------------------------
    def result(self, name, ours, anchor, **figures):
        """Record one measured row: ``ours`` and ``anchor`` are lists of seconds."""
        ours, anchor = list(ours or []), list(anchor or [])
        row = {
            "case": self.case_name,
            "name": name,
            "ours_p50": percentile(ours, 50),
            "ours_p95": percentile(ours, 95),
            "anchor_p50": percentile(anchor, 50),
            "anchor_p95": percentile(anchor, 95),
            "ours": ours,
            "anchor": anchor,
            "figures": figures,
        }
        row["ratio"] = (
            row["anchor_p50"] / row["ours_p50"] if row["ours_p50"] and row["anchor_p50"] is not None else None
        )
        self.rows.append(row)
        print("  " + format_row(row), flush=True)
        if self.out:
            self.out()
        return row


# -- output ------------------------------------------------------------------
def _secs(value):
    if value is None:
        return "-"
    return f"{value * 1000:.1f}ms" if value < 1 else f"{value:.2f}s"


def _figures(figures):
    parts = []
    for key, value in figures.items():
        if isinstance(value, (list, dict)):
            continue  # detail for the JSON only
        parts.append(f"{key}={value:,}" if isinstance(value, int) else f"{key}={value}")
    return " ".join(parts)


def format_row(row):
    ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
    return (
        f"{row['name']:<34} {_secs(row['ours_p50']):>9} {_secs(row['ours_p95']):>9} "
        f"{_secs(row['anchor_p50']):>9} {_secs(row['anchor_p95']):>9} {ratio:>8}  {_figures(row['figures'])}"
    )


def print_table(rows):
    header = f"{'case':<34} {'ours p50':>9} {'ours p95':>9} {'anch p50':>9} {'anch p95':>9} {'ratio':>8}  figures"
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        print(format_row(row))


# -- cases -------------------------------------------------------------------
def discover():
    """{name: module} of the cases in tools/bench_cases."""
    cases = {}
    for info in pkgutil.iter_modules(bench_cases.__path__):
        module = importlib.import_module(f"{bench_cases.__name__}.{info.name}")
        if hasattr(module, "run"):
            cases[info.name] = module
    return dict(sorted(cases.items()))


def main(argv=None):
    """Entry point of ``make bench`` / ``make bench-quick``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="development sizes (a few minutes)")
    parser.add_argument("--case", action="append", default=[], metavar="NAME", help="run only this case (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the copied databases (for inspection)")
    parser.add_argument(
        "--fast", action="store_true",
        help="throwaway server settings (fsync off, 32MB work_mem, ...) instead of PostgreSQL's defaults",
    )
    args = parser.parse_args(argv)
    cases = discover()
    if args.list:
        for name, module in cases.items():
            print(f"{name:<24} {getattr(module, 'TITLE', '')}")
        return 0
    unknown = [name for name in args.case if name not in cases]
    if unknown:
        print(f"Unknown case(s): {', '.join(unknown)}; --list shows them.", file=sys.stderr)
        return 2
    selected = {name: cases[name] for name in args.case} if args.case else cases
    require_odoo()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    profile = "fast" if args.fast else "default"
    report = {"started": stamp, "quick": args.quick, "generator_version": GENERATOR_VERSION, "rows": [], "errors": {},
              "server_profile": profile, "server_settings": pg.server_settings(profile)}
    path = RESULTS / f"bench-{stamp}{'-quick' if args.quick else ''}.json"
    all_rows = []

    def save():
        report["rows"] = all_rows + (bench.rows if bench else [])
        text = json.dumps(report, indent=2, default=str)
        path.write_text(text)
        (RESULTS / "latest.json").write_text(text)

    bench = None
    with pg.running(CLUSTER, profile=profile) as cluster:
        config = write_config(cluster, "bench", log_level="warn", data_dir=cluster.base / "filestore")
        # what the server really runs with (a server left running by another run keeps its own)
        live = {key: cluster.execute(f"SHOW {key}")[0][0] for key in LIVE_SETTINGS}
        report["server_settings_live"] = live
        print("PostgreSQL settings: " + ", ".join(f"{key}={value}" for key, value in live.items()), flush=True)
        for name, module in selected.items():
            print(f"\n== {name}: {getattr(module, 'TITLE', '')} ({'quick' if args.quick else 'full'})", flush=True)
            bench = Bench(cluster, config, args.quick, case_name=name, out=lambda: save())
            started = time.monotonic()
            try:
                module.run(bench)
            except Exception:
                report["errors"][name] = traceback.format_exc()
                print(f"  case {name} FAILED:\n{report['errors'][name]}", flush=True)
            finally:
                if not args.keep:
                    bench.drop_copies()
            report.setdefault("case_seconds", {})[name] = round(time.monotonic() - started, 1)
            for key in ("generation", "built"):
                if getattr(bench, key, None):
                    report.setdefault(key, {}).update(getattr(bench, key))
            all_rows.extend(bench.rows)
            bench = None
            save()
    print_table(all_rows)
    print(f"\nServer settings: {profile} ({'throwaway' if args.fast else 'PostgreSQL defaults, durable'}): "
          + ", ".join(f"{key}={value}" for key, value in report.get("server_settings_live", {}).items()))
    print(f"JSON: {path}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
