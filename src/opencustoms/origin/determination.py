"""Origin determination: a product's verdict under an agreement, with its evidence.

The pipeline follows the origin chapters of the agreements (e.g. RCEP
Articles 3.2 to 3.7; UK–Korea ORD Articles 2 to 6):

1. the applicable rule set (an "ex" heading with several candidates needs the
   BOM to name one, or the answer is insufficient data);
2. cumulation: a material with a proof of origin counts as originating only
   if it originates in a party or a cumulation partner of the profile;
3. roll-up: a sub-assembly the producer made counts as originating when its
   own determination says so (its materials are then not counted again);
4. produced exclusively from originating materials (PE), for every line;
5. the product-specific rule, every alternative evaluated;
6. the general tolerance, as the profile allows: non-originating materials
   that fail the change of classification are disregarded up to its share,
   unless the product's chapter is excluded (they still count in any value rule);
7. the insufficient-operations veto, from the product's declared processes,
   where non-originating materials were used (it is about working done on them).

A set (GIR 3) is decided by the agreement's rule for sets where the profile
has one for the subrule that classified it: every component originating, or
the non-originating components within a share of the set's price. Roll-up
follows the profile's absorption rule: where a profile says absorption does
not apply, a sub-assembly is not counted as originating on its own verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.origin.bom import Bom, EvidenceKind, Material
from opencustoms.origin.compiler.ruleset import CompiledRuleSet
from opencustoms.origin.engine import Facts, Outcome, Result, criterion, evaluate
from opencustoms.origin.profile import Citation, Profile, Sets
from opencustoms.origin.rules import MaxNonOriginating, Node, TariffShift, walk


class Verdict(StrEnum):
    ORIGINATING = "originating"
    NOT_ORIGINATING = "not_originating"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True, slots=True)
class Determination:
    agreement: str
    verdict: Verdict
    criterion: str | None
    outcome: Outcome | None  # the rule's evaluation (None before a rule set is chosen)
    rule_set: CompiledRuleSet | None
    candidates: tuple[CompiledRuleSet, ...] = ()
    tolerance_used: str | None = None  # in words, when it decided
    tolerance_cite: Citation | None = (
        None  # the text of the tolerance that decided (value or weight)
    )
    cumulation_lines: tuple[int, ...] = ()  # materials counted through cumulation
    rolled_up_lines: tuple[int, ...] = ()  # sub-assemblies counted as originating
    notes: tuple[str, ...] = field(default=())  # what was not checked, and why
    profile: Profile | None = None  # the general rules applied, with their citations
    general_rules: tuple[tuple[str, Citation], ...] = ()  # (what, its text): sets, absorption
    bom: Bom | None = None  # the input, as decided (codes in the annex's edition)
    originating_lines: tuple[int, ...] = ()  # materials counted as originating
    on: date | None = None


SubDetermine = Callable[[Bom], Verdict]


def determine(
    agreement: str,
    bom: Bom,
    candidates: Sequence[CompiledRuleSet],
    profile: Profile | None,
    on: date,
    sub_determine: SubDetermine,
) -> Determination:
    chosen = _choose(bom, candidates)
    if chosen is None:
        return Determination(
            agreement,
            Verdict.INSUFFICIENT_DATA,
            None,
            None,
            None,
            tuple(candidates),
            notes=(N_("several rule sets cover this code; name one in the BOM's rule_set"),),
        )
    partners = _partners(profile)
    tally = _Tally()
    cumulated, rolled = tally.cumulated, tally.rolled
    verdicts: dict[int, bool] = {}
    notes: list[str] = []
    cited: list[tuple[str, Citation]] = []
    absorption = profile.absorption if profile is not None else None
    roll_up = absorption is None or absorption.applies
    for m in bom.materials:
        verdicts[m.line] = _counts(m, on, partners, sub_determine, tally, roll_up)
    if tally.elsewhere:
        notes.append(
            N_(
                "materials declared originating whose origin country is not a party or a cumulation partner (or is not given) count as non-originating"
            )
        )
    if rolled and absorption is not None:
        cited.append(("absorption", absorption.cite))
    elif rolled:
        notes.append(
            N_(
                "the profile does not record absorption; an originating sub-assembly counts as an originating material"
            )
        )
    if not roll_up and any(_self_produced(m) for m in bom.materials):
        notes.append(
            N_("absorption does not apply under this agreement: sub-assemblies were not rolled up")
        )
    facts = Facts(
        bom,
        on,
        lambda m: verdicts.get(m.line, False),
        build_up=profile.build_up.adds if profile is not None and profile.build_up else None,
        known_non_originating=tuple(m for m in bom.materials if not verdicts[m.line]),
    )
    if bom.product.set_rule is not None:
        sets = _set_rule(bom, profile, notes)
        if sets is not None:
            cited.append(("sets", sets.cite))
            return _with_basis(
                _as_set(agreement, chosen, facts, sets, verdicts, tally, cited, notes),
                bom,
                profile,
                notes,
                on,
                verdicts,
            )
    if all(verdicts.values()):
        # made only of wholly obtained goods, the product is wholly obtained itself
        # (e.g. RCEP Article 3.3(l)); otherwise produced exclusively from originating
        # materials (Article 3.2(c))
        wholly = all(
            m.evidence is not None and m.evidence.kind == EvidenceKind.WHOLLY_OBTAINED
            for m in bom.materials
        )
        outcome = Outcome(
            chosen.rule.criteria,
            Result.PASSED,
            N_("every material wholly obtained") if wholly else N_("every material originating"),
        )
        return _with_basis(
            Determination(
                agreement,
                Verdict.ORIGINATING,
                "WO" if wholly else "PE",
                outcome,
                chosen,
                cumulation_lines=tuple(cumulated),
                rolled_up_lines=tuple(rolled),
                general_rules=tuple(cited),
            ),
            bom,
            profile,
            notes,
            on,
            verdicts,
        )
    outcome = evaluate(chosen.rule.criteria, facts)
    tolerance = tolerance_cite = None
    if outcome.result != Result.PASSED and profile is not None and profile.tolerance is not None:
        outcome, tolerance, tolerance_cite = _with_tolerance(
            chosen.rule.criteria, facts, outcome, profile, notes
        )
    verdict = {
        Result.PASSED: Verdict.ORIGINATING,
        Result.FAILED: Verdict.NOT_ORIGINATING,
        Result.UNKNOWN: Verdict.INSUFFICIENT_DATA,
    }[outcome.result]
    if verdict == Verdict.NOT_ORIGINATING and _would_pass(
        chosen.rule.criteria, facts, verdicts, tally.undecided
    ):
        # counted as non-originating, but they may originate, and then the rule is met
        verdict = Verdict.INSUFFICIENT_DATA
        notes.append(
            N_(
                "a sub-assembly's own determination needs more data, and the product qualifies only if it originates"
            )
        )
    if verdict == Verdict.NOT_ORIGINATING and any(
        "Note 5" in n or "Note 6" in n for n in chosen.rule.notes
    ):
        # the textile tolerances of the introductory notes go by the kind of basic
        # textile material (silk, wool, cotton, ...), which a BOM does not record
        notes.append(
            N_(
                "this rule refers to the introductory notes' textile tolerances, which were not applied: basic textile materials within their share of weight may still be disregarded"
            )
        )
    result = Determination(
        agreement,
        verdict,
        criterion(outcome),
        outcome,
        chosen,
        tolerance_used=tolerance,
        tolerance_cite=tolerance_cite,
        cumulation_lines=tuple(cumulated),
        rolled_up_lines=tuple(rolled),
        general_rules=tuple(cited),
    )
    return _with_basis(result, bom, profile, notes, on, verdicts)


def _would_pass(
    rule: Node, facts: Facts, verdicts: dict[int, bool], undecided: Sequence[int]
) -> bool:
    """Whether the rule is met if the undecided sub-assemblies turn out originating."""
    if not undecided:
        return False
    hopeful = {**verdicts, **dict.fromkeys(undecided, True)}
    again = replace(
        facts,
        originating=lambda m: hopeful.get(m.line, False),
        known_non_originating=tuple(m for m in facts.bom.materials if not hopeful[m.line]),
    )
    return evaluate(rule, again).result == Result.PASSED


def _set_rule(bom: Bom, profile: Profile | None, notes: list[str]) -> Sets | None:
    """The agreement's rule for this set, if it has one that decides it."""
    sets = profile.sets if profile is not None else None
    if sets is None:
        notes.append(
            N_(
                "the agreement's profile records no rule for sets; the product-specific rule decided"
            )
        )
    elif bom.product.set_rule not in sets.classified_by:
        notes.append(
            N_(
                "the agreement's rule for sets is not for sets classified by this subrule of GIR 3; the product-specific rule decided"
            )
        )
    elif sets.base is None:
        notes.append(
            N_(
                "the profile does not record what the sets rule's share is taken of; the product-specific rule decided"
            )
        )
    else:
        return sets
    return None


def _as_set(
    agreement: str,
    chosen: CompiledRuleSet,
    facts: Facts,
    sets: Sets,
    verdicts: dict[int, bool],
    tally: _Tally,
    cited: list[tuple[str, Citation]],
    notes: list[str],
) -> Determination:
    """A set: originating if every component is, or if the others stay within the share."""
    assert sets.base is not None
    limit = MaxNonOriginating(sets.base, sets.percent, text=sets.cite.quote)
    if all(verdicts.values()):
        outcome = Outcome(
            chosen.rule.criteria, Result.PASSED, N_("every component of the set originating")
        )
    else:
        outcome = evaluate(limit, facts)
    verdict = {
        Result.PASSED: Verdict.ORIGINATING,
        Result.FAILED: Verdict.NOT_ORIGINATING,
        Result.UNKNOWN: Verdict.INSUFFICIENT_DATA,
    }[outcome.result]
    if verdict == Verdict.NOT_ORIGINATING and _would_pass(limit, facts, verdicts, tally.undecided):
        verdict = Verdict.INSUFFICIENT_DATA
        notes.append(
            N_(
                "a sub-assembly's own determination needs more data, and the product qualifies only if it originates"
            )
        )
    cumulated, rolled = tally.cumulated, tally.rolled
    return Determination(
        agreement,
        verdict,
        "SET" if verdict == Verdict.ORIGINATING else None,
        outcome,
        chosen,
        cumulation_lines=tuple(cumulated),
        rolled_up_lines=tuple(rolled),
        general_rules=tuple(cited),
    )


def _self_produced(m: Material) -> bool:
    return (
        m.evidence is not None
        and m.evidence.kind == EvidenceKind.SELF_PRODUCED
        and m.bom is not None
    )


def _with_basis(
    result: Determination,
    bom: Bom,
    profile: Profile | None,
    notes: list[str],
    on: date,
    counted: dict[int, bool],
) -> Determination:
    """The verdict after the veto, with the general rules, the inputs and the day it rests on."""
    return replace(
        _vetoed(result, bom, profile, notes, not all(counted.values())),
        profile=profile,
        on=on,
        bom=bom,
        originating_lines=tuple(line for line, ok in counted.items() if ok),
    )


def rule_set_names(candidates: Sequence[CompiledRuleSet]) -> list[str]:
    """How a BOM names each candidate: its heading, or, where two share a heading (the
    annex splits it by description), the heading with the last step of its description."""
    headings = Counter(rs.heading for rs in candidates)
    return [
        rs.heading
        if headings[rs.heading] == 1
        else f"{rs.heading}: {rs.description.split('▸')[-1].strip()}"
        for rs in candidates
    ]


def _choose(bom: Bom, candidates: Sequence[CompiledRuleSet]) -> CompiledRuleSet | None:
    named = bom.product.rule_set
    if named is None:
        return candidates[0] if len(candidates) == 1 else None
    wanted = " ".join(named.split()).lower()
    names = rule_set_names(candidates)
    for rs, name in zip(candidates, names, strict=True):
        if " ".join(name.split()).lower() == wanted:
            return rs
    by_heading = [rs for rs in candidates if rs.heading.strip().lower() == wanted]
    if len(by_heading) == 1:
        return by_heading[0]
    raise InvalidInput.of(
        "origin.unknown_rule_set",
        N_("The BOM names rule set '%(named)s'; name one of: %(candidates)s."),
        field="rule_set",
        named=named[:64],
        candidates="; ".join(f"'{n}'" for n in names),
    )


def _partners(profile: Profile | None) -> set[str] | None:
    """The countries whose originating materials count (None: no profile, so none is assumed)."""
    if profile is None:
        return None
    out = {c.alpha2 for c in profile.parties}
    for c in profile.cumulation:
        out |= {p.alpha2 for p in c.partners}
    return out


@dataclass
class _Tally:
    """How the materials were counted, for the verdict's notes and evidence."""

    cumulated: list[int] = field(default_factory=list)  # through a partner's proof of origin
    rolled: list[int] = field(default_factory=list)  # originating sub-assemblies
    undecided: list[int] = field(default_factory=list)  # sub-assemblies that cannot be decided
    elsewhere: list[int] = field(default_factory=list)  # originating, but not in a party or partner


def _counts(
    m: Material,
    on: date,
    partners: set[str] | None,
    sub: SubDetermine,
    tally: _Tally,
    roll_up: bool,
) -> bool:
    if _self_produced(m):
        assert m.bom is not None
        if not roll_up or m.originating is not True:
            return False
        found = sub(m.bom)
        if found == Verdict.ORIGINATING:
            tally.rolled.append(m.line)
        elif found == Verdict.INSUFFICIENT_DATA:
            tally.undecided.append(m.line)
        return found == Verdict.ORIGINATING
    if not m.counts_as_originating(on):
        return False
    if partners is not None and (
        m.origin_country is None or m.origin_country.alpha2 not in partners
    ):
        # originating, but not shown to originate in a party or a cumulation partner
        tally.elsewhere.append(m.line)
        return False
    if m.evidence is not None and m.evidence.kind == EvidenceKind.PROOF_OF_ORIGIN:
        if partners is None:
            return False  # no profile: no cumulation is assumed
        tally.cumulated.append(m.line)
    return True


def _failing_shift_lines(outcome: Outcome) -> set[int]:
    lines: set[int] = set()
    if isinstance(outcome.node, TariffShift) and outcome.result != Result.PASSED:
        lines |= set(outcome.lines)
    for part in outcome.parts:
        lines |= _failing_shift_lines(part)
    return lines


def _with_tolerance(
    rule: Node, facts: Facts, outcome: Outcome, profile: Profile, notes: list[str]
) -> tuple[Outcome, str | None, Citation | None]:
    """The rule again with the materials that fail a change of classification disregarded,
    if their value or weight is within the profile's tolerance for this product."""
    tol = profile.tolerance
    assert tol is not None
    product = facts.bom.product.hs.digits
    by_weight = tol.by_weight if tol.by_weight and tol.by_weight.covers(product) else None
    value_applies = tol.value_percent is not None and not (by_weight and by_weight.instead_of_value)
    if any(r.covers(product) for r in tol.excluded):
        value_applies = False
        if by_weight is None:
            notes.append(N_("the general tolerance does not apply to this product's chapter"))
            return outcome, None, None
    if not any(isinstance(n, TariffShift) for n in walk(rule)):
        return outcome, None, None
    lines = _failing_shift_lines(outcome)
    if not lines:
        return outcome, None, None
    # those lines are disregarded for the change of classification only: they still
    # count in any value rule, so the tolerance never carries a product past one
    retried = evaluate(rule, replace(facts, tolerated=frozenset(lines)))
    if retried.result != Result.PASSED:
        return outcome, None, None
    failing = [m for m in facts.bom.materials if m.line in lines]
    named = ", ".join(map(str, sorted(lines)))
    undecided = False
    if value_applies and tol.base is None:
        notes.append(
            N_(
                "the profile does not record what the tolerance's share is taken of; it was not applied"
            )
        )
    elif value_applies and tol.base is not None and tol.value_percent is not None:
        price = facts.price(tol.base)
        if price is None or price.amount <= 0:
            undecided = True
            notes.append(N_("the general tolerance may apply: give the price it is taken of"))
        else:
            value = sum((m.value.amount for m in failing), Decimal(0))
            share = _percent(value, price.amount)
            if share <= tol.value_percent:
                used = (
                    f"{_shown(share)}% of {tol.base.value} <= {tol.value_percent}% (lines {named})"
                )
                return retried, used, tol.cite
            notes.append(
                N_(
                    "the materials failing the change of classification exceed the general tolerance"
                )
            )
    if by_weight is not None:
        total = facts.bom.product.weight_kg
        known = sum((m.weight_kg for m in failing if m.weight_kg is not None), Decimal(0))
        if total is not None and total > 0 and _percent(known, total) > by_weight.percent:
            # the weights given are over the share already: the missing ones cannot help
            notes.append(
                N_(
                    "the weight of the materials failing the change of classification exceeds the tolerance by weight"
                )
            )
        elif total is None or total <= 0 or any(m.weight_kg is None for m in failing):
            undecided = True
            notes.append(
                N_(
                    "the tolerance by weight may apply: give the product's weight and the weight of each material that fails the change of classification"
                )
            )
        else:
            weight = sum((m.weight_kg or Decimal(0) for m in failing), Decimal(0))
            share = _percent(weight, total)
            if share <= by_weight.percent:
                used = f"{_shown(share)}% of weight <= {by_weight.percent}% (lines {named})"
                return retried, used, by_weight.cite
            notes.append(
                N_(
                    "the weight of the materials failing the change of classification exceeds the tolerance by weight"
                )
            )
    if undecided and outcome.result == Result.FAILED:
        # the tolerance would carry the product if the missing figure is within it
        return (
            replace(
                outcome,
                result=Result.UNKNOWN,
                reason=N_(
                    "the rule is met only if the general tolerance applies, which needs figures the BOM does not give"
                ),
                params={},
            ),
            None,
            None,
        )
    return outcome, None, None


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    """Exact: the tolerance is compared with it; reports show it to two places."""
    return part * 100 / whole


def _shown(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _vetoed(
    result: Determination,
    bom: Bom,
    profile: Profile | None,
    notes: list[str],
    used_non_originating: bool,
) -> Determination:
    """Operations that never confer origin: if they are all the product underwent, it does not originate."""
    operations = profile.insufficient_operations if profile is not None else None
    declared = [" ".join(p.lower().split()) for p in bom.product.processes]
    if operations is None:
        notes.append(
            N_("the agreement's profile lists no insufficient operations; none was checked")
        )
    elif not declared:
        notes.append(N_("no processes declared: the insufficient-operations list was not checked"))
        if result.verdict == Verdict.ORIGINATING and used_non_originating:
            # the veto may apply, and only the processes can tell: no verdict is guessed
            notes.append(
                N_(
                    "declare the product's processes: with non-originating materials, the verdict depends on whether they go beyond the insufficient operations"
                )
            )
            return replace(
                result,
                verdict=Verdict.INSUFFICIENT_DATA,
                criterion=None,
                notes=(*result.notes, *notes),
            )
    elif (
        result.verdict == Verdict.ORIGINATING
        and used_non_originating  # the operations are about working on non-originating materials
        and all(_insufficient(p, operations.items) for p in declared)
    ):
        notes.append(N_("every declared process is an insufficient operation"))
        return replace(result, verdict=Verdict.NOT_ORIGINATING, criterion=None, notes=tuple(notes))
    return replace(result, notes=(*result.notes, *notes))


def _insufficient(process: str, items: Sequence[str]) -> bool:
    """Whether a declared process is one of the listed operations.

    It is when an item begins with it ("simple painting" / "simple painting and
    polishing operations") or it names one of an item's operations ("sorting" in
    "sifting, screening, sorting, ..."; "simple cutting" in RCEP's "simple
    processes, consisting of ... cutting"). "assembly" is not "simple assembly of
    parts", and "cutting" is not "simple cutting": only simple operations are listed.
    """
    return any(item.lower().startswith(process) for item in items) or any(
        process in _operations(item) for item in items
    )


def _operations(item: str) -> set[str]:
    text = " ".join(item.lower().split())
    text = text.split(" (")[0]  # "(including the making-up of sets of articles)"
    simple = text.startswith("simple ")
    if simple and " consisting of " in text:
        text = text.split(" consisting of ", 1)[1]
    elif " of " in text:
        # "husking, ... polishing, and glazing of cereals and rice": the goods named
        # qualify every operation of the item, so none of them is listed on its own
        return set()
    parts = [p.strip() for chunk in text.split(",") for p in chunk.split(" or ")]
    parts = [q.removeprefix("or ").strip() for p in parts for q in p.split(" and ")]
    out = {p for p in parts if p}
    if simple:  # "simple peeling, stoning, or shelling": each of them only when simple
        out = {p if p.startswith("simple ") else f"simple {p}" for p in out}
    return out
