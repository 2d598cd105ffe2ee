"""pytest plugin of the test command: a skipped test is a failed test.

Odoo skips browser tests (HttpCase.browser_js, tours) silently when Chromium
or websocket-client is missing; a green run must mean they really ran.
"""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn every skip into a failure that names the reason."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} was skipped, which fails the run: {reason}"
