"""`opencustoms origin`: rules of origin as compiled law."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from opencustoms.cli.common import JsonOption, out, print_json
from opencustoms.i18n import _
from opencustoms.origin.report import CompileReport
from opencustoms.origin.uk import read_schemes, shipped_folder

app = typer.Typer(
    help=_("Rules of origin: agreements and their compiled rules."), no_args_is_help=True
)


@app.command(
    "compile-report",
    help=_("How much of each agreement's rules the compiler reads, and what is left for review."),
)
def compile_report(
    source: Path | None = typer.Option(
        None, "--source", help=_("A folder in the UK tariff's format (default: the shipped copy).")
    ),
    limit: int = typer.Option(
        30, "--limit", "-n", min=0, max=1000, help=_("How many review wordings to list.")
    ),
    as_json: bool = JsonOption,
) -> None:
    report = CompileReport()
    for scheme in read_schemes(source or shipped_folder()):
        report.add(
            scheme.agreement,
            [str(r.get("rule") or "") for raw in scheme.rule_sets for r in raw.get("rules", [])],
        )
    data = report.as_dict(limit)
    if as_json:
        print_json(data)
        return
    table = Table(_("Agreement"), _("Rules"), _("Compiled"), _("For review"), "%")
    for a in data["agreements"]:
        share = 100 * a["compiled"] / a["rules"] if a["rules"] else 0.0
        table.add_row(
            a["id"], str(a["rules"]), str(a["compiled"]), str(a["needs_review"]), f"{share:.1f}"
        )
    total = data["total"]
    share = 100 * total["compiled"] / total["rules"] if total["rules"] else 0.0
    table.add_row(
        _("total"),
        str(total["rules"]),
        str(total["compiled"]),
        str(total["needs_review"]),
        f"{share:.1f}",
        style="bold",
    )
    out.print(table)
    distinct = data["distinct_texts"]
    out.print(
        _("Distinct texts: %(compiled)s of %(total)s compiled.")
        % {"compiled": distinct["compiled"], "total": distinct["total"]}
    )
    if data["needs_review_by_wording"]:
        out.print()
        out.print(_("Kept for review, by wording (most rules first):"))
        for item in data["needs_review_by_wording"]:
            out.print(f"  {item['rules']:>5}  {item['wording'][:160]}", markup=False)
