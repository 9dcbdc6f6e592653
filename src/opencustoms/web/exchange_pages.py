"""The node's exchange, for its customs staff: messages out and in, their states, delays
and failures, the certificates received, and verification requests with their days.

Staff sign in with their API token (`opencustoms accounts token`), kept in an HttpOnly,
SameSite=Strict cookie: read by these pages' GET requests and by the declaration form's
POST (`clearance_pages.py`), which a page of another site cannot send it with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from opencustoms import presenters
from opencustoms.access import guard
from opencustoms.accounts.domain import Permission, Principal
from opencustoms.accounts.service import Context
from opencustoms.i18n import _
from opencustoms.kernel.dates import local_time
from opencustoms.kernel.errors import DomainError
from opencustoms.web.pages import _render, _services

SESSION_COOKIE = "oc_token"
SESSION_SECONDS = 8 * 3600  # a working day

router = APIRouter(include_in_schema=False, dependencies=[guard(Permission.HS_READ)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/exchange"


@router.get("/signin", response_class=HTMLResponse, name="signin_form")
def signin_form(
    request: Request, next: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    return _render(request, "signin.html", next=_safe_next(next), message=None)


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    try:
        _services(request).accounts.authenticate(token)
    except DomainError as e:
        return _render(
            request, "signin.html", 401, next=_safe_next(next), message=e.findings[0].render(_)
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token.strip(),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/signout", name="signout")
def signout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _signed_in(request: Request, permission: Permission) -> Context | Response:
    """The signed-in member of staff, or the page that says what to do."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    try:
        principal: Principal = _services(request).accounts.authenticate(token)
    except DomainError:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    if not principal.may(permission):
        message = _("Your role does not allow this (%(permission)s).") % {
            "permission": permission.value
        }
        return _render(request, "error.html", 403, message=message)
    return Context(principal, getattr(request.state, "request_id", None))


@router.get("/exchange", response_class=HTMLResponse, name="exchange_page")
def exchange_page(request: Request) -> Response:
    ctx = _signed_in(request, Permission.EXCHANGE_READ)
    if not isinstance(ctx, Context):
        return ctx
    svc = _services(request)
    zone, now = svc.office_zone, svc.clock.now()
    today = now.astimezone(zone).date()

    def shown(moment: datetime | None) -> str:
        return local_time(moment, zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    def delay(start: datetime, end: datetime | None) -> str:
        seconds = ((end or now) - start).total_seconds()
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.0f} min"

    outgoing: list[dict[str, Any]] = []
    for o in reversed(svc.exchange.outgoing(ctx, limit=200)):  # newest first
        row = presenters.outgoing(o)
        row["created"] = shown(o.created_at)
        row["delay"] = delay(o.created_at, o.delivered_at)
        outgoing.append(row)
    incoming = [
        presenters.incoming(i) | {"received": shown(i.received_at)}
        for i in svc.exchange.incoming(ctx, limit=200)
    ]
    received = [
        presenters.received_certificate(r) | {"received": shown(r.received_at)}
        for r in svc.exchange.received(ctx, limit=100)
    ]
    cases = [presenters.verification(c, today) for c in svc.exchange.verifications(ctx)]
    return _render(
        request,
        "exchange.html",
        summary=presenters.exchange_status(svc.exchange.status(ctx)),
        outgoing=outgoing,
        incoming=incoming,
        received=received,
        verifications=cases,
        now=shown(now),
    )
