"""Where declarations, their history and rejections are kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from opencustoms.accounts.ports import UnitOfWork
from opencustoms.clearance.records import (
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
)


class DeclarationRepository(Protocol):
    def add_many(self, lodged: Sequence[tuple[DeclarationRecord, DeclarationEvent]]) -> None:
        """New declarations with their first events, in one statement per table; a
        declaration number taken already raises Conflict (`reference_taken`)."""
        ...

    def save(self, record: DeclarationRecord, event: DeclarationEvent) -> None:
        """The declaration's new state, written only over `record.version - 1`, and its
        event; one changed meanwhile raises Conflict (`changed_since`)."""
        ...

    def get(self, declaration_id: str) -> DeclarationRecord | None: ...

    def by_reference(self, reference: str) -> DeclarationRecord | None: ...

    def taken(self, references: Sequence[str]) -> set[str]:
        """Which of these declaration numbers are lodged already."""
        ...

    def find(
        self,
        visible_to: frozenset[str] | None = None,
        state: DeclarationState | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[DeclarationRecord]:
        """Newest first; `visible_to`: only those whose importer, declarant or lodging
        organisation is one of these (None: all)."""
        ...

    def events(self, declaration_id: str) -> Sequence[DeclarationEvent]:
        """Oldest first."""
        ...

    def add_rejections(self, rejections: Sequence[Rejection]) -> None: ...

    def rejections(
        self, by_org: frozenset[str] | None = None, limit: int = 100
    ) -> Sequence[Rejection]:
        """Newest first; `by_org`: only those made by these organisations (None: all)."""
        ...


class ClearanceUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the declarations, the audit log and the idempotency keys."""

    declarations: DeclarationRepository
