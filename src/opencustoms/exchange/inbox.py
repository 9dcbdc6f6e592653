"""The inbox: messages received from partner nodes, each kept once, with what became of it.

A message whose envelope is authentic and readable is kept under (sender, id):
delivered again, it is acknowledged again and not applied twice. Messages about
one certificate are applied in their sender's order (`seq`): one whose
predecessor has not arrived is held, and applied when the gap closes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from opencustoms.exchange.envelope import Envelope, envelope_json
from opencustoms.kernel.errors import N_, Conflict, Finding
from opencustoms.trust.canonical import canonical_bytes


class Reception(StrEnum):
    """Where a kept message stands."""

    HELD = "held"  # waits for an earlier message about its certificate, or the certificate
    APPLIED = "applied"  # done: for a certificate, verified and recorded
    REJECTED = "rejected"  # authentic, but refused (reasons kept): nothing applied
    KEPT = "kept"  # a message this node records without acting on it


class Outcome(StrEnum):
    """What the receiving node answers for each message delivered to it."""

    RECEIVED = "received"  # kept: applied, or rejected for its content (see `state`)
    DUPLICATE = "duplicate"  # kept already: acknowledged again, not applied twice
    HELD = "held"  # kept, to be applied once its predecessors arrive
    REFUSED = "refused"  # not kept: see `reasons`, and `final`


@dataclass(frozen=True, slots=True)
class Incoming:
    envelope: Envelope  # as signed by the sender at the attempt that arrived first
    digest: str  # of its content (`content_digest`): another message under its id is refused
    received_at: datetime
    state: Reception
    reasons: tuple[Finding, ...] = ()  # why it is held or was refused
    applied_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The receiver's answer for one delivered message. A message kept (`stored`) is
    delivered: the sender stops. One not kept is delivered again later, unless `final`
    (it can never be accepted: an unknown type, a bad payload, a number used twice)."""

    id: str | None
    outcome: Outcome
    state: Reception | None = None  # of the kept message
    reasons: tuple[Finding, ...] = field(default=())
    final: bool = False

    @property
    def stored(self) -> bool:
        return self.outcome is not Outcome.REFUSED


def content_digest(envelope: Envelope) -> str:
    """What makes a message itself: everything but the time of the attempt (each delivery
    is signed afresh). Two messages under one id with different digests are a conflict."""
    content = envelope_json(envelope)
    del content["sent_at"]
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def finding_json(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"code": finding.code, "message": finding.message}
    if finding.params:
        out["params"] = {
            k: v.render() if isinstance(v, Finding) else v for k, v in finding.params.items()
        }
    if finding.field is not None:
        out["field"] = finding.field
    return out


def read_finding(data: dict[str, Any]) -> Finding:
    return Finding(data["code"], data["message"], dict(data.get("params", {})), data.get("field"))


def message_taken(sender: str, message_id: str) -> Conflict:
    """Two deliveries of one message were kept at once: the later is answered as a duplicate."""
    return Conflict.of(
        "exchange.message_taken",
        N_("Message %(id)s of %(sender)s was received meanwhile; retry."),
        id=message_id,
        sender=sender,
    )


def order_moved(sender: str, subject: str) -> Conflict:
    return Conflict.of(
        "exchange.order_moved",
        N_("Messages of %(sender)s about %(subject)s were applied meanwhile; retry."),
        sender=sender,
        subject=subject,
    )
