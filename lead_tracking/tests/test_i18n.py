import io

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export


@tagged("post_install", "-at_install")
class TestTranslationTemplate(TransactionCase):
    def test_pot_is_current(self):
        """i18n/lead_tracking.pot lists exactly the terms Odoo exports for the addon (run `make pot`)."""
        buffer = io.BytesIO()
        trans_export(None, ["lead_tracking"], buffer, "po", self.env.cr)
        exported = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        pot = get_module_path("lead_tracking") + "/i18n/lead_tracking.pot"
        committed = {entry.msgid for entry in polib.pofile(pot)}
        missing, stale = sorted(exported - committed), sorted(committed - exported)
        self.assertFalse(
            missing or stale,
            f"lead_tracking.pot is out of date (run `make pot`): missing {missing[:20]}, stale {stale[:20]}",
        )
