"""Rules of origin: agreements and their product-specific rules. Public law, readable by all."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.api.schemas import AgreementOut, RuleLookupOut
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import legal_date
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin import agreements as catalogue
from opencustoms.origin.agreements import compile_report
from opencustoms.origin.bom_io import read_bom

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


BODY_FORMATS = {
    "text/csv": "request body.csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "request body.xlsx",
}


def _body_name(request: Request) -> str:
    """The BOM's format from the body's Content-Type: CSV, XLSX, or (by default) JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return BODY_FORMATS.get(kind, "request body.json")


@router.post("/agreements/{agreement_id}/determinations")
async def determine_origin(
    request: Request,
    agreement_id: str,
    on: Annotated[date | None, Query(alias="date", description="the day whose law applies")] = None,
) -> dict[str, Any]:
    """Whether the product of a bill of materials (the body: JSON, or CSV or XLSX by its
    Content-Type) qualifies as originating under the agreement, by which criterion and margin."""
    svc = services(request)
    body = await request.body()
    edition = svc.origin.edition(agreement_id) or HsEdition.HS2022
    bom = read_bom(body, _body_name(request), edition)
    day = on or legal_date(svc.clock.now(), svc.office_zone)
    found = presenters.determination(catalogue.determine(svc.origin, agreement_id, bom, day))
    return {**found, "date": day.isoformat()}


@router.post("/comparisons")
async def compare_agreements(
    request: Request,
    exporter: Annotated[str, Query(alias="from", description="the exporting country, e.g. KR")],
    importer: Annotated[str, Query(alias="to", description="the importing country, e.g. GB")],
    on: Annotated[date | None, Query(alias="date", description="the day whose law applies")] = None,
) -> dict[str, Any]:
    """The same bill of materials (JSON body) under every agreement in force between
    the two countries, side by side; an agreement it cannot be decided under says why."""
    svc = services(request)
    body = await request.body()
    a, b = Country(exporter).alpha2, Country(importer).alpha2
    day = on or legal_date(svc.clock.now(), svc.office_zone)
    found = catalogue.compare(svc.origin, body, _body_name(request), a, b, day)
    return {"from": a, "to": b, "date": day.isoformat(), "agreements": presenters.comparison(found)}


def _own_organisation(ctx: Context) -> str:
    # the guard admits only accounts holding the permission, and every account has one
    assert ctx.principal is not None
    assert ctx.principal.organisation is not None
    return ctx.principal.organisation.id


@router.post("/determinations", status_code=201)
async def keep_determination(
    request: Request,
    agreement: Annotated[str, Query(description="the agreement's id, e.g. uk-south-korea")],
    on: Annotated[date | None, Query(alias="date", description="the day whose law applies")] = None,
    ctx: Context = guard(Permission.ORIGIN_DETERMINATIONS),
) -> dict[str, Any]:
    """Determine a bill of materials (JSON body) and keep it, with its evidence, for
    the caller's organisation, so that a later re-run can show what changed."""
    svc = services(request)
    body = await request.body()
    bom = read_bom(body, _body_name(request), svc.origin.edition(agreement) or HsEdition.HS2022)
    day = on or legal_date(svc.clock.now(), svc.office_zone)
    record = svc.determinations.record(agreement, bom, day, _own_organisation(ctx))
    return {**presenters.kept_determination(record), "result": record.result}


@router.get("/determinations")
def list_determinations(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ctx: Context = guard(Permission.ORIGIN_DETERMINATIONS),
) -> list[dict[str, Any]]:
    """The caller's organisation's current determinations, newest first."""
    found = services(request).determinations.current(limit, _own_organisation(ctx))
    return [presenters.kept_determination(r) for r in found]


@router.get("/determinations/{determination_id}")
def get_determination(
    request: Request,
    determination_id: str,
    ctx: Context = guard(Permission.ORIGIN_DETERMINATIONS),
) -> dict[str, Any]:
    """One kept determination, with its bill of materials and full result."""
    r = services(request).determinations.get(determination_id, _own_organisation(ctx))
    return {**presenters.kept_determination(r), "bom": r.bom, "result": r.result}


@router.post("/determinations/redetermine")
def redetermine(
    request: Request,
    on: Annotated[date | None, Query(alias="date", description="the day whose law applies")] = None,
    ctx: Context = guard(Permission.ORIGIN_DETERMINATIONS),
) -> dict[str, Any]:
    """Re-run the organisation's kept determinations on the day (a rule changed, a
    supplier declaration expired); each changed verdict is kept as a new record."""
    svc = services(request)
    day = on or legal_date(svc.clock.now(), svc.office_zone)
    changes, unchanged = svc.determinations.redetermine(day, _own_organisation(ctx))
    changed = [presenters.determination_change(c) for c in changes]
    return {"date": day.isoformat(), "changed": changed, "unchanged": unchanged}
