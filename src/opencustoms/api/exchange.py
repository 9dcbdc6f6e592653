"""The node's receiving end of the origin data exchange.

Partner nodes post signed envelopes here; no API token is asked, because each
message carries its own proof of origin (the sending node's signature, checked
against the keys from its trust list). The answer says, for each message, whether
it was kept (received, a duplicate, or held for its turn) or refused, and why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.exchange.inbox import Reception
from opencustoms.exchange.outbox import Delivery
from opencustoms.kernel.errors import N_, InvalidInput

router = APIRouter(prefix="/exchange/v1", tags=["Exchange"])

OPEN_PATHS = ("/exchange/v1/messages",)
DELIVERY_EXAMPLE = {"messages": ["eyJhbGciOiJFZERTQSIs...<compact JWS>"]}


@router.post(
    "/messages",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": DELIVERY_EXAMPLE}}}},
)
async def deliver(request: Request) -> dict[str, Any]:
    """Deliver signed envelopes (at most 100): one answer per message, in order."""
    try:  # read here, not by the framework: orjson stops at a depth no message needs
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        body = None
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        raise InvalidInput.of(
            "exchange.bad_delivery",
            N_('%(path)s: expected {"messages": ["<compact JWS>", ...]}'),
            field="messages",
            path="messages",
        )
    # the database work runs beside the event loop, as a plain route's would
    answers = await run_in_threadpool(services(request).receiver.deliver, messages)
    return {"results": [presenters.answer(a) for a in answers]}


# -- the node's staff: what went out and came in, notices and verification requests ----

staff = APIRouter(prefix="/api/v1/exchange", tags=["Exchange"])


@staff.get("/status")
def exchange_status(
    request: Request, ctx: Context = guard(Permission.EXCHANGE_READ)
) -> dict[str, Any]:
    """Messages out and in per state, the oldest waiting to go, verifications open and overdue."""
    return presenters.exchange_status(services(request).exchange.status(ctx))


@staff.get("/outbox")
def exchange_outbox(
    request: Request,
    state: Delivery | None = None,
    limit: int = Query(100, ge=1, le=1000),
    ctx: Context = guard(Permission.EXCHANGE_READ),
) -> list[dict[str, Any]]:
    """Messages to partner nodes, oldest first, with their delivery and acknowledgement."""
    return [presenters.outgoing(o) for o in services(request).exchange.outgoing(ctx, state, limit)]


@staff.post("/outbox/{message_id}/retry")
def exchange_retry(
    request: Request, message_id: str, ctx: Context = guard(Permission.EXCHANGE_OPERATE)
) -> dict[str, Any]:
    """Re-drive a dead-lettered message: a new round of attempts from now."""
    return presenters.outgoing(services(request).exchange.retry(ctx, message_id))


@staff.get("/inbox")
def exchange_inbox(
    request: Request,
    state: Reception | None = None,
    limit: int = Query(100, ge=1, le=1000),
    ctx: Context = guard(Permission.EXCHANGE_READ),
) -> list[dict[str, Any]]:
    """Messages received, newest first, with what became of each."""
    return [presenters.incoming(i) for i in services(request).exchange.incoming(ctx, state, limit)]


@staff.get("/received")
def exchange_received(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    ctx: Context = guard(Permission.EXCHANGE_READ),
) -> list[dict[str, Any]]:
    """Certificates received from partner nodes, verified, newest first."""
    found = services(request).exchange.received(ctx, limit)
    return [presenters.received_certificate(r) for r in found]


class UtilizationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    authority: str = Field(max_length=40)
    number: str = Field(max_length=60)
    outcome: str = Field(max_length=20, examples=["denied"])
    declaration: str = Field(max_length=80)
    on: date
    reason: str | None = Field(default=None, max_length=2000)


@staff.post("/utilization", status_code=201)
def exchange_utilization(
    request: Request, body: UtilizationBody, ctx: Context = guard(Permission.EXCHANGE_NOTIFY)
) -> dict[str, Any]:
    """Tell the issuing country's node a received certificate's preference was applied or denied."""
    sent = services(request).exchange.send_utilization(
        ctx, body.authority, body.number, body.outcome, body.declaration, body.on, body.reason
    )
    return presenters.outgoing(sent)


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    authority: str = Field(max_length=40)
    number: str = Field(max_length=60)
    questions: list[str] = Field(min_length=1, max_length=20)
    documents: list[str] = Field(default_factory=list, max_length=50)


@staff.get("/verifications")
def exchange_verifications(
    request: Request,
    open_only: bool = Query(False, alias="open"),
    overdue: bool = False,
    limit: int = Query(100, ge=1, le=1000),
    ctx: Context = guard(Permission.EXCHANGE_READ),
) -> list[dict[str, Any]]:
    """Verification requests asked and answered, newest first; `overdue`: past their day."""
    svc = services(request)
    today = svc.clock.now().astimezone(svc.office_zone).date()
    cases = svc.exchange.verifications(ctx, open_only, overdue, limit)
    return [presenters.verification(c, today) for c in cases]


@staff.post("/verifications", status_code=201)
def exchange_request(
    request: Request, body: RequestBody, ctx: Context = guard(Permission.EXCHANGE_NOTIFY)
) -> dict[str, Any]:
    """Ask the issuing country's node to verify a received certificate, by the agreed day."""
    case = services(request).exchange.request_verification(
        ctx, body.authority, body.number, body.questions, body.documents
    )
    return presenters.verification(case)


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(max_length=20, examples=["partially"])
    findings: list[str] = Field(default_factory=list, max_length=50)
    documents: list[str] = Field(default_factory=list, max_length=50)


@staff.post("/verifications/{request_id}/answer")
def exchange_answer(
    request: Request,
    request_id: str,
    body: AnswerBody,
    ctx: Context = guard(Permission.EXCHANGE_ANSWER),
) -> dict[str, Any]:
    """Answer a partner's verification request: confirmed, not_confirmed or partially."""
    case = services(request).exchange.answer_verification(
        ctx, request_id, body.outcome, body.findings, body.documents
    )
    return presenters.verification(case)
