"""Tariff schedules: duties read as printed, lines found by code, rate type and date, and
schedule files refused with the line and column of each problem."""

from datetime import date
from decimal import Decimal

import pytest

from opencustoms.clearance.tariff import (
    AdValorem,
    Compound,
    HigherOf,
    Specific,
    Unit,
    parse_duty,
    parse_schedule,
)
from opencustoms.kernel.errors import InvalidInput, NotFound
from opencustoms.kernel.hs import HsCode

HEADER = "code,edition,rate_type,valid_from,valid_to,duty,source\n"


def _schedule(*rows: str):
    return parse_schedule(HEADER + "".join(r + "\n" for r in rows), "test.csv", "test", "1")


@pytest.mark.parametrize(
    "text",
    ["8%", "0%", "6.5%", "1250 KRW/kg", "30 KRW/u", "900 KRW/l", "8% + 300 KRW/kg",
     "max(8%, 1000 KRW/kg)", "max(3% + 10 KRW/kg, 50 KRW/kg)"],
)  # fmt: skip
def test_a_duty_reads_back_as_it_prints(text):
    assert str(parse_duty(text)) == text


def test_duties_are_values_of_their_kind():
    assert parse_duty("8%") == AdValorem(Decimal(8))
    specific = parse_duty("1,250 KRW/kg")
    assert isinstance(specific, Specific)
    assert (specific.amount.amount, specific.per) == (Decimal(1250), Unit.KG)
    assert isinstance(parse_duty("8% + 300 KRW/kg"), Compound)
    assert isinstance(parse_duty("MAX(8%, 300 KRW/kg)"), HigherOf)


@pytest.mark.parametrize(
    "text", ["", "8", "eight%", "-1%", "1001%", "300 KRW", "300 ABC/kg", "300 KRW/box", "max(8%)"]
)
def test_what_is_not_a_duty_says_how_to_write_one(text):
    with pytest.raises(InvalidInput, match="is not a duty: write 8%"):
        parse_duty(text)


def test_the_line_in_force_on_the_date_is_found():
    s = _schedule(
        "3926909000,HS2017,FCN1,2020-01-01,2020-12-31,3.9%,2020 schedule",
        "3926909000,HS2017,FCN1,2021-01-01,,3.4%,2021 schedule",
        "3926909000,HS2017,A,2020-01-01,,8%,basic",
    )
    code = HsCode("3926909000", "HS2017")
    assert str(s.line(code, "FCN1", date(2020, 12, 31)).duty) == "3.9%"
    assert str(s.line(code, "FCN1", date(2021, 1, 1)).duty) == "3.4%"
    assert [x.rate_type for x in s.rates(code, date(2021, 6, 1))] == ["A", "FCN1"]
    with pytest.raises(NotFound, match=r"no FCN1 rate for 3926\.90\.9000 \(HS2017\) on 2019-12-31"):
        s.line(code, "FCN1", date(2019, 12, 31))
    with pytest.raises(NotFound, match="no C rate"):
        s.line(code, "C", date(2020, 6, 1))
    with pytest.raises(NotFound, match="HS2022"):  # a code of another edition finds nothing
        s.line(HsCode("3926909000", "HS2022"), "A", date(2020, 6, 1))


def test_a_line_at_a_shorter_code_covers_the_codes_under_it():
    s = _schedule("392690,HS2017,C,2020-01-01,,6.5%,subheading")
    assert str(s.line(HsCode("3926909000", "HS2017"), "C", date(2020, 6, 1)).duty) == "6.5%"


def test_an_hs6_code_answers_only_when_its_national_lines_agree():
    s = _schedule(
        "3926901000,HS2017,A,2020-01-01,,8%,basic",
        "3926909000,HS2017,A,2020-01-01,,8%,basic",
        "3926901000,HS2017,FCN1,2020-01-01,,3.4%,kcfta",
        "3926909000,HS2017,FCN1,2020-01-01,,3.9%,kcfta",
    )
    six = HsCode("392690", "HS2017")
    assert str(s.line(six, "A", date(2020, 6, 1)).duty) == "8%"
    with pytest.raises(NotFound, match="3926901000, 3926909000\\): declare the national code"):
        s.line(six, "FCN1", date(2020, 6, 1))


def test_a_leading_zero_dropped_by_a_spreadsheet_is_restored():
    s = _schedule("901211000,HS2017,A,2020-01-01,,8%,basic")
    assert s.line(HsCode("0901211000", "HS2017"), "A", date(2020, 6, 1)).code.digits == "0901211000"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("39269090AB,HS2017,A,2020-01-01,,8%,x", "line 2, column code"),
        ("3926,HS2017,A,2020-01-01,,8%,x", "column code: '3926' is not a code of 6 to 10 digits"),
        ("3926909000,HS2017,a b,2020-01-01,,8%,x", "column rate_type"),
        ("3926909000,HS2017,A,2020-13-01,,8%,x", "column valid_from: '2020-13-01' is not a date"),
        ("3926909000,HS2017,A,2020-02-01,2020-01-01,8%,x", "column valid_to"),
        ("3926909000,HS2017,A,2020-01-01,,eight,x", "line 2, column duty"),
        ("3926909000,HS1996,A,2020-01-01,,8%,x", "line 2, column code"),
    ],
)
def test_a_bad_schedule_row_is_refused_with_its_line_and_column(row, message):
    with pytest.raises(InvalidInput, match=message.replace("(", "\\(")):
        _schedule(row)


def test_overlapping_lines_for_a_code_and_rate_type_are_refused():
    with pytest.raises(InvalidInput, match="line 3: 3926909000 A overlaps line 2"):
        _schedule(
            "3926909000,HS2017,A,2020-01-01,,8%,x",
            "3926909000,HS2017,A,2021-01-01,,6%,x",
        )


def test_a_wrong_header_is_refused():
    with pytest.raises(InvalidInput, match="the header must be"):
        parse_schedule("hs,rate\n", "x.csv", "x", "1")


@pytest.mark.parametrize("text", ["-500 KRW/kg", "1e3 KRW/kg", "1e-999%", "5,0%", "١٢%"])
def test_a_duty_is_written_in_plain_digits_never_negative(text):
    with pytest.raises(InvalidInput, match="is not a duty"):
        parse_duty(text)


def test_an_hs6_code_answers_only_when_every_national_line_under_it_has_the_rate():
    s = _schedule(
        "0106191000,HS2017,FEU1,2020-01-01,,0%,x",
        "0106199000,HS2017,A,2020-01-01,,8%,x",
        "0106199000,HS2017,FEU1,2020-01-01,,0%,x",
    )
    six = HsCode("010619", "HS2017")
    assert str(s.line(six, "FEU1", date(2020, 6, 1)).duty) == "0%"
    # 0106.19.1000 has no basic rate here: the subheading has no one rate
    with pytest.raises(NotFound, match="declare the national code") as e:
        s.line(six, "A", date(2020, 6, 1))
    assert e.value.finding.field == "hs_code"


def test_national_lines_under_a_subheadings_line_are_not_hidden_by_it():
    s = _schedule(
        "090121,HS2017,A,2020-01-01,,8%,x",
        "0901211000,HS2017,A,2020-01-01,,2%,x",
        "0901212000,HS2017,A,2020-01-01,,3%,x",
    )
    with pytest.raises(NotFound, match="declare the national code"):
        s.line(HsCode("090121", "HS2017"), "A", date(2020, 6, 1))
    assert str(s.line(HsCode("0901219000", "HS2017"), "A", date(2020, 6, 1)).duty) == "8%"


def test_a_schedule_names_each_lines_edition_and_may_start_with_a_bom():
    with pytest.raises(InvalidInput, match="column edition"):
        _schedule("3926909000,,A,2020-01-01,,8%,x")
    text = "\ufeff" + HEADER + "3926909000,HS2017,A,2020-01-01,,8%,x\n"
    assert len(parse_schedule(text, "bom.csv", "bom", "1")) == 1
