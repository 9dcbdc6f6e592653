import pytest

from opencustoms.kernel.errors import InvalidInput
from opencustoms.reference.yamlstrict import load_yaml_text
from opencustoms.testing.legal_cases import mismatches


def test_duplicate_keys_are_refused_with_the_line():
    with pytest.raises(InvalidInput) as e:
        load_yaml_text("rate: 5\nthreshold: 40\nrate: 6\n", "params.yaml")
    message = e.value.finding.render()
    assert "params.yaml, line 3" in message
    assert "duplicate key 'rate'" in message


def test_bad_yaml_names_the_place():
    with pytest.raises(InvalidInput) as e:
        load_yaml_text("a: [1, 2\n", "x.yaml")
    assert "x.yaml, line" in e.value.finding.render()


def test_case_matching():
    actual = {"first": "090121", "top3": ["090121", "090122", "0901"], "n": 3}
    assert list(mismatches({"first": "090121"}, actual, "output")) == []
    assert list(mismatches({"top3": {"includes": ["0901"]}}, actual, "output")) == []
    assert list(mismatches({"first": "090122"}, actual, "output")) == [
        "output.first: expected '090122', got '090121'"
    ]
    assert list(mismatches({"missing": 1}, actual, "output")) == ["output.missing: missing"]
    assert mismatches({"top3": {"includes": ["8471"]}}, actual, "o")
