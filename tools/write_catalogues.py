"""Refresh the English and Korean catalogues from the template (messages.pot).

Usage: python tools/write_catalogues.py [translations.py]
  Merges new msgids into both catalogues (as `make i18n-update` does) and, when a
  Python file defining KO = {msgid: translation} is given, fills Korean from it.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "src" / "opencustoms" / "locales"


def main() -> None:
    extra = runpy.run_path(sys.argv[1])["KO"] if len(sys.argv) > 1 else {}
    with (LOCALES / "messages.pot").open("rb") as f:
        template = read_po(f)
    for locale in ("en", "ko"):
        po = LOCALES / locale / "LC_MESSAGES" / "messages.po"
        old: Catalog
        if po.exists():
            with po.open("rb") as f:
                old = read_po(f, locale=locale)
        else:
            old = Catalog(locale=locale)
        new = Catalog(locale=locale, project="opencustoms", fuzzy=False)
        for message in template:
            if not message.id:
                continue
            previous = old.get(message.id)
            string = previous.string if previous and previous.string else ""
            if locale == "ko" and message.id in extra:
                string = extra[message.id]
            new.add(message.id, string)
        po.parent.mkdir(parents=True, exist_ok=True)
        with po.open("wb") as f:
            write_po(f, new, width=100, omit_header=False, no_location=True)
        untranslated = [m.id for m in new if m.id and not m.string]
        print(f"{locale}: {len(new)} messages, {len(untranslated)} untranslated")


if __name__ == "__main__":
    main()
