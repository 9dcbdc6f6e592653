"""Compact JWS over canonical bytes: sign, open, and check a signature.

The protected header names the algorithm and the key (`kid`); the payload is
the signed document's canonical bytes (see `canonical.py`). Opening a token
checks its structure and reads the header and payload as received; checking
the signature uses the key the trust list holds for that `kid`.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import (
    ECDSA,
    EllipticCurvePrivateKey,
    EllipticCurvePublicKey,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc.jwk import ECKey, OKPKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.trust.keys import Algorithm, PublicKey, public_key
from opencustoms.trust.keys import private_key as open_private_key

TYPE = "application/opencustoms+jws"  # the header's typ: what kind of object this is


def sign(
    payload: bytes,
    key: PublicKey,
    private_pem: bytes,
    passphrase: str,
    typ: str | None = TYPE,
) -> str:
    """The compact JWS of `payload`, signed with the key's private half.

    Signed with `cryptography`'s key directly (RFC 7515's signing input; for
    ES256 the raw r||s of RFC 7518 section 3.4), as `opened_signature_valid`
    checks it: an issuing node signs every certificate and its seal, and the JWS
    library's layers cost more than the signature. `typ=None` leaves the header's
    typ out (a seal, where every character of the QR code counts).
    """
    private = opened_private_key(private_pem, passphrase, key.algorithm).get_op_key("sign")
    header: dict[str, str] = {"alg": key.algorithm.value, "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    signing_input = f"{b64url_encode(orjson.dumps(header))}.{b64url_encode(payload)}"
    message = signing_input.encode("ascii")
    if isinstance(private, Ed25519PrivateKey):
        signature = private.sign(message)
    elif isinstance(private, EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(message, ECDSA(SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:  # keys are made and imported as Ed25519 or P-256 only
        raise TypeError(f"cannot sign with a {type(private).__name__}")
    return f"{signing_input}.{b64url_encode(signature)}"


@lru_cache(maxsize=16)
def opened_private_key(private_pem: bytes, passphrase: str, algorithm: Algorithm) -> OKPKey | ECKey:
    """The private key from its encrypted PEM, opened once for each PEM and passphrase.

    Opening it (the PEM's key derivation, then the import) costs several
    signatures, and an issuing node signs with the same key all day. The opened
    key is kept in this process's memory only, under the PEM and passphrase that
    opened it (which the process holds anyway); the key stays encrypted at rest.
    Only a caller with both gets it: another passphrase or PEM is another entry,
    opened (or refused) the long way, and a refusal is not kept.
    """
    return open_private_key(private_pem, passphrase, algorithm)


@dataclass(frozen=True, slots=True)
class Opened:
    header: dict[str, Any]
    payload: bytes  # exactly as received: parse these, never a re-canonicalised copy
    kid: str
    algorithm: Algorithm
    signing_input: bytes = b""  # RFC 7515's "header.payload", as received
    signature: bytes = b""


def open_token(token: str, expected: bytes | None = None) -> Opened:
    """The header and payload of a compact JWS, or why it is not one.

    `expected`: the payload the caller thinks the token carries (a signed
    document's readable copy, say). When the token's payload part is exactly its
    base64url encoding, `expected` is the payload, and is not decoded again:
    encoding costs a third of decoding. Either way the payload is the bytes received.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise _bad(N_("a compact JWS has three dot-separated parts"))
    try:
        header = orjson.loads(b64url_decode(parts[0]))
        if expected is not None and parts[1] == b64url_encode(expected):
            payload = expected
        else:
            payload = b64url_decode(parts[1])
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        raise _bad(N_("a part is not base64url-encoded JSON")) from None
    if b64url_encode(signature) != parts[2]:
        # base64 leaves slack (unused bits, padding, stray characters): one signature, one text
        raise _bad(N_("the signature is not written as RFC 7515 base64url"))
    if not isinstance(header, dict) or not isinstance(header.get("kid"), str):
        raise _bad(N_("the protected header names no key (kid)"))
    if "crit" in header:  # RFC 7515 4.1.11: extensions a recipient must understand; we know none
        raise _bad(N_("the protected header asks for extensions (crit) opencustoms does not know"))
    alg = header.get("alg")
    algorithm = _ALGORITHMS.get(alg) if isinstance(alg, str) else None
    if algorithm is None:
        raise _bad(N_("the algorithm is not one opencustoms accepts (Ed25519, ES256)"))
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return Opened(header, payload, header["kid"], algorithm, signing_input, signature)


def signature_valid(token: str, key: PublicKey) -> bool:
    """Whether the signature over the token's header and payload is the key's.

    The check runs on the key directly (RFC 7515's signing input; RFC 7518
    section 3.4's raw r||s for ES256; Ed25519 by libsodium): a node verifies thousands of
    certificates a second, and the JWS library's second parse of the token would
    cost as much as the signature itself. The header's algorithm must be the key's.
    """
    try:
        opened = open_token(token)
    except InvalidInput:
        return False
    return opened_signature_valid(opened, key)


def opened_signature_valid(opened: Opened, key: PublicKey) -> bool:
    """`signature_valid` for a token already opened."""
    if opened.algorithm is not key.algorithm or opened.kid != key.kid:
        return False  # never let a token choose how, or by which key, it is checked
    message, signature = opened.signing_input, opened.signature
    verifier, edwards = _verifier(key)
    try:
        if edwards:
            if len(signature) != 64:
                return False
            crypto_sign_open(signature + message, verifier)  # libsodium's Ed25519 check
        elif isinstance(verifier, EllipticCurvePublicKey) and len(signature) == 64:
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            verifier.verify(encode_dss_signature(r, s), message, ECDSA(SHA256()))
        else:
            return False
    except (InvalidSignature, BadSignatureError):
        return False
    return True


_VERIFIERS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, bool]] = {}


def _verifier(key: PublicKey) -> tuple[Any, bool]:
    """What checks a trust-list key's signatures, built once, and whether it is an Ed25519
    key: for Ed25519 its 32 raw bytes, checked by libsodium (PyNaCl), which does it in
    about 60% of OpenSSL's time; for ES256 `cryptography`'s public key."""
    # the members as the trust list gives them; the same key in another order is built twice
    ident = (key.kid, tuple(key.jwk.items()))
    found = _VERIFIERS.get(ident)
    if found is None:
        if len(_VERIFIERS) > 10_000:  # a bound, for a node that meets very many keys
            _VERIFIERS.clear()
        verifier = public_key(key).get_op_key("verify")
        if isinstance(verifier, Ed25519PublicKey):
            found = (verifier.public_bytes(Encoding.Raw, PublicFormat.Raw), True)
        else:
            found = (verifier, False)
        _VERIFIERS[ident] = found
    return found


_ALGORITHMS = {a.value: a for a in Algorithm}
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url_decode(part: str) -> bytes:
    # `base64.urlsafe_b64decode`, without its layers of Python: the same (lenient) reading,
    # and ValueError for text beyond ASCII
    if "+" in part or "/" in part or "=" in part:  # base64, not JWS base64url (RFC 7515, 2)
        raise ValueError("not base64url")
    padded = part.encode("ascii") + b"=" * (-len(part) % 4)
    # strict: a character outside the alphabet is an error, not skipped
    return binascii.a2b_base64(padded.translate(_FROM_URLSAFE), strict_mode=True)


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, as JWS writes it (RFC 7515, section 2)."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE, b"=").decode("ascii")


def _bad(reason: str) -> InvalidInput:
    return InvalidInput.of("trust.bad_jws", reason, field="jws")
