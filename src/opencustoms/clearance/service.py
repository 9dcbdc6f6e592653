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
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from opencustoms.accounts.domain import OrgKind, Permission
from opencustoms.accounts.service import Context, Idempotency, audit_event
from opencustoms.certificates.received import ReceivedCertificate
from opencustoms.clearance import preference
from opencustoms.clearance import replay as replaying
from opencustoms.clearance.declaration import REFERENCE, Declaration, Item, validate
from opencustoms.clearance.declaration_io import declaration_json, read_declaration
from opencustoms.clearance.duty import Goods, TaxRules, assess, assess_item
from opencustoms.clearance.payments import refund_overpaid, release_all
from opencustoms.clearance.ports import ClearanceUnitOfWork, OriginChecks
from opencustoms.clearance.preference import Decision
from opencustoms.clearance.preference import Outcome as PreferenceOutcome
from opencustoms.clearance.rate_types import ProofType, RateType, RateTypes
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
from opencustoms.exchange.verification import CaseState, Side
from opencustoms.kernel.dates import Clock, add_months, legal_date
from opencustoms.kernel.errors import (
    N_,
    Conflict,
    DomainError,
    Finding,
    Forbidden,
    InvalidInput,
    NotFound,
    Stale,
)
from opencustoms.kernel.exchange import ExchangeRateTable
from opencustoms.kernel.ids import new_id
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse, check_key, replay

MAX_BATCH = 1000  # declarations per batch: about 1 MB of JSON, the API's body limit
MAX_REASON = 500
Claims = Callable[[Declaration], list[Decision]]  # a declaration's claims decided


class Verifier(Protocol):
    """The exchange's verification requests (exchange/service.py)."""

    def request_verification(
        self,
        ctx: Context,
        authority: str,
        number: str,
        questions: Sequence[str],
        documents: Sequence[str] = (),
    ) -> Any: ...


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
    decisions: tuple[Decision, ...] = ()  # on its preference claims


@dataclass(frozen=True, slots=True)
class Replayed:
    record: DeclarationRecord
    again: dict[str, Any]  # the assessment computed again
    differences: tuple[str, ...]  # figures that differ: none, if the arithmetic holds
    same_rules: bool  # the tax rules in force are those the assessment used


class _Claims:
    """Decides a declaration's preference claims in the lodging transaction. What kept
    declarations took from a certificate (earlier ones, and the batch's kept so far)
    counts; a declaration being amended does not count against itself."""

    def __init__(
        self, service: ClearanceService, uow: ClearanceUnitOfWork, amending: str | None
    ) -> None:
        self._service = service
        self._uow = uow
        self._amending = amending
        self.used: dict[tuple[str, str, int], Decimal] = {}
        self._loaded: set[tuple[str, str]] = set()
        self._now = service._clock.now()

    def __call__(self, d: Declaration) -> list[Decision]:
        service, uow = self._service, self._uow
        t = service.tariff
        origin = service._origin
        trial = dict(self.used)  # this declaration's items take from a copy
        decisions: list[Decision] = []
        for item in d.items:
            rate_type = t.rate_types.get(item.goods.rate_type)
            proof = item.proof
            if rate_type is None or not rate_type.preferential or proof is None:
                continue
            exporting = item.departure if item.departure in rate_type.origins else item.origin
            if proof.kind is ProofType.ORIGIN_DECLARATION:
                decision = preference.self_certified(item, rate_type)
            else:
                held = _received(uow, proof.authority, proof.reference)
                if origin is None or (
                    held is None and not origin.linked(uow, exporting, rate_type.agreement or "")
                ):
                    decision = preference.paper(item, rate_type, exporting)
                else:
                    if held is not None:
                        self._load(held.authority, held.number, trial)
                    decision = service._match(uow, d, item, rate_type, held, trial)
                    _add(trial, decision)
            decisions.append(replace(decision, decided_at=self._now))
        return decisions

    def take(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            _add(self.used, decision)

    def _load(
        self, authority: str, number: str, trial: dict[tuple[str, str, int], Decimal]
    ) -> None:
        key = (authority, number)
        if key in self._loaded:
            return
        self._loaded.add(key)
        self._uow.received.hold(authority, number)  # claims on one certificate queue
        found = dict(self._uow.preferences.used([key]))
        if self._amending is not None:  # what this declaration took before does not count
            for kept in self._uow.preferences.of(self._amending):
                k = kept.decision
                if k.granted and (k.authority, k.reference) == key and k.quantity is not None:
                    slot = (authority, number, k.certificate_item or 0)
                    if slot in found:
                        found[slot] -= k.quantity
        for slot, quantity in found.items():
            self.used[slot] = self.used.get(slot, Decimal(0)) + quantity
            trial[slot] = trial.get(slot, Decimal(0)) + quantity


def _add(used: dict[tuple[str, str, int], Decimal], decision: Decision) -> None:
    if (
        decision.granted
        and decision.quantity is not None
        and decision.certificate_item
        and decision.authority
    ):
        slot = (decision.authority, decision.reference, decision.certificate_item)
        used[slot] = used.get(slot, Decimal(0)) + decision.quantity


class ClearanceService:
    def __init__(
        self,
        uow: Callable[[], ClearanceUnitOfWork],
        clock: Clock,
        tariff: Callable[[], Tariff],
        office_zone: ZoneInfo,
        origin: OriginChecks | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._origin = origin  # None: claims are not matched (every one goes to review)
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
        try:
            with self._uow() as uow:
                outcome = self._checked(ctx, data, "api", self._claims(uow))
                if outcome.record is None:
                    uow.declarations.add_rejections([self._rejection(ctx, data, outcome)])
                    uow.commit()
                    raise InvalidInput(*outcome.findings)
                record = outcome.record
                uow.declarations.add_many([(record, self._event(ctx, record, Action.LODGED, None))])
                self._keep_decisions(uow, record, outcome.decisions)
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
        for attempt in range(3):
            try:
                return self._keep(ctx, batch)
            except Conflict:
                # a number lodged meanwhile by another request: look again, refuse just it
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _keep(self, ctx: Context, batch: Sequence[tuple[str, Any]]) -> list[Outcome]:
        with self._uow() as uow:
            claims = self._claims(uow)
            taken = uow.declarations.taken([n for n in map(_number, (d for _, d in batch)) if n])
            seen: set[str] = set()
            final: list[Outcome] = []
            for source, data in batch:
                number = _number(data)
                if number is not None and (number in taken or number in seen):
                    final.append(Outcome(source, None, reference_taken(number).findings))
                    continue
                o = self._checked_or_forbidden(ctx, data, source, claims)
                if o.record is not None:
                    seen.add(o.record.reference)
                    claims.take(o.decisions)  # a later declaration of the batch sees it
                final.append(o)
            kept = [o.record for o in final if o.record is not None]
            uow.declarations.add_many([(r, self._event(ctx, r, Action.LODGED, None)) for r in kept])
            for o in final:
                if o.record is not None:
                    self._keep_decisions(uow, o.record, o.decisions)
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
        with self._uow() as uow:  # decided and written together: a certificate's use stays true
            outcome = self._checked(ctx, data, source, self._claims(uow, old.id))
            if outcome.record is None:
                uow.declarations.add_rejections([self._rejection(ctx, data, outcome)])
                uow.commit()
                raise InvalidInput(*outcome.findings)
            new = outcome.record
            return self._change_in(
                uow,
                ctx,
                old,
                Action.AMENDED,
                why,
                decisions=outcome.decisions,
                retire=True,
                declaration=new.declaration,
                assessment=new.assessment,
            )

    def cancel(
        self, ctx: Context, declaration: str, reason: str, if_version: int | None = None
    ) -> DeclarationRecord:
        ctx.require(Permission.DECLARATION_LODGE)
        why = _reason(reason)
        old = self._open(ctx, declaration, if_version)
        return self._change(ctx, old, Action.CANCELLED, why, state=DeclarationState.CANCELLED)

    def decisions(
        self, ctx: Context, declaration: str, current_only: bool = True
    ) -> Sequence[preference.KeptDecision]:
        ctx.require(Permission.DECLARATION_READ)
        with self._uow() as uow:
            record = self._get(uow, declaration, ctx)
            return uow.preferences.of(record.id, current_only)

    def decide(
        self, ctx: Context, declaration: str, item: int, grant: bool, reason: str
    ) -> DeclarationRecord:
        """A customs officer's decision on a claim in documentary review; a denial assesses
        the item again without the preference (the reasons go to the importer in writing,
        RCEP Art. 3.25(2))."""
        ctx.require(Permission.PREFERENCE_DECIDE)
        why = _reason(reason)
        with self._uow() as uow:
            old = self._get(uow, declaration, ctx)
            pending = next(
                (k.decision for k in uow.preferences.of(old.id) if k.decision.item == item), None
            )
        if pending is None or pending.outcome is not PreferenceOutcome.REVIEW:
            raise Conflict.of(
                "preference.not_in_review",
                N_("Item %(item)s of declaration %(reference)s has no claim awaiting review."),
                field="item",
                item=item,
                reference=old.reference,
            )
        p = ctx.principal
        decided = replace(
            pending,
            outcome=PreferenceOutcome.GRANTED if grant else PreferenceOutcome.DENIED,
            reasons=(Finding("preference.reviewed", N_("Reviewed: %(reason)s"), {"reason": why}),),
            decided_at=self._clock.now(),
            decided_by=p.account.id if p and p.account else None,
        )
        changes: dict[str, Any] = {}
        if not grant:
            others = [k.decision for k in self._current(old.id) if k.decision.item != item]
            goods = self._goods(old.declaration, [*others, decided])
            t = self.tariff
            again = assess(goods, old.declaration.date, t.schedule, t.rates, t.rules)
            changes["assessment"] = assessment_json(again, t.rules.cites)
        return self._change(ctx, old, Action.DECIDED, why, decisions=[decided], **changes)

    def request_verification(
        self,
        ctx: Context,
        declaration: str,
        item: int,
        exchange: Verifier,
        questions: Sequence[str],
        documents: Sequence[str] = (),
    ) -> Any:
        """The officer asks the issuing country to verify the certificate a decision rests
        on, from the decision (RCEP Art. 3.24(1)(c))."""
        ctx.require(Permission.DECLARATION_READ)
        record = self.get(ctx, declaration)
        decided = next(
            (k.decision for k in self._current(record.id) if k.decision.item == item), None
        )
        if (
            decided is None
            or decided.proof_kind is not ProofType.CERTIFICATE
            or not decided.authority
        ):
            raise Conflict.of(
                "preference.no_certificate",
                N_(
                    "Item %(item)s of declaration %(reference)s claims no preference on a certificate received here."
                ),
                field="item",
                item=item,
                reference=record.reference,
            )
        return exchange.request_verification(
            ctx, decided.authority, decided.reference, questions, documents
        )

    def apply_verifications(self, ctx: Context) -> int:
        """The issuing countries' answers to this node's verification requests, applied:
        a certificate not confirmed denies every preference still granted on it (a
        recovery of the duty not paid: the item is assessed without the preference); one
        confirmed only partially sends those claims to documentary review. Run by the
        node's timers; returns how many claims changed."""
        with self._uow() as uow:
            cases = [
                c
                for c in uow.verifications.find(Side.ASKED, limit=1000)
                if c.state is CaseState.ANSWERED and c.outcome in ("not_confirmed", "partially")
            ]
            affected = [
                (c, k) for c in cases for k in uow.preferences.granted_on(c.authority, c.number)
            ]
        changed = 0
        for case, kept in affected:
            record = self._get_by_id(kept.declaration_id)
            if record is None or record.state is not DeclarationState.LODGED:
                continue
            denied = case.outcome == "not_confirmed"
            reason = Finding(
                "preference.verification_answered",
                N_(
                    "The issuing country answered verification request %(request)s: %(outcome)s (%(findings)s)."
                ),
                {
                    "request": case.id,
                    "outcome": case.outcome or "",
                    "findings": "; ".join(case.findings)[:300],
                },
            )
            decided = replace(
                kept.decision,
                outcome=PreferenceOutcome.DENIED if denied else PreferenceOutcome.REVIEW,
                reasons=(reason,),
                decided_at=self._clock.now(),
                decided_by=None,
            )
            changes: dict[str, Any] = {}
            if denied:
                others = [
                    k.decision for k in self._current(record.id) if k.decision.item != decided.item
                ]
                t = self.tariff
                again = assess(
                    self._goods(record.declaration, [*others, decided]),
                    record.declaration.date,
                    t.schedule,
                    t.rates,
                    t.rules,
                )
                changes["assessment"] = assessment_json(again, t.rules.cites)
            self._change(
                ctx,
                record,
                Action.DECIDED,
                f"verification {case.id}: {case.outcome}",
                decisions=[decided],
                **changes,
            )
            changed += 1
        return changed

    def claim_after(
        self, ctx: Context, declaration: str, item: int, rate_type: str, proof: Any
    ) -> DeclarationRecord:
        """A preference claimed after the declaration (RCEP Art. 3.23; Korea: within a year
        of it): granted on a certificate received here, the item is assessed again with it
        and what was paid beyond the new total is refunded."""
        ctx.require(Permission.DECLARATION_LODGE)
        old = self._open(ctx, declaration, None)
        today = legal_date(self._clock.now(), self._zone)
        months = self.tariff.rules.post_importation_months
        if today > add_months(old.declaration.date, months):
            raise InvalidInput.of(
                "preference.claim_too_late",
                N_(
                    "A preference may be claimed within %(months)s months of the declaration of %(date)s."
                ),
                field="rate_type",
                months=months,
                date=old.declaration.date.isoformat(),
            )
        items = list(old.declaration.items)
        if not 1 <= item <= len(items):
            raise NotFound.of(
                "declaration.no_item",
                N_("Declaration %(reference)s has no item %(item)s."),
                field="item",
                reference=old.reference,
                item=item,
            )
        current = items[item - 1]
        kind = self.tariff.rate_types.get(current.goods.rate_type)
        if kind is not None and kind.preferential:
            raise Conflict.of(
                "preference.claimed_already",
                N_("Item %(item)s of declaration %(reference)s claims a preference already."),
                field="item",
                item=item,
                reference=old.reference,
            )
        data = declaration_json(old.declaration)
        data["items"][item - 1] |= {"rate_type": rate_type, "proof": proof}
        with self._uow() as uow:  # decided and written together, as an amendment is
            outcome = self._checked(ctx, data, "api", self._claims(uow, old.id))
            if outcome.record is None:
                raise InvalidInput(*outcome.findings)
            decision = next((d for d in outcome.decisions if d.item == item), None)
            if decision is None or not decision.granted:
                reasons = decision.reasons if decision is not None else ()
                raise InvalidInput(
                    *(
                        reasons
                        or (
                            Finding("preference.not_granted", N_("The preference is not granted.")),
                        )
                    )
                )
            new = self._change_in(
                uow,
                ctx,
                old,
                Action.CLAIMED,
                f"{rate_type} {decision.reference}",
                [decision],
                declaration=outcome.record.declaration,
                assessment=outcome.record.assessment,
            )
        refund_overpaid(self._uow, new, self._clock.now(), ctx)
        return new

    def _get_by_id(self, declaration_id: str) -> DeclarationRecord | None:
        with self._uow() as uow:
            return uow.declarations.get(declaration_id)

    def _current(self, declaration_id: str) -> Sequence[preference.KeptDecision]:
        with self._uow() as uow:
            return uow.preferences.of(declaration_id)

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

    def _checked(self, ctx: Context, data: Any, source: str, claims: Claims) -> Outcome:
        """Read, validate, check the lodger may declare it, decide its preference claims
        and assess (a denied claim at the rate without the preference): a record not yet
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
        decisions = claims(declaration)
        t = self.tariff
        try:
            goods = self._goods(declaration, decisions)
            found_assessment = assess(goods, declaration.date, t.schedule, t.rates, t.rules)
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
        return Outcome(source, record, tuple(found), tuple(decisions))

    def _goods(self, declaration: Declaration, decisions: Sequence[Decision]) -> list[Goods]:
        """Each item's goods, a denied claim's at the rate that applies without it."""
        denied = {d.item for d in decisions if d.outcome is PreferenceOutcome.DENIED}
        goods = []
        for item in declaration.items:
            g = item.goods
            if item.number in denied:
                g = replace(g, rate_type=self._fallback(g, declaration, item.number))
            goods.append(g)
        return goods

    def _fallback(self, goods: Goods, declaration: Declaration, number: int) -> str:
        """Without the preference: the lower of the WTO concession and the basic rate
        (Customs Act Art. 50: a concession applies where it is lower)."""
        t = self.tariff
        found: list[tuple[Decimal, str]] = []
        for rate_type in ("C", t.rate_types.basic):
            try:
                duty = assess_item(
                    replace(goods, rate_type=rate_type),
                    declaration.date,
                    t.schedule,
                    t.rates,
                    t.rules,
                ).duty.amount
            except DomainError:
                continue
            found.append((duty, rate_type))
        if not found:
            raise InvalidInput.of(
                "preference.no_fallback_rate",
                N_(
                    "The preference is denied, and the schedule has no basic or WTO rate for %(code)s: load the published schedule."
                ),
                field=f"items[{number - 1}].rate_type",
                code=goods.code.dotted(),
            )
        return min(found)[1]

    def _claims(self, uow: ClearanceUnitOfWork, amending: str | None = None) -> _Claims:
        return _Claims(self, uow, amending)

    def _match(
        self,
        uow: ClearanceUnitOfWork,
        d: Declaration,
        item: Item,
        rate_type: RateType,
        held: ReceivedCertificate | None,
        used: dict[tuple[str, str, int], Decimal],
    ) -> Decision:
        origin = self._origin
        assert origin is not None
        country = self.tariff.rules.country
        if held is None:
            return preference.check(
                d, item, rate_type, None, None, country, preference.Claim(None, {}), None
            )
        key = (held.authority, held.number)
        importer = uow.accounts.organisation(d.importer) if d.importer.startswith("org_") else None
        claim = preference.Claim(
            importer.name if importer else None,
            {i: q for (a, n, i), q in used.items() if (a, n) == key},
        )
        decision = preference.check(
            d,
            item,
            rate_type,
            origin.verify(held.document, d.date),
            origin.agreement_of(held.form),
            country,
            claim,
            origin.correspondence(),
        )
        return replace(decision, authority=held.authority)

    def _keep_decisions(
        self,
        uow: ClearanceUnitOfWork,
        record: DeclarationRecord,
        decisions: Sequence[Decision],
        before: dict[int, Decision] | None = None,
    ) -> None:
        """The decisions, and to the issuing country a notice of each certificate claim's
        outcome where it changed (RCEP and the WCO framework: utilization)."""
        if not decisions:
            return
        uow.preferences.add_many(
            [preference.KeptDecision(new_id("pdc"), record.id, d) for d in decisions]
        )
        for d in decisions:
            earlier = (before or {}).get(d.item)
            if d.outcome is PreferenceOutcome.REVIEW or not d.authority:
                continue
            if (
                earlier is not None
                and earlier.outcome is d.outcome
                and earlier.reference == d.reference
            ):
                continue  # the issuing country knows already
            reason = "; ".join(f.render() for f in d.reasons) or None
            self._notify(uow, record, d, reason)

    def _notify(
        self, uow: ClearanceUnitOfWork, record: DeclarationRecord, d: Decision, reason: str | None
    ) -> None:
        if self._origin is not None and d.authority:
            self._origin.notify(
                uow,
                d.authority,
                d.reference,
                d.granted,
                record.reference,
                record.declaration.date,
                reason,
            )

    def _checked_or_forbidden(
        self, ctx: Context, data: Any, source: str, claims: Claims
    ) -> Outcome:
        try:
            return self._checked(ctx, data, source, claims)
        except Forbidden as e:  # one declaration of a batch not the lodger's to make
            return Outcome(source, None, e.findings)

    def _change(
        self,
        ctx: Context,
        old: DeclarationRecord,
        action: Action,
        reason: str,
        decisions: Sequence[Decision] | None = None,
        **changes: Any,
    ) -> DeclarationRecord:
        with self._uow() as uow:
            return self._change_in(uow, ctx, old, action, reason, decisions, **changes)

    def _change_in(
        self,
        uow: ClearanceUnitOfWork,
        ctx: Context,
        old: DeclarationRecord,
        action: Action,
        reason: str,
        decisions: Sequence[Decision] | None = None,
        retire: bool = False,
        **changes: Any,
    ) -> DeclarationRecord:
        """The declaration's new version, its event, its decisions (`retire`: they replace
        every current one) and, on cancellation, refunds, draws released and notices."""
        if old.state is not DeclarationState.LODGED:
            raise not_open(old)
        new = replace(old, version=old.version + 1, updated_at=self._clock.now(), **changes)
        uow.declarations.save(new, self._event(ctx, new, action, reason))
        before = {k.decision.item: k.decision for k in uow.preferences.of(old.id)}
        if retire or action is Action.CANCELLED:
            uow.preferences.retire(old.id)
            for item, gone in before.items():  # a claim withdrawn: its issuer is told
                if gone.granted and (
                    action is Action.CANCELLED or item not in {d.item for d in decisions or ()}
                ):
                    self._notify(uow, new, replace(gone, outcome=PreferenceOutcome.DENIED), reason)
        if decisions is not None:
            self._keep_decisions(uow, new, decisions, before)
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


def _number(data: Any) -> str | None:
    """A batch entry's declaration number, before it is read in full."""
    if isinstance(data, Declaration):
        return data.reference
    value = data.get("reference") if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else None


def _received(
    uow: ClearanceUnitOfWork, authority: str | None, number: str
) -> ReceivedCertificate | None:
    """The received certificate a proof names; by number alone only where it is unique."""
    if authority:
        return uow.received.get(authority, number)
    found = uow.received.numbered(number)
    return found[0] if len(found) == 1 else None


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
