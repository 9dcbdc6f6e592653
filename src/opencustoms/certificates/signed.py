"""The signed certificate, and its verification with every check and its reason.

A signed certificate travels as `{"certificate": {...}, "jws": "..."}`: the
compact JWS's payload is the certificate's canonical bytes (RFC 8785, text
NFC-normalised, amounts as decimal strings), and `certificate` is the same
payload, parsed, for people and tools that read it. Verification checks the
signature over the bytes it received and parses those; it never
re-canonicalises, so it costs little more than the signature check.

The checks, in order (`CHECKS`):

* structure — a readable document, a compact JWS, a certificate in its payload;
* copy — the readable copy is the signed payload, field for field;
* signature — a trusted key with the token's `kid` made this signature;
* issuer — that key's authority and country issued it, for this agreement;
* key — the key was valid on the issue date and, if since revoked as
  compromised, a trusted record shows this certificate before then;
* status — not revoked or replaced, from this node's register; offline it is
  `not_checked`, never `ok`;
* validity — within the form's validity period on the day asked about;
* form — the certificate meets its form's rules (`validation.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

import orjson

from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.io import certificate_json, read_canonical_certificate
from opencustoms.certificates.model import Certificate
from opencustoms.certificates.validation import validate
from opencustoms.kernel.dates import add_months
from opencustoms.kernel.errors import N_, DomainError, Finding, InvalidInput
from opencustoms.trust.canonical import canonical_bytes
from opencustoms.trust.keys import PublicKey, standing
from opencustoms.trust.signing import open_token, opened_signature_valid, sign

_SORTED = orjson.OPT_SORT_KEYS
CHECKS = ("structure", "copy", "signature", "issuer", "key", "status", "validity", "form")
CHECK_LABELS = {
    "structure": N_("structure"),
    "copy": N_("readable copy"),
    "signature": N_("signature"),
    "issuer": N_("issuer"),
    "key": N_("key"),
    "status": N_("status"),
    "validity": N_("validity"),
    "form": N_("form"),
}


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # one of CHECKS
    outcome: Outcome
    reason: str  # a message template (N_), filled with `params`
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool | None:
        """True or False; None where the check was not made."""
        return None if self.outcome is Outcome.NOT_CHECKED else self.outcome is Outcome.OK

    def render(self, translate: Any = None) -> str:
        template = translate(self.reason) if translate else self.reason
        if not self.params:
            return template
        return template % {k: _rendered(v, translate) for k, v in self.params.items()}


def _rendered(value: Any, translate: Any) -> Any:
    if isinstance(value, Finding):
        return value.render(translate)
    if isinstance(value, tuple) and value and isinstance(value[0], Finding):
        return "; ".join(f.render(translate) for f in value)
    return value


@dataclass(frozen=True, slots=True)
class Verdict:
    checks: tuple[Check, ...]
    certificate: Certificate | None  # as signed; None if it could not be read
    at: date

    @property
    def valid(self) -> bool:
        """Every check passed; only the status may be unchecked (offline)."""
        return all(
            c.outcome is Outcome.OK or (c.name == "status" and c.outcome is Outcome.NOT_CHECKED)
            for c in self.checks
        )

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)


@dataclass(frozen=True, slots=True)
class Record:
    """What this node's trusted register holds for a certificate number of an authority."""

    status: str  # issued, replaced or revoked
    # the signed payloads this node holds under that number (the certificate, any certified
    # true copies), by SHA-256, with when each was first held (UTC)
    known: Mapping[str, datetime]
    reason: str | None = None  # why it was revoked
    replaced_by: str | None = None


# the checks whose outcome says it all, made once (a Check is immutable)
_SAME_COPY = Check("copy", Outcome.OK, N_("the readable copy is the signed certificate"))
_OFFLINE = Check(
    "status",
    Outcome.NOT_CHECKED,
    N_("not checked: offline, no register of revocations was consulted"),
)


class Registry(Protocol):
    def record(self, authority: str, number: str) -> Record | None: ...

    def signed_here(self, kid: str) -> bool:
        """Whether this node holds the private key `kid`: then a certificate signed with it
        that the node has no record of was never issued (a leaked key, or a forgery)."""
        ...


def last_valid_day(issued: date, months: int) -> date:
    """The last day of a validity of `months` from the issue date, the issue day counting as
    the first ("valid for one year from the date on which it is issued"): the day before
    the same date `months` later; where that month has no such date (a year from 29
    February), the period ends on that month's last day, as civil codes reckon periods."""
    end = add_months(issued, months)
    return end if end.day != issued.day or end == date.max else end - timedelta(days=1)


def payload_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def sign_certificate(
    cert: Certificate, form: FormProfile, key: PublicKey, private_pem: bytes, passphrase: str
) -> dict[str, Any]:
    """The signed document of an issued certificate, signed with the authority's key."""
    if cert.number is None or cert.issuing_authority is None or cert.issue_date is None:
        raise InvalidInput.of(
            "certificate.not_issued",
            N_("Only an issued certificate, with its number, authority and issue date, is signed."),
        )
    if key.authority != cert.issuing_authority or form.agreement not in key.agreements:
        raise DomainError(
            Finding(
                "certificate.wrong_key",
                N_("Key %(kid)s does not sign for %(authority)s under %(agreement)s."),
                {"kid": key.kid, "authority": cert.issuing_authority, "agreement": form.agreement},
            )
        )
    if not key.valid_on(cert.issue_date) or key.revoked_at is not None:
        raise DomainError(
            Finding(
                "certificate.key_not_valid",
                N_("Key %(kid)s cannot sign on %(day)s: it is not valid then, or it is revoked."),
                {"kid": key.kid, "day": cert.issue_date.isoformat()},
            )
        )
    payload = canonical_bytes(certificate_json(cert))
    token = sign(payload, key, private_pem, passphrase)
    return {"certificate": json.loads(payload), "jws": token}


def verify(
    document: Any,
    at: date,
    trust: Mapping[str, PublicKey],
    forms: Mapping[str, FormProfile],
    registry: Registry | None = None,
) -> Verdict:
    """Every check of a signed certificate on the day `at`, each with its reason.

    `document` is the signed document as received (its JSON text or bytes, or
    parsed); `trust` maps key ids to the trust list's keys; without a
    `registry` (offline) the status is not checked.
    """
    done: list[Check] = []

    def add(name: str, outcome: Outcome, template: str, **params: Any) -> None:
        done.append(Check(name, outcome, template, params))

    def rest_unchecked(reason: str) -> Verdict:
        for name in CHECKS[len(done) :]:
            add(name, Outcome.NOT_CHECKED, reason)
        return Verdict(tuple(done), None, at)

    # structure
    readable, token, problem = _envelope(document)
    if problem is not None:
        add("structure", Outcome.FAILED, problem)
        return rest_unchecked(N_("not checked: the document could not be read"))
    assert token is not None
    # The usual document carries its payload twice: signed, and as the readable copy. When
    # the copy, keys sorted, is byte for byte the payload, parsing the payload would give the
    # copy again, so it is neither decoded nor parsed twice. Only for a copy parsed here: a
    # caller's objects may hold what JSON has not (a tuple serialises as a list, but is not one).
    readable_json = _sorted_json(readable)
    parsed_here = isinstance(document, str | bytes)
    try:
        opened = open_token(token, readable_json if parsed_here else None)
        if parsed_here and opened.payload == readable_json:
            signed = readable
        else:
            signed = orjson.loads(opened.payload)
        # signed payloads are in the canonical form this reads fastest; the same rules apply
        cert = read_canonical_certificate(signed, "jws")
    except DomainError as e:
        add(
            "structure",
            Outcome.FAILED,
            N_("the signed certificate is not readable: %(problems)s"),
            problems=e.findings[:3],
        )
        return rest_unchecked(N_("not checked: the document could not be read"))
    except ValueError:  # the payload is not JSON
        add("structure", Outcome.FAILED, N_("the signed payload is not a JSON certificate"))
        return rest_unchecked(N_("not checked: the document could not be read"))
    if cert.number is None or cert.issuing_authority is None or cert.issue_date is None:
        add(
            "structure",
            Outcome.FAILED,
            N_("the signed certificate has no number, issuing authority or issue date"),
        )
        return rest_unchecked(N_("not checked: the certificate was never issued"))
    issued_on: date = cert.issue_date
    add(
        "structure",
        Outcome.OK,
        N_("certificate %(number)s of %(authority)s, form %(form)s"),
        number=cert.number,
        authority=cert.issuing_authority,
        form=cert.form,
    )

    # copy: the same JSON text once keys are sorted (so 1 and true, 1 and 1.0 differ)
    same_copy = signed is readable or (
        readable_json is not None and readable_json == _sorted_json(signed)
    )
    differences = [] if same_copy else _differences(readable, signed, "") or ["certificate"]
    if differences:
        add(
            "copy",
            Outcome.FAILED,
            N_("the readable copy differs from the signed certificate at %(fields)s"),
            fields=", ".join(differences[:5]) + (" ..." if len(differences) > 5 else ""),
        )
    else:
        done.append(_SAME_COPY)

    # signature
    key = trust.get(opened.kid)
    if key is None:
        add(
            "signature",
            Outcome.FAILED,
            N_("no key in the trust list has the id %(kid)s"),
            kid=opened.kid[:90],
        )
    elif not opened_signature_valid(opened, key):
        add(
            "signature",
            Outcome.FAILED,
            N_("the signature is not key %(kid)s's signature over the signed bytes"),
            kid=key.kid,
        )
    else:
        add(
            "signature",
            Outcome.OK,
            N_("signed with key %(kid)s of %(authority)s (%(country)s)"),
            kid=key.kid,
            authority=key.authority,
            country=key.country,
        )

    # issuer
    form = forms.get(cert.form)
    if key is None:
        add("issuer", Outcome.NOT_CHECKED, N_("not checked: no trusted key"))
    elif key.authority != cert.issuing_authority or key.country != cert.export_country:
        add(
            "issuer",
            Outcome.FAILED,
            N_(
                "key %(kid)s signs for %(authority)s (%(country)s), but the certificate names %(named)s, exported from %(export)s"
            ),
            kid=key.kid,
            authority=key.authority,
            country=key.country,
            named=cert.issuing_authority,
            export=cert.export_country,
        )
    elif form is None:
        add("issuer", Outcome.NOT_CHECKED, N_("not checked: the form is not known here"))
    elif form.agreement not in key.agreements:
        add(
            "issuer",
            Outcome.FAILED,
            N_("%(authority)s is not trusted to issue under %(agreement)s"),
            authority=key.authority,
            agreement=form.agreement,
        )
    else:
        add(
            "issuer",
            Outcome.OK,
            N_("%(authority)s (%(country)s) is trusted to issue under %(agreement)s"),
            authority=key.authority,
            country=key.country,
            agreement=form.agreement,
        )

    # key, and status (both read this node's register)
    record = registry.record(cert.issuing_authority, cert.number) if registry else None
    known_since = record.known.get(payload_digest(opened.payload)) if record else None
    same = known_since is not None
    if key is None:
        add("key", Outcome.NOT_CHECKED, N_("not checked: no trusted key"))
    else:
        held = standing(key, issued_on, known_since)
        add("key", Outcome.OK if held.ok else Outcome.FAILED, held.reason, **held.params)
    if registry is None:
        done.append(_OFFLINE)
    elif record is None and registry.signed_here(opened.kid):
        # signed with our key yet never issued here: a leaked key, or a forgery
        add(
            "status",
            Outcome.FAILED,
            N_("signed with this node's key %(kid)s, yet this node never issued %(number)s"),
            kid=opened.kid,
            number=cert.number,
        )
    elif record is None:
        add(
            "status",
            Outcome.NOT_CHECKED,
            N_("not checked: this node holds no record of certificate %(number)s"),
            number=cert.number,
        )
    elif not same:
        add(
            "status",
            Outcome.FAILED,
            N_("it differs from certificate %(number)s as this node holds it"),
            number=cert.number,
        )
    elif record.status == "revoked":
        if record.reason:
            add("status", Outcome.FAILED, N_("revoked: %(why)s"), why=record.reason)
        else:  # the public is told that, not the officer's reasons
            add("status", Outcome.FAILED, N_("revoked by its issuing authority"))
    elif record.status == "replaced":
        add(
            "status",
            Outcome.FAILED,
            N_("replaced by certificate %(number)s"),
            number=record.replaced_by or "-",
        )
    else:
        add("status", Outcome.OK, N_("issued, neither revoked nor replaced"))

    # validity
    if form is None:
        add("validity", Outcome.NOT_CHECKED, N_("not checked: the form is not known here"))
    elif at < issued_on:
        add(
            "validity",
            Outcome.FAILED,
            N_("issued on %(issued)s, after %(at)s"),
            issued=issued_on.isoformat(),
            at=at.isoformat(),
        )
    elif form.validity is None:
        add("validity", Outcome.OK, N_("%(form)s sets no validity period"), form=form.title)
    else:
        last = last_valid_day(issued_on, form.validity.months)
        add(
            "validity",
            Outcome.OK if at <= last else Outcome.FAILED,
            N_("valid from %(issued)s to %(last)s (%(section)s)"),
            issued=issued_on.isoformat(),
            last=last.isoformat(),
            section=form.validity.cite.section,
        )

    # form
    if form is None:
        add(
            "form",
            Outcome.FAILED,
            N_("'%(form)s' is not a certificate form known here"),
            form=cert.form[:40],
        )
    else:
        findings = validate(cert, form, "issue")
        if findings:
            add(
                "form",
                Outcome.FAILED,
                N_("it does not meet %(form)s: %(problems)s"),
                form=form.title,
                problems=tuple(findings[:5]),
            )
        else:
            add("form", Outcome.OK, N_("it meets %(form)s"), form=form.title)
    return Verdict(tuple(done), cert, at)


def _sorted_json(value: Any) -> bytes | None:
    """The value's JSON text with keys sorted; None if it holds what JSON has not."""
    try:
        return orjson.dumps(value, option=_SORTED)
    except TypeError:  # a caller's own object, or an integer beyond 64 bits
        return None


def _envelope(document: Any) -> tuple[Any, str | None, str | None]:
    """The readable copy and the token of a signed document, or why there are none."""
    if isinstance(document, str | bytes):
        try:
            document = orjson.loads(document)
        except ValueError:
            return None, None, N_("the document is not JSON")
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("certificate"), dict)
        or not isinstance(document.get("jws"), str)
    ):
        return None, None, N_('a signed certificate is {"certificate": {...}, "jws": "..."}')
    return document["certificate"], document["jws"], None


def _differences(readable: Any, signed: Any, path: str) -> list[str]:
    """The paths at which the readable copy and the signed payload differ."""
    if isinstance(readable, dict) and isinstance(signed, dict):
        out: list[str] = []
        for k in sorted(set(readable) | set(signed), key=str):
            where = f"{path}.{k}" if path else str(k)
            if k not in readable or k not in signed:
                out.append(where)
            else:
                out.extend(_differences(readable[k], signed[k], where))
        return out
    if isinstance(readable, list) and isinstance(signed, list):
        if len(readable) != len(signed):
            return [path]
        return [
            d
            for i, (a, b) in enumerate(zip(readable, signed, strict=True))
            for d in _differences(a, b, f"{path}[{i}]")
        ]
    same = type(readable) is type(signed) and readable == signed
    return [] if same else [path or "certificate"]
