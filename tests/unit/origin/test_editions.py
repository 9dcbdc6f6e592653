"""A BOM's codes in the annex's edition: translated one-to-one, or refused with every line named."""

import json

import pytest

from opencustoms.kernel.correspondence import parse_correspondence
from opencustoms.kernel.errors import InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.bom_io import read_json, to_json
from opencustoms.origin.editions import in_edition

TABLE = parse_correspondence(
    "from_edition,from_code,to_edition,to_code\n"
    "HS2022,847130,HS2012,847130\n"
    "HS2022,850760,HS2012,850780\n"
    "HS2022,850760,HS2012,850790\n",
    "t.csv",
)


def _bom(product_edition=None, material_edition=None, sub=None):
    product = {"hs": "8471.30", "description": "laptop", "fob_price": "100", "currency": "USD"}
    if product_edition:
        product["hs_edition"] = product_edition
    battery = {"hs": "8507.60", "description": "battery", "value": "10"}
    if material_edition:
        battery["hs_edition"] = material_edition
    materials = [battery, {"hs": "8471.30", "description": "board", "value": "5"}]
    if sub:
        materials.append(
            {
                "hs": "8471.30",
                "description": "unit",
                "value": "20",
                "originating": True,
                "evidence": {"kind": "self-produced"},
                "bom": sub,
            }
        )
    return read_json(
        json.dumps({"product": product, "materials": materials}), "b.json", HsEdition.HS2012
    )


def test_codes_inherit_the_products_edition_and_a_line_may_name_its_own():
    default = _bom()
    assert {m.hs.edition for m in default.materials} == {HsEdition.HS2012}  # the annex's
    declared = _bom("HS2022", material_edition="HS2012")
    assert declared.product.hs.edition is HsEdition.HS2022
    assert [m.hs.edition for m in declared.materials] == [HsEdition.HS2012, HsEdition.HS2022]
    again = read_json(json.dumps(to_json(declared)), "again.json", HsEdition.HS2017)
    assert again == declared  # the JSON keeps each code's edition


def test_a_bad_edition_is_reported_with_its_place():
    with pytest.raises(InvalidInput) as e:
        _bom("HS2031")
    assert "bom product, hs_edition: 'HS2031' is not an HS edition" in e.value.finding.render()


def test_same_edition_is_left_alone():
    bom = _bom()
    assert in_edition(bom, HsEdition.HS2012, None, "rcep") == bom


def test_without_a_table_every_code_of_another_edition_is_named_at_once():
    with pytest.raises(InvalidInput) as e:
        in_edition(_bom("HS2022"), HsEdition.HS2012, None, "rcep")
    messages = [f.render() for f in e.value.findings]
    assert len(messages) == 3
    assert messages[0].startswith("product: 8471.30 is HS2022, and the rules of rcep are keyed")
    assert messages[1].startswith("line 1: 8507.60 is HS2022")


def test_a_table_translates_one_to_one_and_refuses_a_split():
    sub = {
        "product": {"hs": "8471.30", "description": "unit", "fob_price": "20", "currency": "USD"},
        "materials": [{"hs": "8471.30", "description": "board", "value": "5"}],
    }
    bom = _bom("HS2022", material_edition="HS2012", sub=sub)
    converted = in_edition(bom, HsEdition.HS2012, TABLE, "rcep")
    assert converted.product.hs.edition is HsEdition.HS2012
    assert converted.materials[2].bom.materials[0].hs.edition is HsEdition.HS2012  # nested too
    split = _bom("HS2022")
    with pytest.raises(InvalidInput) as e:
        in_edition(split, HsEdition.HS2012, TABLE, "rcep")
    assert e.value.finding.render() == (
        "line 1: 8507.60 (HS2022) corresponds to 2 codes of HS2012 (8507.80, 8507.90); "
        "give the HS2012 code that classifies this product or material."
    )
