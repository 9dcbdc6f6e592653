"""Where partner nodes are kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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


class ExchangeUnitOfWork(TrustUnitOfWork, Protocol):
    """One transaction over the partners, the keys (theirs come from their trust lists)
    and the audit log."""

    partners: PartnerRepository
