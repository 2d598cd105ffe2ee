"""``make test``: lint and test lead_tracking, then crm's own suite, on a throwaway database.

Steps: check that Odoo 17 imports, install the test dependencies, read the
crm tests this command deselects (``tools/crm_suite_deselected.txt``, checked
against its rules), start a private PostgreSQL server, check that every
deselected node id still names a test of crm's suite (``--collect-only``, so
that a deselection cannot silently rot), install lead_tracking with demo data
in a fresh database, run ruff and pylint-odoo, run lead_tracking's tests with
pytest-odoo (HTTP server on, so HttpCase and tours run), then the installed
Odoo's own ``crm`` suite against the same database with the same options
(lead_tracking changes crm's behaviour; crm's tests say whether it still keeps
crm's promises), then drop everything, whatever failed.

Extra arguments are pytest options for both runs (``-k`` to choose tests,
``-x``...; a test path would be looked for in both suites).  pytest exits 5
when it selects no test; that counts as success only when the arguments hold a
filter (``-k``, ``-m``...) and the other suite did run tests.  With ``-x`` a
failing lead_tracking suite stops the command before crm's.  Both suites run
pytest with this project's ``pyproject.toml`` (``-c``), so the plugin that
turns skips into failures applies to both; crm's runs with its addons folder
as rootdir, so its node ids read ``crm/tests/test_x.py::Class::test``.  pytest
runs last so that its summary is (nearly) the last thing printed; then, unless the arguments narrow
the tests, the 2-minute soak on 20,000 leads (tools/soak.py, docs/soak.md), whose failure fails the
command.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from . import pg
from .odoo_env import addon_dir, require_odoo, run_odoo, write_config

DBNAME = "lead_tracking_test"
# Odoo reports a demo file that fails to load as a mere WARNING and installs without demo data.
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ ((ERROR|CRITICAL) |WARNING .*demo data failed to install)")
DESELECTED = pg.ROOT / "tools" / "crm_suite_deselected.txt"
MAX_DESELECTED = 6
# pytest options that narrow a run, after which "no test selected" (exit 5) is no error.
FILTERS = ("-k", "-m", "--deselect", "--ignore")
NO_TESTS = 5  # pytest's exit code when it collects or selects no test
# Coverage of lead_tracking's Python (its tests left out) by lead_tracking's suite: report under .run/.
COVERAGE_DIR = pg.RUN / "coverage"
COVERAGE_OMIT = "*/lead_tracking/tests/*,*/lead_tracking/__manifest__.py"
# pytest runs in the suite's rootdir, because its summary names tests relative to the working
# directory; that folder must not lead sys.path though (``python -m`` would put it first): crm's
# addons folder holds addons named calendar and resource, which would shadow the standard library.
PYTEST = "import sys\nif sys.path[0] == '':\n    del sys.path[0]\nimport pytest\nsys.exit(pytest.console_main())"


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


def read_deselected(path=DESELECTED):
    """Node ids of crm's tests not to run, from ``path``; exit with the rule broken when it breaks one."""
    nodes = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        node, _, reason = (part.strip() for part in line.partition("#"))
        if not node or not reason or any(char.isspace() for char in node):
            sys.exit(f"{path}:{number}: expected '<node id>  # <reason>' (a reason is required), got: {line}")
        if node in nodes:
            sys.exit(f"{path}:{number}: {node} is listed twice.")
        nodes.append(node)
    if len(nodes) > MAX_DESELECTED:
        sys.exit(f"{path} deselects {len(nodes)} tests; at most {MAX_DESELECTED} may be (see its header).")
    return nodes


def pytest_run(config, tests, rootdir, args, covered=False, **kwargs):
    """Run pytest-odoo on ``tests`` with this project's pytest settings, node ids relative to ``rootdir``;
    ``covered``: under ``coverage run``, measuring lead_tracking's lines (HTTP server threads included)."""
    runner = ["-c", PYTEST]
    if covered:
        # rootdir is the checkout here: leading sys.path (as -m does) hides nothing
        COVERAGE_DIR.mkdir(parents=True, exist_ok=True)
        runner = ["-m", "coverage", "run", f"--data-file={COVERAGE_DIR / 'data'}",
                  f"--source={pg.ROOT / 'lead_tracking'}", f"--omit={COVERAGE_OMIT}", "-m", "pytest"]
    cmd = [
        sys.executable,
        *runner,
        str(tests),
        # Our settings (addopts: the plugin turning skips into failures) even for tests outside the
        # project; the plugin imports as tools.pytest_plugin from PYTHONPATH.
        "-c",
        str(pg.ROOT / "pyproject.toml"),
        f"--rootdir={rootdir}",
        f"--odoo-config={config}",
        f"--odoo-database={DBNAME}",
        "--odoo-http",
        "--odoo-log-level=warn",
        "-p",
        "no:cacheprovider",  # no .pytest_cache in the installed Odoo's folders
        *args,
    ]
    # Absolute paths: pytest runs elsewhere, and a relative entry would put that folder on sys.path.
    paths = [str(pg.ROOT), *(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    if Path(rootdir) != pg.ROOT:
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # nor pytest's rewritten .pyc files
    return subprocess.run(cmd, cwd=rootdir, env=env, check=False, **kwargs)


def stale_deselections(config, crm, deselected):
    """The deselected node ids that name no test crm's suite collects (None when collection fails)."""
    proc = pytest_run(config, crm / "tests", crm.parent, ["--collect-only", "-q"], capture_output=True, text=True)
    if proc.returncode:
        print(f"Collecting crm's tests failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        return None
    collected = {line.strip() for line in proc.stdout.splitlines() if "::" in line}
    # A node id may name a test, or a class or file (pytest deselects by prefix).
    return [node for node in deselected if not any(c == node or c.startswith(node + "::") for c in collected)]


def check_deselections(config, crm, deselected):
    """True when every deselection names a collected crm test; otherwise say which does not."""
    stale = stale_deselections(config, crm, deselected)
    for node in stale or ():
        print(f"{DESELECTED}: {node} matches no test of crm's suite; fix or remove that line.")
    return stale == []


def is_filtered(extra):
    """Whether the extra pytest arguments narrow the selection (so that a suite may select nothing)."""
    return any(arg.startswith(FILTERS) for arg in extra)


def stops_at_first_failure(extra):
    """Whether the extra pytest arguments ask to stop at the first failure."""
    return any(arg in ("-x", "--exitfirst") or arg.startswith("--maxfail") for arg in extra)


def run_suites(config, crm, deselected, extra):
    """lead_tracking's tests, then crm's own; return their pytest exit codes by title."""
    codes = {}
    title = "lead_tracking tests"
    print(f"\n==> {title}", flush=True)
    codes[title] = pytest_run(config, pg.ROOT / "lead_tracking" / "tests", pg.ROOT, extra, covered=True).returncode
    coverage_report()
    if codes[title] not in (0, NO_TESTS) and stops_at_first_failure(extra):
        print("\ncrm's own test suite not run: lead_tracking's tests failed and -x stops at the first failure.")
        return codes
    title = f"crm's own test suite ({len(deselected)} deselected, see tools/{DESELECTED.name})"
    print(f"\n==> {title}", flush=True)
    args = [f"--deselect={node}" for node in deselected]
    codes[title] = pytest_run(config, crm / "tests", crm.parent, args + extra).returncode
    return codes


def coverage_report():
    """Lines of lead_tracking covered by its suite: per file in .run/coverage/report.txt (and printed),
    as pages in .run/coverage/html/."""
    data = [f"--data-file={COVERAGE_DIR / 'data'}"]
    report = subprocess.run([sys.executable, "-m", "coverage", "report", *data, "--sort=cover"],
                            capture_output=True, text=True, check=False)
    if report.returncode:
        print(f"No coverage report: {report.stderr.strip()}")
        return
    (COVERAGE_DIR / "report.txt").write_text(report.stdout, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "coverage", "html", *data, "-q", f"--directory={COVERAGE_DIR / 'html'}"],
                   check=False)
    print(f"\nCoverage of lead_tracking's Python by its tests ({COVERAGE_DIR / 'report.txt'}, html/ beside it):")
    print(report.stdout)


def combined_code(codes, filtered):
    """One exit code for the suites; "no test selected" passes only after a filter that another suite matched."""
    values = list(codes.values())
    if filtered and any(code != NO_TESTS for code in values):
        values = [0 if code == NO_TESTS else code for code in values]
    return next((code for code in values if code), 0)


def print_summary(codes):
    """One line per suite, since the first suite's pytest summary has scrolled away."""
    words = {0: "passed", NO_TESTS: "selected no test"}
    for title, code in codes.items():
        print(f"{title.split(' (')[0]}: {words.get(code, f'failed (pytest exit {code})')}")


SOAK_ARGS = ("--minutes", "2", "--leads", "20000")


def soak_step(extra):
    """The 2-minute soak on 20,000 leads (tools/soak.py, its own server); its exit code by title.
    Not run when the arguments narrow the tests to some of them."""
    title = "soak (2 minutes, 20,000 leads)"
    if is_filtered(extra):
        print(f"\n{title} not run: the arguments select some tests only.")
        return {}
    print(f"\n==> {title}", flush=True)
    soak = subprocess.run([sys.executable, "-m", "tools.soak", *SOAK_ARGS], cwd=pg.ROOT, check=False)
    return {title: soak.returncode}


def main(argv=None):
    """Entry point of ``make test``; extra arguments go to pytest in both suites (``-k``, ``-x``...)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and pylint-odoo")
    args, extra = parser.parse_known_args(argv)
    require_odoo()
    ensure_dependencies()
    deselected = read_deselected()
    crm = addon_dir("crm")
    if crm is None:
        sys.exit("The crm addon was not found in the installed Odoo's addons paths.")
    ok = True
    with pg.running("pg-test", throwaway=True, profile="fast") as cluster:
        config = write_config(
            cluster, "test", http_port=pg.free_port(), data_dir=cluster.base / "filestore", log_level="warn"
        )
        if not check_deselections(config, crm, deselected) or not install_addon(config):
            return 1
        if not args.no_lint:
            ok = lint()
        codes = run_suites(config, crm, deselected, extra)
    codes.update(soak_step(extra))
    print_summary(codes)
    return combined_code(codes, is_filtered(extra)) or (0 if ok else 1)


if __name__ == "__main__":
    sys.exit(main())
