"""Where partner nodes and the outbox are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from opencustoms.certificates.ports import CertificateUnitOfWork
from opencustoms.exchange.inbox import Incoming, Reception
from opencustoms.exchange.outbox import Delivery, Outgoing
from opencustoms.exchange.partners import Partner
from opencustoms.exchange.verification import Side, Verification
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

    def settle_many(self, outgoing: Sequence[Outgoing], claim: str) -> int:
        """`settle` for each, in one statement; how many `claim` still held."""
        ...

    def acknowledge_many(
        self, acks: Sequence[tuple[str, str, str, Sequence[str]]], at: datetime
    ) -> set[tuple[str, str]]:
        """`acknowledge` for each (message id, receiver, outcome, reasons); the (id, receiver)
        recorded: a receiver acknowledges only what was sent to it."""
        ...

    def redrive(self, outgoing: Outgoing) -> bool:
        """Write a dead message's new round of attempts; False if it is not dead."""
        ...

    def acknowledge(
        self, message_id: str, receiver: str, outcome: str, reasons: Sequence[str], at: datetime
    ) -> bool:
        """Record the receiver's acknowledgement of its message; False if `receiver` was sent
        no message with that id (one partner cannot acknowledge another's)."""
        ...

    def archive(self, before: datetime) -> int:
        """Drop the messages delivered before `before` (their numbering goes on); how many."""
        ...

    def counts(self) -> dict[Delivery, tuple[int, datetime | None]]:
        """Per state: how many messages, and the oldest one's creation time."""
        ...

    def resend(self, receiver: str, subject: str, now: datetime) -> int:
        """Deliver again, from `now`, the delivered messages about `subject` to `receiver`
        (it pulled them: one went missing); how many."""
        ...


class InboxRepository(Protocol):
    def get(self, sender: str, message_id: str) -> Incoming | None: ...

    def add(self, incoming: Incoming) -> None:
        """Keep a new message; one kept already under (sender, id) raises Conflict."""
        ...

    def save(self, incoming: Incoming) -> None:
        """Its new state, reasons and time applied (nothing else of it changes)."""
        ...

    def kept(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (sender, id) are kept already, in one query."""
        ...

    def add_many(self, incoming: Sequence[Incoming]) -> None:
        """`add` for each, in one statement; one taken meanwhile raises Conflict."""
        ...

    def started(self, subjects: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (sender, subject) have had a message (held or applied), in one query."""
        ...

    def start_many(self, subjects: Sequence[tuple[str, str]]) -> None:
        """Mark message 1 about each (sender, subject) applied, new subjects all, in one
        statement; one started meanwhile raises Conflict."""
        ...

    def expected(self, sender: str, subject: str) -> int:
        """The seq of the next message about `subject` to apply from `sender` (1 at first);
        the subject is held by this transaction until it ends (one delivery decides at a
        time)."""
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

    def counts(self) -> dict[Reception, int]:
        """How many messages kept, per state."""
        ...

    def forget(self, before: datetime) -> int:
        """Drop the messages decided and received before `before` (held ones stay); how many.
        A replay of one is refused for its time anyway."""
        ...

    def gaps(self, held_before: datetime, pulled_before: datetime) -> Sequence[tuple[str, str]]:
        """(sender, subject) with a message held since before `held_before`, not pulled since
        `pulled_before`."""
        ...

    def pulled(self, sender: str, subject: str, at: datetime) -> None:
        """Note that the held messages about `subject` from `sender` were pulled at `at`."""
        ...


class VerificationRepository(Protocol):
    def add(self, case: Verification) -> None:
        """A new case; one kept already under (id, side) raises Conflict."""
        ...

    def save(self, case: Verification) -> None:
        """Its new state, only over `case.version - 1` (else Conflict)."""
        ...

    def get(self, case_id: str, side: Side) -> Verification | None: ...

    def find(
        self, side: Side | None = None, open_only: bool = False, limit: int = 100
    ) -> Sequence[Verification]:
        """Most recent request first."""
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
    verifications: VerificationRepository
