"""``make mutation``: mutation testing of lead_tracking's pure-Python parts with mutmut.

mutmut changes the code one small step at a time (a ``<`` for a ``<=``, a constant, a dropped
call...) and reruns the tests that exercise the changed function; a mutant the tests do not notice
"survives".  The parts mutated are the ones that need no database (``MUTATED``): the assignment
planner, the scoring advisor's maths and the portal form parser; their tests run without a registry
(``tools/pure_tests.py``), with fewer property-based examples per mutant (``LT_EXAMPLES_SCALE``).

mutmut names a mutant after its file's path and checks that name against the module of the running
function, so the addon is staged as ``odoo/addons/lead_tracking`` in ``.run/mutation`` (Odoo imports
it under that name); mutmut's own copy and its results stay there between runs (only changed files
are mutated again).  Prints the survivors and the score; fails below ``MIN_SCORE`` killed.
"""

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys

from . import pg
from .pure_tests import PURE_TESTS

STAGE = pg.RUN / "mutation"
ADDON = "odoo/addons/lead_tracking"
MUTATED = ("models/assignment_planner.py", "models/pls_advisor.py", "controllers/portal_form.py")
MIN_SCORE = 85.0
EXAMPLES_SCALE = "0.05"  # 2,000 planner examples become 100 per mutant
CONFIG = """[tool.mutmut]
source_paths = ["{addon}/"]
only_mutate = [{mutated}]
also_copy = ["tools/"]
pytest_add_cli_args = ["-p", "no:odoo", "-p", "tools.pure_tests", "-p", "no:cacheprovider", "-q"]
pytest_add_cli_args_test_selection = [{tests}]
"""
# Odoo is imported before mutmut puts its copy first on sys.path, and not from the stage folder: the
# odoo/ folders there (namespace packages) would otherwise hide the installed Odoo.
MUTMUT = (
    "import sys\nif sys.path[0] == '':\n    del sys.path[0]\nimport odoo\n"
    "from mutmut.__main__ import cli\nsys.argv[0] = 'mutmut'\ncli()"
)


def sync(source, target):
    """Copy ``source`` into ``target`` file by file, leaving identical files (and their mtimes) alone."""
    for folder, dirs, files in os.walk(source):
        dirs[:] = [name for name in dirs if name not in ("__pycache__", ".hypothesis")]
        relative = os.path.relpath(folder, source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.endswith(".pyc"):
                continue
            src, dst = os.path.join(folder, name), target / relative / name
            if not dst.exists() or not filecmp.cmp(src, dst, shallow=False):
                shutil.copy2(src, dst)


def stage():
    """The checkout as mutmut must see it, in ``STAGE``."""
    sync(pg.ROOT / "lead_tracking", STAGE / ADDON)
    sync(pg.ROOT / "tools", STAGE / "tools")
    quoted = lambda items: ", ".join(f'"{item}"' for item in items)  # noqa: E731
    (STAGE / "pyproject.toml").write_text(
        CONFIG.format(
            addon=ADDON,
            mutated=quoted(f"{ADDON}/{path}" for path in MUTATED),
            tests=quoted(path.replace("lead_tracking/", f"{ADDON}/", 1) for path in PURE_TESTS),
        ),
        encoding="utf-8",
    )


def mutmut(*args, **kwargs):
    env = {**os.environ, "LT_EXAMPLES_SCALE": os.environ.get("LT_EXAMPLES_SCALE", EXAMPLES_SCALE)}
    return subprocess.run([sys.executable, "-c", MUTMUT, *args], cwd=STAGE, env=env, check=False, **kwargs)


def main(argv=None):
    """Entry point of ``make mutation``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    args = parser.parse_args(argv)
    stage()
    mutmut("run", "--max-children", str(args.max_children))
    if mutmut("export-cicd-stats").returncode:
        return 1
    stats = json.loads((STAGE / "mutants" / "mutmut-cicd-stats.json").read_text(encoding="utf-8"))
    print("\nSurviving mutants (mutmut show <name> in .run/mutation prints one):")
    listing = mutmut("results", capture_output=True, text=True).stdout
    print(listing.rstrip() or "    none")
    # a mutant that makes the tests run past mutmut's time limit (an endless loop) is caught too
    caught = stats["killed"] + stats.get("timeout", 0)
    tested = caught + sum(stats.get(key, 0) for key in ("survived", "no_tests", "suspicious", "segfault"))
    score = 100.0 * caught / tested if tested else 0.0
    print(f"\nMutation score: {caught} caught (killed or timed out) of {tested} mutants tested = {score:.1f} % "
          f"(at least {MIN_SCORE} %); {stats['total'] - tested} of {stats['total']} not tested yet")
    print(json.dumps(stats))
    return 0 if score >= MIN_SCORE else 1


if __name__ == "__main__":
    sys.exit(main())
