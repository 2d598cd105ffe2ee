"""``make pot``: regenerate ``lead_tracking/i18n/lead_tracking.pot`` from the code and merge it into the translations.

Installs lead_tracking with its demo data (as the test database has it) in a throwaway database and exports
its translatable terms with Odoo's own exporter, so the template lists exactly
what Odoo will offer translators.  Every ``i18n/<lang>.po`` is then merged with
the new template as ``msgmerge`` would (with polib, which Odoo itself needs, so
no gettext install): entries in the template's order and with its references,
translations kept, new terms added untranslated, terms gone from the code
dropped; a new term close to a dropped one gets that translation marked
``fuzzy`` for review.  ``tests/test_i18n.py`` fails when the committed template
falls behind the code, ``tests/test_i18n_italian.py`` when a term of the
template has no reviewed Italian translation.
"""

import difflib
import sys

import polib

from . import pg
from .odoo_env import require_odoo, run_odoo, write_config

DBNAME = "lead_tracking_pot"
I18N = pg.ROOT / "lead_tracking" / "i18n"
POT = I18N / "lead_tracking.pot"
# Header fields that belong to a translation, not to the template it was merged with.
OWN_METADATA = (
    "Language",
    "Language-Team",
    "Last-Translator",
    "PO-Revision-Date",
    "Plural-Forms",
    "Content-Transfer-Encoding",
)
# How alike a new term must be to a dropped one to inherit its translation (msgmerge's fuzzy match).
FUZZY_CUTOFF = 0.8


def _key(entry):
    return entry.msgctxt, entry.msgid


def same_terms(first, second):
    """Whether two templates list the same entries (the export stamps a new date even when nothing changed)."""
    return [(_key(e), e.occurrences, e.comment, e.flags) for e in first] == [
        (_key(e), e.occurrences, e.comment, e.flags) for e in second
    ]


def merge(po, pot):
    """A new catalogue holding ``pot``'s entries with ``po``'s translations; also the counts of what changed."""
    merged = polib.POFile(wrapwidth=po.wrapwidth)
    merged.header = po.header
    merged.metadata = {**pot.metadata, **{key: po.metadata[key] for key in OWN_METADATA if key in po.metadata}}
    known = {_key(entry): entry for entry in po if not entry.obsolete}
    counts = {"new": 0, "fuzzy": 0, "dropped": 0}
    untranslated = []
    for ref in pot:
        entry = polib.POEntry(
            msgid=ref.msgid,
            msgctxt=ref.msgctxt,
            msgid_plural=ref.msgid_plural,
            occurrences=ref.occurrences,
            comment=ref.comment,
            flags=list(ref.flags),
        )
        old = known.pop(_key(ref), None)
        if old is not None and (old.msgstr or old.msgstr_plural):
            entry.msgstr, entry.msgstr_plural, entry.tcomment = old.msgstr, old.msgstr_plural, old.tcomment
            if old.fuzzy:
                entry.flags.append("fuzzy")
        else:
            untranslated.append(entry)
        merged.append(entry)
    # The terms the code no longer has: a new term that is one of them reworded takes its translation,
    # flagged fuzzy so that a translator checks it (Odoo would show it as it is).
    gone = {old.msgid: old for old in known.values() if old.msgstr}
    for entry in untranslated:
        match = difflib.get_close_matches(entry.msgid, list(gone), n=1, cutoff=FUZZY_CUTOFF)
        if match and not entry.msgid_plural:
            entry.msgstr = gone.pop(match[0]).msgstr
            entry.flags.append("fuzzy")
            counts["fuzzy"] += 1
        else:
            counts["new"] += 1
    counts["dropped"] = len(known)
    return merged, counts


def merge_translations(pot_path=POT, folder=I18N):
    """Merge every ``<lang>.po`` of ``folder`` with the template; return {file name: counts}."""
    pot = polib.pofile(str(pot_path))
    results = {}
    for path in sorted(folder.glob("*.po")):
        merged, counts = merge(polib.pofile(str(path)), pot)
        merged.save(str(path))
        results[path.name] = counts
    return results


def export_template():
    """Export the template to a scratch file; return its path, or None (and print why) on failure."""
    target = pg.RUN / "lead_tracking.pot"
    with pg.running("pg-pot", throwaway=True, profile="fast") as cluster:
        config = write_config(cluster, "pot", data_dir=cluster.base / "filestore")
        log = pg.RUN / "pot.log"
        code = run_odoo(config, "-d", DBNAME, "-i", "lead_tracking", "--stop-after-init", log=log)
        if not code:
            code = run_odoo(
                config, "-d", DBNAME, f"--i18n-export={target}", "--modules=lead_tracking", "--stop-after-init", log=log
            )
    if code:
        print(f"Exporting the translation template failed; see {log}", file=sys.stderr)
        return None
    return target


def main():
    """Entry point of ``make pot``."""
    require_odoo()
    exported = export_template()
    if exported is None:
        return 1
    if POT.exists() and same_terms(polib.pofile(str(POT)), polib.pofile(str(exported))):
        print(f"{POT.relative_to(pg.ROOT)} is up to date")
    else:
        POT.write_bytes(exported.read_bytes())
        print(f"Wrote {POT.relative_to(pg.ROOT)}")
    exported.unlink()
    for name, counts in merge_translations().items():
        todo = counts["new"] + counts["fuzzy"]
        print(
            f"Merged {name}: {counts['new']} new untranslated, {counts['fuzzy']} fuzzy to review, "
            f"{counts['dropped']} dropped" + (" (translate them, then run make test)" if todo else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
