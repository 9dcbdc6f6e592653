"""All API routers, so the app includes them in one line."""

from opencustoms.api import audit, hs, ops, organisations

ROUTERS = [ops.router, hs.router, organisations.router, audit.router]
