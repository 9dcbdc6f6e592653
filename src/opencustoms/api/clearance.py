"""Import declarations: importers and brokers lodge, amend and cancel them; customs staff
read them all. A declaration is validated and assessed as it is lodged; one refused
answers with every finding (RFC 9457, `errors`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from opencustoms import presenters, presenters_clearance
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context, Idempotency
from opencustoms.clearance.goods_io import strict_number
from opencustoms.clearance.records import DeclarationState
from opencustoms.clearance.service import MAX_BATCH
from opencustoms.kernel.money import Money
from opencustoms.platform.idempotency import fingerprint

router = APIRouter(prefix="/api/v1", tags=["Import declarations"])

DECLARATION_EXAMPLE = {
    "reference": "43210-21-000123",
    "date": "2021-02-01",
    "office": "30",
    "declarant": "org_…",
    "importer": "org_…",
    "seller": "0VKY2BR",
    "transport_mode": "10",
    "items": [
        {
            "hs_code": "3926909000",
            "rate_type": "FCN1",
            "price": "1000",
            "currency": "USD",
            "incoterm": "FOB",
            "freight": "120",
            "insurance": "5",
            "net_mass": "12.5",
            "origin": "CN",
            "proof": {"kind": "certificate", "reference": "K2021-123456"},
        }
    ],
}


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declarations: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class AmendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declaration: dict[str, Any]
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(default=None, ge=1, description="only if still at this version")


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(default=None, ge=1, description="only if still at this version")


@router.post("/declarations", status_code=201)
def lodge(
    request: Request,
    response: Response,
    body: Annotated[dict[str, Any], Body(examples=[DECLARATION_EXAMPLE])],
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="the same key returns the first answer"),
    ] = None,
    ctx: Context = guard(Permission.DECLARATION_LODGE),
) -> dict[str, Any]:
    """Lodge a declaration: validated and assessed at once, or refused with every finding."""
    key = (
        Idempotency(idempotency_key, fingerprint(request.method, request.url.path, body))
        if idempotency_key is not None
        else None
    )
    svc = services(request)
    record, replayed = svc.clearance.lodge(ctx, body, key)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return presenters_clearance.declaration(record, svc.office_zone)


@router.post("/declarations/batch")
def lodge_batch(
    request: Request, body: BatchIn, ctx: Context = guard(Permission.DECLARATION_LODGE)
) -> list[dict[str, Any]]:
    """Lodge each declaration on its own merits: one answer per declaration, in order."""
    svc = services(request)
    batch = [(f"declarations[{i}]", d) for i, d in enumerate(body.declarations)]
    return [
        presenters_clearance.outcome(o, svc.office_zone)
        for o in svc.clearance.lodge_many(ctx, batch)
    ]


@router.get("/declarations")
def list_declarations(
    request: Request,
    state: DeclarationState | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ctx: Context = guard(Permission.DECLARATION_READ),
) -> list[dict[str, Any]]:
    """The declarations the caller may see, newest first."""
    svc = services(request)
    return [
        presenters_clearance.declaration_brief(r, svc.office_zone)
        for r in svc.clearance.find(ctx, state, limit, offset)
    ]


@router.get("/declarations/{declaration}")
def get_declaration(
    request: Request, declaration: str, ctx: Context = guard(Permission.DECLARATION_READ)
) -> dict[str, Any]:
    """A declaration by its id or number: as lodged, its state, its assessment explained."""
    svc = services(request)
    record = svc.clearance.get(ctx, declaration)
    decisions = svc.clearance.decisions(ctx, record.id)
    return presenters_clearance.declaration(record, svc.office_zone, decisions)


@router.get("/declarations/{declaration}/history")
def declaration_history(
    request: Request, declaration: str, ctx: Context = guard(Permission.DECLARATION_READ)
) -> list[dict[str, Any]]:
    svc = services(request)
    return [
        presenters_clearance.event(e, svc.office_zone)
        for e in svc.clearance.history(ctx, declaration)
    ]


@router.post("/declarations/{declaration}/amend")
def amend(
    request: Request,
    declaration: str,
    body: AmendIn,
    ctx: Context = guard(Permission.DECLARATION_LODGE),
) -> dict[str, Any]:
    """The declaration as it should now read, with the reason; validated and assessed again."""
    svc = services(request)
    record = svc.clearance.amend(ctx, declaration, body.declaration, body.reason, body.version)
    return presenters_clearance.declaration(record, svc.office_zone)


@router.post("/declarations/{declaration}/cancel")
def cancel(
    request: Request,
    declaration: str,
    body: CancelIn,
    ctx: Context = guard(Permission.DECLARATION_LODGE),
) -> dict[str, Any]:
    svc = services(request)
    record = svc.clearance.cancel(ctx, declaration, body.reason, body.version)
    return presenters_clearance.declaration(record, svc.office_zone)


@router.get("/declaration-rejections")
def rejections(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ctx: Context = guard(Permission.DECLARATION_READ),
) -> list[dict[str, Any]]:
    """Declarations refused whole, newest first, with every finding."""
    svc = services(request)
    return [
        presenters_clearance.rejection(r, svc.office_zone)
        for r in svc.clearance.rejections(ctx, limit)
    ]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: str = Field(max_length=40, examples=["142160"])
    currency: str = Field(default="KRW", max_length=3)
    reference: str = Field(min_length=1, max_length=200)


class SecureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    guarantee: str = Field(min_length=1, max_length=40)


class GuaranteeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holder: str = Field(min_length=1, max_length=40)
    limit: str = Field(max_length=40, examples=["50000000"])
    currency: str = Field(default="KRW", max_length=3)


@router.get("/declarations/{declaration}/account")
def declaration_account(
    request: Request, declaration: str, ctx: Context = guard(Permission.DECLARATION_READ)
) -> dict[str, Any]:
    """What the declaration owes, what was paid or secured, and whether it may be released."""
    svc = services(request)
    return presenters_clearance.account(svc.settlements.account(ctx, declaration), svc.office_zone)


@router.post("/declarations/{declaration}/payments")
def record_payment(
    request: Request,
    declaration: str,
    body: PaymentIn,
    ctx: Context = guard(Permission.PAYMENT_RECORD),
) -> dict[str, Any]:
    """Record the treasury's notice of payment (customs staff)."""
    svc = services(request)
    amount = Money(strict_number(body.amount, "amount"), body.currency)
    found = svc.settlements.pay(ctx, declaration, amount, body.reference)
    return presenters_clearance.account(found, svc.office_zone)


@router.post("/declarations/{declaration}/secure")
def secure(
    request: Request,
    declaration: str,
    body: SecureIn,
    ctx: Context = guard(Permission.DECLARATION_LODGE),
) -> dict[str, Any]:
    """Secure what the declaration owes with the importer's guarantee."""
    svc = services(request)
    found = svc.settlements.secure(ctx, declaration, body.guarantee)
    return presenters_clearance.account(found, svc.office_zone)


@router.get("/declarations/{declaration}/replay")
def replay(
    request: Request, declaration: str, ctx: Context = guard(Permission.DECLARATION_READ)
) -> dict[str, Any]:
    """The kept assessment computed again from what it used: the same figures, or where not."""
    return presenters_clearance.replayed(services(request).clearance.replay(ctx, declaration))


@router.get("/guarantees")
def list_guarantees(
    request: Request, ctx: Context = guard(Permission.GUARANTEE_READ)
) -> list[dict[str, Any]]:
    svc = services(request)
    return [
        presenters_clearance.guarantee(g, svc.office_zone) for g in svc.settlements.guarantees(ctx)
    ]


@router.post("/guarantees", status_code=201)
def open_guarantee(
    request: Request, body: GuaranteeIn, ctx: Context = guard(Permission.GUARANTEE_MANAGE)
) -> dict[str, Any]:
    """Open an importer's guarantee account (customs administrators)."""
    svc = services(request)
    limit = Money(strict_number(body.limit, "limit"), body.currency)
    return presenters_clearance.guarantee(
        svc.settlements.open_guarantee(ctx, body.holder, limit), svc.office_zone
    )


@router.get("/guarantees/{guarantee}")
def get_guarantee(
    request: Request, guarantee: str, ctx: Context = guard(Permission.GUARANTEE_READ)
) -> dict[str, Any]:
    svc = services(request)
    found, draws = svc.settlements.guarantee(ctx, guarantee)
    return presenters_clearance.guarantee(found, svc.office_zone) | {
        "draws": [presenters_clearance.draw(d, svc.office_zone) for d in draws]
    }


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grant: bool
    reason: str = Field(min_length=1, max_length=500)


class VerificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[str] = Field(min_length=1, max_length=20)
    documents: list[str] = Field(default_factory=list, max_length=20)


@router.get("/declarations/{declaration}/preferences")
def preferences(
    request: Request,
    declaration: str,
    history: bool = False,
    ctx: Context = guard(Permission.DECLARATION_READ),
) -> list[dict[str, Any]]:
    """Each preference claim's decision with its reasons (`history`: the superseded too)."""
    svc = services(request)
    return [
        presenters_clearance.decision(k, svc.office_zone)
        for k in svc.clearance.decisions(ctx, declaration, current_only=not history)
    ]


@router.post("/declarations/{declaration}/items/{item}/decision")
def decide(
    request: Request,
    declaration: str,
    item: Annotated[int, Path(ge=1, le=999)],
    body: DecisionIn,
    ctx: Context = guard(Permission.PREFERENCE_DECIDE),
) -> dict[str, Any]:
    """A customs officer decides a claim in documentary review; a denial reassesses it."""
    svc = services(request)
    record = svc.clearance.decide(ctx, declaration, item, body.grant, body.reason)
    return presenters_clearance.declaration(
        record, svc.office_zone, svc.clearance.decisions(ctx, record.id)
    )


@router.post("/declarations/{declaration}/items/{item}/verification")
def request_verification(
    request: Request,
    declaration: str,
    item: Annotated[int, Path(ge=1, le=999)],
    body: VerificationIn,
    ctx: Context = guard(Permission.EXCHANGE_NOTIFY),
) -> dict[str, Any]:
    """Ask the issuing country to verify the certificate this item's claim rests on."""
    svc = services(request)
    case = svc.clearance.request_verification(
        ctx, declaration, item, svc.exchange, body.questions, body.documents
    )
    return presenters.verification(case)


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_type: str = Field(min_length=1, max_length=8)
    proof: dict[str, Any]


@router.post("/declarations/{declaration}/items/{item}/claim")
def claim_after(
    request: Request,
    declaration: str,
    item: Annotated[int, Path(ge=1, le=999)],
    body: ClaimIn,
    ctx: Context = guard(Permission.DECLARATION_LODGE),
) -> dict[str, Any]:
    """A preference claimed after the declaration: granted, the excess paid is refunded."""
    svc = services(request)
    record = svc.clearance.claim_after(ctx, declaration, item, body.rate_type, body.proof)
    return presenters_clearance.declaration(
        record, svc.office_zone, svc.clearance.decisions(ctx, record.id)
    )
