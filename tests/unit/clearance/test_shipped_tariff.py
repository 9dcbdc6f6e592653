"""The tariff data opencustoms ships for Korea: rate types, tax rules and the schedule
derived from the customs declarations dataset."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from opencustoms.clearance.data import shipped_rate_types, shipped_schedule, shipped_tax_rules
from opencustoms.clearance.rate_types import ProofType, RateKind, read_rate_types
from opencustoms.kernel.errors import InvalidInput
from opencustoms.kernel.hs import HsCode
from opencustoms.origin.profiles.loader import shipped_profiles

DATA = Path(__file__).parents[4] / "shared" / "data" / "customs-declarations"


def test_every_rate_type_in_the_dataset_is_known():
    types = shipped_rate_types()
    seen = set()
    for name in ("df_syn_train_eng.csv", "df_syn_valid_eng.csv"):
        with open(DATA / name, encoding="utf-8") as f:
            seen |= {row["Tax Type"] for row in csv.DictReader(f)}
    assert {code for code in seen if types.get(code) is None} == set()
    assert types.basic == "A"


def test_preferential_types_name_their_agreement_origins_and_proofs():
    types = shipped_rate_types()
    china = types.require("FCN1")
    assert (china.kind, china.agreement, china.proofs) == (
        RateKind.FTA, "kcfta", (ProofType.CERTIFICATE,)
    )  # fmt: skip
    assert china.may_claim("CN", date(2021, 1, 4))
    assert not china.may_claim("VN", date(2021, 1, 4))
    eu = types.require("feu1")
    assert eu.proofs == (ProofType.ORIGIN_DECLARATION,)
    # the United Kingdom left the Korea–EU FTA at the end of the transition period
    assert eu.may_claim("GB", date(2020, 12, 31))
    assert not eu.may_claim("GB", date(2021, 1, 1))
    assert types.require("FGB1").may_claim("GB", date(2021, 1, 1))
    assert not types.require("A").preferential
    with pytest.raises(InvalidInput, match="'FXX1' is not a rate type of KR"):
        types.require("FXX1")


def test_a_rate_types_proofs_are_among_its_agreements_cited_proofs():
    profiles = shipped_profiles()
    checked = 0
    for t in shipped_rate_types():
        profile = profiles.get(t.agreement or "")
        if profile is None or not profile.proofs:
            continue
        cited = {p.kind.value for p in profile.proofs}
        assert {p.value for p in t.proofs} <= cited, t.code
        checked += 1
    assert checked >= 4  # kcfta, kor-ind, akfta and their variants


def test_a_preferential_type_without_its_agreement_is_refused():
    text = (
        "country: KR\nbasic: A\ntypes:\n"
        "  - {code: A, name: basic, kind: basic}\n  - {code: FXX1, name: x, kind: fta}\n"
    )
    with pytest.raises(InvalidInput, match="line 5: a preferential rate type names its agreement"):
        read_rate_types(text, "types.yaml")


def test_the_shipped_schedule_holds_the_rates_the_dataset_shows():
    schedule = shipped_schedule()
    assert len(schedule) > 8000
    code = HsCode("3926909000", "HS2017")
    line = schedule.line(code, "FCN1", date(2020, 6, 1))
    assert (str(line.duty), line.source) == ("3.9%", "observed in 422 of 626 declarations of 2020")
    # the last year seen stays in force until a loaded schedule replaces it
    assert schedule.line(code, "C", date(2022, 6, 1)).valid_to is None
    # codes the dataset wrote with nine digits are Korea's ten-digit codes
    line = schedule.line(HsCode("0106199000", "HS2017"), "A", date(2020, 6, 1))
    assert line.code.digits == "0106199000"


def test_korean_tax_rules_are_read_with_their_articles():
    rules = shipped_tax_rules()
    assert (rules.currency.code, rules.vat_percent, rules.minimum_duty.amount) == (
        "KRW", Decimal(10), Decimal(10000)
    )  # fmt: skip
    assert "Article 47" in rules.cites["total"]
    assert "Article 40" in rules.cites["minimum_duty"]


def test_the_korea_uk_rate_applies_from_its_entry_into_force():
    uk = shipped_rate_types().require("FGB1")
    assert not uk.may_claim("GB", date(2020, 12, 31))
    assert uk.may_claim("GB", date(2021, 1, 1))


@pytest.mark.parametrize("until", ["[GB]", "{GB: [1]}", "{GB: someday}"])
def test_a_bad_last_day_is_refused_with_its_line(until):
    text = (
        "country: KR\nbasic: a\ntypes:\n  - {code: A, name: basic, kind: basic}\n"
        "  - {code: FX1, name: x, kind: fta, agreement: x, origins: [GB], "
        f"proofs: [certificate], origins_until: {until}}}\n"
    )
    with pytest.raises(InvalidInput, match="line 5"):
        read_rate_types(text, "types.yaml")
