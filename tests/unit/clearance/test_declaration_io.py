"""Declarations read from JSON and from the customs declarations dataset's CSV, and
written back; every problem of a form is reported with its place."""

import collections
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from opencustoms.clearance.data import shipped_rate_types
from opencustoms.clearance.declaration import validate
from opencustoms.clearance.declaration_io import (
    ENGLISH,
    KOREAN,
    declaration_json,
    problems_at_line,
    read_dataset_csv,
    read_declaration,
)
from opencustoms.kernel.errors import InvalidInput
from tests.samples import CLEARANCE_ITEM

DATA = Path(__file__).parents[4] / "shared" / "data" / "customs-declarations"
ROW = (
    "97061800,2020-01-01,30,B,11,21,11,10,ZZR1LT6,QLRUBN9,0VKY2BR,,"
    "440890,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0"
)
DECLARATION = {
    "reference": "43210-21-000123",
    "date": "2021-02-01",
    "office": "30",
    "declarant": "ZZR1LT6",
    "importer": "QLRUBN9",
    "seller": "0VKY2BR",
    "transport_mode": "40",
    "items": [
        CLEARANCE_ITEM
        | {
            "origin": "cn",
            "proof": {"kind": "certificate", "reference": "K2021-1", "issued_on": "2021-01-20"},
        }
    ],
}


def test_a_declaration_reads_and_writes_back_the_same():
    d = read_declaration(DECLARATION)
    assert (d.reference, d.date, d.items[0].origin, d.items[0].departure) == (
        "43210-21-000123", date(2021, 2, 1), "CN", "CN"
    )  # fmt: skip
    assert d.items[0].proof.issued_on == date(2021, 1, 20)
    again = read_declaration(declaration_json(d))
    assert again == d


def test_every_problem_of_the_form_is_reported_at_its_path():
    bad = DECLARATION | {"date": "2021-02-30", "importer": None}
    bad["items"] = [
        DECLARATION["items"][0] | {"origin": "XX", "price": 1.5, "proof": {"kind": "paper"}},
        "x",
    ]
    with pytest.raises(InvalidInput) as e:
        read_declaration(bad)
    assert {f.field for f in e.value.findings} == {
        "date", "importer", "items[0].origin", "items[0].departure", "items[0].price",
        "items[0].proof.kind", "items[1]",
    }  # fmt: skip


def test_a_dataset_row_is_a_declaration_of_one_cif_item_in_won():
    text = ",".join(ENGLISH) + "\n" + ROW + "\n"
    [(line, d)] = list(read_dataset_csv(text, "rows.csv"))
    assert line == 2
    item = d.items[0]
    assert (d.reference, d.office, d.courier, d.transport_mode) == ("97061800", "30", None, "10")
    assert (item.goods.code.digits, item.goods.rate_type, item.origin) == ("440890", "FEU1", "BE")
    assert (item.goods.price.amount, item.goods.incoterm.value) == (Decimal("372254.4"), "CIF")
    # the dataset holds no proofs: a preference claimed there is refused for want of one
    found = validate(d, shipped_rate_types(), date(2026, 1, 1))
    assert [f.code for f in found] == ["declaration.proof_required"]


def test_the_korean_file_gives_ten_digit_codes_and_proof_columns_give_the_proof():
    header = ",".join(KOREAN) + ",Proof Type,Proof Reference,Proof Authority"
    row = ROW.replace(",440890,", ",4408909195,") + ",origin-declaration,BE-INV-42,"
    [(_, d)] = list(read_dataset_csv("\ufeff" + header + "\n" + row + "\n", "ko.csv"))
    assert d.items[0].goods.code.digits == "4408909195"
    assert (d.items[0].proof.kind.value, d.items[0].proof.reference) == (
        "origin-declaration",
        "BE-INV-42",
    )
    assert validate(d, shipped_rate_types(), date(2026, 1, 1)) == []


def test_a_bad_row_is_reported_at_its_line_and_the_others_still_read():
    text = ",".join(ENGLISH) + "\n" + ROW.replace(",BE,BE,", ",BE,B3,") + "\n" + ROW + "\n1,2\n"
    rows = list(read_dataset_csv(text, "rows.csv"))
    assert [(line, type(x).__name__) for line, x in rows] == [
        (2, "InvalidInput"), (3, "Declaration"), (4, "InvalidInput")
    ]  # fmt: skip
    [problem] = problems_at_line(rows[0][1], "rows.csv", 2)
    assert (
        problem.render()
        == "rows.csv, line 2: items[0].origin: 'B3' is not an ISO 3166 country code, e.g. CN"
    )
    with pytest.raises(InvalidInput, match="line 1: the header must be"):
        list(read_dataset_csv("a,b\n", "x.csv"))


def test_every_row_of_the_valid_split_reads_and_validates_with_known_findings():
    text = (DATA / "df_syn_valid_eng.csv").read_text(encoding="utf-8")
    codes = collections.Counter()
    rows = 0
    for _, d in read_dataset_csv(text, "valid.csv"):
        rows += 1
        assert not isinstance(d, InvalidInput), d
        codes.update(f.code for f in validate(d, shipped_rate_types(), date(2026, 1, 1)))
    assert rows == 8134
    # a third of the rows claim an FTA rate with no proof in the dataset; a few have no value
    assert set(codes) <= {
        "declaration.proof_required",
        "declaration.no_value",
        "declaration.no_mass",
        "declaration.country_unknown",
        "declaration.origin_not_party",  # British goods under FEU1 in 2021: the data's own
    }
    assert 2000 < codes["declaration.proof_required"] < 3500
