"""Delivering the outbox: what an attempt's outcome makes of a message, and when to retry.

A message the receiver kept (received, a duplicate, or held for its turn) is
delivered. One the receiver refused for good (`final`: an unknown type, a bad
payload) is dead at once; any other failure (the partner down, a timeout, a time
out of step) is retried after an exponential backoff with jitter — so that many
nodes coming back at once do not all retry in the same second — until the limit
of attempts, when it is dead: an operator looks at it and may re-drive it. A
dead message holds back the later messages about its certificate to the same
receiver: they are never applied out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from opencustoms.exchange.outbox import Delivery, Outgoing


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    # 1 s doubling to 5 minutes: 30 attempts span about two hours, so a partner down
    # for an hour gets its backlog when it returns, none of it dead-lettered
    max_attempts: int = 30
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("a retry policy needs attempts >= 1 and 0 < base <= cap")

    def delay(self, attempts: int, draw: float) -> timedelta:
        """The wait after the `attempts`-th failed attempt: the backoff, less up to half of
        it at random (`draw` in [0, 1))."""
        backoff: timedelta = min(self.cap, self.base * (1 << min(attempts - 1, 30)))
        return backoff * (1 - draw / 2)


def attempted(
    outgoing: Outgoing,
    now: datetime,
    policy: RetryPolicy,
    draw: float,
    *,
    delivered: bool = False,
    final: bool = False,
    error: str | None = None,
) -> Outgoing:
    """The message after one more attempt to deliver it."""
    attempts = outgoing.attempts + 1
    if delivered:
        return replace(
            outgoing,
            state=Delivery.DELIVERED,
            attempts=attempts,
            delivered_at=now,
            last_error=None,
        )
    error = (error or "-")[:2000]
    if final or attempts >= policy.max_attempts:
        return replace(outgoing, state=Delivery.DEAD, attempts=attempts, last_error=error)
    return replace(
        outgoing,
        attempts=attempts,
        next_attempt_at=now + policy.delay(attempts, draw),
        last_error=error,
    )


def redriven(outgoing: Outgoing, now: datetime) -> Outgoing:
    """A dead message given a new round of attempts, from now, by an operator."""
    return replace(outgoing, state=Delivery.PENDING, attempts=0, next_attempt_at=now)
