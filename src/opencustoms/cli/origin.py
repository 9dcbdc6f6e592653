"""`opencustoms origin`: rules of origin as compiled law."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from opencustoms import presenters
from opencustoms.bootstrap import imported_uk_folder
from opencustoms.cli.common import JsonOption, fail, migrated_services, out, print_json, services
from opencustoms.i18n import _
from opencustoms.kernel.countries import Country
from opencustoms.kernel.dates import legal_date, parse_legal_date
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin import agreements as catalogue
from opencustoms.origin.bom_io import read_bom
from opencustoms.origin.report import CompileReport
from opencustoms.origin.uk import compile_scheme, read_schemes
from opencustoms.settings import Settings

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
    if source is None:  # the rules lookups serve: an imported folder, else the shipped copy
        svc = services()
        report = catalogue.compile_report(svc.origin)
        svc.close()
    else:
        report = CompileReport()
        for scheme in read_schemes(source):
            report.add(scheme.agreement, compile_scheme(scheme))
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


@app.command("agreements", help=_("The agreements known, with their parties and rule data."))
def agreements(as_json: bool = JsonOption) -> None:
    svc = services()
    try:
        found = svc.origin.agreements()
    finally:
        svc.close()
    if as_json:
        print_json([presenters.agreement(a) for a in found])
        return
    table = Table(_("Agreement"), _("Title"), _("Parties"), _("Rules"))
    for a in found:
        data = presenters.agreement(a)
        parties = ", ".join(data["parties"][:6]) + (" …" if len(data["parties"]) > 6 else "")
        table.add_row(a.id, a.title, parties, _("yes") if a.has_rules else _("no rule data"))
    out.print(table)


@app.command("rules", help=_("The product-specific rules of an agreement for an HS code."))
def rules(
    agreement: str = typer.Option(
        ..., "--agreement", "-a", help=_("The agreement's id, e.g. uk-south-korea.")
    ),
    hs: str = typer.Option(..., "--hs", help=_("An HS code, e.g. 846620 or 8466.20.")),
    edition: str | None = typer.Option(
        None,
        "--edition",
        help=_("The HS edition of the code (default HS2022), e.g. HS2012 for RCEP."),
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = services()
    try:
        found = svc.origin.rules_for(agreement, hs, HsEdition.parse(edition) if edition else None)
    finally:
        svc.close()
    data = presenters.rule_lookup(found)
    if as_json:
        print_json(data)
        return
    for candidate in data["candidates"]:
        out.print(f"[bold]{candidate['heading']}[/]  {candidate['description']}", markup=True)
        out.print(f"  {candidate['rule']}", markup=False)
        if candidate["needs_review"]:
            out.print("  " + _("(not read with certainty: the legal text decides)"))
        if candidate["quota"]:
            out.print("  " + _("(applies within a quota)"))
        for text in candidate["legal_text"]:
            if text.strip():
                out.print("  > " + " ".join(text.split()), markup=False)
        for note in candidate["notes"]:
            out.print("  " + _("see %(note)s") % {"note": note}, markup=False)
        source = candidate["source"]
        out.print(
            "  "
            + _("source: %(agreement)s, %(document)s, heading %(heading)s (%(edition)s)")
            % {
                "agreement": source["agreement"],
                "document": source["document"],
                "heading": source["heading"],
                "edition": source["hs_edition"],
            },
            markup=False,
        )


@app.command(
    "import-uk",
    help=_("Load rules of origin in the UK tariff's format from a folder (checked whole first)."),
)
def import_uk(
    folder: Path = typer.Argument(
        ..., help=_("A folder with rule_sets/*.json (and roo_schemes_uk.json).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = services()
    current = svc.origin.uk_folder
    svc.close()
    target = imported_uk_folder(Settings())
    counts = catalogue.import_uk_folder(folder, target, current)
    if as_json:
        print_json({"installed": str(target), "agreements": counts})
        return
    out.print(
        _("Imported %(agreements)s agreements (%(rule_sets)s rule sets) into %(target)s.")
        % {"agreements": len(counts), "rule_sets": sum(counts.values()), "target": target}
    )


@app.command(
    "determine",
    help=_("Whether a product qualifies as originating under an agreement, with its evidence."),
)
def determine(
    agreement: str = typer.Option(
        ..., "--agreement", "-a", help=_("The agreement's id, e.g. uk-south-korea.")
    ),
    bom: Path = typer.Option(..., "--bom", help=_("The bill of materials: .json, .csv or .xlsx.")),
    on: str | None = typer.Option(
        None, "--date", help=_("The day whose law and declarations apply (default today).")
    ),
    save: bool = typer.Option(
        False,
        "--save",
        help=_("Keep the determination, so that `origin redetermine` can re-run it later."),
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services() if save else services()
    kept: str | None = None
    try:
        day = parse_legal_date(on, "date") if on else legal_date(svc.clock.now(), svc.office_zone)
        try:
            data = bom.read_bytes()
        except OSError as e:
            fail(_("Cannot read %(path)s: %(reason)s") % {"path": bom, "reason": type(e).__name__})
        edition = svc.origin.edition(agreement)
        parsed = read_bom(data, bom.name, edition or HsEdition.HS2022)
        if save:
            record = svc.determinations.record(agreement, parsed, day)
            kept, result = record.id, record.result
        else:
            result = presenters.determination(
                catalogue.determine(svc.origin, agreement, parsed, day)
            )
    finally:
        svc.close()
    if as_json:
        print_json({**result, "date": day.isoformat(), **({"id": kept} if kept else {})})
        return
    if kept:
        out.print(_("Kept as %(id)s.") % {"id": kept}, markup=False)
    verdict = {
        "originating": _("originating"),
        "not_originating": _("not originating"),
        "insufficient_data": _("insufficient data"),
    }[result["verdict"]]
    out.print(f"[bold]{verdict}[/]" + (f"  ({result['criterion']})" if result["criterion"] else ""))
    if result["rule_set"]:
        out.print(f"  {result['rule_set']['heading']}: {result['rule_set']['rule']}", markup=False)
    for alt in result["alternatives"]:
        out.print(f"  [{alt['result']}] {alt['rule']}: {alt['reason']}", markup=False)
    if result["candidates"]:
        out.print(
            "  " + _("candidates: %(list)s") % {"list": ", ".join(result["candidates"])},
            markup=False,
        )
    if result["tolerance_used"]:
        out.print(
            "  " + _("general tolerance used: %(detail)s") % {"detail": result["tolerance_used"]},
            markup=False,
        )
    for note in result["notes"]:
        out.print(f"  - {note}", markup=False)
    for basis in result["evidence"]:
        if "title" in basis:  # a general rule the verdict rests on, with its text's place
            out.print(f"  § {basis['title']}: {basis['reference']}", markup=False)


@app.command(
    "compare", help=_("A BOM under every agreement in force between two countries, side by side.")
)
def compare(
    bom: Path = typer.Option(..., "--bom", help=_("The bill of materials: .json, .csv or .xlsx.")),
    exporter: str = typer.Option(..., "--from", help=_("The exporting country, e.g. KR.")),
    importer: str = typer.Option(..., "--to", help=_("The importing country, e.g. GB.")),
    on: str | None = typer.Option(
        None, "--date", help=_("The day whose law and declarations apply (default today).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = services()
    try:
        day = parse_legal_date(on, "date") if on else legal_date(svc.clock.now(), svc.office_zone)
        try:
            data = bom.read_bytes()
        except OSError as e:
            fail(_("Cannot read %(path)s: %(reason)s") % {"path": bom, "reason": type(e).__name__})
        found = catalogue.compare(
            svc.origin, data, bom.name, Country(exporter).alpha2, Country(importer).alpha2, day
        )
    finally:
        svc.close()
    rows = presenters.comparison(found)
    if as_json:
        print_json(
            {
                "from": exporter.upper(),
                "to": importer.upper(),
                "date": day.isoformat(),
                "agreements": rows,
            }
        )
        return
    if not rows:
        out.print(
            _("No agreement opencustoms knows is in force between %(a)s and %(b)s.")
            % {"a": exporter, "b": importer}
        )
        return
    table = Table(_("Agreement"), _("Verdict"), _("Criterion"), _("Why"))
    for row in rows:
        table.add_row(
            row["agreement"],
            row["verdict"] or "-",
            row["criterion"] or "-",
            (row["error"] or row.get("margin") or "")[:120],
        )
    out.print(table)


@app.command("determinations", help=_("The determinations kept, newest first."))
def determinations(
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        found = svc.determinations.current(limit)
    finally:
        svc.close()
    if as_json:
        print_json([presenters.kept_determination(r) for r in found])
        return
    table = Table(_("Id"), _("Agreement"), _("Code"), _("Date"), _("Verdict"), _("Criterion"))
    for r in found:
        table.add_row(
            r.id, r.agreement, r.product_hs, r.on_date.isoformat(), r.verdict, r.criterion or "-"
        )
    out.print(table)


@app.command("redetermine", help=_("Re-run the kept determinations, and show what changed."))
def redetermine(
    on: str | None = typer.Option(
        None, "--date", help=_("The day whose law and declarations apply (default today).")
    ),
    as_json: bool = JsonOption,
) -> None:
    svc = migrated_services()
    try:
        day = parse_legal_date(on, "date") if on else legal_date(svc.clock.now(), svc.office_zone)
        changes, unchanged = svc.determinations.redetermine(day)
    finally:
        svc.close()
    rows = [presenters.determination_change(c) for c in changes]
    if as_json:
        print_json({"date": day.isoformat(), "changed": rows, "unchanged": unchanged})
        return
    out.print(
        _("%(changed)s changed, %(unchanged)s unchanged.")
        % {"changed": len(rows), "unchanged": unchanged}
    )
    for c in changes:
        was = c.previous
        now = (
            f"{c.current.verdict} ({c.current.criterion or '-'})"
            if c.current
            else c.error.render(_)
            if c.error
            else "-"
        )
        out.print(
            f"  {was.id} {was.agreement} {was.product_hs}: "
            f"{was.verdict} ({was.criterion or '-'}) -> {now}",
            markup=False,
        )
        for reason in c.why:
            out.print(f"    - {reason.render(_)}", markup=False)
