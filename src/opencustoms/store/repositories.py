"""SQL adapters of the accounts ports, and the unit of work that holds them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Engine,
    Row,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from opencustoms.accounts.domain import (
    Account,
    ApiToken,
    Mandate,
    Organisation,
    OrgKind,
    Role,
    Visibility,
)
from opencustoms.accounts.ports import AccountsRepository, AuditLog, IdempotencyStore
from opencustoms.certificates.io import certificate_json, read_canonical_certificate
from opencustoms.certificates.lifecycle import (
    Event,
    EventKind,
    Status,
    StoredCertificate,
    number_taken,
    stale,
)
from opencustoms.certificates.ports import CertificateRepository, ReceivedRepository
from opencustoms.certificates.received import (
    ReceivedCertificate,
    ReceivedStatus,
    received_changed,
    received_taken,
)
from opencustoms.clearance.ports import (
    DeclarationRepository,
    PreferenceRepository,
    SettlementRepository,
)
from opencustoms.exchange.envelope import envelope_json, read_envelope
from opencustoms.exchange.inbox import (
    Incoming,
    Reception,
    finding_json,
    message_taken,
    order_moved,
    read_finding,
)
from opencustoms.exchange.outbox import Delivery, Outgoing, place_taken, sequence_started
from opencustoms.exchange.partners import (
    Link,
    Partner,
    partner_changed,
    partner_exists,
    partner_json,
)
from opencustoms.exchange.ports import (
    InboxRepository,
    OutboxRepository,
    PartnerRepository,
    VerificationRepository,
)
from opencustoms.exchange.verification import (
    CaseState,
    Side,
    Verification,
    case_changed,
    case_exists,
)
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, Conflict
from opencustoms.origin.records import (
    DeterminationRepository,
    StoredDetermination,
    already_superseded,
)
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse
from opencustoms.store import tables as t
from opencustoms.store.clearance import SqlDeclarations, SqlPreferences, SqlSettlements
from opencustoms.trust.keys import Algorithm, PublicKey
from opencustoms.trust.ports import KeyRepository


def _org(row: Row[Any]) -> Organisation:
    return Organisation(row.id, row.name, OrgKind(row.kind), Country(row.country), row.created_at)


def _account(row: Row[Any]) -> Account:
    roles = frozenset(Role(r) for r in row.roles.split())
    return Account(row.id, row.organisation_id, row.name, roles, row.created_at, row.active)


def _mandate(row: Row[Any]) -> Mandate:
    return Mandate(row.id, row.importer_id, row.broker_id, row.granted_at, row.revoked_at)


def _visible(v: Visibility) -> ColumnElement[bool]:
    """The domain's visibility rule as a SQL condition on organisations."""
    o = t.organisations.c
    by_id: ColumnElement[bool] = o.id.in_(sorted(v.ids)) if v.ids else false()
    if not v.countries:
        return by_id
    in_country: ColumnElement[bool] = o.country.in_(sorted(c.alpha2 for c in v.countries))
    if v.kinds is not None:
        in_country = and_(in_country, o.kind.in_(sorted(k.value for k in v.kinds)))
    return or_(by_id, in_country)


class SqlAccounts:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add_organisation(self, org: Organisation) -> None:
        self.s.execute(
            insert(t.organisations).values(
                id=org.id,
                name=org.name,
                kind=org.kind.value,
                country=org.country.alpha2,
                created_at=org.created_at,
            )
        )

    def organisation(self, org_id: str) -> Organisation | None:
        row = self.s.execute(select(t.organisations).where(t.organisations.c.id == org_id)).first()
        return _org(row) if row else None

    def organisations(
        self, visible: Visibility | None = None, limit: int | None = None, offset: int = 0
    ) -> Sequence[Organisation]:
        query = select(t.organisations).order_by(t.organisations.c.name, t.organisations.c.id)
        if visible is not None:
            query = query.where(_visible(visible))
        query = query.limit(limit).offset(offset) if limit is not None else query.offset(offset)
        return [_org(r) for r in self.s.execute(query)]

    def add_account(self, account: Account) -> None:
        self.s.execute(
            insert(t.accounts).values(
                id=account.id,
                organisation_id=account.organisation_id,
                name=account.name,
                roles=" ".join(sorted(r.value for r in account.roles)),
                active=account.active,
                created_at=account.created_at,
            )
        )

    def account(self, account_id: str) -> Account | None:
        row = self.s.execute(select(t.accounts).where(t.accounts.c.id == account_id)).first()
        return _account(row) if row else None

    def accounts_of(self, org_id: str) -> Sequence[Account]:
        rows = self.s.execute(
            select(t.accounts)
            .where(t.accounts.c.organisation_id == org_id)
            .order_by(t.accounts.c.name)
        )
        return [_account(r) for r in rows]

    def add_token(self, token: ApiToken) -> None:
        self.s.execute(
            insert(t.api_tokens).values(
                id=token.id,
                account_id=token.account_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
            )
        )

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return self._token(t.api_tokens.c.token_hash == token_hash)

    def token(self, token_id: str) -> ApiToken | None:
        return self._token(t.api_tokens.c.id == token_id)

    def revoke_token(self, token_id: str, at: datetime) -> None:
        self.s.execute(
            update(t.api_tokens)
            .where(t.api_tokens.c.id == token_id, t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def set_account_active(self, account_id: str, active: bool) -> None:
        self.s.execute(
            update(t.accounts).where(t.accounts.c.id == account_id).values(active=active)
        )

    def revoke_mandate(self, mandate_id: str, at: datetime) -> None:
        self.s.execute(
            update(t.mandates)
            .where(t.mandates.c.id == mandate_id, t.mandates.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def _token(self, condition: Any) -> ApiToken | None:
        row = self.s.execute(select(t.api_tokens).where(condition)).first()
        if row is None:
            return None
        return ApiToken(
            row.id, row.account_id, row.token_hash, row.created_at, row.expires_at, row.revoked_at
        )

    def add_mandate(self, mandate: Mandate) -> None:
        self.s.execute(
            insert(t.mandates).values(
                id=mandate.id,
                importer_id=mandate.importer_id,
                broker_id=mandate.broker_id,
                granted_at=mandate.granted_at,
                revoked_at=mandate.revoked_at,
            )
        )

    def mandates_of_broker(self, broker_id: str) -> Sequence[Mandate]:
        rows = self.s.execute(
            select(t.mandates)
            .where(t.mandates.c.broker_id == broker_id)
            .order_by(t.mandates.c.granted_at)
        )
        return [_mandate(r) for r in rows]

    def mandates_of_importer(self, importer_id: str) -> Sequence[Mandate]:
        rows = self.s.execute(
            select(t.mandates)
            .where(t.mandates.c.importer_id == importer_id)
            .order_by(t.mandates.c.granted_at)
        )
        return [_mandate(r) for r in rows]


_INSERT_AUDIT = insert(t.audit_events)


def _audit_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "organisation_id": event.organisation_id,
        "actor_account_id": event.actor_account_id,
        "actor_organisation_id": event.actor_organisation_id,
        "request_id": event.request_id,
        "details": event.details,
    }


class SqlAuditLog:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def append(self, event: AuditEvent) -> None:
        # the statement is built once and its values bound per call: every change is audited,
        # and building an INSERT with its values costs more than running it
        self.s.execute(_INSERT_AUDIT, _audit_row(event))

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        if events:
            self.s.execute(_INSERT_AUDIT, [_audit_row(e) for e in events])

    def events(self, limit: int, visible: Visibility | None = None) -> Sequence[AuditEvent]:
        query = select(t.audit_events).order_by(t.audit_events.c.seq.desc()).limit(limit)
        if visible is not None:
            orgs = select(t.organisations.c.id).where(_visible(visible))
            query = query.where(t.audit_events.c.organisation_id.in_(orgs))
        return [
            AuditEvent(
                id=r.id,
                at=r.at,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                organisation_id=r.organisation_id,
                actor_account_id=r.actor_account_id,
                actor_organisation_id=r.actor_organisation_id,
                request_id=r.request_id,
                details=r.details,
            )
            for r in self.s.execute(query)
        ]


class SqlIdempotency:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def get(self, scope: str, key: str) -> StoredResponse | None:
        row = self.s.execute(
            select(t.idempotency_keys).where(
                t.idempotency_keys.c.scope == scope, t.idempotency_keys.c.key == key
            )
        ).first()
        if row is None:
            return None
        return StoredResponse(
            row.scope, row.key, row.fingerprint, row.status, row.body, row.created_at
        )

    def put(self, response: StoredResponse) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(t.idempotency_keys).values(
                        scope=response.scope,
                        key=response.key,
                        fingerprint=response.fingerprint,
                        status=response.status,
                        body=response.body,
                        created_at=response.created_at,
                    )
                )
        except IntegrityError:
            # a concurrent request with the same key won the race
            raise Conflict.of(
                "idempotency.in_progress",
                N_(
                    "Another request with this Idempotency-Key was processed at the same time; "
                    "retry to get its answer."
                ),
                field="Idempotency-Key",
            ) from None


class SqlDeterminations:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, record: StoredDetermination) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(
                    insert(t.origin_determinations).values(
                        id=record.id,
                        supersedes=record.supersedes,
                        organisation_id=record.organisation_id,
                        agreement=record.agreement,
                        product_hs=record.product_hs,
                        product_description=record.product_description,
                        on_date=record.on_date,
                        verdict=record.verdict,
                        criterion=record.criterion,
                        rule=record.rule,
                        bom=record.bom,
                        result=record.result,
                        created_at=record.created_at,
                    )
                )
        except IntegrityError:
            # supersedes is unique: a concurrent re-run may have stored the successor first
            d = t.origin_determinations
            taken = (
                record.supersedes is not None
                and self.s.execute(
                    select(d.c.id).where(d.c.supersedes == record.supersedes)
                ).first()
            )
            if taken:
                raise already_superseded(record.supersedes or "") from None
            raise

    def get(self, record_id: str) -> StoredDetermination | None:
        row = self.s.execute(
            select(t.origin_determinations).where(t.origin_determinations.c.id == record_id)
        ).first()
        return _determination(row) if row else None

    def successor(self, record_id: str) -> StoredDetermination | None:
        d = t.origin_determinations
        row = self.s.execute(select(d).where(d.c.supersedes == record_id)).first()
        return _determination(row) if row else None

    def current(
        self, limit: int | None = None, organisation_id: str | None = None
    ) -> Sequence[StoredDetermination]:
        d = t.origin_determinations
        later = select(d.c.supersedes).where(d.c.supersedes.is_not(None))
        query = select(d).where(d.c.id.not_in(later)).order_by(d.c.created_at.desc(), d.c.id)
        if organisation_id is not None:
            query = query.where(d.c.organisation_id == organisation_id)
        if limit is not None:
            query = query.limit(limit)
        return [_determination(r) for r in self.s.execute(query)]


def _determination(row: Row[Any]) -> StoredDetermination:
    return StoredDetermination(
        row.id,
        row.supersedes,
        row.organisation_id,
        row.agreement,
        row.product_hs,
        row.product_description,
        row.on_date,
        row.verdict,
        row.criterion,
        row.rule,
        row.bom,
        row.result,
        row.created_at,
    )


class SqlKeys:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, key: PublicKey) -> None:
        self.s.execute(insert(t.authority_keys).values(**_key_row(key)))

    def save(self, key: PublicKey) -> None:
        k = t.authority_keys
        self.s.execute(
            update(k)
            .where(k.c.kid == key.kid)
            .values(
                valid_to=key.valid_to,
                revoked_at=key.revoked_at,
                revocation_reason=key.revocation_reason,
            )
        )

    def get(self, kid: str) -> PublicKey | None:
        k = t.authority_keys
        row = self.s.execute(select(k).where(k.c.kid == kid)).first()
        return _key(row) if row else None

    def all(self, authority: str | None = None) -> Sequence[PublicKey]:
        if authority is None:
            return [_key(r) for r in self.s.execute(_ALL_KEYS)]
        return [_key(r) for r in self.s.execute(_KEYS_OF, {"authority": authority})]


_ALL_KEYS = select(t.authority_keys).order_by(t.authority_keys.c.valid_from, t.authority_keys.c.kid)
_KEYS_OF = _ALL_KEYS.where(t.authority_keys.c.authority == bindparam("authority"))


def _key_row(key: PublicKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "authority": key.authority,
        "country": key.country,
        "algorithm": key.algorithm.value,
        "jwk": dict(key.jwk),
        "agreements": list(key.agreements),
        "valid_from": key.valid_from,
        "valid_to": key.valid_to,
        "revoked_at": key.revoked_at,
        "revocation_reason": key.revocation_reason,
    }


def _key(row: Row[Any]) -> PublicKey:
    return PublicKey(
        kid=row.kid,
        algorithm=Algorithm(row.algorithm),
        jwk=dict(row.jwk),
        authority=row.authority,
        country=row.country,
        agreements=tuple(row.agreements),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


# built once, values bound per call (see SqlAuditLog.append)
_INSERT_CERTIFICATE = insert(t.certificates)
_UPDATE_CERTIFICATE = (
    update(t.certificates)
    .where(t.certificates.c.id == bindparam("_id"), t.certificates.c.version == bindparam("_was"))
    .values(
        {c.name: bindparam(c.name) for c in t.certificates.c if c.name not in ("id", "created_at")}
    )
)
_INSERT_EVENT = insert(t.certificate_events)
_CERTIFICATE_BY_ID = select(t.certificates).where(t.certificates.c.id == bindparam("id"))
_CERTIFICATES_BY_ID = select(t.certificates).where(
    t.certificates.c.id.in_(bindparam("ids", expanding=True))
)
_NEXT_IN_SEQUENCE = (
    update(t.certificate_sequences)
    .where(
        t.certificate_sequences.c.authority == bindparam("_authority"),
        t.certificate_sequences.c.scope == bindparam("_scope"),
    )
    .values(last=t.certificate_sequences.c.last + bindparam("_count"))
    .returning(t.certificate_sequences.c.last)
)


class SqlCertificates:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, record: StoredCertificate) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(_INSERT_CERTIFICATE, _certificate_row(record))
        except IntegrityError:
            if record.number and self.by_number(record.authority, record.number):
                raise number_taken(record.authority, record.number) from None
            raise

    def save(self, record: StoredCertificate) -> None:
        self.save_many([record])

    def save_many(self, records: Sequence[StoredCertificate]) -> None:
        if not records:
            return
        rows = []
        for record in records:
            row = _certificate_row(record)
            row["_id"], row["_was"] = row.pop("id"), record.version - 1
            del row["created_at"]
            rows.append(row)
        if len(rows) == 1:
            try:
                done = self.s.execute(_UPDATE_CERTIFICATE, rows[0])
            except IntegrityError:
                # the one unique key an update can break: (authority, number). No savepoint:
                # the transaction fails whole, and the number is named without asking again
                if records[0].number is None:
                    raise
                raise number_taken(records[0].authority, records[0].number) from None
        else:
            try:  # a savepoint, so that the database can still be asked whose number was taken
                with self.s.begin_nested():
                    done = self.s.execute(_UPDATE_CERTIFICATE, rows)
            except IntegrityError:
                numbered = [r for r in records if r.number is not None]
                if not numbered:
                    raise
                taken = self._taken(numbered)
                raise number_taken(taken.authority, str(taken.number)) from None
        # summed over the rows (both engines' drivers count an executemany whole)
        if cast(CursorResult[Any], done).rowcount != len(rows):
            raise stale(self._changed(records))

    def _taken(self, records: Sequence[StoredCertificate]) -> StoredCertificate:
        """Which record's number is another certificate's (the first if none can be told)."""
        for record in records:
            other = self.by_number(record.authority, str(record.number))
            if other is not None and other.id != record.id:
                return record
        return records[0]

    def _changed(self, records: Sequence[StoredCertificate]) -> str:
        """The label, as stored, of a record that someone else changed meanwhile (not the
        number this transaction meant to give it, which it will not have)."""
        for record in records:
            now = self.get(record.id)
            if now is None:
                return record.id
            if now.version != record.version - 1:
                return now.label
        return records[0].id

    def get(self, record_id: str) -> StoredCertificate | None:
        row = self.s.execute(_CERTIFICATE_BY_ID, {"id": record_id}).first()
        return _certificate(row) if row else None

    def get_many(self, record_ids: Sequence[str]) -> Sequence[StoredCertificate]:
        if not record_ids:
            return []
        if len(record_ids) == 1:  # the usual case, without an IN list to expand
            one = self.get(record_ids[0])
            return [one] if one else []
        rows = self.s.execute(_CERTIFICATES_BY_ID, {"ids": list(record_ids)})
        return [_certificate(r) for r in rows]

    def by_number(self, authority: str, number: str) -> StoredCertificate | None:
        c = t.certificates
        row = self.s.execute(
            select(c).where(c.c.authority == authority, c.c.number == number)
        ).first()
        return _certificate(row) if row else None

    def with_number(self, number: str) -> Sequence[StoredCertificate]:
        c = t.certificates
        rows = self.s.execute(select(c).where(c.c.number == number).order_by(c.c.authority))
        return [_certificate(r) for r in rows]

    def find(
        self,
        organisation_id: str | None = None,
        export_country: str | None = None,
        status: Status | None = None,
        limit: int = 100,
        drafts: bool = True,
    ) -> Sequence[StoredCertificate]:
        c = t.certificates
        query = select(c).order_by(c.c.created_at.desc(), c.c.id).limit(limit)
        if organisation_id is not None:
            query = query.where(c.c.organisation_id == organisation_id)
        if export_country is not None:
            query = query.where(c.c.export_country == export_country)
        if status is not None:
            query = query.where(c.c.status == status.value)
        if not drafts:
            query = query.where(c.c.status != Status.DRAFT.value)
        return [_certificate(r) for r in self.s.execute(query)]

    def append(self, event: Event) -> None:
        self.append_many([event])

    def append_many(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [
            {
                "certificate_id": e.certificate_id,
                "seq": e.seq,
                "kind": e.kind.value,
                "at": e.at,
                "actor_account_id": e.actor_account_id,
                "details": e.details,
            }
            for e in events
        ]
        try:  # no savepoint: a taken (certificate, seq) fails the transaction whole
            self.s.execute(_INSERT_EVENT, rows[0] if len(rows) == 1 else rows)
        except IntegrityError:  # the database cannot be asked which (the transaction failed)
            named = list(dict.fromkeys(e.certificate_id for e in events))
            raise stale(", ".join(named[:3]) + (" ..." if len(named) > 3 else "")) from None

    def events(self, record_id: str) -> Sequence[Event]:
        e = t.certificate_events
        rows = self.s.execute(select(e).where(e.c.certificate_id == record_id).order_by(e.c.seq))
        return [
            Event(
                r.certificate_id,
                r.seq,
                EventKind(r.kind),
                r.at,
                r.actor_account_id,
                dict(r.details),
            )
            for r in rows
        ]

    def next_in_sequence(self, authority: str, scope: str, count: int = 1) -> int:
        if count < 1:
            raise ValueError("take at least one number")
        q = t.certificate_sequences
        where = {"_authority": authority, "_scope": scope, "_count": count}
        # the update holds the row until commit: two issues never take the same number
        taken = self.s.execute(_NEXT_IN_SEQUENCE, where).scalar()
        if taken is not None:
            return int(taken)
        try:
            with self.s.begin_nested():
                self.s.execute(insert(q).values(authority=authority, scope=scope, last=count))
            return count
        except IntegrityError:  # another transaction started the sequence first
            return int(self.s.execute(_NEXT_IN_SEQUENCE, where).scalar_one())


def _certificate_row(record: StoredCertificate) -> dict[str, Any]:
    return {
        "id": record.id,
        "organisation_id": record.organisation_id,
        "authority": record.authority,
        "number": record.number,
        "form": record.form,
        "status": record.status.value,
        "export_country": record.certificate.export_country,
        "certificate": certificate_json(record.certificate),
        "signed": record.signed,
        "payload_sha256": record.payload_sha256,
        "seal": record.seal,
        "issued_at": record.issued_at,
        "determinations": {str(k): v for k, v in record.determinations.items()},
        "replaces_id": record.replaces_id,
        "replaced_by_id": record.replaced_by_id,
        "reason": record.reason,
        "version": record.version,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _certificate(row: Row[Any]) -> StoredCertificate:
    return StoredCertificate(
        id=row.id,
        organisation_id=row.organisation_id,
        authority=row.authority,
        form=row.form,
        status=Status(row.status),
        # stored as `certificate_json` writes it: the reader for that form
        certificate=read_canonical_certificate(row.certificate, "database"),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        number=row.number,
        signed=row.signed,
        payload_sha256=row.payload_sha256,
        seal=row.seal,
        issued_at=row.issued_at,
        determinations={int(k): v for k, v in row.determinations.items()},
        replaces_id=row.replaces_id,
        replaced_by_id=row.replaced_by_id,
        reason=row.reason,
    )


class SqlPartners:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, partner: Partner) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(insert(t.partners).values(**_partner_row(partner)))
        except IntegrityError:
            raise partner_exists(partner.node) from None

    def save(self, partner: Partner) -> None:
        p = t.partners
        row = _partner_row(partner)
        del row["node"], row["created_at"]
        done = self.s.execute(
            update(p)
            .where(p.c.node == partner.node, p.c.version == partner.version - 1)
            .values(**row)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise partner_changed(partner.node)

    def get(self, node: str) -> Partner | None:
        row = self.s.execute(select(t.partners).where(t.partners.c.node == node)).first()
        return _partner(row) if row else None

    def all(self, active_only: bool = False) -> Sequence[Partner]:
        query = select(t.partners).order_by(t.partners.c.node)
        if active_only:
            query = query.where(t.partners.c.active.is_(True))
        return [_partner(r) for r in self.s.execute(query)]


def _partner_row(partner: Partner) -> dict[str, Any]:
    return {
        "node": partner.node,
        "country": partner.country,
        "name": partner.name,
        "url": partner.url,
        "links": partner_json(partner)["links"],
        "active": partner.active,
        "created_at": partner.created_at,
        "updated_at": partner.updated_at,
        "version": partner.version,
    }


def _partner(row: Row[Any]) -> Partner:
    return Partner(
        node=row.node,
        country=row.country,
        name=row.name,
        url=row.url,
        links=tuple(
            Link(k["agreement"], tuple(k["messages"]), k.get("reply_days")) for k in row.links
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        active=row.active,
        version=row.version,
    )


OUTBOX_CHANNEL = "opencustoms_outbox"  # PostgreSQL's notification of new outgoing messages


def outbox_waiter(engine: Engine) -> Callable[[float], None] | None:
    """On PostgreSQL, a wait that ends when a transaction adds outgoing messages (LISTEN),
    so that delivery starts at once instead of at the next poll; None elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    state: dict[str, Any] = {}

    def wait(seconds: float) -> None:
        listener = state.get("connection")
        try:
            if listener is None or listener.closed:
                listener = state["connection"] = psycopg.connect(url, autocommit=True)
                listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            for _ in listener.notifies(timeout=seconds, stop_after=1):
                break
        except psycopg.Error:  # the server away: wait as a poll would, and connect again
            state.pop("connection", None)
            time.sleep(seconds)

    return wait


class SqlOutbox:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, outgoing: Outgoing) -> None:
        self.add_many([outgoing])

    def add_many(self, outgoing: Sequence[Outgoing]) -> None:
        if not outgoing:
            return
        rows = [_outbox_row(o) for o in outgoing]
        try:  # no savepoint: a taken (receiver, subject, seq) fails the transaction whole
            self.s.execute(insert(t.outbox), rows[0] if len(rows) == 1 else rows)
        except IntegrityError:
            raise place_taken(outgoing[0].envelope) from None
        if self.s.dialect.name == "postgresql":  # wakes the delivery workers at commit
            self.s.exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")

    def next_sequence(self, receiver: str, subject: str) -> int:
        q = t.outbox_sequences
        where = {"_receiver": receiver, "_subject": subject}
        # the update holds the row until commit: two messages never take the same seq
        taken = self.s.execute(_NEXT_OUTBOX_SEQ, where).scalar()
        if taken is not None:
            return int(taken)
        try:
            with self.s.begin_nested():
                self.s.execute(insert(q).values(receiver=receiver, subject=subject, last=1))
            return 1
        except IntegrityError:  # another transaction started it first
            return int(self.s.execute(_NEXT_OUTBOX_SEQ, where).scalar_one())

    def start_sequences(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        rows = [{"receiver": r, "subject": s, "last": 1} for r, s in pairs]
        try:  # no savepoint: a subject numbered before fails the transaction whole
            self.s.execute(insert(t.outbox_sequences), rows[0] if len(rows) == 1 else rows)
        except IntegrityError:
            raise sequence_started(pairs) from None

    def all(
        self, receiver: str | None = None, state: Delivery | None = None, limit: int = 100
    ) -> Sequence[Outgoing]:
        o = t.outbox
        query = select(o).order_by(o.c.created_at, o.c.id).limit(limit)
        if receiver is not None:
            query = query.where(o.c.receiver == receiver)
        if state is not None:
            query = query.where(o.c.state == state.value)
        return [_outgoing(r) for r in self.s.execute(query)]

    def get(self, message_id: str) -> Outgoing | None:
        row = self.s.execute(select(t.outbox).where(t.outbox.c.id == message_id)).first()
        return _outgoing(row) if row else None

    def claim(self, now: datetime, until: datetime, claim: str, limit: int) -> Sequence[Outgoing]:
        o = t.outbox
        free = or_(o.c.claimed_until.is_(None), o.c.claimed_until < now)
        due = (
            select(o.c.id)
            .where(
                o.c.state == Delivery.PENDING.value,
                o.c.next_attempt_at <= now,
                free,
                ~_EARLIER_OPEN,
            )
            .order_by(o.c.created_at, o.c.seq, o.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=o)
        )
        ids = list(self.s.execute(due).scalars())
        if not ids:
            return []
        # the guard repeats the conditions: on SQLite the read above ran before this
        # transaction took the write lock, and another claimant may have come between
        self.s.execute(
            update(o)
            .where(
                o.c.id.in_(ids),
                o.c.state == Delivery.PENDING.value,
                o.c.next_attempt_at <= now,
                free,
            )
            .values(claimed_until=until, claim=claim)
        )
        held = (
            select(o)
            .where(o.c.id.in_(ids), o.c.claim == claim, o.c.claimed_until == until)
            .order_by(o.c.created_at, o.c.seq, o.c.id)
        )
        return [_outgoing(r) for r in self.s.execute(held)]

    def settle(self, outgoing: Outgoing, claim: str) -> bool:
        o = t.outbox
        done = self.s.execute(
            update(o)
            .where(o.c.id == outgoing.envelope.id, o.c.claim == claim)
            .values(**_attempt_values(outgoing), claimed_until=None, claim=None)
        )
        return cast(CursorResult[Any], done).rowcount == 1

    def settle_many(self, outgoing: Sequence[Outgoing], claim: str) -> int:
        if not outgoing:
            return 0
        o = t.outbox
        statement = (
            update(o)
            .where(o.c.id == bindparam("_id"), o.c.claim == bindparam("_claim"))
            .values(
                state=bindparam("_state"),
                attempts=bindparam("_attempts"),
                next_attempt_at=bindparam("_next"),
                last_error=bindparam("_error"),
                delivered_at=bindparam("_delivered"),
                claimed_until=None,
                claim=None,
            )
        )
        rows = [
            {
                "_id": x.envelope.id,
                "_claim": claim,
                "_state": x.state.value,
                "_attempts": x.attempts,
                "_next": x.next_attempt_at,
                "_error": x.last_error,
                "_delivered": x.delivered_at,
            }
            for x in outgoing
        ]
        done = self.s.execute(statement, rows)
        return int(cast(CursorResult[Any], done).rowcount)

    def acknowledge_many(
        self, acks: Sequence[tuple[str, str, str, Sequence[str]]], at: datetime
    ) -> set[tuple[str, str]]:
        if not acks:
            return set()
        o = t.outbox
        wanted = [(message_id, receiver) for message_id, receiver, _, _ in acks]
        query = select(o.c.id, o.c.receiver).where(tuple_(o.c.id, o.c.receiver).in_(wanted))
        found = {(m, r) for m, r in self.s.execute(query)}
        rows = [
            {"_id": m, "_receiver": r, "_outcome": outcome, "_reasons": list(why), "_at": at}
            for m, r, outcome, why in sorted(acks, key=lambda a: (a[0], a[1]))  # one lock order
            if (m, r) in found
        ]
        if rows:
            self.s.execute(
                update(o)
                .where(o.c.id == bindparam("_id"), o.c.receiver == bindparam("_receiver"))
                .values(
                    ack_outcome=bindparam("_outcome"),
                    ack_reasons=bindparam("_reasons"),
                    acknowledged_at=bindparam("_at"),
                ),
                rows,
            )
        return found

    def redrive(self, outgoing: Outgoing) -> bool:
        o = t.outbox
        done = self.s.execute(
            update(o)
            .where(o.c.id == outgoing.envelope.id, o.c.state == Delivery.DEAD.value)
            .values(**_attempt_values(outgoing), claimed_until=None, claim=None)
        )
        return cast(CursorResult[Any], done).rowcount == 1

    def acknowledge(
        self, message_id: str, receiver: str, outcome: str, reasons: Sequence[str], at: datetime
    ) -> bool:
        o = t.outbox
        done = self.s.execute(
            update(o)
            .where(o.c.id == message_id, o.c.receiver == receiver)
            .values(ack_outcome=outcome, ack_reasons=list(reasons), acknowledged_at=at)
        )
        return cast(CursorResult[Any], done).rowcount == 1

    def archive(self, before: datetime) -> int:
        o = t.outbox
        done = self.s.execute(
            delete(o).where(o.c.state == Delivery.DELIVERED.value, o.c.next_attempt_at < before)
        )
        return int(cast(CursorResult[Any], done).rowcount)

    def counts(self) -> dict[Delivery, tuple[int, datetime | None]]:
        o = t.outbox
        query = select(o.c.state, func.count(), func.min(o.c.created_at)).group_by(o.c.state)
        return {Delivery(state): (int(n), oldest) for state, n, oldest in self.s.execute(query)}

    def resend(self, receiver: str, subject: str, now: datetime) -> int:
        o = t.outbox
        done = self.s.execute(
            update(o)
            .where(
                o.c.receiver == receiver,
                o.c.subject == subject,
                o.c.state == Delivery.DELIVERED.value,
            )
            .values(state=Delivery.PENDING.value, attempts=0, next_attempt_at=now)
        )
        return int(cast(CursorResult[Any], done).rowcount)


def _attempt_values(outgoing: Outgoing) -> dict[str, Any]:
    return {
        "state": outgoing.state.value,
        "attempts": outgoing.attempts,
        "next_attempt_at": outgoing.next_attempt_at,
        "last_error": outgoing.last_error,
        "delivered_at": outgoing.delivered_at,
    }


_EARLIER = t.outbox.alias("earlier")
# an earlier message about the same certificate to the same receiver, not yet delivered
_EARLIER_OPEN = (
    select(_EARLIER.c.id)
    .where(
        _EARLIER.c.receiver == t.outbox.c.receiver,
        _EARLIER.c.subject == t.outbox.c.subject,
        _EARLIER.c.seq < t.outbox.c.seq,
        _EARLIER.c.state != Delivery.DELIVERED.value,
    )
    .exists()
)

_NEXT_OUTBOX_SEQ = (
    update(t.outbox_sequences)
    .where(
        t.outbox_sequences.c.receiver == bindparam("_receiver"),
        t.outbox_sequences.c.subject == bindparam("_subject"),
    )
    .values(last=t.outbox_sequences.c.last + 1)
    .returning(t.outbox_sequences.c.last)
)


def _outbox_row(outgoing: Outgoing) -> dict[str, Any]:
    e = outgoing.envelope
    return {
        "id": e.id,
        "receiver": e.receiver,
        "type": e.type,
        "subject": e.subject,
        "seq": e.sequence,
        "envelope": envelope_json(e),
        "state": outgoing.state.value,
        "attempts": outgoing.attempts,
        "next_attempt_at": outgoing.next_attempt_at,
        "last_error": outgoing.last_error,
        "created_at": outgoing.created_at,
        "delivered_at": outgoing.delivered_at,
        "ack_outcome": outgoing.ack_outcome,
        "ack_reasons": list(outgoing.ack_reasons) if outgoing.ack_outcome else None,
        "acknowledged_at": outgoing.acknowledged_at,
    }


def _outgoing(row: Row[Any]) -> Outgoing:
    return Outgoing(
        envelope=read_envelope(row.envelope),
        created_at=row.created_at,
        state=Delivery(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        ack_outcome=row.ack_outcome,
        ack_reasons=tuple(row.ack_reasons or ()),
        acknowledged_at=row.acknowledged_at,
    )


class SqlReceived:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def hold(self, authority: str, number: str) -> None:
        r = t.received_certificates
        self.s.execute(  # SQLite: its transactions are serial already (BEGIN IMMEDIATE)
            select(r.c.number)
            .where(r.c.authority == authority, r.c.number == number)
            .with_for_update()
        )

    def numbered(self, number: str) -> Sequence[ReceivedCertificate]:
        r = t.received_certificates
        rows = self.s.execute(select(r).where(r.c.number == number).order_by(r.c.authority))
        return [_received(row) for row in rows]

    def add(self, received: ReceivedCertificate) -> None:
        try:  # no savepoint: a number taken meanwhile fails the transaction whole (retried)
            self.s.execute(insert(t.received_certificates).values(**_received_row(received)))
        except IntegrityError:
            raise received_taken(received.authority, received.number) from None

    def save(self, received: ReceivedCertificate) -> None:
        r = t.received_certificates
        done = self.s.execute(
            update(r)
            .where(
                r.c.authority == received.authority,
                r.c.number == received.number,
                r.c.version == received.version - 1,
            )
            .values(
                status=received.status.value,
                replaced_by=received.replaced_by,
                revoked_at=received.revoked_at,
                version=received.version,
            )
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise received_changed(received.authority, received.number)

    def get(self, authority: str, number: str) -> ReceivedCertificate | None:
        r = t.received_certificates
        row = self.s.execute(
            select(r).where(r.c.authority == authority, r.c.number == number)
        ).first()
        return _received(row) if row else None

    def held(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        r = t.received_certificates
        query = select(r.c.authority, r.c.number).where(
            tuple_(r.c.authority, r.c.number).in_(list(keys))
        )
        return {(a, n) for a, n in self.s.execute(query)}

    def add_many(self, received: Sequence[ReceivedCertificate]) -> None:
        if not received:
            return
        try:
            self.s.execute(insert(t.received_certificates), [_received_row(r) for r in received])
        except IntegrityError:
            raise received_taken(received[0].authority, received[0].number) from None

    def find(self, sender: str | None = None, limit: int = 100) -> Sequence[ReceivedCertificate]:
        r = t.received_certificates
        query = select(r).order_by(r.c.received_at.desc(), r.c.number.desc()).limit(limit)
        if sender is not None:
            query = query.where(r.c.sender == sender)
        return [_received(row) for row in self.s.execute(query)]


def _received_row(received: ReceivedCertificate) -> dict[str, Any]:
    return {
        "authority": received.authority,
        "number": received.number,
        "sender": received.sender,
        "form": received.form,
        "export_country": received.export_country,
        "import_country": received.import_country,
        "issued_on": received.issued_on,
        "document": received.document,
        "payload_sha256": received.payload_sha256,
        "received_at": received.received_at,
        "message_id": received.message_id,
        "status": received.status.value,
        "replaced_by": received.replaced_by,
        "revoked_at": received.revoked_at,
        "version": received.version,
    }


def _received(row: Row[Any]) -> ReceivedCertificate:
    return ReceivedCertificate(
        authority=row.authority,
        number=row.number,
        sender=row.sender,
        form=row.form,
        export_country=row.export_country,
        import_country=row.import_country,
        issued_on=row.issued_on,
        document=row.document,
        payload_sha256=row.payload_sha256,
        received_at=row.received_at,
        message_id=row.message_id,
        status=ReceivedStatus(row.status),
        replaced_by=row.replaced_by,
        revoked_at=row.revoked_at,
        version=row.version,
    )


class SqlInbox:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def get(self, sender: str, message_id: str) -> Incoming | None:
        i = t.inbox
        row = self.s.execute(select(i).where(i.c.sender == sender, i.c.id == message_id)).first()
        return _incoming(row) if row else None

    def add(self, incoming: Incoming) -> None:
        e = incoming.envelope
        try:  # no savepoint: a taken id fails the transaction whole, and it is retried
            self.s.execute(insert(t.inbox).values(**_inbox_row(incoming)))
        except IntegrityError:
            raise message_taken(e.sender, e.id) from None

    def save(self, incoming: Incoming) -> None:
        i, e = t.inbox, incoming.envelope
        self.s.execute(
            update(i)
            .where(i.c.sender == e.sender, i.c.id == e.id)
            .values(
                state=incoming.state.value,
                reasons=[finding_json(f) for f in incoming.reasons],
                applied_at=incoming.applied_at,
            )
        )

    def kept(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        i = t.inbox
        query = select(i.c.sender, i.c.id).where(tuple_(i.c.sender, i.c.id).in_(list(keys)))
        return {(s, m) for s, m in self.s.execute(query)}

    def add_many(self, incoming: Sequence[Incoming]) -> None:
        if not incoming:
            return
        try:
            self.s.execute(insert(t.inbox), [_inbox_row(i) for i in incoming])
        except IntegrityError:
            e = incoming[0].envelope
            raise message_taken(e.sender, e.id) from None

    def started(self, subjects: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not subjects:
            return set()
        q = t.inbox_sequences
        query = select(q.c.sender, q.c.subject).where(
            tuple_(q.c.sender, q.c.subject).in_(list(subjects))
        )
        return {(s, subject) for s, subject in self.s.execute(query)}

    def start_many(self, subjects: Sequence[tuple[str, str]]) -> None:
        if not subjects:
            return
        rows = [{"sender": s, "subject": subject, "applied": 1} for s, subject in subjects]
        try:
            self.s.execute(insert(t.inbox_sequences), rows)
        except IntegrityError:
            raise order_moved(*subjects[0]) from None

    def expected(self, sender: str, subject: str) -> int:
        # one statement makes the subject's row if it is new and locks it until this
        # transaction ends, so that deliveries about one certificate are decided one after
        # another (on SQLite the writer is alone anyway)
        q = t.inbox_sequences
        upsert = _dialect_insert(self.s)(q).values(sender=sender, subject=subject, applied=0)
        locked = upsert.on_conflict_do_update(
            index_elements=[q.c.sender, q.c.subject], set_={"applied": q.c.applied}
        ).returning(q.c.applied)
        return int(self.s.execute(locked).scalar_one()) + 1

    def advance(self, sender: str, subject: str, seq: int) -> None:
        q = t.inbox_sequences
        done = self.s.execute(
            update(q)
            .where(q.c.sender == sender, q.c.subject == subject, q.c.applied == seq - 1)
            .values(applied=seq)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise order_moved(sender, subject)

    def held(self, sender: str, subject: str, seq: int) -> Incoming | None:
        i = t.inbox
        row = self.s.execute(
            select(i).where(
                i.c.sender == sender,
                i.c.subject == subject,
                i.c.seq == seq,
                i.c.state == Reception.HELD.value,
            )
        ).first()
        return _incoming(row) if row else None

    def all(
        self, sender: str | None = None, state: Reception | None = None, limit: int = 100
    ) -> Sequence[Incoming]:
        i = t.inbox
        query = select(i).order_by(i.c.received_at.desc(), i.c.id.desc()).limit(limit)
        if sender is not None:
            query = query.where(i.c.sender == sender)
        if state is not None:
            query = query.where(i.c.state == state.value)
        return [_incoming(r) for r in self.s.execute(query)]

    def forget(self, before: datetime) -> int:
        i = t.inbox
        done = self.s.execute(
            delete(i).where(i.c.received_at < before, i.c.state != Reception.HELD.value)
        )
        return int(cast(CursorResult[Any], done).rowcount)

    def counts(self) -> dict[Reception, int]:
        i = t.inbox
        query = select(i.c.state, func.count()).group_by(i.c.state)
        return {Reception(state): int(n) for state, n in self.s.execute(query)}

    def gaps(self, held_before: datetime, pulled_before: datetime) -> Sequence[tuple[str, str]]:
        i = t.inbox
        query = (
            select(i.c.sender, i.c.subject)
            .where(
                i.c.state == Reception.HELD.value,
                i.c.subject.is_not(None),
                i.c.received_at < held_before,
                or_(i.c.pulled_at.is_(None), i.c.pulled_at < pulled_before),
            )
            .distinct()
            .order_by(i.c.sender, i.c.subject)
        )
        return [(r.sender, r.subject) for r in self.s.execute(query)]

    def pulled(self, sender: str, subject: str, at: datetime) -> None:
        i = t.inbox
        self.s.execute(
            update(i)
            .where(i.c.sender == sender, i.c.subject == subject, i.c.state == Reception.HELD.value)
            .values(pulled_at=at)
        )


class SqlVerifications:
    def __init__(self, connection: Connection) -> None:
        self.s = connection

    def add(self, case: Verification) -> None:
        try:
            with self.s.begin_nested():
                self.s.execute(insert(t.verifications).values(**_verification_row(case)))
        except IntegrityError:
            raise case_exists(case) from None

    def save(self, case: Verification) -> None:
        v = t.verifications
        row = _verification_row(case)
        done = self.s.execute(
            update(v)
            .where(v.c.id == case.id, v.c.side == case.side.value, v.c.version == case.version - 1)
            .values(**row)
        )
        if cast(CursorResult[Any], done).rowcount != 1:
            raise case_changed(case)

    def get(self, case_id: str, side: Side) -> Verification | None:
        v = t.verifications
        row = self.s.execute(select(v).where(v.c.id == case_id, v.c.side == side.value)).first()
        return _verification(row) if row else None

    def find(
        self, side: Side | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Verification]:
        v = t.verifications
        query = select(v).order_by(v.c.requested_at.desc(), v.c.id.desc()).limit(limit)
        if side is not None:
            query = query.where(v.c.side == side.value)
        if open_only:
            query = query.where(v.c.state == CaseState.OPEN.value)
        return [_verification(r) for r in self.s.execute(query)]


def _verification_row(case: Verification) -> dict[str, Any]:
    return {
        "id": case.id,
        "side": case.side.value,
        "partner": case.partner,
        "authority": case.authority,
        "number": case.number,
        "questions": list(case.questions),
        "documents": list(case.documents),
        "reply_by": case.reply_by,
        "requested_at": case.requested_at,
        "state": case.state.value,
        "outcome": case.outcome,
        "findings": list(case.findings),
        "answer_documents": list(case.answer_documents),
        "answered_at": case.answered_at,
        "response_id": case.response_id,
        "overdue_alerted_at": case.overdue_alerted_at,
        "version": case.version,
    }


def _verification(row: Row[Any]) -> Verification:
    return Verification(
        id=row.id,
        side=Side(row.side),
        partner=row.partner,
        authority=row.authority,
        number=row.number,
        questions=tuple(row.questions),
        documents=tuple(row.documents),
        reply_by=row.reply_by,
        requested_at=row.requested_at,
        state=CaseState(row.state),
        outcome=row.outcome,
        findings=tuple(row.findings),
        answer_documents=tuple(row.answer_documents),
        answered_at=row.answered_at,
        response_id=row.response_id,
        overdue_alerted_at=row.overdue_alerted_at,
        version=row.version,
    )


def _dialect_insert(connection: Connection) -> Any:
    """INSERT with the engine's ON CONFLICT (PostgreSQL and SQLite write it alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _inbox_row(incoming: Incoming) -> dict[str, Any]:
    e = incoming.envelope
    return {
        "sender": e.sender,
        "id": e.id,
        "type": e.type,
        "subject": e.subject,
        "seq": e.sequence,
        "envelope": envelope_json(e),
        "digest": incoming.digest,
        "state": incoming.state.value,
        "reasons": [finding_json(f) for f in incoming.reasons],
        "received_at": incoming.received_at,
        "applied_at": incoming.applied_at,
    }


def _incoming(row: Row[Any]) -> Incoming:
    return Incoming(
        envelope=read_envelope(row.envelope),
        digest=row.digest,
        received_at=row.received_at,
        state=Reception(row.state),
        reasons=tuple(read_finding(f) for f in row.reasons),
        applied_at=row.applied_at,
    )


class SqlUnitOfWork:
    """One transaction: everything written in it commits together or not at all.

    The repositories run SQLAlchemy Core statements on one connection; there are
    no mapped objects, so no ORM session sits between them and the database (its
    bookkeeping cost more per statement than the statements themselves).
    """

    connection: Connection
    accounts: AccountsRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    determinations: DeterminationRepository
    keys: KeyRepository
    certificates: CertificateRepository
    received: ReceivedRepository
    partners: PartnerRepository
    outbox: OutboxRepository
    inbox: InboxRepository
    verifications: VerificationRepository
    declarations: DeclarationRepository
    settlements: SettlementRepository
    preferences: PreferenceRepository

    def __init__(self, connect: Callable[[], Connection]) -> None:
        self._connect = connect

    def __enter__(self) -> Self:
        self.connection = c = self._connect()
        self.accounts = SqlAccounts(c)
        self.audit = SqlAuditLog(c)
        self.idempotency = SqlIdempotency(c)
        self.determinations = SqlDeterminations(c)
        self.keys = SqlKeys(c)
        self.certificates = SqlCertificates(c)
        self.partners = SqlPartners(c)
        self.received = SqlReceived(c)
        self.outbox = SqlOutbox(c)
        self.inbox = SqlInbox(c)
        self.verifications = SqlVerifications(c)
        self.declarations = SqlDeclarations(c)
        self.settlements = SqlSettlements(c)
        self.preferences = SqlPreferences(c)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.connection.rollback()  # a no-op after commit; undoes anything left uncommitted
        self.connection.close()

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()


def uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(engine.connect)
