"""Paying or securing what a declaration owes, before its goods may be released.

Duty and taxes are paid (the treasury's notice of payment is recorded against the
declaration) or secured by a guarantee: an importer's guarantee account has a limit, and
each declaration it secures draws on it until the declaration is paid or cancelled.
What is owed is the assessment's total less what was paid and what is drawn; goods may
be released only when nothing is owed. An amendment that raises the total leaves the
difference owing; a cancellation refunds what was paid and releases the draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opencustoms.kernel.errors import N_, Conflict, InvalidInput
from opencustoms.kernel.money import Money


class EntryKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    declaration_id: str
    kind: EntryKind
    amount: Money  # positive; a refund is taken off what was paid
    at: datetime
    by: str | None
    reference: str  # the treasury's or the bank's reference, or why refunded


@dataclass(frozen=True, slots=True)
class Guarantee:
    id: str  # "gua_..."
    holder: str  # the importer (its organisation id, or its trader code)
    limit: Money
    drawn: Money  # the sum of the draws not yet released
    opened_at: datetime
    version: int = 1
    active: bool = True

    @property
    def available(self) -> Money:
        return self.limit - self.drawn


@dataclass(frozen=True, slots=True)
class Draw:
    id: str
    guarantee_id: str
    declaration_id: str
    amount: Money
    at: datetime
    released_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    total: Money  # what the assessment says is owed
    paid: Money
    secured: Money
    owed: Money

    @property
    def settled(self) -> bool:
        return self.owed.amount <= 0


def settlement(total: Money, entries: Sequence[LedgerEntry], draws: Sequence[Draw]) -> Settlement:
    paid = Money.zero(total.currency)
    for e in entries:
        paid = paid + e.amount if e.kind is EntryKind.PAYMENT else paid - e.amount
    secured = Money.zero(total.currency)
    for d in draws:
        if d.released_at is None:
            secured += d.amount
    owed = total - paid - secured
    return Settlement(total, paid, secured, owed)


def check_payment(amount: Money, owed: Money) -> None:
    """A payment is of what is owed, in its currency: more would be a refund to make."""
    if (
        amount.currency != owed.currency
        or amount.amount <= 0
        or amount.amount > owed.amount
        or amount.rounded() != amount  # no fraction below the currency's minor unit
    ):
        raise InvalidInput.of(
            "settlement.bad_payment",
            N_("A payment of %(amount)s does not fit: %(owed)s is owed."),
            field="amount",
            amount=str(amount),
            owed=str(owed),
        )


def check_draw(guarantee: Guarantee, amount: Money, holder: str) -> None:
    if not guarantee.active or guarantee.holder != holder:
        raise Conflict.of(
            "settlement.not_holders_guarantee",
            N_("Guarantee %(guarantee)s does not secure declarations of %(holder)s."),
            field="guarantee",
            guarantee=guarantee.id,
            holder=holder[:40],
        )
    if amount.currency != guarantee.limit.currency or guarantee.available < amount:
        raise Conflict.of(
            "settlement.guarantee_exhausted",
            N_(
                "Guarantee %(guarantee)s has %(available)s left, less than the %(amount)s owed: pay, or raise the guarantee's limit."
            ),
            field="guarantee",
            guarantee=guarantee.id,
            available=str(guarantee.available),
            amount=str(amount),
        )


def guarantee_changed(guarantee: str) -> Conflict:
    return Conflict.of(
        "settlement.guarantee_changed",
        N_("Guarantee %(guarantee)s changed meanwhile: try again."),
        guarantee=guarantee,
    )


def nothing_owed(reference: str) -> Conflict:
    return Conflict.of(
        "settlement.nothing_owed",
        N_("Nothing is owed on declaration %(reference)s."),
        reference=reference,
    )
