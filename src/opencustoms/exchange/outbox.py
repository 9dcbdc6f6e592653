"""The outbox: messages to partner nodes, each with where its delivery stands.

A message is recorded in the transaction of the change that makes it (see
`publish.py`): if the change is rolled back, no message exists; if it commits,
the delivery worker will deliver it, retrying, until the receiver acknowledges it
or the attempts run out (dead: an operator looks at it and may re-drive it).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    next_attempt_at: datetime  # when to try (again); at first, when it was recorded
    state: Delivery = Delivery.PENDING
    attempts: int = 0
    last_error: str | None = None
    delivered_at: datetime | None = None
    # the receiver's acknowledgement (`ack`): accepted (for a certificate, verified and
    # recorded) or rejected with its reasons
    ack_outcome: str | None = None
    ack_reasons: tuple[str, ...] = ()
    acknowledged_at: datetime | None = None


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


def sequence_started(pairs: Sequence[tuple[str, str]]) -> Conflict:
    """A certificate just issued already has messages numbered: its number was used before."""
    receiver, subject = pairs[0]
    return Conflict.of(
        "exchange.sequence_started",
        N_(
            "Messages about %(subject)s to %(receiver)s are numbered already: its number was used before."
        ),
        subject=subject,
        receiver=receiver,
    )
