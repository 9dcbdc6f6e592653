"""The ASGI application: API, web pages and operations, behind one middleware stack.

`create_app()` is the factory uvicorn serves (`opencustoms serve`).
"""

from __future__ import annotations

import re
import time
import uuid
from importlib import resources

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencustoms import __version__, bootstrap
from opencustoms.access import assert_guarded
from opencustoms.api import problems
from opencustoms.api.ops import OPEN_PATHS
from opencustoms.api.problems import INTERNAL_DETAIL, PROBLEM, TITLES
from opencustoms.api.routes import ROUTERS
from opencustoms.i18n import _, negotiate, set_locale
from opencustoms.kernel.errors import N_
from opencustoms.observability import Metrics, configure_logging, logger
from opencustoms.web import clearance_pages, exchange_pages, pages

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
MAX_BODY_BYTES = 1_000_000  # far above any request this API takes
# a partner's delivery: up to 100 signed envelopes, each with a signed certificate
MAX_EXCHANGE_BODY_BYTES = 16_000_000


class _TooLarge(Exception):
    """A body sent without its length went past the limit."""


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive`, stopping a body that grows past `limit` bytes."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(limit)
        return message

    return counted


async def _too_large(request: Request, exc: Exception) -> Response:
    limit = exc.args[0] if exc.args else MAX_BODY_BYTES
    return problems.problem(
        request,
        413,
        "request.too_large",
        _("The request body is larger than %(max)s bytes.") % {"max": limit},
    )


class RequestContextMiddleware:
    """Request id, language, access log and metrics for every request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        query = scope.get("query_string", b"").decode("latin-1")
        lang = re.search(r"(?:^|&)lang=([A-Za-z_\-]{2,10})", query)
        cookie = re.search(r"(?:^|;\s*)lang=([A-Za-z_\-]{2,10})", headers.get("cookie", ""))
        set_locale(
            negotiate(
                lang.group(1) if lang else None,
                cookie.group(1) if cookie else None,
                headers.get("accept-language"),
            )
        )
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            declared = headers.get("content-length")
            limit = (
                MAX_EXCHANGE_BODY_BYTES
                if scope.get("path", "").startswith("/exchange/")
                else MAX_BODY_BYTES
            )
            if declared is None:  # chunked: counted as it arrives
                receive = _limited(receive, limit)
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await _problem(
                    scope,
                    receive,
                    send_with_id,
                    413,
                    "request.too_large",
                    _("The request body is larger than %(max)s bytes.") % {"max": limit},
                )
            else:
                await self.app(scope, receive, send_with_id)
        except Exception as exc:  # rendered here, so even a 500 carries its request id
            logger("opencustoms.http").error(
                "unhandled_error", path=scope.get("path"), exc_info=exc
            )
            if not response_started:
                await _problem(
                    scope,
                    receive,
                    send_with_id,
                    500,
                    "internal",
                    _(INTERNAL_DETAIL),
                )
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            logger("opencustoms.http").info(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


async def _problem(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, detail: str
) -> None:
    body = {
        "type": f"urn:opencustoms:problem:{code}",
        "title": _(TITLES.get(status, N_("Error"))),
        "status": status,
        "code": code,
        "detail": detail,
        "instance": scope.get("path", ""),
        "request_id": scope.get("state", {}).get("request_id"),
    }
    await JSONResponse(body, status_code=status, media_type=PROBLEM)(scope, receive, send)


def _route_template(scope: Scope) -> str:
    # the template, never the raw path: ids must not blow up metric labels
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static/{path}"
    return "unmatched"


def create_app(services: bootstrap.Services | None = None) -> FastAPI:
    svc = services or bootstrap.build()
    configure_logging(svc.settings.log_level, svc.settings.log_json)
    app = FastAPI(
        title="opencustoms",
        version=__version__,
        description="Open digital customs platform: origin, certificates, exchange, clearance.",
        docs_url=None,  # served by api/ops.py with Swagger UI from this node
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = svc
    app.state.metrics = Metrics()
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages.router)
    app.include_router(pages.verify_router)
    app.include_router(exchange_pages.router)
    app.include_router(clearance_pages.router)
    static = resources.files("opencustoms.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    assert_guarded([*ROUTERS, pages.router, pages.verify_router, exchange_pages.router], OPEN_PATHS)
    app.add_exception_handler(_TooLarge, _too_large)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app
