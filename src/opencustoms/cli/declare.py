"""`opencustoms declare`: lodge import declarations (JSON, or CSV in the declarations
dataset's format), and read, amend or cancel them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.progress import Progress
from rich.table import Table

from opencustoms import bootstrap, presenters, presenters_clearance
from opencustoms.accounts.service import OPERATOR
from opencustoms.clearance.declaration_io import read_dataset_csv
from opencustoms.clearance.goods_io import strict_number
from opencustoms.clearance.records import DeclarationState
from opencustoms.clearance.service import MAX_BATCH, Outcome
from opencustoms.cli.common import (
    JsonOption,
    fail_line,
    migrated_services,
    out,
    print_json,
    read_json_file,
    read_text,
)
from opencustoms.i18n import _
from opencustoms.kernel.errors import N_
from opencustoms.kernel.money import Money

app = typer.Typer(help=_("Import declarations: lodge, read, amend, cancel."), no_args_is_help=True)
T = TypeVar("T")
IfVersionOption = typer.Option(
    None, "--if-version", min=1, help=_("Only if it is still at this version.")
)
STATES = {"lodged": N_("lodged"), "cancelled": N_("cancelled")}
OUTCOMES = presenters_clearance.OUTCOMES
ACTIONS = {
    "lodged": N_("lodged"),
    "amended": N_("amended"),
    "cancelled": N_("cancelled"),
    "decided": N_("preference decided"),
    "claimed": N_("preference claimed"),
}
CHUNK = MAX_BATCH  # declarations per transaction when lodging a file


def _with(work: Callable[[bootstrap.Services], T]) -> T:
    svc = migrated_services()
    try:
        return work(svc)
    finally:
        svc.close()


def _batch(path: Path) -> list[tuple[str, Any]]:
    """(source, declaration) for each declaration in the file; a CSV row that cannot be
    read becomes its findings."""
    if path.suffix.lower() == ".csv":
        rows = []
        for line, found in read_dataset_csv(read_text(path), path.name):
            where = _("%(file)s, line %(line)s") % {"file": path.name, "line": line}
            rows.append((where, found))
        return rows
    data = read_json_file(path)
    items = data if isinstance(data, list) else [data]
    return [(f"{path.name}[{i}]", d) for i, d in enumerate(items)]


@app.command("lodge", help=_("Lodge the declarations in a file: JSON (one or a list) or CSV."))
def lodge(
    file: Path = typer.Argument(..., help=_("A .json or .csv file.")),
    as_json: bool = JsonOption,
) -> None:
    batch = _batch(file)
    outcomes: list[Outcome] = []

    def run(svc: bootstrap.Services) -> None:
        with Progress(transient=True, disable=as_json or len(batch) < CHUNK) as progress:
            task = progress.add_task(_("Lodging"), total=len(batch))
            for start in range(0, len(batch), CHUNK):
                chunk = batch[start : start + CHUNK]
                # rows that could not be read are refused and kept as rejections too
                outcomes.extend(svc.clearance.lodge_many(OPERATOR, chunk))
                progress.advance(task, len(chunk))
        zone = svc.office_zone
        shown = [presenters_clearance.outcome(o, zone) for o in outcomes]
        if as_json:
            print_json(shown)
            return
        for o in shown:
            if o["lodged"]:
                out.print(
                    _("%(source)s: lodged %(reference)s, duty %(duty)s %(currency)s, VAT %(vat)s")
                    % o,
                    markup=False,
                )
            else:
                for f in o["findings"]:
                    fail_line(f"{o['source']}: {f['message']}")
        lodged_count = sum(1 for o in shown if o["lodged"])
        out.print(
            _("%(lodged)s lodged, %(refused)s refused.")
            % {"lodged": lodged_count, "refused": len(shown) - lodged_count},
            markup=False,
        )

    _with(run)
    if any(o.record is None for o in outcomes):
        raise typer.Exit(2)


@app.command("show", help=_("A declaration: as lodged, its state and its assessment explained."))
def show(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        record = svc.clearance.get(OPERATOR, declaration)
        decisions = svc.clearance.decisions(OPERATOR, record.id)
        shown = presenters_clearance.declaration(record, svc.office_zone, decisions)
        if as_json:
            print_json(shown)
            return
        d = shown["declaration"]
        out.print(
            _("%(reference)s (%(id)s), %(state)s, version %(version)s, declared %(date)s")
            % {**shown, "date": d["date"], "state": _(STATES[shown["state"]])},
            markup=False,
        )
        for i, (item, figures) in enumerate(
            zip(d["items"], shown["assessment"]["items"], strict=True)
        ):
            out.print(
                _("Item %(number)s: %(code)s from %(origin)s, rate type %(rate_type)s")
                % {
                    "number": i + 1,
                    "code": item["hs_code"],
                    "origin": item["origin"],
                    "rate_type": item["rate_type"],
                },
                markup=False,
            )
            for step in figures["steps"]:
                out.print(f"  {step['text']}", markup=False)
        for step in shown["assessment"]["steps"]:
            out.print(step["text"], markup=False)
        for p in shown["preferences"]:
            out.print(
                _("Preference on item %(item)s (%(rate_type)s, %(reference)s): %(outcome)s")
                % {**p, "reference": p["proof"]["reference"], "outcome": _(OUTCOMES[p["outcome"]])},
                markup=False,
            )
            for r in p["reasons"]:
                out.print(f"  {r['message']}", markup=False)

    _with(run)


@app.command("list", help=_("Declarations lodged here, newest first."))
def list_declarations(
    state: DeclarationState | None = typer.Option(None, "--state", help=_("Only in this state.")),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help=_("At most this many.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        found = svc.clearance.find(OPERATOR, state, limit)
        shown = [presenters_clearance.declaration_brief(r, svc.office_zone) for r in found]
        if as_json:
            print_json(shown)
            return
        table = Table(
            _("number"), _("state"), _("date"), _("importer"), _("items"), _("duty"), _("VAT")
        )
        for r in shown:
            table.add_row(
                r["reference"],
                _(STATES[r["state"]]),
                r["date"],
                r["importer"],
                str(r["items"]),
                f"{r['duty']} {r['currency']}",
                f"{r['vat']} {r['currency']}",
            )
        out.print(table)

    _with(run)


@app.command("history", help=_("Every version of a declaration: lodged, amended, cancelled."))
def history(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        events = svc.clearance.history(OPERATOR, declaration)
        shown = [presenters_clearance.event(e, svc.office_zone) for e in events]
        if as_json:
            print_json(shown)
            return
        for e in shown:
            reason = f" — {e['reason']}" if e["reason"] else ""
            out.print(
                _("version %(version)s, %(action)s %(at)s: duty %(duty)s, VAT %(vat)s")
                % {**e, "action": _(ACTIONS[e["action"]])}
                + reason,
                markup=False,
            )

    _with(run)


@app.command("amend", help=_("Amend a declaration with the corrected declaration in a JSON file."))
def amend(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    file: Path = typer.Argument(..., help=_("The declaration as it should now read (JSON).")),
    reason: str = typer.Option(..., "--reason", help=_("Why it is amended.")),
    if_version: int | None = IfVersionOption,
    as_json: bool = JsonOption,
) -> None:
    data = read_json_file(file)
    _changed(
        lambda svc: svc.clearance.amend(OPERATOR, declaration, data, reason, if_version, "cli"),
        as_json,
    )


@app.command("cancel", help=_("Cancel a declaration (kept, with its history)."))
def cancel(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    reason: str = typer.Option(..., "--reason", help=_("Why it is cancelled.")),
    if_version: int | None = IfVersionOption,
    as_json: bool = JsonOption,
) -> None:
    _changed(lambda svc: svc.clearance.cancel(OPERATOR, declaration, reason, if_version), as_json)


def _changed(change: Callable[[bootstrap.Services], Any], as_json: bool) -> None:
    def run(svc: bootstrap.Services) -> None:
        shown = presenters_clearance.declaration_brief(change(svc), svc.office_zone)
        if as_json:
            print_json(shown)
        else:
            out.print(
                _(
                    "%(reference)s is %(state)s, version %(version)s: duty %(duty)s %(currency)s, VAT %(vat)s."
                )
                % {**shown, "state": _(STATES[shown["state"]])},
                markup=False,
            )

    _with(run)


@app.command("rejections", help=_("Declarations refused, newest first, with every finding."))
def rejections(
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help=_("At most this many.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        shown = [
            presenters_clearance.rejection(r, svc.office_zone)
            for r in svc.clearance.rejections(OPERATOR, limit)
        ]
        if as_json:
            print_json(shown)
            return
        for r in shown:
            out.print(f"{r['at']} {r['reference'] or '-'} ({r['source']})", markup=False)
            for f in r["findings"]:
                out.print(f"  {f['message']}", markup=False)

    _with(run)


def _show_account(shown: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(shown)
        return
    out.print(
        _(
            "%(reference)s: total %(total)s %(currency)s, paid %(paid)s, secured %(secured)s, owed %(owed)s"
        )
        % shown,
        markup=False,
    )
    out.print(
        _("May be released (duty paid or secured).")
        if shown["may_release"]
        else _("Not to be released: duty and taxes are owed, or the declaration is not open."),
        markup=False,
    )


@app.command("account", help=_("What a declaration owes, and how it was paid or secured."))
def account(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        found = svc.settlements.account(OPERATOR, declaration)
        _show_account(presenters_clearance.account(found, svc.office_zone), as_json)

    _with(run)


@app.command("pay", help=_("Record the treasury's notice that duty and taxes were paid."))
def pay(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    amount: str = typer.Option(..., "--amount", help=_("The amount paid, e.g. 142160.")),
    currency: str = typer.Option("KRW", "--currency", help=_("Its currency.")),
    reference: str = typer.Option(..., "--reference", help=_("The payment's reference.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        found = svc.settlements.pay(
            OPERATOR, declaration, Money(strict_number(amount, "amount"), currency), reference
        )
        _show_account(presenters_clearance.account(found, svc.office_zone), as_json)

    _with(run)


@app.command("secure", help=_("Secure what a declaration owes with the importer's guarantee."))
def secure(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    guarantee: str = typer.Option(..., "--guarantee", help=_("The guarantee's id (gua_...).")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        found = svc.settlements.secure(OPERATOR, declaration, guarantee)
        _show_account(presenters_clearance.account(found, svc.office_zone), as_json)

    _with(run)


@app.command(
    "replay", help=_("Compute a declaration's kept assessment again, to the same figures.")
)
def replay(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        shown = presenters_clearance.replayed(svc.clearance.replay(OPERATOR, declaration))
        if as_json:
            print_json(shown)
        elif shown["same"]:
            out.print(
                _("%(reference)s: replayed to the same figures (duty %(duty)s, VAT %(vat)s).")
                % {"reference": shown["reference"], **shown["kept"]},
                markup=False,
            )
        else:
            fail_line(
                _("%(reference)s: the replay differs in %(fields)s.")
                % {"reference": shown["reference"], "fields": ", ".join(shown["differences"])}
            )
        if not shown["same"]:
            raise typer.Exit(1)

    _with(run)


guarantees = typer.Typer(help=_("Importers' guarantee accounts."), no_args_is_help=True)
app.add_typer(guarantees, name="guarantee")


@guarantees.command("open", help=_("Open a guarantee account for an importer."))
def open_guarantee(
    holder: str = typer.Argument(..., help=_("The importer (its organisation id or trader code).")),
    limit: str = typer.Option(..., "--limit", help=_("How much it may secure at once.")),
    currency: str = typer.Option("KRW", "--currency", help=_("Its currency.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        g = svc.settlements.open_guarantee(
            OPERATOR, holder, Money(strict_number(limit, "limit"), currency)
        )
        shown = presenters_clearance.guarantee(g, svc.office_zone)
        if as_json:
            print_json(shown)
        else:
            out.print(
                _("Guarantee %(id)s for %(holder)s: %(limit)s %(currency)s.") % shown, markup=False
            )

    _with(run)


@guarantees.command("list", help=_("Guarantee accounts, with what is drawn and available."))
def list_guarantees(as_json: bool = JsonOption) -> None:
    def run(svc: bootstrap.Services) -> None:
        shown = [
            presenters_clearance.guarantee(g, svc.office_zone)
            for g in svc.settlements.guarantees(OPERATOR)
        ]
        if as_json:
            print_json(shown)
            return
        table = Table(_("guarantee"), _("holder"), _("limit"), _("drawn"), _("available"))
        for g in shown:
            table.add_row(g["id"], g["holder"], g["limit"], g["drawn"], g["available"])
        out.print(table)

    _with(run)


@guarantees.command("show", help=_("A guarantee account and its draws."))
def show_guarantee(
    guarantee: str = typer.Argument(..., help=_("The guarantee's id (gua_...).")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        g, draws = svc.settlements.guarantee(OPERATOR, guarantee)
        shown = presenters_clearance.guarantee(g, svc.office_zone) | {
            "draws": [presenters_clearance.draw(d, svc.office_zone) for d in draws]
        }
        if as_json:
            print_json(shown)
            return
        out.print(
            _(
                "Guarantee %(id)s for %(holder)s: limit %(limit)s, drawn %(drawn)s, available %(available)s %(currency)s"
            )
            % shown,
            markup=False,
        )
        for d in shown["draws"]:
            released = (
                _("released %(at)s") % {"at": d["released_at"]} if d["released_at"] else _("held")
            )
            out.print(f"  {d['declaration']} {d['amount']} {d['at']} — {released}", markup=False)

    _with(run)


@app.command("decide", help=_("Decide a preference claim in documentary review (customs officer)."))
def decide(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    item: int = typer.Option(..., "--item", min=1, help=_("The item's number.")),
    grant: bool = typer.Option(..., "--grant/--deny", help=_("Grant or deny the preference.")),
    reason: str = typer.Option(..., "--reason", help=_("Why, for the importer.")),
    as_json: bool = JsonOption,
) -> None:
    _changed(lambda svc: svc.clearance.decide(OPERATOR, declaration, item, grant, reason), as_json)


@app.command(
    "verify", help=_("Ask the issuing country to verify the certificate a claim rests on.")
)
def verify(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    item: int = typer.Option(..., "--item", min=1, help=_("The item's number.")),
    question: list[str] = typer.Option(..., "--question", help=_("A question (repeat for more).")),
    document: list[str] = typer.Option([], "--document", help=_("A document asked for.")),
    as_json: bool = JsonOption,
) -> None:
    def run(svc: bootstrap.Services) -> None:
        case = svc.clearance.request_verification(
            OPERATOR, declaration, item, svc.exchange, question, document
        )
        shown = presenters.verification(case)
        if as_json:
            print_json(shown)
        else:
            out.print(
                _("Verification request %(id)s sent, to be answered by %(reply_by)s.") % shown,
                markup=False,
            )

    _with(run)


@app.command(
    "claim", help=_("Claim a preference after the declaration, on a certificate received here.")
)
def claim(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    item: int = typer.Option(..., "--item", min=1, help=_("The item's number.")),
    rate_type: str = typer.Option(
        ..., "--rate-type", help=_("The preferential rate type, e.g. FCN1.")
    ),
    certificate: str = typer.Option(..., "--certificate", help=_("The certificate's number.")),
    authority: str | None = typer.Option(None, "--authority", help=_("Its issuing authority.")),
    as_json: bool = JsonOption,
) -> None:
    proof = {"kind": "certificate", "reference": certificate, "authority": authority}
    _changed(
        lambda svc: svc.clearance.claim_after(OPERATOR, declaration, item, rate_type, proof),
        as_json,
    )


@app.command(
    "apply-verifications",
    help=_(
        "Apply the issuing countries' answers to verification requests (the node does it on its timer)."
    ),
)
def apply_verifications() -> None:
    changed = _with(lambda svc: svc.clearance.apply_verifications(OPERATOR))
    out.print(_("%(count)s preference claims decided again.") % {"count": changed}, markup=False)
