"""Finding the installed Odoo 17 and running it against a private server."""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .pg import ROOT, RUN, wait_for

ODOO_MISSING = (
    "Odoo 17 Community must be installed and importable by {python} "
    "(Odoo's source install: https://www.odoo.com/documentation/17.0/administration/on_premise/source.html), "
    "then run this command again."
)


def require_odoo():
    """Exit with status 2 and a short message unless ``import odoo`` gives Odoo 17."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.version_info[0])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode or probe.stdout.strip() != "17":
        print(ODOO_MISSING.format(python=sys.executable), file=sys.stderr)
        sys.exit(2)


def odoo_addons_paths():
    """Addons folders of the installed Odoo (its own ``odoo/addons`` and, for a source
    checkout, the sibling ``addons`` folder holding crm), followed by this project."""
    extra = os.environ.get("ODOO_ADDONS_PATH")
    if extra:
        paths = [p for p in extra.split(",") if p]
    else:
        import odoo

        package = Path(odoo.__file__).resolve().parent
        paths = [str(package / "addons")]
        sibling = package.parent / "addons"
        if (sibling / "crm" / "__manifest__.py").exists():
            paths.append(str(sibling))
    return [*paths, str(ROOT)]


def addon_dir(name):
    """Folder of addon ``name`` as Odoo finds it with the addons paths we give it (first one wins), or None."""
    for path in odoo_addons_paths():
        if (Path(path) / name / "__manifest__.py").is_file():
            return Path(path) / name
    return None


def write_config(cluster, name, **options):
    """Write ``.run/<name>.conf`` for Odoo on ``cluster`` and return its path."""
    RUN.mkdir(exist_ok=True)
    values = {
        "db_host": str(cluster.sockdir),
        "db_port": str(cluster.port),
        "db_user": "odoo",
        "db_password": "False",
        "addons_path": ",".join(odoo_addons_paths()),
        "data_dir": str(RUN / "filestore"),
        "admin_passwd": "admin",
        "http_interface": "127.0.0.1",
        "max_cron_threads": "0",
        "log_level": "warn",
        "list_db": "False",
    }
    values.update({key: str(value) for key, value in options.items()})
    path = RUN / f"{name}.conf"
    path.write_text("[options]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()))
    return path


def odoo_cmd(config, *args):
    """Command line running Odoo's server with ``config``."""
    return [sys.executable, "-m", "odoo", "-c", str(config), *args]


def run_odoo(config, *args, log=None):
    """Run Odoo to completion (``--stop-after-init`` style); return its exit code.

    Output goes to ``log`` when given so that the caller decides what to show."""
    cmd = odoo_cmd(config, *args)
    if log is None:
        return subprocess.run(cmd, check=False).returncode
    with open(log, "w", encoding="utf-8") as handle:
        return subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode


def module_installed(cluster, dbname, module="lead_tracking"):
    """Whether ``module`` is installed in ``dbname``."""
    if not cluster.database_exists(dbname):
        return False
    rows = cluster.execute("SELECT state FROM ir_module_module WHERE name = %s", dbname=dbname, params=(module,))
    return bool(rows) and rows[0][0] == "installed"


# -- Odoo inside this Python process (data generator, benchmarks) -------------------------
_LOADED_CONFIG = []


def load_odoo(config):
    """Make the Odoo of ``config`` usable in this process (``odoo.registry``); idempotent."""
    import odoo

    if [str(config)] != _LOADED_CONFIG:
        odoo.tools.config.parse_config(["-c", str(config)])
        _LOADED_CONFIG[:] = [str(config)]
    return odoo


def environment(config, dbname):
    """Context manager yielding a superuser Environment on ``dbname`` (committed at exit, rolled back on error)."""
    import contextlib

    @contextlib.contextmanager
    def _env():
        odoo = load_odoo(config)
        registry = odoo.modules.registry.Registry(dbname)
        with registry.cursor() as cr:
            yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})

    return _env()


def wait_until_answering(proc, url, timeout=300):
    """Poll ``url`` until Odoo answers; False when it exits or the time runs out."""

    def answered():
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    return wait_for(lambda: proc.poll() is not None or answered(), timeout=timeout, step=0.5) and proc.poll() is None


def stop_odoo(proc, timeout=20):
    """Stop Odoo as Ctrl-C would (it finishes its requests), killing it if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
