"""The compile report: how much of each agreement's law the compiler reads.

Counted per rule (one published text of a rule set), as rule lookups serve it:
a rule read on its own but part of a rule set whose rules' relation the data
leaves unstated is counted for review. Also per distinct text, since many rules
share a wording. The texts kept for review are grouped by
their shape (numbers and HS codes blanked), most frequent first, so the next
wording to teach the compiler is plain to see.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.compiler.text import plain


@dataclass
class AgreementCount:
    id: str
    rules: int = 0
    compiled: int = 0

    @property
    def needs_review(self) -> int:
        return self.rules - self.compiled


@dataclass
class CompileReport:
    agreements: list[AgreementCount] = field(default_factory=list)
    texts: dict[str, bool] = field(default_factory=dict)  # distinct text → compiled
    review: Counter[str] = field(default_factory=Counter)  # shape → rules

    def add(self, agreement: str, rule_sets: list[CompiledRuleSet]) -> None:
        """Count each published rule as the lookup serves it: compiled within its rule set."""
        count = AgreementCount(agreement)
        for rule_set in rule_sets:
            for text, compiled in zip(rule_set.texts, rule_set.compiled, strict=True):
                count.rules += 1
                count.compiled += compiled
                # a wording counts as compiled when it is read somewhere
                self.texts[text] = self.texts.get(text, False) or compiled
                if not compiled:
                    self.review[shape(text) or "(empty rule)"] += 1
        self.agreements.append(count)

    def as_dict(self, review_limit: int = 50) -> dict[str, Any]:
        rules = sum(a.rules for a in self.agreements)
        compiled = sum(a.compiled for a in self.agreements)
        return {
            "agreements": [
                {
                    "id": a.id,
                    "rules": a.rules,
                    "compiled": a.compiled,
                    "needs_review": a.needs_review,
                }
                for a in self.agreements
            ],
            "total": {"rules": rules, "compiled": compiled, "needs_review": rules - compiled},
            "distinct_texts": {
                "total": len(self.texts),
                "compiled": sum(self.texts.values()),
            },
            "needs_review_by_wording": [
                {"rules": n, "wording": w} for w, n in self.review.most_common(review_limit)
            ],
        }


def shape(text: str) -> str:
    """A wording with its numbers and codes blanked: texts that differ only there group."""
    t = plain(text)
    t = re.sub(r"\d+(?:\.\d+)?\s?%", "<n>%", t)
    t = re.sub(
        r"\b(chapters?|headings?|subheadings?)\s+\d+(?:\.\d+)*", lambda m: f"{m.group(1)} <code>", t
    )
    return " ".join(t.split())
