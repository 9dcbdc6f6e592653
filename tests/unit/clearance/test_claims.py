"""Preference claims decided as declarations are lodged: matched against the register of
received certificates, denied ones assessed without the preference, notices to the
issuing country, reviews decided by an officer, certificates not used twice over."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from opencustoms.accounts.service import OPERATOR
from opencustoms.certificates.received import ReceivedCertificate
from opencustoms.certificates.signed import Verdict
from opencustoms.clearance.data import shipped_rate_types, shipped_schedule, shipped_tax_rules
from opencustoms.clearance.payments import Settlements
from opencustoms.clearance.preference import Outcome
from opencustoms.clearance.service import ClearanceService, Tariff
from opencustoms.exchange.verification import CaseState, Side, Verification
from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.errors import Conflict, InvalidInput
from opencustoms.kernel.exchange import parse_rates
from opencustoms.testing.fakes import in_memory_uow
from tests.unit.clearance.test_preference import CERTIFICATE, OK
from tests.unit.clearance.test_service import IMPORTER, OFFICER, RATES, _declaration

NOW = datetime(2021, 2, 3, 1, 0, tzinfo=UTC)


class FakeOrigin:
    """The certificates received and the exchange, as the preference check sees them."""

    def __init__(self, linked: bool = True, certificate=CERTIFICATE) -> None:
        self.notices: list[tuple[str, str, bool, str]] = []
        self._linked = linked
        self._certificate = certificate

    def verify(self, document, at):
        return Verdict(OK, self._certificate, at)

    def agreement_of(self, form):
        return "kcfta"

    def correspondence(self):
        return None

    def linked(self, uow, country, agreement):
        return self._linked

    def notify(self, uow, authority, number, applied, declaration, on, reason):
        self.notices.append((authority, number, applied, declaration))


def receive(state, number="K2021-123456"):
    """A certificate in the register of received certificates, as the exchange keeps it."""
    state.received[("CN-CCPIT", number)] = ReceivedCertificate(
        "CN-CCPIT", number, "CN-NODE", "kcfta-co", "CN", "KR",
        CERTIFICATE.issue_date, {"certificate": "as signed"}, "sha", NOW, "msg_1",
    )  # fmt: skip


@pytest.fixture
def desk():
    uow, state = in_memory_uow()
    tariff = Tariff(
        shipped_rate_types(), shipped_schedule(), shipped_tax_rules(), parse_rates(RATES, "r")
    )
    origin = FakeOrigin()
    clock = FixedClock(NOW)
    svc = ClearanceService(uow, clock, lambda: tariff, ZoneInfo("Asia/Seoul"), origin)
    receive(state)
    return svc, Settlements(uow, clock, svc), origin, state


def _claim(reference="N-1", **item):
    krw = {"price": "1000000", "currency": "KRW", "incoterm": "CIF", "net_mass": "6",
           "proof": {"kind": "certificate", "reference": "K2021-123456"}}  # fmt: skip
    d = _declaration(reference)
    d["items"] = [d["items"][0] | krw | item]
    return d


def test_a_claim_matching_the_certificate_is_granted_and_the_issuer_told(desk):
    svc, settlements, origin, _ = desk
    record, _ = svc.lodge(IMPORTER, _claim())
    [kept] = svc.decisions(IMPORTER, record.id)
    assert (kept.decision.outcome, kept.decision.authority) == (Outcome.GRANTED, "CN-CCPIT")
    assert record.assessment["items"][0]["line"]["rate_type"] == "FCN1"
    assert origin.notices == [("CN-CCPIT", "K2021-123456", True, "N-1")]
    assert settlements.account(IMPORTER, record.id).reviews == 0


def test_a_denied_claim_is_assessed_without_the_preference(desk):
    svc, _, origin, _ = desk
    record, _ = svc.lodge(IMPORTER, _claim(origin="CN", net_mass="500"))
    [kept] = svc.decisions(IMPORTER, record.id)
    assert kept.decision.outcome is Outcome.DENIED
    assert [r.code for r in kept.decision.reasons] == ["preference.quantity_exceeds"]
    # 3926.90.9000 in 2021: C 6.5 % is lower than A 8 %, so C applies
    assert record.assessment["items"][0]["line"]["rate_type"] == "C"
    assert record.assessment["duty"] == "65000"
    assert origin.notices[-1][2] is False


def test_a_certificate_is_not_used_beyond_its_quantity(desk):
    svc, *_ = desk
    batch = [("a", _claim("N-1", net_mass="7")), ("b", _claim("N-2", net_mass="7"))]
    outcomes = svc.lodge_many(OPERATOR, batch)
    decided = [o.decisions[0].outcome for o in outcomes]
    assert decided == [Outcome.GRANTED, Outcome.DENIED]  # 7 kg + 7 kg > 12 kg + 5 %
    assert outcomes[1].decisions[0].reasons[0].code == "preference.used_up"
    # an amendment does not count its own earlier claim against itself
    first = outcomes[0].record
    amended = svc.amend(OPERATOR, first.id, _claim("N-1", net_mass="7.2"), "mass corrected")
    assert [k.decision.outcome for k in svc.decisions(OPERATOR, amended.id)] == [Outcome.GRANTED]


def test_a_paper_claim_waits_for_review_and_a_denial_reassesses(desk):
    svc, settlements, origin, state = desk
    del state.received[("CN-CCPIT", "K2021-123456")]
    origin._linked = False  # no electronic link: the certificate is on paper
    record, _ = svc.lodge(IMPORTER, _claim())
    [kept] = svc.decisions(IMPORTER, record.id)
    assert (kept.decision.outcome, kept.decision.reasons[0].code) == (
        Outcome.REVIEW, "preference.no_link"
    )  # fmt: skip
    account = settlements.account(IMPORTER, record.id)
    settlements.pay(OPERATOR, record.id, account.settlement.owed, "KB-1")
    assert not settlements.account(IMPORTER, record.id).may_release  # the review is pending
    decided = svc.decide(OFFICER, record.id, 1, False, "origin not shown")
    assert decided.assessment["items"][0]["line"]["rate_type"] == "C"
    history = svc.decisions(OFFICER, record.id, current_only=False)
    assert [(k.decision.outcome, k.current) for k in history] == [
        (Outcome.REVIEW, False), (Outcome.DENIED, True)
    ]  # fmt: skip
    assert history[-1].decision.decided_by == "acc_org_kcs"
    account = settlements.account(IMPORTER, record.id)
    assert (account.reviews, account.settlement.owed.amount > 0) == (0, True)
    with pytest.raises(Conflict, match="no claim awaiting review"):
        svc.decide(OFFICER, record.id, 1, True, "again")


def test_a_certificate_not_received_where_a_link_exists_is_denied(desk):
    svc, _, _, state = desk
    state.received.clear()
    record, _ = svc.lodge(IMPORTER, _claim())
    [kept] = svc.decisions(IMPORTER, record.id)
    assert [r.code for r in kept.decision.reasons] == ["preference.not_received"]


def test_an_origin_declaration_goes_to_review(desk):
    svc, *_ = desk
    eu = _claim(rate_type="FEU1", origin="DE", departure="DE", hs_code="3926909000",
                proof={"kind": "origin-declaration", "reference": "DE-INV-1"})  # fmt: skip
    record, _ = svc.lodge(IMPORTER, eu)
    assert svc.decisions(IMPORTER, record.id)[0].decision.outcome is Outcome.REVIEW


def _answered(state, outcome, findings=("parts made in a third country",)):
    state.verifications[("msg_v1", Side.ASKED.value)] = Verification(
        "msg_v1", Side.ASKED, "CN-NODE", "CN-CCPIT", "K2021-123456", ("Origin?",), (),
        NOW.date(), NOW, CaseState.ANSWERED, outcome, tuple(findings),
    )  # fmt: skip


def test_a_certificate_not_confirmed_recovers_the_duty_not_paid(desk):
    svc, settlements, _, state = desk
    record, _ = svc.lodge(IMPORTER, _claim())
    settlements.pay(
        OPERATOR, record.id, settlements.account(IMPORTER, record.id).settlement.owed, "KB-1"
    )
    assert svc.apply_verifications(OPERATOR) == 0  # nothing answered yet
    _answered(state, "not_confirmed")
    assert svc.apply_verifications(OPERATOR) == 1
    after = svc.get(OFFICER, record.id)
    assert after.assessment["items"][0]["line"]["rate_type"] == "C"
    [kept] = svc.decisions(OFFICER, record.id)
    assert (kept.decision.outcome, kept.decision.reasons[0].code) == (
        Outcome.DENIED, "preference.verification_answered"
    )  # fmt: skip
    owed = settlements.account(IMPORTER, record.id).settlement.owed
    assert owed.amount > 0  # the recovery: the duty the preference left unpaid
    assert svc.apply_verifications(OPERATOR) == 0  # applied once


def test_a_certificate_confirmed_partially_sends_its_claims_to_review(desk):
    svc, settlements, _, state = desk
    record, _ = svc.lodge(IMPORTER, _claim())
    _answered(state, "partially")
    assert svc.apply_verifications(OPERATOR) == 1
    assert svc.decisions(OFFICER, record.id)[0].decision.outcome is Outcome.REVIEW
    assert settlements.account(IMPORTER, record.id).reviews == 1


def test_a_preference_claimed_afterwards_refunds_what_was_overpaid(desk):
    svc, settlements, _, _ = desk
    basic = _claim(rate_type="A", proof=None)
    record, _ = svc.lodge(IMPORTER, basic)
    account = settlements.account(IMPORTER, record.id)
    settlements.pay(OPERATOR, record.id, account.settlement.owed, "KB-1")
    proof = {"kind": "certificate", "reference": "K2021-123456"}
    claimed = svc.claim_after(IMPORTER, record.id, 1, "FCN1", proof)
    assert claimed.assessment["items"][0]["line"]["rate_type"] == "FCN1"
    after = settlements.account(IMPORTER, record.id)
    assert [e.kind.value for e in after.entries] == ["payment", "refund"]
    assert after.settlement.owed.amount == 0
    with pytest.raises(Conflict, match="claims a preference already"):
        svc.claim_after(IMPORTER, record.id, 1, "FCN1", proof)


def test_a_late_or_unfounded_claim_afterwards_is_refused(desk):
    svc, _, _, state = desk
    record, _ = svc.lodge(IMPORTER, _claim(rate_type="A", proof=None))
    state.received.clear()
    with pytest.raises(InvalidInput, match="has not been received"):
        svc.claim_after(IMPORTER, record.id, 1, "FCN1", {"kind": "certificate", "reference": "X-1"})
    svc._clock.advance(timedelta(days=400))
    with pytest.raises(InvalidInput, match="within 12 months of the declaration"):
        svc.claim_after(IMPORTER, record.id, 1, "FCN1", {"kind": "certificate", "reference": "X-1"})


def test_an_amendment_withdrawing_a_claim_frees_its_certificate_and_its_review(desk):
    svc, _, origin, _ = desk
    record, _ = svc.lodge(IMPORTER, _claim(net_mass="12"))
    svc.amend(IMPORTER, record.id, _claim(rate_type="A", proof=None, net_mass="12"), "no claim")
    assert svc.decisions(IMPORTER, record.id) == []
    assert origin.notices[-1][2] is False  # the issuing country is told it was withdrawn
    again, _ = svc.lodge(IMPORTER, _claim("N-2", net_mass="12"))
    assert svc.decisions(IMPORTER, again.id)[0].decision.outcome is Outcome.GRANTED


def test_an_unchanged_amendment_sends_no_second_notice_and_a_cancellation_one(desk):
    svc, _, origin, _ = desk
    record, _ = svc.lodge(IMPORTER, _claim())
    svc.amend(IMPORTER, record.id, _claim(), "same")
    assert [n[2] for n in origin.notices] == [True]
    svc.cancel(IMPORTER, record.id, "goods returned")
    assert [n[2] for n in origin.notices] == [True, False]


def test_a_refused_declaration_of_a_batch_takes_nothing_from_a_certificate(desk):
    svc, *_ = desk
    svc.lodge(IMPORTER, _claim("N-1", net_mass="1"))
    batch = [("a", _claim("N-1", net_mass="7")), ("b", _claim("N-2", net_mass="7"))]
    outcomes = svc.lodge_many(OPERATOR, batch)
    assert outcomes[0].findings[0].code == "declaration.reference_taken"
    assert outcomes[1].decisions[0].outcome is Outcome.GRANTED


def test_a_denied_claim_replays_to_the_same_figures(desk):
    svc, *_ = desk
    record, _ = svc.lodge(IMPORTER, _claim(net_mass="500"))
    assert svc.replay(IMPORTER, record.id).differences == ()


def test_quantities_that_do_not_compare_go_to_review_and_a_second_item_is_used(desk):
    svc, _, origin, _ = desk
    metres = replace(CERTIFICATE.items[0], unit="MTR")
    origin._certificate = replace(CERTIFICATE, items=(metres,))
    record, _ = svc.lodge(IMPORTER, _claim())
    [kept] = svc.decisions(IMPORTER, record.id)
    assert kept.decision.reasons[0].code == "preference.quantity_not_comparable"
    twice = replace(CERTIFICATE.items[0], number=2)
    origin._certificate = replace(CERTIFICATE, items=(CERTIFICATE.items[0], twice))
    first, _ = svc.lodge(IMPORTER, _claim("N-2", net_mass="12"))
    second, _ = svc.lodge(IMPORTER, _claim("N-3", net_mass="12"))
    items = [svc.decisions(IMPORTER, r.id)[0].decision.certificate_item for r in (first, second)]
    assert items == [1, 2]
