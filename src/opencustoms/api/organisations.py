"""Organisations, their accounts, brokers' mandates, and the caller's own account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import OrgKind, Permission, Role, parse_enum
from opencustoms.accounts.service import Context, Idempotency
from opencustoms.api.schemas import (
    AccountIn,
    AccountOut,
    MandateIn,
    MandateOut,
    MeOut,
    OrganisationIn,
    OrganisationOut,
)
from opencustoms.kernel.countries import Country
from opencustoms.platform.idempotency import fingerprint

router = APIRouter(prefix="/api/v1", tags=["Organisations and accounts"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="repeat a write safely: the same key returns the first answer",
    ),
]


def _idempotency(request: Request, key: str | None, body: Any) -> Idempotency | None:
    if key is None:
        return None
    return Idempotency(key, fingerprint(request.method, request.url.path, body))


def _created(response: Response, replayed: bool) -> None:
    response.status_code = 200 if replayed else 201
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.get("/me", response_model=MeOut)
def me(ctx: Context = guard(Permission.ACCOUNT_SELF_READ)) -> MeOut:
    p = ctx.principal
    assert p is not None
    assert p.account is not None
    assert p.organisation is not None
    return MeOut(
        account=AccountOut.model_validate(presenters.account(p.account)),
        organisation=OrganisationOut.model_validate(presenters.organisation(p.organisation)),
        permissions=sorted(x.value for x in p.permissions),
    )


@router.get("/organisations", response_model=list[OrganisationOut])
def list_organisations(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500, description="a page of at most this many")] = 100,
    offset: Annotated[int, Query(ge=0, description="skip this many, by name")] = 0,
    ctx: Context = guard(Permission.ORG_READ),
) -> list[OrganisationOut]:
    """The organisations the caller may see, by name, a page at a time."""
    return [
        OrganisationOut.model_validate(presenters.organisation(o))
        for o in services(request).accounts.organisations(ctx, limit, offset)
    ]


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(
    request: Request,
    response: Response,
    body: Annotated[OrganisationIn, Body()],
    idempotency_key: IdempotencyKey = None,
    ctx: Context = guard(Permission.ORG_CREATE),
) -> OrganisationOut:
    org, replayed = services(request).accounts.create_organisation(
        ctx,
        body.name,
        parse_enum(OrgKind, body.kind, "kind"),
        Country(body.country),
        _idempotency(request, idempotency_key, body.model_dump()),
    )
    _created(response, replayed)
    return OrganisationOut.model_validate(presenters.organisation(org))


@router.get("/organisations/{org_id}", response_model=OrganisationOut)
def get_organisation(
    request: Request, org_id: str, ctx: Context = guard(Permission.ORG_READ)
) -> OrganisationOut:
    return OrganisationOut.model_validate(
        presenters.organisation(services(request).accounts.organisation(ctx, org_id))
    )


@router.get("/organisations/{org_id}/accounts", response_model=list[AccountOut])
def list_accounts(
    request: Request, org_id: str, ctx: Context = guard(Permission.ORG_READ)
) -> list[AccountOut]:
    return [
        AccountOut.model_validate(presenters.account(a))
        for a in services(request).accounts.accounts_of(ctx, org_id)
    ]


@router.post("/organisations/{org_id}/accounts", response_model=AccountOut, status_code=201)
def create_account(
    request: Request,
    response: Response,
    org_id: str,
    body: Annotated[AccountIn, Body()],
    idempotency_key: IdempotencyKey = None,
    ctx: Context = guard(Permission.ACCOUNT_CREATE),
) -> AccountOut:
    roles = [parse_enum(Role, r, "roles") for r in body.roles]
    account, replayed = services(request).accounts.create_account(
        ctx, org_id, body.name, roles, _idempotency(request, idempotency_key, body.model_dump())
    )
    _created(response, replayed)
    return AccountOut.model_validate(presenters.account(account))


@router.get("/mandates", response_model=list[MandateOut])
def list_mandates(
    request: Request, ctx: Context = guard(Permission.MANDATE_READ)
) -> list[MandateOut]:
    return [
        MandateOut.model_validate(presenters.mandate(m))
        for m in services(request).accounts.mandates(ctx)
    ]


@router.post("/mandates", response_model=MandateOut, status_code=201)
def grant_mandate(
    request: Request,
    response: Response,
    body: Annotated[MandateIn, Body()],
    idempotency_key: IdempotencyKey = None,
    ctx: Context = guard(Permission.MANDATE_GRANT),
) -> MandateOut:
    mandate, replayed = services(request).accounts.grant_mandate(
        ctx, body.broker_id, _idempotency(request, idempotency_key, body.model_dump())
    )
    _created(response, replayed)
    return MandateOut.model_validate(presenters.mandate(mandate))


@router.delete("/mandates/{mandate_id}", response_model=MandateOut)
def revoke_mandate(
    request: Request, mandate_id: str, ctx: Context = guard(Permission.MANDATE_GRANT)
) -> MandateOut:
    """The importer withdraws the mandate: the broker no longer sees its objects."""
    mandate = services(request).accounts.revoke_mandate(ctx, mandate_id)
    return MandateOut.model_validate(presenters.mandate(mandate))
