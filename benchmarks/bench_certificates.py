"""Certificates: how fast a signed certificate is verified, and how fast one is issued.

Goals (issue 5): verify at least 5,000 signed 5-item certificates per second per
core, at most 1.5x the bare signature check (structure, readable copy, signature,
issuer, key standing, validity and the form's rules, all included); issue
(validate, canonicalise, sign, store) at least 500 per second, on SQLite and on
PostgreSQL.

Verification is measured against the bare check of the signature it makes
(libsodium's Ed25519, through PyNaCl), and against OpenSSL's for comparison.
Issuing is measured through `CertificateService` on a freshly migrated database of
each engine (a temporary SQLite file; a PostgreSQL database of its own, dropped
afterwards, on the server at OPENCUSTOMS_BENCH_POSTGRES_URL, by default the local
one): one application after another (`issue`), in batches as an officer clears a
queue (`issue_many`), and in batches on a node with a partner node in the import
country, so that each issue also records its message in the outbox. The
applications are made first and not counted.
Each figure is the best of three rounds.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.bench_trust import bare_check_seconds
from benchmarks.rows import row, skipped
from opencustoms import bootstrap
from opencustoms.accounts.service import OPERATOR
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.signed import sign_certificate, verify
from opencustoms.kernel.dates import FixedClock
from opencustoms.settings import Settings
from opencustoms.store.db import make_engine, upgrade
from opencustoms.trust.keys import Algorithm, generate

PASS = "benchmark passphrase"
SAMPLE = Path(__file__).parents[1] / "tests" / "fixtures" / "certificates" / "rcep-kr-jp.json"
POSTGRES_ADMIN_URL = os.environ.get(
    "OPENCUSTOMS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ISSUE_GOAL = 500  # per second
BATCH = 50  # applications issued together, as an officer clears a queue
JAPAN = {
    "node": "JP-NODE",
    "country": "JP",
    "name": "Japan Customs",
    "url": "http://127.0.0.1:9",
    "links": [{"agreement": "rcep"}],
}
# what only the issuing body fills in: an application leaves these out
GIVEN_AT_ISSUE = {"number", "certification", "issue_date", "issue_place", "replaces"}


def run(quick: bool = False) -> list[dict[str, Any]]:
    return verify_rows(quick) + issue_rows(quick)


def verify_rows(quick: bool) -> list[dict[str, Any]]:
    key, pem = generate(
        "KR-KCS-1", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], date(2026, 1, 1), PASS
    )
    forms = shipped_forms()
    cert = read_certificate(json.loads(SAMPLE.read_text(encoding="utf-8")))
    assert len(cert.items) == 5
    document = json.dumps(sign_certificate(cert, forms[cert.form], key, pem, PASS))
    trust = {key.kid: key}
    at = date(2026, 7, 1)
    n = 500 if quick else 5_000

    token = json.loads(document)["jws"]
    bare = best(lambda: bare_check_seconds(key, token, n))
    openssl = best(lambda: bare_check_seconds(key, token, n, "openssl"))

    def full_verification() -> float:
        started = time.perf_counter()
        for _ in range(n):
            assert verify(document, at, trust, forms).valid
        return time.perf_counter() - started

    full = best(full_verification)
    return [
        row("certificates.bare_ed25519_check", n, bare, "libsodium's Ed25519 check alone"),
        row(
            "certificates.bare_ed25519_check.openssl",
            n,
            openssl,
            "OpenSSL's (cryptography's) Ed25519 check alone, for comparison",
        ),
        row(
            "certificates.verify",
            n,
            full,
            f"signed 5-item RCEP certificate, every check; {full / bare:.2f}x the bare check "
            f"it makes ({full / openssl:.2f}x OpenSSL's); goal >= 5,000/s, aim < 1.5x",
        ),
    ]


def best(measure: Callable[[], float], rounds: int = 3) -> float:
    """The fastest of a few rounds: what the code costs, less what other work on the machine
    took from it (as `timeit` advises)."""
    return min(measure() for _ in range(rounds))


def issue_rows(quick: bool) -> list[dict[str, Any]]:
    n = 100 if quick else 500
    out: list[dict[str, Any]] = []
    for engine in ("sqlite", "postgresql"):
        for batch, exchanging in ((1, False), (BATCH, False), (BATCH, True)):
            name = f"certificates.issue.{engine}" + ("" if batch == 1 else f".batch{batch}")
            name += ".to_partner" if exchanging else ""
            with ExitStack() as stack:
                try:
                    url = stack.enter_context(_fresh_database(engine))
                except Exception as e:  # no server, no rights: say so, and measure the rest
                    out.append(skipped(name, f"{type(e).__name__}: {e}"))
                    continue
                seconds = _issue_seconds(url, n, batch, exchanging)
            how = (
                "one after another"
                if batch == 1
                else f"{batch} at a time (`cert issue ID...`, one transaction each)"
            )
            if exchanging:
                how += ", each also recorded in the outbox for the importing country's node"
            out.append(
                row(
                    name,
                    n,
                    seconds,
                    f"{how}; validate, number, canonicalise, sign, seal, store with history "
                    f"and audit; goal >= {ISSUE_GOAL:,}/s",
                )
            )
    return out


def _issue_seconds(url: str, n: int, batch: int, exchanging: bool = False) -> float:
    """How long `n` issues take through the service on the database at `url`, `batch` at
    a time (the best of three rounds); `exchanging`: this node (KR-NODE) has a partner
    node in the import country (Japan), so each issue also writes its message."""
    application = read_certificate(
        {
            k: v
            for k, v in json.loads(SAMPLE.read_text(encoding="utf-8")).items()
            if k not in GIVEN_AT_ISSUE
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=url,
            data_dir=Path(folder),
            key_passphrase=SecretStr(PASS),
            log_json=True,
            node_id="KR-NODE" if exchanging else None,
        )
        # the sample ships on 2026-06-03; issued the day before, it is not retroactive
        services = bootstrap.build(settings, FixedClock(datetime(2026, 6, 2, 3, tzinfo=UTC)))
        try:
            authority = f"KR-B{uuid.uuid4().hex[:8]}"  # a fresh number sequence each time
            services.keys.create(
                authority, "KR", ["rcep"], Algorithm.ED25519, date(2026, 1, 1), PASS
            )
            if exchanging:
                services.partners.add(OPERATOR, JAPAN)
            certificates = services.certificates
            mine = replace(application, issuing_authority=authority)

            def one_round() -> float:
                ids = [certificates.apply(OPERATOR, mine).id for _ in range(n)]
                started = time.perf_counter()
                if batch == 1:
                    for record_id in ids:
                        certificates.issue(OPERATOR, record_id, "Lee Seo-yeon", "Busan")
                else:
                    for at in range(0, n, batch):
                        certificates.issue_many(
                            OPERATOR, ids[at : at + batch], "Lee Seo-yeon", "Busan"
                        )
                return time.perf_counter() - started

            return best(one_round)
        finally:
            services.close()


@contextmanager
def _fresh_database(engine: str) -> Iterator[str]:
    """A freshly migrated database: a temporary SQLite file, or a PostgreSQL database of
    its own, dropped afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrated(url)
            yield url
        return
    admin_url = make_url(POSTGRES_ADMIN_URL)
    name = f"bench_certs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            _migrated(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
