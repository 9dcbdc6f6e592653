"""All API routers, so the app includes them in one line."""

from opencustoms.api import (
    audit,
    certificates,
    clearance,
    exchange,
    hs,
    ops,
    organisations,
    origin,
    partners,
)

ROUTERS = [
    ops.router,
    hs.router,
    origin.router,
    certificates.router,
    organisations.router,
    audit.router,
    partners.router,
    exchange.router,
    exchange.staff,
    clearance.router,
]
