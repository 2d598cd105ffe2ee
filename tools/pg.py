"""A private PostgreSQL server under the git-ignored ``.run`` folder.

Every project command (test, demo, data, bench) runs its databases on a
server of its own, started from Debian's PostgreSQL binaries, listening on a
unix socket and on 127.0.0.1 at a free port.  initdb refuses to run as root,
so when the command runs as root the server runs as the ``postgres`` system
user (``runuser``); the database superuser is always ``odoo``, because Odoo
refuses to connect as ``postgres``.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run"
DB_USER = "odoo"

# Settings for a disposable development server: durability is traded for
# speed, which matters for the 1,000,000-lead loads and the benchmarks.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'1GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'512MB'",
    "effective_cache_size": "'8GB'",
    "synchronous_commit": "off",
    "fsync": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
    "random_page_cost": "1.1",
    "jit": "off",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class PgError(RuntimeError):
    """The private server could not be set up or reached."""


def pg_bindir():
    """Directory of the newest PostgreSQL (>= 15) server binaries on the machine."""
    candidates = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        version = path.split("/")[-2]
        if version.isdigit() and int(version) >= 15 and os.path.exists(os.path.join(path, "initdb")):
            candidates.append((int(version), path))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(os.path.realpath(initdb))
    raise PgError("PostgreSQL 15 or newer is required (Debian: apt install postgresql); initdb was not found.")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """One private server: ``.run/<name>/data`` holds its files, ``.run/<name>`` its socket."""

    def __init__(self, name):
        self.name = name
        self.base = RUN / name
        self.datadir = self.base / "data"
        self.sockdir = self.base
        self.logfile = self.base / "server.log"
        self.port = None
        self._started_here = False
        self._as_root = os.geteuid() == 0
        self._bindir = pg_bindir()

    # -- running the server binaries -------------------------------------
    def _cmd(self, binary, *args):
        cmd = [os.path.join(self._bindir, binary), *map(str, args)]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def _run(self, binary, *args, check=True):
        proc = subprocess.run(self._cmd(binary, *args), capture_output=True, text=True, check=False)
        if check and proc.returncode:
            raise PgError(f"{binary} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def _own(self, path):
        if self._as_root:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -------------------------------------------------------
    def running_port(self):
        """Port of this cluster's live server, or None when it is not running."""
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError):
            return None
        except PermissionError:
            pass
        ready = self._run("pg_isready", "-q", "-h", self.sockdir, "-p", port, check=False)
        return port if ready.returncode == 0 else None

    def init(self):
        """Create the data directory on first use."""
        if (self.datadir / "PG_VERSION").exists():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        for path in (RUN, self.base):
            os.chmod(path, 0o755)
        self._own(self.base)
        self._run(
            "initdb",
            "-D",
            self.datadir,
            "-U",
            DB_USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        settings = "\n".join(f"{key} = {value}" for key, value in SERVER_SETTINGS.items())
        conf = self.datadir / "postgresql.auto.conf"
        with open(conf, "a", encoding="utf-8") as handle:
            handle.write("\n# lead_tracking development server\n" + settings + "\n")

    def start(self):
        """Start the server unless it already runs; return its port."""
        self.port = self.running_port()
        if self.port:
            return self.port
        self.init()
        self.port = free_port()
        self._run(
            "pg_ctl",
            "-D",
            self.datadir,
            "-l",
            self.logfile,
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-p {self.port} -k {self.sockdir}",
        )
        self._started_here = True
        return self.port

    def stop(self):
        """Stop the server if this process started it."""
        if self._started_here:
            self._run("pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop", check=False)
            self._started_here = False

    def destroy(self):
        """Stop the server and remove every file of the cluster."""
        self._started_here = True
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    # -- SQL -------------------------------------------------------------
    @property
    def env(self):
        """libpq environment pointing at this server (for psql, createdb, ...)."""
        return {**os.environ, "PGHOST": str(self.sockdir), "PGPORT": str(self.port), "PGUSER": DB_USER}

    def connect(self, dbname="postgres"):
        """A psycopg2 connection to a database of this server."""
        import psycopg2

        return psycopg2.connect(host=str(self.sockdir), port=self.port, user=DB_USER, dbname=dbname)

    def execute(self, sql, dbname="postgres", params=None):
        """Run one statement outside a transaction (CREATE/DROP DATABASE allowed)."""
        conn = self.connect(dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None
        finally:
            conn.close()

    def database_exists(self, dbname):
        """Whether a database of that name exists."""
        return bool(self.execute("SELECT 1 FROM pg_database WHERE datname = %s", params=(dbname,)))

    def drop_database(self, dbname):
        """Drop a database, ending its sessions first."""
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            params=(dbname,),
        )
        self.execute(f'DROP DATABASE IF EXISTS "{dbname}"')

    def copy_database(self, source, target):
        """Create ``target`` as an exact copy of ``source`` (CREATE DATABASE ... TEMPLATE)."""
        self.drop_database(target)
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            params=(source,),
        )
        self.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


@contextlib.contextmanager
def running(name, throwaway=False):
    """Start cluster ``name`` for the duration of the block; remove it afterwards if ``throwaway``."""
    cluster = Cluster(name)
    if throwaway:
        cluster.destroy()
    cluster.start()
    try:
        yield cluster
    finally:
        if throwaway:
            cluster.destroy()
        else:
            cluster.stop()


def wait_for(predicate, timeout=30.0, step=0.2):
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
