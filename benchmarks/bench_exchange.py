"""The exchange between two nodes, end to end: issued in Korea, verified and kept in Japan.

Goals (issue 6), on PostgreSQL: at least 300 certificates a second delivered and verified
end to end (envelopes batched); at 50 a second, 99% arrive verified within 200 ms of
issue. Two `opencustoms node serve` processes on loopback, each with a database of its
own on the server at OPENCUSTOMS_BENCH_POSTGRES_URL (created and dropped here); the load
generator is a third process (this module run with `--generate`), which issues in
Korea's database as an officer would, in batches for the rate, one at a time for the
latency. A certificate's latency is the time Japan's node recorded it received less the
time Korea's node recorded it issued (one machine, one clock). The end-to-end time per
certificate is compared with the bare verification of one certificate.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from pydantic import SecretStr
from sqlalchemy import func, select

from benchmarks.bench_certificates import _fresh_database
from benchmarks.rows import row, skipped
from opencustoms import bootstrap
from opencustoms.accounts.service import OPERATOR
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.signed import verify
from opencustoms.settings import Settings
from opencustoms.store import tables as t
from opencustoms.store.db import make_engine
from opencustoms.trust.keys import Algorithm

PASS = "benchmark passphrase"
SAMPLE = Path(__file__).parents[1] / "tests" / "fixtures" / "certificates" / "rcep-kr-jp.json"
POSTGRES_ADMIN_URL = os.environ.get(
    "OPENCUSTOMS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NODES = (("KR-NODE", "KR", "KR-KCS"), ("JP-NODE", "JP", "JP-CUSTOMS"))
RATE_GOAL, LATENCY_GOAL_MS, LATENCY_RATE = 300, 200, 50
BATCH = 50
GIVEN_AT_ISSUE = {"number", "certification", "issue_date", "issue_place", "replaces"}


def run(quick: bool = False) -> list[dict[str, Any]]:
    n_rate = 600 if quick else 3_000
    seconds_at_50 = 4 if quick else 20
    with ExitStack() as stack:
        try:
            kr_db = stack.enter_context(_database())
            jp_db = stack.enter_context(_database())
        except Exception as e:  # no server, no rights: say so
            why = f"{type(e).__name__}: {e}"
            return [skipped("exchange.end_to_end.postgresql", why)]
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        kr_settings = _set_up(folder, kr_db, jp_db)
        for node, url in zip(("KR-NODE", "JP-NODE"), (kr_db, jp_db), strict=True):
            stack.enter_context(_node(folder / node, url))
        received_before = _count(jp_db)
        started = _generate(kr_settings, "rate", n_rate)  # when the first issue began
        _wait_for(jp_db, received_before + n_rate, timeout=600)
        elapsed = time.time() - started

        since = datetime.now(UTC)
        _generate(kr_settings, "paced", seconds_at_50 * LATENCY_RATE)
        latencies = _latencies(kr_db, jp_db, since, seconds_at_50 * LATENCY_RATE)
    bare = _bare_verify_seconds()
    per_certificate = elapsed / n_rate
    p50, p90, p99 = (_percentile(latencies, q) for q in (0.5, 0.9, 0.99))
    within = sum(1 for x in latencies if x <= LATENCY_GOAL_MS) / len(latencies)
    return [
        row(
            "exchange.end_to_end.postgresql",
            n_rate,
            elapsed,
            f"issued in batches of {BATCH} in Korea, delivered, verified and kept in Japan; "
            f"{per_certificate / bare:.0f}x the bare verification of one "
            f"({bare * 1e6:.0f} µs); goal >= {RATE_GOAL}/s",
        ),
        row(
            "exchange.latency_at_50_per_second",
            len(latencies),
            sum(latencies) / 1000,
            f"issue to verified in Japan: p50 {p50:.0f} ms, p90 {p90:.0f} ms, p99 {p99:.0f} ms; "
            f"{within:.1%} within {LATENCY_GOAL_MS} ms (goal: 99%)",
        ),
    ]


# -- the two nodes -----------------------------------------------------------------------


def _database() -> Any:
    """A PostgreSQL database of its own, migrated, dropped afterwards."""
    return _fresh_database("postgresql")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _set_up(folder: Path, kr_db: str, jp_db: str) -> dict[str, str]:
    """Keys, trust lists, partners and settings files for both nodes; Korea's settings."""
    ports = {node: _free_port() for node, _, _ in NODES}
    urls = {node: f"http://127.0.0.1:{port}" for node, port in ports.items()}
    services = {}
    day = datetime.now(UTC).date() - timedelta(days=1)
    for (node, country, authority), db in zip(NODES, (kr_db, jp_db), strict=True):
        home = folder / node
        home.mkdir()
        (home / "node.toml").write_text(
            f'node_id = "{node}"\ndatabase_url = "{db}"\ndata_dir = "{home}"\n'
            f'port = {ports[node]}\npublic_url = "{urls[node]}"\nlog_level = "WARNING"\n'
            'office_timezone = "UTC"\n',
            encoding="utf-8",
        )
        settings = Settings(
            database_url=db,
            data_dir=home,
            node_id=node,
            key_passphrase=SecretStr(PASS),
            office_timezone="UTC",
        )
        svc = services[node] = bootstrap.build(settings)
        svc.keys.create(authority, country, ["rcep"], Algorithm.ED25519, day, PASS)
        svc.keys.create(node, country, ["exchange"], Algorithm.ED25519, day, PASS)
    for a, b in (("KR-NODE", "JP-NODE"), ("JP-NODE", "KR-NODE")):
        services[b].keys.import_trust(json.dumps(services[a].keys.export()), a)
        services[a].partners.add(
            OPERATOR,
            {
                "node": b,
                "country": b[:2],
                "name": b,
                "url": urls[b],
                "links": [{"agreement": "rcep"}],
            },
        )
    for svc in services.values():
        svc.close()
    return {"database_url": kr_db, "data_dir": str(folder / "KR-NODE")}


@contextmanager
def _node(home: Path, url: str) -> Iterator[None]:
    env = {**os.environ, "OPENCUSTOMS_KEY_PASSPHRASE": PASS, "OPENCUSTOMS_CONFIG": ""}
    config = home / "node.toml"
    with (home / "node.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "opencustoms.cli", "node", "serve", "--config", str(config)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            port = next(
                line.split("=")[1].strip()
                for line in config.read_text().splitlines()
                if line.startswith("port")
            )
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    if health.status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"node at {home} did not start")
                time.sleep(0.1)
            yield
        finally:
            process.terminate()
            process.wait(timeout=20)


# -- the load generator (its own process) -----------------------------------------------


def _generate(kr: dict[str, str], mode: str, count: int) -> float:
    """Run the load generator; the wall-clock time its first issue began."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_exchange", "--generate", mode, str(count)],
        env={
            **os.environ,
            "OPENCUSTOMS_DATABASE_URL": kr["database_url"],
            "OPENCUSTOMS_DATA_DIR": kr["data_dir"],
            "OPENCUSTOMS_NODE_ID": "KR-NODE",
            "OPENCUSTOMS_KEY_PASSPHRASE": PASS,
            "OPENCUSTOMS_OFFICE_TIMEZONE": "UTC",
            "OPENCUSTOMS_CONFIG": "",
        },
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def generate(mode: str, count: int) -> None:
    """Issue `count` certificates in Korea: as fast as batches go ("rate"), or one every
    1/50 s ("paced"). The applications are made first and not timed."""
    svc = bootstrap.build()
    try:
        data = json.loads(SAMPLE.read_text(encoding="utf-8"))
        today = svc.certificates.today().isoformat()
        data = {k: v for k, v in data.items() if k not in GIVEN_AT_ISSUE}
        data["transport"]["departure_date"] = today
        application = read_certificate(data)
        ids = [svc.certificates.apply(OPERATOR, application).id for _ in range(count)]
        print(time.time(), flush=True)  # the measure starts here (read by the benchmark)
        if mode == "rate":
            for i in range(0, count, BATCH):
                svc.certificates.issue_many(OPERATOR, ids[i : i + BATCH], "Lee", "Busan")
            return
        interval = 1 / LATENCY_RATE
        next_at = time.perf_counter()
        for record_id in ids:
            next_at += interval
            svc.certificates.issue(OPERATOR, record_id, "Lee", "Busan")
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
    finally:
        svc.close()


# -- measuring ---------------------------------------------------------------------------


def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(t.received_certificates)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def _wait_for(url: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _count(url) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {_count(url)} of {count} certificates arrived")
        time.sleep(0.02)


def _latencies(kr_db: str, jp_db: str, since: datetime, count: int) -> list[float]:
    """Per certificate issued since `since`: Japan's time received less Korea's time issued."""
    deadline = time.monotonic() + 120
    kr, jp = make_engine(kr_db), make_engine(jp_db)
    try:
        while True:
            with kr.connect() as conn:
                issued = dict(
                    conn.execute(
                        select(t.certificates.c.number, t.certificates.c.issued_at).where(
                            t.certificates.c.issued_at >= since
                        )
                    ).all()
                )
            with jp.connect() as conn:
                received = dict(
                    conn.execute(
                        select(
                            t.received_certificates.c.number,
                            t.received_certificates.c.received_at,
                        ).where(t.received_certificates.c.number.in_(list(issued)))
                    ).all()
                )
            if len(received) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        kr.dispose()
        jp.dispose()
    return sorted((received[n] - issued[n]).total_seconds() * 1000 for n in received if n in issued)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def _bare_verify_seconds(n: int = 500) -> float:
    """One certificate's verification, every check, as the receiving node makes it."""
    from opencustoms.certificates.signed import sign_certificate
    from opencustoms.trust.keys import generate as generate_key

    key, pem = generate_key(
        "KR-KCS-1", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], datetime(2026, 1, 1).date(), PASS
    )
    forms = shipped_forms()
    cert = read_certificate(json.loads(SAMPLE.read_text(encoding="utf-8")))
    document = sign_certificate(cert, forms[cert.form], key, pem, PASS)
    at = cert.issue_date or datetime(2026, 7, 1).date()
    started = time.perf_counter()
    for _ in range(n):
        verify(document, at, {key.kid: key}, forms)
    return (time.perf_counter() - started) / n


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--generate", nargs=2, metavar=("MODE", "COUNT"), required=True)
    args = parser.parse_args()
    generate(args.generate[0], int(args.generate[1]))
