"""Every error the API returns, as RFC 9457 problem+json, mapped in one place.

Each problem has a stable `code` clients can branch on; `detail` is for people,
in the language the request asked for.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from opencustoms.i18n import _
from opencustoms.kernel.errors import N_, DomainError

PROBLEM = "application/problem+json"
# Unexpected errors are answered by the request middleware (asgi.py), which
# knows the request id: the one place that sees every exception.
INTERNAL_DETAIL = N_("Something went wrong on our side; the error is logged under this request id.")

TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    412: N_("Precondition failed"),
    413: N_("Request too large"),
    500: N_("Internal server error"),
}


def problem(
    request: Request,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:opencustoms:problem:{code}",
        "title": _(TITLES.get(status, N_("Error"))),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# pydantic's own messages are English; the common ones are said in the user's language
_VALIDATION_MESSAGES = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("This field is not expected here."),
    "json_invalid": N_("The body is not valid JSON."),
    "int_parsing": N_("A whole number is expected."),
    "int_type": N_("A whole number is expected."),
    "string_type": N_("Text is expected."),
    "list_type": N_("A list is expected."),
    "too_short": N_("Too few items or characters."),
    "string_too_short": N_("The text is too short."),
    "string_too_long": N_("The text is too long: at most %(max_length)s characters."),
    "too_long": N_("Too many items: at most %(max_length)s."),
    "greater_than_equal": N_("The value must be at least %(ge)s."),
    "less_than_equal": N_("The value must be at most %(le)s."),
}


def _validation_message(error: Any) -> str:
    template = _VALIDATION_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", ""))[:300]
    try:
        return _(template) % dict(error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", ""))[:300]


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        errors = [
            {"code": f.code, "field": f.field, "message": f.render(_), "severity": f.severity.value}
            for f in exc.findings
        ]
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(request, exc.status, exc.code, exc.finding.render(_), errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "code": "request.invalid_field",
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body") or None,
                "message": _validation_message(e),
                "severity": "error",
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": ""}
        detail = _("The request is invalid at %(field)s: %(message)s") % {
            "field": first["field"] or "body",
            "message": first["message"],
        }
        return problem(request, 400, "request.invalid", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "route.not_found", 405: "route.method_not_allowed"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        detail = {
            404: _("There is no such page or API route; see /api/docs for the API."),
            405: _("This route does not accept that method; see /api/docs."),
        }.get(exc.status_code, str(exc.detail))
        return problem(request, exc.status_code, code, detail)
