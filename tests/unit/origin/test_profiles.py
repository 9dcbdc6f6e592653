"""Agreement profiles: strict loading, with file-and-line errors for broken ones."""

from pathlib import Path

import pytest

from opencustoms.kernel.errors import InvalidInput
from opencustoms.origin.profiles.loader import read_profile_file, shipped_profiles

BROKEN = Path(__file__).parents[2] / "fixtures" / "origin" / "broken_profiles"


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("duplicate-key.yaml", 5, "duplicate key 'parties'"),
        ("unknown-field.yaml", 5, "unknown field 'tolerence'"),
        ("bad-date.yaml", 5, "'2021-02-30' is not a date"),
        ("bad-percent.yaml", 6, "a percentage runs from 0 to 100"),
        ("missing-citation.yaml", 6, "missing field(s) cite"),
        ("bad-country.yaml", 3, "'XX' is not an ISO 3166 country code"),
        ("bad-set-rule.yaml", 8, "'3(d)' is not a subrule of GIR 3; use 3(a), 3(b), 3(c)"),
        ("weight-without-products.yaml", 9, "missing field(s) products"),
    ],
)
def test_broken_profiles_say_what_and_where(name, line, words):
    with pytest.raises(InvalidInput) as e:
        read_profile_file(BROKEN / name)
    message = e.value.finding.render()
    assert f"{name}, line {line}:" in message
    assert words in message


def test_the_uk_korea_profile():
    profile = shipped_profiles()["uk-south-korea"]
    assert [p.alpha2 for p in profile.parties] == ["GB", "KR"]
    assert profile.tolerance is not None
    assert profile.tolerance.value_percent == 10
    assert [r.notation() for r in profile.tolerance.excluded] == ["50-63"]
    assert profile.tolerance.may_exceed_maxnom is False
    assert profile.psr_hs_edition is not None
    assert profile.psr_hs_edition.value == "HS2007"
    assert {c.kind.value for c in profile.cumulation} == {"bilateral", "diagonal", "full"}
    assert len(profile.insufficient_operations.items) == 17


def test_every_agreement_with_rules_has_a_profile():
    from opencustoms.origin.uk import read_schemes, shipped_folder

    profiles = shipped_profiles()
    uk = {s.agreement for s in read_schemes(shipped_folder())}
    assert uk <= set(profiles)
    assert {"rcep", "akfta", "kcfta", "vkfta", "ikcepa", "kor-ind"} <= set(profiles)
    rcep = profiles["rcep"]
    assert rcep.tolerance is not None
    assert rcep.tolerance.value_percent == 10
    assert rcep.psr_hs_edition is not None
    assert rcep.psr_hs_edition.value == "HS2012"
