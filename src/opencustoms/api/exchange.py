"""The node's receiving end of the origin data exchange.

Partner nodes post signed envelopes here; no API token is asked, because each
message carries its own proof of origin (the sending node's signature, checked
against the keys from its trust list). The answer says, for each message, whether
it was kept (received, a duplicate, or held for its turn) or refused, and why.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from opencustoms import presenters
from opencustoms.access import services
from opencustoms.kernel.errors import N_, InvalidInput

router = APIRouter(prefix="/exchange/v1", tags=["Exchange"])

OPEN_PATHS = ("/exchange/v1/messages",)
DELIVERY_EXAMPLE = {"messages": ["eyJhbGciOiJFZERTQSIs...<compact JWS>"]}


@router.post("/messages")
def deliver(request: Request, body: Any = Body(..., examples=[DELIVERY_EXAMPLE])) -> dict[str, Any]:
    """Deliver signed envelopes (at most 100): one answer per message, in order."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        raise InvalidInput.of(
            "exchange.bad_delivery",
            N_('%(path)s: expected {"messages": ["<compact JWS>", ...]}'),
            field="messages",
            path="messages",
        )
    answers = services(request).receiver.deliver(messages)
    return {"results": [presenters.answer(a) for a in answers]}
