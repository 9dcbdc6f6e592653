"""Where partner nodes and the outbox are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from opencustoms.certificates.ports import CertificateUnitOfWork
from opencustoms.exchange.inbox import Incoming, Reception
from opencustoms.exchange.outbox import Delivery, Outgoing
from opencustoms.exchange.partners import Partner
from opencustoms.trust.ports import TrustUnitOfWork


class PartnerRepository(Protocol):
    def add(self, partner: Partner) -> None:
        """A new partner; a node id already registered raises Conflict."""
        ...

    def save(self, partner: Partner) -> None:
        """The partner's new state, written only over `partner.version - 1`; one changed
        meanwhile by someone else raises Conflict."""
        ...

    def get(self, node: str) -> Partner | None: ...

    def all(self, active_only: bool = False) -> Sequence[Partner]:
        """By node id."""
        ...


class OutboxRepository(Protocol):
    def add(self, outgoing: Outgoing) -> None:
        """A new message; its (receiver, subject, seq) must be new."""
        ...

    def add_many(self, outgoing: Sequence[Outgoing]) -> None:
        """`add` for each, in one statement."""
        ...

    def next_sequence(self, receiver: str, subject: str) -> int:
        """Take the seq of the next message about `subject` to `receiver` (1, 2, ...), in
        this transaction: held until it commits, never given twice."""
        ...

    def start_sequences(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Give seq 1 for each (receiver, subject) never numbered before (a certificate just
        issued), in one statement; one numbered before raises Conflict."""
        ...

    def all(
        self, receiver: str | None = None, state: Delivery | None = None, limit: int = 100
    ) -> Sequence[Outgoing]:
        """Oldest first."""
        ...

    def get(self, message_id: str) -> Outgoing | None: ...

    def claim(self, now: datetime, until: datetime, claim: str, limit: int) -> Sequence[Outgoing]:
        """Lease up to `limit` messages due at `now` to the claimant `claim` until `until`,
        oldest first: pending, not leased to another, and with no earlier message about the
        same certificate to the same receiver still undelivered (pending or dead). Two
        claimants never hold one message (PostgreSQL skips rows another locked)."""
        ...

    def settle(self, outgoing: Outgoing, claim: str) -> bool:
        """Record an attempt's outcome and end the lease, only if `claim` still holds it
        (else False: the lease ran out and another claimant took it)."""
        ...

    def redrive(self, outgoing: Outgoing) -> bool:
        """Write a dead message's new round of attempts; False if it is not dead."""
        ...


class InboxRepository(Protocol):
    def get(self, sender: str, message_id: str) -> Incoming | None: ...

    def add(self, incoming: Incoming) -> None:
        """Keep a new message; one kept already under (sender, id) raises Conflict."""
        ...

    def save(self, incoming: Incoming) -> None:
        """Its new state, reasons and time applied."""
        ...

    def expected(self, sender: str, subject: str) -> int:
        """The seq of the next message about `subject` to apply from `sender` (1 at first)."""
        ...

    def advance(self, sender: str, subject: str, seq: int) -> None:
        """Mark message `seq` about `subject` applied (the next expected is `seq + 1`); if
        another transaction moved it meanwhile, raise Conflict."""
        ...

    def held(self, sender: str, subject: str, seq: int) -> Incoming | None:
        """The held message `seq` about `subject` from `sender`, if one is held."""
        ...

    def all(
        self, sender: str | None = None, state: Reception | None = None, limit: int = 100
    ) -> Sequence[Incoming]:
        """Newest first."""
        ...


@runtime_checkable
class OutboxUnitOfWork(CertificateUnitOfWork, Protocol):
    """A certificate change's transaction, with the partners and the outbox: the node's
    unit of work holds them all."""

    partners: PartnerRepository
    outbox: OutboxRepository


class ExchangeUnitOfWork(TrustUnitOfWork, Protocol):
    """One transaction over the partners, the keys (theirs come from their trust lists)
    and the audit log."""

    partners: PartnerRepository


class ReceivingUnitOfWork(OutboxUnitOfWork, Protocol):
    """The transaction that keeps and applies a received message: the inbox, the register of
    received certificates, and the outbox for the acknowledgement it sends back."""

    inbox: InboxRepository
