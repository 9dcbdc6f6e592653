"""Every user-facing string is in the catalogues, and Korean translates them all."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import opencustoms
from opencustoms.i18n import gettext_for, negotiate

SRC = Path(opencustoms.__file__).parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(SRC), method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str):
    with (SRC / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def test_source_messages_are_extracted():
    messages = _extracted()
    assert "HS nomenclature search" in messages
    assert "%(code)s is not in the %(edition)s nomenclature." in messages


def test_korean_translates_every_message():
    catalog = _catalog("ko")
    missing = sorted(m for m in _extracted() if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"untranslated in ko: {missing[:10]} (run make i18n-update)"


def test_korean_translations_keep_their_placeholders():
    import re

    for message in _catalog("ko"):
        if message.id and message.string:
            want = sorted(re.findall(r"%\(\w+\)s", str(message.id)))
            assert sorted(re.findall(r"%\(\w+\)s", str(message.string))) == want, message.id


def test_translation_and_negotiation():
    assert gettext_for("ko")("HS nomenclature search") != "HS nomenclature search"
    assert gettext_for("en")("HS nomenclature search") == "HS nomenclature search"
    assert negotiate("fr-FR,ko;q=0.8") == "ko"
    assert negotiate(None, "xx", "C.UTF-8") == "en"
    assert negotiate("ko_KR.UTF-8") == "ko"
