"""Plain-data views of domain objects, shared by the API (JSON) and the CLI (--json).

One shape per object, so a script moving from the CLI to the API reads the same fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.accounts.domain import Account, Mandate, Organisation
from opencustoms.certificates.lifecycle import Event, StoredCertificate
from opencustoms.certificates.received import ReceivedCertificate
from opencustoms.certificates.signed import Verdict
from opencustoms.exchange.inbox import Answer, Incoming
from opencustoms.exchange.outbox import Outgoing
from opencustoms.exchange.partners import Partner, partner_json
from opencustoms.exchange.service import Status
from opencustoms.exchange.verification import Verification
from opencustoms.i18n import _, label
from opencustoms.kernel.dates import local_time
from opencustoms.kernel.errors import N_, DomainError
from opencustoms.kernel.nomenclature import Entry, Nomenclature, SearchHit
from opencustoms.origin.agreements import Agreement, RuleLookup
from opencustoms.origin.bom_io import to_json
from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.compiler.text import plain
from opencustoms.origin.determination import Determination, rule_set_names
from opencustoms.origin.engine import Outcome
from opencustoms.origin.notation import render
from opencustoms.origin.profile import Citation
from opencustoms.origin.records import Change, StoredDetermination
from opencustoms.origin.rules import AnyOf, RegionalValueContent, RvcMethod, walk
from opencustoms.platform.audit import AuditEvent


def hs_brief(entry: Entry) -> dict[str, Any]:
    return {
        "code": entry.code.digits,
        "dotted": entry.code.dotted(),
        "level": entry.level.value,
        "description": entry.description,
    }


def hs_entry(hs: Nomenclature, code: str) -> dict[str, Any]:
    entry = hs.get(code)
    return {
        **hs_brief(entry),
        "requested": hs.code(code).digits,
        "edition": entry.code.edition.value,
        "section": entry.section,
        "path": [
            {"level": s.level, "code": s.code, "dotted": s.dotted, "description": s.description}
            for s in hs.path(entry.code)
        ],
        "children": [hs_brief(c) for c in hs.children(entry.code)],
        "search_terms": list(entry.search_terms),
    }


def hs_hit(hit: SearchHit) -> dict[str, Any]:
    return {**hs_brief(hit.entry), "score": hit.score}


def hs_search(hs: Nomenclature, query: str, limit: int) -> dict[str, Any]:
    hits = hs.search(query, limit)
    return {
        "query": query.strip(),
        "edition": hs.edition.value,
        "results": [hs_hit(h) for h in hits],
    }


def organisation(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "kind": org.kind.value,
        "country": org.country.alpha2,
        "created_at": org.created_at,
    }


def partner(p: Partner) -> dict[str, Any]:
    return partner_json(p) | {
        "active": p.active,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    }


def account(a: Account) -> dict[str, Any]:
    return {
        "id": a.id,
        "organisation_id": a.organisation_id,
        "name": a.name,
        "roles": sorted(r.value for r in a.roles),
        "active": a.active,
        "created_at": a.created_at,
    }


def mandate(m: Mandate) -> dict[str, Any]:
    return {
        "id": m.id,
        "importer_id": m.importer_id,
        "broker_id": m.broker_id,
        "granted_at": m.granted_at,
        "revoked_at": m.revoked_at,
    }


def audit_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "organisation_id": e.organisation_id,
        "actor_account_id": e.actor_account_id,
        "actor_organisation_id": e.actor_organisation_id,
        "request_id": e.request_id,
        "details": e.details,
    }


def agreement(a: Agreement) -> dict[str, Any]:
    p = a.profile
    return {
        "id": a.id,
        "title": a.title,
        "has_rules": a.has_rules,
        "parties": [c.alpha2 for c in p.parties] if p else ["GB", *a.partners],
        "entry_into_force": p.entry_into_force if p else None,
        "psr_hs_edition": p.psr_hs_edition.value if p and p.psr_hs_edition else None,
        "rules_hs_edition": a.rules_edition.value if a.rules_edition else None,
        "has_profile": p is not None,
    }


def rule_set(rs: CompiledRuleSet) -> dict[str, Any]:
    rule = rs.rule
    return {
        "heading": rs.heading,
        "description": rs.description,
        "ex": rs.is_ex,
        "codes": {"from": rs.first_code, "to": rs.last_code},
        "rule": render(rule.criteria, rule.tolerance),
        "needs_review": rule.needs_review,
        "notes": list(rule.notes),
        "legal_text": [plain(t) for t in rs.texts if t.strip()],
        "quota": rs.quota,
        "source": {
            "agreement": rule.source.agreement,
            "document": rule.source.document,
            "heading": rule.source.heading,
            "hs_edition": rule.source.hs_edition.value if rule.source.hs_edition else None,
        },
    }


def rule_lookup(found: RuleLookup) -> dict[str, Any]:
    return {
        "agreement": found.agreement.id,
        "code": found.code.digits,
        "edition": found.code.edition.value,
        "candidates": [rule_set(rs) for rs in found.candidates],
    }


def outcome(o: Outcome) -> dict[str, Any]:
    return {
        "rule": o.notation,
        "result": o.result.value,
        "reason": explained(o),
        "lines": list(o.lines),
        "parts": [outcome(p) for p in o.parts],
    }


def explained(o: Outcome) -> str:
    """An outcome's reason; a compound one says what each of its conditions found."""
    if not o.parts:
        return o.render(label)
    details = "; ".join(f"{p.notation}: {explained(p)}" for p in o.parts)
    return f"{o.render(label)} ({details})"


def determination(d: Determination) -> dict[str, Any]:
    top = d.outcome
    alternatives = (
        [outcome(p) for p in top.parts]
        if top is not None and isinstance(top.node, AnyOf)
        else ([outcome(top)] if top is not None else [])
    )
    margin = None
    if top is not None:
        deciding = list(top.parts if isinstance(top.node, AnyOf) else (top,))
        margin = "; ".join(explained(p) for p in deciding)
    return {
        "agreement": d.agreement,
        "verdict": d.verdict.value,
        "criterion": d.criterion,
        "rule_set": rule_set(d.rule_set) if d.rule_set is not None else None,
        "alternatives": alternatives,
        "margin": margin,
        "tolerance_used": d.tolerance_used,
        "cumulation_used": list(d.cumulation_lines),
        "rolled_up": list(d.rolled_up_lines),
        "candidates": rule_set_names(d.candidates),
        "notes": [label(n) for n in d.notes],
        "evidence": _evidence(d),
    }


def _evidence(d: Determination) -> list[dict[str, Any]]:
    """What the verdict rests on: the rule and its text, the general rules used, the day."""
    out: list[dict[str, Any]] = []
    for rs, name in zip(d.candidates, rule_set_names(d.candidates), strict=True):
        # no rule set chosen: each candidate's text, so the reader can name the right one
        src = rs.rule.source
        out.append(
            {
                "kind": "candidate rule set",
                "name": name,
                "reference": f"{src.agreement}, {src.document}, {src.heading}",
                "rule": render(rs.rule.criteria),
                "text": [plain(t) for t in rs.texts if t.strip()],
            }
        )
    if d.rule_set is not None:
        src = d.rule_set.rule.source
        out.append(
            {
                "kind": "product-specific rule",
                "reference": f"{src.agreement}, {src.document}, {src.heading}",
                "rule": render(d.rule_set.rule.criteria),
                "text": [plain(t) for t in d.rule_set.texts if t.strip()],
            }
        )
    p = d.profile
    if p is not None:
        out.append(
            {
                "kind": "profile",
                "reference": f"profiles/{p.id}.yaml",
                "name": p.title,
                "version": p.version,
            }
        )
        if d.tolerance_used and d.tolerance_cite is not None:
            out.append(_cited("general tolerance", p.source, d.tolerance_cite))
        if d.cumulation_lines:
            out.extend(
                _cited(f"cumulation ({c.kind.value})", p.source, c.cite) for c in p.cumulation
            )
        if p.insufficient_operations is not None:
            out.append(_cited("insufficient operations", p.source, p.insufficient_operations.cite))
        if p.build_up is not None and d.rule_set is not None and _counts_build_up(d.rule_set):
            out.append(_cited("build-up formula", p.source, p.build_up.cite))
        out.extend(_cited(kind, p.source, cite) for kind, cite in d.general_rules)
    if d.bom is not None:
        out.append(_inputs(d))
    if d.on is not None:
        out.append({"kind": "date", "reference": d.on.isoformat()})
    return out


def _inputs(d: Determination) -> dict[str, Any]:
    """What was decided on: the BOM's digest, the product's figures, how each line counted."""
    assert d.bom is not None
    product = d.bom.product
    price = product.ex_works_price or product.fob_price
    counted = set(d.originating_lines)
    canonical = json.dumps(
        to_json(d.bom), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return {
        "kind": "inputs",
        "bom_sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        "product": {
            "hs": product.hs.dotted(),
            "hs_edition": product.hs.edition.value,
            "currency": price.currency.code if price else None,
            "ex_works_price": str(product.ex_works_price.amount)
            if product.ex_works_price
            else None,
            "fob_price": str(product.fob_price.amount) if product.fob_price else None,
            "weight_kg": str(product.weight_kg) if product.weight_kg is not None else None,
        },
        "originating_lines": sorted(counted),
        "non_originating_lines": sorted(m.line for m in d.bom.materials if m.line not in counted),
    }


def _counts_build_up(rs: CompiledRuleSet) -> bool:
    return any(
        isinstance(n, RegionalValueContent) and n.method == RvcMethod.BUILD_UP
        for n in walk(rs.rule.criteria)
    )


# what each piece of evidence is, for readers (the JSON keeps `kind` in English)
EVIDENCE_KINDS = {
    "general tolerance": N_("general tolerance"),
    "insufficient operations": N_("insufficient operations"),
    "build-up formula": N_("build-up formula"),
    "absorption": N_("absorption"),
    "sets": N_("sets"),
    "cumulation": N_("cumulation"),
}


def _cited(kind: str, source: str, cite: Citation) -> dict[str, Any]:
    head, _sep, rest = kind.partition(" (")
    title = label(EVIDENCE_KINDS.get(head, head)) + (f" ({rest}" if rest else "")
    return {
        "kind": kind,
        "title": title,
        "reference": f"{source}/{cite.file}, {cite.section}",
        "text": [cite.quote],
    }


def kept_determination(r: StoredDetermination) -> dict[str, Any]:
    """A kept determination's summary; its BOM and full result are in the store."""
    return {
        "id": r.id,
        "supersedes": r.supersedes,
        "agreement": r.agreement,
        "product_hs": r.product_hs,
        "product_description": r.product_description,
        "on_date": r.on_date.isoformat(),
        "verdict": r.verdict,
        "criterion": r.criterion,
        "rule": r.rule,
        "created_at": r.created_at,
    }


def comparison(
    found: Sequence[tuple[Agreement, Determination | DomainError]],
) -> list[dict[str, Any]]:
    """One row per agreement: its verdict, or why the BOM cannot be decided under it."""
    rows: list[dict[str, Any]] = []
    for agreement, result in found:
        if isinstance(result, DomainError):
            rows.append(
                {
                    "agreement": agreement.id,
                    "verdict": None,
                    "criterion": None,
                    "margin": None,
                    "error": result.finding.render(_),
                }
            )
            continue
        d = determination(result)
        rows.append(
            {
                "agreement": agreement.id,
                "verdict": d["verdict"],
                "criterion": d["criterion"],
                "margin": d["margin"],
                "error": None,
            }
        )
    return rows


def determination_change(c: Change) -> dict[str, Any]:
    """A re-run that changed a kept verdict: before, after (None if it no longer decides), why."""
    return {
        "previous": kept_determination(c.previous),
        "current": kept_determination(c.current) if c.current else None,
        "error": c.error.render(_) if c.error else None,
        "why": [f.render(_) for f in c.why],
    }


def certificate(r: StoredCertificate) -> dict[str, Any]:
    """A certificate's summary: where it stands, between whom, resting on what evidence."""
    c = r.certificate
    return {
        "id": r.id,
        "number": r.number,
        "authority": r.authority,
        "form": r.form,
        "status": r.status.value,
        "issue_date": c.issue_date.isoformat() if c.issue_date else None,
        "exporter": c.exporter.name,
        "importer": c.importer.name,
        "export_country": c.export_country,
        "import_country": c.import_country,
        "items": len(c.items),
        "determinations": {str(k): v for k, v in r.determinations.items()},
        "replaces_id": r.replaces_id,
        "replaced_by_id": r.replaced_by_id,
        "reason": r.reason,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def certificate_event(e: Event, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind.value,
        "at": local_time(e.at, zone).isoformat(),
        "actor": e.actor_account_id,
        "details": e.details,
    }


def verdict(v: Verdict, translate: Any) -> dict[str, Any]:
    """A verification's verdict: valid or not, and every check with its reason."""
    c = v.certificate
    return {
        "valid": v.valid,
        "at": v.at.isoformat(),
        "number": c.number if c else None,
        "issuing_authority": c.issuing_authority if c else None,
        "checks": [
            {"name": k.name, "ok": k.ok, "outcome": k.outcome.value, "reason": k.render(translate)}
            for k in v.checks
        ],
    }


def answer(a: Answer) -> dict[str, Any]:
    """A receiving node's answer for one delivered message."""
    return {
        "id": a.id,
        "outcome": a.outcome.value,
        "state": a.state.value if a.state else None,
        "final": a.final,
        "reasons": [{"code": f.code, "field": f.field, "message": f.render(_)} for f in a.reasons],
    }


def _subject(envelope: Any) -> dict[str, Any]:
    return {
        "id": envelope.id,
        "type": envelope.type,
        "subject": envelope.subject,
        "seq": envelope.sequence,
        "correlation_id": envelope.correlation_id,
    }


def outgoing(o: Outgoing) -> dict[str, Any]:
    """A message in the outbox, with where its delivery stands."""
    return _subject(o.envelope) | {
        "to": o.envelope.receiver,
        "state": o.state.value,
        "attempts": o.attempts,
        "created_at": o.created_at.isoformat(),
        "next_attempt_at": o.next_attempt_at.isoformat(),
        "delivered_at": o.delivered_at.isoformat() if o.delivered_at else None,
        "last_error": o.last_error,
        "ack": (
            {
                "outcome": o.ack_outcome,
                "reasons": list(o.ack_reasons),
                "at": o.acknowledged_at.isoformat() if o.acknowledged_at else None,
            }
            if o.ack_outcome
            else None
        ),
    }


def incoming(i: Incoming) -> dict[str, Any]:
    """A message received, with what became of it."""
    return _subject(i.envelope) | {
        "from": i.envelope.sender,
        "state": i.state.value,
        "received_at": i.received_at.isoformat(),
        "applied_at": i.applied_at.isoformat() if i.applied_at else None,
        "reasons": [f.render(_) for f in i.reasons],
    }


def verification(v: Verification, today: Any = None) -> dict[str, Any]:
    return {
        "id": v.id,
        "side": v.side.value,
        "partner": v.partner,
        "authority": v.authority,
        "number": v.number,
        "questions": list(v.questions),
        "documents": list(v.documents),
        "reply_by": v.reply_by.isoformat(),
        "requested_at": v.requested_at.isoformat(),
        "state": v.state.value,
        "overdue": v.overdue(today) if today is not None else None,
        "outcome": v.outcome,
        "findings": list(v.findings),
        "answer_documents": list(v.answer_documents),
        "answered_at": v.answered_at.isoformat() if v.answered_at else None,
    }


def received_certificate(r: ReceivedCertificate) -> dict[str, Any]:
    return {
        "authority": r.authority,
        "number": r.number,
        "from": r.sender,
        "form": r.form,
        "export_country": r.export_country,
        "import_country": r.import_country,
        "issued_on": r.issued_on.isoformat(),
        "status": r.status.value,
        "replaced_by": r.replaced_by,
        "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
        "received_at": r.received_at.isoformat(),
    }


def exchange_status(s: Status) -> dict[str, Any]:
    return {
        "node": s.node,
        "outgoing": {k.value: v for k, v in sorted(s.outgoing.items())},
        "oldest_pending": s.oldest_pending.isoformat() if s.oldest_pending else None,
        "incoming": {k.value: v for k, v in sorted(s.incoming.items())},
        "open_verifications": s.open_verifications,
        "overdue_verifications": s.overdue_verifications,
    }
