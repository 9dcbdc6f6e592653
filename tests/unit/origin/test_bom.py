"""Bills of materials: one format in JSON, CSV and XLSX; every problem at once, with its place."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from opencustoms.kernel.errors import InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.bom import EvidenceKind
from opencustoms.origin.bom_io import COLUMNS, read_bom, read_csv, read_json

BOMS = Path(__file__).parents[2] / "fixtures" / "origin" / "boms"
ED = HsEdition.HS2022


def _xlsx_from_csv(text: str) -> bytes:
    import csv

    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_three_formats_give_the_same_bom():
    from_json = read_bom((BOMS / "lathe-parts.json").read_bytes(), "lathe-parts.json", ED)
    csv_text = (BOMS / "lathe-parts.csv").read_text()
    from_csv = read_bom(csv_text.encode(), "lathe-parts.csv", ED)
    from_xlsx = read_bom(_xlsx_from_csv(csv_text), "lathe-parts.xlsx", ED)
    assert from_json == from_csv == from_xlsx
    bom = from_json
    assert bom.product.hs.digits == "846620"
    assert bom.product.ex_works_price.amount == Decimal("1000.00")
    assert bom.product.processes == ("machining", "assembly")
    assert [m.line for m in bom.materials] == [1, 2, 3]
    assert bom.lines() == 5
    clamp = bom.materials[2]
    assert clamp.bom is not None
    assert clamp.bom.product.part == "CL-7"
    assert [m.description for m in clamp.bom.materials] == ["Bolts", "Forged jaw"]
    # the product's weight and costs, for tolerance by weight and the cost formulas
    assert bom.product.weight_kg == Decimal("40")
    costs = bom.product.costs
    assert [c.amount for c in costs.build_up().values() if c] == [
        Decimal("200.00"),
        Decimal("80.00"),
        Decimal("50.00"),
        Decimal("20.00"),
    ]
    assert costs.net_cost is not None
    assert costs.net_cost.amount == Decimal("900.00")
    assert bom.product.set_rule is None


def test_product_weight_costs_and_set_are_checked_like_any_column():
    header = ",".join(COLUMNS)
    product = dict.fromkeys(COLUMNS, "")
    product.update(
        level="0",
        hs="4202.31",
        description="Gift set",
        ex_works_price="100",
        currency="EUR",
        weight_kg="-2",
        set="GIR 3",
        labour_cost="lots",
    )
    material = dict.fromkeys(COLUMNS, "")
    material.update(level="1", hs="4202.32", description="Key case", value="10")
    text = "\n".join([header, ",".join(product.values()), ",".join(material.values())]) + "\n"
    with pytest.raises(InvalidInput) as e:
        read_csv(text, "set.csv", ED)
    messages = [f.render() for f in e.value.findings]
    for start in (
        "set.csv, line 2, weight_kg: '-2' must be zero or more",
        "set.csv, line 2, set: 'GIR 3' is not a subrule of GIR 3; write 3(a), 3(b), 3(c)",
        "set.csv, line 2, labour_cost: 'lots' is not a number",
    ):
        assert any(m.startswith(start) for m in messages), (start, messages)
    product.update(weight_kg="2", set="3(b)", labour_cost="")
    text = "\n".join([header, ",".join(product.values()), ",".join(material.values())]) + "\n"
    assert read_csv(text, "set.csv", ED).product.set_rule == "3(b)"


def test_originating_counts_only_on_valid_evidence():
    bom = read_json((BOMS / "lathe-parts.json").read_text(), "b.json", ED)
    steel, housings, clamp = bom.materials
    assert not steel.counts_as_originating(date(2026, 6, 1))
    assert housings.evidence.kind is EvidenceKind.SUPPLIER_DECLARATION
    assert housings.counts_as_originating(date(2026, 6, 1))
    assert not housings.counts_as_originating(date(2027, 1, 1))  # the declaration expired
    assert clamp.counts_as_originating(date(2027, 1, 1))  # self-produced: its own BOM decides
    bolts = clamp.bom.materials[0]
    assert bolts.originating is None
    assert not bolts.counts_as_originating(date(2026, 6, 1))  # unknown counts as non-originating


def test_every_problem_is_reported_at_once_with_its_place():
    header = ",".join(COLUMNS)
    rows = [
        "0,,,8466.20,Work holders,,,,,,,,,,,,1000,,EUR,,",
        "1,1,,84x1,Steel,,,abc,,ZZ,maybe,,,,,,,,,,",
        "1,2,,7214.20,,,,10,,,true,,,,,,,,,,",
        "3,3,,7214.20,Deep,,,10,,,,,,,,,,,,,",
    ]
    with pytest.raises(InvalidInput) as e:
        read_csv("\n".join([header, *rows]) + "\n", "bad.csv", ED)
    messages = [f.render() for f in e.value.findings]
    expected = [
        "bad.csv, line 3, hs:",
        "bad.csv, line 3, value: 'abc' is not a number",
        "bad.csv, line 3, origin_country:",
        "bad.csv, line 3, originating: 'maybe' is not true, false or empty",
        "bad.csv, line 4, description: a value is required here",
        "bad.csv, line 4, evidence: an originating material needs its evidence",
        "bad.csv, line 5, level: level 3 cannot follow level 1",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"product": {"hs": "8466.20"}}', "expected a list of at least one material"),
        ('{"materials": []}', "expected an object with 'product' and 'materials'"),
        ("{not json", "not valid JSON"),
        (
            json.dumps(
                {
                    "product": {"hs": "8466.20", "description": "x", "currency": "EUR"},
                    "materials": [{"hs": "7214.20", "description": "y", "value": "1"}],
                }
            ),
            "give the ex-works price or the FOB price",
        ),
        (
            json.dumps(
                {
                    "product": {
                        "hs": "8466.20",
                        "description": "x",
                        "currency": "EUR",
                        "ex_works_price": "1",
                    },
                    "materials": [
                        {
                            "hs": "7214.20",
                            "description": "y",
                            "value": "1",
                            "evidence": {
                                "kind": "supplier-declaration",
                                "valid_from": "2026-05-01",
                                "valid_to": "2026-01-01",
                            },
                        }
                    ],
                }
            ),
            "the validity ends before it begins",
        ),
    ],
)
def test_json_errors(text, words):
    with pytest.raises(InvalidInput) as e:
        read_json(text, "b.json", ED)
    assert any(words in f.render() for f in e.value.findings)


def test_a_part_that_contains_itself_is_refused():
    bom = json.loads((BOMS / "lathe-parts.json").read_text())
    bom["materials"][2]["bom"]["product"]["part"] = "WH-100"  # the clamp "is" the whole holder
    with pytest.raises(InvalidInput) as e:
        read_json(json.dumps(bom), "b.json", ED)
    assert "the part contains itself: WH-100 > WH-100" in e.value.finding.render()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"x", "bom.txt", "give a .json, .csv or .xlsx file"),
        (b"\xff\xfe", "bom.csv", "is not UTF-8 text"),
        (b"not a zip", "bom.xlsx", "is not a readable XLSX workbook"),
        (b"level,hs,description,value,colour\n", "bom.csv", "unknown column(s) colour"),
        (b"level,hs\n", "bom.csv", "the header lacks description, value"),
    ],
)
def test_files_that_are_not_boms(data, name, words):
    with pytest.raises(InvalidInput) as e:
        read_bom(data, name, ED)
    assert words in e.value.finding.render()


def test_to_json_reads_back_the_same_bom():
    from opencustoms.origin.bom_io import to_json

    bom = read_bom((BOMS / "lathe-parts.json").read_bytes(), "lathe-parts.json", ED)
    again = read_json(json.dumps(to_json(bom)), "again.json", ED)
    assert again == bom


def test_line_numbers_are_numbers_and_used_once_per_bom():
    header = ",".join(COLUMNS)
    product = dict.fromkeys(COLUMNS, "")
    product.update(level="0", hs="8466.20", description="W", ex_works_price="100", currency="EUR")
    rows = [",".join(product.values())]
    for line, currency in (("1", ""), ("1", ""), ("x", "KRW"), ("²", "")):
        m = dict.fromkeys(COLUMNS, "")
        m.update(level="1", line=line, hs="7214.20", description="S", value="1", currency=currency)
        rows.append(",".join(m.values()))
    with pytest.raises(InvalidInput) as e:
        read_csv("\n".join([header, *rows]) + "\n", "l.csv", ED)
    messages = [f.render() for f in e.value.findings]
    for start in (
        "l.csv, line 4, line: line 1 is numbered twice in this BOM",
        "l.csv, line 5, line: 'x' is not a line number",
        "l.csv, line 5, currency: amounts are in the product's currency, EUR",
        "l.csv, line 6, line: '²' is not a line number",
    ):
        assert any(m.startswith(start) for m in messages), (start, messages)
    bad = {
        "product": {
            "hs": "8466.20",
            "description": "W",
            "ex_works_price": "1",
            "currency": "EUR",
            "processes": 5,
        },
        "materials": [{"hs": "7214.20", "description": "S", "value": "1"}],
    }
    with pytest.raises(InvalidInput) as e:
        read_json(json.dumps(bad), "p.json", ED)
    assert "processes: expected the processes as a list of words" in e.value.finding.render()


def test_xlsx_date_cells_and_codes_typed_as_numbers():
    import datetime as dt

    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "level",
            "line",
            "hs",
            "description",
            "value",
            "ex_works_price",
            "currency",
            "originating",
            "evidence",
            "evidence_valid_to",
            "origin_country",
        ]
    )
    sheet.append([0, None, 8466.2, "Work holders", None, 1000, "EUR"])
    sheet.append([1, 2, 304.41, "Fish fillets", 5, None, None])
    sheet.append(
        [
            1,
            1,
            8483.3,
            "Housings",
            120,
            None,
            None,
            "true",
            "supplier-declaration",
            dt.datetime(2026, 12, 31),
            "KR",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    bom = read_bom(out.getvalue(), "typed.xlsx", ED)
    assert bom.product.hs.digits == "846620"
    fish, housings = bom.materials
    assert fish.hs.digits == "030441"  # chapter 03 kept its leading zero
    assert housings.hs.digits == "848330"
    assert housings.evidence.valid_to == date(2026, 12, 31)
