"""Where authority keys are kept: their public part and facts, never a private key."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self

from opencustoms.accounts.ports import AuditLog
from opencustoms.trust.keys import PublicKey


class KeyRepository(Protocol):
    def add(self, key: PublicKey) -> None: ...

    def save(self, key: PublicKey) -> None:
        """Store a key's new validity end or revocation (its public members never change)."""
        ...

    def get(self, kid: str) -> PublicKey | None: ...

    def all(self, authority: str | None = None) -> Sequence[PublicKey]:
        """Keys by valid_from, then kid; of one authority if named."""
        ...


class TrustUnitOfWork(Protocol):
    keys: KeyRepository
    audit: AuditLog

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...
