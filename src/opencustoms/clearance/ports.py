"""Where declarations, their history and rejections are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from opencustoms.accounts.ports import UnitOfWork
from opencustoms.certificates.ports import ReceivedRepository
from opencustoms.certificates.signed import Verdict
from opencustoms.clearance.preference import KeptDecision
from opencustoms.clearance.records import (
    DeclarationEvent,
    DeclarationRecord,
    DeclarationState,
    Rejection,
)
from opencustoms.clearance.settlement import Draw, Guarantee, LedgerEntry
from opencustoms.exchange.ports import VerificationRepository
from opencustoms.kernel.correspondence import CorrespondenceTable


class DeclarationRepository(Protocol):
    def add_many(self, lodged: Sequence[tuple[DeclarationRecord, DeclarationEvent]]) -> None:
        """New declarations with their first events, in one statement per table; a
        declaration number taken already raises Conflict (`reference_taken`)."""
        ...

    def save(self, record: DeclarationRecord, event: DeclarationEvent) -> None:
        """The declaration's new state, written only over `record.version - 1`, and its
        event; one changed meanwhile raises Conflict (`changed_since`)."""
        ...

    def get(self, declaration_id: str, lock: bool = False) -> DeclarationRecord | None:
        """With `lock`, held until the transaction ends."""
        ...

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

    def release_draw(self, draw_id: str, at: datetime) -> bool:
        """False where it was released already (by another transaction)."""
        ...


class PreferenceRepository(Protocol):
    def add_many(self, kept: Sequence[KeptDecision]) -> None:
        """New decisions; each supersedes the current one on the same declaration item."""
        ...

    def retire(self, declaration_id: str) -> None:
        """Every current decision of the declaration, current no more (it was amended or
        cancelled: its new decisions, if any, are added next)."""
        ...

    def of(self, declaration_id: str, current_only: bool = True) -> Sequence[KeptDecision]:
        """By item, then oldest first."""
        ...

    def granted_on(self, authority: str, number: str) -> Sequence[KeptDecision]:
        """The current granted decisions on declarations not cancelled resting on it."""
        ...

    def used(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str, int], Decimal]:
        """What current granted decisions on lodged declarations took from each item of
        these certificates ((authority, number) → (authority, number, item): quantity)."""
        ...


class OriginChecks(Protocol):
    """What the preference check needs from the certificates and the exchange."""

    def verify(self, document: Any, at: date) -> Verdict:
        """A received certificate verified as on `at` (against this node's trust list and
        its register of received certificates)."""
        ...

    def agreement_of(self, form: str) -> str | None: ...

    def correspondence(self) -> CorrespondenceTable | None: ...

    def linked(self, uow: Any, country: str, agreement: str) -> bool:
        """Whether certificates of `agreement` come electronically from `country`'s node."""
        ...

    def notify(
        self,
        uow: Any,
        authority: str,
        number: str,
        applied: bool,
        declaration: str,
        on: date,
        reason: str | None,
    ) -> None:
        """The utilization notice to the issuing country, in the caller's transaction."""
        ...


class ClearanceUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the declarations, the audit log and the idempotency keys."""

    declarations: DeclarationRepository
    settlements: SettlementRepository
    preferences: PreferenceRepository
    received: ReceivedRepository
    verifications: VerificationRepository
