"""An item's duty facts read from JSON: every problem at once, each at its path."""

from decimal import Decimal

import pytest

from opencustoms.clearance.duty import Incoterm
from opencustoms.clearance.goods_io import read_goods
from opencustoms.clearance.tariff import Unit
from opencustoms.kernel.errors import InvalidInput

ITEM = {
    "hs_code": "6403.99.0000",
    "rate_type": "a",
    "price": "1,250.50",
    "currency": "usd",
    "incoterm": "cif",
    "net_mass": 12,
    "quantity": "40",
    "quantity_unit": "U",
}


def test_an_item_is_read_with_its_edition_currency_and_units():
    goods = read_goods(ITEM, "items[0]")
    assert (goods.code.digits, goods.code.edition.value) == ("6403990000", "HS2017")
    assert (goods.rate_type, goods.incoterm, goods.quantity_unit) == ("A", Incoterm.CIF, Unit.UNIT)
    assert (goods.price.amount, goods.price.currency.code) == (Decimal("1250.50"), "USD")
    assert goods.net_mass == Decimal(12)
    assert goods.freight is None


def test_every_problem_is_reported_at_its_path():
    bad = ITEM | {"price": 12.5, "net_mass": "-1", "quantity_unit": "box", "currency": "XYZ"}
    del bad["rate_type"]
    with pytest.raises(InvalidInput) as e:
        read_goods(bad, "items[3]")
    assert {f.field for f in e.value.findings} == {
        "items[3].price",
        "items[3].net_mass",
        "items[3].quantity_unit",
        "items[3].currency",
        "items[3].rate_type",
    }
    with pytest.raises(InvalidInput, match=r"items\[0\]\.quantity_unit: required with a quantity"):
        read_goods({k: v for k, v in ITEM.items() if k != "quantity_unit"}, "items[0]")
    with pytest.raises(InvalidInput, match="expected an object"):
        read_goods(["not", "an", "item"], "items[0]")


@pytest.mark.parametrize("price", ["1e-999999999", "1,5", "1.000,50", "-0", "١٢٣", "1_000", "1e3"])
def test_a_number_is_plain_digits_with_an_optional_point(price):
    with pytest.raises(InvalidInput, match="is not a number of 0 or more"):
        read_goods(ITEM | {"price": price}, "items[0]")


def test_thousands_separators_and_long_decimals_are_read_exactly():
    assert read_goods(ITEM | {"price": "1,250,000.5"}, "i").price.amount == Decimal("1250000.5")
    # the dataset's values carry floating-point artefacts; they are kept, then rounded in law
    assert read_goods(ITEM | {"price": "4897.0999999999985"}, "i").price.amount == Decimal(
        "4897.0999999999985"
    )
    with pytest.raises(InvalidInput, match="is too large"):
        read_goods(ITEM | {"price": "1000000000000"}, "items[0]")


def test_a_code_that_lost_its_leading_zero_gets_it_back():
    assert read_goods(ITEM | {"hs_code": "910111000"}, "i").code.digits == "0910111000"
    assert read_goods(ITEM | {"hs_code": "0901.21.100"}, "i").code.digits == "090121100"
