"""Two nodes as processes (`opencustoms node serve --config node.toml`), each with its own
database, on loopback: a certificate issued in Korea arrives verified in Japan."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from pydantic import SecretStr

from opencustoms import bootstrap
from opencustoms.accounts.service import OPERATOR
from opencustoms.exchange.outbox import Delivery
from opencustoms.settings import Settings
from opencustoms.trust.keys import Algorithm
from tests.conftest import ENGINES, fresh_database
from tests.e2e.conftest import _free_port
from tests.samples import APPLICATION

pytestmark = pytest.mark.e2e
PASS = "a long operator passphrase"
NODES = (("KR-NODE", "KR", "KR-KCS"), ("JP-NODE", "JP", "JP-CUSTOMS"))


def _wait(check, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _up(url: str) -> bool:
    try:
        return httpx2.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx2.TransportError:
        return False


class NodeProcess:
    """`opencustoms node serve --config` for one node: started, killed (-9), restarted."""

    def __init__(self, config: Path, log: Path, url: str) -> None:
        self.config, self.log, self.url = config, log, url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "OPENCUSTOMS_KEY_PASSPHRASE": PASS, "OPENCUSTOMS_CONFIG": ""}
        with self.log.open("a") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "opencustoms.cli", "node", "serve", "--config", self.config],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        _wait(lambda: _up(self.url), f"{self.config} to serve")

    def kill(self) -> None:
        """As a crash would: no shutdown, no commit of what was in flight."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class TwoNodes:
    services: dict[str, bootstrap.Services]
    processes: dict[str, NodeProcess]


@pytest.fixture(params=ENGINES)
def two_nodes(request, tmp_path) -> Iterator[TwoNodes]:
    services: dict[str, bootstrap.Services] = {}
    processes: dict[str, NodeProcess] = {}
    ports = {node: _free_port() for node, _, _ in NODES}
    urls = {node: f"http://127.0.0.1:{port}" for node, port in ports.items()}
    for home in ("kr", "jp"):
        (tmp_path / home).mkdir()
    with (
        fresh_database(request.param, request, (tmp_path / "kr").resolve()) as kr_db,
        fresh_database(request.param, request, (tmp_path / "jp").resolve()) as jp_db,
    ):
        try:
            for (node, country, authority), db in zip(NODES, (kr_db, jp_db), strict=True):
                home = tmp_path / country.lower()
                config = home / "node.toml"
                config.write_text(
                    f'node_id = "{node}"\ndatabase_url = "{db}"\ndata_dir = "{home}"\n'
                    f'port = {ports[node]}\npublic_url = "{urls[node]}"\nlog_level = "WARNING"\n'
                    "delivery_lease_seconds = 5\n"
                )
                settings = Settings(
                    database_url=db, data_dir=home, node_id=node, key_passphrase=SecretStr(PASS)
                )
                svc = services[node] = bootstrap.build(settings)
                day = datetime.now(UTC).date() - timedelta(days=1)
                svc.keys.create(authority, country, ["rcep"], Algorithm.ED25519, day, PASS)
                svc.keys.create(node, country, ["exchange"], Algorithm.ED25519, day, PASS)
                processes[node] = NodeProcess(config, home / "node.log", urls[node])
            kr, jp = services["KR-NODE"], services["JP-NODE"]
            for (a, sa), (b, sb) in (
                (("KR-NODE", kr), ("JP-NODE", jp)),
                (("JP-NODE", jp), ("KR-NODE", kr)),
            ):
                sb.keys.import_trust(json.dumps(sa.keys.export()), a)
                sa.partners.add(
                    OPERATOR,
                    {
                        "node": b,
                        "country": b[:2],
                        "name": b,
                        "url": urls[b],
                        "links": [{"agreement": "rcep"}],
                    },
                )
            for process in processes.values():
                process.start()
            yield TwoNodes(services, processes)
        finally:
            for process in processes.values():
                process.stop()
            for svc in services.values():
                svc.close()


def test_a_certificate_issued_in_korea_arrives_verified_in_japan(two_nodes):
    kr, jp = two_nodes.services["KR-NODE"], two_nodes.services["JP-NODE"]
    applied = kr.certificates.apply(OPERATOR, APPLICATION)
    issued = kr.certificates.issue(OPERATOR, applied.id, "Lee Seo-yeon", "Busan")
    started = time.monotonic()

    def received() -> bool:
        with jp.uow() as uow:
            return uow.received.get("KR-KCS", issued.number or "") is not None

    _wait(received, "the certificate in Japan")
    took = time.monotonic() - started
    assert jp.certificates.verify(issued.signed, datetime.now(UTC).date()).valid

    def acknowledged() -> bool:
        with kr.uow() as uow:
            return any(i.envelope.type == "ack" for i in uow.inbox.all())

    _wait(acknowledged, "Japan's acknowledgement in Korea")
    with kr.uow() as uow:
        [sent] = uow.outbox.all()
    assert sent.state is Delivery.DELIVERED
    assert took < 20  # bounded by the wait; the benchmark measures the latency itself


@pytest.mark.parametrize("crash", ["sender", "receiver"])
def test_a_node_killed_mid_stream_loses_and_duplicates_nothing(two_nodes, crash):
    """kill -9 of one node while certificates stream, twice, at moments that vary; after
    each restart the stream goes on. In the end every certificate is in Japan once."""
    kr, jp = two_nodes.services["KR-NODE"], two_nodes.services["JP-NODE"]
    victim = two_nodes.processes["KR-NODE" if crash == "sender" else "JP-NODE"]
    rng = random.Random(7)
    numbers: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        for _ in range(24):
            applied = kr.certificates.apply(OPERATOR, APPLICATION)
            numbers.append(kr.certificates.issue(OPERATOR, applied.id, "Lee", "Busan").number or "")
            time.sleep(rng.uniform(0.0, 0.08))
        stop.set()

    issuing = threading.Thread(target=stream)
    issuing.start()
    for _ in range(2):
        time.sleep(rng.uniform(0.2, 0.9))
        victim.kill()
        time.sleep(rng.uniform(0.0, 0.5))
        victim.start()
    issuing.join(timeout=60)
    assert stop.is_set()

    def all_there() -> bool:
        with jp.uow() as uow:
            return len(uow.received.find(limit=1000)) == len(numbers)

    _wait(all_there, "every certificate in Japan", seconds=90)
    with jp.uow() as uow:
        held = uow.received.find(limit=1000)
        kept = [i for i in uow.inbox.all(limit=1000) if i.envelope.type == "certificate.issued"]
    assert sorted(r.number for r in held) == sorted(numbers)  # none lost
    # none duplicated: one kept message per certificate, applied once
    assert sorted(i.envelope.payload["number"] for i in kept) == sorted(numbers)
    assert {i.state.value for i in kept} == {"applied"}

    def all_delivered() -> bool:
        with kr.uow() as uow:
            return {o.state for o in uow.outbox.all(limit=1000)} == {Delivery.DELIVERED}

    _wait(all_delivered, "Korea's outbox to drain", seconds=60)


def _post(url: str, tokens: list[str]) -> list[dict]:
    r = httpx2.post(f"{url}/exchange/v1/messages", json={"messages": tokens}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_what_a_node_refuses_over_the_wire_and_what_it_keeps_once(two_nodes):
    from dataclasses import replace

    from opencustoms.exchange.envelope import seal_envelope
    from opencustoms.trust.keys import generate

    kr, jp = two_nodes.services["KR-NODE"], two_nodes.services["JP-NODE"]
    jp_url = two_nodes.processes["JP-NODE"].url
    # Korea's worker is pointed nowhere, so this test alone delivers, in the order it likes
    kr.partners.update(
        OPERATOR,
        "JP-NODE",
        {"node": "JP-NODE", "country": "JP", "name": "JP", "url": "http://127.0.0.1:9",
         "links": [{"agreement": "rcep"}]},
    )  # fmt: skip
    applied = kr.certificates.apply(OPERATOR, APPLICATION)
    issued = kr.certificates.issue(OPERATOR, applied.id, "Lee", "Busan")
    kr.certificates.revoke(OPERATOR, issued.id, "issued in error")
    with kr.uow() as uow:
        first, second = sorted(uow.outbox.all(), key=lambda o: o.envelope.sequence or 0)
    sign = kr.signer
    assert sign is not None
    # out of order: the revocation is held, then both apply when the issue arrives
    [held] = _post(jp_url, [sign(second.envelope)])
    assert (held["outcome"], held["state"]) == ("held", "held")
    [applied_now] = _post(jp_url, [sign(first.envelope)])
    assert applied_now["state"] == "applied"
    with jp.uow() as uow:
        assert uow.received.get("KR-KCS", issued.number or "").status.value == "revoked"
    # delivered again, signed afresh: a duplicate, acknowledged, kept once
    [again] = _post(jp_url, [sign(first.envelope)])
    assert (again["outcome"], again["state"]) == ("duplicate", "applied")
    # tampered: the signature no longer matches
    token = sign(first.envelope)
    header, body, signature = token.split(".")
    tampered = f"{header}.{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    [refused] = _post(jp_url, [tampered])
    assert refused["outcome"] == "refused"
    assert "signature" in refused["reasons"][0]["message"]
    # an unknown sender, and a replay of an old attempt
    stranger, stranger_pem = generate(
        "XX-NODE-1",
        Algorithm.ED25519,
        "XX-NODE",
        "FR",
        ["exchange"],
        datetime(2026, 1, 1).date(),
        PASS,
    )
    forged = seal_envelope(
        replace(first.envelope, sender="XX-NODE", sent_at=datetime.now(UTC)),
        stranger,
        stranger_pem,
        PASS,
    )
    [unknown] = _post(jp_url, [forged])
    assert "not a partner" in unknown["reasons"][0]["message"]
    key = next(k for k in kr.keys.keys("KR-NODE"))
    old = replace(first.envelope, sent_at=datetime.now(UTC) - timedelta(minutes=6))
    [replayed] = _post(jp_url, [seal_envelope(old, key, kr.keys.private_pem(key.kid), PASS)])
    assert (replayed["outcome"], replayed["final"]) == ("refused", False)
    assert "stale, replayed" in replayed["reasons"][0]["message"]
    with jp.uow() as uow:
        assert len(uow.inbox.all()) == 2  # the two messages, each once


def test_a_rotated_node_key_signs_from_its_day_and_the_expired_one_is_refused(two_nodes):
    from dataclasses import replace

    from opencustoms.exchange.envelope import seal_envelope

    kr, jp = two_nodes.services["KR-NODE"], two_nodes.services["JP-NODE"]
    old = next(k for k in kr.keys.keys("KR-NODE"))
    new = kr.keys.rotate("KR-NODE", datetime.now(UTC).date(), PASS)
    jp.keys.import_trust(json.dumps(kr.keys.export()), "kr-rotated.jwks")
    two_nodes.processes["KR-NODE"].kill()  # restarted: it signs with the new key at once
    two_nodes.processes["KR-NODE"].start()
    applied = kr.certificates.apply(OPERATOR, APPLICATION)
    issued = kr.certificates.issue(OPERATOR, applied.id, "Lee", "Busan")

    def arrived() -> bool:
        with jp.uow() as uow:
            return uow.received.get("KR-KCS", issued.number or "") is not None

    _wait(arrived, "the certificate signed with the new node key")
    with kr.uow() as uow:
        [sent] = uow.outbox.all()
    resent = replace(sent.envelope, sent_at=datetime.now(UTC))
    late = seal_envelope(resent, old, kr.keys.private_pem(old.kid), PASS)
    [refused] = _post(two_nodes.processes["JP-NODE"].url, [late])
    assert "was not valid on" in refused["reasons"][0]["message"]
    assert new.kid != old.kid


def test_a_verification_request_past_its_day_is_alerted_on_both_sides(two_nodes):
    kr, jp = two_nodes.services["KR-NODE"], two_nodes.services["JP-NODE"]
    for svc, partner in ((kr, "JP-NODE"), (jp, "KR-NODE")):
        url = two_nodes.processes[partner].url
        svc.partners.update(
            OPERATOR,
            partner,
            {"node": partner, "country": partner[:2], "name": partner, "url": url,
             "links": [{"agreement": "rcep", "reply_days": 30}]},
        )  # fmt: skip
    applied = kr.certificates.apply(OPERATOR, APPLICATION)
    issued = kr.certificates.issue(OPERATOR, applied.id, "Lee", "Busan")

    def received() -> bool:
        with jp.uow() as uow:
            return uow.received.get("KR-KCS", issued.number or "") is not None

    _wait(received, "the certificate in Japan")
    asked = jp.exchange.request_verification(OPERATOR, "KR-KCS", issued.number or "", ["Origin?"])

    def asked_in_korea() -> bool:
        return any(c.id == asked.id for c in kr.exchange.verifications(OPERATOR))

    _wait(asked_in_korea, "the request in Korea")
    # a node whose clock is set 31 days on (a drill): the request is past its day
    for svc in (kr, jp):
        later = bootstrap.build(
            svc.settings.model_copy(update={"clock_offset_seconds": 31 * 86400})
        )
        try:
            [alert] = later.exchange.tick().overdue
            assert alert.id == asked.id
            assert later.exchange.tick().overdue == ()
        finally:
            later.close()
