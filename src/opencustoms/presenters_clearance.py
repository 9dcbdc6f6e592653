"""Plain-data views of declarations, their history and rejections, shared by the API and
the CLI (`--json`): one shape per object. Messages kept as catalogue ids with their
parameters are rendered here, in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.clearance.declaration_io import declaration_json
from opencustoms.clearance.payments import Account
from opencustoms.clearance.preference import KeptDecision
from opencustoms.clearance.records import DeclarationEvent, DeclarationRecord, Rejection
from opencustoms.clearance.service import Outcome, Replayed
from opencustoms.clearance.settlement import Draw, Guarantee
from opencustoms.i18n import _
from opencustoms.kernel.dates import local_time
from opencustoms.kernel.errors import N_, Finding

# a preference decision's outcome, in words
OUTCOMES = {"granted": N_("granted"), "denied": N_("denied"), "review": N_("in documentary review")}


def _step(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": step["key"],
        "text": _(step["message"]) % step["params"],
        "amount": step["amount"],
        "currency": step["currency"],
    }


def assessment(kept: dict[str, Any]) -> dict[str, Any]:
    """The kept assessment with its steps in words."""
    return {
        **{k: kept[k] for k in ("currency", "duty", "vat", "total", "schedule", "taxes")},
        "items": [
            {
                **{k: item[k] for k in ("customs_value", "duty", "vat", "line")},
                "steps": [_step(s) for s in item["steps"]],
            }
            for item in kept["items"]
        ],
        "steps": [_step(s) for s in kept["steps"]],
    }


def decision(k: KeptDecision, zone: ZoneInfo) -> dict[str, Any]:
    d = k.decision
    return {
        "item": d.item,
        "rate_type": d.rate_type,
        "proof": {"kind": d.proof_kind.value, "reference": d.reference, "authority": d.authority},
        "outcome": d.outcome.value,
        "reasons": [finding(f) for f in d.reasons],
        "certificate_item": d.certificate_item,
        "quantity": None if d.quantity is None else format(d.quantity, "f"),
        "unit": d.unit,
        "decided_at": local_time(d.decided_at, zone).isoformat() if d.decided_at else None,
        "decided_by": d.decided_by,
        "current": k.current,
    }


def declaration(
    r: DeclarationRecord, zone: ZoneInfo, decisions: Sequence[KeptDecision] = ()
) -> dict[str, Any]:
    return {
        "id": r.id,
        "reference": r.reference,
        "state": r.state.value,
        "version": r.version,
        "lodged_at": local_time(r.lodged_at, zone).isoformat(),
        "updated_at": local_time(r.updated_at, zone).isoformat(),
        "lodged_by": r.lodged_by,
        "declaration": declaration_json(r.declaration),
        "assessment": assessment(r.assessment),
        "preferences": [decision(k, zone) for k in decisions],
    }


def declaration_brief(r: DeclarationRecord, zone: ZoneInfo) -> dict[str, Any]:
    d = r.declaration
    return {
        "id": r.id,
        "reference": r.reference,
        "state": r.state.value,
        "version": r.version,
        "date": d.date.isoformat(),
        "importer": d.importer,
        "items": len(d.items),
        "duty": r.assessment["duty"],
        "vat": r.assessment["vat"],
        "currency": r.assessment["currency"],
        "lodged_at": local_time(r.lodged_at, zone).isoformat(),
    }


def event(e: DeclarationEvent, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "version": e.version,
        "action": e.action.value,
        "at": local_time(e.at, zone).isoformat(),
        "by": e.by,
        "reason": e.reason,
        "duty": e.assessment["duty"],
        "vat": e.assessment["vat"],
        "document": e.document,
    }


def finding(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "field": f.field, "severity": f.severity.value, "message": f.render(_)}


def kept_finding(f: dict[str, Any]) -> dict[str, Any]:
    message = _(f["message"]) % f["params"] if f["params"] else _(f["message"])
    return {"code": f["code"], "field": f["field"], "severity": f["severity"], "message": message}


def rejection(r: Rejection, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "reference": r.reference,
        "at": local_time(r.at, zone).isoformat(),
        "by": r.by,
        "source": r.source,
        "findings": [kept_finding(f) for f in r.findings],
    }


def outcome(o: Outcome, zone: ZoneInfo) -> dict[str, Any]:
    """One declaration of a batch: lodged (with its figures), or refused with its findings."""
    if o.record is not None:
        return (
            {"source": o.source, "lodged": True}
            | declaration_brief(o.record, zone)
            | {
                "warnings": [finding(f) for f in o.findings],
                "preferences": [
                    {
                        "item": d.item,
                        "outcome": d.outcome.value,
                        "reasons": [finding(f) for f in d.reasons],
                    }
                    for d in o.decisions
                ],
            }
        )
    return {"source": o.source, "lodged": False, "findings": [finding(f) for f in o.findings]}


def account(a: Account, zone: ZoneInfo) -> dict[str, Any]:
    s = a.settlement
    return {
        "declaration": a.record.id,
        "reference": a.record.reference,
        "currency": s.total.currency.code,
        "total": format(s.total.amount, "f"),
        "paid": format(s.paid.amount, "f"),
        "secured": format(s.secured.amount, "f"),
        "owed": format(s.owed.amount, "f"),
        "settled": s.settled,
        "may_release": a.may_release,
        "reviews": a.reviews,
        "entries": [
            {
                "kind": e.kind.value,
                "amount": format(e.amount.amount, "f"),
                "at": local_time(e.at, zone).isoformat(),
                "by": e.by,
                "reference": e.reference,
            }
            for e in a.entries
        ],
        "draws": [draw(d, zone) for d in a.draws],
    }


def draw(d: Draw, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": d.id,
        "guarantee": d.guarantee_id,
        "declaration": d.declaration_id,
        "amount": format(d.amount.amount, "f"),
        "at": local_time(d.at, zone).isoformat(),
        "released_at": local_time(d.released_at, zone).isoformat() if d.released_at else None,
    }


def guarantee(g: Guarantee, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": g.id,
        "holder": g.holder,
        "currency": g.limit.currency.code,
        "limit": format(g.limit.amount, "f"),
        "drawn": format(g.drawn.amount, "f"),
        "available": format(g.available.amount, "f"),
        "opened_at": local_time(g.opened_at, zone).isoformat(),
        "active": g.active,
    }


def replayed(r: Replayed) -> dict[str, Any]:
    kept = r.record.assessment
    return {
        "reference": r.record.reference,
        "same": not r.differences,
        "differences": list(r.differences),
        "same_rules": r.same_rules,
        "kept": {k: kept[k] for k in ("duty", "vat", "total", "currency")},
        "replayed": {k: r.again[k] for k in ("duty", "vat", "total", "currency")},
    }
