"""Operations: health and Prometheus metrics. Open to the network the node runs on."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from opencustoms.access import services

router = APIRouter(tags=["Operations"])
# open to all: health and metrics for the operator, and the exchange's receiving end,
# whose messages are each signed by the sending node
OPEN_PATHS = ("/healthz", "/metrics", "/api/docs", "/exchange/v1/messages")


@router.get("/healthz")
def healthz(request: Request) -> dict[str, str]:
    svc = services(request)
    with svc.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": svc.engine.dialect.name, "hs_edition": svc.hs.edition.value}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    """The API's documentation, with Swagger UI served from this node: it works offline."""
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="opencustoms API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
