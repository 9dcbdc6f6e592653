"""What the node keeps of a declaration: the declaration as lodged, its assessment, its
state and version, every change as an event (history is never overwritten), and the
rejections of declarations refused whole.

An assessment is kept with what it used (the schedule and tax rules by version, each
item's tariff line, the exchange rates in its steps) and its arithmetic, so it can be
explained to the importer and replayed to the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from opencustoms.clearance.declaration import Declaration
from opencustoms.clearance.duty import Assessment, Step
from opencustoms.kernel.errors import N_, Conflict, Finding, NotFound, Severity


class DeclarationState(StrEnum):
    LODGED = "lodged"  # validated and assessed; awaiting the checks and payment
    CANCELLED = "cancelled"  # withdrawn before release; kept with its history


class Action(StrEnum):
    LODGED = "lodged"
    AMENDED = "amended"
    CANCELLED = "cancelled"
    DECIDED = "decided"  # a preference claim decided again: a review, a verification's answer
    CLAIMED = "claimed"  # a preference claimed after the declaration


@dataclass(frozen=True, slots=True)
class DeclarationRecord:
    id: str  # "dcl_..."
    declaration: Declaration
    assessment: dict[str, Any]  # `assessment_json` of the assessment in force
    state: DeclarationState
    version: int  # 1 when lodged; each amendment or cancellation adds one
    lodged_at: datetime
    updated_at: datetime
    lodged_by: str | None  # the account; None: the operator (batch loads, replays)
    lodged_by_org: str | None

    @property
    def reference(self) -> str:
        return self.declaration.reference


@dataclass(frozen=True, slots=True)
class DeclarationEvent:
    id: str
    declaration_id: str
    version: int  # the version this event made
    action: Action
    at: datetime
    by: str | None  # account id; None: the operator
    reason: str | None
    document: dict[str, Any]  # the declaration as it stood after the event
    assessment: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A declaration refused whole: only this is kept of it."""

    id: str  # "rej_..."
    reference: str | None  # the declaration number, where it could be read
    at: datetime
    by: str | None
    by_org: str | None
    findings: tuple[dict[str, Any], ...]  # code, field, message, params, severity
    source: str  # "api", "file.csv, line 12", ...


def step_json(step: Step) -> dict[str, Any]:
    return {
        "key": step.key,
        "message": step.message,
        "params": step.params,
        "amount": None if step.amount is None else str(step.amount.amount),
        "currency": None if step.amount is None else step.amount.currency.code,
        "cite": step.cite,
    }


def assessment_json(found: Assessment, cites: dict[str, str]) -> dict[str, Any]:
    """The assessment as kept: totals, each item's figures and tariff line, every step."""
    return {
        "currency": found.duty.currency.code,
        "duty": str(found.duty.amount),
        "vat": str(found.vat.amount),
        "total": str(found.total.amount),
        "schedule": found.schedule,
        "taxes": found.taxes,
        "items": [
            {
                "customs_value": str(x.customs_value.amount),
                "duty": str(x.duty.amount),
                "vat": str(x.vat.amount),
                "line": {
                    "code": x.line.code.digits,
                    "edition": x.line.code.edition.value,
                    "rate_type": x.line.rate_type,
                    "duty": str(x.line.duty),
                    "valid_from": x.line.valid_from.isoformat(),
                    "source": x.line.source,
                },
                "steps": [step_json(s) for s in x.steps],
            }
            for x in found.items
        ],
        "steps": [step_json(s) for s in found.steps],
        "cites": cites,
    }


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "field": f.field,
        "message": f.message,
        "params": {k: v.render() if isinstance(v, Finding) else v for k, v in f.params.items()},
        "severity": f.severity.value,
    }


def kept_finding(f: dict[str, Any]) -> Finding:
    """A finding from its kept JSON: rendered again in the reader's language."""
    return Finding(f["code"], f["message"], dict(f["params"]), f["field"], Severity(f["severity"]))


def not_found(declaration: str) -> NotFound:
    return NotFound.of(
        "declaration.not_found",
        N_("No declaration %(declaration)s here (or not one you may see)."),
        declaration=declaration[:60],
    )


def reference_taken(reference: str) -> Conflict:
    return Conflict.of(
        "declaration.reference_taken",
        N_(
            "Declaration %(reference)s is lodged already: amend it, or lodge a new one under another number."
        ),
        field="reference",
        reference=reference[:40],
    )


def changed_since(declaration: str) -> Conflict:
    return Conflict.of(
        "declaration.changed",
        N_(
            "Declaration %(declaration)s changed while this was being done: read it again and retry."
        ),
        declaration=declaration[:60],
    )


def not_open(record: DeclarationRecord) -> Conflict:
    """Only a lodged declaration changes; a cancelled one is kept as it was."""
    return Conflict.of(
        "declaration.not_open",
        N_("Declaration %(reference)s is cancelled: it can no longer be changed."),
        reference=record.reference,
    )
