"""A certificate's life: its statuses, the events that move it, and its number.

draft → applied → issued | rejected; issued → replaced (by a new certificate
that names the one it replaces) or revoked (with a reason). A certified true
copy and a utilization notice (preference applied or denied by the importing
country) are recorded without changing the status. Every event is kept:
history is appended to, never rewritten.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from opencustoms.certificates.model import Certificate
from opencustoms.kernel.errors import N_, Conflict, InvalidInput


class Status(StrEnum):
    DRAFT = "draft"
    APPLIED = "applied"
    ISSUED = "issued"
    REJECTED = "rejected"
    REPLACED = "replaced"
    REVOKED = "revoked"


class EventKind(StrEnum):
    DRAFTED = "drafted"
    APPLIED = "applied"
    ISSUED = "issued"
    REJECTED = "rejected"
    REPLACED = "replaced"
    REVOKED = "revoked"
    TRUE_COPY = "true_copy"  # a certified true copy was given; number and date unchanged
    UTILIZATION = "utilization"  # the importing country applied or denied the preference


# how statuses and events are named to people (the edges translate these)
LABELS = {
    Status.DRAFT: N_("draft"),
    Status.APPLIED: N_("applied"),
    Status.ISSUED: N_("issued"),
    Status.REJECTED: N_("rejected"),
    Status.REPLACED: N_("replaced"),
    Status.REVOKED: N_("revoked"),
    EventKind.DRAFTED: N_("drafted"),
    EventKind.TRUE_COPY: N_("certified true copy"),
    EventKind.UTILIZATION: N_("utilization"),
}

_WAS_ISSUED = frozenset({Status.ISSUED, Status.REPLACED, Status.REVOKED})

# event: (the statuses it may follow, the status it leads to; None: unchanged)
MOVES: dict[EventKind, tuple[frozenset[Status], Status | None]] = {
    EventKind.APPLIED: (frozenset({Status.DRAFT}), Status.APPLIED),
    EventKind.ISSUED: (frozenset({Status.APPLIED}), Status.ISSUED),
    EventKind.REJECTED: (frozenset({Status.APPLIED}), Status.REJECTED),
    EventKind.REPLACED: (frozenset({Status.ISSUED}), Status.REPLACED),
    EventKind.REVOKED: (frozenset({Status.ISSUED}), Status.REVOKED),
    EventKind.TRUE_COPY: (frozenset({Status.ISSUED}), None),
    # a notice may come after a later revocation: the preference was decided before it
    EventKind.UTILIZATION: (_WAS_ISSUED, None),
}


def moved(status: Status, kind: EventKind, label: str) -> Status:
    """The status after the event, or why the event cannot happen now."""
    allowed, to = MOVES[kind]
    if status not in allowed:
        raise Conflict.of(
            "certificate.wrong_status",
            N_(
                "Certificate %(label)s is %(status)s: it cannot be %(event)s (only when %(allowed)s)."
            ),
            label=label,
            status=status.value,
            event=kind.value,
            allowed=", ".join(sorted(s.value for s in allowed)),
        )
    return status if to is None else to


def stale(label: str) -> Conflict:
    """Someone else changed the certificate first: act again on what it is now."""
    return Conflict.of(
        "certificate.changed_meanwhile",
        N_(
            "Certificate %(label)s was changed by someone else meanwhile; look at it again and retry."
        ),
        label=label,
    )


def number_taken(authority: str, number: str) -> Conflict:
    return Conflict.of(
        "certificate.number_taken",
        N_("%(authority)s has already issued a certificate numbered %(number)s."),
        authority=authority,
        number=number,
    )


@dataclass(frozen=True, slots=True)
class Event:
    certificate_id: str
    seq: int  # 1, 2, ... per certificate
    kind: EventKind
    at: datetime  # UTC
    actor_account_id: str | None  # None: the operator at the command line
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    id: str
    organisation_id: str | None  # the applicant (exporter or producer)
    authority: str  # the issuing authority's id, e.g. KR-KCS
    form: str
    status: Status
    certificate: Certificate  # as applied for; as issued, once issued
    created_at: datetime
    updated_at: datetime
    version: int = 1  # bumped on every change: two officers cannot both act on one version
    number: str | None = None
    signed: dict[str, Any] | None = None  # the signed document, once issued
    payload_sha256: str | None = None
    seal: str | None = None  # the printed copy's QR seal (seal.py), made at issue
    issued_at: datetime | None = None  # when this node issued it: its trusted record
    # the origin determinations its items rest on: item number -> determination id
    determinations: dict[int, str] = field(default_factory=dict)
    replaces_id: str | None = None
    replaced_by_id: str | None = None
    reason: str | None = None  # why it was rejected or revoked

    @property
    def label(self) -> str:
        return self.number or self.id


class Outcome(StrEnum):
    APPLIED = "applied"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class Utilization:
    """A notice from the importing country: the preference claimed on this certificate."""

    importing_country: str
    outcome: Outcome
    declaration: str  # the import declaration's number
    on: date
    reason: str | None = None


# Certificate numbers: a format with {authority}, {year} and {seq} (with an optional
# width, {seq:06d}); the sequence runs per authority, and per year if the format has it.
DEFAULT_NUMBER_FORMAT = "{authority}-{year}-{seq:06d}"
_FIELDS = {"authority", "year", "seq"}


def check_number_format(fmt: str) -> None:
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError:
        parts = None
    names = {name for _lit, name, _spec, _conv in parts or [] if name is not None}
    specs_ok = all(
        not spec or (name == "seq" and re.fullmatch(r"0?\d{1,2}d", spec))
        for _lit, name, spec, _conv in parts or []
        if name is not None
    )
    # numbers travel in URLs (the QR code's) and file names: letters, digits, . _ : - only
    literal_ok = all(re.fullmatch(r"[A-Za-z0-9._:-]*", lit) for lit, *_rest in parts or [])
    if (
        parts is None
        or "seq" not in names
        or not names <= _FIELDS
        or not specs_ok
        or not literal_ok
    ):
        raise InvalidInput.of(
            "certificate.bad_number_format",
            N_(
                "'%(value)s' is not a certificate number format: use {authority}, {year} and {seq} (e.g. {seq:06d}), joined by letters, digits, '.', '_', ':' or '-'; {seq} is required"
            ),
            field="certificate_number_format",
            value=fmt[:80],
        )


def number_scope(fmt: str, on: date) -> str:
    """Which sequence a number comes from: one per year if the format shows the year."""
    return str(on.year) if "{year" in fmt else ""


def format_number(fmt: str, authority: str, on: date, seq: int) -> str:
    return fmt.format(authority=authority, year=on.year, seq=seq)
