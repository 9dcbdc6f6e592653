"""Import declarations in the browser: the list, a declaration with its duty explained and
its preference decisions, and the form an importer or broker lodges one with.

Signed in as for the exchange page (an API token in an HttpOnly, SameSite=Strict cookie:
a form posted from another site carries no cookie). Validation findings are shown beside
the fields they are about; nothing is kept of a refused declaration but its rejection.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from opencustoms import presenters_clearance
from opencustoms.access import guard
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.i18n import _
from opencustoms.kernel.errors import DomainError, InvalidInput
from opencustoms.web.exchange_pages import _signed_in
from opencustoms.web.pages import _render, _services

router = APIRouter(include_in_schema=False, dependencies=[guard(Permission.HS_READ)])
OUTCOMES = presenters_clearance.OUTCOMES

FIELDS = ("reference", "date", "office", "declarant", "importer", "seller", "transport_mode")
ITEM_FIELDS = (
    "hs_code",
    "rate_type",
    "price",
    "currency",
    "incoterm",
    "freight",
    "insurance",
    "net_mass",
    "quantity",
    "quantity_unit",
    "origin",
    "departure",
)


@router.get("/declarations", response_class=HTMLResponse, name="declarations_page")
def declarations_page(request: Request) -> Response:
    ctx = _signed_in(request, Permission.DECLARATION_READ)
    if not isinstance(ctx, Context):
        return ctx
    svc = _services(request)
    rows = [
        presenters_clearance.declaration_brief(r, svc.office_zone)
        for r in svc.clearance.find(ctx, limit=200)
    ]
    may_lodge = ctx.principal is not None and ctx.principal.may(Permission.DECLARATION_LODGE)
    return _render(request, "declarations.html", declarations=rows, may_lodge=may_lodge)


@router.get("/declarations/new", response_class=HTMLResponse, name="declaration_form")
def declaration_form(request: Request) -> Response:
    ctx = _signed_in(request, Permission.DECLARATION_LODGE)
    if not isinstance(ctx, Context):
        return ctx
    own = ctx.principal.organisation.id if ctx.principal and ctx.principal.organisation else ""
    values = {"importer": own, "declarant": own, "currency": "KRW", "incoterm": "CIF"}
    return _render(request, "declaration_form.html", values=values, errors={}, message=None)


@router.post("/declarations/new", response_class=HTMLResponse)
async def lodge(request: Request) -> Response:
    form = await request.form()
    values = {k: v.strip()[:200] for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_lodged, request, values)


def _lodged(request: Request, values: dict[str, str]) -> Response:
    ctx = _signed_in(request, Permission.DECLARATION_LODGE)
    if not isinstance(ctx, Context):
        return ctx
    data: dict[str, Any] = {k: values.get(k) or None for k in FIELDS}
    item: dict[str, Any] = {k: values.get(k) or None for k in ITEM_FIELDS}
    if values.get("proof_reference"):
        item["proof"] = {
            "kind": values.get("proof_kind") or "certificate",
            "reference": values["proof_reference"],
            "authority": values.get("proof_authority") or None,
        }
    data["items"] = [{k: v for k, v in item.items() if v is not None}]
    svc = _services(request)
    try:
        record, _replayed = svc.clearance.lodge(ctx, data)
    except InvalidInput as e:
        errors: dict[str, list[str]] = {}
        for f in e.findings:
            field = (f.field or "").removeprefix("items[0].").split(".")[0]
            shown = field if field in FIELDS or field in ITEM_FIELDS or field == "proof" else ""
            errors.setdefault(shown, []).append(f.render(_))
        message = _("The declaration was not lodged: correct what is marked and lodge it again.")
        return _render(
            request, "declaration_form.html", 400, values=values, errors=errors, message=message
        )
    except DomainError as e:
        return _render(
            request,
            "declaration_form.html",
            e.status,
            values=values,
            errors={},
            message=e.finding.render(_),
        )
    return RedirectResponse(
        request.app.url_path_for("declaration_page", declaration=record.reference),
        status_code=303,
    )


@router.get("/declarations/{declaration}", response_class=HTMLResponse, name="declaration_page")
def declaration_page(request: Request, declaration: str) -> Response:
    ctx = _signed_in(request, Permission.DECLARATION_READ)
    if not isinstance(ctx, Context):
        return ctx
    svc = _services(request)
    try:
        record = svc.clearance.get(ctx, declaration)
    except DomainError as e:
        return _render(request, "error.html", e.status, message=e.finding.render(_))
    shown = presenters_clearance.declaration(
        record, svc.office_zone, svc.clearance.decisions(ctx, record.id)
    )
    account = presenters_clearance.account(svc.settlements.account(ctx, record.id), svc.office_zone)
    return _render(request, "declaration.html", d=shown, account=account, outcomes=OUTCOMES)
