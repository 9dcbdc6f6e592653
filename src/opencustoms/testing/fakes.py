"""In-memory fakes of the storage ports, for fast service tests.

The same contract tests run against these and the SQL adapters, so the fakes
cannot drift from the real thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Self

from opencustoms.accounts.domain import Account, ApiToken, Mandate, Organisation, Visibility
from opencustoms.certificates.lifecycle import (
    Event,
    Status,
    StoredCertificate,
    number_taken,
    stale,
)
from opencustoms.certificates.received import (
    ReceivedCertificate,
    received_changed,
    received_taken,
)
from opencustoms.clearance.preference import KeptDecision
from opencustoms.clearance.preference import Outcome as PreferenceOutcome
from opencustoms.clearance.records import (
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
    changed_since,
    reference_taken,
)
from opencustoms.clearance.settlement import Draw, Guarantee, LedgerEntry, guarantee_changed
from opencustoms.exchange.inbox import Incoming, Reception, message_taken, order_moved
from opencustoms.exchange.outbox import Delivery, Outgoing, place_taken, sequence_started
from opencustoms.exchange.partners import Partner, partner_changed, partner_exists
from opencustoms.exchange.verification import (
    CaseState,
    Side,
    Verification,
    case_changed,
    case_exists,
)
from opencustoms.kernel.errors import N_, Conflict
from opencustoms.origin.records import StoredDetermination, already_superseded
from opencustoms.platform.audit import AuditEvent
from opencustoms.platform.idempotency import StoredResponse
from opencustoms.trust.keys import PublicKey


@dataclass
class _State:
    organisations: dict[str, Organisation] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    mandates: dict[str, Mandate] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    idempotency: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
    determinations: dict[str, StoredDetermination] = field(default_factory=dict)
    keys: dict[str, PublicKey] = field(default_factory=dict)
    certificates: dict[str, StoredCertificate] = field(default_factory=dict)
    certificate_events: dict[str, list[Event]] = field(default_factory=dict)
    sequences: dict[tuple[str, str], int] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    outbox: list[Outgoing] = field(default_factory=list)
    outbox_sequences: dict[tuple[str, str], int] = field(default_factory=dict)
    received: dict[tuple[str, str], ReceivedCertificate] = field(default_factory=dict)
    inbox: dict[tuple[str, str], Incoming] = field(default_factory=dict)
    inbox_sequences: dict[tuple[str, str], int] = field(default_factory=dict)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id: claim, until
    pulled: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (sender, id): at
    verifications: dict[tuple[str, str], Verification] = field(default_factory=dict)
    declarations: dict[str, DeclarationRecord] = field(default_factory=dict)
    declaration_events: list[DeclarationEvent] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    guarantees: dict[str, Guarantee] = field(default_factory=dict)
    draws: list[Draw] = field(default_factory=list)
    preferences: list[KeptDecision] = field(default_factory=list)


class FakeAccounts:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add_organisation(self, org: Organisation) -> None:
        self.st.organisations[org.id] = org

    def organisation(self, org_id: str) -> Organisation | None:
        return self.st.organisations.get(org_id)

    def organisations(
        self, visible: Visibility | None = None, limit: int | None = None, offset: int = 0
    ) -> Sequence[Organisation]:
        found = sorted(self.st.organisations.values(), key=lambda o: (o.name, o.id))
        found = [o for o in found if visible is None or visible.allows(o)]
        return found[offset : offset + limit if limit is not None else None]

    def add_account(self, account: Account) -> None:
        if account.organisation_id not in self.st.organisations:
            raise ValueError("foreign key: unknown organisation")
        self.st.accounts[account.id] = account

    def account(self, account_id: str) -> Account | None:
        return self.st.accounts.get(account_id)

    def accounts_of(self, org_id: str) -> Sequence[Account]:
        return sorted(
            (a for a in self.st.accounts.values() if a.organisation_id == org_id),
            key=lambda a: a.name,
        )

    def add_token(self, token: ApiToken) -> None:
        self.st.tokens[token.token_hash] = token

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.st.tokens.get(token_hash)

    def token(self, token_id: str) -> ApiToken | None:
        return next((t for t in self.st.tokens.values() if t.id == token_id), None)

    def revoke_token(self, token_id: str, at: datetime) -> None:
        found = self.token(token_id)
        if found is not None and found.revoked_at is None:
            self.st.tokens[found.token_hash] = replace(found, revoked_at=at)

    def set_account_active(self, account_id: str, active: bool) -> None:
        if account_id in self.st.accounts:
            self.st.accounts[account_id] = replace(self.st.accounts[account_id], active=active)

    def revoke_mandate(self, mandate_id: str, at: datetime) -> None:
        found = self.st.mandates.get(mandate_id)
        if found is not None and found.revoked_at is None:
            self.st.mandates[mandate_id] = replace(found, revoked_at=at)

    def add_mandate(self, mandate: Mandate) -> None:
        self.st.mandates[mandate.id] = mandate

    def mandates_of_broker(self, broker_id: str) -> Sequence[Mandate]:
        return [m for m in self.st.mandates.values() if m.broker_id == broker_id]

    def mandates_of_importer(self, importer_id: str) -> Sequence[Mandate]:
        return [m for m in self.st.mandates.values() if m.importer_id == importer_id]


class FakeAuditLog:
    def __init__(self, state: _State) -> None:
        self.st = state

    def append(self, event: AuditEvent) -> None:
        self.st.audit.append(replace(event))

    def append_many(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            self.append(event)

    def events(self, limit: int, visible: Visibility | None = None) -> Sequence[AuditEvent]:
        orgs = self.st.organisations
        chosen = [
            e
            for e in reversed(self.st.audit)
            if visible is None
            or (e.organisation_id in orgs and visible.allows(orgs[e.organisation_id]))
        ]
        return chosen[:limit]


class FakeIdempotency:
    def __init__(self, state: _State) -> None:
        self.st = state

    def get(self, scope: str, key: str) -> StoredResponse | None:
        return self.st.idempotency.get((scope, key))

    def put(self, response: StoredResponse) -> None:
        if (response.scope, response.key) in self.st.idempotency:
            raise Conflict.of("idempotency.in_progress", N_("Key taken."))
        self.st.idempotency[(response.scope, response.key)] = response


class FakeDeterminations:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add(self, record: StoredDetermination) -> None:
        if record.supersedes and any(
            r.supersedes == record.supersedes for r in self.st.determinations.values()
        ):
            raise already_superseded(record.supersedes)
        self.st.determinations[record.id] = record

    def get(self, record_id: str) -> StoredDetermination | None:
        return self.st.determinations.get(record_id)

    def successor(self, record_id: str) -> StoredDetermination | None:
        return next((r for r in self.st.determinations.values() if r.supersedes == record_id), None)

    def current(
        self, limit: int | None = None, organisation_id: str | None = None
    ) -> Sequence[StoredDetermination]:
        superseded = {r.supersedes for r in self.st.determinations.values() if r.supersedes}
        found = sorted(
            (
                r
                for r in self.st.determinations.values()
                if r.id not in superseded
                and (organisation_id is None or r.organisation_id == organisation_id)
            ),
            key=lambda r: (-r.created_at.timestamp(), r.id),
        )
        return found[:limit] if limit is not None else found


class FakeKeys:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add(self, key: PublicKey) -> None:
        if key.kid in self.st.keys:
            raise ValueError(f"duplicate key id {key.kid}")  # as the primary key would
        self.st.keys[key.kid] = key

    def save(self, key: PublicKey) -> None:
        if key.kid in self.st.keys:
            self.st.keys[key.kid] = key

    def get(self, kid: str) -> PublicKey | None:
        return self.st.keys.get(kid)

    def all(self, authority: str | None = None) -> Sequence[PublicKey]:
        return sorted(
            (k for k in self.st.keys.values() if authority is None or k.authority == authority),
            key=lambda k: (k.valid_from, k.kid),
        )


class FakeCertificates:
    def __init__(self, state: _State) -> None:
        self.st = state

    def _check_number(self, record: StoredCertificate) -> None:
        if record.number and any(
            r.id != record.id and (r.authority, r.number) == (record.authority, record.number)
            for r in self.st.certificates.values()
        ):
            raise number_taken(record.authority, record.number)

    def add(self, record: StoredCertificate) -> None:
        if record.id in self.st.certificates:
            raise ValueError(f"duplicate certificate id {record.id}")  # as the primary key would
        self._check_number(record)
        self.st.certificates[record.id] = record

    def save(self, record: StoredCertificate) -> None:
        known = self.st.certificates.get(record.id)
        if known is None or known.version != record.version - 1:
            raise stale(record.label)
        self._check_number(record)
        self.st.certificates[record.id] = record

    def save_many(self, records: Sequence[StoredCertificate]) -> None:
        for record in records:
            self.save(record)

    def get(self, record_id: str) -> StoredCertificate | None:
        return self.st.certificates.get(record_id)

    def get_many(self, record_ids: Sequence[str]) -> Sequence[StoredCertificate]:
        return [
            self.st.certificates[i] for i in dict.fromkeys(record_ids) if i in self.st.certificates
        ]

    def by_number(self, authority: str, number: str) -> StoredCertificate | None:
        return next(
            (
                r
                for r in self.st.certificates.values()
                if (r.authority, r.number) == (authority, number)
            ),
            None,
        )

    def with_number(self, number: str) -> Sequence[StoredCertificate]:
        return sorted(
            (r for r in self.st.certificates.values() if r.number == number),
            key=lambda r: r.authority,
        )

    def find(
        self,
        organisation_id: str | None = None,
        export_country: str | None = None,
        status: Status | None = None,
        limit: int = 100,
        drafts: bool = True,
    ) -> Sequence[StoredCertificate]:
        found = [
            r
            for r in self.st.certificates.values()
            if (organisation_id is None or r.organisation_id == organisation_id)
            and (export_country is None or r.certificate.export_country == export_country)
            and (status is None or r.status == status)
            and (drafts or r.status != Status.DRAFT)
        ]
        found.sort(key=lambda r: (-r.created_at.timestamp(), r.id))
        return found[:limit]

    def append(self, event: Event) -> None:
        history = self.st.certificate_events.setdefault(event.certificate_id, [])
        if any(e.seq == event.seq for e in history):
            raise stale(event.certificate_id)
        history.append(event)

    def append_many(self, events: Sequence[Event]) -> None:
        for event in events:
            self.append(event)

    def events(self, record_id: str) -> Sequence[Event]:
        return sorted(self.st.certificate_events.get(record_id, []), key=lambda e: e.seq)

    def next_in_sequence(self, authority: str, scope: str, count: int = 1) -> int:
        if count < 1:
            raise ValueError("take at least one number")
        taken = self.st.sequences.get((authority, scope), 0) + count
        self.st.sequences[(authority, scope)] = taken
        return taken


class FakePartners:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add(self, partner: Partner) -> None:
        if partner.node in self.st.partners:
            raise partner_exists(partner.node)
        self.st.partners[partner.node] = partner

    def save(self, partner: Partner) -> None:
        known = self.st.partners.get(partner.node)
        if known is None or known.version != partner.version - 1:
            raise partner_changed(partner.node)
        self.st.partners[partner.node] = partner

    def get(self, node: str) -> Partner | None:
        return self.st.partners.get(node)

    def all(self, active_only: bool = False) -> Sequence[Partner]:
        return sorted(
            (p for p in self.st.partners.values() if p.active or not active_only),
            key=lambda p: p.node,
        )


class FakeOutbox:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add(self, outgoing: Outgoing) -> None:
        e = outgoing.envelope
        if any(
            (o.envelope.receiver, o.envelope.subject, o.envelope.sequence)
            == (e.receiver, e.subject, e.sequence)
            and e.sequence is not None
            for o in self.st.outbox
        ) or any(o.envelope.id == e.id for o in self.st.outbox):
            raise place_taken(e)
        self.st.outbox.append(outgoing)

    def add_many(self, outgoing: Sequence[Outgoing]) -> None:
        for o in outgoing:
            self.add(o)

    def start_sequences(self, pairs: Sequence[tuple[str, str]]) -> None:
        if any(p in self.st.outbox_sequences for p in pairs) or len(set(pairs)) < len(pairs):
            raise sequence_started(pairs)
        for pair in pairs:
            self.st.outbox_sequences[pair] = 1

    def next_sequence(self, receiver: str, subject: str) -> int:
        taken = self.st.outbox_sequences.get((receiver, subject), 0) + 1
        self.st.outbox_sequences[(receiver, subject)] = taken
        return taken

    def all(
        self, receiver: str | None = None, state: Delivery | None = None, limit: int = 100
    ) -> Sequence[Outgoing]:
        return [
            o
            for o in self.st.outbox
            if (receiver is None or o.envelope.receiver == receiver)
            and (state is None or o.state == state)
        ][:limit]

    def get(self, message_id: str) -> Outgoing | None:
        return next((o for o in self.st.outbox if o.envelope.id == message_id), None)

    def claim(self, now: datetime, until: datetime, claim: str, limit: int) -> Sequence[Outgoing]:
        def earlier_open(o: Outgoing) -> bool:
            e = o.envelope
            return e.subject is not None and any(
                p.envelope.receiver == e.receiver
                and p.envelope.subject == e.subject
                and (p.envelope.sequence or 0) < (e.sequence or 0)
                and p.state is not Delivery.DELIVERED
                for p in self.st.outbox
            )

        due = [
            o
            for o in self.st.outbox
            if o.state is Delivery.PENDING
            and o.next_attempt_at <= now
            and (o.envelope.id not in self.st.leases or self.st.leases[o.envelope.id][1] < now)
            and not earlier_open(o)
        ]
        due.sort(key=lambda o: (o.created_at, o.envelope.sequence or 0, o.envelope.id))
        for o in due[:limit]:
            self.st.leases[o.envelope.id] = (claim, until)
        return due[:limit]

    def settle(self, outgoing: Outgoing, claim: str) -> bool:
        lease = self.st.leases.get(outgoing.envelope.id)
        if lease is None or lease[0] != claim:
            return False
        del self.st.leases[outgoing.envelope.id]
        self._replace(outgoing)
        return True

    def settle_many(self, outgoing: Sequence[Outgoing], claim: str) -> int:
        return sum(1 for o in outgoing if self.settle(o, claim))

    def acknowledge_many(
        self, acks: Sequence[tuple[str, str, str, Sequence[str]]], at: datetime
    ) -> set[tuple[str, str]]:
        return {(m, r) for m, r, out, why in acks if self.acknowledge(m, r, out, why, at)}

    def redrive(self, outgoing: Outgoing) -> bool:
        known = self.get(outgoing.envelope.id)
        if known is None or known.state is not Delivery.DEAD:
            return False
        self.st.leases.pop(outgoing.envelope.id, None)
        self._replace(outgoing)
        return True

    def acknowledge(
        self, message_id: str, receiver: str, outcome: str, reasons: Sequence[str], at: datetime
    ) -> bool:
        known = self.get(message_id)
        if known is None or known.envelope.receiver != receiver:
            return False
        self._replace(
            replace(known, ack_outcome=outcome, ack_reasons=tuple(reasons), acknowledged_at=at)
        )
        return True

    def archive(self, before: datetime) -> int:
        kept = [
            o
            for o in self.st.outbox
            if not (o.state is Delivery.DELIVERED and o.next_attempt_at < before)
        ]
        gone = len(self.st.outbox) - len(kept)
        self.st.outbox = kept
        return gone

    def counts(self) -> dict[Delivery, tuple[int, datetime | None]]:
        found: dict[Delivery, tuple[int, datetime | None]] = {}
        for o in self.st.outbox:
            n, oldest = found.get(o.state, (0, None))
            found[o.state] = (n + 1, min(o.created_at, oldest or o.created_at))
        return found

    def resend(self, receiver: str, subject: str, now: datetime) -> int:
        again = [
            o
            for o in self.st.outbox
            if o.envelope.receiver == receiver
            and o.envelope.subject == subject
            and o.state is Delivery.DELIVERED
        ]
        for o in again:
            self._replace(replace(o, state=Delivery.PENDING, attempts=0, next_attempt_at=now))
        return len(again)

    def _replace(self, outgoing: Outgoing) -> None:
        self.st.outbox = [
            outgoing if o.envelope.id == outgoing.envelope.id else o for o in self.st.outbox
        ]


class FakeReceived:
    def __init__(self, state: _State) -> None:
        self.st = state

    def hold(self, authority: str, number: str) -> None:
        pass  # one fake transaction at a time

    def numbered(self, number: str) -> Sequence[ReceivedCertificate]:
        return sorted(
            (r for r in self.st.received.values() if r.number == number), key=lambda r: r.authority
        )

    def add(self, received: ReceivedCertificate) -> None:
        key = (received.authority, received.number)
        if key in self.st.received:
            raise received_taken(*key)
        self.st.received[key] = received

    def save(self, received: ReceivedCertificate) -> None:
        key = (received.authority, received.number)
        known = self.st.received.get(key)
        if known is None or known.version != received.version - 1:
            raise received_changed(*key)
        self.st.received[key] = received

    def get(self, authority: str, number: str) -> ReceivedCertificate | None:
        return self.st.received.get((authority, number))

    def held(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        return {k for k in keys if k in self.st.received}

    def add_many(self, received: Sequence[ReceivedCertificate]) -> None:
        for r in received:
            self.add(r)

    def find(self, sender: str | None = None, limit: int = 100) -> Sequence[ReceivedCertificate]:
        found = [r for r in self.st.received.values() if sender is None or r.sender == sender]
        return sorted(found, key=lambda r: (r.received_at, r.number), reverse=True)[:limit]


class FakeInbox:
    def __init__(self, state: _State) -> None:
        self.st = state

    def get(self, sender: str, message_id: str) -> Incoming | None:
        return self.st.inbox.get((sender, message_id))

    def add(self, incoming: Incoming) -> None:
        key = (incoming.envelope.sender, incoming.envelope.id)
        if key in self.st.inbox:
            raise message_taken(*key)
        self.st.inbox[key] = incoming

    def save(self, incoming: Incoming) -> None:
        key = (incoming.envelope.sender, incoming.envelope.id)
        self.st.inbox[key] = replace(
            self.st.inbox[key],
            state=incoming.state,
            reasons=incoming.reasons,
            applied_at=incoming.applied_at,
        )

    def kept(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        return {k for k in keys if k in self.st.inbox}

    def add_many(self, incoming: Sequence[Incoming]) -> None:
        for i in incoming:
            self.add(i)

    def started(self, subjects: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        held = {(s, i.envelope.subject) for (s, _), i in self.st.inbox.items()}
        return {k for k in subjects if k in self.st.inbox_sequences or k in held}

    def start_many(self, subjects: Sequence[tuple[str, str]]) -> None:
        if any(k in self.st.inbox_sequences for k in subjects):
            raise order_moved(*subjects[0])
        for k in subjects:
            self.st.inbox_sequences[k] = 1

    def expected(self, sender: str, subject: str) -> int:
        return self.st.inbox_sequences.get((sender, subject), 0) + 1

    def advance(self, sender: str, subject: str, seq: int) -> None:
        if self.expected(sender, subject) != seq:
            raise order_moved(sender, subject)
        self.st.inbox_sequences[(sender, subject)] = seq

    def held(self, sender: str, subject: str, seq: int) -> Incoming | None:
        return next(
            (
                i
                for (s, _), i in self.st.inbox.items()
                if s == sender
                and i.envelope.subject == subject
                and i.envelope.sequence == seq
                and i.state is Reception.HELD
            ),
            None,
        )

    def forget(self, before: datetime) -> int:
        gone = [
            k
            for k, i in self.st.inbox.items()
            if i.received_at < before and i.state is not Reception.HELD
        ]
        for k in gone:
            del self.st.inbox[k]
        return len(gone)

    def counts(self) -> dict[Reception, int]:
        found: dict[Reception, int] = {}
        for i in self.st.inbox.values():
            found[i.state] = found.get(i.state, 0) + 1
        return found

    def gaps(self, held_before: datetime, pulled_before: datetime) -> Sequence[tuple[str, str]]:
        found = {
            (s, i.envelope.subject)
            for (s, m), i in self.st.inbox.items()
            if i.state is Reception.HELD
            and i.envelope.subject is not None
            and i.received_at < held_before
            and ((s, m) not in self.st.pulled or self.st.pulled[(s, m)] < pulled_before)
        }
        return sorted(found)

    def pulled(self, sender: str, subject: str, at: datetime) -> None:
        for (s, m), i in self.st.inbox.items():
            if s == sender and i.envelope.subject == subject and i.state is Reception.HELD:
                self.st.pulled[(s, m)] = at

    def all(
        self, sender: str | None = None, state: Reception | None = None, limit: int = 100
    ) -> Sequence[Incoming]:
        found = [
            i
            for i in self.st.inbox.values()
            if (sender is None or i.envelope.sender == sender)
            and (state is None or i.state == state)
        ]
        return sorted(found, key=lambda i: (i.received_at, i.envelope.id), reverse=True)[:limit]


class FakeVerifications:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add(self, case: Verification) -> None:
        key = (case.id, case.side.value)
        if key in self.st.verifications:
            raise case_exists(case)
        self.st.verifications[key] = case

    def save(self, case: Verification) -> None:
        key = (case.id, case.side.value)
        known = self.st.verifications.get(key)
        if known is None or known.version != case.version - 1:
            raise case_changed(case)
        self.st.verifications[key] = case

    def get(self, case_id: str, side: Side) -> Verification | None:
        return self.st.verifications.get((case_id, side.value))

    def find(
        self, side: Side | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Verification]:
        found = [
            c
            for c in self.st.verifications.values()
            if (side is None or c.side is side) and (not open_only or c.state is CaseState.OPEN)
        ]
        return sorted(found, key=lambda c: (c.requested_at, c.id), reverse=True)[:limit]


class FakeDeclarations:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add_many(self, lodged: Sequence[tuple[DeclarationRecord, DeclarationEvent]]) -> None:
        numbers = [r.reference for r, _ in lodged]
        taken = self.taken(numbers) | {n for n in numbers if numbers.count(n) > 1}
        if taken:
            raise reference_taken(sorted(taken)[0])
        for record, event in lodged:
            self.st.declarations[record.id] = record
            self.st.declaration_events.append(event)

    def save(self, record: DeclarationRecord, event: DeclarationEvent) -> None:
        known = self.st.declarations.get(record.id)
        if known is None or known.version != record.version - 1:
            raise changed_since(record.reference)
        self.st.declarations[record.id] = record
        self.st.declaration_events.append(event)

    def get(self, declaration_id: str, lock: bool = False) -> DeclarationRecord | None:
        return self.st.declarations.get(declaration_id)

    def by_reference(self, reference: str) -> DeclarationRecord | None:
        return next((r for r in self.st.declarations.values() if r.reference == reference), None)

    def taken(self, references: Sequence[str]) -> set[str]:
        known = {r.reference for r in self.st.declarations.values()}
        return {n for n in references if n in known}

    def find(
        self,
        visible_to: frozenset[str] | None = None,
        state: DeclarationState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[DeclarationRecord]:
        found = [
            r
            for r in self.st.declarations.values()
            if (state is None or r.state is state)
            and (
                visible_to is None
                or {r.declaration.importer, r.declaration.declarant, r.lodged_by_org} & visible_to
            )
        ]
        found.sort(key=lambda r: (r.lodged_at, r.id), reverse=True)
        return found[offset : offset + limit]

    def events(self, declaration_id: str) -> Sequence[DeclarationEvent]:
        mine = [e for e in self.st.declaration_events if e.declaration_id == declaration_id]
        return sorted(mine, key=lambda e: e.version)

    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        self.st.rejections.extend(rejections)

    def rejections(
        self, by_org: frozenset[str] | None = None, limit: int = 100
    ) -> Sequence[Rejection]:
        found = [r for r in self.st.rejections if by_org is None or r.by_org in by_org]
        return sorted(found, key=lambda r: (r.at, r.id), reverse=True)[:limit]


class FakeSettlements:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add_entry(self, entry: LedgerEntry) -> None:
        self.st.ledger.append(entry)

    def entries(self, declaration_id: str) -> Sequence[LedgerEntry]:
        mine = [e for e in self.st.ledger if e.declaration_id == declaration_id]
        return sorted(mine, key=lambda e: e.at)  # stable: as recorded

    def add_guarantee(self, guarantee: Guarantee) -> None:
        self.st.guarantees[guarantee.id] = guarantee

    def guarantee(self, guarantee_id: str, lock: bool = False) -> Guarantee | None:
        return self.st.guarantees.get(guarantee_id)

    def guarantees(self, holders: frozenset[str] | None = None) -> Sequence[Guarantee]:
        found = [g for g in self.st.guarantees.values() if holders is None or g.holder in holders]
        return sorted(found, key=lambda g: g.id)

    def save_guarantee(self, guarantee: Guarantee) -> None:
        known = self.st.guarantees.get(guarantee.id)
        if known is None or known.version != guarantee.version - 1:
            raise guarantee_changed(guarantee.id)
        self.st.guarantees[guarantee.id] = guarantee

    def add_draw(self, draw: Draw) -> None:
        self.st.draws.append(draw)

    def draws(
        self, declaration_id: str | None = None, guarantee_id: str | None = None
    ) -> Sequence[Draw]:
        found = [
            d
            for d in self.st.draws
            if (declaration_id is None or d.declaration_id == declaration_id)
            and (guarantee_id is None or d.guarantee_id == guarantee_id)
        ]
        return sorted(found, key=lambda d: (d.at, d.id))

    def release_draw(self, draw_id: str, at: datetime) -> bool:
        found = any(d.id == draw_id and d.released_at is None for d in self.st.draws)
        self.st.draws = [
            replace(d, released_at=at) if d.id == draw_id and d.released_at is None else d
            for d in self.st.draws
        ]
        return found


class FakePreferences:
    def __init__(self, state: _State) -> None:
        self.st = state

    def add_many(self, kept: Sequence[KeptDecision]) -> None:
        for k in kept:
            self.st.preferences = [
                replace(p, current=False)
                if p.declaration_id == k.declaration_id and p.decision.item == k.decision.item
                else p
                for p in self.st.preferences
            ]
            self.st.preferences.append(k)

    def retire(self, declaration_id: str) -> None:
        self.st.preferences = [
            replace(p, current=False) if p.declaration_id == declaration_id else p
            for p in self.st.preferences
        ]

    def of(self, declaration_id: str, current_only: bool = True) -> Sequence[KeptDecision]:
        mine = [
            p
            for p in self.st.preferences
            if p.declaration_id == declaration_id and (p.current or not current_only)
        ]
        return sorted(mine, key=lambda p: p.decision.item)  # stable: oldest first per item

    def granted_on(self, authority: str, number: str) -> Sequence[KeptDecision]:
        return [
            p
            for p in self.st.preferences
            if p.current
            and p.decision.outcome is PreferenceOutcome.GRANTED
            and (p.decision.authority, p.decision.reference) == (authority, number)
            and (r := self.st.declarations.get(p.declaration_id)) is not None
            and r.state is not DeclarationState.CANCELLED
        ]

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str, int], Decimal]:
        wanted = set(keys)
        used: dict[tuple[str, str, int], Decimal] = {}
        for p in self.st.preferences:
            d = p.decision
            record = self.st.declarations.get(p.declaration_id)
            if (
                p.current
                and d.outcome is PreferenceOutcome.GRANTED
                and record is not None
                and record.state is not DeclarationState.CANCELLED
                and (d.authority or "", d.reference) in wanted
                and d.certificate_item is not None
                and d.quantity is not None
            ):
                key = (d.authority or "", d.reference, d.certificate_item)
                used[key] = used.get(key, Decimal(0)) + d.quantity
        return used


class FakeUnitOfWork:
    """Works on a copy of the shared state; commit publishes it, like a transaction."""

    def __init__(self, shared: _State | None = None) -> None:
        self.shared = shared if shared is not None else _State()
        self.commits = 0

    def __enter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self._work = copy.deepcopy(self.shared)
        self.accounts = FakeAccounts(self._work)
        self.audit = FakeAuditLog(self._work)
        self.idempotency = FakeIdempotency(self._work)
        self.determinations = FakeDeterminations(self._work)
        self.keys = FakeKeys(self._work)
        self.certificates = FakeCertificates(self._work)
        self.partners = FakePartners(self._work)
        self.outbox = FakeOutbox(self._work)
        self.received = FakeReceived(self._work)
        self.inbox = FakeInbox(self._work)
        self.verifications = FakeVerifications(self._work)
        self.declarations = FakeDeclarations(self._work)
        self.settlements = FakeSettlements(self._work)
        self.preferences = FakePreferences(self._work)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._begin()

    def commit(self) -> None:
        self.shared.__dict__.update(copy.deepcopy(self._work).__dict__)
        self.commits += 1

    def rollback(self) -> None:
        self._begin()


def in_memory_uow() -> tuple[Callable[[], FakeUnitOfWork], _State]:
    """A unit-of-work factory over one shared in-memory state, and that state."""
    state = _State()
    return (lambda: FakeUnitOfWork(state)), state
