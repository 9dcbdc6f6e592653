"""`opencustoms money`: convert amounts with a dated exchange-rate table."""

from __future__ import annotations

from pathlib import Path

import typer

from opencustoms.cli.common import JsonOption, fail, out, print_json
from opencustoms.i18n import _
from opencustoms.kernel.dates import parse_legal_date
from opencustoms.kernel.exchange import parse_rates
from opencustoms.kernel.money import Currency, Money

app = typer.Typer(help=_("Money and exchange rates."), no_args_is_help=True)


@app.command("convert", help=_("Convert an amount at the rate in force on a date."))
def convert(
    amount: str = typer.Argument(..., help=_("The amount, e.g. 1250.50.")),
    source: str = typer.Argument(..., help=_("Its currency, e.g. USD.")),
    target: str = typer.Argument(..., help=_("The currency to convert to, e.g. KRW.")),
    on: str = typer.Option(..., "--on", help=_("The legal date whose rate applies, YYYY-MM-DD.")),
    rates: Path = typer.Option(
        ..., "--rates", help=_("CSV: valid_from,from_currency,to_currency,rate")
    ),
    as_json: bool = JsonOption,
) -> None:
    try:
        text = rates.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        fail(
            _("Cannot read %(path)s: %(reason)s") % {"path": rates, "reason": e.__class__.__name__}
        )
    table = parse_rates(text, rates.name)
    money = Money(amount, source)
    day = parse_legal_date(on, "on")
    converted = table.convert(money, Currency(target), day)
    rate, derived = table.quote(money.currency, converted.currency, day)
    if as_json:
        print_json(
            {
                "amount": str(money.amount),
                "currency": money.currency.code,
                "converted": str(converted.amount),
                "converted_currency": converted.currency.code,
                "rate": str(rate),
                "on": day.isoformat(),
            }
        )
    else:
        shown = {
            "amount": money,
            "converted": converted,
            "rate": f"{rate:.6g}",
            "on": day.isoformat(),
        }
        if derived:
            out.print(
                _(
                    "%(amount)s = %(converted)s (rate %(rate)s on %(on)s, "
                    "the inverse of the published rate)"
                )
                % shown
            )
        else:
            out.print(_("%(amount)s = %(converted)s (rate %(rate)s on %(on)s)") % shown)
