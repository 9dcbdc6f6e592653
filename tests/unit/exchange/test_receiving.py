"""Receiving: an importing country's node keeps each message once, applies the messages
about a certificate in their sender's order, verifies certificates end to end, records
them, and acknowledges the outcome."""

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opencustoms.accounts.service import Context
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.lifecycle import DEFAULT_NUMBER_FORMAT
from opencustoms.certificates.received import ReceivedStatus
from opencustoms.certificates.service import CertificateService
from opencustoms.exchange.envelope import Envelope, seal_envelope
from opencustoms.exchange.inbox import Outcome, Reception
from opencustoms.exchange.outbox import Outgoing
from opencustoms.exchange.publish import OutboxPublisher
from opencustoms.exchange.receiving import MAX_BATCH, Receiver
from opencustoms.exchange.registry import PartnerRegistry
from opencustoms.exchange.service import ExchangeService
from opencustoms.kernel.dates import FixedClock, zone
from opencustoms.kernel.errors import DomainError, InvalidInput
from opencustoms.testing.fakes import in_memory_uow
from opencustoms.trust.keys import Algorithm, PublicKey
from opencustoms.trust.service import AuthorityKeys
from tests.samples import APPLICATION

PASS = "correct horse battery"
OPERATOR = Context(None)
NOW = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
SEOUL = zone("Asia/Seoul")


def _partner(node: str, country: str, messages: list[str] | None = None) -> dict[str, Any]:
    link: dict[str, Any] = {"agreement": "rcep", "reply_days": 90}
    link |= {"messages": messages} if messages else {}
    return {
        "node": node,
        "country": country,
        "name": node,
        "url": "http://127.0.0.1:9",
        "links": [link],
    }


@dataclass
class Node:
    id: str
    state: Any
    keys: AuthorityKeys
    partners: PartnerRegistry
    certificates: CertificateService
    receiver: Receiver
    node_key: PublicKey
    clock: FixedClock
    exchange: ExchangeService

    def seal(self, envelope: Envelope, at: datetime | None = None) -> str:
        pem = self.keys.private_pem(self.node_key.kid)
        sent_at = at or self.clock.now()
        return seal_envelope(replace(envelope, sent_at=sent_at), self.node_key, pem, PASS)


def _node(tmp_path: Path, node: str, country: str, authority: str) -> Node:
    uow, state = in_memory_uow()
    clock = FixedClock(NOW)
    keys = AuthorityKeys(uow, clock, tmp_path / node)
    keys.create(authority, country, ["rcep"], Algorithm.ED25519, date(2026, 1, 1), PASS)
    node_key = keys.create(node, country, ["exchange"], Algorithm.ED25519, date(2026, 1, 1), PASS)
    forms = shipped_forms()
    certificates = CertificateService(
        uow,
        clock,
        forms,
        keys.private_pem,
        lambda: PASS,
        SEOUL,
        DEFAULT_NUMBER_FORMAT,
        publisher=OutboxPublisher(node),
    )
    return Node(
        node,
        state,
        keys,
        PartnerRegistry(uow, clock, lambda: {"rcep"}),
        certificates,
        Receiver(uow, clock, node, forms, SEOUL, certificates),
        node_key,
        clock,
        ExchangeService(uow, clock, node, forms, SEOUL),
    )


def _trust(a: Node, b: Node) -> None:
    """Each node holds the other's public keys (as imported from its trust list)."""
    b.keys.import_trust(json.dumps(a.keys.export()), f"{a.id}.jwks")
    a.keys.import_trust(json.dumps(b.keys.export()), f"{b.id}.jwks")


@pytest.fixture
def kr_jp(tmp_path):
    kr = _node(tmp_path, "KR-NODE", "KR", "KR-KCS")
    jp = _node(tmp_path, "JP-NODE", "JP", "JP-CUSTOMS")
    _trust(kr, jp)
    kr.partners.add(OPERATOR, _partner("JP-NODE", "JP"))
    jp.partners.add(OPERATOR, _partner("KR-NODE", "KR"))
    return kr, jp


def _issue(node: Node):
    applied = node.certificates.apply(OPERATOR, APPLICATION)
    return node.certificates.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")


def _sent(node: Node, kind: str | None = None) -> list[Outgoing]:
    return [o for o in node.state.outbox if kind is None or o.envelope.type == kind]


def _deliver(sender: Node, receiver: Node, outgoing: list[Outgoing], at: datetime | None = None):
    return receiver.receiver.deliver([sender.seal(o.envelope, at) for o in outgoing])


def test_an_issued_certificate_arrives_verified_recorded_and_acknowledged(kr_jp):
    kr, jp = kr_jp
    issued = _issue(kr)
    [answer] = _deliver(kr, jp, _sent(kr), NOW + timedelta(seconds=1))
    assert (answer.outcome, answer.state, answer.reasons) == (
        Outcome.RECEIVED,
        Reception.APPLIED,
        (),
    )
    held = jp.state.received[("KR-KCS", issued.number)]
    assert (held.sender, held.status, held.import_country) == (
        "KR-NODE",
        ReceivedStatus.ISSUED,
        "JP",
    )
    assert held.document == issued.signed
    assert held.payload_sha256 == issued.payload_sha256
    # Japan's verifier now holds a trusted record: the status is checked, not left open
    verdict = jp.certificates.verify(issued.signed, date(2026, 6, 2))
    assert verdict.valid
    assert verdict.check("status").ok is True
    # and Korea hears back that it was received and verified
    [ack] = _sent(jp, "ack")
    assert (ack.envelope.receiver, ack.envelope.correlation_id) == ("KR-NODE", answer.id)
    assert ack.envelope.payload == {"of": answer.id, "outcome": "accepted"}


def test_a_message_delivered_twice_is_kept_once_and_acknowledged_twice(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [first] = _deliver(kr, jp, _sent(kr))
    # a retry: the same message signed afresh a minute later
    [again] = _deliver(kr, jp, _sent(kr), NOW + timedelta(minutes=1))
    assert (again.outcome, again.state, again.id) == (
        Outcome.DUPLICATE,
        Reception.APPLIED,
        first.id,
    )
    assert len(jp.state.inbox) == 1
    assert len(jp.state.received) == 1
    assert len(_sent(jp, "ack")) == 1  # applied once, acknowledged in the answer again


def test_another_message_under_a_kept_id_is_refused(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    _deliver(kr, jp, [sent])
    other = replace(sent.envelope, payload={**sent.envelope.payload, "number": "KR-OTHER"})
    [answer] = jp.receiver.deliver([kr.seal(other)])
    assert (answer.outcome, answer.final) == (Outcome.REFUSED, True)
    assert "other content" in answer.reasons[0].render()


def test_messages_about_a_certificate_are_applied_in_order_whatever_order_they_arrive_in(kr_jp):
    kr, jp = kr_jp
    issued = _issue(kr)
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    issue_message, revocation = _sent(kr)
    [early] = _deliver(kr, jp, [revocation])
    assert (early.outcome, early.state) == (Outcome.HELD, Reception.HELD)
    assert "message 1" in early.reasons[0].render()
    assert jp.state.received == {}
    [late] = _deliver(kr, jp, [issue_message])
    assert late.state is Reception.APPLIED
    held = jp.state.received[("KR-KCS", issued.number)]
    assert held.status is ReceivedStatus.REVOKED
    assert held.revoked_at == NOW
    assert {i.state for i in jp.state.inbox.values()} == {Reception.APPLIED}
    # a verifier in Japan is told it was revoked (not the issuing officer's reasons)
    status = jp.certificates.verify(issued.signed, date(2026, 6, 2)).check("status")
    assert status.ok is False
    assert status.render() == "revoked by its issuing authority"


def test_a_replacement_and_a_revocation_of_the_new_number_apply_in_either_order(kr_jp):
    kr, jp = kr_jp
    old = _issue(kr)
    new = kr.certificates.replace(OPERATOR, old.id, APPLICATION, "typo", "Lee", "Busan")
    kr.certificates.revoke(OPERATOR, new.id, "issued in error")
    issued, replaced, revoked = _sent(kr)
    _deliver(kr, jp, [issued])
    # the new number's revocation overtakes the replacement that brings the new number
    [early] = _deliver(kr, jp, [revoked])
    assert early.state is Reception.HELD
    [answer] = _deliver(kr, jp, [replaced])
    assert answer.state is Reception.APPLIED
    assert jp.state.received[("KR-KCS", old.number)].status is ReceivedStatus.REPLACED
    assert jp.state.received[("KR-KCS", old.number)].replaced_by == new.number
    assert jp.state.received[("KR-KCS", new.number)].status is ReceivedStatus.REVOKED


def test_a_tampered_certificate_is_kept_rejected_with_its_reasons_and_not_recorded(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    document = json.loads(json.dumps(sent.envelope.payload["document"]))
    jws = document["jws"].split(".")
    jws[2] = ("B" if jws[2][0] == "A" else "A") + jws[2][1:]
    document["jws"] = ".".join(jws)
    tampered = replace(sent.envelope, payload={**sent.envelope.payload, "document": document})
    [answer] = jp.receiver.deliver([kr.seal(tampered)])
    assert (answer.outcome, answer.state) == (Outcome.RECEIVED, Reception.REJECTED)
    assert any("signature" in r.render() for r in answer.reasons)
    assert jp.state.received == {}
    [ack] = _sent(jp, "ack")
    assert ack.envelope.payload["outcome"] == "rejected"
    assert any("signature" in r for r in ack.envelope.payload["reasons"])


def test_a_certificate_from_a_country_the_sender_does_not_speak_for_is_rejected(kr_jp, tmp_path):
    kr, jp = kr_jp
    # a Chinese node relays Korea's certificate: Japan holds Korea's key, but China is not Korea
    cn = _node(tmp_path, "CN-NODE", "CN", "CN-CCPIT")
    _trust(cn, jp)
    jp.partners.add(OPERATOR, _partner("CN-NODE", "CN"))
    _issue(kr)
    [sent] = _sent(kr)
    relayed = replace(sent.envelope, sender="CN-NODE")
    [answer] = jp.receiver.deliver([cn.seal(relayed)])
    assert answer.state is Reception.REJECTED
    assert "CN-NODE speaks for CN" in answer.reasons[0].render()
    assert jp.state.received == {}


def test_a_type_the_link_does_not_carry_is_rejected(kr_jp):
    kr, jp = kr_jp
    jp.partners.update(OPERATOR, "KR-NODE", _partner("KR-NODE", "KR", ["certificate.revoked"]))
    _issue(kr)
    [answer] = _deliver(kr, jp, _sent(kr))
    assert answer.state is Reception.REJECTED
    assert "not exchanged with KR-NODE" in answer.reasons[0].render()


def test_what_is_not_kept_says_whether_sending_it_again_can_help(kr_jp, tmp_path):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    # stale: another attempt, signed at a current time, will do
    [stale] = _deliver(kr, jp, [sent], NOW - timedelta(minutes=6))
    assert (stale.outcome, stale.final) == (Outcome.REFUSED, False)
    # a stranger: not kept, nothing told about the node's partners beyond that
    stranger = _node(tmp_path, "XX-NODE", "FR", "FR-DOUANE")
    [unknown] = jp.receiver.deliver([stranger.seal(replace(sent.envelope, sender="XX-NODE"))])
    assert (unknown.outcome, unknown.final) == (Outcome.REFUSED, False)
    assert "not a partner" in unknown.reasons[0].render()
    # a payload its type does not allow can never be taken
    bad = replace(sent.envelope, id="msg_bad", payload={**sent.envelope.payload, "extra": 1})
    [refused] = jp.receiver.deliver([kr.seal(bad)])
    assert (refused.outcome, refused.final) == (Outcome.REFUSED, True)
    assert jp.state.inbox == {}
    assert [a.outcome for a in jp.receiver.deliver(["not a token"])] == [Outcome.REFUSED]


def test_a_document_that_is_not_the_certificate_the_message_names_is_rejected(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    _deliver(kr, jp, [sent])
    # the same number again, under a new message id, with another signed document
    other = _issue(kr)
    payload = {**sent.envelope.payload, "document": other.signed}
    again = replace(sent.envelope, id="msg_again", sequence=2, payload=payload)
    [answer] = jp.receiver.deliver([kr.seal(again)])
    assert answer.state is Reception.REJECTED
    assert "not the one the message names" in answer.reasons[0].render()


def test_a_node_without_an_id_or_a_delivery_too_large_is_refused_whole(kr_jp):
    _, jp = kr_jp
    with pytest.raises(InvalidInput):
        jp.receiver.deliver(["x"] * (MAX_BATCH + 1))
    jp.receiver._node = None
    with pytest.raises(DomainError, match="no node id"):
        jp.receiver.deliver(["x"])


def test_a_chain_of_replacements_is_applied_in_order_whatever_order_it_arrives_in(kr_jp):
    kr, jp = kr_jp
    a = _issue(kr)
    b = kr.certificates.replace(OPERATOR, a.id, APPLICATION, "typo", "Lee", "Busan")
    c = kr.certificates.replace(OPERATOR, b.id, APPLICATION, "another typo", "Lee", "Busan")
    issued, a_to_b, b_to_c = _sent(kr)
    _deliver(kr, jp, [issued])
    [early] = _deliver(kr, jp, [b_to_c])  # B's replacement overtakes the one that brings B
    assert early.state is Reception.HELD
    _deliver(kr, jp, [a_to_b])
    statuses = {n: (r.status, r.replaced_by) for (_, n), r in jp.state.received.items()}
    assert statuses == {
        a.number: (ReceivedStatus.REPLACED, b.number),
        b.number: (ReceivedStatus.REPLACED, c.number),
        c.number: (ReceivedStatus.ISSUED, None),
    }


def test_a_certificate_whose_key_is_not_here_yet_is_not_kept_and_taken_when_it_is(tmp_path):
    kr = _node(tmp_path, "KR-NODE", "KR", "KR-KCS")
    jp = _node(tmp_path, "JP-NODE", "JP", "JP-CUSTOMS")
    # Japan holds Korea's node key, not yet its issuing authority's
    node_only = {"keys": [k for k in kr.keys.export()["keys"] if k["kid"] == kr.node_key.kid]}
    jp.keys.import_trust(json.dumps(node_only), "kr-node.jwks")
    jp.partners.add(OPERATOR, _partner("KR-NODE", "KR"))
    kr.partners.add(OPERATOR, _partner("JP-NODE", "JP"))
    issued = _issue(kr)
    [answer] = _deliver(kr, jp, _sent(kr))
    assert (answer.outcome, answer.final) == (Outcome.REFUSED, False)  # delivered again later
    assert "no key in the trust list" in answer.reasons[0].render()
    assert jp.state.inbox == {}
    jp.keys.import_trust(json.dumps(kr.keys.export()), "kr.jwks")
    [again] = _deliver(kr, jp, _sent(kr))
    assert (again.outcome, again.state) == (Outcome.RECEIVED, Reception.APPLIED)
    assert ("KR-KCS", issued.number) in jp.state.received


def test_a_certificate_issued_on_a_day_the_receivers_zone_has_not_reached_is_taken(kr_jp):
    kr, jp = kr_jp
    jp.receiver._zone = zone("Pacific/Pago_Pago")  # UTC-11: still 1 June there
    issued = _issue(kr)  # 2 June in Seoul
    [answer] = _deliver(kr, jp, _sent(kr))
    assert answer.state is Reception.APPLIED, [r.render() for r in answer.reasons]
    assert jp.state.received[("KR-KCS", issued.number)].issued_on == date(2026, 6, 2)


def test_a_message_far_ahead_or_a_document_too_large_is_refused(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    ahead = replace(sent.envelope, sequence=5000)
    [answer] = jp.receiver.deliver([kr.seal(ahead)])
    assert (answer.outcome, answer.final) == (Outcome.REFUSED, False)
    assert "ahead of the next" in answer.reasons[0].render()
    document = {**sent.envelope.payload["document"], "padding": "x" * 300_000}
    large = replace(
        sent.envelope, id="msg_large", payload={**sent.envelope.payload, "document": document}
    )
    [answer] = jp.receiver.deliver([kr.seal(large)])
    assert (answer.outcome, answer.final) == (Outcome.REFUSED, True)
    assert "at most 256 kB" in answer.reasons[0].render()
    assert jp.state.inbox == {}


def test_a_delivery_of_several_keeps_their_order_whatever_can_be_taken_together(kr_jp):
    kr, jp = kr_jp
    issued = _issue(kr)
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    first, second = _sent(kr)
    # the revocation comes first in the delivery: held, then applied once the issue is
    answers = jp.receiver.deliver([kr.seal(second.envelope), kr.seal(first.envelope)])
    assert [(a.outcome, a.state) for a in answers] == [
        (Outcome.HELD, Reception.HELD),
        (Outcome.RECEIVED, Reception.APPLIED),
    ]
    assert jp.state.received[("KR-KCS", issued.number)].status is ReceivedStatus.REVOKED
    # two acknowledgements together are both recorded on the messages they answer
    acks = _sent(jp, "ack")
    answers = kr.receiver.deliver([jp.seal(a.envelope) for a in acks])
    assert [a.state for a in answers] == [Reception.APPLIED, Reception.APPLIED]
    assert {o.ack_outcome for o in _sent(kr)} == {"accepted"}


def test_one_id_used_twice_in_a_delivery_is_taken_as_one_at_a_time_would(kr_jp):
    kr, jp = kr_jp
    _issue(kr)
    [sent] = _sent(kr)
    ack = Envelope(
        sent.envelope.id,
        "ack",
        1,
        "KR-NODE",
        "JP-NODE",
        NOW,
        {"of": "msg_x", "outcome": "accepted"},
    )
    answers = jp.receiver.deliver([kr.seal(ack), kr.seal(sent.envelope)])
    assert answers[0].state is Reception.REJECTED  # the ack came first: it holds the id
    assert (answers[1].outcome, answers[1].final) == (Outcome.REFUSED, True)
    assert jp.state.received == {}
