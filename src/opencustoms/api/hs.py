"""HS nomenclature routes: public reference data, readable without a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.api.schemas import HsEntryOut, HsSearchOut
from opencustoms.kernel.nomenclature import MAX_LIMIT

router = APIRouter(prefix="/api/v1/hs", tags=["HS nomenclature"])


@router.get("", dependencies=[guard(Permission.HS_READ)], response_model=HsSearchOut)
def search(
    request: Request,
    q: Annotated[str, Query(description="words or a partial code, e.g. 'roasted coffee', 8471")],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> HsSearchOut:
    return HsSearchOut.model_validate(presenters.hs_search(services(request).hs, q, limit))


@router.get("/{code}", dependencies=[guard(Permission.HS_READ)], response_model=HsEntryOut)
def show(request: Request, code: str) -> HsEntryOut:
    return HsEntryOut.model_validate(presenters.hs_entry(services(request).hs, code))
