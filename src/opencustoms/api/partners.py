"""Partner nodes of the origin data exchange: customs administrators register and change
them; officers and auditors read them. Their keys come from their trust lists."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context

router = APIRouter(prefix="/api/v1", tags=["Exchange partners"])

PARTNER_EXAMPLE = {
    "node": "VN-NODE",
    "country": "VN",
    "name": "General Department of Vietnam Customs",
    "url": "https://node.customs.gov.vn",
    "links": [{"agreement": "rcep", "reply_days": 90}],
}


def _shown(request: Request, ctx: Context, node: str) -> dict[str, Any]:
    svc = services(request).partners
    partner = svc.get(ctx, node)
    return presenters.partner(partner) | {"node_keys": sorted(svc.keys_of(ctx, node))}


@router.get("/partners")
def list_partners(
    request: Request, ctx: Context = guard(Permission.PARTNERS_READ)
) -> list[dict[str, Any]]:
    return [presenters.partner(p) for p in services(request).partners.list(ctx)]


@router.get("/partners/{node}")
def get_partner(
    request: Request, node: str, ctx: Context = guard(Permission.PARTNERS_READ)
) -> dict[str, Any]:
    """A partner node with the ids of its node keys this node holds."""
    return _shown(request, ctx, node)


@router.post("/partners", status_code=201)
def add_partner(
    request: Request,
    body: dict[str, Any] = Body(..., examples=[PARTNER_EXAMPLE]),
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    """Register a partner node; every problem of the body is reported at once."""
    return presenters.partner(services(request).partners.add(ctx, body))


@router.put("/partners/{node}")
def update_partner(
    request: Request,
    node: str,
    body: dict[str, Any] = Body(..., examples=[PARTNER_EXAMPLE]),
    ctx: Context = guard(Permission.PARTNERS_MANAGE),
) -> dict[str, Any]:
    """Change a partner's name, URL or agreements (its node id and country stay)."""
    return presenters.partner(services(request).partners.update(ctx, node, body))


@router.post("/partners/{node}/deactivate")
def deactivate_partner(
    request: Request, node: str, ctx: Context = guard(Permission.PARTNERS_MANAGE)
) -> dict[str, Any]:
    return presenters.partner(services(request).partners.deactivate(ctx, node))


@router.post("/partners/{node}/activate")
def activate_partner(
    request: Request, node: str, ctx: Context = guard(Permission.PARTNERS_MANAGE)
) -> dict[str, Any]:
    return presenters.partner(services(request).partners.activate(ctx, node))
