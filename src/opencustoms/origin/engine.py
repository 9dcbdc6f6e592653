"""Evaluating a product-specific rule against a bill of materials.

Each criterion answers passed, failed, or unknown (the BOM lacks what the law
asks about), with its reason and its margin in numbers. And needs every part,
Or any one (RCEP Annex 3A Headnote 4; the UK annexes alike). Percentages are
computed in Decimal on the price the rule names (ex-works or FOB).

Only non-originating materials must meet a change of tariff classification
(RCEP Headnote 5; UK–Korea ORD Article 5(1)); a material counts as originating
only on its evidence (see `bom.py`). Where the law needs a figure the BOM
lacks (labour and overhead for a build-up RVC, a process declared or not), the
answer is unknown, never a guess.

The general rules of an agreement (tolerance, cumulation, roll-up of
sub-assemblies, insufficient operations) are applied around this evaluation
(plan for issue 4, step 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum

from opencustoms.kernel.errors import N_
from opencustoms.kernel.money import Money
from opencustoms.origin.bom import Bom, EvidenceKind, Material
from opencustoms.origin.notation import render
from opencustoms.origin.profile import BuildUp
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
    Node,
    NonOriginatingWithinOriginating,
    ProducedExclusively,
    RegionalValueContent,
    RvcMethod,
    ShiftLevel,
    SpecificProcess,
    TariffShift,
    ValueBase,
    WhollyObtained,
)


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the BOM lacks what the law asks about


@dataclass(frozen=True, slots=True)
class Outcome:
    node: Node
    result: Result
    reason: str  # a message template (N_), filled with `params`
    params: dict[str, object] = field(default_factory=dict)
    lines: tuple[int, ...] = ()  # material lines the reason is about
    parts: tuple[Outcome, ...] = ()

    @property
    def notation(self) -> str:
        return render(self.node)

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        template = translate(self.reason) if translate else self.reason
        return template % self.params if self.params else template


@dataclass(frozen=True, slots=True)
class Facts:
    """What the evaluation knows: the BOM, the day, and which materials count as originating."""

    bom: Bom
    on: date
    originating: Callable[[Material], bool]
    tolerated: frozenset[int] = frozenset()  # lines the general tolerance exempts from a CTC
    build_up: BuildUp | None = None  # what the agreement's build-up formula adds (None: unknown)
    known_non_originating: tuple[Material, ...] | None = None  # when the caller has sorted them

    @classmethod
    def of(cls, bom: Bom, on: date) -> Facts:
        return cls(bom, on, lambda m: m.counts_as_originating(on))

    def non_originating(self) -> Sequence[Material]:
        if self.known_non_originating is not None:
            return self.known_non_originating
        return [m for m in self.bom.materials if not self.originating(m)]

    def price(self, base: ValueBase) -> Money | None:
        p = self.bom.product
        return p.ex_works_price if base == ValueBase.EXW else p.fob_price


def _share(part: Decimal, whole: Decimal) -> Decimal:
    """The exact percentage: limits are compared with it, never with a rounded figure."""
    return part * 100 / whole


def _shown(value: Decimal) -> Decimal:
    """A percentage as a report shows it, to two places."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _gap(value: Decimal, limit: Decimal) -> Decimal:
    """How far from the limit, to two places, never shown as 0.00 when it is not."""
    return abs(limit - value).quantize(Decimal("0.01"), rounding=ROUND_UP)


def _covers(ranges: Sequence[HsRange], m: Material) -> bool:
    return any(r.covers(m.hs.digits) for r in ranges)


def _named_only(materials: Materials) -> bool:
    return not materials.hs


def evaluate(node: Node, facts: Facts) -> Outcome:
    match node:
        case AnyOf(parts=parts):
            outcomes = tuple(evaluate(p, facts) for p in parts)
            if any(o.result == Result.PASSED for o in outcomes):
                return Outcome(node, Result.PASSED, N_("an alternative is met"), parts=outcomes)
            if all(o.result == Result.FAILED for o in outcomes):
                return Outcome(node, Result.FAILED, N_("no alternative is met"), parts=outcomes)
            return Outcome(
                node,
                Result.UNKNOWN,
                N_("no alternative is met on the data given; some cannot be decided"),
                parts=outcomes,
            )
        case AllOf(parts=parts):
            outcomes = tuple(evaluate(p, facts) for p in parts)
            if all(o.result == Result.PASSED for o in outcomes):
                return Outcome(node, Result.PASSED, N_("every condition is met"), parts=outcomes)
            if any(o.result == Result.FAILED for o in outcomes):
                return Outcome(node, Result.FAILED, N_("a condition is not met"), parts=outcomes)
            return Outcome(
                node,
                Result.UNKNOWN,
                N_("some conditions cannot be decided on the data given"),
                parts=outcomes,
            )
        case TariffShift():
            return _shift(node, facts)
        case MaxNonOriginating(base=base, threshold=limit):
            price = facts.price(base)
            if price is None or price.amount <= 0:
                return Outcome(
                    node, Result.UNKNOWN, N_("the %(base)s price is needed"), {"base": base.value}
                )
            value = sum((m.value.amount for m in facts.non_originating()), Decimal(0))
            share = _share(value, price.amount)
            ok = share <= limit
            return Outcome(
                node,
                Result.PASSED if ok else Result.FAILED,
                N_(
                    "non-originating materials %(share)s%% of %(base)s, limit %(limit)s%%: %(margin)s points under"
                )
                if ok
                else N_(
                    "non-originating materials %(share)s%% of %(base)s, limit %(limit)s%%: %(margin)s points over"
                ),
                {
                    "share": _shown(share),
                    "base": base.value,
                    "limit": limit,
                    "margin": _gap(share, limit),
                },
            )
        case RegionalValueContent():
            return _rvc(node, facts)
        case MaterialValueLimit(materials=materials, threshold=limit, base=base):
            if _named_only(materials):
                return Outcome(
                    node,
                    Result.UNKNOWN,
                    N_("name which lines are '%(name)s' to decide this"),
                    {"name": materials.name},
                )
            price = facts.price(base)
            if price is None or price.amount <= 0:
                return Outcome(
                    node, Result.UNKNOWN, N_("the %(base)s price is needed"), {"base": base.value}
                )
            chosen = [m for m in facts.non_originating() if _covers(materials.hs, m)]
            share = _share(sum((m.value.amount for m in chosen), Decimal(0)), price.amount)
            ok = share <= limit
            return Outcome(
                node,
                Result.PASSED if ok else Result.FAILED,
                N_("those materials %(share)s%% of %(base)s, limit %(limit)s%%"),
                {"share": _shown(share), "base": base.value, "limit": limit},
                tuple(m.line for m in chosen),
            )
        case NonOriginatingWithinOriginating():
            non = sum((m.value.amount for m in facts.non_originating()), Decimal(0))
            orig = sum(
                (m.value.amount for m in facts.bom.materials if facts.originating(m)), Decimal(0)
            )
            return Outcome(
                node,
                Result.PASSED if non <= orig else Result.FAILED,
                N_("non-originating materials %(non)s, originating %(orig)s"),
                {"non": non, "orig": orig},
            )
        case WhollyObtained(materials=None):
            failing = [m.line for m in facts.bom.materials if not _wholly_obtained(m, facts)]
            return _lines(
                node,
                failing,
                N_("every material wholly obtained"),
                N_("not shown wholly obtained: lines %(lines)s"),
            )
        case WhollyObtained(materials=materials) if materials is not None:
            if _named_only(materials):
                return Outcome(
                    node,
                    Result.UNKNOWN,
                    N_("name which lines are '%(name)s' to decide this"),
                    {"name": materials.name},
                )
            failing = [
                m.line
                for m in facts.bom.materials
                if _covers(materials.hs, m) and not _wholly_obtained(m, facts)
            ]
            return _lines(
                node,
                failing,
                N_("those materials wholly obtained"),
                N_("not shown wholly obtained: lines %(lines)s"),
            )
        case ProducedExclusively():
            failing = [m.line for m in facts.non_originating()]
            return _lines(
                node,
                failing,
                N_("every material originating"),
                N_("non-originating materials: lines %(lines)s"),
            )
        case MaterialsOriginating(materials=materials) | ManufactureFrom(materials=materials):
            if _named_only(materials):
                return Outcome(
                    node,
                    Result.UNKNOWN,
                    N_("name which lines are '%(name)s' to decide this"),
                    {"name": materials.name},
                )
            if isinstance(node, MaterialsOriginating):
                failing = [m.line for m in facts.non_originating() if _covers(materials.hs, m)]
                return _lines(
                    node,
                    failing,
                    N_("those materials originating"),
                    N_("non-originating: lines %(lines)s"),
                )
            failing = [m.line for m in facts.non_originating() if not _covers(materials.hs, m)]
            return _lines(
                node,
                failing,
                N_("non-originating materials all of the stage named"),
                N_("non-originating materials of another stage: lines %(lines)s"),
            )
        case SpecificProcess(process=process):
            declared = {p.lower() for p in facts.bom.product.processes}
            if process.lower() in declared:
                return Outcome(
                    node,
                    Result.PASSED,
                    N_("the process is declared: %(process)s"),
                    {"process": process},
                )
            return Outcome(
                node,
                Result.UNKNOWN,
                N_("declare whether this process was carried out: %(process)s"),
                {"process": process},
            )
        case NeedsReview():
            return Outcome(
                node, Result.UNKNOWN, N_("the rule's text needs a reader; it was not compiled")
            )
    return Outcome(node, Result.UNKNOWN, N_("this kind of criterion is not evaluated yet"))


def _wholly_obtained(m: Material, facts: Facts) -> bool:
    """Shown wholly obtained, and counted as originating (valid, from a party or partner)."""
    return (
        m.evidence is not None
        and m.evidence.kind == EvidenceKind.WHOLLY_OBTAINED
        and facts.originating(m)
    )


def _lines(node: Node, failing: list[int], ok: str, bad: str) -> Outcome:
    if not failing:
        return Outcome(node, Result.PASSED, ok)
    return Outcome(
        node, Result.FAILED, bad, {"lines": ", ".join(str(n) for n in failing)}, tuple(failing)
    )


def _shift(node: TariffShift, facts: Facts) -> Outcome:
    product = facts.bom.product.hs.digits
    width = node.level.digits
    unknown = [e for e in node.exclusions if _named_only(e)] + [
        p.materials for p in node.permits if _named_only(p.materials)
    ]
    failing: list[Material] = []
    same_level: list[Material] = []
    doubtful: list[Material] = []
    # the ranges each test needs, gathered once: a BOM may have many thousand lines
    permitted = tuple(r for p in node.permits if p.threshold is None for r in p.materials.hs)
    excluded = tuple(r for e in node.exclusions for r in e.hs)
    tolerated = facts.tolerated
    head = product[:width]
    for m in facts.non_originating():
        if tolerated and m.line in tolerated:
            continue  # within the general tolerance (the agreement's profile)
        if permitted and _covers(permitted, m):
            continue  # expressly permitted, whatever its classification
        if node.exceptions and _covers(node.exceptions, m):
            failing.append(m)
        elif excluded and _covers(excluded, m):
            # only the goods the exclusion names, within that code, are barred: a
            # material of the code may or may not be them
            doubtful.append(m)
        elif node.only_from and not _covers(node.only_from, m):
            failing.append(m)
        elif width and m.hs.digits[:width] == head:
            same_level.append(m)
    capped = [p for p in node.permits if p.threshold is not None and p.materials.hs]
    if same_level and node.allowance is not None:
        price = facts.price(node.allowance_base)
        if price is None or price.amount <= 0:
            return Outcome(
                node,
                Result.UNKNOWN,
                N_("the %(base)s price is needed"),
                {"base": node.allowance_base.value},
            )
        share = _share(sum((m.value.amount for m in same_level), Decimal(0)), price.amount)
        if share > node.allowance:
            failing.extend(same_level)
        same_level = []
    for permit in capped:
        covered = [m for m in same_level if _covers(permit.materials.hs, m)]
        price = facts.price(permit.base)
        usable = covered and price is not None and price.amount > 0
        if usable and price is not None and permit.threshold is not None:
            share = _share(sum((m.value.amount for m in covered), Decimal(0)), price.amount)
            if share <= permit.threshold:
                same_level = [m for m in same_level if m not in covered]
    failing.extend(same_level)
    if not failing and not doubtful:
        return Outcome(
            node,
            Result.PASSED,
            N_("every non-originating material changes %(level)s"),
            {"level": node.level.value},
        )
    lines = tuple(sorted(m.line for m in failing))
    if not failing and doubtful:
        named = "; ".join(e.name for e in node.exclusions if e.name)
        return Outcome(
            node,
            Result.UNKNOWN,
            N_("say whether lines %(lines)s are %(named)s, which may not be used"),
            {"lines": ", ".join(str(m.line) for m in doubtful), "named": named},
            tuple(m.line for m in doubtful),
        )
    if unknown:
        return Outcome(
            node,
            Result.UNKNOWN,
            N_(
                "lines %(lines)s do not change %(level)s unless they are materials the rule names in words"
            ),
            {"lines": ", ".join(map(str, lines)), "level": node.level.value},
            lines,
        )
    return Outcome(
        node,
        Result.FAILED,
        N_("%(count)s materials fail %(level)s: lines %(lines)s"),
        {"count": len(lines), "level": node.level.value, "lines": ", ".join(map(str, lines))},
        lines,
    )


def _rvc(node: RegionalValueContent, facts: Facts) -> Outcome:
    non = facts.non_originating()
    if node.method == RvcMethod.FOCUSED_VALUE and node.materials is not None:
        non = [m for m in non if _covers(node.materials.hs, m)]
    vnm = sum((m.value.amount for m in non), Decimal(0))
    if node.method == RvcMethod.NET_COST:  # (net cost - VNM) / net cost
        net = facts.bom.product.costs.net_cost
        if net is None or net.amount <= 0:
            return Outcome(
                node, Result.UNKNOWN, N_("the net cost method needs the product's net cost")
            )
        return _rvc_outcome(node, _share(net.amount - vnm, net.amount))
    price = facts.price(node.base)
    if price is None or price.amount <= 0:
        return Outcome(
            node, Result.UNKNOWN, N_("the %(base)s price is needed"), {"base": node.base.value}
        )
    if node.method in (RvcMethod.BUILD_DOWN, RvcMethod.FOCUSED_VALUE):
        return _rvc_outcome(node, _share(price.amount - vnm, price.amount))
    vom = sum((m.value.amount for m in facts.bom.materials if facts.originating(m)), Decimal(0))
    if facts.build_up == BuildUp.MATERIALS:
        return _rvc_outcome(node, _share(vom, price.amount))
    # the direct formula also adds the producer's costs (RCEP Article 3.5(1)(b)); where the
    # BOM gives only some of them, what it gives is a lower bound
    costs = facts.bom.product.costs.build_up() if facts.build_up is not None else {}
    given = sum((c.amount for c in costs.values() if c is not None), Decimal(0))
    missing = [k for k, c in costs.items() if c is None]
    floor = _share(vom + given, price.amount)
    if facts.build_up is not None and not missing:
        return _rvc_outcome(node, floor)
    if floor >= node.threshold:
        return Outcome(
            node,
            Result.PASSED,
            N_(
                "regional value content at least %(rvc)s%% (%(method)s) on the figures given, at least %(limit)s%%"
            ),
            {"rvc": _shown(floor), "method": node.method.value, "limit": node.threshold},
        )
    if facts.build_up is None:
        return Outcome(
            node,
            Result.UNKNOWN,
            N_(
                "originating materials give %(rvc)s%%; the agreement's profile does not record what else %(method)s counts"
            ),
            {"rvc": _shown(floor), "method": node.method.value},
        )
    return Outcome(
        node,
        Result.UNKNOWN,
        N_(
            "originating materials and the costs given make %(rvc)s%% (%(method)s); give %(missing)s"
        ),
        {"rvc": _shown(floor), "method": node.method.value, "missing": ", ".join(missing)},
    )


def _rvc_outcome(node: RegionalValueContent, rvc: Decimal) -> Outcome:
    ok = rvc >= node.threshold
    return Outcome(
        node,
        Result.PASSED if ok else Result.FAILED,
        N_(
            "regional value content %(rvc)s%% (%(method)s), at least %(limit)s%%: %(margin)s points over"
        )
        if ok
        else N_(
            "regional value content %(rvc)s%% (%(method)s), at least %(limit)s%%: %(margin)s points short"
        ),
        {
            "rvc": _shown(rvc),
            "method": node.method.value,
            "limit": node.threshold,
            "margin": _gap(rvc, node.threshold),
        },
    )


CRITERION_CODES = {
    WhollyObtained: "WO",
    ProducedExclusively: "PE",
    RegionalValueContent: "RVC",
    MaxNonOriginating: "MaxNOM",
    MaterialValueLimit: "MaxNOM",  # a ceiling on the value of named materials
    NonOriginatingWithinOriginating: "MaxNOM",
    # working or materials the product-specific rule names: the form's "PSR" code
    SpecificProcess: "PSR",
    MaterialsOriginating: "PSR",
    ManufactureFrom: "PSR",
}


def criterion(outcome: Outcome) -> str | None:
    """The code to print on a certificate for a passed rule: the alternative that was met."""
    if outcome.result != Result.PASSED:
        return None
    node = outcome.node
    if isinstance(node, AnyOf):
        for part in outcome.parts:
            if part.result == Result.PASSED:
                return criterion(part)
    if isinstance(node, AllOf):
        codes: list[str] = []
        for part in outcome.parts:
            code = criterion(part)
            if code and code not in codes:
                codes.append(code)
        return "+".join(codes)
    if isinstance(node, TariffShift):
        return "PSR" if node.level == ShiftLevel.ANY else node.level.value
    return CRITERION_CODES.get(type(node), "PSR")
