"""Compact JWS over canonical bytes: sign, open, and check a signature.

The protected header names the algorithm and the key (`kid`); the payload is
the signed document's canonical bytes (see `canonical.py`). Opening a token
checks its structure and reads the header and payload as received; checking
the signature uses the key the trust list holds for that `kid`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.trust.keys import Algorithm, PublicKey, public_key
from opencustoms.trust.keys import private_key as open_private_key

TYPE = "application/opencustoms+jws"  # the header's typ: what kind of object this is


def sign(payload: bytes, key: PublicKey, private_pem: bytes, passphrase: str) -> str:
    """The compact JWS of `payload`, signed with the key's private half."""
    private = open_private_key(private_pem, passphrase, key.algorithm)
    header = {"alg": key.algorithm.value, "kid": key.kid, "typ": TYPE}
    return jws.serialize_compact(header, payload, private, algorithms=[key.algorithm.value])


@dataclass(frozen=True, slots=True)
class Opened:
    header: dict[str, Any]
    payload: bytes  # exactly as received: parse these, never a re-canonicalised copy
    kid: str
    algorithm: Algorithm


def open_token(token: str) -> Opened:
    """The header and payload of a compact JWS, or why it is not one."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise _bad(N_("a compact JWS has three dot-separated parts"))
    try:
        header = json.loads(b64url_decode(parts[0]))
        payload = b64url_decode(parts[1])
        b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        raise _bad(N_("a part is not base64url-encoded JSON")) from None
    if not isinstance(header, dict) or not isinstance(header.get("kid"), str):
        raise _bad(N_("the protected header names no key (kid)"))
    try:
        algorithm = Algorithm(str(header.get("alg")))
    except ValueError:
        raise _bad(N_("the algorithm is not one opencustoms accepts (Ed25519, ES256)")) from None
    return Opened(header, payload, header["kid"], algorithm)


def signature_valid(token: str, key: PublicKey) -> bool:
    """Whether the signature over the token's header and payload is the key's."""
    try:
        jws.deserialize_compact(token.strip(), public_key(key), algorithms=[key.algorithm.value])
    except (JoseError, ValueError):
        return False
    return True


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _bad(reason: str) -> InvalidInput:
    return InvalidInput.of("trust.bad_jws", reason, field="jws")
