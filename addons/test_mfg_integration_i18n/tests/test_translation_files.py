import re
from collections import Counter
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import (
    JAVASCRIPT_TRANSLATION_COMMENT,
    PYTHON_TRANSLATION_COMMENT,
    TranslationModuleReader,
)

PRODUCT_PREFIX = "mfg_integration_"
# demonstration data, installed by the demo only: not translated
NOT_TRANSLATED = {"mfg_integration_demo"}
# what planners and consultants read, shipped complete in German
GERMAN_ADDONS = (
    "mfg_integration_core",
    "mfg_integration_exception",
    "mfg_integration_governance",
    "mfg_integration_observability",
)
REGENERATE = "setup/i18n-export"

# printf-style (%s, %(name)s, %(rate).1f, %%) and brace ({name}) placeholders,
# and the tags of markup inside a term
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%\d*(?:\.\d+)?[sdifr]|%%"
    r"|\{[^{}\s]*\}|</?[a-zA-Z][\w-]*|/>"
)


def template_keys(msgid, occurrences, comments):
    """What a translation must carry for Odoo to apply it: for a record's
    field, the field and the record's external id (a .po file translates those
    of its .pot only); for code, only the kind of code (Python or JavaScript),
    which Odoo looks up by the text alone."""
    keys = set()
    for occurrence in occurrences:
        if not occurrence.startswith("code:"):
            keys.add((msgid, occurrence))
    for kind, comment in (
        ("Python", PYTHON_TRANSLATION_COMMENT),
        ("JavaScript", JAVASCRIPT_TRANSLATION_COMMENT),
    ):
        if comment in comments:
            keys.add((msgid, kind))
    return keys


def keys_of_template(pot):
    keys = set()
    for entry in pot:
        if entry.obsolete:
            continue
        comments = entry.comment.split("\n")
        occurrences = [name for name, _line in entry.occurrences]
        keys |= template_keys(entry.msgid, occurrences, comments)
    return keys


def keys_of_export(rows):
    """Keys per addon of what Odoo's exporter reads from the database and the code."""
    keys = {}
    for module, ttype, name, res_id, source, _value, comments in rows:
        occurrence = f"{ttype}:{name}" if ttype == "code" else f"{ttype}:{name}:{res_id}"
        keys.setdefault(module, set()).update(template_keys(source, [occurrence], comments))
    return keys


def i18n_path(addon, filename):
    return Path(get_module_path(addon), "i18n", filename)


@tagged("post_install", "-at_install")
class TestTranslationTemplates(TransactionCase):
    """Every product addon ships a template with each term that Odoo exports."""

    def product_addons(self):
        installed = self.env["ir.module.module"].search(
            [("state", "=", "installed"), ("name", "=like", f"{PRODUCT_PREFIX}%")]
        )
        return sorted(set(installed.mapped("name")) - NOT_TRANSLATED)

    def test_every_product_addon_is_checked(self):
        # a typo in the prefix would make the next test check nothing
        self.assertIn("mfg_integration_core", self.product_addons())
        self.assertGreaterEqual(len(self.product_addons()), len(GERMAN_ADDONS))

    def test_every_template_has_every_exported_term(self):
        addons = self.product_addons()
        exported = keys_of_export(TranslationModuleReader(self.env.cr, modules=addons))
        problems = []
        for addon in addons:
            pot_file = i18n_path(addon, f"{addon}.pot")
            if not pot_file.exists():
                problems.append(f"{addon}: no i18n/{addon}.pot")
                continue
            missing = exported.get(addon, set()) - keys_of_template(polib.pofile(str(pot_file)))
            if missing:
                listed = "\n".join(f"    {msgid!r} ({where})" for msgid, where in sorted(missing))
                problems.append(
                    f"{addon}: {len(missing)} terms missing from i18n/{addon}.pot:\n{listed}"
                )
        if problems:
            self.fail(
                "Translation templates are out of date; run "
                + REGENERATE
                + " and commit the changed i18n/ files.\n"
                + "\n".join(problems)
            )


@tagged("post_install", "-at_install")
class TestGermanTranslations(TransactionCase):
    """The German translation of what planners and consultants read is complete."""

    def test_every_term_is_translated(self):
        problems = []
        for addon in GERMAN_ADDONS:
            pot = polib.pofile(str(i18n_path(addon, f"{addon}.pot")))
            po_file = i18n_path(addon, "de.po")
            if not po_file.exists():
                problems.append(f"{addon}: no i18n/de.po")
                continue
            translations = {
                entry.msgid: entry for entry in polib.pofile(str(po_file)) if not entry.obsolete
            }
            for term in pot:
                entry = translations.get(term.msgid)
                if entry is None:
                    problems.append(f"{addon}: not in de.po (run {REGENERATE}): {term.msgid!r}")
                elif not entry.msgstr:
                    problems.append(f"{addon}: not translated: {term.msgid!r}")
                elif "fuzzy" in entry.flags:
                    # Odoo would show a fuzzy guess as if it were the translation
                    problems.append(f"{addon}: fuzzy: {term.msgid!r}")
        if problems:
            self.fail("German translations are incomplete:\n" + "\n".join(problems))

    def test_translations_keep_placeholders_and_markup(self):
        problems = []
        for addon in GERMAN_ADDONS:
            po_file = i18n_path(addon, "de.po")
            if not po_file.exists():
                continue  # reported by test_every_term_is_translated
            for entry in polib.pofile(str(po_file)):
                if entry.obsolete or not entry.msgstr:
                    continue
                expected = Counter(PLACEHOLDER.findall(entry.msgid))
                found = Counter(PLACEHOLDER.findall(entry.msgstr))
                if expected != found:
                    problems.append(
                        f"{addon}: {entry.msgid!r} -> {entry.msgstr!r}: "
                        f"{sorted(expected.elements())} != {sorted(found.elements())}"
                    )
        if problems:
            self.fail("Placeholders or markup differ:\n" + "\n".join(problems))

    def test_the_placeholder_check_catches_a_lost_placeholder(self):
        # the check above compares these counts, so it must see them differ
        self.assertNotEqual(
            Counter(PLACEHOLDER.findall("%s: %(rate).1f/min in {hour}: <b>late</b>")),
            Counter(PLACEHOLDER.findall("%s: %(rate)s/min in {hour}: spät")),
        )
