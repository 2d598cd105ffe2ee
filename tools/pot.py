"""``make pot``: regenerate ``lead_tracking/i18n/lead_tracking.pot`` from the code.

Installs lead_tracking with its demo data (as the test database has it) in a throwaway database and exports
its translatable terms with Odoo's own exporter, so the template lists exactly
what Odoo will offer translators. ``tests/test_i18n.py`` fails when the
committed template falls behind the code.
"""

import sys

from . import pg
from .odoo_env import require_odoo, run_odoo, write_config

DBNAME = "lead_tracking_pot"
POT = pg.ROOT / "lead_tracking" / "i18n" / "lead_tracking.pot"


def main():
    """Entry point of ``make pot``."""
    require_odoo()
    with pg.running("pg-pot", throwaway=True, profile="fast") as cluster:
        config = write_config(cluster, "pot", data_dir=cluster.base / "filestore")
        log = pg.RUN / "pot.log"
        code = run_odoo(config, "-d", DBNAME, "-i", "lead_tracking", "--stop-after-init", log=log)
        if not code:
            code = run_odoo(
                config, "-d", DBNAME, f"--i18n-export={POT}", "--modules=lead_tracking", "--stop-after-init", log=log
            )
    if code:
        print(f"Exporting the translation template failed; see {log}", file=sys.stderr)
        return 1
    print(f"Wrote {POT.relative_to(pg.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
