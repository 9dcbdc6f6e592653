"""HS references as legal texts write them: "heading 7106, heading 7108 or heading 7110",
"headings 5201 to 5203", "chapter 1 and chapter 2", "subheading 0306.15"."""

from __future__ import annotations

import re

from opencustoms.origin.rules import HsRange

_UNIT = r"(?:chapters?|headings?|subheadings?|sub-headings?|heading nos?\.?)"
_CODE = r"\d{1,4}(?:\.\d{2})?(?:\d{2})?"
# one reference list: "heading 8473", "headings 5201 to 5203", "chapter 1 and chapter 2"
_SEP = r"(?:\s*,\s*(?:and|or)\s+|\s*,\s*|\s+and\s+|\s+or\s+|\s+to\s+|\s+through\s+|\s*-\s*)"
REFS = rf"(?:{_UNIT}\s+{_CODE}(?:{_SEP}(?:{_UNIT}\s+)?{_CODE}(?!\d))*)"
_ITEM = re.compile(rf"({_UNIT})?\s*({_CODE})", re.I)


def parse_refs(text: str) -> tuple[HsRange, ...]:
    """The ranges named in a reference list; ValueError if it holds no reference."""
    ranges: list[HsRange] = []
    unit = ""
    pending_range = False
    for token in re.split(r"\s*(,|\band\b|\bor\b|\bto\b|\bthrough\b|-)\s*", text.strip()):
        if not token:
            continue
        if token in ("to", "through", "-"):
            pending_range = True
            continue
        if token in (",", "and", "or"):
            continue
        match = _ITEM.fullmatch(token.strip())
        if match is None:
            raise ValueError(f"not an HS reference: {token!r}")
        unit = (match.group(1) or unit).lower()
        digits = match.group(2).replace(".", "")
        if unit.startswith("chapter"):
            digits = digits.zfill(2)
        elif len(digits) not in (4, 6):
            # "heading 932" is a misprint (2932? 9302?): never guess which
            raise ValueError(f"{token!r} is not a heading or subheading")
        if pending_range and ranges:
            ranges[-1] = HsRange(ranges[-1].start, digits)
            pending_range = False
        else:
            ranges.append(HsRange(digits))
    if not ranges:
        raise ValueError(f"no HS reference in {text!r}")
    return tuple(ranges)
