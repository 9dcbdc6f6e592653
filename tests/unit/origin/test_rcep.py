"""RCEP Annex 3A's coded rules (Headnote 7) and the rows opencustoms ships."""

import pytest

from opencustoms.origin.compiler.fidelity import lost_facts
from opencustoms.origin.compiler.rcep import read_rcep
from opencustoms.origin.notation import render
from opencustoms.origin.rcep import rcep_rule_sets
from opencustoms.origin.rules import NeedsReview


@pytest.mark.parametrize(
    ("printed", "notation"),
    [
        ("CC", "CC"),
        ("WO", "WO"),
        ("CTH or RVC40", "CTH | RVC(build-down, FOB) >= 40% | RVC(build-up, FOB) >= 40%"),
        ("CC except from Chapter 01", "CC except 01"),
        ("CC except from subheading 1211.20", "CC except 121120"),
        ("CR", 'Process("chemical reaction (Annex 3A, Headnote 7(f))")'),
    ],
)
def test_codes(printed, notation):
    assert render(read_rcep(printed)) == notation


@pytest.mark.parametrize("printed", ["CTH or something", "RVC", "CTH except from 12x"])
def test_unknown_codes_are_kept_for_review(printed):
    node = read_rcep(printed)
    assert isinstance(node, NeedsReview)
    assert node.text == printed


def test_every_shipped_row_compiles_faithfully():
    rows = rcep_rule_sets()
    assert len(rows) == 55
    for row in rows:
        assert not row.rule.needs_review, row.heading
        assert lost_facts(row.rule.text, row.rule.criteria) == []
        assert row.rule.source.hs_edition.value == "HS2012"
