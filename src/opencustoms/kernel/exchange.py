"""Dated exchange rates, for converting customs values into the national currency.

Customs administrations publish rates that apply from a date until the next
publication (Korea: weekly, under Article 18 of the Customs Act; the EU:
monthly, Article 146 UCC-IA). `rate(on=...)` takes the latest rate published
on or before that date; an inverse rate is derived when only the reverse pair
is published.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from opencustoms.kernel.csvtext import at_line, read_rows
from opencustoms.kernel.errors import N_, InvalidInput, NotFound
from opencustoms.kernel.money import Currency, Money, to_decimal

RATE_COLUMNS = ("valid_from", "from_currency", "to_currency", "rate")


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    valid_from: date
    source: Currency
    target: Currency
    rate: Decimal  # units of `target` for one unit of `source`


class ExchangeRateTable:
    def __init__(self, rates: Iterable[ExchangeRate]) -> None:
        by_pair: dict[tuple[str, str], dict[date, Decimal]] = defaultdict(dict)
        for r in rates:
            if r.rate <= 0:
                raise ValueError(f"rate {r} must be positive")
            by_pair[(r.source.code, r.target.code)][r.valid_from] = r.rate
        self._dates = {pair: sorted(d) for pair, d in by_pair.items()}
        self._rates = dict(by_pair)

    def __len__(self) -> int:
        return sum(len(d) for d in self._rates.values())

    def rate(self, source: Currency, target: Currency, on: date) -> Decimal:
        return self.quote(source, target, on)[0]

    def quote(self, source: Currency, target: Currency, on: date) -> tuple[Decimal, bool]:
        """The rate in force, and whether it was derived from the published reverse pair."""
        if source == target:
            return Decimal(1), False
        direct = self._lookup((source.code, target.code), on)
        if direct is not None:
            return direct, False
        inverse = self._lookup((target.code, source.code), on)
        if inverse is not None:
            return Decimal(1) / inverse, True
        raise NotFound.of(
            "money.no_rate",
            N_("No exchange rate from %(source)s to %(target)s applies on %(on)s."),
            source=source.code,
            target=target.code,
            on=on.isoformat(),
        )

    def convert(self, money: Money, target: Currency, on: date) -> Money:
        """The amount in `target`, rounded to its minor unit."""
        return Money(money.amount * self.rate(money.currency, target, on), target).rounded()

    def _lookup(self, pair: tuple[str, str], on: date) -> Decimal | None:
        dates = self._dates.get(pair)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on)
        return self._rates[pair][dates[i - 1]] if i else None


def parse_rates(text: str, source: str) -> ExchangeRateTable:
    """A table from CSV text with columns valid_from,from_currency,to_currency,rate."""
    rates = []
    seen: dict[tuple[date, str, str], int] = {}
    for line, row in read_rows(text, source, RATE_COLUMNS):
        column = "valid_from"
        try:
            try:
                valid_from = date.fromisoformat(row["valid_from"])
            except ValueError:
                raise InvalidInput.of(
                    "date.invalid",
                    N_("'%(value)s' is not a date: write YYYY-MM-DD."),
                    value=row["valid_from"][:32],
                ) from None
            column = "from_currency"
            from_currency = Currency(row["from_currency"])
            column = "to_currency"
            to_currency = Currency(row["to_currency"])
            column = "rate"
            rate = to_decimal(row["rate"], field="rate")
            if rate <= 0:
                raise InvalidInput.of(
                    "money.rate_not_positive",
                    N_("a rate must be greater than zero; got %(value)s."),
                    value=row["rate"],
                )
        except InvalidInput as e:
            raise at_line(e, source, line, column) from None
        key = (valid_from, from_currency.code, to_currency.code)
        if key in seen:
            raise InvalidInput.of(
                "money.duplicate_rate",
                N_(
                    "%(source)s, line %(line)s: a rate for %(pair)s from %(on)s "
                    "is already on line %(first)s."
                ),
                source=source,
                line=line,
                pair=f"{from_currency.code}/{to_currency.code}",
                on=valid_from.isoformat(),
                first=seen[key],
            )
        seen[key] = line
        rates.append(ExchangeRate(valid_from, from_currency, to_currency, rate))
    return ExchangeRateTable(rates)
