"""The seal a printed certificate carries in its QR code, so a phone can check it offline.

The seal is a compact JWS, signed with the key that signed the certificate, over
four claims: the number (`n`), the issuing authority (`a`), the issue date
(`d`) and the SHA-256 of the signed certificate's payload (`h`, base64url). The
QR code holds the verification URL, which names the authority and the number,
with the seal after `#` (a fragment: browsers do not send it to the server). It
must fit in 400 characters so that it still scans from a printed page.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import orjson

from opencustoms.kernel.errors import N_, DomainError, Finding, InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import PublicKey
from opencustoms.trust.signing import open_token, opened_signature_valid, sign

MAX_QR = 400


def claims(number: str, authority: str, issued: date, payload: bytes) -> dict[str, str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(payload).digest()).rstrip(b"=")
    return {"n": number, "a": authority, "d": issued.isoformat(), "h": digest.decode("ascii")}


def make_seal(values: dict[str, str], key: PublicKey, private_pem: bytes, passphrase: str) -> str:
    # no typ: every character counts in the QR code, and the claims' shape ({n, a, d, h}
    # exactly) already tells a seal from a certificate, whose payload is a whole certificate
    return sign(canonical_bytes(values), key, private_pem, passphrase, typ=None)


def qr_text(public_url: str, authority: str, number: str, seal: str) -> str:
    """The QR code's content: the verification URL with the seal as its fragment."""
    base = public_url.rstrip("/")
    text = f"{base}/verify/{quote(authority, safe='')}/{quote(number, safe='')}#{seal}"
    if len(text) > MAX_QR:
        raise DomainError(
            Finding(
                "certificate.qr_too_long",
                N_(
                    "The QR code would hold %(length)s characters, more than %(max)s: shorten OPENCUSTOMS_PUBLIC_URL, the authority's id or the number format."
                ),
                {"length": len(text), "max": MAX_QR},
            )
        )
    return text


@dataclass(frozen=True, slots=True)
class SealCheck:
    valid: bool
    reason: str  # a message template (N_), filled with `params`
    params: dict[str, Any]
    claims: dict[str, str] | None = None

    def render(self, translate: Any = None) -> str:
        template = translate(self.reason) if translate else self.reason
        return template % self.params if self.params else template


def check_seal(seal: str, trust: dict[str, PublicKey]) -> SealCheck:
    """Whether a seal is intact and signed by a trusted key of the authority it names."""
    try:
        opened = open_token(seal)
        values = orjson.loads(opened.payload)
    except (InvalidInput, ValueError):
        return SealCheck(False, N_("the seal is not readable"), {})
    if "typ" in opened.header or not _well_formed(values):
        return SealCheck(False, N_("the seal is not readable"), {})
    key = trust.get(opened.kid)
    if key is None:
        return SealCheck(
            False, N_("no key in the trust list has the id %(kid)s"), {"kid": opened.kid[:90]}
        )
    if not opened_signature_valid(opened, key) or key.authority != values["a"]:
        return SealCheck(
            False, N_("the seal is not %(authority)s's signature"), {"authority": values["a"][:40]}
        )
    return SealCheck(
        True,
        N_("the seal of %(authority)s is intact: certificate %(number)s of %(day)s"),
        {"authority": values["a"], "number": values["n"], "day": values["d"]},
        values,
    )


def _well_formed(values: Any) -> bool:
    return (
        isinstance(values, dict)
        and set(values) == {"n", "a", "d", "h"}
        and all(isinstance(v, str) for v in values.values())
    )
