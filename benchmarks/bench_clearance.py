"""Lodging declarations through the API: validated and assessed, on PostgreSQL.

Goals (issue 7): with 16 connections for 60 seconds from a separate load generator, at
least 250 declarations a second lodged, p99 under 100 ms; batch lodging at least 1,500
declarations a second. One `opencustoms node serve` process on loopback with a database
of its own (created and dropped here); an importer lodges its own declarations with its
API token. Each declaration has one item assessed at the WTO rate (no preference claimed,
so no certificate is matched).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2

from benchmarks.bench_exchange import _database, _free_port, _node, _percentile
from benchmarks.rows import row, skipped
from opencustoms import bootstrap
from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.accounts.service import OPERATOR
from opencustoms.kernel.countries import Country
from opencustoms.settings import Settings

RATE_GOAL, P99_GOAL_MS, BATCH_GOAL = 250, 100, 1500
CONNECTIONS = 16
BATCH = 1000


def run(quick: bool = False) -> list[dict[str, Any]]:
    seconds = 10 if quick else 60
    batches = 2 if quick else 10
    with ExitStack() as stack:
        try:
            database = stack.enter_context(_database())
        except Exception as e:  # no server, no rights: say so
            return [skipped("clearance.lodging.postgresql", f"{type(e).__name__}: {e}")]
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        port = _free_port()
        (home / "node.toml").write_text(
            f'node_id = "KR-NODE"\ndatabase_url = "{database}"\ndata_dir = "{home}"\n'
            f'port = {port}\nlog_level = "WARNING"\noffice_timezone = "Asia/Seoul"\n',
            encoding="utf-8",
        )
        svc = bootstrap.build(Settings(database_url=database, data_dir=home))
        org, _ = svc.accounts.create_organisation(
            OPERATOR, "Bench Imports", OrgKind.IMPORTER, Country("KR")
        )
        account, _ = svc.accounts.create_account(OPERATOR, org.id, "bench", [Role.IMPORTER])
        token = svc.accounts.issue_token(OPERATOR, account.id)[1]
        svc.close()
        stack.enter_context(_node(home, f"http://127.0.0.1:{port}"))
        url = f"http://127.0.0.1:{port}"
        single = _generate(url, token, org.id, "single", seconds)
        batch = _generate(url, token, org.id, "batch", batches)
    rate = single["count"] / single["seconds"]
    latencies = sorted(single["latencies"])
    p50, p90, p99 = (_percentile(latencies, q) for q in (0.5, 0.9, 0.99))
    return [
        row(
            "clearance.lodging.postgresql",
            single["count"],
            single["seconds"],
            f"{CONNECTIONS} connections for {seconds} s, each declaration validated and "
            f"assessed: {rate:.0f}/s (goal >= {RATE_GOAL}), p50 {p50:.0f} ms, p90 {p90:.0f} ms, "
            f"p99 {p99:.0f} ms (goal < {P99_GOAL_MS}); {single['refused']} refused",
        ),
        row(
            "clearance.batch_lodging.postgresql",
            batch["count"],
            batch["seconds"],
            f"batches of {BATCH} through /api/v1/declarations/batch: "
            f"{batch['count'] / batch['seconds']:.0f}/s (goal >= {BATCH_GOAL}); "
            f"{batch['refused']} refused",
        ),
    ]


def _generate(url: str, token: str, importer: str, mode: str, amount: int) -> dict[str, Any]:
    """The load generator in its own process; its measurements."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_clearance", "--generate", mode, str(amount)],
        env={**os.environ, "BENCH_URL": url, "BENCH_TOKEN": token, "BENCH_IMPORTER": importer},
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return json.loads(done.stdout)


def _declaration(importer: str, number: str) -> dict[str, Any]:
    return {
        "reference": number,
        "date": "2021-02-01",
        "office": "30",
        "declarant": importer,
        "importer": importer,
        "seller": "BENCHSELLER",
        "transport_mode": "10",
        "items": [
            {
                "hs_code": "3926909000",
                "rate_type": "C",
                "price": "1000000",
                "currency": "KRW",
                "incoterm": "CIF",
                "net_mass": "12",
                "origin": "CN",
                "departure": "CN",
            }
        ],
    }


def _single(url: str, token: str, importer: str, seconds: int) -> dict[str, Any]:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    refused = 0
    lock = threading.Lock()

    def worker(n: int) -> None:
        nonlocal refused
        headers = {"Authorization": f"Bearer {token}"}
        with httpx2.Client(base_url=url, headers=headers, timeout=30) as client:
            i = 0
            while time.monotonic() < stop:
                i += 1
                started = time.perf_counter()
                r = client.post("/api/v1/declarations", json=_declaration(importer, f"B{n}-{i}"))
                took = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(took)
                    refused += r.status_code != 201

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {"count": len(latencies), "seconds": elapsed, "latencies": latencies, "refused": refused}


def _batches(url: str, token: str, importer: str, count: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    lodged = refused = 0
    with httpx2.Client(base_url=url, headers=headers, timeout=120) as client:
        started = time.monotonic()
        for b in range(count):
            body = {"declarations": [_declaration(importer, f"T{b}-{i}") for i in range(BATCH)]}
            answers = client.post("/api/v1/declarations/batch", json=body).json()
            lodged += sum(1 for a in answers if a["lodged"])
            refused += sum(1 for a in answers if not a["lodged"])
        elapsed = time.monotonic() - started
    return {"count": lodged, "seconds": elapsed, "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generate", nargs=2, metavar=("MODE", "AMOUNT"), required=True)
    args = parser.parse_args()
    mode, amount = args.generate[0], int(args.generate[1])
    url, token, importer = (os.environ[k] for k in ("BENCH_URL", "BENCH_TOKEN", "BENCH_IMPORTER"))
    result = (
        _single(url, token, importer, amount)
        if mode == "single"
        else _batches(url, token, importer, amount)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
