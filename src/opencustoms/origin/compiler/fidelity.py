"""Fidelity: nothing the law says in numbers is lost in compilation.

Every percentage and every HS reference in a rule's text must appear in its
compiled tree (in a threshold, a range, a named material or process, or a
note), unless the rule is kept for review. References that only say which
goods the rule is for ("A change to a good of heading 0101 ...") are scope,
not criteria, and are not counted.
"""

from __future__ import annotations

import re
from decimal import Decimal

from opencustoms.origin.compiler.refs import REFS
from opencustoms.origin.compiler.text import hs_references, percentages, plain
from opencustoms.origin.rules import (
    HsRange,
    ManufactureFrom,
    Materials,
    MaterialsOriginating,
    MaterialValueLimit,
    MaxNonOriginating,
    NeedsReview,
    Node,
    RegionalValueContent,
    SpecificProcess,
    TariffShift,
    WhollyObtained,
    walk,
)

_SCOPE = re.compile(
    rf"(?:a change to (?:a good|goods|any other good) of|(?:required )?for (?:a good|goods|any "
    rf"other good) of|^all the (?:animals|products|goods|plants) of) {REFS}(?: (?:to|through) {REFS})?"
    r"(?! used)",
    re.I,
)


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _ranges(ranges: tuple[HsRange, ...]) -> set[str]:
    return {code for r in ranges for code in (r.start, r.end) if code}


def _materials(m: Materials | None) -> tuple[set[str], str]:
    if m is None:
        return set(), ""
    return _ranges(m.hs), m.name


def tree_facts(node: Node, notes: tuple[str, ...] = ()) -> tuple[set[str], set[str]]:
    """(percentages, HS references) a tree states."""
    pcts: set[str] = set()
    refs: set[str] = set()
    words: list[str] = list(notes)
    for n in walk(node):
        match n:
            case TariffShift():
                refs |= _ranges(n.exceptions) | _ranges(n.only_from)
                if n.allowance is not None:
                    pcts.add(_pct(n.allowance))
                for excluded in n.exclusions:
                    r, w = _materials(excluded)
                    refs |= r
                    words.append(w)
                for permit in n.permits:
                    r, w = _materials(permit.materials)
                    refs |= r
                    words.append(w)
                    if permit.threshold is not None:
                        pcts.add(_pct(permit.threshold))
            case RegionalValueContent() | MaxNonOriginating():
                pcts.add(_pct(n.threshold))
                if isinstance(n, RegionalValueContent):
                    r, w = _materials(n.materials)
                    refs |= r
                    words.append(w)
            case MaterialValueLimit():
                pcts.add(_pct(n.threshold))
                r, w = _materials(n.materials)
                refs |= r
                words.append(w)
            case WhollyObtained() | ManufactureFrom() | MaterialsOriginating():
                r, w = _materials(n.materials)
                refs |= r
                words.append(w)
            case SpecificProcess():
                words.append(n.process)
    for w in words:
        pcts |= set(percentages(w))
        refs |= set(hs_references(w))
    return pcts, refs


def lost_facts(markdown: str, node: Node, notes: tuple[str, ...] = ()) -> list[str]:
    """What the text states that the tree does not; empty when faithful or under review."""
    if any(isinstance(n, NeedsReview) for n in walk(node)):
        return []
    text = _SCOPE.sub(" ", plain(markdown))
    pcts, refs = tree_facts(node, notes)
    lost = [f"{p}%" for p in dict.fromkeys(percentages(text)) if p not in pcts]
    lost += [f"HS {r}" for r in dict.fromkeys(hs_references(text)) if r not in refs]
    return lost
