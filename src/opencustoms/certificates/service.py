"""Certificates of origin from application to issue, replacement, revocation and use.

An exporter applies (or keeps a draft); the issuing authority issues it, which
gives the number, certifies it and signs it with the authority's key valid
that day, or rejects it. An issued certificate can be replaced (by a new one
that names it) or revoked; a certified true copy keeps its number and date;
the importing country's notices of utilization are recorded. Every change is
an event in the certificate's history and in the audit log, in the same
transaction as the change itself.

Who may act: the operator at the command line on everything; an exporter on its
own organisation's certificates; an issuing officer on the certificates
exported from its country (the issuing authority's jurisdiction).
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from opencustoms.accounts.domain import Role
from opencustoms.accounts.service import Context
from opencustoms.certificates.forms.loader import FormProfile
from opencustoms.certificates.from_determination import fill_items
from opencustoms.certificates.io import read_certificate
from opencustoms.certificates.lifecycle import (
    LABELS,
    Event,
    EventKind,
    Status,
    StoredCertificate,
    Utilization,
    check_number_format,
    format_number,
    moved,
    number_scope,
)
from opencustoms.certificates.model import Certificate, Certification
from opencustoms.certificates.pdf import render_pdf
from opencustoms.certificates.ports import CertificateUnitOfWork, Change, NoPublisher, Publisher
from opencustoms.certificates.seal import SealCheck, check_seal, claims, make_seal, qr_text
from opencustoms.certificates.signed import (
    Record,
    Verdict,
    payload_digest,
    sign_certificate,
    verify,
)
from opencustoms.certificates.validation import validate
from opencustoms.kernel.dates import Clock, local_time
from opencustoms.kernel.errors import (
    N_,
    Conflict,
    DomainError,
    Finding,
    Forbidden,
    InvalidInput,
    NotFound,
)
from opencustoms.kernel.ids import new_id
from opencustoms.origin.records import StoredDetermination
from opencustoms.platform.audit import AuditEvent
from opencustoms.trust.keys import PublicKey


@dataclass(frozen=True, slots=True)
class PublicCheck:
    record: StoredCertificate | None  # None: no certificate of that number is registered here
    verdict: Verdict | None
    seal: SealCheck | None  # the printed copy's seal, if the QR code gave one
    seal_matches: bool | None  # the seal is intact and names this very certificate


_AUTHORITY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}")  # as trust/keys.py's check_ids

# what only the issuing body fills in: an applicant leaves these out
# applications issued together: a long queue is cleared in batches of this many at most.
# The authority's number sequence stays locked until the batch commits (others issuing for
# it wait that long: about a second for the largest batch).
MAX_ISSUED_AT_ONCE = 500
_GIVEN_AT_ISSUE = ("number", "certification", "issue_date", "issue_place", "replaces")


class CertificateService:
    def __init__(
        self,
        uow: Callable[[], CertificateUnitOfWork],
        clock: Clock,
        forms: Mapping[str, FormProfile],
        private_pem: Callable[[str], bytes],
        passphrase: Callable[[], str | None],
        office_zone: ZoneInfo,
        number_format: str,
        public_url: str = "http://127.0.0.1:8000",
        publisher: Publisher | None = None,
    ) -> None:
        check_number_format(number_format)
        self._public_url = public_url
        self._publisher = publisher or NoPublisher()
        self._uow = uow
        self._clock = clock
        self._forms = forms
        self._private_pem = private_pem
        self._passphrase = passphrase
        self._zone = office_zone
        self._format = number_format

    # -- the exporter's side ------------------------------------------------

    def apply_document(
        self, ctx: Context, data: Any, source: str, draft: bool = False
    ) -> StoredCertificate:
        """Apply from the certificate's JSON (text or parsed); items that name a kept
        origin determination are filled from it and linked to its evidence."""
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError:
                read_certificate(data, source)  # says where the JSON breaks
            except RecursionError:
                raise InvalidInput.of(
                    "certificate.too_deep",
                    N_("%(source)s: nested too deeply to be a certificate."),
                    source=source,
                ) from None
        links: dict[int, str] = {}
        self._may_apply(ctx)  # before any determination is looked at: nothing to probe
        if isinstance(data, dict) and isinstance(data.get("form"), str):
            form = self._form(data["form"])
            org = _org_id(ctx)
            with self._uow() as uow:

                def find(det_id: str) -> StoredDetermination | None:
                    det = uow.determinations.get(det_id)
                    mine = ctx.principal is None or (det is not None and det.organisation_id == org)
                    return det if mine else None  # another's evidence is not named, nor shown

                data, links = fill_items(data, find, form, uow.determinations.successor)
        return self.apply(ctx, read_certificate(data, source), draft, links)

    def apply(
        self,
        ctx: Context,
        cert: Certificate,
        draft: bool = False,
        determinations: Mapping[int, str] | None = None,
    ) -> StoredCertificate:
        """Apply for a certificate (checked against the form), or keep it as a draft."""
        form = self._form(cert.form)
        found = [
            Finding(
                "certificate.given_at_issue",
                N_(
                    "%(field)s: the issuing body gives it (at issue, or when it replaces a certificate); leave it out of an application"
                ),
                {"field": name},
                field=name,
            )
            for name in _GIVEN_AT_ISSUE
            if getattr(cert, name) is not None
        ]
        if cert.issuing_authority and not _AUTHORITY_ID.fullmatch(cert.issuing_authority):
            found.append(
                Finding(
                    "certificate.bad_authority",
                    N_("issuing_authority: '%(value)s' is not an authority id, e.g. KR-KCS"),
                    {"value": cert.issuing_authority[:50]},
                    field="issuing_authority",
                )
            )
        if not cert.issuing_authority:
            found.append(
                Finding(
                    "certificate.authority_required",
                    N_("issuing_authority: name the authority you apply to, e.g. KR-KCS"),
                    field="issuing_authority",
                )
            )
        if not draft:
            found += validate(cert, form, "application")
        if found:
            raise InvalidInput(*found)
        assert cert.issuing_authority is not None
        self._may_apply(ctx)
        now = self._clock.now()
        org = _org_id(ctx)
        record = StoredCertificate(
            id=new_id("cert"),
            organisation_id=org,
            authority=cert.issuing_authority,
            form=cert.form,
            status=Status.DRAFT,
            certificate=cert,
            created_at=now,
            updated_at=now,
            determinations=dict(determinations or {}),
        )
        with self._uow() as uow:
            uow.certificates.add(record)
            self._event(uow, ctx, record, 1, EventKind.DRAFTED, {"form": cert.form})
            if not draft:
                record = self._move(uow, ctx, record, EventKind.APPLIED, {})
            uow.commit()
        return record

    def submit(self, ctx: Context, record_id: str) -> StoredCertificate:
        """A draft becomes an application, once it meets the form."""
        self._may_apply(ctx)
        with self._uow() as uow:
            record = self._get(uow, ctx, record_id)
            moved(record.status, EventKind.APPLIED, record.label)
            findings = validate(record.certificate, self._form(record.form), "application")
            if findings:
                raise InvalidInput(*findings)
            record = self._move(uow, ctx, record, EventKind.APPLIED, {})
            uow.commit()
        return record

    # -- the issuing authority's side ---------------------------------------

    def issue(
        self, ctx: Context, record_id: str, officer: str, place: str, on: date | None = None
    ) -> StoredCertificate:
        """Number, certify and sign an application; `on` is the issue date (today by default)."""
        return self.issue_many(ctx, [record_id], officer, place, on)[0]

    def issue_many(
        self,
        ctx: Context,
        record_ids: Sequence[str],
        officer: str,
        place: str,
        on: date | None = None,
    ) -> list[StoredCertificate]:
        """Issue several applications at once, numbered in the order given: all, or none.

        An officer clears a queue of applications together; they are read, numbered
        and written in a few statements and one commit, so a batch costs far less
        than its certificates one by one. If any of them cannot be issued, none is,
        and every problem is reported, each naming its application.
        """
        ids = list(record_ids)
        if not ids:
            raise InvalidInput.of(
                "certificate.nothing_to_issue",
                N_("Name at least one application to issue."),
                field="ids",
            )
        if len(ids) > MAX_ISSUED_AT_ONCE:
            raise InvalidInput.of(
                "certificate.too_many_at_once",
                N_("At most %(max)s applications are issued at once; %(count)s were named."),
                field="ids",
                max=MAX_ISSUED_AT_ONCE,
                count=len(ids),
            )
        twice = next((i for i, times in Counter(ids).items() if times > 1), None)
        if twice is not None:
            raise InvalidInput.of(
                "certificate.named_twice",
                N_("Application %(ref)s is named twice."),
                field="ids",
                ref=twice[:60],
            )
        with self._uow() as uow:
            found = {r.id: r for r in uow.certificates.get_many(ids)}
            records = [
                found[i] if i in found and self._sees(ctx, found[i]) else self._get(uow, ctx, i)
                for i in ids
            ]
            issued = self._issue_all(uow, ctx, records, officer, place, on)
            uow.commit()
        return issued

    def reject(self, ctx: Context, record_id: str, reason: str) -> StoredCertificate:
        return self._end(ctx, record_id, EventKind.REJECTED, reason)

    def revoke(self, ctx: Context, record_id: str, reason: str) -> StoredCertificate:
        """Revoke an issued certificate: it no longer verifies as valid, anywhere that asks."""
        return self._end(ctx, record_id, EventKind.REVOKED, reason)

    def _end(self, ctx: Context, record_id: str, kind: EventKind, reason: str) -> StoredCertificate:
        with self._uow() as uow:
            record = self._get(uow, ctx, record_id)
            self._officer(ctx, record)
            why = _reason(reason)
            record = self._move(uow, ctx, record, kind, {"reason": why}, reason=why)
            if kind is EventKind.REVOKED:
                self._publish(uow, EventKind.REVOKED, record)
            uow.commit()
        return record

    def replace(
        self,
        ctx: Context,
        record_id: str,
        cert: Certificate,
        reason: str,
        officer: str,
        place: str,
        on: date | None = None,
    ) -> StoredCertificate:
        """Issue a new certificate in place of an issued one (an amendment); the old one
        is marked replaced and names its successor. Both happen, or neither."""
        with self._uow() as uow:
            old = self._get(uow, ctx, record_id)
            self._officer(ctx, old)
            moved(old.status, EventKind.REPLACED, old.label)
            why = _reason(reason)
            if cert.form != old.form:
                raise InvalidInput.of(
                    "certificate.other_form",
                    N_("form: a replacement keeps the form of %(label)s (%(form)s)."),
                    field="form",
                    label=old.label,
                    form=old.form,
                )
            cert = replace(
                cert,
                number=None,
                certification=None,
                issue_date=None,
                issue_place=None,
                issuing_authority=old.authority,
                replaces=old.number,
            )
            findings = validate(cert, self._form(cert.form), "application")
            if findings:
                raise InvalidInput(*findings)
            now = self._clock.now()
            new = StoredCertificate(
                id=new_id("cert"),
                organisation_id=old.organisation_id,
                authority=old.authority,
                form=old.form,
                status=Status.APPLIED,
                certificate=cert,
                created_at=now,
                updated_at=now,
                determinations=_links_kept(old, cert),
                replaces_id=old.id,
            )
            uow.certificates.add(new)
            self._event(
                uow, ctx, new, 1, EventKind.APPLIED, {"replaces": old.number, "reason": why}
            )
            new = self._issue_all(uow, ctx, [new], officer, place, on, publish=False)[0]
            old = self._move(
                uow,
                ctx,
                old,
                EventKind.REPLACED,
                {"by": new.number, "reason": why},
                replaced_by_id=new.id,
                reason=why,
            )
            self._publish(uow, EventKind.REPLACED, new, previous=old)
            uow.commit()
        return new

    def true_copy(self, ctx: Context, record_id: str) -> dict[str, Any]:
        """A certified true copy: the same number and issue date, marked as a copy, signed
        with the key that signed the original."""
        with self._uow() as uow:
            record = self._get(uow, ctx, record_id)
            self._officer(ctx, record)
            moved(record.status, EventKind.TRUE_COPY, record.label)
            issued = next(e for e in uow.certificates.events(record.id) if e.kind == "issued")
            key = uow.keys.get(str(issued.details["kid"]))
            assert key is not None  # the key that signed it is kept with the node's keys
            cert = replace(
                record.certificate,
                remarks=replace(record.certificate.remarks, certified_true_copy=True),
            )
            if key.revoked_at is not None:
                raise DomainError(
                    Finding(
                        "certificate.key_revoked",
                        N_(
                            "Key %(kid)s that signed %(label)s is revoked: issue a replacement instead of a copy."
                        ),
                        {"kid": key.kid, "label": record.label},
                    )
                )
            document = self._sign(cert, key, self._private_pem(key.kid))
            digest = _digest_of(document)
            self._move(uow, ctx, record, EventKind.TRUE_COPY, {"payload_sha256": digest})
            uow.commit()
        return document

    def record_utilization(
        self, ctx: Context, authority: str, number: str, notice: Utilization
    ) -> StoredCertificate:
        """The importing country's notice: preference applied or denied on this certificate.

        Recorded by the operator (the exchange brings partners' notices) or by a customs
        officer of the importing country; the notice must name that country."""
        p = ctx.principal
        with self._uow() as uow:
            record = uow.certificates.by_number(authority, number)
            importing = record.certificate.import_country if record else None
            if p is not None and not (
                p.roles & {Role.CUSTOMS_OFFICER, Role.CUSTOMS_ADMIN}
                and p.organisation is not None
                and p.organisation.country.alpha2 == importing
            ):
                raise _not_found(number)  # the same answer as for no such certificate
            if record is None:
                raise _not_found(number)
            if notice.importing_country != importing:
                raise InvalidInput.of(
                    "certificate.other_importing_country",
                    N_(
                        "Certificate %(number)s was issued for imports into %(country)s, not %(other)s."
                    ),
                    field="country",
                    number=number,
                    country=importing or "-",
                    other=notice.importing_country,
                )
            record = self._note_utilization(uow, ctx, record, notice)
            uow.commit()
        return record

    def utilization_received(
        self, uow: CertificateUnitOfWork, authority: str, number: str, notice: Utilization
    ) -> StoredCertificate:
        """A partner node's notice, in the transaction that applies its message: recorded on
        this node's certificate if the notice's country is the one it was issued for."""
        record = uow.certificates.by_number(authority, number)
        if record is None or record.status not in _ISSUED_ONCE:
            raise _not_found(number)
        if notice.importing_country != record.certificate.import_country:
            raise InvalidInput.of(
                "certificate.other_importing_country",
                N_(
                    "Certificate %(number)s was issued for imports into %(country)s, not %(other)s."
                ),
                field="country",
                number=number,
                country=record.certificate.import_country,
                other=notice.importing_country,
            )
        return self._note_utilization(uow, Context(None), record, notice)

    def _note_utilization(
        self,
        uow: CertificateUnitOfWork,
        ctx: Context,
        record: StoredCertificate,
        notice: Utilization,
    ) -> StoredCertificate:
        return self._move(
            uow,
            ctx,
            record,
            EventKind.UTILIZATION,
            {
                "importing_country": notice.importing_country,
                "outcome": notice.outcome.value,
                "declaration": notice.declaration,
                "on": notice.on.isoformat(),
                "reason": notice.reason,
            },
        )

    # -- reading ------------------------------------------------------------

    def get(self, ctx: Context, ref: str, authority: str | None = None) -> StoredCertificate:
        """A certificate by its id or its number (with its authority, if numbers clash)."""
        with self._uow() as uow:
            return self._find(uow, ctx, ref, authority)

    def history(self, ctx: Context, ref: str) -> Sequence[Event]:
        with self._uow() as uow:
            return list(uow.certificates.events(self._find(uow, ctx, ref, None).id))

    def find(
        self, ctx: Context, status: Status | None = None, limit: int = 100
    ) -> Sequence[StoredCertificate]:
        """The certificates the caller may see, newest first."""
        p = ctx.principal
        org = p.organisation if p else None
        if p is not None and org is None:
            return []
        with self._uow() as uow:
            if p is None or org is None:
                return list(uow.certificates.find(status=status, limit=limit))
            if Role.ISSUING_OFFICER in p.roles:
                return list(
                    uow.certificates.find(
                        export_country=org.country.alpha2, status=status, limit=limit, drafts=False
                    )
                )
            return list(uow.certificates.find(organisation_id=org.id, status=status, limit=limit))

    def signed_document(self, ctx: Context, ref: str) -> dict[str, Any]:
        record = self.get(ctx, ref)
        if record.signed is None:
            raise DomainError(
                Finding(
                    "certificate.not_issued",
                    N_(
                        "Certificate %(label)s is %(status)s: only an issued one has a signed document."
                    ),
                    {"label": record.label, "status": record.status.value},
                )
            )
        return record.signed

    def qr_text(self, record: StoredCertificate) -> str | None:
        """What the printed copy's QR code holds: the verification URL and the seal."""
        if record.seal is None or record.number is None:
            return None
        return qr_text(self._public_url, record.authority, record.number, record.seal)

    def pdf(self, ctx: Context, ref: str, translate: Callable[[str], str]) -> bytes:
        """The certificate printed as its form, with its QR code once issued."""
        record = self.get(ctx, ref)
        printed = local_time(self._clock.now(), self._zone)
        status = translate(LABELS[record.status])
        return render_pdf(
            record.certificate,
            self._form(record.form),
            self.qr_text(record),
            printed,
            status,
            translate,
        )

    def authorities_of(self, number: str) -> list[str]:
        """The authorities that issued a certificate with this number (usually one)."""
        with self._uow() as uow:
            return [
                r.authority for r in uow.certificates.with_number(number) if r.signed is not None
            ]

    def public_check(self, authority: str, number: str, seal: str | None, at: date) -> PublicCheck:
        """What anyone may learn of a certificate by its number (the public verification
        page): whether it is valid now and why, and whether a printed copy's seal matches.
        Never the parties or the goods: numbers can be guessed."""
        with self._uow() as uow:
            record = uow.certificates.by_number(authority, number)
            trust = {k.kid: k for k in uow.keys.all()}
        if record is None or record.signed is None or record.payload_sha256 is None:
            return PublicCheck(None, None, None, None)
        verdict = verify(record.signed, at, trust, self._forms, _Public(self))
        sealed = matches = None
        if seal:
            sealed = check_seal(seal, trust)
            payload = _payload_of(record.signed)
            c = record.certificate
            assert c.issue_date is not None  # issued
            matches = sealed.valid and sealed.claims == claims(
                number, authority, c.issue_date, payload
            )
        return PublicCheck(record, verdict, sealed, matches)

    def signed_here(self, kid: str) -> bool:
        try:
            self._private_pem(kid)
        except NotFound:
            return False  # a partner's key
        return True

    def record(self, authority: str, number: str) -> Record | None:
        """This node's trusted record of a certificate (the verifier's register): one it
        issued, or one a partner's node sent it."""
        with self._uow() as uow:
            found = uow.certificates.by_number(authority, number)
            if found is None or found.payload_sha256 is None or found.issued_at is None:
                received = uow.received.get(authority, number)  # from a partner's node
                return received.record if received is not None else None
            known = {found.payload_sha256: found.issued_at}
            for e in uow.certificates.events(found.id):
                if e.kind == EventKind.TRUE_COPY:
                    known[str(e.details["payload_sha256"])] = e.at
            successor = uow.certificates.get(found.replaced_by_id) if found.replaced_by_id else None
        replaced_by = successor.number if successor else None
        return Record(found.status.value, known, found.reason, replaced_by)

    def verify(
        self,
        document: Any,
        at: date,
        trust: Mapping[str, PublicKey] | None = None,
        public: bool = False,
    ) -> Verdict:
        """Verify a signed document against this node's trust list and register; for the
        `public`, a revocation says that it was revoked, not the officer's reasons."""
        if trust is None:
            with self._uow() as uow:
                trust = {k.kid: k for k in uow.keys.all()}
        return verify(document, at, trust, self._forms, _Public(self) if public else self)

    def today(self) -> date:
        return self._clock.now().astimezone(self._zone).date()

    # -- inside ---------------------------------------------------------------

    def _issue(
        self,
        uow: CertificateUnitOfWork,
        ctx: Context,
        record: StoredCertificate,
        officer: str,
        place: str,
        on: date | None,
    ) -> StoredCertificate:
        return self._issue_all(uow, ctx, [record], officer, place, on)[0]

    def _issue_all(
        self,
        uow: CertificateUnitOfWork,
        ctx: Context,
        records: Sequence[StoredCertificate],
        officer: str,
        place: str,
        on: date | None,
        publish: bool = True,
    ) -> list[StoredCertificate]:
        """Issue the applications in this transaction, or raise with every problem; each
        issue is published unless the caller publishes it otherwise (a replacement)."""
        for record in records:  # who may act comes first, before what is asked
            self._officer(ctx, record)
        on = on or self.today()
        if not officer.strip() or not place.strip():
            raise InvalidInput.of(
                "certificate.certification_required",
                N_("Give the certifying officer's name and the place of issue."),
                field="certification",
            )
        self._require_passphrase()  # once, not once for each application
        problems = _Problems(len(records) > 1)
        signing: dict[tuple[str, str], tuple[PublicKey, bytes]] = {}
        certified: list[tuple[StoredCertificate, Certificate, PublicKey, bytes]] = []
        for record in records:
            with problems.of(record):
                cert, form = self._certified(ctx, record, officer.strip(), place.strip(), on)
                which = (record.authority, form.agreement)
                if which not in signing:
                    signing[which] = self._signing_key(uow, record.authority, form.agreement, on)
                certified.append((record, cert, *signing[which]))
        problems.raise_any()

        # numbers are taken inside this transaction: if anything below fails, none is used up
        numbers: dict[str, str] = {}
        scope = number_scope(self._format, on)
        # authorities in one order, so that two batches never wait for each other's sequence
        for authority in sorted({r.authority for r, *_ in certified}):
            mine = [r for r, *_ in certified if r.authority == authority]
            last = uow.certificates.next_in_sequence(authority, scope, len(mine))
            for seq, r in enumerate(mine, start=last - len(mine) + 1):
                numbers[r.id] = format_number(self._format, authority, on, seq)

        changes = []
        for record, cert, key, private_pem in certified:
            with problems.of(record):
                number = numbers[record.id]
                cert = replace(cert, number=number)
                findings = validate(cert, self._form(cert.form), "issue")
                if findings:
                    raise InvalidInput(*findings)
                document = self._sign(cert, key, private_pem)
                digest = _digest_of(document)
                seal = make_seal(
                    claims(number, record.authority, on, _payload_of(document)),
                    key,
                    private_pem,
                    self._passphrase() or "",
                )
                # it must print: else refuse now
                qr_text(self._public_url, record.authority, number, seal)
                changes.append(
                    self._moved(
                        ctx,
                        replace(record, certificate=cert),
                        EventKind.ISSUED,
                        {
                            "number": number,
                            "kid": key.kid,
                            "payload_sha256": digest,
                            "on": on.isoformat(),
                        },
                        number=number,
                        signed=document,
                        payload_sha256=digest,
                        seal=seal,
                        issued_at=self._clock.now(),
                    )
                )
        problems.raise_any()
        uow.certificates.save_many([new for new, _, _ in changes])
        uow.certificates.append_many([event for _, event, _ in changes])
        uow.audit.append_many([audit for _, _, audit in changes])
        issued = [new for new, _, _ in changes]
        if publish:
            self._publish(uow, EventKind.ISSUED, *issued)
        return issued

    def _certified(
        self, ctx: Context, record: StoredCertificate, officer: str, place: str, on: date
    ) -> tuple[Certificate, FormProfile]:
        """The application as the officer certifies it on `on`, not yet numbered."""
        moved(record.status, EventKind.ISSUED, record.label)
        applied = local_time(record.updated_at, self._zone).date()  # when it was applied for
        if on > self.today() or on < applied:
            # an earlier date would hide an issue after shipment (issued retroactively)
            raise InvalidInput.of(
                "certificate.issue_date_outside",
                N_(
                    "The issue date %(day)s must lie between the application (%(applied)s) and today."
                ),
                field="on",
                day=on.isoformat(),
                applied=applied.isoformat(),
            )
        form = self._form(record.form)
        cert = record.certificate
        shipped = cert.transport.departure_date if cert.transport else None
        late = shipped is not None and on > shipped and form.retroactive is not None
        cert = replace(
            cert,
            issue_date=on,
            issue_place=place,
            certification=Certification(place, on, officer),
            remarks=replace(cert.remarks, issued_retroactively=True) if late else cert.remarks,
        )
        return cert, form

    def _signing_key(
        self, uow: CertificateUnitOfWork, authority: str, agreement: str, on: date
    ) -> tuple[PublicKey, bytes]:
        """The newest key of the authority that may sign for the agreement on the day, and its
        private half (encrypted), which this node must hold."""
        for key in reversed(uow.keys.all(authority)):
            if key.revoked_at is None and key.valid_on(on) and agreement in key.agreements:
                try:
                    return key, self._private_pem(key.kid)
                except NotFound:
                    continue  # a partner's key with the same authority id: not ours to sign with
        raise NotFound.of(
            "certificate.no_signing_key",
            N_(
                "%(authority)s has no key for %(agreement)s valid on %(day)s: create one with 'opencustoms authority keys create'."
            ),
            authority=authority,
            agreement=agreement,
            day=on.isoformat(),
        )

    def _sign(self, cert: Certificate, key: PublicKey, private_pem: bytes) -> dict[str, Any]:
        passphrase = self._require_passphrase()
        return sign_certificate(cert, self._form(cert.form), key, private_pem, passphrase)

    def _publish(
        self,
        uow: CertificateUnitOfWork,
        kind: EventKind,
        *records: StoredCertificate,
        previous: StoredCertificate | None = None,
    ) -> None:
        """Tell the publisher, in this transaction; the time is the records' own (the
        moment their change was recorded)."""
        changes = [
            Change(kind, r, self._form(r.form).agreement, r.updated_at, previous) for r in records
        ]
        self._publisher.publish(uow, changes)

    def _require_passphrase(self) -> str:
        passphrase = self._passphrase()
        if not passphrase:
            raise InvalidInput.of(
                "trust.no_passphrase",
                N_("Set OPENCUSTOMS_KEY_PASSPHRASE: private keys are stored encrypted with it."),
                field="passphrase",
            )
        return passphrase

    def _move(
        self,
        uow: CertificateUnitOfWork,
        ctx: Context,
        record: StoredCertificate,
        kind: EventKind,
        details: dict[str, Any],
        **changes: Any,
    ) -> StoredCertificate:
        new, event, audit = self._moved(ctx, record, kind, details, **changes)
        uow.certificates.save(new)
        uow.certificates.append(event)
        uow.audit.append(audit)
        return new

    def _moved(
        self,
        ctx: Context,
        record: StoredCertificate,
        kind: EventKind,
        details: dict[str, Any],
        **changes: Any,
    ) -> tuple[StoredCertificate, Event, AuditEvent]:
        """The record after the move, its history's event and the audit entry, unwritten."""
        status = moved(record.status, kind, record.label)
        now = self._clock.now()
        new = replace(record, status=status, updated_at=now, version=record.version + 1, **changes)
        # one event per version: the record is made at version 1 with event 1, and each
        # change bumps both, so the version numbers the event (no need to count them)
        event, audit = self._history(ctx, new, new.version, kind, details)
        return new, event, audit

    def _event(
        self,
        uow: CertificateUnitOfWork,
        ctx: Context,
        record: StoredCertificate,
        seq: int,
        kind: EventKind,
        details: dict[str, Any],
    ) -> None:
        event, audit = self._history(ctx, record, seq, kind, details)
        uow.certificates.append(event)
        uow.audit.append(audit)

    def _history(
        self,
        ctx: Context,
        record: StoredCertificate,
        seq: int,
        kind: EventKind,
        details: dict[str, Any],
    ) -> tuple[Event, AuditEvent]:
        now = self._clock.now()
        account = ctx.principal.account.id if ctx.principal and ctx.principal.account else None
        audit = AuditEvent(
            id=new_id("aud"),
            at=now,
            action=f"certificate.{kind.value}",
            object_type="certificate",
            object_id=record.id,
            organisation_id=record.organisation_id,
            actor_account_id=account,
            actor_organisation_id=_org_id(ctx),
            details={"number": record.number, **details} if record.number else details,
            request_id=ctx.request_id,
        )
        return Event(record.id, seq, kind, now, account, details), audit

    def _form(self, form_id: str) -> FormProfile:
        form = self._forms.get(form_id)
        if form is None:
            raise InvalidInput.of(
                "certificate.unknown_form",
                N_("form: '%(value)s' is not a certificate form here; use %(forms)s"),
                field="form",
                value=form_id[:40],
                forms=", ".join(sorted(self._forms)),
            )
        return form

    def _get(self, uow: CertificateUnitOfWork, ctx: Context, record_id: str) -> StoredCertificate:
        return self._find(uow, ctx, record_id, None)

    def _find(
        self, uow: CertificateUnitOfWork, ctx: Context, ref: str, authority: str | None
    ) -> StoredCertificate:
        record = uow.certificates.get(ref)
        if record is None:
            if authority is not None:
                record = uow.certificates.by_number(authority, ref)
            else:
                found = [r for r in uow.certificates.with_number(ref) if self._sees(ctx, r)]
                if len(found) > 1:
                    raise InvalidInput.of(
                        "certificate.ambiguous_number",
                        N_(
                            "Several authorities issued a certificate numbered %(number)s: name the authority."
                        ),
                        field="authority",
                        number=ref,
                    )
                record = found[0] if found else None
        if record is None or not self._sees(ctx, record):
            raise _not_found(ref)  # one answer for absent and not yours: no probing
        return record

    def _sees(self, ctx: Context, record: StoredCertificate) -> bool:
        p = ctx.principal
        if p is None:
            return True
        if p.organisation is not None and record.organisation_id == p.organisation.id:
            return True
        # an officer sees applications, not an exporter's drafts
        return (
            Role.ISSUING_OFFICER in p.roles
            and record.status is not Status.DRAFT
            and self._jurisdiction(ctx, record)
        )

    def _jurisdiction(self, ctx: Context, record: StoredCertificate) -> bool:
        p = ctx.principal
        return (
            p is not None
            and p.organisation is not None
            and record.certificate.export_country == p.organisation.country.alpha2
        )

    def _officer(self, ctx: Context, record: StoredCertificate) -> None:
        p = ctx.principal
        if p is None:
            return
        if Role.ISSUING_OFFICER not in p.roles or not self._jurisdiction(ctx, record):
            raise Forbidden.of(
                "certificate.not_an_officer",
                N_("Only an issuing officer of the exporting country acts on %(label)s."),
                label=record.label,
            )

    def _may_apply(self, ctx: Context) -> None:
        p = ctx.principal
        if p is not None and (Role.EXPORTER not in p.roles or p.organisation is None):
            raise Forbidden.of(
                "certificate.not_an_exporter",
                N_("Only an exporter or producer applies for a certificate of origin."),
            )


class _Public:
    """The register as the public sees it: statuses without the reasons behind them."""

    def __init__(self, register: CertificateService) -> None:
        self._register = register

    def record(self, authority: str, number: str) -> Record | None:
        found = self._register.record(authority, number)
        return replace(found, reason=None) if found else None

    def signed_here(self, kid: str) -> bool:
        return self._register.signed_here(kid)


def _links_kept(old: StoredCertificate, new: Certificate) -> dict[int, str]:
    """The evidence links of the items a replacement keeps as they were decided."""
    before = {i.number: (i.hs, i.criterion, i.description) for i in old.certificate.items}
    return {
        i.number: old.determinations[i.number]
        for i in new.items
        if i.number in old.determinations
        and before.get(i.number) == (i.hs, i.criterion, i.description)
    }


_ISSUED_ONCE = frozenset({Status.ISSUED, Status.REPLACED, Status.REVOKED})


def _org_id(ctx: Context) -> str | None:
    p = ctx.principal
    return p.organisation.id if p is not None and p.organisation is not None else None


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput.of(
            "certificate.reason_required", N_("Say why, in a few words."), field="reason"
        )
    return reason.strip()


def _payload_of(document: dict[str, Any]) -> bytes:
    body = document["jws"].split(".")[1]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _digest_of(document: dict[str, Any]) -> str:
    return payload_digest(_payload_of(document))


class _Problems:
    """What stops applications from being issued together, gathered so that all are told.

    For one application its own errors pass through unchanged; in a batch each
    finding is put under the application it concerns, keeping its own code. A
    refusal to act at all (not this officer's, an application not seen) is
    raised at once. All of them conflicts with the applications' state (issued
    already, say): a Conflict; anything else: InvalidInput.
    """

    def __init__(self, batch: bool) -> None:
        self._batch = batch
        self._found: list[Finding] = []
        self._conflicts_only = True

    @contextmanager
    def of(self, record: StoredCertificate) -> Iterator[None]:
        try:
            yield
        except (Forbidden, NotFound):
            raise
        except DomainError as e:
            if not self._batch:
                raise
            self._conflicts_only &= isinstance(e, Conflict)
            self._found += [
                Finding(
                    "certificate.not_issued",
                    N_("%(application)s: %(problem)s"),
                    {"application": record.label, "problem": f, "code": f.code},
                    field=record.id,
                )
                for f in e.findings
            ]

    def raise_any(self) -> None:
        if self._found:
            raise (Conflict if self._conflicts_only else InvalidInput)(*self._found)


def _not_found(ref: str) -> NotFound:
    return NotFound.of("certificate.not_found", N_("No certificate %(ref)s here."), ref=ref[:60])
