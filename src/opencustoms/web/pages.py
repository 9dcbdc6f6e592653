"""Web pages. Thin: parse the request, ask a service, render a template."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.datastructures import UploadFile as StarletteUploadFile

from opencustoms import __version__, presenters
from opencustoms.access import guard
from opencustoms.accounts.domain import Permission
from opencustoms.bootstrap import Services
from opencustoms.certificates.lifecycle import LABELS
from opencustoms.certificates.signed import CHECK_LABELS
from opencustoms.i18n import SUPPORTED, _, current_locale
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import legal_date, parse_legal_date
from opencustoms.kernel.errors import N_, DomainError, InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.kernel.nomenclature import SearchHit
from opencustoms.origin import agreements as catalogue
from opencustoms.origin.bom_io import read_bom

# the HS and origin pages are public law; pages with traders' data will guard more
router = APIRouter(
    include_in_schema=False,
    dependencies=[guard(Permission.HS_READ), guard(Permission.ORIGIN_READ)],
)

templates = Jinja2Templates(directory=str(resources.files("opencustoms.web") / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=lambda message: _(message),
    ngettext=lambda singular, plural, n: _(singular if n == 1 else plural),
    newstyle=True,
)


@pass_context
def _path_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    """A root-relative URL: correct behind any proxy or host name."""
    return str(context["request"].app.url_path_for(name, **params))


templates.env.globals["path_for"] = _path_for


def _services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("version", __version__)
    context.setdefault("locale", current_locale())
    context.setdefault("locales", SUPPORTED)
    context.setdefault("office_zone", _services(request).settings.office_timezone)
    response = templates.TemplateResponse(request, name, context, status_code=status)
    lang = request.query_params.get("lang")
    if lang in SUPPORTED:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _search(request: Request, q: str | None) -> tuple[list[SearchHit], str | None, int]:
    if q is None:
        return [], None, 200
    try:
        return _services(request).hs.search(q, 20), None, 200
    except DomainError as e:
        return [], e.finding.render(_), 400


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    # a root-relative target: right behind any proxy, whatever the Host header says
    target = str(request.app.url_path_for("hs_search"))
    query = request.url.query
    return RedirectResponse(f"{target}?{query}" if query else target, 303)


@router.get("/hs", response_class=HTMLResponse, name="hs_search")
def hs_search(request: Request, q: Annotated[str | None, Query()] = None) -> HTMLResponse:
    hits, error, status = _search(request, q)
    return _render(request, "hs_search.html", status, q=q or "", hits=hits, error=error)


@router.get("/hs/results", response_class=HTMLResponse, name="hs_results")
def hs_results(request: Request, q: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """The result list alone, for htmx to swap in as the user types."""
    if q is not None and not q.strip():
        return _render(request, "_hs_results.html", q="", hits=[], error=None)
    hits, error, status = _search(request, q)
    return _render(request, "_hs_results.html", status, q=q or "", hits=hits, error=error)


@router.get("/hs/{code}", response_class=HTMLResponse, name="hs_entry")
def hs_entry(request: Request, code: str) -> HTMLResponse:
    hs = _services(request).hs
    try:
        entry = hs.get(code)
    except DomainError as e:
        return _render(request, "error.html", e.status, message=e.finding.render(_))
    return _render(
        request,
        "hs_entry.html",
        entry=entry,
        path=hs.path(entry.code),
        children=hs.children(entry.code),
    )


@router.get("/origin", response_class=HTMLResponse, name="origin_agreements")
def origin_agreements(request: Request) -> HTMLResponse:
    found = [presenters.agreement(a) for a in _services(request).origin.agreements()]
    return _render(request, "origin_agreements.html", agreements=found)


@router.get("/origin/determine", response_class=HTMLResponse, name="origin_determine")
def origin_determine_form(request: Request) -> HTMLResponse:
    found = [a for a in _services(request).origin.agreements() if a.has_rules]
    return _render(request, "origin_determine.html", agreements=found, report=None, error=None)


@router.post("/origin/determine", response_class=HTMLResponse)
async def origin_determine(request: Request) -> HTMLResponse:
    """Upload a BOM (JSON, CSV or XLSX); read the determination beside the legal text."""
    svc = _services(request)
    agreements = [a for a in svc.origin.agreements() if a.has_rules]
    form = await request.form()
    upload, agreement_id = form.get("bom"), str(form.get("agreement") or "")
    day_text = str(form.get("date") or "")
    try:
        if not isinstance(upload, StarletteUploadFile) or not upload.filename:
            raise InvalidInput.of(
                "bom.missing", N_("Choose a bill of materials to upload."), field="bom"
            )
        data = await upload.read()
        day = (
            parse_legal_date(day_text, "date")
            if day_text
            else legal_date(svc.clock.now(), svc.office_zone)
        )
        edition = svc.origin.edition(agreement_id) or HsEdition.HS2022
        bom = read_bom(data, upload.filename, edition)
        report = presenters.determination(catalogue.determine(svc.origin, agreement_id, bom, day))
    except DomainError as e:
        errors = [f.render(_) for f in e.findings]
        return _render(
            request,
            "origin_determine.html",
            e.status,
            agreements=agreements,
            report=None,
            error=errors,
            chosen=agreement_id,
        )
    download = json.dumps({**report, "date": day.isoformat()}, ensure_ascii=False, default=str)
    return _render(
        request,
        "origin_determine.html",
        agreements=agreements,
        report=report,
        error=None,
        chosen=agreement_id,
        download=download,
        day=day.isoformat(),
    )


@router.get("/origin/compare", response_class=HTMLResponse, name="origin_compare")
def origin_compare_form(request: Request) -> HTMLResponse:
    return _render(request, "origin_compare.html", rows=None, error=None, form={})


@router.post("/origin/compare", response_class=HTMLResponse)
async def origin_compare(request: Request) -> HTMLResponse:
    """Upload a BOM; read it under every agreement in force between two countries."""
    svc = _services(request)
    form = await request.form()
    upload = form.get("bom")
    fields = {k: str(form.get(k) or "").strip() for k in ("from", "to", "date")}
    try:
        if not isinstance(upload, StarletteUploadFile) or not upload.filename:
            raise InvalidInput.of(
                "bom.missing", N_("Choose a bill of materials to upload."), field="bom"
            )
        data = await upload.read()
        exporter, importer = Country(fields["from"]).alpha2, Country(fields["to"]).alpha2
        day = (
            parse_legal_date(fields["date"], "date")
            if fields["date"]
            else legal_date(svc.clock.now(), svc.office_zone)
        )
        found = catalogue.compare(svc.origin, data, upload.filename, exporter, importer, day)
    except DomainError as e:
        errors = [f.render(_) for f in e.findings]
        return _render(
            request, "origin_compare.html", e.status, rows=None, error=errors, form=fields
        )
    return _render(
        request,
        "origin_compare.html",
        rows=presenters.comparison(found),
        error=None,
        form={**fields, "from": exporter, "to": importer, "date": day.isoformat()},
    )


# after /origin/determine and /origin/compare: a path parameter would take that name too
@router.get("/origin/{agreement_id}", response_class=HTMLResponse, name="origin_rules")
def origin_rules(
    request: Request, agreement_id: str, hs: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    catalogue = _services(request).origin
    try:
        agreement = presenters.agreement(catalogue.agreement(agreement_id))
    except DomainError as e:
        return _render(request, "error.html", e.status, message=e.finding.render(_))
    found, error, status = None, None, 200
    edition = catalogue.edition(agreement_id)  # the form says which edition codes are read in
    listing: list[dict[str, object]] = []
    if hs is not None and hs.strip():
        try:
            found = presenters.rule_lookup(catalogue.rules_for(agreement_id, hs, edition))
        except DomainError as e:
            error, status = e.finding.render(_), e.status
    else:
        # no code asked: browse the agreement's rules, heading by heading
        listing = [
            {
                "heading": rs.heading,
                "code": rs.first_code[:6].rstrip("0") or rs.first_code[:2],
                "description": rs.description,
                "rule": presenters.rule_set(rs)["rule"],
                "needs_review": rs.rule.needs_review,
            }
            for rs in catalogue.rule_sets(agreement_id)
        ]
    return _render(
        request,
        "origin_rules.html",
        status,
        agreement=agreement,
        hs=hs or "",
        found=found,
        error=error,
        listing=listing,
        edition=edition.value if edition else "",
    )


# Public verification of certificates of origin: no login, and no more than status,
# validity and the checks (not the parties or goods: numbers can be guessed).
_CERTIFICATE_REF = re.compile(r"[A-Za-z0-9._:-]{1,80}")  # numbers and authority ids, as issued
verify_router = APIRouter(include_in_schema=False, dependencies=[guard(Permission.CERT_VERIFY)])


@verify_router.get("/verify", response_class=HTMLResponse, name="verify_form")
def verify_form(
    request: Request,
    number: Annotated[str | None, Query(max_length=80)] = None,
    authority: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Enter a certificate's number (and its authority, where two authorities share it)."""
    odd = [v for v in (number, authority) if v and not _CERTIFICATE_REF.fullmatch(v.strip())]
    if odd:
        message = _(
            "'%(value)s' is not a certificate number: letters, digits, '.', '_', ':' and '-'."
        )
        return _render(
            request,
            "verify.html",
            400,
            number="",
            authorities=[],
            message=message % {"value": odd[0][:80]},
        )
    if number and number.strip():
        if authority and authority.strip():
            target = request.app.url_path_for(
                "verify_certificate", authority=authority.strip(), number=number.strip()
            )
            return RedirectResponse(str(target), status_code=303)
        found = _services(request).certificates.authorities_of(number.strip())
        if len(found) == 1:
            target = request.app.url_path_for(
                "verify_certificate", authority=found[0], number=number.strip()
            )
            return RedirectResponse(str(target), status_code=303)
        message = (
            _("Several authorities issued a certificate with this number: choose the authority.")
            if found
            else _("No certificate with this number is registered here.")
        )
        return _render(
            request,
            "verify.html",
            404 if not found else 400,
            number=number,
            authorities=found,
            message=message,
        )
    return _render(request, "verify.html", number="", authorities=[], message=None)


@verify_router.get(
    "/verify/{authority}/{number}", response_class=HTMLResponse, name="verify_certificate"
)
def verify_certificate(
    request: Request,
    authority: str,
    number: str,
    seal: Annotated[str | None, Query(max_length=1000)] = None,
) -> HTMLResponse:
    """A certificate's status and validity now, with every check; a printed copy's QR code
    brings its seal (after '#'), which the page passes on to be checked too."""
    svc = _services(request).certificates
    found = svc.public_check(authority, number, seal, svc.today())
    return _render(
        request,
        "verify_result.html",
        200 if found.record else 404,
        authority=authority,
        number=number,
        found=found,
        checks=[(c, c.render(_)) for c in found.verdict.checks] if found.verdict else [],
        seal_reason=found.seal.render(_) if found.seal else "",
        labels=CHECK_LABELS,
        status_labels=LABELS,
    )
