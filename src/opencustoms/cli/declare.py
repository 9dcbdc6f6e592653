"""`opencustoms declare`: lodge import declarations (JSON, or CSV in the declarations
dataset's format), and read, amend or cancel them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.progress import Progress
from rich.table import Table

from opencustoms import bootstrap, presenters_clearance
from opencustoms.accounts.service import OPERATOR
from opencustoms.clearance.declaration_io import read_dataset_csv
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
from opencustoms.kernel.errors import InvalidInput

app = typer.Typer(help=_("Import declarations: lodge, read, amend, cancel."), no_args_is_help=True)
T = TypeVar("T")
CHUNK = 1000  # declarations per transaction when lodging a file


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
            for start in range(0, len(batch), min(CHUNK, MAX_BATCH)):
                chunk = batch[start : start + CHUNK]
                readable = [(s, d) for s, d in chunk if not isinstance(d, InvalidInput)]
                lodged = iter(svc.clearance.lodge_many(OPERATOR, readable))
                for source, data in chunk:
                    if isinstance(data, InvalidInput):
                        outcomes.append(Outcome(source, None, data.findings))
                    else:
                        outcomes.append(next(lodged))
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
        shown = presenters_clearance.declaration(
            svc.clearance.get(OPERATOR, declaration), svc.office_zone
        )
        if as_json:
            print_json(shown)
            return
        d = shown["declaration"]
        out.print(
            _("%(reference)s (%(id)s), %(state)s, version %(version)s, declared %(date)s")
            % {**shown, "date": d["date"]},
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
                r["state"],
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
                f"v{e['version']} {e['action']} {e['at']}: {_('duty')} {e['duty']}, "
                f"{_('VAT')} {e['vat']}{reason}",
                markup=False,
            )

    _with(run)


@app.command("amend", help=_("Amend a declaration with the corrected declaration in a JSON file."))
def amend(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    file: Path = typer.Argument(..., help=_("The declaration as it should now read (JSON).")),
    reason: str = typer.Option(..., "--reason", help=_("Why it is amended.")),
    as_json: bool = JsonOption,
) -> None:
    data = read_json_file(file)
    _changed(lambda svc: svc.clearance.amend(OPERATOR, declaration, data, reason), as_json)


@app.command("cancel", help=_("Cancel a declaration (kept, with its history)."))
def cancel(
    declaration: str = typer.Argument(..., help=_("Its id (dcl_...) or number.")),
    reason: str = typer.Option(..., "--reason", help=_("Why it is cancelled.")),
    as_json: bool = JsonOption,
) -> None:
    _changed(lambda svc: svc.clearance.cancel(OPERATOR, declaration, reason), as_json)


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
                % shown,
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
