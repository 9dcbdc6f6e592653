"""Compiled rules checked by a person: a sample across all 29 UK schemes and every kind of rule.

The fixture (tests/fixtures/origin/reviewed_rules.yaml) holds each published
text and the rule it means; the compiler must give exactly that rule.
"""

from pathlib import Path

import pytest

from opencustoms.origin.compiler.reader import read
from opencustoms.origin.notation import parse, render
from opencustoms.reference.yamlstrict import load_yaml_file

FIXTURE = Path(__file__).parents[2] / "fixtures" / "origin" / "reviewed_rules.yaml"
ENTRIES = load_yaml_file(FIXTURE)["rules"]


def test_the_sample_is_broad():
    assert len(ENTRIES) >= 200
    assert len({e["agreement"] for e in ENTRIES}) == 29


@pytest.mark.parametrize(
    "entry", ENTRIES, ids=[f"{e['agreement']}:{e['heading']}:{i}" for i, e in enumerate(ENTRIES)]
)
def test_reviewed_rule(entry):
    node, notes = read(entry["text"])
    expected, _tolerance = parse(entry["rule"])
    assert render(node) == render(expected)
    assert list(notes) == entry.get("notes", [])
