"""Messages in both directions: acknowledgements recorded by the sender, utilization
notices recorded on the issuing country's certificate, verification requests answered
within the agreed period (overdue alerts otherwise), and pulls when a gap lasts."""

from datetime import date, timedelta

import pytest

from opencustoms.certificates.lifecycle import EventKind
from opencustoms.exchange.inbox import Reception
from opencustoms.exchange.outbox import Delivery
from opencustoms.exchange.verification import CaseState, Side
from opencustoms.kernel.errors import DomainError, InvalidInput, NotFound
from tests.unit.exchange.test_receiving import OPERATOR, _deliver, _issue, _partner, _sent


def _received_in_japan(kr, jp):
    issued = _issue(kr)
    _deliver(kr, jp, _sent(kr, "certificate.issued"))
    return issued


def test_an_acknowledgement_is_recorded_on_the_message_it_answers(kr_jp):
    kr, jp = kr_jp
    _received_in_japan(kr, jp)
    [answer] = _deliver(jp, kr, _sent(jp, "ack"))
    assert answer.state is Reception.APPLIED
    [sent] = _sent(kr, "certificate.issued")
    assert (sent.ack_outcome, sent.ack_reasons, sent.acknowledged_at) == (
        "accepted",
        (),
        sent.created_at,
    )
    # a node cannot acknowledge a message sent to another
    [ack] = _sent(jp, "ack")
    from dataclasses import replace

    other = replace(ack.envelope, id="msg_other", payload={**ack.envelope.payload, "of": "msg_x"})
    [refused] = kr.receiver.deliver([jp.seal(other)])
    assert refused.state is Reception.REJECTED
    assert "no message msg_x was sent to JP-NODE" in refused.reasons[0].render()


def test_a_utilization_notice_reaches_the_issuing_countrys_certificate(kr_jp):
    kr, jp = kr_jp
    issued = _received_in_japan(kr, jp)
    sent = jp.exchange.send_utilization(
        OPERATOR,
        "KR-KCS",
        issued.number,
        "denied",
        "JP-IMP-2026-0042",
        date(2026, 6, 3),
        "HS differs",
    )
    assert (sent.envelope.receiver, sent.envelope.sequence) == ("KR-NODE", 1)
    [answer] = _deliver(jp, kr, [sent])
    assert answer.state is Reception.APPLIED
    [event] = [
        e for e in kr.certificates.history(OPERATOR, issued.id) if e.kind == EventKind.UTILIZATION
    ]
    assert event.details == {
        "importing_country": "JP",
        "outcome": "denied",
        "declaration": "JP-IMP-2026-0042",
        "on": "2026-06-03",
        "reason": "HS differs",
    }
    # only for a certificate received, with every problem of the notice reported
    with pytest.raises(NotFound, match="was not received"):
        jp.exchange.send_utilization(
            OPERATOR, "KR-KCS", "KR-NONE", "applied", "D-1", date(2026, 6, 3)
        )
    with pytest.raises(InvalidInput) as bad:
        jp.exchange.send_utilization(
            OPERATOR, "KR-KCS", issued.number, "maybe", "", date(2026, 6, 3)
        )
    assert {f.field for f in bad.value.findings} == {"payload.outcome", "payload.declaration"}


def test_a_verification_request_is_answered_within_the_agreed_period(kr_jp):
    kr, jp = kr_jp
    issued = _received_in_japan(kr, jp)
    asked = jp.exchange.request_verification(
        OPERATOR, "KR-KCS", issued.number, ["Where were the castings made?"], ["bill of materials"]
    )
    assert asked.reply_by == date(2026, 6, 2) + timedelta(days=90)  # the link's reply_days
    [request] = _sent(jp, "verification.request")
    _deliver(jp, kr, [request])
    [case] = kr.exchange.verifications(OPERATOR)
    assert (case.side, case.id, case.questions, case.reply_by) == (
        Side.ASKED_OF_US,
        asked.id,
        ("Where were the castings made?",),
        asked.reply_by,
    )
    answered = kr.exchange.answer_verification(
        OPERATOR, case.id, "partially", ["item 2 does not meet RVC40"]
    )
    assert answered.state is CaseState.ANSWERED
    with pytest.raises(DomainError, match="answered already"):
        kr.exchange.answer_verification(OPERATOR, case.id, "confirmed")
    [response] = _sent(kr, "verification.response")
    assert response.envelope.correlation_id == asked.id
    _deliver(kr, jp, [response])
    [mine] = jp.exchange.verifications(OPERATOR)
    assert (mine.state, mine.outcome, mine.findings) == (
        CaseState.ANSWERED,
        "partially",
        ("item 2 does not meet RVC40",),
    )
    with pytest.raises(InvalidInput, match="one of"):
        kr.exchange.answer_verification(OPERATOR, case.id, "perhaps")


def test_a_verification_needs_an_agreed_period_and_an_overdue_one_is_alerted_once(kr_jp):
    kr, jp = kr_jp
    issued = _received_in_japan(kr, jp)
    no_period = _partner("KR-NODE", "KR")
    no_period["links"][0].pop("reply_days")
    jp.partners.update(OPERATOR, "KR-NODE", no_period)
    with pytest.raises(InvalidInput, match=r"RCEP Article 3\.24\(4\)\(a\)"):
        jp.exchange.request_verification(OPERATOR, "KR-KCS", issued.number, ["?"])
    jp.partners.update(OPERATOR, "KR-NODE", _partner("KR-NODE", "KR"))
    asked = jp.exchange.request_verification(OPERATOR, "KR-KCS", issued.number, ["Origin?"])
    assert jp.exchange.tick().overdue == ()
    jp.clock.advance(timedelta(days=91))
    assert jp.exchange.verifications(OPERATOR, overdue_only=True)[0].id == asked.id
    [alert] = jp.exchange.tick().overdue
    assert alert.id == asked.id
    assert jp.exchange.tick().overdue == ()  # alerted once
    assert any(a.action == "exchange.verification_overdue" for a in jp.state.audit)


def test_a_gap_that_lasts_is_pulled_and_the_sender_delivers_again(kr_jp):
    kr, jp = kr_jp
    issued = _issue(kr)
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    first, second = _sent(kr)
    # the issue was delivered, yet Japan lost it (restored from an older backup, say)
    kr.state.outbox[0] = first.__class__(
        first.envelope, first.created_at, first.next_attempt_at, Delivery.DELIVERED, 1
    )
    [held] = _deliver(kr, jp, [second])
    assert held.state is Reception.HELD
    assert jp.exchange.tick().pulls == ()  # not yet: give the gap its time
    jp.clock.advance(timedelta(seconds=61))
    kr.clock.advance(timedelta(seconds=61))
    assert jp.exchange.tick().pulls == (("KR-NODE", f"KR-KCS/{issued.number}"),)
    assert jp.exchange.tick().pulls == ()  # pulled once a minute at most
    [pull] = _sent(jp, "certificate.pull")
    [answer] = _deliver(jp, kr, [pull])
    assert answer.state is Reception.APPLIED
    again = kr.state.outbox[0]
    assert (again.state, again.attempts) == (Delivery.PENDING, 0)
    _deliver(kr, jp, [again])
    assert jp.state.received[("KR-KCS", issued.number)].status.value == "revoked"


def test_notices_about_certificates_of_another_country_or_node_are_rejected(kr_jp, tmp_path):
    kr, jp = kr_jp
    issued = _received_in_japan(kr, jp)
    sent = jp.exchange.send_utilization(
        OPERATOR, "KR-KCS", issued.number, "applied", "JP-IMP-1", date(2026, 6, 3)
    )
    from dataclasses import replace

    forged = replace(sent.envelope, payload={**sent.envelope.payload, "number": "KR-OTHER"})
    [answer] = kr.receiver.deliver([jp.seal(forged)])
    assert answer.state is Reception.REJECTED
    assert "issued no certificate KR-OTHER" in answer.reasons[0].render()
    response = replace(
        sent.envelope,
        id="msg_resp",
        type="verification.response",
        sequence=None,
        payload={
            "authority": "KR-KCS",
            "number": issued.number,
            "request": "msg_none",
            "outcome": "confirmed",
        },
    )
    [answer] = jp.receiver.deliver(
        [kr.seal(replace(response, sender="KR-NODE", receiver="JP-NODE"))]
    )
    assert "no verification request msg_none" in answer.reasons[0].render()


def test_ids_are_forgotten_after_seven_days_and_a_late_resend_is_not_applied_twice(kr_jp):
    kr, jp = kr_jp
    issued = _received_in_japan(kr, jp)
    [sent] = _sent(kr, "certificate.issued")
    jp.clock.advance(timedelta(days=8))
    kr.clock.advance(timedelta(days=8))
    jp.exchange.tick()
    assert jp.state.inbox == {}  # decided and older than 7 days: forgotten
    acks = len(_sent(jp, "ack"))
    [again] = _deliver(kr, jp, [sent])  # the pull of a gap re-sends it, say
    assert again.state is Reception.REJECTED
    assert "applied already" in again.reasons[0].render()
    assert len(_sent(jp, "ack")) == acks  # its first acknowledgement stands
    assert jp.state.received[("KR-KCS", issued.number)].status.value == "issued"
    # delivered messages are archived after 30 days; their numbering goes on
    kr.state.outbox[0] = kr.state.outbox[0].__class__(
        sent.envelope, sent.created_at, sent.next_attempt_at, Delivery.DELIVERED, 1
    )
    kr.clock.advance(timedelta(days=30))
    kr.exchange.tick()
    assert _sent(kr, "certificate.issued") == []
    assert kr.state.outbox_sequences[("JP-NODE", f"KR-KCS/{issued.number}")] == 1
