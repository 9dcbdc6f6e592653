"""`opencustoms partners`: the partner nodes this node exchanges origin data with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from opencustoms import presenters
from opencustoms.accounts.service import OPERATOR
from opencustoms.cli.common import JsonOption, fail, migrated_services, out, print_json, read_text
from opencustoms.exchange.partners import Partner
from opencustoms.i18n import _

app = typer.Typer(
    help=_(
        "Partner nodes: other countries' customs nodes, their URLs and the agreements in force. "
        "Their keys come from their trust lists: 'opencustoms authority trust import'."
    ),
    no_args_is_help=True,
)
FileArgument = typer.Argument(
    ...,
    help=_(
        'The partner, JSON: {"node", "country", "name", "url", "links": [{"agreement", '
        '"messages", "reply_days"}]}.'
    ),
)


def _json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except ValueError as e:
        fail(_("%(path)s is not JSON: %(reason)s") % {"path": path, "reason": str(e)[:200]})


def _done(partner: Partner, as_json: bool, message: str) -> None:
    if as_json:
        print_json(presenters.partner(partner))
        return
    out.print(message % {"node": partner.node, "country": partner.country}, markup=False)


@app.command("add", help=_("Register a partner node from a JSON file."))
def add(file: Path = FileArgument, as_json: bool = JsonOption) -> None:
    data = _json(file)
    svc = migrated_services()
    try:
        partner = svc.partners.add(OPERATOR, data)
    finally:
        svc.close()
    _done(partner, as_json, _("Partner %(node)s (%(country)s) added."))


@app.command("update", help=_("Change a partner's name, URL or agreements from a JSON file."))
def update(
    node: str = typer.Argument(..., help=_("The partner's node id.")),
    file: Path = FileArgument,
    if_version: int | None = typer.Option(
        None,
        "--if-version",
        min=1,
        help=_("Change it only if it is still at this version (as `partners show` gave it)."),
    ),
    as_json: bool = JsonOption,
) -> None:
    data = _json(file)
    svc = migrated_services()
    try:
        partner = svc.partners.update(OPERATOR, node, data, if_version)
    finally:
        svc.close()
    _done(partner, as_json, _("Partner %(node)s (%(country)s) changed."))


@app.command("deactivate", help=_("Stop exchanging with a partner (its registration stays)."))
def deactivate(
    node: str = typer.Argument(..., help=_("The partner's node id.")), as_json: bool = JsonOption
) -> None:
    svc = migrated_services()
    try:
        partner = svc.partners.deactivate(OPERATOR, node)
    finally:
        svc.close()
    _done(partner, as_json, _("Partner %(node)s (%(country)s) deactivated."))


@app.command("activate", help=_("Exchange with a deactivated partner again."))
def activate(
    node: str = typer.Argument(..., help=_("The partner's node id.")), as_json: bool = JsonOption
) -> None:
    svc = migrated_services()
    try:
        partner = svc.partners.activate(OPERATOR, node)
    finally:
        svc.close()
    _done(partner, as_json, _("Partner %(node)s (%(country)s) activated."))


@app.command("list", help=_("List the partner nodes."))
def list_partners(as_json: bool = JsonOption) -> None:
    svc = migrated_services()
    try:
        found = svc.partners.list(OPERATOR)
        keys = {p.node: len(svc.partners.keys_of(OPERATOR, p.node)) for p in found}
    finally:
        svc.close()
    if as_json:
        print_json([presenters.partner(p) | {"node_keys": keys[p.node]} for p in found])
        return
    table = Table(
        _("Node"), _("Country"), _("Name"), _("URL"), _("Agreements"), _("Keys"), _("Active")
    )
    for p in found:
        table.add_row(
            p.node,
            p.country,
            p.name,
            p.url,
            ", ".join(k.agreement for k in p.links),
            str(keys[p.node]),
            _("yes") if p.active else _("no"),
        )
    out.print(table)


@app.command("show", help=_("A partner node: its agreements, message types, deadlines and keys."))
def show(
    node: str = typer.Argument(..., help=_("The partner's node id.")), as_json: bool = JsonOption
) -> None:
    svc = migrated_services()
    try:
        partner = svc.partners.get(OPERATOR, node)
        keys = svc.partners.keys_of(OPERATOR, node)
    finally:
        svc.close()
    if as_json:
        print_json(presenters.partner(partner) | {"node_keys": sorted(keys)})
        return
    state = _("active") if partner.active else _("deactivated")
    version = _("version %(version)s") % {"version": partner.version}
    out.print(
        f"{partner.node} ({partner.country}) — {partner.name} — {state}, {version}", markup=False
    )
    out.print(partner.url, markup=False)
    for link in partner.links:
        days = (
            _("%(days)s days to answer a verification request") % {"days": link.reply_days}
            if link.reply_days
            else _("no reply deadline agreed")
        )
        out.print(f"  {link.agreement}: {', '.join(link.messages)}; {days}", markup=False)
    if keys:
        out.print(_("Node keys: %(kids)s") % {"kids": ", ".join(sorted(keys))}, markup=False)
    else:
        out.print(
            _(
                "No node keys yet: import the partner's trust list with 'opencustoms authority trust import'."  # noqa: E501 (one message, kept whole for translators)
            ),
            markup=False,
        )
