"""A private PostgreSQL server under the git-ignored ``.run`` folder.

Every project command (test, demo, data, bench) runs its databases on a
server of its own, started from Debian's PostgreSQL binaries, listening on a
unix socket and on 127.0.0.1 at a free port.  initdb refuses to run as root,
so when the command runs as root the server runs as the ``postgres`` system
user (``runuser``); the database superuser is always ``odoo``, because Odoo
refuses to connect as ``postgres``.

Running as ``postgres`` means the server must be able to reach its own data
directory and socket.  A root checkout inside a folder only root may enter
(``/root/...``, a ``mktemp -d`` folder) is out of its reach, and initdb stops
at "could not change directory ... Permission denied".  In that case, and only
then, a cluster's data and socket live outside the checkout, in a folder
derived from the checkout's path, ``<postgres's home>/lead_tracking-<sha1 of
the path>/<name>`` (``/var/tmp`` when postgres has no home), owned by
postgres, mode 0700.  postgres's home, rather than ``/var/tmp``, because
systemd cleans ``/var/tmp`` of files untouched for 30 days and the demo
cluster must survive that; and nobody else may write there.  The same path
gives the same folder on every run, so the demo database persists; the
socket path stays well under the 107-byte unix limit.  Everything else of
the cluster (its server log, the Odoo configurations and filestores) stays
under ``.run/<name>``.  ``python3 -m tools.pg clean`` (``make clean``) stops
and removes this checkout's clusters, wherever they live.
"""

import argparse
import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / ".run"
DB_USER = "odoo"

# Two ways to run a server, passed on its command line at every start (so that a cluster made
# under one keeps nothing of the other). "default" is what an Odoo database usually runs on:
# PostgreSQL's own settings, durable, with shared_buffers at a quarter of the machine's memory as
# PostgreSQL's documentation advises; the demo and the benchmarks run on it. "fast" trades
# durability for speed, for throwaway test databases only.
_DEFAULTS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "work_mem": "4MB",
    "maintenance_work_mem": "64MB",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "5min",
    "random_page_cost": "4",
    "jit": "on",
}
_FAST = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "work_mem": "32MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",
    "jit": "off",
}
PROFILES = ("default", "fast")
COMMON_SETTINGS = {"listen_addresses": "127.0.0.1", "max_connections": "100", "log_min_messages": "warning"}


def machine_memory_mb():
    """Physical memory of the machine in MiB (1024 when it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 1024


def server_settings(profile):
    """The settings of a profile: ``default`` (durable, PostgreSQL's defaults but for memory) or ``fast``."""
    memory = machine_memory_mb()
    if profile == "fast":
        return {**COMMON_SETTINGS, **_FAST, "shared_buffers": "1GB", "effective_cache_size": "8GB"}
    if profile != "default":
        raise PgError(f"unknown server profile {profile!r} (one of {', '.join(PROFILES)})")
    return {**COMMON_SETTINGS, **_DEFAULTS,
            "shared_buffers": f"{max(128, memory // 4)}MB", "effective_cache_size": f"{max(512, memory // 2)}MB"}


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


def outside_root():
    """This checkout's folder for clusters postgres cannot reach under ``.run`` (see the module docstring)."""
    digest = hashlib.sha1(str(ROOT).encode(), usedforsecurity=False).hexdigest()[:10]
    try:
        home = Path(pwd.getpwnam("postgres").pw_dir)
    except KeyError:  # no PostgreSQL on this machine: nothing can live outside
        home = Path("/var/tmp")
    return (home if home.is_dir() else Path("/var/tmp")) / f"lead_tracking-{digest}"


def postgres_can_enter(path):
    """Whether the postgres system user may enter ``path`` (which needs search permission on every parent)."""
    probe = ["runuser", "-u", "postgres", "--", "test", "-x", str(path)]
    return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0


def cluster_home(name):
    """Folder of cluster ``name``'s data and socket: ``.run/<name>``, or outside when postgres can't reach it.

    Only the checkout itself is checked: ``init`` opens ``.run`` and ``.run/<name>`` to postgres."""
    if os.geteuid() == 0 and not postgres_can_enter(ROOT):
        return outside_root() / name
    return RUN / name


def _postgres_dir(path):
    """Create ``path`` for postgres alone (mode 0700); refuse one somebody else prepared, such as a symlink."""
    entry = pwd.getpwnam("postgres")
    try:
        os.mkdir(path, 0o700)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != entry.pw_uid or info.st_mode & 0o022:
        raise PgError(f"{path} is not a folder of the postgres user closed to others; remove it and run again.")


class Cluster:
    """One private server: ``<home>/data`` holds its files, ``<home>`` its socket, ``.run/<name>`` the rest.

    ``home`` is ``.run/<name>`` too, unless postgres cannot reach the checkout (see ``cluster_home``)."""

    def __init__(self, name, home=None, profile="default"):
        self.name = name
        self.profile = profile
        self.base = RUN / name  # server log; callers put the Odoo filestore here
        self.home = Path(home) if home else cluster_home(name)
        self.outside = self.home != self.base
        self.datadir = self.home / "data"
        self.sockdir = self.home
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

    def _run(self, binary, *args, check=True, stdout=subprocess.PIPE):
        proc = subprocess.run(self._cmd(binary, *args), stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
        if check and proc.returncode:
            raise PgError(f"{binary} failed: {proc.stderr.strip() or (proc.stdout or '').strip()}")
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
        if self.outside:
            _postgres_dir(self.home.parent)
            _postgres_dir(self.home)
        else:
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

    def start(self):
        """Start the server unless it already runs; return its port."""
        self.port = self.running_port()
        if self.port:
            wanted = server_settings(self.profile)["fsync"]
            if self.execute("SHOW fsync")[0][0] != wanted:
                # another command uses this server with the other settings: stopping it would break
                # that command, and figures taken on it would not be the settings asked for
                raise PgError(
                    f"The server of {self.datadir.parent} runs with other settings than {self.profile!r}: wait for "
                    f"the command using it to end, or stop it (make clean stops every server of this checkout)."
                )
            return self.port
        self.init()
        self.port = free_port()
        options = " ".join(f"-c {key}={value}" for key, value in server_settings(self.profile).items())
        args = ("-D", self.datadir, "-w", "-t", "60", "start", "-o", f"-p {self.port} -k {self.sockdir} {options}")
        if self.outside:
            # postgres cannot open a file under .run: this process opens the log and lends it as
            # pg_ctl's output, which, without -l, is where the server writes.
            with open(self.logfile, "a", encoding="utf-8") as log:
                self._run("pg_ctl", *args, stdout=log)
        else:
            self._run("pg_ctl", "-l", self.logfile, *args)
        self._started_here = True
        return self.port

    def restart(self):
        """Restart the running server on the same port and settings (pg_ctl keeps its options): the
        benchmarks' cold reads start with empty shared buffers and no backend caches."""
        args = ("-D", self.datadir, "-m", "fast", "-w", "-t", "60", "restart")
        if self.outside:
            with open(self.logfile, "a", encoding="utf-8") as log:
                self._run("pg_ctl", *args, stdout=log)
        else:
            self._run("pg_ctl", "-l", self.logfile, *args)

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
        if self.outside:
            shutil.rmtree(self.home, ignore_errors=True)
            with contextlib.suppress(OSError):  # the checkout's folder goes with its last cluster
                self.home.parent.rmdir()

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
def running(name, throwaway=False, profile="default"):
    """Start cluster ``name`` for the duration of the block; remove it afterwards if ``throwaway``."""
    cluster = Cluster(name, profile=profile)
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


def clean():
    """Stop and remove every cluster of this checkout, under ``.run`` and outside it; 0 when all went."""
    outside = outside_root()
    homes = [path.parent.parent for path in RUN.glob("*/data/PG_VERSION")]
    if outside.is_dir():
        if not os.access(outside, os.W_OK | os.X_OK):
            print(f"{outside} holds clusters root made for this checkout: run make clean as root.", file=sys.stderr)
            return 1
        homes += [path for path in outside.iterdir() if path.is_dir()]
    for home in homes:
        Cluster(home.name, home=home).destroy()
    return 0


def main(argv=None):
    """``python3 -m tools.pg clean``: the part of ``make clean`` that ``rm -rf .run`` cannot do."""
    parser = argparse.ArgumentParser(description="Manage this checkout's private PostgreSQL servers.")
    parser.add_argument("command", choices=["clean"], help="clean: stop and remove every server of this checkout")
    parser.parse_args(argv)
    return clean()


if __name__ == "__main__":
    sys.exit(main())
