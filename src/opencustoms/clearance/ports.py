"""Where declarations, their history and rejections are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from opencustoms.accounts.ports import UnitOfWork
from opencustoms.clearance.records import (
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
)
from opencustoms.clearance.settlement import Draw, Guarantee, LedgerEntry


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


class SettlementRepository(Protocol):
    def add_entry(self, entry: LedgerEntry) -> None: ...

    def entries(self, declaration_id: str) -> Sequence[LedgerEntry]:
        """Oldest first."""
        ...

    def add_guarantee(self, guarantee: Guarantee) -> None: ...

    def guarantee(self, guarantee_id: str, lock: bool = False) -> Guarantee | None:
        """With `lock`, held until the transaction ends (draws on one guarantee queue)."""
        ...

    def guarantees(self, holders: frozenset[str] | None = None) -> Sequence[Guarantee]:
        """By id; `holders`: only theirs (None: all)."""
        ...

    def save_guarantee(self, guarantee: Guarantee) -> None:
        """Written only over `guarantee.version - 1`; else Conflict."""
        ...

    def add_draw(self, draw: Draw) -> None: ...

    def draws(
        self, declaration_id: str | None = None, guarantee_id: str | None = None
    ) -> Sequence[Draw]:
        """Oldest first."""
        ...

    def release_draw(self, draw_id: str, at: datetime) -> None: ...


class ClearanceUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the declarations, the audit log and the idempotency keys."""

    declarations: DeclarationRepository
    settlements: SettlementRepository
