"""Paying and securing declarations: what is owed, payments, guarantee draws, refunds on
cancellation, and the release gate; a kept assessment replayed to the same figures."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from opencustoms.accounts.service import OPERATOR
from opencustoms.clearance.data import shipped_rate_types, shipped_schedule, shipped_tax_rules
from opencustoms.clearance.payments import Settlements
from opencustoms.clearance.service import ClearanceService, Tariff
from opencustoms.clearance.settlement import EntryKind, LedgerEntry, settlement
from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.errors import Conflict, InvalidInput
from opencustoms.kernel.exchange import parse_rates
from opencustoms.kernel.money import Money
from opencustoms.testing.fakes import in_memory_uow
from tests.samples import CLEARANCE_ITEM
from tests.unit.clearance.test_claims import FakeOrigin, receive
from tests.unit.clearance.test_preference import CERTIFICATE
from tests.unit.clearance.test_service import BROKER, IMPORTER, OTHER, _declaration

NOW = datetime(2021, 2, 3, 1, 0, tzinfo=UTC)
RATES = "valid_from,from_currency,to_currency,rate\n2021-01-25,USD,KRW,1100\n"


@pytest.fixture
def desk():
    uow, state = in_memory_uow()
    tariff = Tariff(
        shipped_rate_types(), shipped_schedule(), shipped_tax_rules(), parse_rates(RATES, "r")
    )
    clock = FixedClock(NOW)
    # the claims rest on certificates received, for more than is declared: all granted
    plenty = replace(CERTIFICATE.items[0], quantity=Decimal(10**6))
    origin = FakeOrigin(certificate=replace(CERTIFICATE, items=(plenty,)))
    for number in ("K2021-1", "K1"):
        receive(state, number)
    clearance = ClearanceService(uow, clock, lambda: tariff, ZoneInfo("Asia/Seoul"), origin)
    return clearance, Settlements(uow, clock, clearance), state, clock


def krw(amount) -> Money:
    return Money(str(amount), "KRW")


def test_what_is_owed_is_the_total_less_payments_and_draws():
    entries = [
        LedgerEntry("l1", "d", EntryKind.PAYMENT, krw(100), NOW, None, "p1"),
        LedgerEntry("l2", "d", EntryKind.PAYMENT, krw(50), NOW, None, "p2"),
        LedgerEntry("l3", "d", EntryKind.REFUND, krw(30), NOW, None, "r"),
    ]
    s = settlement(krw(200), entries, [])
    assert (s.paid, s.owed, s.settled) == (krw(120), krw(80), False)
    assert settlement(krw(0), [], []).settled  # nothing to pay: nothing owed


def test_a_declaration_paid_in_full_may_be_released(desk):
    clearance, settlements, _, clock = desk
    record, _ = clearance.lodge(IMPORTER, _declaration())
    owed = settlements.account(IMPORTER, record.id)
    assert (owed.settlement.owed, owed.may_release) == (krw(176830), False)
    with pytest.raises(InvalidInput, match="does not fit: 176,830 KRW is owed"):
        settlements.pay(OPERATOR, record.id, krw(200000), "KB-1")
    half = settlements.pay(OPERATOR, record.id, krw(100000), "KB-1")
    clock.advance(timedelta(minutes=5))
    assert (half.settlement.owed, half.may_release) == (krw(76830), False)
    paid = settlements.pay(OPERATOR, record.id, krw(76830), "KB-2")
    assert paid.may_release
    assert [e.reference for e in paid.entries] == ["KB-1", "KB-2"]
    with pytest.raises(Conflict, match="Nothing is owed"):
        settlements.pay(OPERATOR, record.id, krw(1), "KB-3")


def test_a_guarantee_secures_declarations_until_its_limit(desk):
    clearance, settlements, *_ = desk
    guarantee = settlements.open_guarantee(OPERATOR, "org_imp", krw(300000))
    first, _ = clearance.lodge(BROKER, _declaration("N-1", declarant="org_brk"))
    second, _ = clearance.lodge(IMPORTER, _declaration("N-2"))
    secured = settlements.secure(BROKER, first.id, guarantee.id)  # the broker, for its importer
    assert (secured.settlement.secured, secured.may_release) == (krw(176830), True)
    with pytest.raises(Conflict, match="has 123,170 KRW left, less than the 176,830 KRW owed"):
        settlements.secure(IMPORTER, second.id, guarantee.id)
    other = settlements.open_guarantee(OPERATOR, "org_other", krw(10**9))
    with pytest.raises(Conflict, match="does not secure declarations of org_imp"):
        settlements.secure(IMPORTER, second.id, other.id)
    # paying a secured declaration in full frees the guarantee for the next one
    settlements.pay(OPERATOR, first.id, krw(176830), "KB-9")
    g, draws = settlements.guarantee(IMPORTER, guarantee.id)
    assert (g.drawn, draws[0].released_at) == (krw(0), NOW)
    assert settlements.secure(IMPORTER, second.id, guarantee.id).may_release
    # an importer sees its own guarantees only
    assert [x.id for x in settlements.guarantees(OTHER)] == [other.id]


def test_cancelling_refunds_what_was_paid_and_releases_the_draw(desk):
    clearance, settlements, *_ = desk
    guarantee = settlements.open_guarantee(OPERATOR, "org_imp", krw(10**7))
    record, _ = clearance.lodge(IMPORTER, _declaration())
    settlements.pay(OPERATOR, record.id, krw(100000), "KB-1")
    settlements.secure(IMPORTER, record.id, guarantee.id)
    clearance.cancel(IMPORTER, record.id, "goods returned")
    account = settlements.account(IMPORTER, record.id)
    assert [(e.kind, e.amount) for e in account.entries] == [
        (EntryKind.PAYMENT, krw(100000)),
        (EntryKind.REFUND, krw(100000)),
    ]
    assert settlements.guarantee(OPERATOR, guarantee.id)[0].drawn == krw(0)
    assert not account.may_release
    with pytest.raises(Conflict, match="is cancelled"):
        settlements.pay(OPERATOR, record.id, krw(1), "late")


def test_an_amendment_that_raises_the_duty_leaves_the_difference_owing(desk):
    clearance, settlements, *_ = desk
    record, _ = clearance.lodge(IMPORTER, _declaration())
    settlements.pay(OPERATOR, record.id, krw(176830), "KB-1")
    item = CLEARANCE_ITEM | {"price": "2000", "origin": "CN",
                             "proof": {"kind": "certificate", "reference": "K1"}}  # fmt: skip
    clearance.amend(IMPORTER, record.id, _declaration(items=[item]), "price corrected")
    account = settlements.account(IMPORTER, record.id)
    assert account.settlement.owed.amount > 0
    assert not account.may_release


def test_a_kept_assessment_replays_to_the_same_figures(desk):
    clearance, _, state, _ = desk
    record, _ = clearance.lodge(IMPORTER, _declaration())
    replayed = clearance.replay(IMPORTER, record.id)
    assert (replayed.differences, replayed.same_rules) == ((), True)
    assert replayed.again["total"] == record.assessment["total"]
    # a kept figure that the arithmetic does not give is found
    kept = state.declarations[record.id]
    tampered = kept.assessment | {"duty": "1"}
    state.declarations[record.id] = replace(kept, assessment=tampered)
    assert clearance.replay(IMPORTER, record.id).differences == ("duty",)


def test_a_payment_has_no_fraction_below_the_currencys_unit(desk):
    clearance, settlements, *_ = desk
    record, _ = clearance.lodge(IMPORTER, _declaration())
    with pytest.raises(InvalidInput, match="does not fit"):
        settlements.pay(OPERATOR, record.id, Money("100.5", "KRW"), "KB-1")
