"""Italian: every term of the committed template has a reviewed translation, and the screens speak it.

The catalogue checks read ``i18n/lead_tracking.pot`` as committed (``test_i18n.py`` keeps it in step
with the code), so a term added to the code fails here once ``make pot`` has merged it into
``it.po`` untranslated.  The screen checks load the Italian of the addon into the test database as
activating the language in Odoo does, and read a report menu, settings, a portal page and errors.
"""

import re

import polib
from lxml import etree

from odoo.exceptions import ValidationError
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged

from .common import LtResellerPortalCase

I18N = get_module_path("lead_tracking") + "/i18n/"
# What code and templates substitute: %(name)s, %s, %d, %.2f, %% and inline expressions ({{ ... }}).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]|\{\{.*?\}\}")
# Attributes a translator may translate inside a term; every other one must stay as it is.
TRANSLATABLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "string", "help"}


def markup(text):
    """The elements of a term, with their untranslatable attributes, in document order."""
    root = etree.fromstring(f"<lt_term>{text}</lt_term>")
    return [
        (el.tag, sorted((k, v) for k, v in el.attrib.items() if k not in TRANSLATABLE_ATTRIBUTES)) for el in root.iter()
    ]


@tagged("post_install", "-at_install")
class TestItalianCatalogue(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pot = polib.pofile(I18N + "lead_tracking.pot")
        cls.po = polib.pofile(I18N + "it.po")
        cls.translations = {entry.msgid: entry for entry in cls.po if not entry.obsolete}

    def test_every_term_is_translated(self):
        """No term of the template is missing, empty or fuzzy (awaiting review) in it.po (run `make pot`)."""
        missing = [e.msgid for e in self.pot if e.msgid not in self.translations]
        empty = [e.msgid for e in self.pot if e.msgid in self.translations and not self.translations[e.msgid].msgstr]
        fuzzy = [e.msgid for e in self.pot if e.msgid in self.translations and self.translations[e.msgid].fuzzy]
        self.assertFalse(
            missing or empty or fuzzy,
            f"it.po lacks translations (run `make pot`, then translate): missing {missing[:10]}, "
            f"untranslated {empty[:10]}, fuzzy {fuzzy[:10]}",
        )
        self.assertEqual(len(self.pot), len(self.translations), "it.po holds terms the template no longer has")

    def test_placeholders_are_kept(self):
        """Each translation substitutes exactly what its source does (a lost %(name)s breaks the message)."""
        odd = [
            (msgid, entry.msgstr)
            for msgid, entry in self.translations.items()
            if entry.msgstr and sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr))
        ]
        self.assertFalse(odd, "translations whose placeholders differ from their source")

    def test_markup_is_kept(self):
        """A term holding markup keeps its elements and their attributes (t-out, classes, invisible...)."""
        odd = [
            msgid
            for msgid, entry in self.translations.items()
            if "<" in msgid and entry.msgstr and markup(msgid) != markup(entry.msgstr)
        ]
        self.assertFalse(odd, "translations whose markup differs from their source")


@tagged("post_install", "-at_install")
class TestItalianScreens(LtResellerPortalCase):
    """Reseller A's portal user reads Italian; the back office is read with lang it_IT."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.env["ir.module.module"]._load_module_terms(["lead_tracking"], ["it_IT"], overwrite=True)
        cls.portal_a.lang = "it_IT"
        cls.it = cls.env(context=dict(cls.env.context, lang="it_IT"))

    def test_report_menus(self):
        menus = {
            "lead_tracking.crm_lead_scoring_report_menu": "Punteggio lead",
            "lead_tracking.crm_lead_unattended_report_menu": "Lead non seguiti",
            "lead_tracking.crm_reseller_report_menu": "Analisi collaborazioni",
        }
        for xmlid, name in menus.items():
            self.assertEqual(self.it.ref(xmlid).name, name)

    def test_settings(self):
        """CRM Settings: the addon's block, its labels and a field's label."""
        arch = self.it["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        for text in ("Analisi intelligente dei lead", "Fasce di punteggio", "Rivenditori", "Anteprima"):
            self.assertIn(text, arch)
        fields = self.it["res.config.settings"].fields_get(["lt_score_warm_threshold"], ["string"])
        self.assertEqual(fields["lt_score_warm_threshold"]["string"], "Tiepido da (%)")

    def test_lead_fields_and_tiers(self):
        fields = self.it["crm.lead"].fields_get(["score_tier"], ["string", "selection"])
        self.assertEqual(fields["score_tier"]["string"], "Fascia di punteggio")
        self.assertEqual(dict(fields["score_tier"]["selection"]), {"cold": "Freddo", "warm": "Tiepido", "hot": "Caldo"})

    def test_validation_error(self):
        with self.assertRaisesRegex(ValidationError, "Il peso di un rivenditore non può essere negativo"):
            self.reseller_a.with_context(lang="it_IT").write({"reseller_weight": -1})

    def test_portal_pages(self):
        text = self.url_open("/my/leads").text
        for words in ("Località", "Assegnato il", "Lead Alpha"):
            self.assertIn(words, text)
        text = self.url_open(f"/my/lead/{self.lead_a.id}").text
        self.assertIn("Sono interessato", text)
        self.assertIn("Non sono interessato", text)

    def test_portal_form_errors(self):
        """An empty answer shows the form again with Italian errors (a code term and a template term)."""
        response = self._post(f"/my/lead/{self.lead_a.id}/interested", {})
        self.assertEqual(response.status_code, 400)
        self.assertIn("Correggi i campi qui sotto.", response.text)
        self.assertIn("Descrivi la prossima azione.", response.text)
