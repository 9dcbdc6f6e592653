"""The exact bytes a signature covers: RFC 8785 (JSON Canonicalization Scheme).

Text is NFC-normalised first, so the same words typed on two systems sign the
same. Amounts and quantities travel as decimal strings: a JSON number is read
as a binary float by many parsers, and customs values must not change on the
way, so a float (or a Decimal left as a number) is refused, with where it is.
Verifiers never re-canonicalise: they check the signature over the bytes they
received and parse those.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
import rfc8785

from opencustoms.kernel.errors import N_, InvalidInput

_nfc = unicodedata.normalize
_EXACT = 2**53  # integers a binary double (how JSON numbers are read) holds exactly


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """The document's canonical UTF-8 bytes, with text NFC-normalised.

    For the documents opencustoms signs (keys in ASCII, integers a double holds
    exactly, no floats), RFC 8785's output is `orjson`'s with keys sorted: the
    same escapes, no spaces, and ASCII keys sort the same by UTF-16 code units as
    by code points. Those go through `orjson`, many times faster than `rfc8785`'s
    pure-Python encoder; anything else goes through `rfc8785`. A test compares
    the two on generated documents.
    """
    unusual: list[bool] = []
    try:
        prepared = _prepared(document, None, unusual)
    except _Refused:  # walk it again, minding the paths, to say where
        _prepared(document, "$", unusual)
        raise
    if not unusual:
        try:
            return orjson.dumps(prepared, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # text `orjson` will not write (a lone surrogate): the long way
            pass
    return rfc8785.dumps(prepared)


class _Refused(Exception):
    """A value that cannot be signed, met on the walk that does not mind paths."""


def _prepared(value: Any, path: str | None, unusual: list[bool]) -> Any:
    """The value with its text NFC-normalised; `unusual` is told of a key beyond ASCII or an
    integer beyond a double's exact range, which `orjson` would not write as RFC 8785 does.

    `path` (JSONPath) names the value in the error for what cannot be signed; None walks
    without making paths, which costs as much as the rest, and raises `_Refused`.
    """
    if type(value) is str:  # most values: asked without isinstance
        return _nfc("NFC", value)
    if isinstance(value, str):
        return _nfc("NFC", value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_EXACT < value < _EXACT:
            unusual.append(True)
        return value
    if isinstance(value, Decimal | float):
        if path is None:
            raise _Refused
        raise InvalidInput.of(
            "trust.number_not_text",
            N_('%(path)s: write amounts and quantities as decimal strings ("12.50"), not numbers.'),
            field=path,
            path=path,
        )
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            key = _nfc("NFC", str(k))
            if not key.isascii():
                unusual.append(True)
            out[key] = _prepared(v, None if path is None else f"{path}.{k}", unusual)
        return out
    if isinstance(value, Sequence):
        if path is None:
            return [_prepared(v, None, unusual) for v in value]
        return [_prepared(v, f"{path}[{i}]", unusual) for i, v in enumerate(value)]
    if path is None:
        raise _Refused
    raise InvalidInput.of(
        "trust.not_json",
        N_("%(path)s: a %(kind)s cannot be signed; use text, numbers of items, lists or objects."),
        field=path,
        path=path,
        kind=type(value).__name__,
    )
