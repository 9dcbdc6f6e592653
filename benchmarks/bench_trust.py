"""Signatures: how fast a signed document's signature is checked.

Goal (issue 5): verify at least 5,000 signed 5-item certificates per second per
core; full verification (structure, key standing, signature) at most 1.5x the
bare signature check. This measures the signature layer alone (the certificate
verifier builds on it): the bare Ed25519 check by libsodium (PyNaCl), as the
verifier makes it, and opening plus checking a compact JWS (`trust.signing`).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign_open

from benchmarks.rows import row
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import Algorithm, PublicKey, generate, public_key
from opencustoms.trust.signing import b64url_decode, sign, signature_valid

PASS = "benchmark passphrase"


def _certificate(items: int) -> dict[str, Any]:
    return {
        "number": "KR-KCS-2026-000001",
        "exporter": {"name": "Changwon Precision Co.", "address": "창원시 성산구", "country": "KR"},
        "importer": {"name": "Osaka Tools KK", "address": "大阪市", "country": "JP"},
        "items": [
            {
                "number": i + 1,
                "description": f"work holders, model {i}",
                "hs": "846620",
                "criterion": "CTC",
                "quantity": "100",
                "unit": "pce",
                "fob_value": "1050.00",
            }
            for i in range(items)
        ],
    }


def bare_check_seconds(key: PublicKey, token: str, n: int, library: str = "libsodium") -> float:
    """How long `n` bare Ed25519 checks of the token's signature take (no JWS, no JSON):
    by libsodium, as the verifier checks them, or by OpenSSL (`cryptography`), for
    comparison."""
    raw = public_key(key).get_op_key("verify")
    assert isinstance(raw, Ed25519PublicKey)
    head, body, sig = token.split(".")
    message, signature = f"{head}.{body}".encode(), b64url_decode(sig)
    if library == "openssl":
        started = time.perf_counter()
        for _ in range(n):
            raw.verify(signature, message)
        return time.perf_counter() - started
    public = raw.public_bytes(Encoding.Raw, PublicFormat.Raw)
    started = time.perf_counter()
    for _ in range(n):
        crypto_sign_open(signature + message, public)
    return time.perf_counter() - started


def run(quick: bool = False) -> list[dict[str, Any]]:
    key, pem = generate(
        "KR-KCS-1", Algorithm.ED25519, "KR-KCS", "KR", ["rcep"], date(2026, 1, 1), PASS
    )
    token = sign(canonical_bytes(_certificate(5)), key, pem, PASS)
    n = 500 if quick else 5_000
    bare = bare_check_seconds(key, token, n)
    started = time.perf_counter()
    for _ in range(n):
        assert signature_valid(token, key)
    full = time.perf_counter() - started
    return [
        row("trust.bare_ed25519_check", n, bare, "libsodium's Ed25519 check alone"),
        row(
            "trust.open_and_check_jws",
            n,
            full,
            f"5-item certificate; {full / bare:.2f}x the bare check; goal >= 5,000/s",
        ),
    ]
