"""Export the translation templates of addons with Odoo's own exporter and
merge them into the addons' translations.

Run by setup/i18n-export (which prepares the virtualenv and the database):

    python setup/i18n_export.py -c ODOO_CONF -d DB --addons-dir DIR ADDON...

For each ADDON, installed in DB, writes DIR/ADDON/i18n/ADDON.pot as
``odoo-bin --i18n-export`` would, without the export's dates (so that exporting
unchanged addons changes no file), then merges it into each DIR/ADDON/i18n/*.po
with gettext's msgmerge. A term that moved from one addon to another keeps its
translation: every .po of the same language, including its obsolete entries,
is the merge's compendium.
"""

import argparse
import io
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import odoo
from odoo.tools.translate import trans_export

# the header lines that Odoo's exporter sets to the time of the export
EXPORT_DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', re.MULTILINE)


def export_template(cr, addon):
    """The addon's .pot as Odoo exports it, less the export's dates."""
    buffer = io.BytesIO()
    trans_export(None, [addon], buffer, "po", cr)
    return EXPORT_DATES.sub("", buffer.getvalue().decode())


def write_if_changed(path, content):
    if path.exists() and path.read_text(encoding="utf-8") == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return True


def compendium(po_files, folder):
    """One catalogue of every translation in po_files, obsolete entries
    included (msgmerge's --compendium ignores obsolete entries)."""
    parts = []
    for index, po_file in enumerate(po_files):
        revived = Path(folder, f"obsolete-{index}.po")
        # msgattrib exits 0 and writes nothing when there is nothing obsolete
        subprocess.run(
            ["msgattrib", "--only-obsolete", "--clear-obsolete", "-o", str(revived), str(po_file)],
            check=True,
        )
        parts.append(str(po_file))
        if revived.exists():
            parts.append(str(revived))
    merged = Path(folder, "compendium.po")
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *parts], check=True)
    return merged


def merge_translations(addons_dir, addons):
    """Merge each addon's .pot into its .po files; report the changed ones."""
    po_files = sorted(Path(addons_dir).glob("*/i18n/*.po"))
    changed = []
    with tempfile.TemporaryDirectory() as folder:
        compendia = {}
        for language in sorted({po.stem for po in po_files}):
            subfolder = Path(folder, language)
            subfolder.mkdir()
            compendia[language] = compendium(
                [po for po in po_files if po.stem == language], subfolder
            )
        for po_file in po_files:
            addon = po_file.parent.parent.name
            if addon not in addons:
                continue
            merged = Path(folder, "merged.po")
            # no fuzzy matching: Odoo would load a fuzzy guess as the translation;
            # written in full (not --update) so that the layout is always msgmerge's
            subprocess.run(
                [
                    "msgmerge",
                    "--quiet",
                    "--no-fuzzy-matching",
                    f"--compendium={compendia[po_file.stem]}",
                    "-o",
                    str(merged),
                    str(po_file),
                    str(po_file.with_name(f"{addon}.pot")),
                ],
                check=True,
            )
            text = EXPORT_DATES.sub("", merged.read_text(encoding="utf-8"))
            if write_if_changed(po_file, text):
                changed.append(po_file)
    return changed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument(
        "-d", "--database", required=True, help="a database with the addons installed"
    )
    parser.add_argument("--addons-dir", required=True, help="the folder of the addons")
    parser.add_argument("addons", nargs="+")
    args = parser.parse_args()
    # Babel's extractor imports pkg_resources, which warns on every export
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(args.database)
    with registry.cursor() as cr:
        cr.execute(
            "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)",
            [args.addons],
        )
        missing = set(args.addons) - {name for (name,) in cr.fetchall()}
        if missing:
            sys.exit(f"not installed in {args.database}: {', '.join(sorted(missing))}")
        for addon in args.addons:
            pot_file = Path(args.addons_dir, addon, "i18n", f"{addon}.pot")
            content = export_template(cr, addon)
            terms = content.count('\nmsgid "') - 1  # less the header's empty msgid
            status = "updated" if write_if_changed(pot_file, content) else "unchanged"
            print(f"{addon}: {terms} terms, {pot_file.name} {status}")
    for po_file in merge_translations(args.addons_dir, set(args.addons)):
        print(f"{po_file.parent.parent.name}: {po_file.name} merged with new or changed terms")


if __name__ == "__main__":
    main()
