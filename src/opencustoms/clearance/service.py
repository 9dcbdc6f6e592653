"""Lodging import declarations: validated, assessed and kept with their history.

A declaration is read, validated (every finding) and assessed in one go; one with an
error is refused whole and only the rejection is kept. A lodged declaration can be
amended (validated and assessed again, the version before kept as an event) or
cancelled, until it is released. Importers lodge their own declarations, brokers those
of the importers that gave them a mandate; customs staff read them all; the operator at
the command line (batch loads, replays) acts for the administration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.accounts.domain import OrgKind, Permission
from opencustoms.accounts.service import Context, Idempotency, audit_event
from opencustoms.clearance import replay as replaying
from opencustoms.clearance.declaration import REFERENCE, Declaration, validate
from opencustoms.clearance.declaration_io import declaration_json, read_declaration
from opencustoms.clearance.duty import TaxRules, assess
from opencustoms.clearance.payments import release_all
from opencustoms.clearance.ports import ClearanceUnitOfWork
from opencustoms.clearance.rate_types import RateTypes
from opencustoms.clearance.records import (
    Action,
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
    assessment_json,
    finding_json,
    not_found,
    not_open,
    reference_taken,
)
from opencustoms.clearance.tariff import Schedule
from opencustoms.kernel.dates import Clock, legal_date
from opencustoms.kernel.errors import (
    N_,
    Conflict,
    DomainError,
    Finding,
    Forbidden,
    InvalidInput,
    Stale,
)
from opencustoms.kernel.exchange import ExchangeRateTable
from opencustoms.kernel.ids import new_id
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse, check_key, replay

MAX_BATCH = 1000  # declarations per batch: about 1 MB of JSON, the API's body limit
MAX_REASON = 500
_ID = re.compile(r"dcl_[0-9a-f]{20}")


@dataclass(frozen=True, slots=True)
class Tariff:
    """The law and data an assessment uses."""

    rate_types: RateTypes
    schedule: Schedule
    rules: TaxRules
    rates: ExchangeRateTable


@dataclass(frozen=True, slots=True)
class Outcome:
    """One declaration of a batch: lodged, or refused with its findings."""

    source: str  # "declarations[3]", "rows.csv, line 12"
    record: DeclarationRecord | None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Replayed:
    record: DeclarationRecord
    again: dict[str, Any]  # the assessment computed again
    differences: tuple[str, ...]  # figures that differ: none, if the arithmetic holds
    same_rules: bool  # the tax rules in force are those the assessment used


class ClearanceService:
    def __init__(
        self,
        uow: Callable[[], ClearanceUnitOfWork],
        clock: Clock,
        tariff: Callable[[], Tariff],
        office_zone: ZoneInfo,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._load_tariff = tariff
        self._tariff: Tariff | None = None
        self._zone = office_zone

    @property
    def tariff(self) -> Tariff:
        """Loaded on first use: commands that lodge nothing do not read the schedule."""
        if self._tariff is None:
            self._tariff = self._load_tariff()
        return self._tariff

    # -- lodging ---------------------------------------------------------------------

    def lodge(
        self, ctx: Context, data: Any, idempotency: Idempotency | None = None
    ) -> tuple[DeclarationRecord, bool]:
        """Lodge one declaration, or raise InvalidInput with every finding (kept as a
        rejection). The same Idempotency-Key answers with the declaration first lodged
        (and True: a replay)."""
        ctx.require(Permission.DECLARATION_LODGE)
        replayed = self._replayed(ctx, idempotency)
        if replayed is not None:
            return replayed, True
        outcome = self._checked(ctx, data, "api")
        if outcome.record is None:
            self._keep_rejections(ctx, [(data, outcome)])
            raise InvalidInput(*outcome.findings)
        record = outcome.record
        try:
            with self._uow() as uow:
                uow.declarations.add_many([(record, self._event(ctx, record, Action.LODGED, None))])
                uow.audit.append(self._audit(ctx, "declaration.lodge", record))
                if idempotency is not None:
                    uow.idempotency.put(
                        StoredResponse(
                            _scope(ctx),
                            check_key(idempotency.key),
                            idempotency.fingerprint,
                            201,
                            {"type": "declaration", "id": record.id},
                            self._clock.now(),
                        )
                    )
                uow.commit()
        except Conflict:
            # the same request retried while the first was being lodged: answer as the first
            replayed = self._replayed(ctx, idempotency)
            if replayed is not None:
                return replayed, True
            raise
        return record, False

    def lodge_many(self, ctx: Context, batch: Sequence[tuple[str, Any]]) -> list[Outcome]:
        """Lodge each (source, data) on its own merits, in one transaction: the valid ones
        are kept, each invalid one as a rejection. A declaration number lodged before, or
        twice in the batch, refuses that declaration."""
        ctx.require(Permission.DECLARATION_LODGE)
        if len(batch) > MAX_BATCH:
            raise InvalidInput.of(
                "declaration.batch_too_large",
                N_("At most %(max)s declarations in one batch; send the rest in another."),
                max=MAX_BATCH,
            )
        outcomes = [self._checked_or_forbidden(ctx, data, source) for source, data in batch]
        for attempt in range(3):
            try:
                return self._keep(ctx, batch, outcomes)
            except Conflict:
                # a number lodged meanwhile by another request: look again, refuse just it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _keep(
        self, ctx: Context, batch: Sequence[tuple[str, Any]], outcomes: list[Outcome]
    ) -> list[Outcome]:
        with self._uow() as uow:
            lodged = [o.record for o in outcomes if o.record is not None]
            taken = uow.declarations.taken([r.reference for r in lodged])
            seen: set[str] = set()
            final: list[Outcome] = []
            for o in outcomes:
                r = o.record
                if r is not None and (r.reference in taken or r.reference in seen):
                    o = Outcome(o.source, None, reference_taken(r.reference).findings)
                elif r is not None:
                    seen.add(r.reference)
                final.append(o)
            kept = [o.record for o in final if o.record is not None]
            uow.declarations.add_many([(r, self._event(ctx, r, Action.LODGED, None)) for r in kept])
            uow.audit.append_many([self._audit(ctx, "declaration.lodge", r) for r in kept])
            uow.declarations.add_rejections(
                [
                    self._rejection(ctx, data, o)
                    for (_, data), o in zip(batch, final, strict=True)
                    if o.record is None
                ]
            )
            uow.commit()
        return final

    def amend(
        self,
        ctx: Context,
        declaration: str,
        data: Any,
        reason: str,
        if_version: int | None = None,
        source: str = "api",
    ) -> DeclarationRecord:
        """The declaration as now declared, validated and assessed again; its number and
        its parties stay (lodge a new declaration to change them)."""
        ctx.require(Permission.DECLARATION_LODGE)
        why = _reason(reason)
        old = self._open(ctx, declaration, if_version)
        _same_parties(old.declaration, data)
        outcome = self._checked(ctx, data, source)
        if outcome.record is None:
            self._keep_rejections(ctx, [(data, outcome)])
            raise InvalidInput(*outcome.findings)
        new = outcome.record.declaration
        return self._change(
            ctx, old, Action.AMENDED, why, declaration=new, assessment=outcome.record.assessment
        )

    def cancel(
        self, ctx: Context, declaration: str, reason: str, if_version: int | None = None
    ) -> DeclarationRecord:
        ctx.require(Permission.DECLARATION_LODGE)
        why = _reason(reason)
        old = self._open(ctx, declaration, if_version)
        return self._change(ctx, old, Action.CANCELLED, why, state=DeclarationState.CANCELLED)

    def require_party(self, ctx: Context, record: DeclarationRecord) -> None:
        """Only the importer, or the declaring broker with its mandate now, acts on it."""
        _may_change(ctx, record.declaration)

    def _open(self, ctx: Context, declaration: str, if_version: int | None) -> DeclarationRecord:
        with self._uow() as uow:
            old = self._get(uow, declaration, ctx)
        _may_change(ctx, old.declaration)
        if if_version is not None and if_version != old.version:
            raise Stale.of(
                "declaration.stale",
                N_(
                    "Declaration %(reference)s is at version %(version)s, not %(expected)s: read it again and make your change on that."
                ),
                reference=old.reference,
                version=old.version,
                expected=if_version,
            )
        return old

    def _replayed(self, ctx: Context, idempotency: Idempotency | None) -> DeclarationRecord | None:
        if idempotency is None:
            return None
        with self._uow() as uow:
            stored = uow.idempotency.get(_scope(ctx), check_key(idempotency.key))
            if stored is None:
                return None
            replay(stored, idempotency.fingerprint)
            return self._get(uow, str(stored.body["id"]))

    # -- reading ---------------------------------------------------------------------

    def get(self, ctx: Context, declaration: str) -> DeclarationRecord:
        """By its id (dcl_...) or its number."""
        ctx.require(Permission.DECLARATION_READ)
        with self._uow() as uow:
            return self._get(uow, declaration, ctx)

    def find(
        self,
        ctx: Context,
        state: DeclarationState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[DeclarationRecord]:
        ctx.require(Permission.DECLARATION_READ)
        with self._uow() as uow:
            return uow.declarations.find(_visible(ctx), state, min(limit, 1000), offset)

    def history(self, ctx: Context, declaration: str) -> Sequence[DeclarationEvent]:
        ctx.require(Permission.DECLARATION_READ)
        with self._uow() as uow:
            record = self._get(uow, declaration, ctx)
            return uow.declarations.events(record.id)

    def replay(self, ctx: Context, declaration: str) -> Replayed:
        """The kept assessment computed again from what it used (its lines and rates)."""
        record = self.get(ctx, declaration)
        rules = self.tariff.rules
        again = replaying.replay(record.declaration, record.assessment, rules)
        return Replayed(
            record,
            again,
            tuple(replaying.differences(record.assessment, again)),
            record.assessment["taxes"] == rules.source,
        )

    def rejections(self, ctx: Context, limit: int = 100) -> Sequence[Rejection]:
        ctx.require(Permission.DECLARATION_READ)
        with self._uow() as uow:
            return uow.declarations.rejections(_visible(ctx), min(limit, 1000))

    # -- inside ----------------------------------------------------------------------

    def _checked(self, ctx: Context, data: Any, source: str) -> Outcome:
        """Read, validate, check the lodger may declare it, and assess: a record not yet
        kept, or the findings that refuse it."""
        if isinstance(data, InvalidInput):  # a file's row that could not be read
            return Outcome(source, None, data.findings)
        try:
            # a file's rows may come read already (the dataset's CSV)
            declaration = data if isinstance(data, Declaration) else read_declaration(data)
        except InvalidInput as e:
            return Outcome(source, None, e.findings)
        today = legal_date(self._clock.now(), self._zone)
        found = validate(declaration, self.tariff.rate_types, today)
        if any(f.severity.value == "error" for f in found):
            return Outcome(source, None, tuple(found))
        _may_declare(ctx, declaration)  # Forbidden: not a finding of the declaration
        try:
            t = self.tariff
            found_assessment = assess(
                [i.goods for i in declaration.items], declaration.date, t.schedule, t.rates, t.rules
            )
        except DomainError as e:
            return Outcome(source, None, (*e.findings, *found))
        now = self._clock.now()
        p = ctx.principal
        record = DeclarationRecord(
            id=new_id("dcl"),
            declaration=declaration,
            assessment=assessment_json(found_assessment, t.rules.cites),
            state=DeclarationState.LODGED,
            version=1,
            lodged_at=now,
            updated_at=now,
            lodged_by=p.account.id if p and p.account else None,
            lodged_by_org=p.organisation.id if p and p.organisation else None,
        )
        return Outcome(source, record, tuple(found))

    def _checked_or_forbidden(self, ctx: Context, data: Any, source: str) -> Outcome:
        try:
            return self._checked(ctx, data, source)
        except Forbidden as e:  # one declaration of a batch not the lodger's to make
            return Outcome(source, None, e.findings)

    def _change(
        self, ctx: Context, old: DeclarationRecord, action: Action, reason: str, **changes: Any
    ) -> DeclarationRecord:
        if old.state is not DeclarationState.LODGED:
            raise not_open(old)
        new = replace(old, version=old.version + 1, updated_at=self._clock.now(), **changes)
        with self._uow() as uow:
            uow.declarations.save(new, self._event(ctx, new, action, reason))
            if action is Action.CANCELLED:
                by = ctx.principal.account.id if ctx.principal and ctx.principal.account else None
                release_all(uow, new, new.updated_at, by, reason)
            uow.audit.append(self._audit(ctx, f"declaration.{action.value}", new, reason))
            uow.commit()
        return new

    def _get(
        self, uow: ClearanceUnitOfWork, declaration: str, ctx: Context | None = None
    ) -> DeclarationRecord:
        key = declaration.strip()
        found = None
        if _ID.fullmatch(key):
            found = uow.declarations.get(key)
        elif REFERENCE.fullmatch(key):
            found = uow.declarations.by_reference(key)
        visible = _visible(ctx) if ctx is not None else None
        if found is None or (visible is not None and not _sees(visible, found)):
            raise not_found(key)
        return found

    def _event(
        self, ctx: Context, r: DeclarationRecord, action: Action, reason: str | None
    ) -> DeclarationEvent:
        p = ctx.principal
        return DeclarationEvent(
            id=new_id("dev"),
            declaration_id=r.id,
            version=r.version,
            action=action,
            at=r.updated_at,
            by=p.account.id if p and p.account else None,
            reason=reason,
            document=declaration_json(r.declaration),
            assessment=r.assessment,
        )

    def _audit(
        self, ctx: Context, action: str, r: DeclarationRecord, reason: str | None = None
    ) -> AuditEvent:
        details: dict[str, Any] = {"reference": r.reference, "version": r.version}
        if reason:
            details["reason"] = reason
        return audit_event(ctx, r.updated_at, action, "declaration", r.id, r.lodged_by_org, details)

    def _rejection(self, ctx: Context, data: Any, outcome: Outcome) -> Rejection:
        p = ctx.principal
        reference = data.get("reference") if isinstance(data, dict) else None
        if isinstance(data, Declaration):
            reference = data.reference
        if not (isinstance(reference, str) and REFERENCE.fullmatch(reference)):
            reference = None  # kept only when it is a number
        return Rejection(
            id=new_id("rej"),
            reference=reference,
            at=self._clock.now(),
            by=p.account.id if p and p.account else None,
            by_org=p.organisation.id if p and p.organisation else None,
            findings=tuple(finding_json(f) for f in outcome.findings[:200]),
            source=outcome.source[:200],
        )

    def _keep_rejections(self, ctx: Context, refused: Sequence[tuple[Any, Outcome]]) -> None:
        with self._uow() as uow:
            uow.declarations.add_rejections([self._rejection(ctx, d, o) for d, o in refused])
            uow.commit()


def _same_parties(old: Declaration, data: Any) -> None:
    """An amendment keeps the number and the parties: another importer is another declaration."""
    if not isinstance(data, dict):
        return  # reading it will say what is wrong
    for name in ("reference", "importer", "declarant"):
        value = data.get(name)
        if isinstance(value, str) and value.strip() != getattr(old, name):
            raise InvalidInput.of(
                "declaration.party_changed",
                N_(
                    "An amendment keeps the declaration's %(field)s, %(value)s: lodge a new declaration instead."
                ),
                field=name,
                value=getattr(old, name),
            )


def _scope(ctx: Context) -> str:
    p = ctx.principal
    return p.account.id if p and p.account else "operator"


def _visible(ctx: Context) -> frozenset[str] | None:
    """The organisations whose declarations this principal sees; None: all of them."""
    p = ctx.principal
    if p is None or p.may(Permission.DECLARATION_ALL):
        return None
    own = frozenset({p.organisation.id}) if p.organisation else frozenset()
    return own | p.mandated_importers


def _sees(visible: frozenset[str], r: DeclarationRecord) -> bool:
    d = r.declaration
    return bool({d.importer, d.declarant, r.lodged_by_org or ""} & visible)


def _may_declare(ctx: Context, d: Declaration) -> None:
    """An importer declares for itself; a broker, as declarant, for an importer that gave
    it a mandate; the operator for anyone."""
    p = ctx.principal
    if p is None:
        return
    org = p.organisation
    # an importer declaring for itself is its own declarant
    if org is not None and org.kind is OrgKind.IMPORTER and d.importer == d.declarant == org.id:
        return
    if (
        org is not None
        and org.kind is OrgKind.BROKER
        and d.declarant == org.id
        and d.importer in p.mandated_importers
    ):
        return
    raise Forbidden.of(
        "declaration.not_yours",
        N_(
            "You may declare only as the importer (%(importer)s is not your organisation) or as a broker with the importer's mandate."
        ),
        field="importer",
        importer=d.importer[:40],
    )


def _may_change(ctx: Context, d: Declaration) -> None:
    """The importer changes its declarations; a broker those it declared, while it holds
    the importer's mandate; the operator any."""
    p = ctx.principal
    org = p.organisation if p is not None else None
    if p is None or (org is not None and org.kind is OrgKind.IMPORTER and d.importer == org.id):
        return
    _may_declare(ctx, d)


def _reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text or len(text) > MAX_REASON or not text.isprintable():
        raise InvalidInput.of(
            "declaration.reason_required",
            N_("Say why, in at most %(max)s characters."),
            field="reason",
            max=MAX_REASON,
        )
    return text
