"""Partner nodes of the origin data exchange: customs administrators register and change
them; officers and auditors read them. Their keys come from their trust lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Header, Request, Response

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.exchange.partners import Partner
from opencustoms.kernel.errors import N_, InvalidInput

router = APIRouter(prefix="/api/v1", tags=["Exchange partners"])

PARTNER_EXAMPLE = {
    "node": "VN-NODE",
    "country": "VN",
    "name": "General Department of Vietnam Customs",
    "url": "https://node.customs.gov.vn",
    "links": [{"agreement": "rcep", "reply_days": 90}],
}


def _tagged(response: Response, partner: Partner) -> dict[str, Any]:
    # the version is the entity tag: a PUT with If-Match changes only what its author read
    response.headers["ETag"] = f'"{partner.version}"'
    return presenters.partner(partner)


def _if_version(if_match: str | None) -> int | None:
    """The version an If-Match header names: `"3"` (as the ETag gave it), or none."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/")
    if len(tag) >= 3 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit() and len(tag) < 14:
        return int(tag[1:-1])
    raise InvalidInput.of(
        "http.bad_if_match",
        N_(
            'If-Match: %(value)s is not a partner version; send the ETag a GET of the partner gave, e.g. "3".'  # noqa: E501 (one message, kept whole for translators)
        ),
        field="If-Match",
        value=if_match[:40],
    )


@router.get("/partners")
def list_partners(
    request: Request, ctx: Context = guard(Permission.PARTNERS_READ)
) -> list[dict[str, Any]]:
    return [presenters.partner(p) for p in services(request).partners.list(ctx)]


@router.get("/partners/{node}")
def get_partner(
    request: Request,
    response: Response,
    node: str,
    ctx: Context = guard(Permission.PARTNERS_READ),
) -> dict[str, Any]:
    """A partner node with the ids of its node keys this node holds; its ETag is its version."""
    svc = services(request).partners
    shown = _tagged(response, svc.get(ctx, node))
    return shown | {"node_keys": sorted(svc.keys_of(ctx, node))}


@router.post("/partners", status_code=201)
def add_partner(
    request: Request,
    response: Response,
    body: dict[str, Any] = Body(..., examples=[PARTNER_EXAMPLE]),
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    """Register a partner node; every problem of the body is reported at once."""
    return _tagged(response, services(request).partners.add(ctx, body))


@router.put("/partners/{node}")
def update_partner(
    request: Request,
    response: Response,
    node: str,
    body: dict[str, Any] = Body(..., examples=[PARTNER_EXAMPLE]),
    if_match: str | None = Header(None, description='The ETag read, e.g. "3".'),
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    """Change a partner's name, URL or agreements (its node id and country stay).

    With `If-Match` (the ETag of a GET), a partner changed since is not overwritten: the
    answer is 412 and nothing changes."""
    version = _if_version(if_match)
    return _tagged(response, services(request).partners.update(ctx, node, body, version))


@router.post("/partners/{node}/deactivate")
def deactivate_partner(
    request: Request,
    response: Response,
    node: str,
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    return _tagged(response, services(request).partners.deactivate(ctx, node))


@router.post("/partners/{node}/activate")
def activate_partner(
    request: Request,
    response: Response,
    node: str,
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    return _tagged(response, services(request).partners.activate(ctx, node))
