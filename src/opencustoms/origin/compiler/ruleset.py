"""Rule sets of the UK tariff's format: the rules printed for one heading (or range).

A rule set lists rules; a rule's `operator` "or" makes it an alternative to the
one before, as are fragments that continue the previous rule's list of
alternatives ("- b) 40% under the build-down method"). "However, ..."
sentences are joined to the rule they qualify. Where
the data leaves the relation between two rules unstated and the text does not
settle it, the rule set is kept for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.compiler.reader import read
from opencustoms.origin.rules import (
    NeedsReview,
    Node,
    ProductRule,
    RuleSource,
    any_of,
    walk,
)

_CONTINUATION = re.compile(r"^\s*-\s*[b-z]\)\s")
_RVC_LIST = re.compile(
    r"^\s*No change in tariff classification (?:is )?required\b.*not less than:", re.I | re.S
)


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """A heading's rule, as compiled, with what it covers."""

    heading: str  # as printed: "ex 8466", "5512 to 5516", "Chapter 1"
    description: str  # the goods it covers ("subdivision" in the data)
    first_code: str  # ten-digit commodity codes covered, inclusive
    last_code: str
    rule: ProductRule
    texts: tuple[str, ...]  # each rule's text as published
    compiled: tuple[bool, ...] = ()  # per text: read into the tree as served (not for review)
    quota: bool = False  # the data marks the rule as applying within a quota

    @property
    def is_ex(self) -> bool:
        """An "ex" entry covers only part of its heading: the description says which."""
        return self.heading.lower().startswith("ex ")


def compile_rule_set(
    raw: dict[str, Any], agreement: str, document: str, edition: HsEdition | None
) -> CompiledRuleSet:
    texts = [str(r.get("rule") or "") for r in raw.get("rules", [])]
    operators = [r.get("operator") for r in raw.get("rules", [])]
    source = RuleSource(agreement, document, str(raw.get("heading", "")), edition)
    operators = _list_of_alternatives(texts, operators)
    groups: list[list[int]] = []  # indexes of the texts each alternative is made of
    unstated = False
    for index, (text, operator) in enumerate(zip(texts, operators, strict=True)):
        if not text.strip():
            continue
        if _FOR_ONE_PARTY.search(text):
            # "For originating goods ... imported from Malaysia, the product specific rule
            # is: ...": what follows is another party's rule, read by a person, never
            # offered to every exporter as an alternative
            groups.append(list(range(index, len(texts))))
            break
        if groups and text.strip().startswith("However,"):
            groups[-1].append(index)
        elif groups and _CONTINUATION.match(text) and operator == "or":
            # "- b) 40% under the build-down method" after "... not less than: - a) ...":
            # another alternative only when the first is itself that value-content list
            previous = texts[groups[-1][0]]
            if not (_RVC_LIST.match(previous) or _CONTINUATION.match(previous)):
                unstated = True
            groups.append([index])
        elif not groups or operator == "or":
            groups.append([index])
        else:
            unstated = True
            groups.append([index])
    criteria: Node
    notes: list[str] = []
    compiled = [False] * len(texts)
    if not groups:
        criteria = NeedsReview(text="")
    elif unstated:
        criteria = NeedsReview(text="\n\n".join(texts))
    else:
        alternatives = []
        for group in groups:
            node, group_notes = read(_join([texts[i] for i in group]))
            notes.extend(group_notes)
            alternatives.append(node)
            ok = not any(isinstance(n, NeedsReview) for n in walk(node))
            for i in group:
                compiled[i] = ok
        criteria = any_of(*alternatives)
    rule = ProductRule(criteria, source, notes=tuple(dict.fromkeys(notes)), text="\n\n".join(texts))
    return CompiledRuleSet(
        heading=source.heading,
        description=str(raw.get("subdivision") or ""),
        first_code=str(raw.get("min", "")),
        last_code=str(raw.get("max", "")),
        rule=rule,
        texts=tuple(texts),
        compiled=tuple(compiled),
        quota=any(bool(r.get("quota")) for r in raw.get("rules", []) if isinstance(r, dict)),
    )


_FOR_ONE_PARTY = re.compile(r"\bimported from [A-Z][a-z]+")


def _list_of_alternatives(texts: list[str], operators: list[Any]) -> list[Any]:
    """ "A; B; or C": rules printed as a list whose last item alone says "or" are
    alternatives, as the EU–UK TCA prints them ("CTSH; a chemical reaction ...;
    or MaxNOM 50 % (EXW)")."""
    items = [
        i
        for i, t in enumerate(texts)
        if t.strip() and not t.strip().startswith("However,") and not _CONTINUATION.match(t)
    ]
    if (
        len(items) >= 3
        and operators[items[-1]] == "or"
        and all(operators[i] is None for i in items[1:-1])
    ):
        return [("or" if i in items[1:] else op) for i, op in enumerate(operators)]
    return operators


def _join(group: list[str]) -> str:
    """One text from a rule and the "However, ..." sentences that qualify it."""
    return " ".join([group[0].rstrip(), *(piece.strip() for piece in group[1:])])
