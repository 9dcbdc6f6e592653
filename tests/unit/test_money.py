from datetime import date
from decimal import Decimal

import pytest

from opencustoms.kernel.errors import InvalidInput, NotFound
from opencustoms.kernel.exchange import parse_rates
from opencustoms.kernel.money import Currency, Money

RATES = """valid_from,from_currency,to_currency,rate
2026-01-04,USD,KRW,1450.20
2026-01-11,USD,KRW,1462.75
2026-01-04,EUR,KRW,1580.10
"""


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("1000.5", "KRW", "1001"),
        ("10.005", "USD", "10.01"),
        ("10.0049", "EUR", "10.00"),
        ("1.23456", "KWD", "1.235"),
    ],
)
def test_amounts_round_to_their_currency_minor_unit(amount, currency, rounded):
    assert Money(amount, currency).rounded().amount == Decimal(rounded)


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("1", "USD") * 1.5  # type: ignore[operator]


def test_currencies_do_not_mix():
    assert Money("1.10", "USD") + Money("2.20", "USD") == Money("3.30", "USD")
    with pytest.raises(InvalidInput) as e:
        Money("1", "USD") + Money("1", "KRW")
    assert e.value.code == "money.currency_mismatch"


@pytest.mark.parametrize(
    ("bad", "code"), [("usdd", "money.unknown_currency"), ("", "money.unknown_currency")]
)
def test_unknown_currency(bad, code):
    with pytest.raises(InvalidInput) as e:
        Currency(bad)
    assert e.value.code == code


def test_absurd_amounts_are_refused_not_crashed():
    with pytest.raises(InvalidInput) as e:
        Money("1e30", "USD")
    assert e.value.code == "money.too_large"
    assert Money("999999999999999999.99", "USD").rounded().amount == Decimal(
        "999999999999999999.99"
    )


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", ""])
def test_bad_amounts(bad):
    with pytest.raises(InvalidInput) as e:
        Money(bad, "USD")
    assert e.value.code == "money.invalid_amount"


def test_exchange_rate_in_force_on_a_date():
    table = parse_rates(RATES, "rates.csv")
    usd = Money("100", "USD")
    assert table.convert(usd, Currency("KRW"), date(2026, 1, 10)) == Money("145020", "KRW")
    assert table.convert(usd, Currency("KRW"), date(2026, 1, 11)) == Money("146275", "KRW")
    # the inverse pair is derived
    assert table.convert(Money("1462750", "KRW"), Currency("USD"), date(2026, 2, 1)) == Money(
        "1000.00", "USD"
    )
    with pytest.raises(NotFound) as e:
        table.rate(Currency("USD"), Currency("KRW"), date(2026, 1, 3))
    assert e.value.code == "money.no_rate"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "valid_from,from_currency,to_currency,rate\n2026-13-01,USD,KRW,1\n",
            "line 2, column valid_from",
        ),
        (
            "valid_from,from_currency,to_currency,rate\n2026-01-01,USD,KRW,-1\n",
            "line 2, column rate",
        ),
        (
            "valid_from,from_currency,to_currency,rate\n2026-01-01,USD,ZZZ,1\n",
            "line 2, column to_currency",
        ),
        ("valid_from,from_currency,to_currency,rate\n2026-01-01,USD,KRW\n", "line 2"),
        ("date,from,to,rate\n", "line 1"),
        (RATES + "2026-01-04,USD,KRW,1\n", "line 5"),
    ],
)
def test_rate_files_errors_name_the_place(text, where):
    with pytest.raises(InvalidInput) as e:
        parse_rates(text, "rates.csv")
    assert f"rates.csv, {where}" in e.value.finding.render()
