"""The compact notation round-trips: parse(render(t)) == t for any rule tree."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opencustoms.kernel.errors import InvalidInput
from opencustoms.origin.notation import parse, parse_criteria, render
from opencustoms.origin.rules import (
    AllOf,
    AnyOf,
    HsRange,
    ManufactureFrom,
    Materials,
    MaterialsOriginating,
    MaterialValueLimit,
    MaxNonOriginating,
    NeedsReview,
    NonOriginatingWithinOriginating,
    Permit,
    ProducedExclusively,
    RegionalValueContent,
    RvcMethod,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    Tolerance,
    ValueBase,
    WhollyObtained,
    all_of,
    any_of,
)

percents = st.decimals(min_value=0, max_value=100, places=1).map(lambda d: d.normalize())
bases = st.sampled_from(ValueBase)


@st.composite
def hs_ranges(draw):
    width = draw(st.sampled_from([2, 4, 6]))
    start = draw(st.integers(1, 10**width - 2))
    if draw(st.booleans()):
        end = draw(st.integers(start + 1, 10**width - 1))
        return HsRange(str(start).zfill(width), str(end).zfill(width))
    return HsRange(str(start).zfill(width))


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30
)
range_lists = st.lists(hs_ranges(), min_size=1, max_size=3).map(tuple)
materials = st.one_of(
    st.builds(Materials, hs=range_lists),
    st.builds(Materials, name=names),
    st.builds(Materials, hs=range_lists, name=names),
)

leaves = st.one_of(
    st.just(WhollyObtained()),
    st.builds(WhollyObtained, materials),
    st.just(ProducedExclusively()),
    st.builds(
        TariffShift,
        st.sampled_from(ShiftLevel),
        st.one_of(st.just(()), range_lists),
        st.one_of(st.just(()), range_lists),
        st.one_of(st.none(), percents),
        bases,
        st.lists(
            st.one_of(st.builds(Permit, materials), st.builds(Permit, materials, percents, bases)),
            max_size=2,
        ).map(tuple),
        st.lists(materials, max_size=2).map(tuple),
    ),
    st.builds(
        RegionalValueContent,
        st.sampled_from(RvcMethod),
        bases,
        percents,
        st.one_of(st.none(), materials),
    ),
    st.builds(MaxNonOriginating, bases, percents),
    st.builds(MaterialValueLimit, materials, percents, bases),
    st.builds(ManufactureFrom, materials),
    st.builds(MaterialsOriginating, materials),
    st.builds(SpecificProcess, names),
    st.just(NeedsReview()),
    st.just(NonOriginatingWithinOriginating()),
)


def _trees():
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=3).map(lambda ps: all_of(*ps)),
            st.lists(children, min_size=2, max_size=3).map(lambda ps: any_of(*ps)),
        ),
        max_leaves=8,
    )


def _normal(tree):
    """Allowance base is meaningless without an allowance: compare what the law says."""
    if isinstance(tree, TariffShift) and tree.allowance is None:
        return TariffShift(
            tree.level,
            tree.exceptions,
            tree.only_from,
            permits=tree.permits,
            exclusions=tree.exclusions,
        )
    if isinstance(tree, AllOf | AnyOf):
        return type(tree)(tuple(_normal(p) for p in tree.parts))
    return tree


@settings(max_examples=400, deadline=None)
@given(_trees(), st.sampled_from(Tolerance))
def test_parse_after_render_is_identity(tree, tolerance):
    tree = _normal(tree)
    assert parse(render(tree, tolerance)) == (tree, tolerance)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            "CTH except 8473 | MaxNOM(EXW) <= 45%",
            AnyOf(
                (
                    TariffShift(ShiftLevel.HEADING, (HsRange("8473"),)),
                    MaxNonOriginating(ValueBase.EXW, Decimal(45)),
                )
            ),
        ),
        (
            'CC except 5201-5203 & Value("unprinted fabric") <= 47.5%(EXW)',
            AllOf(
                (
                    TariffShift(ShiftLevel.CHAPTER, (HsRange("5201", "5203"),)),
                    MaterialValueLimit(Materials(name="unprinted fabric"), Decimal("47.5")),
                )
            ),
        ),
        ("CTH allow 20%(EXW)", TariffShift(ShiftLevel.HEADING, allowance=Decimal(20))),
        ("From(hs(7001))", ManufactureFrom(Materials((HsRange("7001"),)))),
        ("WO(hs(01, 02))", WhollyObtained(Materials((HsRange("01"), HsRange("02"))))),
        (
            "RVC(build-down, FOB) >= 40%",
            RegionalValueContent(RvcMethod.BUILD_DOWN, ValueBase.FOB, Decimal(40)),
        ),
    ],
)
def test_examples(text, tree):
    assert parse_criteria(text) == tree
    assert render(tree) == text


def test_and_binds_tighter_than_or():
    tree = parse_criteria("WO | CTH & PE")
    assert isinstance(tree, AnyOf)
    assert isinstance(tree.parts[1], AllOf)
    assert render(parse_criteria("(WO | CTH) & PE")) == "(WO | CTH) & PE"


def test_nested_and_or_are_flattened():
    a, b, c = WhollyObtained(), ProducedExclusively(), NeedsReview()
    assert all_of(all_of(a, b), c) == AllOf((a, b, c))
    assert any_of(a) == a
    with pytest.raises(ValueError, match="use all_of"):
        AllOf((AllOf((a, b)), c))


def test_legal_text_is_kept_but_not_part_of_identity():
    with_text = TariffShift(ShiftLevel.HEADING, text="Manufacture from materials of any heading")
    assert with_text == TariffShift(ShiftLevel.HEADING)
    assert with_text.text.startswith("Manufacture")


def test_hs_ranges():
    assert HsRange("5201", "5203").covers("520299")
    assert not HsRange("5201", "5203").covers("5204")
    assert HsRange("84").covers("847130")
    for bad in [("847",), ("5203", "5201"), ("52", "5203")]:
        with pytest.raises(ValueError, match=r"HS reference|range"):
            HsRange(*bad)


@pytest.mark.parametrize(
    ("text", "column"),
    [("CTH except", 5), ("CTH | ", 5), ("MaxNOM(EXW) <= 45", 16), ("CTH except 847", 12), ("", 1)],
)
def test_bad_notation_says_where(text, column):
    with pytest.raises(InvalidInput) as e:
        parse(text)
    assert e.value.code == "origin.bad_notation"
    assert e.value.finding.params["column"] == column


def test_a_backward_range_is_refused():
    with pytest.raises(InvalidInput) as e:
        parse("CTH except 5203-5201")
    assert "upwards" in e.value.finding.render()
