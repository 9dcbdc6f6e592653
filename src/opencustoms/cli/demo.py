"""`opencustoms demo` and `opencustoms serve`: the guided tour, then the web UI and API."""

from __future__ import annotations

import os
from datetime import date
from importlib import resources

import typer
import uvicorn
from rich.markup import escape

from opencustoms import presenters
from opencustoms.accounts.domain import Organisation, OrgKind, Principal, Role
from opencustoms.accounts.service import OPERATOR, Context
from opencustoms.bootstrap import Services
from opencustoms.cli.common import out, services
from opencustoms.i18n import _, label
from opencustoms.kernel.countries import Country
from opencustoms.kernel.hs import HsEdition
from opencustoms.observability import uvicorn_log_config
from opencustoms.origin import agreements as catalogue
from opencustoms.origin.bom_io import read_bom
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


def _seed(svc: Services) -> dict[str, str]:
    """Create what is missing of the demo data; return the tokens of accounts made now.

    Each organisation and account is checked on its own, so an interrupted
    first run is completed by the next one.
    """
    existing = {o.name: o for o in svc.accounts.organisations(OPERATOR)}
    tokens: dict[str, str] = {}
    orgs: dict[OrgKind, Organisation] = {}
    for name, kind, country, person, role in DEMO_ORGS:
        org = existing.get(name)
        if org is None:
            org, _r = svc.accounts.create_organisation(OPERATOR, name, kind, Country(country))
        orgs[kind] = org
        if not svc.accounts.accounts_of(OPERATOR, org.id):
            _a, _t, tokens[role.value] = svc.accounts.create_account_with_token(
                OPERATOR, org.id, person, [role]
            )
    importer = orgs[OrgKind.IMPORTER]
    # the importer's own account grants the mandate, as it would in the API
    account = svc.accounts.accounts_of(OPERATOR, importer.id)[0]
    svc.accounts.grant_mandate(Context(Principal(account, importer)), orgs[OrgKind.BROKER].id)
    return tokens


def demo(
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help=_("Serve on :8000 after the tour.")
    ),
) -> None:
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
        sample = resources.files("opencustoms.origin.data") / "samples" / "work-holders-kr.json"
        command = f"opencustoms origin determine -a uk-south-korea --bom {sample} --date 2026-06-01"
        out.print(f"[bold]$ {escape(command)}[/]")
        bom = read_bom(sample.read_bytes(), "work-holders-kr.json", HsEdition.HS2022)
        found = presenters.determination(
            catalogue.determine(svc.origin, "uk-south-korea", bom, date(2026, 6, 1))
        )
        out.print(
            f"  {found['verdict']} ({found['criterion']}): {found['rule_set']['rule']}",
            markup=False,
        )
        for alt in found["alternatives"]:
            out.print(f"  [{alt['result']}] {alt['rule']}: {alt['reason']}", markup=False)
        for basis in found["evidence"]:  # what the verdict rests on, and where the law says it
            if "text" in basis:
                title = basis.get("title", basis["kind"])
                out.print(f"  § {title}: {basis['reference']}", markup=False)
                out.print(f"    “{basis['text'][0][:110]}”", markup=False)
            elif basis["kind"] == "profile":
                out.print(f"  § {basis['name']} ({basis['version']})", markup=False)
            elif basis["kind"] == "inputs":
                out.print(f"  BOM SHA-256 {basis['bom_sha256']}", markup=False)

        out.print()
        if tokens:
            out.print(_("Demo accounts (their tokens are shown once):"))
            for role, token in tokens.items():
                out.print(f"  {role:<15} {token}")
            if Role.IMPORTER.value in tokens:
                out.print(
                    _(
                        "Try: curl -H 'Authorization: Bearer %(token)s' http://127.0.0.1:8000/api/v1/me"
                    )
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
    uvicorn.run(
        "opencustoms.asgi:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,
        log_config=uvicorn_log_config(settings.log_level),
    )


def serve(
    host: str | None = typer.Option(
        None, "--host", help=_("Address to listen on (default 127.0.0.1).")
    ),
    port: int | None = typer.Option(None, "--port", help=_("Port (default 8000).")),
) -> None:
    _serve(Settings(), host, port)
