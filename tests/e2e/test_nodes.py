"""Two nodes as processes (`opencustoms node serve --config node.toml`), each with its own
database, on loopback: a certificate issued in Korea arrives verified in Japan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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


@pytest.fixture(params=ENGINES)
def two_nodes(request, tmp_path) -> Iterator[dict[str, bootstrap.Services]]:
    urls, processes, services = {}, [], {}
    ports = {node: _free_port() for node, _, _ in NODES}
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
                    f'port = {ports[node]}\npublic_url = "http://127.0.0.1:{ports[node]}"\n'
                    'log_level = "WARNING"\n'
                )
                settings = Settings(
                    database_url=db, data_dir=home, node_id=node, key_passphrase=SecretStr(PASS)
                )
                svc = services[node] = bootstrap.build(settings)
                day = datetime.now(UTC).date() - timedelta(days=1)
                svc.keys.create(authority, country, ["rcep"], Algorithm.ED25519, day, PASS)
                svc.keys.create(node, country, ["exchange"], Algorithm.ED25519, day, PASS)
                urls[node] = f"http://127.0.0.1:{ports[node]}"
                env = {**os.environ, "OPENCUSTOMS_KEY_PASSPHRASE": PASS, "OPENCUSTOMS_CONFIG": ""}
                log = (home / "node.log").open("w")
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "opencustoms.cli",
                            "node",
                            "serve",
                            "--config",
                            config,
                        ],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
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
            for node, url in urls.items():
                _wait(lambda url=url: _up(url), f"{node} to serve")
            yield services
        finally:
            for p in processes:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
            for svc in services.values():
                svc.close()


def test_a_certificate_issued_in_korea_arrives_verified_in_japan(two_nodes):
    kr, jp = two_nodes["KR-NODE"], two_nodes["JP-NODE"]
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
