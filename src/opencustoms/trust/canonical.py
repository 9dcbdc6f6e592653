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

import rfc8785

from opencustoms.kernel.errors import N_, InvalidInput


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """The document's canonical UTF-8 bytes, with text NFC-normalised."""
    return rfc8785.dumps(_prepared(document, "$"))


def _prepared(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, Decimal | float):
        raise InvalidInput.of(
            "trust.number_not_text",
            N_('%(path)s: write amounts and quantities as decimal strings ("12.50"), not numbers.'),
            field=path,
            path=path,
        )
    if isinstance(value, Mapping):
        return {
            unicodedata.normalize("NFC", str(k)): _prepared(v, f"{path}.{k}")
            for k, v in value.items()
        }
    if isinstance(value, Sequence):
        return [_prepared(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise InvalidInput.of(
        "trust.not_json",
        N_("%(path)s: a %(kind)s cannot be signed; use text, numbers of items, lists or objects."),
        field=path,
        path=path,
        kind=type(value).__name__,
    )
