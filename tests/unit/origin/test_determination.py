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


def _made(hs, value):
    """A sub-assembly the producer made of one non-originating steel bar."""
    sub = {
        "product": {
            "hs": hs,
            "description": "part",
            "ex_works_price": "500",
            "currency": "EUR",
            "processes": ["forging"],
        },
        "materials": [_m("7214.20", 100)],
    }
    return _m(hs, value, originating=True, evidence={"kind": "self-produced"}, bom=sub)


def test_a_sub_assembly_rolls_up_when_it_originates(catalogue):
    made = _made("8466.93", 500)
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
    assert "name one of: '090210'; 'ex 0902'" in e.value.finding.render()


def test_rule_sets_sharing_a_heading_are_named_by_their_description(catalogue):
    # 5208 to 5212 has two rule sets: "Incorporating rubber thread" and "Other"
    bom = _bom("5208.12", [_m("5205.12", 300)], processes=["weaving"])
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.INSUFFICIENT_DATA
    from opencustoms import presenters

    report = presenters.determination(d)
    assert report["candidates"] == [
        "5208 to 5212: Incorporating rubber thread",
        "5208 to 5212: Other",
    ]
    texts = [e for e in report["evidence"] if e["kind"] == "candidate rule set"]
    assert [e["name"] for e in texts] == report["candidates"]
    assert all(e["text"] for e in texts)  # each with its legal text, to choose by
    named = _bom("5208.12", [_m("5205.12", 300)], rule_set="5208 to 5212:  other")
    assert determine(catalogue, "uk-south-korea", named, DAY).rule_set.description.endswith("Other")
    with pytest.raises(InvalidInput) as e:
        determine(
            catalogue,
            "uk-south-korea",
            _bom("5208.12", [_m("5205.12", 300)], rule_set="5208 to 5212"),
            DAY,
        )
    assert "name one of: '5208 to 5212: Incorporating rubber thread'" in e.value.finding.render()


def test_insufficient_operations_veto(catalogue):
    # a steel bar of no party (it changes heading), but only "simple painting" was done
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


def _rcep_rule(catalogue, notation):
    """An RCEP rule set with the given criteria (the shipped rows have no textile lines)."""
    from dataclasses import replace

    from opencustoms.origin.notation import parse_criteria

    rs = catalogue.rules_for("rcep", "8517.12", HsEdition.HS2012).candidates[0]
    return replace(rs, rule=replace(rs.rule, criteria=parse_criteria(notation)))


def _textile(materials, weight="100"):
    bom = {
        "product": {
            "hs": "5208.11",
            "description": "cotton fabric",
            "fob_price": "1000",
            "currency": "USD",
            "weight_kg": weight,
            "processes": ["weaving"],
        },
        "materials": materials,
    }
    return read_json(json.dumps(bom), "t.json", HsEdition.HS2012)


def test_rcep_de_minimis_by_weight_for_chapters_50_to_63(catalogue):
    # Article 3.7(1): 10 % of FOB (a), or for Chapters 50-63 10 % of the weight (b)
    from opencustoms import presenters
    from opencustoms.origin.determination import determine as run

    profile = catalogue.agreement("rcep").profile
    rule = [_rcep_rule(catalogue, "CTH")]

    def sub(_bom):
        return Verdict.NOT_ORIGINATING

    heavy_value = _textile([_m("5208.19", 200, weight_kg="8"), _m("5201.00", 300)])
    d = run("rcep", heavy_value, rule, profile, DAY, sub)
    assert d.verdict is Verdict.ORIGINATING
    assert d.tolerance_used == "8.00% of weight <= 10% (lines 1)"
    cited = next(
        e for e in presenters.determination(d)["evidence"] if e["kind"] == "general tolerance"
    )
    assert cited["reference"].endswith("Article 3.7(1)(b)")
    light_value = _textile([_m("5208.19", 50, weight_kg="30"), _m("5201.00", 300)])
    assert run("rcep", light_value, rule, profile, DAY, sub).tolerance_used == (
        "5.00% of FOB <= 10% (lines 1)"
    )
    neither = _textile([_m("5208.19", 200, weight_kg="30"), _m("5201.00", 300)])
    d = run("rcep", neither, rule, profile, DAY, sub)
    assert d.verdict is Verdict.NOT_ORIGINATING
    assert any("exceeds the tolerance by weight" in n for n in d.notes)
    unweighed = _textile([_m("5208.19", 200), _m("5201.00", 300)], weight=None)
    d = run("rcep", unweighed, rule, profile, DAY, sub)
    assert d.verdict is Verdict.INSUFFICIENT_DATA  # the weight could still carry it
    over = _textile([_m("5208.19", 200, weight_kg="30"), _m("5208.19", 50), _m("5201.00", 300)])
    d = run("rcep", over, rule, profile, DAY, sub)
    assert d.verdict is Verdict.NOT_ORIGINATING  # 30 % known already: a missing weight cannot help


def test_roll_up_follows_the_profiles_absorption(catalogue):
    from dataclasses import replace

    from opencustoms.origin.determination import determine as run
    from opencustoms.origin.profile import Flag

    made = _made("8466.93", 600)
    bom = _bom("8466.20", [made, _m("7318.15", 100)])
    candidates = catalogue.rules_for("uk-south-korea", bom.product.hs).candidates
    profile = catalogue.agreement("uk-south-korea").profile

    def sub(_bom):
        return Verdict.ORIGINATING

    d = run("uk-south-korea", bom, candidates, profile, DAY, sub)
    assert d.verdict is Verdict.ORIGINATING
    assert d.rolled_up_lines == (1,)
    assert ("absorption", profile.absorption.cite) in d.general_rules
    no_absorption = replace(profile, absorption=Flag(False, profile.absorption.cite))
    d = run("uk-south-korea", bom, candidates, no_absorption, DAY, sub)
    assert d.rolled_up_lines == ()
    assert d.verdict is Verdict.NOT_ORIGINATING  # 8466.93 fails CTH; 60 % is over MaxNOM 45 %
    assert any("absorption does not apply" in n for n in d.notes)
    unrecorded = replace(profile, absorption=None)
    d = run("uk-south-korea", bom, candidates, unrecorded, DAY, sub)
    assert d.rolled_up_lines == (1,)
    assert any("does not record absorption" in n for n in d.notes)


def test_a_set_without_a_sets_rule_is_decided_by_its_product_rule(catalogue):
    from dataclasses import replace

    from opencustoms.origin.determination import determine as run

    bom = read_json(
        json.dumps(
            {
                "product": {
                    "hs": "4202.31",
                    "description": "gift set",
                    "ex_works_price": "1000",
                    "currency": "EUR",
                    "set": "3(b)",
                },
                "materials": [_m("4202.32", 200)],
            }
        ),
        "s.json",
        HsEdition.HS2022,
    )
    candidates = catalogue.rules_for("uk-south-korea", bom.product.hs).candidates
    profile = catalogue.agreement("uk-south-korea").profile
    d = run("uk-south-korea", bom, candidates, profile, DAY, lambda b: Verdict.ORIGINATING)
    assert d.criterion is None
    assert d.verdict is Verdict.NOT_ORIGINATING
    assert d.general_rules
    assert d.general_rules[0][0] == "sets"
    d = run(
        "uk-south-korea",
        bom,
        candidates,
        replace(profile, sets=None),
        DAY,
        lambda b: Verdict.ORIGINATING,
    )
    assert d.verdict is Verdict.NOT_ORIGINATING  # the CTH fails on the key case of 4202
    assert any("records no rule for sets" in n for n in d.notes)


def test_originating_materials_count_only_from_a_party_or_partner(catalogue):
    # UK–Korea: a supplier's declaration for a US part, wholly obtained goods of China
    declared = {"kind": "supplier-declaration", "reference": "SD-1", "valid_to": "2026-12-31"}
    bom = _bom(
        "8466.20",
        [
            _m("8466.93", 600, originating=True, evidence=declared, origin_country="US"),
            _m(
                "7214.20",
                100,
                originating=True,
                evidence={"kind": "wholly-obtained"},
                origin_country="CN",
            ),
        ],
    )
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    assert d.verdict is Verdict.NOT_ORIGINATING  # 8466.93 fails CTH, 70 % is over 45 %
    assert d.originating_lines == ()
    assert any("not a party or a cumulation partner" in n for n in d.notes)


def test_a_product_of_wholly_obtained_materials_is_wholly_obtained(catalogue):
    wo = {"kind": "wholly-obtained"}
    bom = _bom("8466.20", [_m("7214.20", 100, originating=True, evidence=wo, origin_country="KR")])
    assert determine(catalogue, "uk-south-korea", bom, DAY).criterion == "WO"


def test_an_undecided_sub_assembly_leaves_a_failing_product_undecided(catalogue):
    # the sub-assembly gives only an FOB price, and its rule's MaxNOM needs the ex-works price
    sub = {
        "product": {"hs": "8466.93", "description": "part", "fob_price": "500", "currency": "EUR"},
        "materials": [_m("8466.93", 300)],
    }
    made = _m("8466.93", 600, originating=True, evidence={"kind": "self-produced"}, bom=sub)
    d = determine(catalogue, "uk-south-korea", _bom("8466.20", [made]), DAY)
    assert d.verdict is Verdict.INSUFFICIENT_DATA
    assert any("sub-assembly's own determination" in n for n in d.notes)


def test_listed_operations_are_matched_by_name_and_simplicity(catalogue):
    # UK–Korea Article 6(1): "sifting, screening, sorting, ..." and "sharpening,
    # simple grinding or simple cutting"
    def verdict(*processes):
        bom = _bom("8466.20", [_m("7214.20", 100)], processes=processes)
        return determine(catalogue, "uk-south-korea", bom, DAY).verdict

    assert verdict("sorting") is Verdict.NOT_ORIGINATING
    assert verdict("simple cutting", "testing") is Verdict.NOT_ORIGINATING
    assert verdict("cutting") is Verdict.ORIGINATING  # not said to be simple
    assert verdict("assembly") is Verdict.ORIGINATING  # not "simple assembly of parts"
    assert verdict("polishing") is Verdict.ORIGINATING  # listed only "... of cereals and rice"
    assert verdict() is Verdict.INSUFFICIENT_DATA  # non-originating steel, no processes
    wo = {"kind": "wholly-obtained"}
    own = _bom(
        "8466.20",
        [_m("7214.20", 100, originating=True, evidence=wo, origin_country="KR")],
        processes=(),
    )
    assert determine(catalogue, "uk-south-korea", own, DAY).verdict is Verdict.ORIGINATING


def test_an_undecided_component_leaves_a_failing_set_undecided(catalogue):
    sub = {
        "product": {
            "hs": "8204.11",
            "description": "spanners",
            "fob_price": "300",
            "currency": "EUR",
        },
        "materials": [_m("7214.20", 100)],
    }
    spanners = _m("8204.11", 300, originating=True, evidence={"kind": "self-produced"}, bom=sub)
    bom = read_json(
        json.dumps(
            {
                "product": {
                    "hs": "8206.00",
                    "description": "tool set",
                    "ex_works_price": "1000",
                    "currency": "EUR",
                    "set": "3(c)",
                    "processes": ["assembly"],
                },
                "materials": [spanners, _m("8205.20", 100)],
            }
        ),
        "s.json",
        HsEdition.HS2022,
    )
    d = determine(catalogue, "uk-south-korea", bom, DAY)
    # 40 % non-originating as counted; 10 % (within 15 %) if the spanners originate
    assert d.verdict is Verdict.INSUFFICIENT_DATA
