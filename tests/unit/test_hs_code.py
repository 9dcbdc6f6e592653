import pytest

from opencustoms.kernel.correspondence import parse_correspondence
from opencustoms.kernel.errors import InvalidInput
from opencustoms.kernel.hs import EditionMismatch, HsCode, HsEdition, HsLevel


@pytest.mark.parametrize("typed", ["8471.30", "847130", "8471 30", " 8471-30 "])
def test_the_ways_people_write_a_code_are_one_code(typed):
    assert HsCode(typed) == HsCode("847130")
    assert hash(HsCode(typed)) == hash(HsCode("847130"))


def test_national_codes_keep_their_hs6_root():
    code = HsCode("8471.30.1000")
    assert code.level is HsLevel.NATIONAL
    assert code.hs6 == HsCode("847130")
    assert code.parent == HsCode("847130")
    assert code.dotted() == "8471.30.1000"


def test_levels_and_parents():
    assert HsCode("09").level is HsLevel.CHAPTER
    assert HsCode("0901").parent == HsCode("09")
    assert HsCode("090121").parent == HsCode("0901")
    assert HsCode("09").parent is None
    assert HsCode("090121").is_within(HsCode("09"))
    assert not HsCode("090121").is_within(HsCode("0902"))


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("84x1", "hs.invalid_characters"),
        ("99999", "hs.invalid_length"),
        ("", "hs.empty_code"),
        ("   ", "hs.empty_code"),
        ("0012", "hs.invalid_chapter"),
        ("８４７１", "hs.invalid_characters"),  # full-width digits are not ASCII digits
        ("1" * 11, "hs.invalid_length"),
    ],
)
def test_bad_codes_are_refused_with_a_stable_code(bad, code):
    with pytest.raises(InvalidInput) as e:
        HsCode(bad)
    assert e.value.code == code
    assert e.value.finding.field == "code"


def test_a_huge_input_is_refused_and_the_message_stays_short():
    with pytest.raises(InvalidInput) as e:
        HsCode("8" * 10_000_000)
    assert len(str(e.value)) < 300


def test_codes_carry_their_edition_and_never_compare_silently_across_editions():
    old, new = HsCode("847130", HsEdition.HS2017), HsCode("847130", "HS2022")
    assert old != new
    with pytest.raises(EditionMismatch) as e:
        _ = old < new
    assert e.value.code == "hs.edition_mismatch"
    with pytest.raises(EditionMismatch):
        old.is_within(HsCode("8471"))
    assert HsEdition.parse("2017") is HsEdition.HS2017


def test_correspondence_table_translates_across_editions():
    table = parse_correspondence(
        "from_edition,from_code,to_edition,to_code\n"
        "HS2017,8548.90,HS2022,8549.91\n"
        "HS2017,8548.90,HS2022,8548.00\n",
        "hs2017-hs2022.csv",
    )
    found = table.translate(HsCode("854890", "HS2017"), HsEdition.HS2022)
    assert found == {HsCode("854991"), HsCode("854800")}
    assert table.same_goods(HsCode("854890", "HS2017"), HsCode("8549"))
    assert not table.same_goods(HsCode("854890", "HS2017"), HsCode("8471"))
    with pytest.raises(EditionMismatch) as e:
        table.translate(HsCode("847130", "HS2012"), HsEdition.HS2022)
    assert e.value.code == "hs.no_correspondence"


def test_correspondence_errors_name_the_line_and_column():
    with pytest.raises(InvalidInput) as e:
        parse_correspondence(
            "from_edition,from_code,to_edition,to_code\nHS2017,8548.90,HS2022,85x9\n", "t.csv"
        )
    message = e.value.finding.render()
    assert "t.csv, line 2, column to_code" in message
    assert "85x9" in message


def test_a_code_keeps_its_edition_and_a_nomenclature_refuses_others():
    from opencustoms.reference.hs import hs2022

    old = HsCode("8471.30", "HS2017")
    assert HsCode(old).edition is HsEdition.HS2017
    with pytest.raises(EditionMismatch):
        HsCode(old, HsEdition.HS2022)
    with pytest.raises(EditionMismatch):
        hs2022().get(old)
    assert old not in hs2022()
    assert HsCode("8471.30") in hs2022()
