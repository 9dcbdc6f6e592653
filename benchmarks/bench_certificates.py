"""Certificates: how fast a signed certificate is verified, and how fast one is issued.

Goals (issue 5): verify at least 5,000 signed 5-item certificates per second per
core, at most 1.5x the bare signature check (structure, readable copy, signature,
issuer, key standing, validity and the form's rules, all included); issue
(validate, canonicalise, sign, store) at least 500 per second.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.bench_trust import bare_check_seconds
from benchmarks.rows import row
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.signed import sign_certificate, verify
from opencustoms.trust.keys import Algorithm, generate

PASS = "benchmark passphrase"
SAMPLE = Path(__file__).parents[1] / "tests" / "fixtures" / "certificates" / "rcep-kr-jp.json"


def run(quick: bool = False) -> list[dict[str, Any]]:
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

    bare = bare_check_seconds(key, json.loads(document)["jws"], n)

    started = time.perf_counter()
    for _ in range(n):
        assert verify(document, at, trust, forms).valid
    full = time.perf_counter() - started
    return [
        row("certificates.bare_ed25519_check", n, bare, "cryptography's Ed25519 verify alone"),
        row(
            "certificates.verify",
            n,
            full,
            f"signed 5-item RCEP certificate, every check; {full / bare:.2f}x the bare check; "
            "goal >= 5,000/s, < 1.5x",
        ),
    ]
