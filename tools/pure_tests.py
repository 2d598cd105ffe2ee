"""pytest plugin for lead_tracking's tests that need no database (``make mutation``).

The planner, the advisor's maths and the portal form parser are plain Python: their tests import
them as ``odoo.addons.lead_tracking...`` like every test of the addon, but start no registry.  Use
with pytest-odoo turned off: ``pytest -p no:odoo -p tools.pure_tests <test files>``.  The addons
path is this checkout's (``tools/odoo_env.py``), so a copy of the checkout (mutmut's ``mutants/``)
tests its own copy of the code.
"""

from pathlib import Path

from hypothesis import HealthCheck, settings

PURE_TESTS = (
    "lead_tracking/tests/test_assignment_planner.py",
    "lead_tracking/tests/test_pls_advisor.py",
    "lead_tracking/tests/test_portal_form.py",
)


def pytest_configure(config):
    """Point ``odoo.addons`` at this checkout and name test modules as pytest-odoo does."""
    import pytest_odoo

    import odoo

    from .odoo_env import odoo_addons_paths

    # not parse_config(): it sets Odoo's logging up, on streams that pytest may have replaced
    paths = odoo_addons_paths()
    staged = Path(paths[-1]) / "odoo" / "addons"  # make mutation's copy (tools/mutation.py)
    if (staged / "lead_tracking").is_dir():
        paths[-1] = str(staged)
    odoo.tools.config["addons_path"] = ",".join(paths)
    odoo.modules.module.initialize_sys_path()
    pytest_odoo.monkey_patch_resolve_pkg_root_and_module_name()
    # mutmut reruns the same tests in one process, once per mutant: the same examples each time (a
    # mutant is killed or not whatever the draw), no example database, one test class instance per run
    settings.register_profile(
        "lt_mutation", derandomize=True, database=None, suppress_health_check=[HealthCheck.differing_executors]
    )
    settings.load_profile("lt_mutation")
