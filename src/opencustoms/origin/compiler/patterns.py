"""Recognisers: one wording of the law each, turned into a rule tree.

Each recogniser is a regular expression over one plain sentence (see
`text.plain`) and a builder. A sentence matches one recogniser whole, or it is
not read at all: `read_sentence` returns None and the caller keeps the text
for review. The wordings come from the agreements' annexes of product-specific
rules as the UK tariff publishes them (EU-style "Manufacture from materials of
any heading ...", CPTPP-style "A change to a good of heading ... from any other
chapter", and the coded "CTH: All non-originating materials ...").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from opencustoms.origin.compiler.refs import REFS, parse_refs
from opencustoms.origin.rules import (
    HsRange,
    ManufactureFrom,
    Materials,
    MaterialsOriginating,
    MaterialValueLimit,
    MaxNonOriginating,
    Node,
    NonOriginatingWithinOriginating,
    Permit,
    ProducedExclusively,
    RegionalValueContent,
    RvcMethod,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    ValueBase,
    WhollyObtained,
    all_of,
)

PRODUCT = r"(?:the )?(?:final )?(?:products?|goods?|set)"
PCT = r"(?P<pct>\d+(?:\.\d+)?)\s?(?:%|per cent)"
EXW = rf"(?:the value of )?(?:the )?ex-works price(?: \(EXW\))?(?: of {PRODUCT})?"
FOB = rf"(?:the )?(?:FOB|free on board) (?:value|price)(?: of {PRODUCT})?"
LEVEL_WORDS = {
    "chapter": ShiftLevel.CHAPTER,
    "heading": ShiftLevel.HEADING,
    "subheading": ShiftLevel.SUBHEADING,
    "sub-heading": ShiftLevel.SUBHEADING,
}
CODE_LEVELS = {"2": ShiftLevel.CHAPTER, "4": ShiftLevel.HEADING, "6": ShiftLevel.SUBHEADING}
METHODS = {
    "build-down": RvcMethod.BUILD_DOWN,
    "build-up": RvcMethod.BUILD_UP,
    "net cost": RvcMethod.NET_COST,
    "focused value": RvcMethod.FOCUSED_VALUE,
}
# Named working or processing; a sentence that starts so and names no value is a process.
PROCESS_START = (
    r"(?:destructive distillation|spinning|weaving|printing|extrusion|flocking|refining|retreading|carding|combing|"
    r"cutting|beading|knitting|crocheting|dyeing|yarn dyeing|twisting|texturing|"
    r"operations of refining|electrolytic|alloying|chemical reaction|distillation|"
    r"separation|isomer separation|blending|crushing|grinding|tufting|embroidery|"
    r"making-up|fabric printing|coating|lamination|laminating|polishing|needle punching|"
    r"impregnation|felting|rolling|drawing|casting|forging|moulding|pressing|stamping|"
    r"purification|biotechnological processing|particle size modification|"
    r"production of standard materials|change in particle size|mixing|cleaning|drying|"
    r"enriching|retanning|calcination|removal of|bleaching|hand-decoration|turning|planing|"
    r"making up|the operation of diffusion|beating|sawing|shaping|assembly|fermentation|"
    r"hydrogenation|dehydration|cracking|reforming|pyrolysis|sulphonation|nitration|"
    r"vulcanisation|tanning|dressing|rubberising|bonding|embroidering|cutting-out|"
    r"retreading|splicing|sanding|fusion|finger-jointing|end-jointing|glazing|"
    r"silk-screen printing|spraying|flocking|manufacture by)\b"
)
# Words that say a sentence is a condition on materials, not (only) a process:
# such a sentence is read by other recognisers, or kept for review.
NOT_A_PROCESS = (
    r"(?!.*\b(?:(?:materials?|goods|products?|fabrics?|yarns?) used|used (?:are|is|must|does|do|may|in)|"
    r"wholly obtained|originating|may|must|shall|provided|only the following|permitted|"
    r"not exceed|value)\b)"
)


@dataclass(frozen=True)
class Recogniser:
    name: str
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str]], Node]


def _pct(m: re.Match[str], group: str = "pct") -> Decimal:
    return Decimal(m.group(group))


def _base(m: re.Match[str]) -> ValueBase:
    return ValueBase.FOB if m.groupdict().get("fob") else ValueBase.EXW


def _refs(m: re.Match[str], group: str) -> tuple[HsRange, ...]:
    """Every HS reference in a captured group (a list may name goods between them)."""
    value = m.groupdict().get(group)
    if not value:
        return ()
    return tuple(r for found in re.finditer(REFS, value, re.I) for r in parse_refs(found.group(0)))


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^{pattern}\.?$", re.I)


VALUE_BASE = rf"(?:{EXW}|(?P<fob>{FOB}))"
# how a value criterion is introduced, alone or as a list item
LEAD = r"(?:manufacture )?(?:(?:in which|where),? )?(?:within the above limit,? )?"

RECOGNISERS: list[Recogniser] = [
    # --- change in tariff classification, EU style ------------------------
    Recogniser(
        "eu-shift",
        _r(
            rf"(?:manufacture|other operations) from (?:non-originating )?materials of any "
            rf"(?P<level>chapter|heading|subheading|sub-heading),? except that of {PRODUCT}"
            rf"(?:,? and (?:those |that )?(?:of |except )?(?P<exc>{REFS}))?"
        ),
        lambda m: TariffShift(LEVEL_WORDS[m["level"].lower()], _refs(m, "exc")),
    ),
    Recogniser(
        "eu-shift-classified",
        _r(
            rf"(?:manufacture|other operations(?: than those referred to (?:in column|above))?) in "
            rf"which all the (?:non-originating )?materials used (?:are|is) classified (?:with)?in a (?P<level>chapter|heading|subheading|sub-heading) "
            rf"other than that of {PRODUCT}(?:,? (?:and|except) (?:those of |from )?(?P<exc>{REFS}))?"
        ),
        lambda m: TariffShift(LEVEL_WORDS[m["level"].lower()], _refs(m, "exc")),
    ),
    Recogniser(
        "eu-any-heading",
        _r(
            rf"manufacture from (?:non-originating )?materials of any heading"
            rf"(?:,? (?:except|other than) (?:those of |from |materials of )?"
            rf"(?:(?P<exc>{REFS})(?:,? (?:or|and) (?P<named_after>[a-z][a-z ,'\-]+ of {REFS}))?|"
            rf"(?P<named>(?!those|that)[a-z][a-z ,'\-]+ of {REFS})))?"
            rf"(?:,? including other materials of (?P<inc>{REFS}))?"
        ),
        lambda m: TariffShift(
            ShiftLevel.ANY,
            _refs(m, "exc"),
            permits=(Permit(Materials(_refs(m, "inc"), "other materials of the same heading")),)
            if m["inc"]
            else (),
            exclusions=tuple(named_materials(m[g]) for g in ("named", "named_after") if m[g]),
        ),
    ),
    # --- coded wording: "CTH: All non-originating materials ... 4-digit level" --
    Recogniser(
        "coded-shift",
        _r(
            r"(?:CC|CTH|CTSH|CTC)?:? ?all (?:the )?non-originating materials used in the production "
            r"of the goods? (?:have|has) undergone a change in tariff classification at the "
            r"(?P<digits>[246])-digit level(?: \((?:chapter|tariff heading|heading|subheading)\))?"
            rf"(?:,? except from (?:non-originating )?(?:materials of )?(?P<exc>{REFS}))?"
        ),
        lambda m: TariffShift(CODE_LEVELS[m["digits"]], _refs(m, "exc")),
    ),
    # --- change in tariff classification, CPTPP style ---------------------
    Recogniser(
        "cptpp-shift",
        _r(
            rf"a change to (?:a good|goods|any other good) of (?:{REFS})(?: (?:to|through) (?:{REFS}))?"
            rf" from any other (?P<level>chapter|heading|subheading)"
            rf"(?:,? except from (?P<exc>{REFS}))?"
        ),
        lambda m: TariffShift(LEVEL_WORDS[m["level"].lower()], _refs(m, "exc")),
    ),
    Recogniser(
        "cptpp-shift-from",
        _r(
            rf"a change to (?:a good|goods|any other good) of (?:{REFS})(?: (?:to|through) (?:{REFS}))?"
            rf" from (?P<frm>{REFS})"
        ),
        lambda m: TariffShift(_level_of(parse_refs(m["frm"])), only_from=parse_refs(m["frm"])),
    ),
    # --- value of materials -------------------------------------------------
    Recogniser(
        "eu-all-materials-value",
        _r(
            rf"{LEAD}the value of all the materials used does not "
            rf"exceed {PCT} of {VALUE_BASE}"
        ),
        lambda m: MaxNonOriginating(_base(m), _pct(m)),
    ),
    Recogniser(
        "nom-value",
        _r(
            rf"{LEAD}the value of (?:all )?(?:the )?non-originating "
            rf"materials used does not exceed {PCT} of {VALUE_BASE}"
        ),
        lambda m: MaxNonOriginating(_base(m), _pct(m)),
    ),
    Recogniser(
        "maxnom",
        _r(
            rf"the maximum value of (?:all )?(?:the )?non-originating materials \(MaxNOM\) "
            rf"(?:cannot|does not|shall not|must not) exceed {PCT} of {VALUE_BASE}"
        ),
        lambda m: MaxNonOriginating(_base(m), _pct(m)),
    ),
    Recogniser(
        "maxnom-parts",
        _r(
            rf"a maximum of {PCT} of {VALUE_BASE} is made up of non-originating "
            r"(?:parts|materials) \(MAXNOM\)"
        ),
        lambda m: MaxNonOriginating(_base(m), _pct(m)),
    ),
    Recogniser(
        "eu-refs-value",
        _r(
            rf"{LEAD}the value "
            rf"of (?:all the|any|the) materials of (?P<refs>{REFS}) used (?:does|must|may) not exceed "
            rf"{PCT} of {VALUE_BASE}"
        ),
        lambda m: MaterialValueLimit(Materials(parse_refs(m["refs"])), _pct(m), _base(m)),
    ),
    Recogniser(
        "eu-same-heading-value",
        _r(
            rf"{LEAD}(?:the value "
            rf"of (?:all the|any) materials (?:of|classified (?:with)?in) the same heading as the "
            rf"product (?:used )?does not exceed|the materials classified within the same heading "
            rf"as the product are only used up to a value of) {PCT} of {VALUE_BASE}"
        ),
        lambda m: MaterialValueLimit(
            Materials(name="materials of the same heading as the product"), _pct(m), _base(m)
        ),
    ),
    Recogniser(
        "refs-used-up-to",
        _r(
            rf"{LEAD}the "
            rf"materials classified within (?P<refs>{REFS}) are only used up to a value of {PCT} "
            rf"of {VALUE_BASE}"
        ),
        lambda m: MaterialValueLimit(Materials(parse_refs(m["refs"])), _pct(m), _base(m)),
    ),
    Recogniser(
        "nom-within-originating",
        _r(
            rf"{LEAD}the value of all the non-? ?originating "
            r"materials used does not exceed the value of (?:all )?the originating materials used"
        ),
        lambda m: NonOriginatingWithinOriginating(),
    ),
    # --- regional value content -------------------------------------------
    Recogniser(
        "cptpp-rvc",
        _r(
            rf"no change in tariff classification (?:is )?required for (?:a good|goods|any other good) of "
            rf"(?:{REFS})(?: (?:to|through) (?:{REFS}))?,? provided (?:that )?there is a regional "
            rf"value content of not less than:? (?:- [a-z]\) )?{PCT} under the "
            rf"(?P<method>build-down|build-up|net cost|focused value) method"
        ),
        lambda m: RegionalValueContent(METHODS[m["method"].lower()], ValueBase.FOB, _pct(m)),
    ),
    Recogniser(
        "cptpp-rvc-item",
        _r(
            rf"(?:- [a-z]\) )?{PCT} under the (?P<method>build-down|build-up|net cost|focused value) "
            rf"method(?: taking into account only the non-originating materials of (?P<refs>{REFS}))?"
        ),
        lambda m: RegionalValueContent(
            METHODS[m["method"].lower()],
            ValueBase.FOB,
            _pct(m),
            Materials(parse_refs(m["refs"])) if m["refs"] else None,
        ),
    ),
    # --- wholly obtained -------------------------------------------------------
    Recogniser(
        "wo-all-of",
        _r(
            rf"all the (?:animals|products|goods|plants) of (?:{REFS}) (?:shall|must) be wholly obtained"
        ),
        lambda m: WhollyObtained(),
    ),
    Recogniser(
        "wo-all-used",
        _r(
            rf"all the (?P<name>animals|products|goods|plants|materials) of (?P<refs>{REFS}) used "
            r"(?:shall|must) be wholly obtained"
        ),
        lambda m: WhollyObtained(Materials(parse_refs(m["refs"]), m["name"].lower())),
    ),
    Recogniser(
        "wo-materials-refs",
        _r(
            rf"(?:(?:manufacture|production) in which )?all the materials of (?P<refs>{REFS}) used (?:are|must be) "
            r"wholly obtained(?: in the (?:country or territory|party|parties))?"
        ),
        lambda m: WhollyObtained(Materials(parse_refs(m["refs"]))),
    ),
    Recogniser(
        "wo-materials-named",
        _r(
            r"(?:manufacture |production )?in which all the (?P<name>[a-z0-9 ,'/\-\(\)]+?) used "
            r"(?:are|is|must be) "
            r"wholly obtained(?: in the (?:country or territory|party|parties))?"
        ),
        lambda m: WhollyObtained(named_materials(m["name"])),
    ),
    # --- manufacture from named materials ------------------------------------
    Recogniser(
        "from-refs",
        _r(rf"(?:manufacture|production) from (?:materials of )?(?P<refs>{REFS})"),
        lambda m: ManufactureFrom(Materials(parse_refs(m["refs"]))),
    ),
    Recogniser(
        "from-classified",
        _r(
            rf"manufacture from (?:non-originating )?materials classified (?:with)?in a "
            rf"(?P<level>chapter|heading|subheading|sub-heading) other than that of {PRODUCT}"
        ),
        lambda m: TariffShift(LEVEL_WORDS[m["level"].lower()]),
    ),
    Recogniser(
        "any-not-classified",
        _r(
            rf"manufacture from (?:non-originating )?materials not classified (?:within|in) (?P<exc>{REFS})"
        ),
        lambda m: TariffShift(ShiftLevel.ANY, _refs(m, "exc")),
    ),
    Recogniser(
        "any-classified-except",
        _r(
            rf"(?:manufacture|production) in which all the (?:non-originating )?materials used "
            rf"(?:are|is) classified (?:within|in) a heading other than (?P<exc>{REFS})"
        ),
        lambda m: TariffShift(ShiftLevel.ANY, _refs(m, "exc")),
    ),
    Recogniser(
        "any-production",
        _r(r"(?:manufacture|production) from (?:non-originating )?materials? of any heading"),
        lambda m: TariffShift(ShiftLevel.ANY),
    ),
    Recogniser(
        "all-originating",
        _r(r"manufacture in which all the materials used (?:are|must (?:already )?be) originating"),
        lambda m: ProducedExclusively(),
    ),
    Recogniser(
        "materials-originating",
        _r(
            r"(?:manufacture )?in which all the (?P<name>(?!materials used)[a-z0-9 ,'/\-\(\)]+?) used "
            r"(?:are|is|must be) (?:already )?originating"
        ),
        lambda m: MaterialsOriginating(named_materials(m["name"])),
    ),
    Recogniser(
        "from-named",
        _r(
            rf"(?:manufacture|production) from (?!(?:non-originating )?materials (?:of any|not|classified)\b)"
            rf"(?!.*(?<!\()\b(?:other than|except|provided|in which|where|may|must|shall)\b)"
            rf"(?P<name>['a-z][a-z ,;'\-\(\)/]*(?:{REFS}[a-z ,;'\-\(\)/]*)*)"
        ),
        lambda m: ManufactureFrom(named_materials(m["name"])),
    ),
    Recogniser(
        "process",
        _r(rf"(?P<process>{NOT_A_PROCESS}(?:an? |the )?{PROCESS_START}[^%]*)"),
        lambda m: SpecificProcess(m["process"].strip().rstrip(".")),
    ),
]

# A sentence with a value proviso: "<criterion>, provided that the value of the
# <materials> used does not exceed 40% of the ex-works price of the product".
PROVISO = re.compile(
    rf"^(?P<head>.+?),? (?:provided (?:that )?|where )the (?:total )?value of (?:the |all the )?"
    rf"(?P<nonorig>non-originating )?(?P<name>[a-z ,'/\-]+?)(?: used)? does not exceed {PCT} of "
    rf"{VALUE_BASE}\.?$",
    re.I,
)


THEIR_VALUE = re.compile(
    rf"^(?P<head>manufacture from .+?),? provided (?:that )?their (?:total )?value does not "
    rf"exceed {PCT} of {VALUE_BASE}\.?$",
    re.I,
)


def named_materials(phrase: str) -> Materials:
    """Materials named in words, with any HS references the words contain."""
    name = _clean_name(phrase)
    refs = tuple(r for found in re.finditer(REFS, name, re.I) for r in parse_refs(found.group(0)))
    return Materials(refs, name)


def _clean_name(name: str) -> str:
    return " ".join(name.replace(" ;", ";").split()).strip(" ,;")


def _level_of(ranges: tuple[HsRange, ...]) -> ShiftLevel:
    width = {len(r.start) for r in ranges}
    return {2: ShiftLevel.CHAPTER, 4: ShiftLevel.HEADING, 6: ShiftLevel.SUBHEADING}[
        width.pop() if len(width) == 1 else 4
    ]


def read_sentence(sentence: str) -> Node | None:
    """The tree of one sentence, or None when no recogniser reads all of it."""
    s = sentence.strip().rstrip(";").strip()
    for recogniser in RECOGNISERS:
        m = recogniser.pattern.match(s)
        if m:
            try:
                node = recogniser.build(m)
            except ValueError:
                return None
            return _with_text(node, sentence)
    m = THEIR_VALUE.match(s)
    if m:
        head = read_sentence(m["head"])
        if isinstance(head, ManufactureFrom):
            cap = MaterialValueLimit(head.materials, _pct(m), _base(m), text=sentence)
            return all_of(head, cap, text=sentence)
        return None
    m = PROVISO.match(s)
    if m:
        head = read_sentence(m["head"])
        if head is None:
            return None
        name = _clean_name(m["name"])
        limit: Node
        if name == "materials":  # all (non-originating) materials: a value cap, not a named one
            limit = MaxNonOriginating(_base(m), _pct(m), text=sentence)
        else:
            limit = MaterialValueLimit(Materials(name=name), _pct(m), _base(m), text=sentence)
        return all_of(head, limit, text=sentence)
    return None


def _with_text(node: Node, text: str) -> Node:
    return replace(node, text=text)
