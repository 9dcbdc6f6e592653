"""Where certificates and their history are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from opencustoms.accounts.ports import AuditLog
from opencustoms.certificates.lifecycle import Event, EventKind, Status, StoredCertificate
from opencustoms.certificates.received import ReceivedCertificate
from opencustoms.origin.records import DeterminationRepository
from opencustoms.trust.ports import KeyRepository


class CertificateRepository(Protocol):
    def add(self, record: StoredCertificate) -> None:
        """A new certificate; its number, if any, must be new for its authority."""
        ...

    def save(self, record: StoredCertificate) -> None:
        """The record's new state, written only over `record.version - 1`; a record
        changed meanwhile by someone else raises Conflict."""
        ...

    def save_many(self, records: Sequence[StoredCertificate]) -> None:
        """`save` for each, in one statement; any one changed meanwhile raises Conflict."""
        ...

    def get(self, record_id: str) -> StoredCertificate | None: ...

    def get_many(self, record_ids: Sequence[str]) -> Sequence[StoredCertificate]:
        """Those of the ids that exist, in one query, in no particular order."""
        ...

    def by_number(self, authority: str, number: str) -> StoredCertificate | None: ...

    def with_number(self, number: str) -> Sequence[StoredCertificate]:
        """Every certificate with this number, of any authority (numbers are unique per authority)."""
        ...

    def find(
        self,
        organisation_id: str | None = None,
        export_country: str | None = None,
        status: Status | None = None,
        limit: int = 100,
        drafts: bool = True,
    ) -> Sequence[StoredCertificate]:
        """Newest first; without drafts if `drafts` is false."""
        ...

    def append(self, event: Event) -> None:
        """Add to a certificate's history; a taken (certificate, seq) raises Conflict."""
        ...

    def append_many(self, events: Sequence[Event]) -> None:
        """`append` for each, in one statement."""
        ...

    def events(self, record_id: str) -> Sequence[Event]:
        """A certificate's history, oldest first."""
        ...

    def next_in_sequence(self, authority: str, scope: str, count: int = 1) -> int:
        """Take the next `count` numbers of the authority's sequence (1, 2, ...) in this
        transaction; the last of them is returned (the first is that less `count - 1`)."""
        ...


class ReceivedRepository(Protocol):
    """The register of certificates received from partner nodes (`received.py`)."""

    def add(self, received: ReceivedCertificate) -> None:
        """A certificate first received; one held already (authority, number) raises Conflict."""
        ...

    def save(self, received: ReceivedCertificate) -> None:
        """Its new state, written only over `received.version - 1` (else Conflict)."""
        ...

    def get(self, authority: str, number: str) -> ReceivedCertificate | None: ...

    def held(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (authority, number) are held already, in one query."""
        ...

    def add_many(self, received: Sequence[ReceivedCertificate]) -> None:
        """`add` for each, in one statement; one taken meanwhile raises Conflict."""
        ...

    def find(self, sender: str | None = None, limit: int = 100) -> Sequence[ReceivedCertificate]:
        """Newest received first."""
        ...

    def hold(self, authority: str, number: str) -> None:
        """Lock the certificate's record until the transaction ends (claims on it queue)."""
        ...

    def numbered(self, number: str) -> Sequence[ReceivedCertificate]:
        """Those with this number, of any authority (a proof may name only the number)."""
        ...


@dataclass(frozen=True, slots=True)
class Change:
    """What other parts of the node learn when a certificate is issued, replaced or revoked
    (the exchange tells the importing country's node), inside the same transaction."""

    kind: EventKind  # issued, replaced or revoked
    record: StoredCertificate  # as it now stands; for a replacement, the new certificate
    agreement: str  # the agreement of the certificate's form
    at: datetime
    previous: StoredCertificate | None = None  # for a replacement, the one it replaces


class Publisher(Protocol):
    def publish(self, uow: CertificateUnitOfWork, changes: Sequence[Change]) -> None:
        """Record what the changes send, in `uow` (so it commits, or not, with them)."""
        ...


class NoPublisher:
    """A node that tells no one: nothing is recorded."""

    def publish(self, uow: CertificateUnitOfWork, changes: Sequence[Change]) -> None:
        return None


class CertificateUnitOfWork(Protocol):
    certificates: CertificateRepository
    received: ReceivedRepository
    keys: KeyRepository
    determinations: DeterminationRepository
    audit: AuditLog

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...
