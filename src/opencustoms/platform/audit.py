"""The audit log: who did what, when, to which object. Append-only.

Every write a service performs records one event in the same transaction as
the write itself, so the log never misses a change nor records one that was
rolled back. The store refuses updates and deletes of audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    at: datetime
    action: str  # "organisation.create", "account.create", "mandate.grant", ...
    object_type: str
    object_id: str
    organisation_id: str | None  # whose object it is: scopes who may read the event
    actor_account_id: str | None  # None: the operator at the command line
    actor_organisation_id: str | None
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
