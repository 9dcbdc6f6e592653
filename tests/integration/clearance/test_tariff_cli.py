"""`opencustoms tariff`: a code's rates, a schedule file checked, duty quoted for items
(nothing stored, so no database)."""

import json

import pytest

from opencustoms.cli.main import run
from tests.samples import CLEARANCE_ITEM


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENCUSTOMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OPENCUSTOMS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.delenv("OPENCUSTOMS_LOCALE", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")

    def call(*args):
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


ITEM = CLEARANCE_ITEM


def test_a_codes_rates_are_shown_by_rate_type(cli):
    code, out, _ = cli("tariff", "show", "3926.90.9000", "--on", "2020-06-01")
    assert code == 0
    assert "3926.90.9000 (HS2017) on 2020-06-01:" in out
    assert "FCN1  3.9%" in out
    assert "preferential rate of kcfta" in out
    assert "A     8%" in out
    assert "basic rate" in out
    code, out, _ = cli(
        "tariff", "show", "3926909000", "--type", "c", "--on", "2021-02-01", "--json"
    )
    assert json.loads(out) == [
        {
            "code": "3926909000",
            "edition": "HS2017",
            "rate_type": "C",
            "name": "WTO concession rate",
            "duty": "6.5%",
            "valid_from": "2021-01-01",
            "valid_to": None,
            "source": "observed in 177 of 177 declarations of 2021",
        }
    ]
    code, _, err = cli("tariff", "show", "392690", "--type", "FCN1", "--on", "2020-06-01")
    assert code == 2
    assert "declare the national code" in err


def test_duty_is_quoted_with_its_arithmetic(cli, tmp_path, monkeypatch):
    items = tmp_path / "items.json"
    items.write_text(json.dumps({"date": "2020-06-01", "items": [ITEM]}), encoding="utf-8")
    rates = tmp_path / "rates.csv"
    rates.write_text("valid_from,from_currency,to_currency,rate\n2020-05-25,USD,KRW,1200.50\n")
    code, out, _ = cli("tariff", "quote", items, "--rates", rates, "--json")
    assert code == 0
    quoted = json.loads(out)
    # 1,125 USD x 1,200.50 = 1,350,562 won; 3.9 % = 52,671; VAT 10 % of 1,403,233 = 140,323
    assert (quoted["items"][0]["customs_value"], quoted["items"][0]["duty"]) == ("1350562", "52671")
    assert (quoted["duty"], quoted["vat"], quoted["total"]) == ("52670", "140320", "192990")
    assert quoted["schedule"].startswith("KR derived ")
    code, out, _ = cli("tariff", "quote", items, "--rates", rates)
    assert "customs value 1,350,562 KRW" in out
    assert "3.9% of 1,350,562 KRW = 52,671.918 KRW" in out
    assert "duty on the declaration 52,670 KRW" in out
    monkeypatch.setenv("OPENCUSTOMS_LOCALE", "ko")
    code, out, _ = cli("tariff", "quote", items, "--rates", rates)
    assert code == 0
    assert "과세가격" in out


def test_a_bad_quote_says_every_problem_with_its_place(cli, tmp_path):
    items = tmp_path / "items.json"
    bad = ITEM | {"hs_code": "39x6", "price": 12.5, "incoterm": "FOBB", "currency": "XYZ"}
    items.write_text(json.dumps({"date": "2020-06-01", "items": [bad]}), encoding="utf-8")
    code, _, err = cli("tariff", "quote", items)
    assert code == 2
    assert "items[0].price: write the number as a string" in err
    assert "items[0].incoterm: 'FOBB' is not an Incoterm 2020" in err
    assert "XYZ" in err
    assert "39x6" in err
    assert "Internal error" not in err
    items.write_text(json.dumps({"date": "2020-06-01", "items": [ITEM]}), encoding="utf-8")
    code, _, err = cli("tariff", "quote", items)  # a dollar price and no rates
    assert code == 2
    assert "No exchange rate from USD to KRW applies on 2020-06-01" in err
    for broken in ("{not json", "[" * 100_000, "1" * 5000):
        items.write_text(broken, encoding="utf-8")
        code, _, err = cli("tariff", "quote", items)
        assert code == 2
        assert "is not JSON" in err


HEADER = "code,edition,rate_type,valid_from,valid_to,duty,source\n"


def test_a_schedule_file_is_checked_line_by_line(cli, tmp_path):
    good, bad = tmp_path / "schedule.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + '0201100000,HS2017,A,2020-01-01,,"max(40%, 1000 KRW/kg)",Tariff Act\n')
    bad.write_text(HEADER + "0201100000,HS2017,A,2020-01-01,,40 percent,x\n")
    code, out, _ = cli("tariff", "check", good)
    assert (code, "1 tariff lines, no problems" in out) == (0, True)
    code, out, _ = cli("tariff", "show", "0201.10", "--on", "2021-01-01", "--schedule", good)
    assert "max(40%, 1000 KRW/kg)" in out
    code, _, err = cli("tariff", "check", bad)
    assert code == 2
    assert "bad.csv, line 2" in err
    assert "is not a duty" in err
