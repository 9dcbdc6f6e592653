"""The audit log, for auditors and the customs administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.api.schemas import AuditEventOut

router = APIRouter(prefix="/api/v1", tags=["Audit"])


@router.get("/audit", response_model=list[AuditEventOut])
def audit_events(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ctx: Context = guard(Permission.AUDIT_READ),
) -> list[AuditEventOut]:
    return [
        AuditEventOut.model_validate(presenters.audit_event(e))
        for e in services(request).accounts.audit_events(ctx, limit)
    ]
