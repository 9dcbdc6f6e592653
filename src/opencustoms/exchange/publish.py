"""Publishing certificate changes: the messages they send, recorded in the outbox.

When a certificate is issued, replaced or revoked, the node of each partner
country that imports under it (the certificate's import country, with a link for
the form's agreement that carries that message type) gets a message, recorded in
the change's own transaction. Messages about one certificate are numbered per
receiver (`seq`), so that the receiver applies them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from opencustoms.certificates.lifecycle import EventKind
from opencustoms.certificates.ports import CertificateUnitOfWork, Change
from opencustoms.exchange.envelope import Envelope
from opencustoms.exchange.messages import check_payload, message_type
from opencustoms.exchange.outbox import Outgoing
from opencustoms.exchange.ports import OutboxUnitOfWork
from opencustoms.kernel.ids import new_id

# what each certificate change sends
MESSAGE_OF = {
    EventKind.ISSUED: "certificate.issued",
    EventKind.REPLACED: "certificate.replaced",
    EventKind.REVOKED: "certificate.revoked",
}


def payload_of(change: Change) -> dict[str, Any]:
    """The message's payload: the signed certificate itself for an issue or a replacement
    (the importing country checks the issuing authority's own signature)."""
    record = change.record
    if change.kind is EventKind.REPLACED:
        assert change.previous is not None
        return {
            "authority": record.authority,
            "number": change.previous.number,
            "by": record.number,
            "document": record.signed,
        }
    if change.kind is EventKind.REVOKED:
        at = change.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return {"authority": record.authority, "number": record.number, "revoked_at": at}
    return {"authority": record.authority, "number": record.number, "document": record.signed}


class OutboxPublisher:
    """Records certificate changes' messages in the outbox of the changes' transaction.

    `node`: this node's id, the messages' sender; None (a node that exchanges with
    no one yet) records nothing and asks nothing of the database.
    """

    def __init__(self, node: str | None, ids: Callable[[str], str] = new_id) -> None:
        self._node = node
        self._ids = ids

    def publish(self, uow: CertificateUnitOfWork, changes: Sequence[Change]) -> None:
        if self._node is None or not changes:
            return
        if not isinstance(uow, OutboxUnitOfWork):  # a node's unit of work holds them all
            raise TypeError(f"{type(uow).__name__} has no partners or outbox to publish to")
        partners = uow.partners.all(active_only=True)  # once for the whole batch
        messages: list[Outgoing] = []
        started: list[tuple[str, str]] = []
        for change in changes:
            name = MESSAGE_OF.get(change.kind)
            if name is None:
                continue
            kind = message_type(name, 1)
            payload = payload_of(change)
            if kind is None or (problems := check_payload(kind, payload)):
                raise ValueError(f"{name} cannot be sent: {problems if kind else 'unknown'}")
            subject = f"{payload['authority']}/{payload['number']}"
            # a replacement concerns the old certificate's importer and the new one's
            countries = {change.record.certificate.import_country}
            if change.previous is not None:
                countries.add(change.previous.certificate.import_country)
            for partner in partners:
                link = partner.link(change.agreement)
                if partner.country not in countries or link is None or name not in link.messages:
                    continue
                if change.kind is EventKind.ISSUED:  # a new number: its first message
                    seq = 1
                    started.append((partner.node, subject))
                else:
                    seq = uow.outbox.next_sequence(partner.node, subject)
                envelope = Envelope(
                    id=self._ids("msg"),
                    type=name,
                    version=kind.version,
                    sender=self._node,
                    receiver=partner.node,
                    sent_at=change.at,
                    payload=payload,
                    sequence=seq,
                )
                messages.append(Outgoing(envelope, change.at, change.at))
        uow.outbox.start_sequences(started)
        uow.outbox.add_many(messages)
