"""``make demo``: serve Odoo with lead_tracking and its demo data on http://127.0.0.1:8069.

The server and the ``lead_tracking_demo`` database live under ``.run/pg`` (as
root in a checkout the ``postgres`` user cannot reach, in a folder of
postgres's own derived from the checkout's path: see ``tools/pg.py``) and are
kept between runs: the first run creates the database and installs the addon
with demo data, later runs upgrade the addon and start at once.  Odoo's log
goes to ``.run/demo.log`` (``--log`` shows it live as well), so that the
logins, printed once Odoo answers, are the last thing on the screen.  Ctrl-C
stops Odoo and PostgreSQL; ``make clean`` removes the server and its data.
"""

import argparse
import socket
import subprocess
import sys
import threading

from . import pg
from .odoo_env import module_installed, odoo_cmd, require_odoo, stop_odoo, wait_until_answering, write_config

DBNAME = "lead_tracking_demo"
LOG = pg.RUN / "demo.log"
# Odoo loads the registry and the assets on its first request: a minute on a small machine.
READY_TIMEOUT = 300


def print_logins(http_port):
    """Tell the user where to log in."""
    url = f"http://127.0.0.1:{http_port}"
    print(f"\nLead Tracking demo: {url}/web/login")
    print("  sales manager: admin / admin")
    print("  salesperson: anna@leadtracking.example.com / demo")
    print(f"  reseller (portal): reseller.gold@example.com / reseller  -> {url}/my/leads")
    print(f"  public resellers page: {url}/partners")
    print(f"Odoo's log: {LOG.relative_to(pg.ROOT)}. Ctrl-C stops Odoo and PostgreSQL.\n", flush=True)


def start_logged(cmd, log, live):
    """Start ``cmd`` with its output appended to ``log`` (and echoed when ``live``); return the process."""
    handle = open(log, "a", encoding="utf-8")  # noqa: SIM115 - closed by the copying thread
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")

    def copy():
        # A thread rather than Odoo's own logfile option: that one writes to the file only, and
        # --log also wants the lines on the terminal.
        with handle:
            for line in proc.stdout:
                handle.write(line)
                handle.flush()
                if live:
                    sys.stdout.write(line)
                    sys.stdout.flush()

    threading.Thread(target=copy, daemon=True).start()
    return proc


def port_taken(port):
    """Whether something already listens on ``port`` (it, not our Odoo, would answer the polls)."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main(argv=None):
    """Entry point of ``make demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8069, help="HTTP port (default 8069)")
    parser.add_argument("--db", default=DBNAME, help=f"database (default {DBNAME})")
    parser.add_argument("--log", action="store_true", help=f"show Odoo's log live (it always goes to {LOG.name})")
    args = parser.parse_args(argv)
    require_odoo()
    if port_taken(args.port):
        print(f"Port {args.port} is in use (another Odoo?); stop it or choose one with --port.", file=sys.stderr)
        return 1
    with pg.running("pg") as cluster:
        config = write_config(
            cluster,
            "demo",
            http_port=args.port,
            log_level="info",
            db_name=args.db,
            dbfilter=f"^{args.db}$",
            max_cron_threads=1,
        )
        LOG.write_text("")
        if module_installed(cluster, args.db):
            print(f"Upgrading lead_tracking in {args.db} ...", flush=True)
            step = ("-u", "lead_tracking")
        else:
            print(f"Creating {args.db} with lead_tracking and demo data (first run, a few minutes) ...", flush=True)
            step = ("-i", "lead_tracking")
        setup = start_logged(odoo_cmd(config, "-d", args.db, *step, "--stop-after-init"), LOG, args.log)
        try:
            failed = setup.wait()
        except KeyboardInterrupt:
            stop_odoo(setup)
            return 130
        if failed:
            print(f"Setting up {args.db} failed; see {LOG}", file=sys.stderr)
            return 1
        print("Starting Odoo ...", flush=True)
        server = start_logged(odoo_cmd(config, "-d", args.db), LOG, args.log)
        try:
            if not wait_until_answering(server, f"http://127.0.0.1:{args.port}/web/login", READY_TIMEOUT):
                stop_odoo(server)
                print(f"Odoo did not answer on port {args.port}; see {LOG}", file=sys.stderr)
                return 1
            print_logins(args.port)
            return server.wait()
        except KeyboardInterrupt:
            stop_odoo(server)
            print("\nOdoo stopped; stopping PostgreSQL.")
            return 0


if __name__ == "__main__":
    sys.exit(main())
