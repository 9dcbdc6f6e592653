"""Payments, guarantee accounts and what each declaration still owes (see settlement.py).

Customs staff record the treasury's notices of payment and open guarantee accounts;
importers and their brokers secure their declarations with the importer's guarantee.
Draws on one guarantee are made one at a time (its row is locked), so two declarations
never spend the same balance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context, audit_event
from opencustoms.clearance.ports import ClearanceUnitOfWork
from opencustoms.clearance.preference import Outcome
from opencustoms.clearance.records import DeclarationRecord, DeclarationState, not_open
from opencustoms.clearance.settlement import (
    Draw,
    EntryKind,
    Guarantee,
    LedgerEntry,
    Settlement,
    check_draw,
    check_payment,
    nothing_owed,
    settlement,
)
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, InvalidInput, NotFound
from opencustoms.kernel.ids import new_id
from opencustoms.kernel.money import Money

if TYPE_CHECKING:
    from opencustoms.clearance.service import ClearanceService

MAX_REFERENCE = 200


@dataclass(frozen=True, slots=True)
class Account:
    """A declaration's account: what it owes, and how it was paid or secured."""

    record: DeclarationRecord
    settlement: Settlement
    entries: Sequence[LedgerEntry]
    draws: Sequence[Draw]
    reviews: int = 0  # preference claims a customs officer has still to decide

    @property
    def may_release(self) -> bool:
        """Duty and taxes paid or secured, and no claim awaiting review: the goods may go
        once the lane's checks are done."""
        return (
            self.record.state is DeclarationState.LODGED
            and self.settlement.settled
            and not self.reviews
        )


def total_of(record: DeclarationRecord) -> Money:
    a = record.assessment
    return Money(a["total"], a["currency"])


def account_of(uow: ClearanceUnitOfWork, record: DeclarationRecord) -> Account:
    entries = uow.settlements.entries(record.id)
    draws = uow.settlements.draws(declaration_id=record.id)
    reviews = sum(1 for k in uow.preferences.of(record.id) if k.decision.outcome is Outcome.REVIEW)
    return Account(record, settlement(total_of(record), entries, draws), entries, draws, reviews)


def release_all(
    uow: ClearanceUnitOfWork, record: DeclarationRecord, at: datetime, by: str | None, why: str
) -> None:
    """A cancelled declaration owes nothing: what was paid is refunded, its draws released."""
    account = account_of(uow, record)
    if account.settlement.paid.amount > 0:
        uow.settlements.add_entry(
            LedgerEntry(
                new_id("led"),
                record.id,
                EntryKind.REFUND,
                account.settlement.paid,
                at,
                by,
                why[:MAX_REFERENCE],
            )
        )
    for draw in account.draws:
        if draw.released_at is None:
            _release(uow, draw, at)


def refund_overpaid(
    uow_factory: Callable[[], ClearanceUnitOfWork],
    record: DeclarationRecord,
    at: datetime,
    ctx: Context,
) -> None:
    """What was paid beyond a lowered total is refunded (a preference claimed afterwards)."""
    with uow_factory() as uow:
        account = account_of(uow, record)
        over = account.settlement.paid - account.settlement.total
        if over.amount > 0:
            p = ctx.principal
            by = p.account.id if p and p.account else None
            uow.settlements.add_entry(
                LedgerEntry(
                    new_id("led"),
                    record.id,
                    EntryKind.REFUND,
                    over,
                    at,
                    by,
                    "preference claimed after the declaration",
                )
            )
            uow.commit()


def _release(uow: ClearanceUnitOfWork, draw: Draw, at: datetime) -> None:
    guarantee = uow.settlements.guarantee(draw.guarantee_id, lock=True)
    if not uow.settlements.release_draw(draw.id, at):
        return  # released meanwhile: the guarantee has it back already
    if guarantee is not None:
        uow.settlements.save_guarantee(
            replace(guarantee, drawn=guarantee.drawn - draw.amount, version=guarantee.version + 1)
        )


class Settlements:
    def __init__(
        self,
        uow: Callable[[], ClearanceUnitOfWork],
        clock: Clock,
        declarations: ClearanceService,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._declarations = declarations

    def account(self, ctx: Context, declaration: str) -> Account:
        record = self._declarations.get(ctx, declaration)
        with self._uow() as uow:
            return account_of(uow, record)

    def pay(self, ctx: Context, declaration: str, amount: Money, reference: str) -> Account:
        """Record the treasury's notice that `amount` was paid on the declaration."""
        ctx.require(Permission.PAYMENT_RECORD)
        ref = _reference(reference)
        record = self._declarations.get(ctx, declaration)
        with self._uow() as uow:
            record = self._locked(uow, record)
            # what a guarantee secures is paid in the end too: then the draw is released
            account = self._open_account(uow, record, secured_too=True)
            s = account.settlement
            check_payment(amount, s.owed + s.secured)
            at = self._clock.now()
            uow.settlements.add_entry(
                LedgerEntry(new_id("led"), record.id, EntryKind.PAYMENT, amount, at, _by(ctx), ref)
            )
            if s.paid + amount >= s.total:
                for draw in account.draws:
                    if draw.released_at is None:
                        _release(uow, draw, at)
            uow.audit.append(
                audit_event(
                    ctx,
                    at,
                    "declaration.pay",
                    "declaration",
                    record.id,
                    record.lodged_by_org,
                    {"amount": str(amount), "reference": ref},
                )
            )
            after = account_of(uow, record)
            uow.commit()
        return after

    def secure(self, ctx: Context, declaration: str, guarantee_id: str) -> Account:
        """Draw what the declaration owes from the importer's guarantee."""
        ctx.require(Permission.DECLARATION_LODGE)
        record = self._declarations.get(ctx, declaration)
        self._declarations.require_party(ctx, record)
        with self._uow() as uow:
            record = self._locked(uow, record)
            guarantee = uow.settlements.guarantee(guarantee_id.strip(), lock=True)
            if guarantee is None:
                raise _no_guarantee(guarantee_id)
            account = self._open_account(uow, record)  # read under both locks
            owed = account.settlement.owed
            check_draw(guarantee, owed, record.declaration.importer)
            at = self._clock.now()
            uow.settlements.add_draw(Draw(new_id("drw"), guarantee.id, record.id, owed, at))
            uow.settlements.save_guarantee(
                replace(guarantee, drawn=guarantee.drawn + owed, version=guarantee.version + 1)
            )
            uow.audit.append(
                audit_event(
                    ctx,
                    at,
                    "declaration.secure",
                    "declaration",
                    record.id,
                    record.lodged_by_org,
                    {"amount": str(owed), "guarantee": guarantee.id},
                )
            )
            after = account_of(uow, record)
            uow.commit()
        return after

    def open_guarantee(self, ctx: Context, holder: str, limit: Money) -> Guarantee:
        ctx.require(Permission.GUARANTEE_MANAGE)
        who = holder.strip()
        if not who or len(who) > 40 or limit.amount <= 0:
            raise InvalidInput.of(
                "settlement.bad_guarantee",
                N_(
                    "A guarantee names its holder (an importer, at most 40 characters) and a limit above zero."
                ),
                field="holder",
            )
        at = self._clock.now()
        guarantee = Guarantee(new_id("gua"), who, limit, Money.zero(limit.currency), at)
        with self._uow() as uow:
            uow.settlements.add_guarantee(guarantee)
            uow.audit.append(
                audit_event(
                    ctx,
                    at,
                    "guarantee.open",
                    "guarantee",
                    guarantee.id,
                    None,
                    {"holder": who, "limit": str(limit)},
                )
            )
            uow.commit()
        return guarantee

    def guarantees(self, ctx: Context) -> Sequence[Guarantee]:
        ctx.require(Permission.GUARANTEE_READ)
        with self._uow() as uow:
            return uow.settlements.guarantees(_holders(ctx))

    def guarantee(self, ctx: Context, guarantee_id: str) -> tuple[Guarantee, Sequence[Draw]]:
        ctx.require(Permission.GUARANTEE_READ)
        holders = _holders(ctx)
        with self._uow() as uow:
            found = uow.settlements.guarantee(guarantee_id.strip())
            if found is None or (holders is not None and found.holder not in holders):
                raise _no_guarantee(guarantee_id)
            return found, uow.settlements.draws(guarantee_id=found.id)

    def _locked(self, uow: ClearanceUnitOfWork, record: DeclarationRecord) -> DeclarationRecord:
        """The declaration as it stands now, held until the transaction ends: a payment or a
        draw and a cancellation do not cross."""
        current = uow.declarations.get(record.id, lock=True)
        if current is None:
            raise nothing_owed(record.reference)
        return current

    def _open_account(
        self, uow: ClearanceUnitOfWork, record: DeclarationRecord, secured_too: bool = False
    ) -> Account:
        if record.state is not DeclarationState.LODGED:
            raise not_open(record)
        account = account_of(uow, record)
        s = account.settlement
        if (s.owed + s.secured if secured_too else s.owed).amount <= 0:
            raise nothing_owed(record.reference)
        return account


def _by(ctx: Context) -> str | None:
    p = ctx.principal
    return p.account.id if p and p.account else None


def _holders(ctx: Context) -> frozenset[str] | None:
    p = ctx.principal
    if p is None or p.may(Permission.DECLARATION_ALL):
        return None
    own = frozenset({p.organisation.id}) if p.organisation else frozenset()
    return own | p.mandated_importers


def _reference(reference: str) -> str:
    text = " ".join((reference or "").split())
    if not text or len(text) > MAX_REFERENCE or not text.isprintable():
        raise InvalidInput.of(
            "settlement.reference_required",
            N_(
                "Give the payment's reference (the treasury's or the bank's), at most %(max)s characters."
            ),
            field="reference",
            max=MAX_REFERENCE,
        )
    return text


def _no_guarantee(guarantee_id: str) -> NotFound:
    return NotFound.of(
        "settlement.no_guarantee",
        N_("No guarantee %(guarantee)s here (or not one you may see)."),
        field="guarantee",
        guarantee=guarantee_id[:60],
    )
