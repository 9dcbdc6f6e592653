"""Idempotent writes: the same Idempotency-Key gives the same answer, once.

A client that retries a write after a lost response sends the same key; the
stored answer is returned and nothing is written twice. Reusing a key for a
different request is refused, since the client has a bug and would otherwise
get an answer to a question it did not ask.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opencustoms.kernel.errors import N_, Conflict, InvalidInput

MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class StoredResponse:
    scope: str  # who may replay it: the account id
    key: str
    fingerprint: str  # method, path and body of the first request
    status: int
    body: dict[str, Any]
    created_at: datetime


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    k = key.strip()
    if not k or len(k) > MAX_KEY_LENGTH or not k.isprintable():
        raise InvalidInput.of(
            "idempotency.bad_key",
            N_("The Idempotency-Key header must be 1 to %(max)s printable characters."),
            field="Idempotency-Key",
            max=MAX_KEY_LENGTH,
        )
    return k


def replay(stored: StoredResponse, request_fingerprint: str) -> StoredResponse:
    if stored.fingerprint != request_fingerprint:
        raise Conflict.of(
            "idempotency.key_reused",
            N_(
                "Idempotency-Key '%(key)s' was already used for a different request; "
                "use a new key for a new request."
            ),
            field="Idempotency-Key",
            key=stored.key[:64],
        )
    return stored
