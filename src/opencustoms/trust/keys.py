"""Signing keys of issuing authorities: algorithm, validity, revocation, and the trust list.

A key signs for the days it is valid. Rotation retires a key without making
what it signed invalid: a document verifies against the key that was valid on
its issue date. A key revoked as compromised at a moment T is different: what
it signed verifies only where a trusted record shows the document before T.

Private keys leave this module only as encrypted PKCS#8 (PEM, with the
operator's passphrase); they are never stored in clear and never logged.
The trust list is a JWKS whose entries carry the authority, its country, the
agreements it issues for, and the key's validity and revocation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, DomainError, Finding, InvalidInput


class Algorithm(StrEnum):
    ED25519 = "Ed25519"  # RFC 9864's fully specified name for EdDSA over Ed25519
    ES256 = "ES256"  # ECDSA over P-256 with SHA-256


@dataclass(frozen=True, slots=True)
class PublicKey:
    kid: str
    algorithm: Algorithm
    jwk: Mapping[str, str]  # the public members only (kty, crv, x, y)
    authority: str  # the issuing authority it signs for
    country: str  # ISO alpha-2
    agreements: tuple[str, ...]  # the agreements it may sign certificates under
    valid_from: date
    valid_to: date | None = None
    revoked_at: datetime | None = None  # revoked as compromised at this moment (UTC)
    revocation_reason: str | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class KeyStanding:
    ok: bool
    reason: str  # a message template (N_), filled with `params`
    params: dict[str, object] = field(default_factory=dict)

    def render(self, translate: Any = None) -> str:
        template = translate(self.reason) if translate else self.reason
        return template % self.params if self.params else template


def standing(key: PublicKey, issued_on: date, known_since: datetime | None) -> KeyStanding:
    """Whether the key may vouch for a document issued on `issued_on`.

    `known_since`: when a trusted record (this node's own issue, or a receipt
    through the exchange) first shows the document; None if there is none.
    """
    if not key.valid_on(issued_on):
        return KeyStanding(
            False,
            N_("key %(kid)s was not valid on the issue date %(day)s"),
            {"kid": key.kid, "day": issued_on.isoformat()},
        )
    if key.revoked_at is not None:
        when = key.revoked_at.isoformat()
        if known_since is not None and known_since < key.revoked_at:
            return KeyStanding(
                True,
                N_("key %(kid)s was revoked at %(when)s, after a trusted record of this document"),
                {"kid": key.kid, "when": when},
            )
        return KeyStanding(
            False,
            N_(
                "key %(kid)s was revoked as compromised at %(when)s, and no trusted record shows this document before then"
            ),
            {"kid": key.kid, "when": when},
        )
    return KeyStanding(
        True,
        N_("key %(kid)s was valid on the issue date %(day)s"),
        {"kid": key.kid, "day": issued_on.isoformat()},
    )


# Key ids and authority ids name files (the private key is KID.pem) and travel in
# trust lists: letters, digits and a few separators only, never a path
_KID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")
_AUTHORITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")


def check_ids(kid: str | None = None, authority: str | None = None) -> None:
    """Refuse a key id or authority id that could name a path or break a file name."""
    if kid is not None and (not _KID.fullmatch(kid) or ".." in kid):
        raise InvalidInput.of(
            "trust.bad_kid",
            N_("'%(value)s' is not a key id: letters, digits, '.', '_', ':' and '-', at most 80"),
            field="kid",
            value=kid[:90],
        )
    if authority is not None and not _AUTHORITY.fullmatch(authority):
        raise InvalidInput.of(
            "trust.bad_authority",
            N_(
                "'%(value)s' is not an authority id: letters, digits and '-', at most 40, e.g. KR-KCS"
            ),
            field="authority",
            value=authority[:50],
        )


def generate(
    kid: str,
    algorithm: Algorithm,
    authority: str,
    country: str,
    agreements: Iterable[str],
    valid_from: date,
    passphrase: str,
    valid_to: date | None = None,
) -> tuple[PublicKey, bytes]:
    """A new key pair: its public record, and the private key as encrypted PEM."""
    check_ids(kid, authority)
    if len(passphrase) < 12:
        raise InvalidInput.of(
            "trust.weak_passphrase",
            N_("The passphrase that protects private keys needs at least 12 characters."),
            field="passphrase",
        )
    private = (
        OKPKey.generate_key("Ed25519")
        if algorithm == Algorithm.ED25519
        else ECKey.generate_key("P-256")
    )
    public = PublicKey(
        kid=kid,
        algorithm=algorithm,
        jwk={k: str(v) for k, v in private.as_dict(private=False).items()},
        authority=authority,
        country=Country(country).alpha2,
        agreements=tuple(agreements),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    return public, private.as_pem(private=True, password=passphrase)


def private_key(pem: bytes, passphrase: str, algorithm: Algorithm) -> OKPKey | ECKey:
    """The private key from its encrypted PEM; a wrong passphrase is a clear error."""
    try:
        if algorithm == Algorithm.ED25519:
            return OKPKey.import_key(pem, password=passphrase)
        return ECKey.import_key(pem, password=passphrase)
    except (ValueError, TypeError, JoseError):
        raise InvalidInput.of(
            "trust.bad_private_key",
            N_("The private key cannot be opened: the passphrase is wrong or the file is damaged."),
            field="passphrase",
        ) from None


def public_key(key: PublicKey) -> OKPKey | ECKey:
    members: dict[str, str | list[str]] = dict(key.jwk)
    return OKPKey.import_key(members) if members.get("kty") == "OKP" else ECKey.import_key(members)


def revoked(key: PublicKey, at: datetime, reason: str) -> PublicKey:
    return replace(key, revoked_at=at, revocation_reason=reason)


# -- the trust list: a JWKS with the authority's facts on each key ------------------


def export_trust_list(keys: Iterable[PublicKey]) -> dict[str, Any]:
    return {"keys": [_entry(k) for k in sorted(keys, key=lambda k: k.kid)]}


def _entry(k: PublicKey) -> dict[str, Any]:
    entry: dict[str, Any] = {
        **k.jwk,
        "kid": k.kid,
        "alg": k.algorithm.value,
        "use": "sig",
        "authority": k.authority,
        "country": k.country,
        "agreements": list(k.agreements),
        "valid_from": k.valid_from.isoformat(),
        "valid_to": k.valid_to.isoformat() if k.valid_to else None,
    }
    if k.revoked_at is not None:
        entry["revoked_at"] = k.revoked_at.isoformat()
        entry["revocation_reason"] = k.revocation_reason
    return entry


def import_trust_list(text: str, source: str) -> list[PublicKey]:
    """Every key of a trust list, or every problem of it at once (nothing half-read)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(
            Finding(
                "trust.bad_json",
                N_("%(source)s, line %(line)s: not valid JSON (%(problem)s)"),
                {"source": source, "line": e.lineno, "problem": e.msg},
            )
        ) from None
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(
            Finding(
                "trust.not_a_jwks",
                N_("%(source)s: expected a JWKS, an object with a list of 'keys'."),
                {"source": source},
            )
        )
    found: list[PublicKey] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}, keys[{index}]"
        try:
            key = _read_entry(entry)
        except DomainError as e:
            problems.append(
                Finding(e.code, N_("%(where)s: %(detail)s"), {"where": where, "detail": e.finding})
            )
            continue
        if key.kid in seen:
            problems.append(
                Finding(
                    "trust.duplicate_kid",
                    N_("%(where)s: key id %(kid)s appears twice."),
                    {"where": where, "kid": key.kid},
                )
            )
        seen.add(key.kid)
        found.append(key)
    if problems:
        raise InvalidInput(*problems)
    return found


def _agreements(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InvalidInput.of(
            "trust.bad_agreements", N_('agreements is a list of agreement ids, e.g. ["rcep"]')
        )
    return tuple(value)


def _read_entry(entry: Any) -> PublicKey:
    if not isinstance(entry, dict):
        raise InvalidInput.of("trust.bad_entry", N_("expected an object"))
    missing = [
        k for k in ("kid", "alg", "kty", "authority", "country", "valid_from") if not entry.get(k)
    ]
    if missing:
        raise InvalidInput.of("trust.missing", N_("missing %(fields)s"), fields=", ".join(missing))
    try:
        algorithm = Algorithm(entry["alg"])
    except ValueError:
        raise InvalidInput.of(
            "trust.bad_alg",
            N_("'%(alg)s' is not an algorithm opencustoms accepts (Ed25519, ES256)"),
            alg=str(entry["alg"])[:16],
        ) from None
    members = {k: str(entry[k]) for k in ("kty", "crv", "x", "y") if k in entry}
    if "d" in entry:
        raise InvalidInput.of(
            "trust.private_in_list", N_("a trust list holds public keys only; remove 'd'")
        )
    try:
        valid_from = date.fromisoformat(entry["valid_from"])
        valid_to = date.fromisoformat(entry["valid_to"]) if entry.get("valid_to") else None
        revoked_at = (
            datetime.fromisoformat(entry["revoked_at"]) if entry.get("revoked_at") else None
        )
    except (TypeError, ValueError):
        raise InvalidInput.of(
            "trust.bad_date", N_("valid_from, valid_to and revoked_at are ISO 8601 dates")
        ) from None
    check_ids(str(entry["kid"]), str(entry["authority"]))
    key = PublicKey(
        kid=str(entry["kid"]),
        algorithm=algorithm,
        jwk=members,
        authority=str(entry["authority"]),
        country=Country(str(entry["country"])).alpha2,
        agreements=_agreements(entry.get("agreements")),
        valid_from=valid_from,
        valid_to=valid_to,
        revoked_at=revoked_at,
        revocation_reason=entry.get("revocation_reason"),
    )
    try:
        public_key(key)  # the members make a key of that type
    except (ValueError, TypeError, JoseError):
        raise InvalidInput.of(
            "trust.bad_key", N_("the key's members (kty, crv, x, y) do not make a public key")
        ) from None
    return key
