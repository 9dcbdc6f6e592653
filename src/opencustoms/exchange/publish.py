"""Publishing certificate changes: the messages they send, recorded in the outbox.

When a certificate is issued, replaced or revoked, the node of each partner
country that imports under it (the certificate's import country, with a link for
the form's agreement that carries that message type) gets a message, recorded in
the change's own transaction. Messages about one certificate are numbered per
receiver (`seq`), so that the receiver applies them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any, cast

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
        at = change.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {"authority": record.authority, "number": record.number, "revoked_at": at}
    return {"authority": record.authority, "number": record.number, "document": record.signed}


class OutboxPublisher:
    """Records a certificate change's messages in the outbox of the change's transaction.

    `node`: this node's id, the messages' sender; None (a node that exchanges with
    no one yet) records nothing.
    """

    def __init__(self, node: str | None, ids: Callable[[str], str] = new_id) -> None:
        self._node = node
        self._ids = ids

    def publish(self, uow: CertificateUnitOfWork, change: Change) -> None:
        if self._node is None or change.kind not in MESSAGE_OF:
            return
        # the node's unit of work holds every repository, the exchange's too
        work = cast(OutboxUnitOfWork, uow)
        name = MESSAGE_OF[change.kind]
        kind = message_type(name, 1)
        assert kind is not None
        payload = payload_of(change)
        assert check_payload(kind, payload) == [], (name, payload)
        subject = f"{payload['authority']}/{payload['number']}"
        country = change.record.certificate.import_country
        for partner in work.partners.all(active_only=True):
            link = partner.link(change.agreement)
            if partner.country != country or link is None or name not in link.messages:
                continue
            envelope = Envelope(
                id=self._ids("msg"),
                type=name,
                version=kind.version,
                sender=self._node,
                receiver=partner.node,
                sent_at=change.at,
                payload=payload,
                sequence=work.outbox.next_sequence(partner.node, subject),
            )
            work.outbox.add(Outgoing(envelope, change.at))
