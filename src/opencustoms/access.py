"""Authentication (bearer tokens) and authorisation, declared on every route.

Deny by default: every route, API or web page, declares the permission it
needs with `guard(...)`; the app refuses to start if one does not (see
`assert_guarded`). Shared by the API and the web edges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from opencustoms.accounts.domain import PUBLIC_PERMISSIONS, Permission, Principal
from opencustoms.accounts.service import Context, Unauthenticated
from opencustoms.bootstrap import Services
from opencustoms.kernel.errors import N_, Forbidden

_bearer = HTTPBearer(
    auto_error=False, description="An API token from `opencustoms accounts create`"
)
GUARD_ATTRIBUTE = "opencustoms_permission"


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def guard(permission: Permission) -> Any:
    """A dependency that authenticates the caller and checks one permission."""

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> Context:
        principal = Principal.public()
        if credentials is not None:
            principal = services(request).accounts.authenticate(credentials.credentials)
        elif permission not in PUBLIC_PERMISSIONS:
            raise Unauthenticated.of(
                "auth.missing_token",
                N_("This route needs an API token: send 'Authorization: Bearer <token>'."),
            )
        if not principal.may(permission):
            raise Forbidden.of(
                "auth.forbidden",
                N_("Your role does not allow this (%(permission)s)."),
                permission=permission.value,
            )
        request.state.principal = principal
        return Context(principal, getattr(request.state, "request_id", None))

    setattr(check, GUARD_ATTRIBUTE, permission)
    return Depends(check)


def _guarded(route: APIRoute) -> bool:
    stack: list[Any] = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is not None and hasattr(dependant.call, GUARD_ATTRIBUTE):
            return True
        stack.extend(dependant.dependencies)
    return False


def api_routes(routers: Iterable[APIRouter]) -> list[APIRoute]:
    return [r for router in routers for r in router.routes if isinstance(r, APIRoute)]


def assert_guarded(routers: Iterable[APIRouter], open_paths: Collection[str]) -> None:
    """Refuse to serve an API route that declares no permission."""
    unguarded = [
        route.path
        for route in api_routes(routers)
        if route.path not in open_paths and not _guarded(route)
    ]
    if unguarded:
        raise RuntimeError(f"routes without a permission guard: {', '.join(sorted(unguarded))}")
