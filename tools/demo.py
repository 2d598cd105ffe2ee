"""``make demo``: serve Odoo with lead_tracking and its demo data on http://127.0.0.1:8069.

The server and the ``lead_tracking_demo`` database live under ``.run/pg`` (as
root in a checkout the ``postgres`` user cannot reach, in a folder of
postgres's own derived from the checkout's path: see ``tools/pg.py``) and are
kept between runs: the first run creates the database and installs the addon
with demo data, later runs upgrade the addon and start at once.  Ctrl-C stops
Odoo and PostgreSQL; ``make clean`` removes the server and its data.
"""

import argparse
import signal
import subprocess
import sys

from . import pg
from .odoo_env import module_installed, odoo_cmd, require_odoo, run_odoo, write_config

DBNAME = "lead_tracking_demo"


def print_logins(http_port):
    """Tell the user where to log in."""
    url = f"http://127.0.0.1:{http_port}"
    print(f"\nLead Tracking demo: {url}/web/login")
    print("  sales manager: admin / admin")
    print(f"  reseller (portal): reseller.gold@example.com / reseller  -> {url}/my/leads")
    print(f"  public partners page: {url}/partners")
    print("Ctrl-C stops Odoo and PostgreSQL.\n", flush=True)


def main(argv=None):
    """Entry point of ``make demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8069, help="HTTP port (default 8069)")
    parser.add_argument("--db", default=DBNAME, help=f"database (default {DBNAME})")
    args = parser.parse_args(argv)
    require_odoo()
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
        log = pg.RUN / "demo-setup.log"
        if module_installed(cluster, args.db):
            print(f"Upgrading lead_tracking in {args.db} ...", flush=True)
            step = ("-u", "lead_tracking")
        else:
            print(f"Creating {args.db} with lead_tracking and demo data (first run, a few minutes) ...", flush=True)
            step = ("-i", "lead_tracking")
        if run_odoo(config, "-d", args.db, *step, "--stop-after-init", log=log):
            print(f"Setting up {args.db} failed; see {log}", file=sys.stderr)
            return 1
        print_logins(args.port)
        server = subprocess.Popen(odoo_cmd(config, "-d", args.db))
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            print("\nOdoo stopped; stopping PostgreSQL.")
            return 0


if __name__ == "__main__":
    sys.exit(main())
