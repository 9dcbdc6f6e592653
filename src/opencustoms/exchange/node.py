"""This node's identity in the exchange: the key it signs its messages with.

A node's message-signing key is an authority key of the node's own id, listed for
the agreement `exchange` only (`partners.NODE_AGREEMENT`), created and rotated with
`opencustoms authority keys create|rotate --authority NODE-ID --agreement exchange`;
partners import it from the node's trust list. The key valid on the UTC day (the day
a receiver checks it on), not revoked, and latest to start, signs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from opencustoms.exchange.envelope import Envelope, seal_envelope
from opencustoms.exchange.partners import NODE_AGREEMENT
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, DomainError, Finding
from opencustoms.trust.keys import PublicKey
from opencustoms.trust.service import AuthorityKeys

_REREAD = timedelta(seconds=30)  # a rotation or revocation is seen within this


class NodeSigner:
    """Signs each delivery attempt afresh, with the attempt's time."""

    def __init__(
        self,
        node: str,
        keys: AuthorityKeys,
        clock: Clock,
        passphrase: Callable[[], str | None],
    ) -> None:
        self._node = node
        self._keys = keys
        self._clock = clock
        self._passphrase = passphrase
        self._current: tuple[datetime, PublicKey, bytes] | None = None

    def __call__(self, envelope: Envelope) -> str:
        now = self._clock.now()
        key, pem = self._key(now)
        return seal_envelope(replace(envelope, sent_at=now), key, pem, self._passphrase() or "")

    def _key(self, now: datetime) -> tuple[PublicKey, bytes]:
        if self._current is not None and now - self._current[0] < _REREAD:
            return self._current[1], self._current[2]
        # the day as the receiver reads it: the UTC date of the time sent (envelope.receive)
        today = now.astimezone(UTC).date()
        usable = [
            k
            for k in self._keys.keys(self._node)
            if k.agreements == (NODE_AGREEMENT,) and k.revoked_at is None and k.valid_on(today)
        ]
        if not usable:
            raise DomainError(
                Finding(
                    "exchange.no_node_key",
                    N_(
                        "Node %(node)s has no message-signing key valid today: create one with `opencustoms authority keys create --authority %(node)s --country CC --agreement exchange`."
                    ),
                    {"node": self._node},
                )
            )
        key = max(usable, key=lambda k: (k.valid_from, k.kid))
        pem = self._keys.private_pem(key.kid)
        self._current = (now, key, pem)
        return key, pem
