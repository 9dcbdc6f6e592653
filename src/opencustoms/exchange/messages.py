"""The messages customs nodes exchange: a versioned registry of types and their payloads.

Modelled on the WCO framework for certificate-of-origin interconnectivity (the
exporting side pushes certificate data; the importing side acknowledges it and
reports its utilization) and on Korea's electronic origin data exchange, with the
retroactive verification of RCEP Article 3.24 (a request for information, answered
within the agreement's period). A type is named and versioned: a later capability
adds its own types, or a new version of one, here, and the transport does not
change. A node answers a type or version it does not know with a rejection that
names it.

Each payload is checked against its fields: every problem is reported with its
path, and a field the type does not define is refused, so that two versions are
never silently mixed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import orjson

from opencustoms.kernel.errors import N_, Finding

MAX_DOCUMENT = 256 * 1024  # bytes of a signed certificate: one of 200 items is about 100 kB


class Kind(StrEnum):
    TEXT = "text"
    TEXTS = "texts"  # a list of texts
    INT = "int"
    DATE = "date"  # YYYY-MM-DD
    DATETIME = "datetime"  # RFC 3339 with its offset, e.g. 2026-06-02T03:00:00Z
    CHOICE = "choice"
    SIGNED_CERTIFICATE = "signed_certificate"  # {"certificate": {...}, "jws": "..."}


class Direction(StrEnum):
    """Which node sends the type: the exporting country's (that issued the certificate),
    the importing country's, or either."""

    EXPORTING = "exporting"
    IMPORTING = "importing"
    EITHER = "either"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    required: bool = True
    max_length: int = 200  # of a text, or of each text of a list
    choices: tuple[str, ...] = ()
    max_items: int = 50  # of a list


@dataclass(frozen=True, slots=True)
class MessageType:
    name: str  # "certificate.issued"
    version: int
    sent_by: Direction
    about: str
    fields: tuple[Field, ...]
    # whether the message concerns one certificate, delivered in order after that
    # certificate's earlier messages (its payload names the authority and number)
    ordered: bool = False

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)


_AUTHORITY = Field("authority", Kind.TEXT, max_length=40)
_NUMBER = Field("number", Kind.TEXT, max_length=60)
_DOCUMENT = Field("document", Kind.SIGNED_CERTIFICATE)

TYPES: tuple[MessageType, ...] = (
    MessageType(
        "certificate.issued",
        1,
        Direction.EXPORTING,
        "A certificate of origin was issued: the signed document, verified on arrival.",
        (_AUTHORITY, _NUMBER, _DOCUMENT),
        ordered=True,
    ),
    MessageType(
        "certificate.replaced",
        1,
        Direction.EXPORTING,
        "A certificate was replaced by a new one (its signed document names the old number).",
        (
            _AUTHORITY,
            _NUMBER,
            Field("by", Kind.TEXT, max_length=60),
            Field("document", Kind.SIGNED_CERTIFICATE),
        ),
        ordered=True,
    ),
    MessageType(
        "certificate.revoked",
        1,
        Direction.EXPORTING,
        "A certificate was revoked by its issuing authority.",
        (_AUTHORITY, _NUMBER, Field("revoked_at", Kind.DATETIME)),
        ordered=True,
    ),
    MessageType(
        "certificate.pull",
        1,
        Direction.IMPORTING,
        "Send a certificate's messages again (a push was missed, or a gap lasted).",
        (_AUTHORITY, _NUMBER),
    ),
    MessageType(
        "ack",
        1,
        Direction.EITHER,
        "A message was received: accepted (and, for a certificate, verified) or rejected.",
        (
            Field("of", Kind.TEXT, max_length=80),  # the acknowledged message's id
            Field("outcome", Kind.CHOICE, choices=("accepted", "rejected")),
            Field("reasons", Kind.TEXTS, required=False, max_length=500),
        ),
    ),
    MessageType(
        "utilization",
        1,
        Direction.IMPORTING,
        "The importing country applied or denied the preference a certificate claims.",
        (
            _AUTHORITY,
            _NUMBER,
            Field("outcome", Kind.CHOICE, choices=("applied", "denied")),
            Field("declaration", Kind.TEXT, max_length=80),
            Field("on", Kind.DATE),
            Field("reason", Kind.TEXT, required=False, max_length=2000),
        ),
        ordered=True,
    ),
    MessageType(
        "verification.request",
        1,
        Direction.IMPORTING,
        "A retroactive check of a certificate: questions and documents asked, answered by a day.",
        (
            _AUTHORITY,
            _NUMBER,
            Field("questions", Kind.TEXTS, max_length=2000, max_items=20),
            Field("documents", Kind.TEXTS, required=False, max_length=500),
            Field("reply_by", Kind.DATE),
        ),
    ),
    MessageType(
        "verification.response",
        1,
        Direction.EXPORTING,
        "The answer to a verification request: confirmed, not confirmed or partially, why.",
        (
            _AUTHORITY,
            _NUMBER,
            Field("request", Kind.TEXT, max_length=80),  # the request's message id
            Field("outcome", Kind.CHOICE, choices=("confirmed", "not_confirmed", "partially")),
            Field("findings", Kind.TEXTS, required=False, max_length=2000),
            Field("documents", Kind.TEXTS, required=False, max_length=500),
        ),
    ),
)

REGISTRY: Mapping[tuple[str, int], MessageType] = {t.key: t for t in TYPES}


def message_type(name: Any, version: Any) -> MessageType | None:
    """The registered type, or None for a type or version this node does not know."""
    if not isinstance(name, str) or type(version) is not int:
        return None
    return REGISTRY.get((name, version))


def unknown_type(name: Any, version: Any) -> Finding:
    known = sorted({f"{t.name} v{t.version}" for t in TYPES})
    return Finding(
        "exchange.unknown_type",
        N_("type %(type)s version %(version)s is not one this node knows (%(known)s)"),
        {"type": str(name)[:60], "version": str(version)[:10], "known": ", ".join(known)},
        field="type",
    )


def check_payload(kind: MessageType, payload: Any) -> list[Finding]:
    """Every problem of the payload for its type, each with its path (`payload.x`)."""
    if not isinstance(payload, dict):
        return [_finding("payload", N_("%(path)s: expected an object"))]
    found: list[Finding] = []
    names = {f.name for f in kind.fields}
    for extra in sorted(k for k in payload if k not in names)[:5]:
        found.append(
            _finding(
                f"payload.{str(extra)[:40]}",
                N_("%(path)s: not a field of %(type)s version %(version)s"),
                type=kind.name,
                version=kind.version,
            )
        )
    for f in kind.fields:
        path = f"payload.{f.name}"
        if f.name not in payload or payload[f.name] is None:
            if f.required:
                found.append(_finding(path, N_("%(path)s: required")))
            continue
        found += _check(payload[f.name], f, path)
    return found


def _check(value: Any, f: Field, path: str) -> list[Finding]:
    if f.kind is Kind.TEXT:
        return _text(value, f.max_length, path)
    if f.kind is Kind.TEXTS:
        if not isinstance(value, list) or (f.required and not value):
            return [_finding(path, N_("%(path)s: expected a list of texts"))]
        if len(value) > f.max_items:
            return [_finding(path, N_("%(path)s: at most %(max)s entries"), max=f.max_items)]
        return [p for i, v in enumerate(value) for p in _text(v, f.max_length, f"{path}[{i}]")]
    if f.kind is Kind.INT:
        if type(value) is not int or value < 0:
            return [_finding(path, N_("%(path)s: expected a whole number, 0 or more"))]
        return []
    if f.kind is Kind.CHOICE:
        if value not in f.choices:
            return [
                _finding(
                    path, N_("%(path)s: expected one of %(choices)s"), choices=", ".join(f.choices)
                )
            ]
        return []
    if f.kind is Kind.DATE:
        if not isinstance(value, str) or not _is_date(value):
            return [_finding(path, N_("%(path)s: expected a date, YYYY-MM-DD"))]
        return []
    if f.kind is Kind.DATETIME:
        if not isinstance(value, str) or parse_instant(value) is None:
            return [
                _finding(
                    path, N_("%(path)s: expected a time with its offset, e.g. 2026-06-02T03:00:00Z")
                )
            ]
        return []
    # a signed certificate: verified in full when the message is applied
    if isinstance(value, dict) and len(orjson.dumps(value)) > MAX_DOCUMENT:
        return [
            _finding(
                path,
                N_("%(path)s: a signed certificate of at most %(max)s kB"),
                max=MAX_DOCUMENT // 1024,
            )
        ]
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("certificate"), dict)
        or not isinstance(value.get("jws"), str)
    ):
        return [
            _finding(
                path,
                N_('%(path)s: expected a signed certificate {"certificate": {...}, "jws": "..."}'),
            )
        ]
    return []


def _text(value: Any, max_length: int, path: str) -> list[Finding]:
    if not isinstance(value, str) or not value.strip():
        return [_finding(path, N_("%(path)s: expected text"))]
    if len(value) > max_length:
        return [_finding(path, N_("%(path)s: at most %(max)s characters"), max=max_length)]
    return []


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339: date, "T", time with optional fraction, and "Z" or an offset
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_YEARS = range(2000, 2101)  # what a customs message can mean; beyond, arithmetic overflows


def _is_date(text: str) -> bool:
    if not _DATE.fullmatch(text):
        return False
    try:
        return date.fromisoformat(text).year in _YEARS
    except ValueError:
        return False


def parse_instant(text: str) -> datetime | None:
    """An RFC 3339 time with its offset, as an aware UTC datetime; None if it is not one."""
    if not _INSTANT.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return value if value.year in _YEARS else None


def _finding(path: str, template: str, **params: Any) -> Finding:
    return Finding("exchange.bad_payload", template, {"path": path, **params}, field=path)
