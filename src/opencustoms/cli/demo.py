"""`opencustoms demo` and `opencustoms serve`: the guided tour, then the web UI and API."""

from __future__ import annotations

import os

import typer
import uvicorn

from opencustoms import presenters
from opencustoms.accounts.domain import OrgKind, Role
from opencustoms.accounts.service import OPERATOR, Context
from opencustoms.bootstrap import Services
from opencustoms.cli.common import out, services
from opencustoms.i18n import _, label
from opencustoms.kernel.countries import Country
from opencustoms.settings import Settings
from opencustoms.store import db

DEMO_ORGS = [
    (
        "Korea Customs Service",
        OrgKind.CUSTOMS_ADMINISTRATION,
        "KR",
        "KCS administrator",
        Role.CUSTOMS_ADMIN,
    ),
    ("Hanbit Coffee Imports Co., Ltd.", OrgKind.IMPORTER, "KR", "Import manager", Role.IMPORTER),
    ("Incheon Customs Brokers", OrgKind.BROKER, "KR", "Licensed customs broker", Role.BROKER),
]


def _seed(svc: Services) -> dict[str, str] | None:
    """Create the demo organisations and accounts once; return their tokens the first time."""
    existing = {o.name for o in svc.accounts.organisations(OPERATOR)}
    if DEMO_ORGS[0][0] in existing:
        return None
    tokens: dict[str, str] = {}
    org_ids: dict[OrgKind, str] = {}
    for name, kind, country, person, role in DEMO_ORGS:
        org, _r = svc.accounts.create_organisation(OPERATOR, name, kind, Country(country))
        account, _r = svc.accounts.create_account(OPERATOR, org.id, person, [role])
        _t, tokens[role.value] = svc.accounts.issue_token(OPERATOR, account.id)
        org_ids[kind] = org.id
    importer = Context(svc.accounts.authenticate(tokens[Role.IMPORTER.value]))
    svc.accounts.grant_mandate(importer, org_ids[OrgKind.BROKER])
    return tokens


def demo(
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help=_("Serve on :8000 after the tour.")
    ),
) -> None:
    """Migrate the database, load the demo data, take the tour, then serve."""
    if os.environ.get("OPENCUSTOMS_DEMO_NO_SERVE", "").lower() in ("1", "true", "yes"):
        serve = False
    svc = services()
    try:
        db.upgrade(svc.engine)
        title = _("opencustoms: a tour")
        out.print(f"[bold]{title}[/]")
        out.print(
            _("Database: %(engine)s at revision %(rev)s.")
            % {"engine": svc.engine.dialect.name, "rev": db.current_revision(svc.engine)}
        )
        out.print(
            _("HS nomenclature: %(edition)s, %(count)s entries.")
            % {"edition": svc.hs.edition.value, "count": len(svc.hs)}
        )
        tokens = _seed(svc)

        out.print()
        out.print("[bold]$ opencustoms hs search 'roasted coffee'[/]")
        for hit in presenters.hs_search(svc.hs, "roasted coffee", 3)["results"]:
            out.print(f"  {hit['dotted']}  {hit['description']}")

        out.print()
        out.print("[bold]$ opencustoms hs show 8471.30[/]")
        for step in presenters.hs_entry(svc.hs, "8471.30")["path"]:
            out.print(f"  {label(step['level'])} {step['dotted']}: {step['description'][:90]}")

        out.print()
        if tokens:
            out.print(_("Demo accounts (their tokens are shown once):"))
            for role, token in tokens.items():
                out.print(f"  {role:<15} {token}")
            out.print(
                _("Try: curl -H 'Authorization: Bearer %(token)s' http://127.0.0.1:8000/api/v1/me")
                % {"token": tokens[Role.IMPORTER.value]}
            )
        else:
            out.print(_("Demo accounts exist already; 'opencustoms orgs list' shows them."))
    finally:
        svc.close()
    if serve:
        _serve(svc.settings)


def _serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    host, port = host or settings.host, port or settings.port
    out.print(
        _("Serving the web UI and API on http://%(host)s:%(port)s (Ctrl-C stops).")
        % {"host": host, "port": port}
    )
    out.print(
        _("HS search: http://%(host)s:%(port)s/hs · API docs: /api/docs")
        % {"host": host, "port": port}
    )
    uvicorn.run("opencustoms.asgi:create_app", factory=True, host=host, port=port, access_log=False)


def serve(
    host: str | None = typer.Option(
        None, "--host", help=_("Address to listen on (default 127.0.0.1).")
    ),
    port: int | None = typer.Option(None, "--port", help=_("Port (default 8000).")),
) -> None:
    """Serve the web UI and API."""
    _serve(Settings(), host, port)
