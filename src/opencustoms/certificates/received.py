"""The register of certificates received from partner countries' nodes.

An importing country's node keeps each certificate the exporting country's node
pushed to it (verified on arrival against the issuing authority's key, see
`exchange/receiving.py`), and what became of it since: replaced by a new number,
or revoked. It is the node's trusted record of a foreign certificate, as its
own issued certificates are of its own: a copy an importer presents is checked
against it (the signed payload it holds, its status), and a certificate signed
with a compromised key still counts when it was held before the compromise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from opencustoms.certificates.signed import Record
from opencustoms.kernel.errors import N_, Conflict


class ReceivedStatus(StrEnum):
    ISSUED = "issued"
    REPLACED = "replaced"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class ReceivedCertificate:
    authority: str  # the issuing authority, e.g. VN-MOIT
    number: str
    sender: str  # the partner node it came from
    form: str
    export_country: str
    import_country: str
    issued_on: date
    document: dict[str, Any]  # the signed document as received
    payload_sha256: str  # of the signed payload
    received_at: datetime  # UTC: from then on, this node's record of it
    message_id: str  # the message that brought it
    status: ReceivedStatus = ReceivedStatus.ISSUED
    replaced_by: str | None = None  # the new number, same authority
    revoked_at: datetime | None = None
    version: int = 1

    @property
    def record(self) -> Record:
        """As the verifier reads a trusted record. The revocation's reasons stay with the
        issuing country: it is told that, not why."""
        return Record(
            self.status.value,
            {self.payload_sha256: self.received_at},
            None,
            self.replaced_by,
        )


def received_taken(authority: str, number: str) -> Conflict:
    return Conflict.of(
        "certificate.received_taken",
        N_("Certificate %(number)s of %(authority)s was received meanwhile; retry."),
        number=number,
        authority=authority,
    )


def received_changed(authority: str, number: str) -> Conflict:
    return Conflict.of(
        "certificate.received_changed",
        N_("The record of certificate %(number)s of %(authority)s changed meanwhile; retry."),
        number=number,
        authority=authority,
    )
