"""``make test``: lint and test lead_tracking on a throwaway database.

Steps: check that Odoo 17 imports, install the test dependencies, start a
private PostgreSQL server, install lead_tracking with demo data in a fresh
database, run ruff and pylint-odoo, run every test with pytest-odoo (HTTP
server on, so HttpCase and tours run), then drop everything, whatever failed.
pytest runs last so that its summary is the last thing printed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig

from . import pg
from .odoo_env import require_odoo, run_odoo, write_config

DBNAME = "lead_tracking_test"
# Odoo reports a demo file that fails to load as a mere WARNING and installs without demo data.
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ ((ERROR|CRITICAL) |WARNING .*demo data failed to install)")


def ensure_dependencies():
    """Install the Python test tools into this interpreter and Chromium for browser tests."""
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if sys.prefix == sys.base_prefix and not os.access(sysconfig.get_paths()["purelib"], os.W_OK):
        pip.append("--user")  # a system interpreter used by a normal user
    pip += ["-r", str(pg.ROOT / "requirements-test.txt")]
    if subprocess.run(pip, check=False).returncode:
        sys.exit("Could not install the test requirements (requirements-test.txt).")
    if shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*sudo, "apt-get", "install", "-y", "-q", "chromium"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
    if subprocess.run(install, **quiet).returncode:
        subprocess.run([*sudo, "apt-get", "update", "-q"], **quiet)
        if subprocess.run(install, **quiet).returncode:
            sys.exit("Browser tests need Chromium: install Debian's chromium package (apt install chromium).")


def install_addon(config):
    """Create the database with lead_tracking and its demo data; False on any error."""
    log = pg.RUN / "install.log"
    code = run_odoo(config, "-d", DBNAME, "-i", "lead_tracking", "--stop-after-init", log=log)
    problems = [line for line in log.read_text(errors="replace").splitlines() if LOG_PROBLEM.match(line)]
    if code or problems:
        print(f"Installing lead_tracking failed (exit {code}); see {log}:")
        print("\n".join(problems[-20:]) or log.read_text(errors="replace")[-3000:])
        return False
    return True


def lint():
    """ruff and pylint-odoo; True when neither reports an error."""
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", str(pg.ROOT)], check=False)
    pylint = subprocess.run(
        [sys.executable, "-m", "pylint", f"--rcfile={pg.ROOT / '.pylintrc'}", str(pg.ROOT / "lead_tracking")],
        check=False,
    )
    # pylint's exit status is a bit field: 1 fatal, 2 error; warnings don't fail the run.
    return ruff.returncode == 0 and not pylint.returncode & 3


def pytest(config, extra):
    """Run the addon's tests; return pytest's exit code."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(pg.ROOT / "lead_tracking" / "tests"),
        f"--odoo-config={config}",
        f"--odoo-database={DBNAME}",
        "--odoo-http",
        "--odoo-log-level=warn",
        "-p",
        "no:cacheprovider",
        *extra,
    ]
    return subprocess.run(cmd, cwd=pg.ROOT, check=False).returncode


def main(argv=None):
    """Entry point of ``make test``; extra arguments go to pytest (``-k``, ``-x``, a test path...)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and pylint-odoo")
    args, extra = parser.parse_known_args(argv)
    require_odoo()
    ensure_dependencies()
    ok = True
    with pg.running("pg-test", throwaway=True) as cluster:
        config = write_config(
            cluster, "test", http_port=pg.free_port(), data_dir=cluster.base / "filestore", log_level="warn"
        )
        if not install_addon(config):
            return 1
        if not args.no_lint:
            ok = lint()
        code = pytest(config, extra)
    return code or (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
