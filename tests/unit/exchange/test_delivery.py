"""Delivering the outbox: retries with backoff and jitter, dead letters, order per
certificate, leases, and the worker's reading of the receiver's answers."""

import base64
import json
from dataclasses import replace
from datetime import timedelta

import httpx2
import pytest

from opencustoms.exchange.delivery import RetryPolicy, attempted, redriven
from opencustoms.exchange.outbox import Delivery
from opencustoms.exchange.worker import DeliveryWorker
from opencustoms.kernel.dates import FixedClock
from opencustoms.presenters import answer
from tests.unit.exchange.test_receiving import NOW, OPERATOR, _issue, _sent


def test_backoff_doubles_to_its_cap_less_up_to_half_at_random():
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=1), cap=timedelta(seconds=10))
    assert [policy.delay(n, 0.0).total_seconds() for n in range(1, 6)] == [1, 2, 4, 8, 10]
    assert policy.delay(3, 0.999).total_seconds() == pytest.approx(2.002)
    assert policy.delay(10_000, 0.0) == timedelta(seconds=10)  # no overflow however many
    with pytest.raises(ValueError, match="attempts >= 1"):
        RetryPolicy(max_attempts=0)


def test_an_attempt_delivers_retries_or_gives_up(kr_jp):
    kr, _ = kr_jp
    _issue(kr)
    [message] = _sent(kr)
    policy = RetryPolicy(max_attempts=3)
    failed = attempted(message, NOW, policy, 0.0, error="connection refused")
    assert (failed.state, failed.attempts, failed.last_error) == (
        Delivery.PENDING,
        1,
        "connection refused",
    )
    assert failed.next_attempt_at == NOW + timedelta(seconds=1)
    again = attempted(failed, NOW, policy, 0.0, error="timeout")
    assert again.next_attempt_at == NOW + timedelta(seconds=2)
    dead = attempted(again, NOW, policy, 0.0, error="timeout")
    assert (dead.state, dead.attempts) == (Delivery.DEAD, 3)
    assert attempted(message, NOW, policy, 0.0, final=True, error="bad").state is Delivery.DEAD
    done = attempted(failed, NOW, policy, 0.0, delivered=True)
    assert (done.state, done.delivered_at, done.last_error) == (Delivery.DELIVERED, NOW, None)
    back = redriven(dead, NOW + timedelta(hours=1))
    assert (back.state, back.attempts, back.next_attempt_at) == (
        Delivery.PENDING,
        0,
        NOW + timedelta(hours=1),
    )


class Network:
    """Japan's node behind a mock transport: up or down, counting the posts."""

    def __init__(self, receiver):
        self.receiver = receiver
        self.up = True
        self.posts = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if not self.up:
            raise httpx2.ConnectError("connection refused", request=request)
        tokens = json.loads(request.content)["messages"]
        self.posts.append((str(request.url), len(tokens)))
        results = [answer(a) for a in self.receiver.deliver(tokens)]
        return httpx2.Response(200, json={"results": results})


def _worker(kr, network, clock, **kwargs):
    from opencustoms.testing.fakes import FakeUnitOfWork

    uow = lambda: FakeUnitOfWork(kr.state)  # noqa: E731
    client = httpx2.Client(transport=httpx2.MockTransport(network))
    return DeliveryWorker(uow, clock, kr.seal, client, draw=lambda: 0.0, **kwargs)


def test_the_worker_delivers_in_order_retries_while_the_partner_is_down_and_drains(kr_jp):
    kr, jp = kr_jp
    clock = FixedClock(NOW)
    network = Network(jp.receiver)
    worker = _worker(kr, network, clock)
    issued = _issue(kr)
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    network.up = False
    assert worker.run_once() == 1  # the revocation waits for the issue before it
    [first, second] = _sent(kr)
    assert (first.attempts, first.state) == (1, Delivery.PENDING)
    assert "connection refused" in first.last_error
    assert second.attempts == 0
    assert worker.run_once() == 0  # not due again yet
    network.up = True
    clock.advance(timedelta(seconds=1))
    assert worker.run_once() == 1
    assert worker.run_once() == 1
    assert [o.state for o in _sent(kr)] == [Delivery.DELIVERED, Delivery.DELIVERED]
    assert network.posts == [("http://127.0.0.1:9/exchange/v1/messages", 1)] * 2
    held = jp.state.received[("KR-KCS", issued.number)]
    assert held.status.value == "revoked"


def test_a_refusal_for_good_is_dead_at_once_and_holds_back_its_successors(kr_jp):
    kr, jp = kr_jp
    clock = FixedClock(NOW)
    worker = _worker(kr, Network(jp.receiver), clock)
    # Japan no longer exchanges with Korea: its node does not know the sender
    jp.partners.deactivate(OPERATOR, "KR-NODE")
    issued = _issue(kr)
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    assert worker.run_once() == 1
    [first, second] = _sent(kr)
    assert "not a partner" in first.last_error
    assert first.state is Delivery.PENDING  # a partner may come back: retried, not final
    # a message refused for good (its payload, an unknown type) is dead at once
    payload = {**first.envelope.payload, "extra": 1}
    kr.state.outbox[0] = replace(first, envelope=replace(first.envelope, payload=payload))
    jp.partners.activate(OPERATOR, "KR-NODE")
    clock.advance(timedelta(seconds=5))
    worker.run_once()
    [first, second] = _sent(kr)
    assert first.state is Delivery.DEAD
    assert "not a field of certificate.issued" in first.last_error
    # the revocation is never sent past the dead message about its certificate
    clock.advance(timedelta(hours=1))
    assert worker.run_once() == 0
    assert (second.state, second.attempts) == (Delivery.PENDING, 0)


def test_a_lease_keeps_a_message_from_a_second_worker_until_it_runs_out(kr_jp):
    from opencustoms.testing.fakes import FakeUnitOfWork

    kr, _ = kr_jp
    _issue(kr)
    later = NOW + timedelta(seconds=30)
    with FakeUnitOfWork(kr.state) as uow:
        assert len(uow.outbox.claim(NOW, later, "claim_a", 10)) == 1
        uow.commit()
    with FakeUnitOfWork(kr.state) as uow:
        assert uow.outbox.claim(NOW, later, "claim_b", 10) == []  # leased to a
        [taken] = uow.outbox.claim(
            later + timedelta(seconds=1), later + timedelta(minutes=1), "claim_b", 10
        )
        uow.commit()
    with FakeUnitOfWork(kr.state) as uow:
        done = attempted(taken, later, RetryPolicy(), 0.0, delivered=True)
        assert not uow.outbox.settle(done, "claim_a")  # a's lease ran out: b holds it
        assert uow.outbox.settle(done, "claim_b")


def test_the_node_signs_with_the_key_valid_on_the_day_receivers_check(kr_jp):
    from datetime import UTC, date, datetime

    from opencustoms.exchange.envelope import receive
    from opencustoms.exchange.node import NodeSigner
    from opencustoms.exchange.partners import node_keys

    kr, jp = kr_jp
    new = kr.keys.rotate("KR-NODE", date(2026, 6, 3), "correct horse battery")
    jp.keys.import_trust(json.dumps(kr.keys.export()), "kr.jwks")
    # 20:00 UTC on 2 June is already 3 June in Seoul: receivers read the UTC day
    clock = FixedClock(datetime(2026, 6, 2, 20, 0, tzinfo=UTC))
    signer = NodeSigner("KR-NODE", kr.keys, clock, lambda: "correct horse battery")
    _issue(kr)
    [message] = _sent(kr)
    token = signer(message.envelope)
    partner = jp.partners.get(OPERATOR, "KR-NODE")
    keys = {"KR-NODE": node_keys(partner, jp.state.keys.values())}
    got = receive(token, "JP-NODE", clock.now(), keys, lambda s, i: False)
    assert got.accepted, [p.render() for p in got.problems]
    assert _kid(token) == kr.node_key.kid
    clock.advance(timedelta(hours=5))  # 3 June in UTC too: the new key
    signer._current = None
    assert _kid(signer(message.envelope)) == new.kid


def _kid(token: str) -> str:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
