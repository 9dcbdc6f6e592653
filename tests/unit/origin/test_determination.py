"""Determinations under real agreements: tolerance, cumulation, roll-up, "ex" choice, the veto."""

import json
from datetime import date

import pytest

from opencustoms.kernel.errors import InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.agreements import AgreementCatalogue, determine
from opencustoms.origin.bom_io import read_json
from opencustoms.origin.determination import Verdict

DAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def catalogue():
    return AgreementCatalogue()


def _bom(
    hs, materials, *, exw="1000", processes=("machining",), rule_set=None, edition=HsEdition.HS2022
):
    product = {
        "hs": hs,
        "description": "product",
        "ex_works_price": exw,
        "fob_price": exw,
        "currency": "EUR",
        "processes": list(processes),
    }
    if rule_set:
        product["rule_set"] = rule_set
    return read_json(json.dumps({"product": product, "materials": materials}), "b.json", edition)


def _m(hs, value, **kw):
    return {"hs": hs, "description": hs, "value": str(value), **kw}


def test_cth_failing_line_within_the_10_percent_tolerance(catalogue):
    # UK–Korea, heading 8466: CTH or MaxNOM 45%. A 60% non-originating input of 8466
    # fails both; an 8% one of 8466 alone fails the CTH but is tolerated (Article 5(2)).
    bom = _bom("8466.20", [_m("8466.93", 80), _m("7214.20", 400)])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.ORIGINATING
    assert d.criterion == "CTH"
    assert d.tolerance_used == "8.00% of EXW <= 10% (lines 1)"
    from opencustoms import presenters

    evidence = presenters.determination(d)["evidence"]
    tolerance = next(e for e in evidence if e["kind"] == "general tolerance")
    assert "sufficiently-worked.md, Article 5(2) and (3)" in tolerance["reference"]


def test_no_tolerance_beyond_its_share(catalogue):
    bom = _bom("8466.20", [_m("8466.93", 120), _m("7214.20", 400)])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.NOT_ORIGINATING
    assert d.tolerance_used is None
    assert "exceed the general tolerance" in " ".join(d.notes)


def test_no_tolerance_for_textiles_of_chapters_50_to_63(catalogue):
    # a cotton T-shirt (6109.10): the rule is "manufacture from yarn"; non-originating
    # fabric of 5208 fails, and Article 5(3) excludes chapters 50-63 from the tolerance
    bom = _bom("6109.10", [_m("5208.12", 50), _m("5204.11", 10)], processes=["knitting"])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is not Verdict.ORIGINATING
    assert "does not apply to this product's chapter" in " ".join(d.notes)


def test_cumulation_counts_partner_materials_with_a_proof(catalogue):
    proof = {"kind": "proof-of-origin", "reference": "EUR-1", "valid_from": "2026-01-01"}
    german = _m("8466.93", 600, origin_country="DE", originating=True, evidence=proof)
    bom = _bom("8466.20", [german, _m("7214.20", 100)])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.ORIGINATING  # EU materials count under diagonal cumulation
    assert d.cumulation_lines == (1,)
    chinese = _m("8466.93", 600, origin_country="CN", originating=True, evidence=proof)
    d = determine(catalogue, "uk-south-korea", _bom("8466.20", [chinese, _m("7214.20", 100)]), DAY)
    assert d.verdict is Verdict.NOT_ORIGINATING  # no cumulation with China


def test_a_sub_assembly_rolls_up_when_it_originates(catalogue):
    sub = {
        "product": {
            "hs": "8466.93",
            "description": "part",
            "ex_works_price": "500",
            "currency": "EUR",
        },
        "materials": [_m("7214.20", 100)],
    }
    made = _m("8466.93", 500, originating=True, evidence={"kind": "self-produced"}, bom=sub)
    d = determine(catalogue, "uk-south-korea", _bom("8466.20", [made, _m("7318.15", 100)]), DAY)
    assert d.verdict is Verdict.ORIGINATING
    assert d.rolled_up_lines == (1,)


def test_an_ex_heading_needs_the_bom_to_name_its_rule_set(catalogue):
    bom = _bom("0902.10", [_m("0902.40", 100)], processes=["blending"])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.INSUFFICIENT_DATA
    assert [c.heading for c in d.candidates] == ["090210", "ex 0902"]
    named = _bom("0902.10", [_m("0902.40", 100)], processes=["blending"], rule_set="090210")
    assert determine(catalogue, "uk-south-korea", named, DAY).rule_set.heading == "090210"
    with pytest.raises(InvalidInput) as e:
        determine(
            catalogue,
            "uk-south-korea",
            _bom("0902.10", [_m("0902.40", 1)], rule_set="ex 9999"),
            DAY,
        )
    assert "covered by 090210, ex 0902" in e.value.finding.render()


def test_insufficient_operations_veto(catalogue):
    # every material originating, but only "simple painting" was done: no origin
    wo = {"kind": "wholly-obtained"}
    bom = _bom(
        "8466.20",
        [_m("7214.20", 100, originating=True, evidence=wo)],
        processes=["simple painting"],
    )
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.NOT_ORIGINATING
    assert "insufficient operation" in " ".join(d.notes)


def test_rcep_ctsh_or_rvc40_under_its_own_edition(catalogue):
    # Annex 3A, 8517.12: "CTSH or RVC40" (HS 2012); Article 3.5(1)(a) build-down
    parts = _bom("8517.12", [_m("8517.70", 500)], exw="1000", edition=HsEdition.HS2012)
    assert determine(catalogue, "rcep", parts, DAY).criterion == "CTSH"
    same = _bom("8517.12", [_m("8517.12", 500)], exw="1000", edition=HsEdition.HS2012)
    d = determine(catalogue, "rcep", same, DAY)
    assert d.verdict is Verdict.ORIGINATING
    assert d.criterion == "RVC"  # (1000 - 500) / 1000 = 50% >= 40%
    worse = _bom("8517.12", [_m("8517.12", 700)], exw="1000", edition=HsEdition.HS2012)
    assert determine(catalogue, "rcep", worse, DAY).verdict is Verdict.INSUFFICIENT_DATA
    # 30% build-down fails; build-up needs labour and overhead the BOM lacks
