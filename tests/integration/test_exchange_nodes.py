"""Two nodes on loopback, each with its own database, on each engine: Korea issues, its
worker delivers over real HTTP, Japan verifies and records, and its acknowledgement comes
back; a partner down and back; concurrent claimants of one outbox."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
import uvicorn
from pydantic import SecretStr

from opencustoms import bootstrap
from opencustoms.accounts.service import OPERATOR
from opencustoms.asgi import create_app
from opencustoms.exchange.envelope import Envelope
from opencustoms.exchange.inbox import Reception
from opencustoms.exchange.outbox import Delivery, Outgoing
from opencustoms.kernel.dates import FixedClock
from opencustoms.settings import Settings
from opencustoms.store.db import make_engine
from opencustoms.store.repositories import uow_factory
from opencustoms.trust.keys import Algorithm
from tests.conftest import ENGINES, fresh_database
from tests.samples import APPLICATION

PASS = "a long operator passphrase"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A node's app served by uvicorn in a thread on a loopback port; stoppable, restartable."""

    def __init__(self, services: bootstrap.Services, port: int) -> None:
        self.services, self.port = services, port
        self.url = f"http://127.0.0.1:{port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.services), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the node on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
            self._server = None


@dataclass
class Node:
    id: str
    services: bootstrap.Services
    server: Server


@pytest.fixture(params=ENGINES)
def nodes(request, tmp_path) -> Iterator[tuple[Node, Node, FixedClock]]:
    (tmp_path / "kr").mkdir()
    (tmp_path / "jp").mkdir()
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    with (
        fresh_database(request.param, request, tmp_path / "kr") as kr_url,
        fresh_database(request.param, request, tmp_path / "jp") as jp_url,
    ):
        made: list[Node] = []
        try:
            for node, country, authority, url in (
                ("KR-NODE", "KR", "KR-KCS", kr_url),
                ("JP-NODE", "JP", "JP-CUSTOMS", jp_url),
            ):
                settings = Settings(
                    database_url=url,
                    data_dir=tmp_path / country.lower(),
                    node_id=node,
                    key_passphrase=SecretStr(PASS),
                    office_timezone="Asia/Seoul",
                )
                svc = bootstrap.build(settings, clock=clock)
                today = clock.now().date() - timedelta(days=1)
                svc.keys.create(authority, country, ["rcep"], Algorithm.ED25519, today, PASS)
                svc.keys.create(node, country, ["exchange"], Algorithm.ED25519, today, PASS)
                server = Server(svc, _free_port())
                server.start()
                made.append(Node(node, svc, server))
            kr, jp = made
            for a, b in ((kr, jp), (jp, kr)):
                b.services.keys.import_trust(json.dumps(a.services.keys.export()), a.id)
                a.services.partners.add(
                    OPERATOR,
                    {
                        "node": b.id,
                        "country": b.id[:2],
                        "name": b.id,
                        "url": b.server.url,
                        "links": [{"agreement": "rcep"}],
                    },
                )
            yield kr, jp, clock
        finally:
            for n in made:
                n.server.stop()
                n.services.close()


def _issue(node: Node):
    certificates = node.services.certificates
    applied = certificates.apply(OPERATOR, APPLICATION)
    return certificates.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")


def _outbox(node: Node) -> list[Outgoing]:
    with node.services.uow() as uow:
        return list(uow.outbox.all())


def test_a_certificate_issued_in_korea_arrives_verified_in_japan_and_is_acknowledged(nodes):
    kr, jp, clock = nodes
    issued = _issue(kr)
    with httpx2.Client(timeout=10) as client:
        assert kr.services.delivery_worker(client).run_once() == 1
        [sent] = _outbox(kr)
        assert (sent.state, sent.attempts) == (Delivery.DELIVERED, 1)
        # Japan holds it, verified: its verifier checks the status against that record
        verdict = jp.services.certificates.verify(issued.signed, clock.now().date())
        assert verdict.valid
        assert verdict.check("status").ok is True
        # and says so: an acknowledgement back to Korea, delivered by Japan's worker
        assert jp.services.delivery_worker(client).run_once() == 1
    with kr.services.uow() as uow:
        [ack] = uow.inbox.all()
    assert (ack.envelope.type, ack.envelope.payload["of"], ack.state) == (
        "ack",
        sent.envelope.id,
        Reception.APPLIED,
    )


def test_a_partner_down_gets_its_backlog_in_order_when_it_returns(nodes):
    kr, jp, clock = nodes
    jp.server.stop()
    issued = [_issue(kr) for _ in range(3)]
    kr.services.certificates.revoke(OPERATOR, issued[0].id, "issued in error")
    with httpx2.Client(timeout=5) as client:
        worker = kr.services.delivery_worker(client)
        assert worker.run_once() == 3  # the revocation waits behind its certificate's issue
        tried = [o for o in _outbox(kr) if o.attempts]
        assert sorted(o.envelope.type for o in tried) == ["certificate.issued"] * 3
        assert {o.state for o in _outbox(kr)} == {Delivery.PENDING}
        assert all("ConnectError" in (o.last_error or "") for o in tried)
        clock.advance(timedelta(minutes=2))
        worker.run_once()  # still down: the backoff grows
        jp.server.start()
        for _ in range(3):
            clock.advance(timedelta(minutes=5))
            worker.run_once()
    assert {o.state for o in _outbox(kr)} == {Delivery.DELIVERED}
    with jp.services.uow() as uow:
        statuses = {r.number: r.status.value for r in uow.received.find()}
    assert statuses == {
        issued[0].number: "revoked",
        issued[1].number: "issued",
        issued[2].number: "issued",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_claimants_never_hold_one_message(engine, request, tmp_path):
    now = datetime(2026, 6, 2, 3, 0, tzinfo=UTC)
    with fresh_database(engine, request, tmp_path) as url:
        db = make_engine(url)
        uow = uow_factory(db)
        payload = {"authority": "KR-KCS", "revoked_at": "2026-06-02T03:00:00Z"}
        with uow() as u:
            u.outbox.add_many(
                [
                    Outgoing(
                        Envelope(
                            f"msg_{i:03d}",
                            "certificate.revoked",
                            1,
                            "KR-NODE",
                            "JP-NODE",
                            now,
                            payload | {"number": f"N-{i}"},
                            None,
                            1,
                        ),
                        now,
                        now,
                    )
                    for i in range(120)
                ]
            )
            u.commit()
        taken: list[list[str]] = [[] for _ in range(4)]
        start = threading.Barrier(4)

        def claimant(n: int) -> None:
            start.wait()
            while True:
                with uow() as u:
                    got = u.outbox.claim(now, now + timedelta(minutes=1), f"claim_{n}", 7)
                    u.commit()
                if not got:
                    return
                taken[n] += [o.envelope.id for o in got]

        threads = [threading.Thread(target=claimant, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        db.dispose()
    every = [i for t in taken for i in t]
    assert sorted(every) == [f"msg_{i:03d}" for i in range(120)]  # each once, none lost


def test_every_message_type_travels_between_the_two_nodes(nodes):
    from datetime import date

    from opencustoms.certificates.lifecycle import EventKind

    kr, jp, _ = nodes
    for node in (kr, jp):  # the links agree a period to answer verification requests
        partner = "JP-NODE" if node is kr else "KR-NODE"
        node.services.partners.update(
            OPERATOR,
            partner,
            {
                "node": partner,
                "country": partner[:2],
                "name": partner,
                "url": (jp if node is kr else kr).server.url,
                "links": [{"agreement": "rcep", "reply_days": 60}],
            },
        )
    old = _issue(kr)
    new = kr.services.certificates.replace(OPERATOR, old.id, APPLICATION, "typo", "Lee", "Busan")
    kr.services.certificates.revoke(OPERATOR, new.id, "issued in error")
    with httpx2.Client(timeout=10) as client:
        kr_worker, jp_worker = (n.services.delivery_worker(client) for n in (kr, jp))

        def deliver_all() -> None:
            for _ in range(4):
                kr_worker.run_once()
                jp_worker.run_once()

        deliver_all()  # issued, replaced, revoked to Japan; its acks back
        exchange = jp.services.exchange
        exchange.send_utilization(OPERATOR, "KR-KCS", old.number, "applied", "JP-1", date.today())
        asked = exchange.request_verification(OPERATOR, "KR-KCS", new.number, ["Origin?"])
        deliver_all()
        [case] = kr.services.exchange.verifications(OPERATOR)
        kr.services.exchange.answer_verification(OPERATOR, case.id, "not_confirmed", ["no"])
        deliver_all()
    with jp.services.uow() as uow:
        statuses = {r.number: r.status.value for r in uow.received.find()}
    assert statuses == {old.number: "replaced", new.number: "revoked"}
    kinds = {
        o.envelope.type: o.ack_outcome
        for o in _outbox(kr)
        if o.envelope.type.startswith("certificate.")
    }
    assert kinds == {
        "certificate.issued": "accepted",
        "certificate.replaced": "accepted",
        "certificate.revoked": "accepted",
    }
    history = kr.services.certificates.history(OPERATOR, old.id)
    assert [e.details["outcome"] for e in history if e.kind == EventKind.UTILIZATION] == ["applied"]
    [answered] = exchange.verifications(OPERATOR)
    assert (answered.id, answered.outcome, answered.findings) == (
        asked.id,
        "not_confirmed",
        ("no",),
    )
    assert {o.state for n in (kr, jp) for o in _outbox(n)} == {Delivery.DELIVERED}


def test_messages_about_one_certificate_delivered_at_once_are_applied_in_order(nodes):
    kr, jp, _ = nodes
    issued = [_issue(kr) for _ in range(6)]
    for record in issued:
        kr.services.certificates.revoke(OPERATOR, record.id, "issued in error")
    by_number: dict[str, dict[int, Outgoing]] = {}
    for o in _outbox(kr):
        by_number.setdefault(o.envelope.payload["number"], {})[o.envelope.sequence or 0] = o
    sign = kr.services.signer
    assert sign is not None
    for messages in by_number.values():
        tokens = [sign(messages[1].envelope), sign(messages[2].envelope)]
        start = threading.Barrier(2)

        def post(token: str, start: threading.Barrier = start) -> None:
            start.wait()
            jp.services.receiver.deliver([token])

        threads = [threading.Thread(target=post, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    with jp.services.uow() as uow:
        statuses = {r.number: r.status.value for r in uow.received.find()}
    assert statuses == {r.number: "revoked" for r in issued}


def test_a_delivery_of_many_is_taken_together_with_the_same_outcomes(nodes):
    from dataclasses import replace as changed

    from opencustoms.exchange.inbox import Outcome

    kr, jp, _ = nodes
    issued = [_issue(kr) for _ in range(3)]
    kr.services.certificates.revoke(OPERATOR, issued[0].id, "issued in error")
    sent = {(o.envelope.type, o.envelope.payload["number"]): o for o in _outbox(kr)}
    sign = kr.services.signer
    assert sign is not None
    first = sent[("certificate.issued", issued[1].number)]
    messages = [
        sent[("certificate.issued", issued[0].number)],
        sent[("certificate.revoked", issued[0].number)],  # after its issue, in the same delivery
        first,
        first,  # the same message twice
        sent[("certificate.issued", issued[2].number)],
    ]
    answers = jp.services.receiver.deliver([sign(o.envelope) for o in messages])
    assert [(a.outcome, a.state.value if a.state else None) for a in answers] == [
        (Outcome.RECEIVED, "applied"),
        (Outcome.RECEIVED, "applied"),
        (Outcome.RECEIVED, "applied"),
        (Outcome.DUPLICATE, "applied"),
        (Outcome.RECEIVED, "applied"),
    ]
    with jp.services.uow() as uow:
        statuses = {r.number: r.status.value for r in uow.received.find()}
        acks = [o for o in uow.outbox.all() if o.envelope.type == "ack"]
    assert statuses == {
        issued[0].number: "revoked",
        issued[1].number: "issued",
        issued[2].number: "issued",
    }
    assert len(acks) == 4  # one per message applied, not per delivery of it
    jp_sign = jp.services.signer
    assert jp_sign is not None
    forged = changed(
        acks[0].envelope, id="msg_forged", payload={"of": "msg_none", "outcome": "accepted"}
    )
    answers = kr.services.receiver.deliver(
        [jp_sign(o.envelope) for o in acks] + [jp_sign(forged), jp_sign(acks[0].envelope)]
    )
    assert [a.state.value if a.state else None for a in answers] == ["applied"] * 4 + [
        "rejected",
        "applied",
    ]
    assert answers[-1].outcome is Outcome.DUPLICATE
    assert {o.ack_outcome for o in _outbox(kr)} == {"accepted"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_new_outgoing_message_wakes_a_waiting_worker_on_postgresql(engine, request, tmp_path):
    from opencustoms.store.repositories import outbox_waiter

    with fresh_database(engine, request, tmp_path) as url:
        db = make_engine(url)
        try:
            wait = outbox_waiter(db)
            if engine == "sqlite":
                assert wait is None  # the worker polls
                return
            assert wait is not None
            wait(0.01)  # listening from now on
            woken = threading.Event()

            def waiting() -> None:
                wait(60)  # ends at the notification, long before this
                woken.set()

            waiter = threading.Thread(target=waiting, daemon=True)
            waiter.start()
            now = datetime.now(UTC)
            payload = {"authority": "KR-KCS", "number": "N-1", "revoked_at": "2026-06-02T03:00:00Z"}
            envelope = Envelope(
                "msg_1", "certificate.revoked", 1, "KR-NODE", "JP-NODE", now, payload, None, 1
            )
            with uow_factory(db)() as uow:
                uow.outbox.add(Outgoing(envelope, now, now))
                uow.commit()
            waiter.join(timeout=30)
            assert woken.is_set()
        finally:
            db.dispose()
