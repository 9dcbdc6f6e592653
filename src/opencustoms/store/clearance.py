"""Declarations, their events and rejections, payments and guarantees in SQL (SQLAlchemy
Core, one connection)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from opencustoms.clearance.declaration_io import declaration_json, read_declaration
from opencustoms.clearance.preference import Decision, KeptDecision, Outcome
from opencustoms.clearance.rate_types import ProofType
from opencustoms.clearance.records import (
    Action,
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
    changed_since,
    finding_json,
    kept_finding,
    reference_taken,
)
from opencustoms.clearance.settlement import (
    Draw,
    EntryKind,
    Guarantee,
    LedgerEntry,
    guarantee_changed,
)
from opencustoms.kernel.money import Money
from opencustoms.store import tables as t


class SqlDeclarations:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add_many(self, lodged: Sequence[tuple[DeclarationRecord, DeclarationEvent]]) -> None:
        if not lodged:
            return
        try:
            with self.s.begin_nested():
                self.s.execute(insert(t.declarations), [_row(r) for r, _ in lodged])
                self.s.execute(insert(t.declaration_events), [_event_row(e) for _, e in lodged])
        except IntegrityError:
            # a number lodged meanwhile by another transaction: say which
            taken = self.taken([r.reference for r, _ in lodged])
            raise reference_taken(next(iter(sorted(taken)), lodged[0][0].reference)) from None

    def save(self, record: DeclarationRecord, event: DeclarationEvent) -> None:
        d = t.declarations
        done = self.s.execute(
            update(d)
            .where(d.c.id == record.id, d.c.version == record.version - 1)
            .values(**_row(record))
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise changed_since(record.reference)
        self.s.execute(insert(t.declaration_events).values(**_event_row(event)))

    def get(self, declaration_id: str, lock: bool = False) -> DeclarationRecord | None:
        d = t.declarations
        query = select(d).where(d.c.id == declaration_id)
        row = self.s.execute(query.with_for_update() if lock else query).first()
        return _record(row) if row else None

    def by_reference(self, reference: str) -> DeclarationRecord | None:
        d = t.declarations
        row = self.s.execute(select(d).where(d.c.reference == reference)).first()
        return _record(row) if row else None

    def taken(self, references: Sequence[str]) -> set[str]:
        d = t.declarations
        found: set[str] = set()
        for start in range(0, len(references), 1000):  # bound the statement's parameters
            chunk = references[start : start + 1000]
            found |= set(self.s.scalars(select(d.c.reference).where(d.c.reference.in_(chunk))))
        return found

    def find(
        self,
        visible_to: frozenset[str] | None = None,
        state: DeclarationState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[DeclarationRecord]:
        d = t.declarations
        query = select(d).order_by(d.c.lodged_at.desc(), d.c.id.desc()).limit(limit).offset(offset)
        if visible_to is not None:
            orgs = sorted(visible_to)
            query = query.where(
                or_(d.c.importer.in_(orgs), d.c.declarant.in_(orgs), d.c.lodged_by_org.in_(orgs))
            )
        if state is not None:
            query = query.where(d.c.state == state.value)
        return [_record(r) for r in self.s.execute(query)]

    def events(self, declaration_id: str) -> Sequence[DeclarationEvent]:
        e = t.declaration_events
        rows = self.s.execute(
            select(e).where(e.c.declaration_id == declaration_id).order_by(e.c.version)
        )
        return [
            DeclarationEvent(
                id=r.id,
                declaration_id=r.declaration_id,
                version=r.version,
                action=Action(r.action),
                at=r.at,
                by=r.by,
                reason=r.reason,
                document=r.document,
                assessment=r.assessment,
            )
            for r in rows
        ]

    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        if rejections:
            self.s.execute(
                insert(t.declaration_rejections),
                [
                    {
                        "id": r.id,
                        "reference": r.reference,
                        "at": r.at,
                        "by": r.by,
                        "by_org": r.by_org,
                        "findings": list(r.findings),
                        "source": r.source,
                    }
                    for r in rejections
                ],
            )

    def rejections(
        self, by_org: frozenset[str] | None = None, limit: int = 100
    ) -> Sequence[Rejection]:
        j = t.declaration_rejections
        query = select(j).order_by(j.c.at.desc(), j.c.id.desc()).limit(limit)
        if by_org is not None:
            query = query.where(j.c.by_org.in_(sorted(by_org)))
        return [
            Rejection(r.id, r.reference, r.at, r.by, r.by_org, tuple(r.findings), r.source)
            for r in self.s.execute(query)
        ]


def _row(r: DeclarationRecord) -> dict[str, Any]:
    d = r.declaration
    return {
        "id": r.id,
        "reference": d.reference,
        "state": r.state.value,
        "version": r.version,
        "declared_on": d.date,
        "office": d.office,
        "importer": d.importer,
        "declarant": d.declarant,
        "lodged_by": r.lodged_by,
        "lodged_by_org": r.lodged_by_org,
        "lodged_at": r.lodged_at,
        "updated_at": r.updated_at,
        "document": declaration_json(d),
        "assessment": r.assessment,
    }


def _event_row(e: DeclarationEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "declaration_id": e.declaration_id,
        "version": e.version,
        "action": e.action.value,
        "at": e.at,
        "by": e.by,
        "reason": e.reason,
        "document": e.document,
        "assessment": e.assessment,
    }


def _record(row: Row[Any]) -> DeclarationRecord:
    return DeclarationRecord(
        id=row.id,
        declaration=read_declaration(row.document),
        assessment=row.assessment,
        state=DeclarationState(row.state),
        version=row.version,
        lodged_at=row.lodged_at,
        updated_at=row.updated_at,
        lodged_by=row.lodged_by,
        lodged_by_org=row.lodged_by_org,
    )


class SqlSettlements:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add_entry(self, entry: LedgerEntry) -> None:
        self.s.execute(
            insert(t.declaration_ledger).values(
                id=entry.id,
                declaration_id=entry.declaration_id,
                kind=entry.kind.value,
                amount=format(entry.amount.amount, "f"),
                currency=entry.amount.currency.code,
                at=entry.at,
                by=entry.by,
                reference=entry.reference,
            )
        )

    def entries(self, declaration_id: str) -> Sequence[LedgerEntry]:
        j = t.declaration_ledger
        rows = self.s.execute(
            select(j).where(j.c.declaration_id == declaration_id).order_by(j.c.at, j.c.id)
        )
        return [
            LedgerEntry(
                r.id,
                r.declaration_id,
                EntryKind(r.kind),
                Money(r.amount, r.currency),
                r.at,
                r.by,
                r.reference,
            )
            for r in rows
        ]

    def add_guarantee(self, guarantee: Guarantee) -> None:
        self.s.execute(insert(t.guarantees).values(**_guarantee_row(guarantee)))

    def guarantee(self, guarantee_id: str, lock: bool = False) -> Guarantee | None:
        g = t.guarantees
        query = select(g).where(g.c.id == guarantee_id)
        if lock:
            query = query.with_for_update()  # SQLite: its transactions are serial already
        row = self.s.execute(query).first()
        return _guarantee(row) if row else None

    def guarantees(self, holders: frozenset[str] | None = None) -> Sequence[Guarantee]:
        g = t.guarantees
        query = select(g).order_by(g.c.id)
        if holders is not None:
            query = query.where(g.c.holder.in_(sorted(holders)))
        return [_guarantee(r) for r in self.s.execute(query)]

    def save_guarantee(self, guarantee: Guarantee) -> None:
        g = t.guarantees
        done = self.s.execute(
            update(g)
            .where(g.c.id == guarantee.id, g.c.version == guarantee.version - 1)
            .values(**_guarantee_row(guarantee))
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise guarantee_changed(guarantee.id)

    def add_draw(self, draw: Draw) -> None:
        self.s.execute(
            insert(t.guarantee_draws).values(
                id=draw.id,
                guarantee_id=draw.guarantee_id,
                declaration_id=draw.declaration_id,
                amount=format(draw.amount.amount, "f"),
                currency=draw.amount.currency.code,
                at=draw.at,
                released_at=draw.released_at,
            )
        )

    def draws(
        self, declaration_id: str | None = None, guarantee_id: str | None = None
    ) -> Sequence[Draw]:
        w = t.guarantee_draws
        query = select(w).order_by(w.c.at, w.c.id)
        if declaration_id is not None:
            query = query.where(w.c.declaration_id == declaration_id)
        if guarantee_id is not None:
            query = query.where(w.c.guarantee_id == guarantee_id)
        return [
            Draw(
                r.id,
                r.guarantee_id,
                r.declaration_id,
                Money(r.amount, r.currency),
                r.at,
                r.released_at,
            )
            for r in self.s.execute(query)
        ]

    def release_draw(self, draw_id: str, at: datetime) -> bool:
        w = t.guarantee_draws
        done = self.s.execute(
            update(w).where(w.c.id == draw_id, w.c.released_at.is_(None)).values(released_at=at)
        )
        return cast(CursorResult[Any], done).rowcount == 1


def _guarantee_row(g: Guarantee) -> dict[str, Any]:
    return {
        "id": g.id,
        "holder": g.holder,
        "currency": g.limit.currency.code,
        "limit_amount": format(g.limit.amount, "f"),
        "drawn_amount": format(g.drawn.amount, "f"),
        "opened_at": g.opened_at,
        "version": g.version,
        "active": g.active,
    }


def _guarantee(row: Row[Any]) -> Guarantee:
    return Guarantee(
        id=row.id,
        holder=row.holder,
        limit=Money(row.limit_amount, row.currency),
        drawn=Money(row.drawn_amount, row.currency),
        opened_at=row.opened_at,
        version=row.version,
        active=row.active,
    )


class SqlPreferences:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add_many(self, kept: Sequence[KeptDecision]) -> None:
        if not kept:
            return
        p = t.preference_decisions
        for k in kept:  # the decision it supersedes stays, no longer current
            self.s.execute(
                update(p)
                .where(p.c.declaration_id == k.declaration_id, p.c.item == k.decision.item)
                .where(p.c.current.is_(True))
                .values(current=False)
            )
        self.s.execute(insert(p), [_decision_row(k) for k in kept])

    def retire(self, declaration_id: str) -> None:
        p = t.preference_decisions
        self.s.execute(
            update(p)
            .where(p.c.declaration_id == declaration_id, p.c.current.is_(True))
            .values(current=False)
        )

    def of(self, declaration_id: str, current_only: bool = True) -> Sequence[KeptDecision]:
        p = t.preference_decisions
        query = select(p).where(p.c.declaration_id == declaration_id)
        if current_only:
            query = query.where(p.c.current.is_(True))
        rows = self.s.execute(query.order_by(p.c.item, p.c.decided_at, p.c.id))
        return [_kept_decision(r) for r in rows]

    def granted_on(self, authority: str, number: str) -> Sequence[KeptDecision]:
        p, d = t.preference_decisions, t.declarations
        rows = self.s.execute(
            select(p)
            .join(d, d.c.id == p.c.declaration_id)
            .where(p.c.authority == authority, p.c.reference == number, p.c.current.is_(True))
            .where(
                p.c.outcome == Outcome.GRANTED.value, d.c.state != DeclarationState.CANCELLED.value
            )
            .order_by(p.c.decided_at, p.c.id)
        )
        return [_kept_decision(r) for r in rows]

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str, int], Decimal]:
        if not keys:
            return {}
        p, d = t.preference_decisions, t.declarations
        numbers = sorted({n for _, n in keys})
        rows = self.s.execute(
            select(p.c.authority, p.c.reference, p.c.certificate_item, p.c.quantity)
            .join(d, d.c.id == p.c.declaration_id)
            .where(p.c.reference.in_(numbers), p.c.current.is_(True))
            .where(
                p.c.outcome == Outcome.GRANTED.value, d.c.state != DeclarationState.CANCELLED.value
            )
        )
        wanted = set(keys)
        used: dict[tuple[str, str, int], Decimal] = {}
        for authority, number, item, quantity in rows:
            if (authority, number) in wanted and item is not None and quantity is not None:
                key = (authority, number, item)
                used[key] = used.get(key, Decimal(0)) + Decimal(quantity)
        return used


def _decision_row(k: KeptDecision) -> dict[str, Any]:
    d = k.decision
    return {
        "id": k.id,
        "declaration_id": k.declaration_id,
        "item": d.item,
        "rate_type": d.rate_type,
        "proof_kind": d.proof_kind.value,
        "reference": d.reference,
        "authority": d.authority,
        "outcome": d.outcome.value,
        "reasons": [finding_json(f) for f in d.reasons],
        "certificate_item": d.certificate_item,
        "quantity": None if d.quantity is None else format(d.quantity, "f"),
        "unit": d.unit,
        "decided_at": d.decided_at,
        "decided_by": d.decided_by,
        "current": k.current,
    }


def _kept_decision(r: Row[Any]) -> KeptDecision:
    decision = Decision(
        item=r.item,
        rate_type=r.rate_type,
        proof_kind=ProofType(r.proof_kind),
        reference=r.reference,
        authority=r.authority,
        outcome=Outcome(r.outcome),
        reasons=tuple(kept_finding(f) for f in r.reasons),
        certificate_item=r.certificate_item,
        quantity=None if r.quantity is None else Decimal(r.quantity),
        unit=r.unit,
        decided_at=r.decided_at,
        decided_by=r.decided_by,
    )
    return KeptDecision(r.id, r.declaration_id, decision, r.current)
