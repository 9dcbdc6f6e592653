"""RCEP Annex 3A's coded rules: "CC", "CTH", "CTSH", "WO", "RVC40", "CR",
"CC except from Chapter 01", and alternatives joined by "or".

Annex 3A, Headnote 7 defines the codes: RVC40 is a regional value content of
no less than 40 per cent calculated under Article 3.5, which allows either the
indirect (build-down) or the direct (build-up) formula, on the FOB value;
CC, CTH and CTSH are changes of tariff classification at two, four and six
digits; WO is wholly obtained (Article 3.3); CR is the chemical reaction rule.
Headnote 4: alternatives are met when one of them is. Anything else is kept
for review.
"""

from __future__ import annotations

import re
from decimal import Decimal

from opencustoms.origin.compiler.refs import REFS, parse_refs
from opencustoms.origin.rules import (
    NeedsReview,
    Node,
    RegionalValueContent,
    RvcMethod,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    ValueBase,
    WhollyObtained,
    any_of,
)

_SHIFT = re.compile(rf"^(?P<level>CC|CTH|CTSH)(?: except from (?P<exc>{REFS}))?$", re.I)
_RVC = re.compile(r"^RVC ?\(?(?P<pct>\d+(?:\.\d+)?)\)?$")


def _one(text: str) -> Node | None:
    t = " ".join(text.split())
    if t == "WO":
        return WhollyObtained(text=t)
    if t == "CR":
        return SpecificProcess("chemical reaction (Annex 3A, Headnote 7(f))", text=t)
    m = _SHIFT.match(t)
    if m:
        try:
            exceptions = parse_refs(m["exc"]) if m["exc"] else ()
        except ValueError:
            return None
        return TariffShift(ShiftLevel(m["level"].upper()), exceptions, text=t)
    m = _RVC.match(t)
    if m:
        share = Decimal(m["pct"])
        return any_of(
            RegionalValueContent(RvcMethod.BUILD_DOWN, ValueBase.FOB, share, text=t),
            RegionalValueContent(RvcMethod.BUILD_UP, ValueBase.FOB, share, text=t),
            text=t,
        )
    return None


def read_rcep(text: str) -> Node:
    """The tree of an Annex 3A rule as printed, or NeedsReview with the text."""
    parts = [_one(p) for p in re.split(r"\s+or\s+", text.strip())]
    if not parts or any(p is None for p in parts):
        return NeedsReview(text=text)
    return any_of(*[p for p in parts if p is not None], text=text)
