"""Reading one rule's text: sentences, lists, alternatives and provisos.

The structure of a rule's wording decides how its criteria combine:

* "Manufacture:" or "Manufacture in which:" followed by a list: every item
  applies (And), unless the items are joined by "or".
* "A or B" where B starts a new criterion ("... or Manufacture in which ..."):
  either applies (Or).
* "A. However, materials of the same heading may be used, provided that their
  total value does not exceed 20% of the ex-works price": an allowance on A.
* "A. However, <materials> of heading X may not be used": an exception on A.
* "See Introductory Note 5": kept as a note of the rule, not a criterion.

Anything else a sentence says that no recogniser reads makes the whole rule
`NeedsReview`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache

from opencustoms.origin.compiler.patterns import (
    EXW,
    FOB,
    PCT,
    PRODUCT,
    named_materials,
    read_sentence,
)
from opencustoms.origin.compiler.refs import REFS, parse_refs
from opencustoms.origin.compiler.text import flat, plain
from opencustoms.origin.rules import (
    Materials,
    MaterialValueLimit,
    NeedsReview,
    Node,
    Permit,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    ValueBase,
    all_of,
    any_of,
)

_NOTE = re.compile(
    r"\s*(?:For special conditions relating to [^.]*?,\s*)?(?:see )?(?:also )?"
    r"(?P<note>Introductory Note \d+(?:\.\d+)?)\.?",
    re.I,
)
_NOTE_SENTENCE = re.compile(
    r"(?:^|(?<=\.)\s+|(?<=\n)|\s*(?=\())\(?(?:For (?:the )?special conditions relating to [^.()]*?,? see|"
    r"See also|See) (?P<note>(?:(?:Introductory )?Notes? \d+(?:\.\d+)?(?: and \d+(?:\.\d+)?)?"
    r"(?: in Part \d+ of this Schedule)?)|(?:Appendix \d+(?: \([^)]*\))?))\)?\.?",
    re.I | re.M,
)
_IN_ACCORDANCE = re.compile(
    r",? in accordance with (?P<note>Appendix [\w.]+ of the [^.]+?)(?=\.|$)", re.I
)
_NOTE_LINE = re.compile(r"^Note: (?P<note>.+)$", re.I | re.M)
_RVC_PROVISO = re.compile(
    r"^(?P<head>.+?),? provided (?:that )?there is a regional value content of not less than "
    r"(?P<rest>.+)$",
    re.I,
)
# " or " before a capital letter starts another criterion: "Spinning ... or Extrusion ..."
_ALTERNATIVE = re.compile(r"\s+or\s+(?=[A-Z])")
_LIST_HEAD = re.compile(r"^(?P<head>Manufacture(?: in which)?|Manufacture from):$", re.I)
_ALLOWANCE = re.compile(
    rf"^However, (?:non-originating )?materials (?:of|classified within) the same "
    rf"(?P<level>heading|subheading|chapter)(?: as {PRODUCT})? may be used,? provided "
    rf"(?:that )?their (?:total )?value does not exceed {PCT} of (?:{EXW}|(?P<fob>{FOB}))\.?$",
    re.I,
)
_LIMIT = re.compile(
    rf"^However, the (?:total )?value of (?:all )?the materials of (?P<refs>{REFS}) used "
    rf"(?:must|does|shall|may) not exceed {PCT} of (?:{EXW}|(?P<fob>{FOB}))\.?$",
    re.I,
)
_PERMIT = re.compile(
    rf"^However, (?P<what>.+?) may (?:also )?be used(?:,? provided (?:that )?their (?:total )?"
    rf"value does not exceed {PCT} of (?:{EXW}|(?P<fob>{FOB})))?\.?$",
    re.I,
)
_MANUFACTURE_BY = re.compile(r"^(?P<process>Manufacture by [^,]+?) in which (?P<rest>.+)$", re.I)
_EXCLUSION = re.compile(
    rf"^However, (?P<what>(?:[a-z ,\-]+? )?(?:of )?(?P<refs>{REFS})) may not be used\.?$", re.I
)


@lru_cache(maxsize=8192)
def read(markdown: str) -> tuple[Node, tuple[str, ...]]:
    """The criteria of one rule's text and the notes it refers to.

    Many rules share a wording (27,507 rules, 3,442 texts), and trees are
    immutable, so each wording is read once.
    """
    text = plain(markdown)
    notes = tuple(m["note"] for m in _NOTE_SENTENCE.finditer(text)) + tuple(
        m["note"].strip() for m in _NOTE_LINE.finditer(text)
    )
    notes += tuple(m["note"] for m in _IN_ACCORDANCE.finditer(text))
    text = _IN_ACCORDANCE.sub("", _NOTE_LINE.sub("", _NOTE_SENTENCE.sub("", text))).strip()
    node = _read_block(text) if text else None
    if node is None:
        return NeedsReview(text=markdown), notes
    return node, notes


def _read_block(text: str) -> Node | None:
    lines: list[str] = []
    for line in text.splitlines():
        # a connective printed on a line of its own belongs to the item before it
        if lines and line.lower() in ("and", "or"):
            lines[-1] += f" {line.lower()}"
        else:
            lines.append(line)
    head = _LIST_HEAD.match(lines[0])
    if head and len(lines) > 1:
        # list items are printed with "- ", or (in a few annexes) without
        return _read_list(head["head"], [line.removeprefix("- ") for line in lines[1:]])
    one_line = flat(text)
    return _read_line(one_line)


def _read_line(text: str) -> Node | None:
    sentences = re.split(r"(?<=\.)\s+(?=However,)", text)
    main = sentences[0]
    alternatives = _ALTERNATIVE.split(main)
    # "A or B, in each case accompanied by C": C binds every alternative, so no split
    if len(alternatives) > 1 and len(sentences) == 1 and "in each case" not in alternatives[-1]:
        parts = [read_sentence(a) for a in alternatives]
        if all(p is not None for p in parts):
            return any_of(*[p for p in parts if p is not None], text=text)
    node = read_sentence(main)
    by = _MANUFACTURE_BY.match(main) if node is None else None
    if by:
        rest = read_sentence("Manufacture in which " + by["rest"])
        if rest is not None:
            node = all_of(SpecificProcess(by["process"], text=by["process"]), rest, text=main)
    rvc = _RVC_PROVISO.match(main) if node is None else None
    if rvc:
        head, value = read_sentence(rvc["head"]), read_sentence(rvc["rest"])
        node = all_of(head, value, text=main) if head is not None and value is not None else None
    for extra in sentences[1:]:
        if node is None:
            return None
        node = _apply_however(node, extra)
    return node


def _apply_however(node: Node, sentence: str) -> Node | None:
    allowance = _ALLOWANCE.match(sentence)
    same_level = {
        "chapter": ShiftLevel.CHAPTER,
        "heading": ShiftLevel.HEADING,
        "subheading": ShiftLevel.SUBHEADING,
    }
    if (
        allowance
        and isinstance(node, TariffShift)
        and node.allowance is None
        # "materials of the same heading may be used" relaxes a change of heading only
        and same_level[allowance["level"].lower()] == node.level
    ):
        base = ValueBase.FOB if allowance["fob"] else ValueBase.EXW
        return replace(
            node,
            allowance=Decimal(allowance["pct"]),
            allowance_base=base,
            text=node.text + " " + sentence,
        )
    limit = _LIMIT.match(sentence)
    if limit:
        base = ValueBase.FOB if limit["fob"] else ValueBase.EXW
        try:
            materials = Materials(parse_refs(limit["refs"]))
        except ValueError:
            return None
        value = MaterialValueLimit(materials, Decimal(limit["pct"]), base, text=sentence)
        return all_of(node, value, text=node.text + " " + sentence)
    exclusion = _EXCLUSION.match(sentence)
    permit = _PERMIT.match(sentence) if exclusion is None else None
    if permit and isinstance(node, TariffShift):
        base = ValueBase.FOB if permit["fob"] else ValueBase.EXW
        share = Decimal(permit["pct"]) if permit["pct"] else None
        try:
            materials = named_materials(permit["what"])
        except ValueError:
            return None
        return replace(
            node,
            permits=(*node.permits, Permit(materials, share, base)),
            text=node.text + " " + sentence,
        )
    if exclusion and isinstance(node, TariffShift):
        try:
            refs = parse_refs(exclusion["refs"])
        except ValueError:
            return None
        what = exclusion["what"]
        if re.fullmatch(rf"(?:(?:non-originating )?materials of )?{REFS}", what, re.I):
            # the whole heading: an exception
            return replace(node, exceptions=node.exceptions + refs, text=node.text + " " + sentence)
        # only the goods named of that heading ("welded angles ... of heading 7301")
        return replace(
            node,
            exclusions=(*node.exclusions, named_materials(what)),
            text=node.text + " " + sentence,
        )
    return None


def _read_list(head: str, items: list[str]) -> Node | None:
    """'Manufacture:' + items; 'and'/'or' at the end of an item joins it to the next."""
    joins = []
    clean = []
    for item in items:
        m = re.search(r",?\s+(and / or|and/or|and|or)$", item.strip(), re.I)
        joins.append(m.group(1).lower().replace(" ", "") if m else "")
        clean.append(item[: m.start()] if m else item.strip())
    stated = {j for j in joins[:-1] if j}
    if len(stated) > 1 or "and/or" in stated:
        # "and" and "or" mixed, or "and/or" (one condition per kind of material,
        # which neither And nor Or says): the law needs a reader
        return None
    if head.lower() == "manufacture from":
        from opencustoms.origin.compiler.patterns import read_sentence as read_one

        return read_one("Manufacture from " + "; ".join(c.strip(" ,;") for c in clean))
    parts = []
    for item in clean:
        item = item.strip().rstrip(";,")
        sentence = (
            item if re.match(r"(?i)^(manufacture|a change|no change)", item) else (f"{head} {item}")
        )
        node = _read_line(sentence)
        if node is None:
            return None
        parts.append(node)
    joined = " ".join(items)
    return any_of(*parts, text=joined) if stated == {"or"} else all_of(*parts, text=joined)
