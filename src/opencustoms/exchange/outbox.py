"""The outbox: messages to partner nodes, each with where its delivery stands.

A message is recorded in the transaction of the change that makes it (see
`publish.py`): if the change is rolled back, no message exists; if it commits,
the delivery worker will deliver it, retrying, until the receiver acknowledges it
or the attempts run out (dead: an operator looks at it and may re-drive it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from opencustoms.exchange.envelope import Envelope
from opencustoms.kernel.errors import N_, Conflict


class Delivery(StrEnum):
    PENDING = "pending"  # to be delivered (again) at its next attempt
    DELIVERED = "delivered"  # the receiver acknowledged it
    DEAD = "dead"  # given up after the limit of attempts: an operator looks at it


@dataclass(frozen=True, slots=True)
class Outgoing:
    envelope: Envelope  # signed afresh at each attempt, with that attempt's time
    created_at: datetime
    state: Delivery = Delivery.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None  # None: as soon as possible
    last_error: str | None = None
    delivered_at: datetime | None = None


def place_taken(envelope: Envelope) -> Conflict:
    """Two transactions numbered a message about one certificate to one receiver alike:
    the later fails whole, and is retried."""
    return Conflict.of(
        "exchange.place_taken",
        N_(
            "Message %(id)s: message %(seq)s about %(subject)s to %(receiver)s exists already; retry."
        ),
        id=envelope.id,
        seq=str(envelope.sequence),
        subject=str(envelope.subject),
        receiver=envelope.receiver,
    )
