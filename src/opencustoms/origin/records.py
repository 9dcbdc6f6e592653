"""Stored origin determinations, and the port their store implements.

A determination is kept with its BOM and its full result (verdict, criterion,
alternatives, evidence). Records are never updated: re-running one (after a rule
changes, or a supplier's declaration expires) stores a new record that
supersedes the previous, so the history shows what was decided when, and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from opencustoms.kernel.errors import N_, Conflict, Finding


@dataclass(frozen=True, slots=True)
class StoredDetermination:
    id: str
    supersedes: str | None
    organisation_id: str | None
    agreement: str
    product_hs: str
    product_description: str
    on_date: date
    verdict: str
    criterion: str | None
    rule: str | None
    bom: dict[str, Any]
    result: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    previous: StoredDetermination
    current: StoredDetermination | None  # None: the re-run could not decide or keep it
    error: Finding | None = None
    why: tuple[Finding, ...] = ()  # what differs: the rule, alternatives, lines, declarations


def already_superseded(record_id: str) -> Conflict:
    """A record has one successor at most; a second (a concurrent re-run) is refused."""
    return Conflict.of(
        "determination.superseded",
        N_("Determination %(id)s has already been superseded by another re-run."),
        id=record_id,
    )


class DeterminationRepository(Protocol):
    def add(self, record: StoredDetermination) -> None:
        """Store a record; `already_superseded` if its predecessor has a successor."""
        ...

    def get(self, record_id: str) -> StoredDetermination | None: ...
    def successor(self, record_id: str) -> StoredDetermination | None:
        """The record that supersedes this one, if a re-run has."""
        ...

    def current(
        self, limit: int | None = None, organisation_id: str | None = None
    ) -> Sequence[StoredDetermination]:
        """Records no later record supersedes, newest first; one organisation's, if named."""
        ...


class OriginUnitOfWork(Protocol):
    determinations: DeterminationRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
