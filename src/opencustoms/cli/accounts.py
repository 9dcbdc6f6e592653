"""`opencustoms orgs`, `opencustoms accounts`, `opencustoms audit`: run by the operator."""

from __future__ import annotations

import typer
from rich.table import Table

from opencustoms import presenters
from opencustoms.accounts.domain import OrgKind, Role, parse_enum
from opencustoms.accounts.service import OPERATOR
from opencustoms.cli.common import JsonOption, migrated_services, out, print_json
from opencustoms.i18n import _
from opencustoms.kernel.countries import Country

KINDS = ", ".join(k.value for k in OrgKind)
ROLES = ", ".join(r.value for r in Role)

orgs = typer.Typer(
    help=_("Organisations: administrations, authorities, traders."), no_args_is_help=True
)
accounts = typer.Typer(help=_("Accounts and their API tokens."), no_args_is_help=True)
audit = typer.Typer(help=_("The audit log."), no_args_is_help=True)


@orgs.command("create", help=_("Register an organisation."))
def create_org(
    name: str = typer.Option(..., "--name", help=_("The organisation's legal name.")),
    kind: str = typer.Option(..., "--kind", help=KINDS),
    country: str = typer.Option(..., "--country", help=_("ISO 3166 code, e.g. KR.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        org, _replayed = svc.accounts.create_organisation(
            OPERATOR, name, parse_enum(OrgKind, kind, "kind"), Country(country)
        )
    finally:
        svc.close()
    if as_json:
        print_json(presenters.organisation(org))
    else:
        out.print(_("Created organisation %(id)s (%(name)s).") % {"id": org.id, "name": org.name})


@orgs.command("list", help=_("List every organisation."))
def list_orgs(as_json: bool = JsonOption) -> None:
    svc = migrated_services()
    try:
        found = svc.accounts.organisations(OPERATOR)
    finally:
        svc.close()
    if as_json:
        print_json([presenters.organisation(o) for o in found])
        return
    table = Table(_("Id"), _("Name"), _("Kind"), _("Country"))
    for o in found:
        table.add_row(o.id, o.name, o.kind.value, o.country.alpha2)
    out.print(table)


@accounts.command(
    "create",
    help=_("Create an account with its roles, and print its first API token (shown once)."),
)
def create_account(
    org: str = typer.Option(..., "--org", help=_("The organisation's id.")),
    name: str = typer.Option(..., "--name", help=_("Who uses the account.")),
    role: list[str] = typer.Option(..., "--role", help=ROLES),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        roles = [parse_enum(Role, r, "role") for r in role]
        account, token, plain = svc.accounts.create_account_with_token(OPERATOR, org, name, roles)
    finally:
        svc.close()
    if as_json:
        print_json({"account": presenters.account(account), "token_id": token.id, "token": plain})
        return
    out.print(_("Created account %(id)s.") % {"id": account.id})
    out.print(_("API token (shown once; keep it secret):"))
    out.print(plain)


@accounts.command("token", help=_("Issue another API token for an account (shown once)."))
def new_token(
    account_id: str = typer.Argument(..., help=_("The account's id.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        token, plain = svc.accounts.issue_token(OPERATOR, account_id)
    finally:
        svc.close()
    if as_json:
        print_json({"token_id": token.id, "token": plain})
    else:
        out.print(_("Token %(id)s (shown once; keep it secret):") % {"id": token.id})
        out.print(plain)


@accounts.command("revoke-token", help=_("Stop a token working, from now on."))
def revoke_token(
    token_id: str = typer.Argument(..., help=_("The token's id (tok_…), as printed when issued.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        token = svc.accounts.revoke_token(OPERATOR, token_id)
    finally:
        svc.close()
    if as_json:
        print_json(
            {"token_id": token.id, "account_id": token.account_id, "revoked_at": token.revoked_at}
        )
    else:
        out.print(_("Token %(id)s is revoked.") % {"id": token.id})


@accounts.command(
    "deactivate",
    help=_("Deactivate an account: all its tokens stop working (or --activate it again)."),
)
def deactivate(
    account_id: str = typer.Argument(..., help=_("The account's id.")),
    activate: bool = typer.Option(False, "--activate", help=_("Activate it again instead.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        account = svc.accounts.set_account_active(OPERATOR, account_id, activate)
    finally:
        svc.close()
    if as_json:
        print_json(presenters.account(account))
    elif activate:
        out.print(_("Account %(id)s is active.") % {"id": account.id})
    else:
        out.print(_("Account %(id)s is deactivated.") % {"id": account.id})


@accounts.command("list", help=_("List an organisation's accounts."))
def list_accounts(
    org: str = typer.Option(..., "--org", help=_("The organisation's id.")),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        found = svc.accounts.accounts_of(OPERATOR, org)
    finally:
        svc.close()
    if as_json:
        print_json([presenters.account(a) for a in found])
        return
    table = Table(_("Id"), _("Name"), _("Roles"))
    for a in found:
        table.add_row(a.id, a.name, ", ".join(sorted(r.value for r in a.roles)))
    out.print(table)


@audit.command("list", help=_("The newest audit events first."))
def list_audit(
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        events = svc.accounts.audit_events(OPERATOR, limit)
        zone = svc.office_zone
    finally:
        svc.close()
    if as_json:
        print_json([presenters.audit_event(e) for e in events])
        return
    table = Table(_("When"), _("Action"), _("Object"), _("By"))
    for e in events:
        when = e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")
        table.add_row(when, e.action, e.object_id, e.actor_account_id or _("operator"))
    out.print(table)
