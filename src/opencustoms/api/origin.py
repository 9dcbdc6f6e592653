"""Rules of origin: agreements and their product-specific rules. Public law, readable by all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.api.schemas import AgreementOut, RuleLookupOut
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.agreements import compile_report

router = APIRouter(
    prefix="/api/v1/origin", tags=["Rules of origin"], dependencies=[guard(Permission.ORIGIN_READ)]
)


@router.get("/agreements", response_model=list[AgreementOut])
def list_agreements(request: Request) -> list[AgreementOut]:
    found = services(request).origin.agreements()
    return [AgreementOut.model_validate(presenters.agreement(a)) for a in found]


@router.get("/compile-report")
def get_compile_report(
    request: Request, limit: Annotated[int, Query(ge=0, le=1000)] = 30
) -> dict[str, Any]:
    """How much of the UK schemes' rules is compiled, counted as lookups serve them."""
    return compile_report(services(request).origin).as_dict(limit)


@router.get("/agreements/{agreement_id}", response_model=AgreementOut)
def get_agreement(request: Request, agreement_id: str) -> AgreementOut:
    found = services(request).origin.agreement(agreement_id)
    return AgreementOut.model_validate(presenters.agreement(found))


@router.get("/agreements/{agreement_id}/rules", response_model=RuleLookupOut)
def rules_for_code(
    request: Request,
    agreement_id: str,
    hs: Annotated[str, Query(description="an HS code, e.g. 846620", max_length=64)],
    edition: Annotated[
        str | None, Query(description="the HS edition of the code (default HS2022)", max_length=16)
    ] = None,
) -> RuleLookupOut:
    ed = HsEdition.parse(edition) if edition else None
    found = services(request).origin.rules_for(agreement_id, hs, ed)
    return RuleLookupOut.model_validate(presenters.rule_lookup(found))
