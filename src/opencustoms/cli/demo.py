"""`opencustoms demo` and `opencustoms serve`: the guided tour, then the web UI and API."""

from __future__ import annotations

import json
import os
from datetime import date
from importlib import resources

import typer
import uvicorn
from pydantic import SecretStr
from rich.markup import escape

from opencustoms import bootstrap, presenters
from opencustoms.accounts.domain import Organisation, OrgKind, Principal, Role
from opencustoms.accounts.service import OPERATOR, Context
from opencustoms.bootstrap import Services
from opencustoms.certificates.forms.loader import shipped_forms
from opencustoms.certificates.lifecycle import LABELS
from opencustoms.certificates.signed import CHECK_LABELS, verify
from opencustoms.cli.common import out
from opencustoms.cli.demo_clearance import clearance_scene
from opencustoms.cli.demo_exchange import exchange_scene
from opencustoms.i18n import _, label
from opencustoms.kernel.countries import Country
from opencustoms.kernel.hs import HsEdition
from opencustoms.observability import uvicorn_log_config
from opencustoms.origin import agreements as catalogue
from opencustoms.origin.bom_io import read_bom
from opencustoms.settings import Settings
from opencustoms.store import db
from opencustoms.trust.keys import Algorithm

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
    ("Gumi Mobile Co., Ltd.", OrgKind.EXPORTER, "KR", "Export manager", Role.EXPORTER),
    (
        "Korea Customs Service, origin certification",
        OrgKind.ISSUING_AUTHORITY,
        "KR",
        "Origin officer Lee Seo-yeon",
        Role.ISSUING_OFFICER,
    ),
]
# the demo's signing keys are encrypted with this unless OPENCUSTOMS_KEY_PASSPHRASE is set
DEMO_PASSPHRASE = "opencustoms demo passphrase"  # noqa: S105 (the demo's, printed to its user)
AUTHORITY = "KR-KCS"


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
    settings = Settings()
    if settings.key_passphrase is None:
        settings = settings.model_copy(update={"key_passphrase": SecretStr(DEMO_PASSPHRASE)})
    svc = bootstrap.build(settings)
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

        _certificate_tour(svc)

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


def _acting(svc: Services, name: str) -> Context:
    """The demo organisation's first account, acting as it would through the API."""
    org = next(o for o in svc.accounts.organisations(OPERATOR) if o.name == name)
    return Context(Principal(svc.accounts.accounts_of(OPERATOR, org.id)[0], org))


def _certificate_tour(svc: Services) -> None:
    """A Korean RCEP export: determined, applied for from the determination, issued,
    printed with its QR code, and verified offline against the trust list."""
    exporter = _acting(svc, "Gumi Mobile Co., Ltd.")
    officer = _acting(svc, "Korea Customs Service, origin certification")
    assert exporter.principal is not None
    assert exporter.principal.organisation is not None
    today = svc.certificates.today()
    passphrase = svc.settings.key_passphrase
    keys = [k for k in svc.keys.keys(AUTHORITY) if k.valid_on(today) and not k.revoked_at]
    if not keys and passphrase is not None:
        svc.keys.create(
            AUTHORITY, "KR", ["rcep"], Algorithm.ED25519, today, passphrase.get_secret_value()
        )
        if svc.settings.key_passphrase == SecretStr(DEMO_PASSPHRASE):
            out.print(
                _("The demo's signing key is encrypted with the passphrase '%(passphrase)s'.")
                % {"passphrase": DEMO_PASSPHRASE},
                markup=False,
            )

    out.print()
    sample = resources.files("opencustoms.origin.data") / "samples" / "smartphones-kr-rcep.json"
    out.print(f"[bold]$ {escape(f'opencustoms origin determine -a rcep --bom {sample} --save')}[/]")
    edition = svc.origin.edition("rcep") or HsEdition.HS2022
    bom = read_bom(sample.read_bytes(), "smartphones-kr-rcep.json", edition)
    kept = svc.determinations.record("rcep", bom, today, exporter.principal.organisation.id)
    out.print(f"  {kept.verdict} ({kept.criterion}): {kept.rule}  [{kept.id}]", markup=False)

    out.print("[bold]$ opencustoms cert apply application.json[/]  [dim]# as the exporter[/]")
    application = {
        "form": "rcep-co",
        "issuing_authority": AUTHORITY,
        "exporter": {
            "name": "구미모바일(주) Gumi Mobile Co., Ltd.",
            "address": "경상북도 구미시 3공단3로 302",
            "country": "KR",
        },
        "importer": {
            "name": "東京モバイル株式会社 Tokyo Mobile KK",
            "address": "東京都港区芝浦 3-1-1",
            "country": "JP",
        },
        "export_country": "KR",
        "import_country": "JP",
        "currency": "USD",
        "transport": {
            "departure_date": today.isoformat(),
            "vessel_or_flight": "KE 703",
            "port_of_discharge": "Narita",
            "route": "Incheon to Narita by air",
        },
        "items": [
            {
                "number": 1,
                "determination": kept.id,
                "origin_country": "KR",
                "marks": "GM/TKY 1-25",
                "packages": "25 cartons",
                "quantity": "500",
                "unit": "PCE",
                "fob_value": "150000.00",
                "invoice": {"number": "GM-INV-2026-0311", "date": today.isoformat()},
            }
        ],
        "declaration": {"place": "Gumi", "date": today.isoformat(), "signatory": "박지훈"},
    }
    applied = svc.certificates.apply_document(exporter, application, "application.json")
    item = applied.certificate.items[0]
    out.print(
        f"  {applied.id}: {item.hs} {item.criterion} ← {applied.determinations[1]}", markup=False
    )
    assert officer.principal is not None
    assert officer.principal.account is not None
    out.print(
        f"[bold]$ opencustoms cert issue {applied.id} --place Busan[/]"
        "  [dim]# as the issuing officer[/]"
    )
    issued = svc.certificates.issue(
        officer, applied.id, officer.principal.account.name, "Busan", today
    )
    number = issued.number or ""
    out.print(f"  {number}: {_(LABELS[issued.status])}", markup=False)

    folder = svc.settings.data_dir
    pdf_path, signed_path, trust_path = (
        folder / "demo-certificate.pdf",
        folder / "demo-certificate.json",
        folder / "demo-trust.json",
    )
    pdf_path.write_bytes(svc.certificates.pdf(officer, number, _))
    signed_path.write_text(
        json.dumps(issued.signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    trust_path.write_text(json.dumps(svc.keys.export(AUTHORITY), indent=2) + "\n", "utf-8")
    out.print(f"[bold]$ opencustoms cert pdf {number} --out {escape(str(pdf_path))}[/]")
    out.print(f"  QR: {svc.certificates.qr_text(issued)}", markup=False, crop=False)
    out.print(
        f"[bold]$ opencustoms cert verify {escape(str(signed_path))} "
        f"--trust {escape(str(trust_path))}[/]"
    )
    keys_by_id = {k.kid: k for k in svc.keys.keys(AUTHORITY)}
    verdict = verify(signed_path.read_text("utf-8"), today, keys_by_id, shipped_forms())
    out.print(f"  {_('VALID') if verdict.valid else _('NOT VALID')}", markup=False)
    for check in verdict.checks:
        mark = {"ok": "✓", "failed": "✗", "not_checked": "–"}[check.outcome.value]
        out.print(f"  {mark} {_(CHECK_LABELS[check.name])}: {check.render(_)}", markup=False)
    out.print(
        _("Its public verification page: http://%(host)s:%(port)s/verify/%(authority)s/%(number)s")
        % {
            "host": svc.settings.host,
            "port": svc.settings.port,
            "authority": AUTHORITY,
            "number": number,
        },
        markup=False,
    )
    exchange_scene(svc, officer, application)
    clearance_scene(svc)


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
