"""`opencustoms tariff`: the rates of a code, a schedule file checked, duty quoted for items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from opencustoms.clearance.data import (
    file_version,
    shipped_rate_types,
    shipped_schedule,
    shipped_tax_rules,
)
from opencustoms.clearance.duty import Assessment, assess
from opencustoms.clearance.goods_io import DEFAULT_EDITION, national_code, read_goods
from opencustoms.clearance.rate_types import RateKind, RateType
from opencustoms.clearance.tariff import Schedule, parse_schedule
from opencustoms.cli.common import JsonOption, fail, out, print_json, read_json_file, read_text
from opencustoms.i18n import _
from opencustoms.kernel.dates import legal_date, parse_legal_date, zone
from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.kernel.exchange import ExchangeRateTable, parse_rates
from opencustoms.kernel.hs import HsCode
from opencustoms.settings import Settings

app = typer.Typer(
    help=_("The tariff: rates by code and rate type, and duty."), no_args_is_help=True
)

ScheduleOption = typer.Option(
    None, "--schedule", help=_("A schedule CSV to use instead of the one shipped.")
)
RatesOption = typer.Option(
    None, "--rates", help=_("Exchange rates CSV: valid_from,from_currency,to_currency,rate")
)


def _schedule(path: Path | None) -> Schedule:
    if path is None:
        return shipped_schedule()
    text = read_text(path)
    return parse_schedule(text, path.name, path.name, file_version(text))


def _rates(path: Path | None) -> ExchangeRateTable:
    return parse_rates(read_text(path), path.name) if path else ExchangeRateTable([])


def _day(on: str | None) -> date:
    if on:
        return parse_legal_date(on, "on")
    return legal_date(datetime.now(UTC), zone(Settings().office_timezone))


@app.command("show", help=_("The rates of a code on a date, by rate type."))
def show(
    code: str = typer.Argument(..., help=_("The national code, e.g. 3926.90.9000.")),
    on: str | None = typer.Option(None, "--on", help=_("The date, YYYY-MM-DD (default: today).")),
    rate_type: str | None = typer.Option(None, "--type", help=_("Only this rate type, e.g. A.")),
    edition: str = typer.Option(DEFAULT_EDITION, "--edition", help=_("The code's HS edition.")),
    schedule: Path | None = ScheduleOption,
    as_json: bool = JsonOption,
) -> None:
    table = _schedule(schedule)
    hs = HsCode(national_code(code), edition)
    day = _day(on)
    lines = [table.line(hs, rate_type.upper(), day)] if rate_type else table.rates(hs, day)
    types = shipped_rate_types()
    if as_json:
        print_json(
            [
                {
                    "code": x.code.digits,
                    "edition": x.code.edition.value,
                    "rate_type": x.rate_type,
                    "name": types.get(x.rate_type).name if types.get(x.rate_type) else None,  # type: ignore[union-attr]
                    "duty": str(x.duty),
                    "valid_from": x.valid_from.isoformat(),
                    "valid_to": x.valid_to.isoformat() if x.valid_to else None,
                    "source": x.source,
                }
                for x in lines
            ]
        )
        return
    if not lines:
        fail(
            _("No rate for %(code)s on %(on)s in the %(schedule)s schedule.")
            % {"code": hs.dotted(), "on": day.isoformat(), "schedule": table.name}
        )
    out.print(
        _("%(code)s (%(edition)s) on %(on)s:")
        % {"code": hs.dotted(), "edition": hs.edition.value, "on": day.isoformat()},
        markup=False,
    )
    for x in lines:
        out.print(
            f"  {x.rate_type:<5} {x.duty!s:<22} {_kind(types.get(x.rate_type))} — {x.source}",
            markup=False,
        )


def _kind(known: RateType | None) -> str:
    if known is None:
        return _("not a known rate type")
    if known.kind is RateKind.FTA:
        return _("preferential rate of %(agreement)s") % {"agreement": known.agreement}
    return {
        RateKind.BASIC: _("basic rate"),
        RateKind.WTO: _("WTO concession rate"),
        RateKind.OTHER: _("other national rate"),
    }[known.kind]


@app.command("check", help=_("Read a schedule CSV and say whether it can be used."))
def check(file: Path = typer.Argument(..., help=_("The schedule CSV."))) -> None:
    table = _schedule(file)
    out.print(
        _("%(file)s: %(count)s tariff lines, no problems.") % {"file": file, "count": len(table)}
    )


@app.command("quote", help=_("Duty and taxes for items in a JSON file (nothing is stored)."))
def quote(
    file: Path = typer.Argument(..., help=_('JSON: {"date": "YYYY-MM-DD", "items": [...]}')),
    schedule: Path | None = ScheduleOption,
    rates: Path | None = RatesOption,
    as_json: bool = JsonOption,
) -> None:
    data = read_json_file(file)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list) or not data["items"]:
        raise InvalidInput.of(
            "clearance.bad_quote",
            N_('%(file)s: expected {"date": "YYYY-MM-DD", "items": [one item or more]}'),
            file=file.name,
        )
    day = parse_legal_date(str(data.get("date", "")), "date")
    goods = []
    problems: list[Finding] = []
    for i, item in enumerate(data["items"]):
        try:
            goods.append(read_goods(item, f"items[{i}]"))
        except InvalidInput as e:
            problems.extend(e.findings)
    if problems:
        raise InvalidInput(*problems)
    found = assess(goods, day, _schedule(schedule), _rates(rates), shipped_tax_rules())
    if as_json:
        print_json(assessment_json(found))
        return
    for i, item in enumerate(found.items):
        out.print(_("Item %(number)s:") % {"number": i + 1}, markup=False)
        for step in item.steps:
            out.print(f"  {step.render(_)}", markup=False)
    for step in found.steps:
        out.print(step.render(_), markup=False)


def assessment_json(found: Assessment) -> dict[str, Any]:
    return {
        "duty": str(found.duty.amount),
        "vat": str(found.vat.amount),
        "total": str(found.total.amount),
        "currency": found.duty.currency.code,
        "schedule": found.schedule,
        "taxes": found.taxes,
        "items": [
            {
                "customs_value": str(x.customs_value.amount),
                "duty": str(x.duty.amount),
                "vat": str(x.vat.amount),
                "rate_type": x.line.rate_type,
                "rate": str(x.line.duty),
                "steps": [{"key": s.key, "text": s.render(_)} for s in x.steps],
            }
            for x in found.items
        ],
        "steps": [{"key": s.key, "text": s.render(_)} for s in found.steps],
    }
