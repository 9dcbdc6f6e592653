"""`opencustoms hs`: look up and search the HS nomenclature."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from opencustoms import presenters
from opencustoms.bootstrap import correspondence_file
from opencustoms.cli.common import JsonOption, fail, out, print_json
from opencustoms.i18n import _, label
from opencustoms.kernel.correspondence import parse_correspondence
from opencustoms.kernel.nomenclature import MAX_LIMIT
from opencustoms.reference.hs import hs2022
from opencustoms.settings import Settings

app = typer.Typer(help=_("The Harmonized System nomenclature (HS 2022)."), no_args_is_help=True)


@app.command(
    "show",
    help=_("Show a code with its path (section ▸ chapter ▸ heading ▸ subheading) and children."),
)
def show(
    code: str = typer.Argument(
        ..., help=_("An HS code: 0901, 0901.21, 8471 30 or a national code.")
    ),
    as_json: bool = JsonOption,
) -> None:
    data = presenters.hs_entry(hs2022(), code)
    if as_json:
        print_json(data)
        return
    for step in data["path"]:
        out.print(f"[dim]{label(step['level'])}[/] [bold]{step['dotted']}[/] {step['description']}")
    if data["children"]:
        out.print()
        for child in data["children"]:
            out.print(f"  [bold]{child['dotted']}[/] {child['description']}")


@app.command("search", help=_("Search codes by description or partial code, most relevant first."))
def search(
    text: str = typer.Argument(
        ..., help=_("Words or a partial code, e.g. 'roasted coffee' or 8471.")
    ),
    limit: int = typer.Option(
        10, "--limit", "-n", min=1, max=MAX_LIMIT, help=_("How many results.")
    ),
    as_json: bool = JsonOption,
) -> None:
    data = presenters.hs_search(hs2022(), text, limit)
    if as_json:
        print_json(data)
        return
    if not data["results"]:
        out.print(_("No code matches '%(q)s'.") % {"q": data["query"]})
        return
    table = Table(_("Code"), _("Level"), _("Description"), show_lines=False)
    for hit in data["results"]:
        table.add_row(hit["dotted"], label(hit["level"]), hit["description"])
    out.print(table)


@app.command(
    "import-correspondence",
    help=_(
        "Load an HS correspondence table (CSV: from_edition, from_code, to_edition, to_code), "
        "checked whole first; origin determinations then translate BOM codes of another edition."
    ),
)
def import_correspondence(
    file: Path = typer.Argument(..., help=_("The table, e.g. a WCO correlation table as CSV.")),
    as_json: bool = JsonOption,
) -> None:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(_("Cannot read %(path)s: %(reason)s") % {"path": file, "reason": type(e).__name__})
    table = parse_correspondence(text, file.name)  # refuses the whole file on any bad row
    target = correspondence_file(Settings())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_suffix(".csv.new")
    staging.write_text(text, encoding="utf-8")
    staging.replace(target)  # one rename: a reader sees the old table or the new, never half
    pairs = sorted(f"{a.value}>{b.value}" for a, b in table.editions())
    if as_json:
        print_json({"installed": str(target), "editions": pairs})
        return
    out.print(
        _("Installed the correspondence table (%(editions)s) at %(target)s.")
        % {"editions": ", ".join(pairs), "target": target}
    )
