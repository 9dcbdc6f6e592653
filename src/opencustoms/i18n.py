"""Translations (gettext catalogues via Babel) for every user-facing string.

Catalogues live as .po files in `opencustoms/locales`; they are compiled in
memory when first used, so a source checkout needs no build step. English is
the source language; Korean ships complete (a test checks every message).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SUPPORTED = ("en", "ko")
DEFAULT = "en"

_current: ContextVar[str] = ContextVar("opencustoms_locale", default=DEFAULT)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    if locale not in SUPPORTED:
        return gettext.NullTranslations()
    po = resources.files("opencustoms.locales") / locale / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(*candidates: str | None) -> str:
    """The first supported language among candidates (e.g. ?lang=, a cookie, Accept-Language).

    Within one candidate, languages are taken by their q-values, highest first.
    """
    for candidate in candidates:
        if not candidate:
            continue
        for tag in _by_preference(candidate):
            try:
                language = Locale.parse(tag.replace("-", "_").split(".")[0]).language
            except (UnknownLocaleError, ValueError):
                continue
            if language in SUPPORTED:
                return language
    return DEFAULT


def _by_preference(header: str) -> list[str]:
    weighted = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag:
            weighted.append((-q, index, tag))
    return [tag for _q, _i, tag in sorted(weighted)]


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED else DEFAULT)


def current_locale() -> str:
    return _current.get()


def gettext_for(locale: str) -> Callable[[str], str]:
    return translations(locale).gettext


def _(message: str) -> str:
    """Translate into the current request's or command's language."""
    return translations(_current.get()).gettext(message)


def label(value: str) -> str:
    """Translate a value that was marked with N_ where it is defined (e.g. level names)."""
    return translations(_current.get()).gettext(value)
