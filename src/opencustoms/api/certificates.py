"""Certificates of origin: exporters apply and track; issuing officers issue, reject,
replace and revoke; anyone verifies. The service decides who may act on which
certificate (an exporter on its own, an officer on its country's exports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from opencustoms import presenters
from opencustoms.access import guard, services
from opencustoms.accounts.domain import Permission
from opencustoms.accounts.service import Context
from opencustoms.certificates.io import certificate_json, read_certificate
from opencustoms.certificates.lifecycle import Status
from opencustoms.certificates.service import MAX_ISSUED_AT_ONCE
from opencustoms.i18n import _
from opencustoms.kernel.errors import N_, InvalidInput

router = APIRouter(prefix="/api/v1", tags=["Certificates of origin"])


class IssueIn(BaseModel):
    place: str = Field(min_length=1, max_length=200, description="the place of issue")
    on: date | None = Field(default=None, description="the issue date (default today)")


class IssueManyIn(IssueIn):
    ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1,
        max_length=MAX_ISSUED_AT_ONCE,
        description="the applications, numbered in this order",
    )


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ReplaceIn(BaseModel):
    certificate: dict[str, Any] = Field(description="the new certificate's data")
    reason: str = Field(min_length=1, max_length=2000)
    place: str = Field(min_length=1, max_length=200)


def _officer(ctx: Context) -> str:
    # the guard admits only accounts, and the certification names the officer who acts
    assert ctx.principal is not None
    assert ctx.principal.account is not None
    return ctx.principal.account.name


def _detail(request: Request, ctx: Context, certificate_id: str) -> dict[str, Any]:
    svc = services(request)
    record = svc.certificates.get(ctx, certificate_id)
    history = svc.certificates.history(ctx, record.id)
    return presenters.certificate(record) | {
        "certificate": certificate_json(record.certificate),
        "history": [presenters.certificate_event(e, svc.office_zone) for e in history],
    }


@router.post("/certificates", status_code=201)
async def apply(
    request: Request,
    draft: Annotated[bool, Query(description="keep it as a draft, not checked yet")] = False,
    ctx: Context = guard(Permission.CERT_APPLY),
) -> dict[str, Any]:
    """Apply for a certificate (the body: its JSON). An item may name a kept origin
    determination (`"determination": id`) to be filled from it; every problem is
    reported at once."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.of(
            "certificate.not_utf8",
            N_("The request body is not UTF-8 text: send the JSON as UTF-8."),
        ) from None
    record = services(request).certificates.apply_document(ctx, text, "request body", draft)
    return presenters.certificate(record)


@router.post("/certificates/{certificate_id}/submit")
def submit(
    request: Request, certificate_id: str, ctx: Context = guard(Permission.CERT_APPLY)
) -> dict[str, Any]:
    """Submit a draft as an application."""
    return presenters.certificate(services(request).certificates.submit(ctx, certificate_id))


@router.get("/certificates")
def list_certificates(
    request: Request,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ctx: Context = guard(Permission.CERT_READ),
) -> list[dict[str, Any]]:
    """The caller's certificates (an exporter's own; an officer's country's), newest first."""
    found = services(request).certificates.find(ctx, status, limit)
    return [presenters.certificate(r) for r in found]


@router.get("/certificates/{certificate_id}")
def get_certificate(
    request: Request, certificate_id: str, ctx: Context = guard(Permission.CERT_READ)
) -> dict[str, Any]:
    """A certificate (by id or number): its data, status and full history."""
    return _detail(request, ctx, certificate_id)


@router.get("/certificates/{certificate_id}/signed")
def signed_document(
    request: Request, certificate_id: str, ctx: Context = guard(Permission.CERT_READ)
) -> dict[str, Any]:
    """The issued certificate's signed document: `{"certificate": {...}, "jws": "..."}`."""
    return services(request).certificates.signed_document(ctx, certificate_id)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response)
def printed(
    request: Request, certificate_id: str, ctx: Context = guard(Permission.CERT_READ)
) -> Response:
    """The certificate printed as its form, with the QR code that leads to verification."""
    data = services(request).certificates.pdf(ctx, certificate_id, _)
    name = f"certificate-{certificate_id}.pdf".replace("/", "-")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.post("/certificates/issue")
def issue_many(
    request: Request,
    body: IssueManyIn,
    ctx: Context = guard(Permission.CERT_ISSUE),
) -> list[dict[str, Any]]:
    """Issue several applications together, numbered in the order given: all, or none
    (every problem is reported, each naming its application)."""
    records = services(request).certificates.issue_many(
        ctx, body.ids, _officer(ctx), body.place, body.on
    )
    return [presenters.certificate(r) for r in records]


@router.post("/certificates/{certificate_id}/issue")
def issue(
    request: Request,
    certificate_id: str,
    body: IssueIn,
    ctx: Context = guard(Permission.CERT_ISSUE),
) -> dict[str, Any]:
    """Issue an application: number it, certify it (by the calling officer) and sign it."""
    record = services(request).certificates.issue(
        ctx, certificate_id, _officer(ctx), body.place, body.on
    )
    return presenters.certificate(record)


@router.post("/certificates/{certificate_id}/reject")
def reject(
    request: Request,
    certificate_id: str,
    body: ReasonIn,
    ctx: Context = guard(Permission.CERT_ISSUE),
) -> dict[str, Any]:
    return presenters.certificate(
        services(request).certificates.reject(ctx, certificate_id, body.reason)
    )


@router.post("/certificates/{certificate_id}/revoke")
def revoke(
    request: Request,
    certificate_id: str,
    body: ReasonIn,
    ctx: Context = guard(Permission.CERT_ISSUE),
) -> dict[str, Any]:
    """Revoke an issued certificate; verification anywhere that asks this node says so."""
    return presenters.certificate(
        services(request).certificates.revoke(ctx, certificate_id, body.reason)
    )


@router.post("/certificates/{certificate_id}/replace", status_code=201)
def replace(
    request: Request,
    certificate_id: str,
    body: ReplaceIn,
    ctx: Context = guard(Permission.CERT_ISSUE),
) -> dict[str, Any]:
    """Issue a new certificate in place of an issued one (an amendment)."""
    cert = read_certificate(body.certificate, "certificate")
    new = services(request).certificates.replace(
        ctx, certificate_id, cert, body.reason, _officer(ctx), body.place
    )
    return presenters.certificate(new)


@router.post("/verify")
async def verify(
    request: Request,
    on: Annotated[date | None, Query(alias="date", description="verify as on this day")] = None,
    _ctx: Context = guard(Permission.CERT_VERIFY),
) -> dict[str, Any]:
    """Verify a signed certificate (the body) against this node's trust list and register:
    every check with its reason."""
    svc = services(request).certificates
    body = await request.body()
    verdict = svc.verify(body, on or svc.today(), public=True)
    return presenters.verdict(verdict, _)
