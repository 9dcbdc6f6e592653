"""The rule language: product-specific rules of origin as typed trees.

A product-specific rule (PSR) says what working or processing makes goods of a
heading originating: wholly obtained (WO); produced exclusively from
originating materials (PE); a change in tariff classification (CC, CTH, CTSH);
a regional value content (RVC) or a maximum of non-originating materials
(MaxNOM); limits on the value of named materials; specific processes; or a
combination (And, Or). The criteria follow the WCO's Comparative Study on
Preferential Rules of Origin (2017) and the agreements' own annexes (e.g. RCEP
Annex 3A, Headnotes; the EU–Korea FTA, Protocol concerning the definition of
originating products, Annex II).

Every node keeps the legal text it was read from in `text`. That text is not
part of a node's identity: two trees are equal when they say the same law,
whatever wording they came from, so the compact notation (which carries no
text) round-trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from opencustoms.kernel.hs import HsEdition


class ValueBase(StrEnum):
    """What a percentage is taken of."""

    EXW = "EXW"  # ex-works price
    FOB = "FOB"  # free-on-board value


class RvcMethod(StrEnum):
    BUILD_DOWN = "build-down"
    BUILD_UP = "build-up"
    NET_COST = "net-cost"
    FOCUSED_VALUE = "focused-value"


class ShiftLevel(StrEnum):
    ANY = "ANY"  # materials of any heading: no change required ("except ..." still binds)
    CHAPTER = "CC"  # change of chapter (2 digits)
    HEADING = "CTH"  # change of tariff heading (4 digits)
    SUBHEADING = "CTSH"  # change of tariff subheading (6 digits)

    @property
    def digits(self) -> int:
        return {"ANY": 0, "CC": 2, "CTH": 4, "CTSH": 6}[self.value]


@dataclass(frozen=True, slots=True)
class HsRange:
    """A chapter, heading or subheading, or a range of them: "8473", "5201-5203"."""

    start: str
    end: str | None = None

    def __post_init__(self) -> None:
        for code in (self.start, self.end):
            if code is not None and (
                not code.isdigit() or len(code) not in (2, 4, 6) or not code.isascii()
            ):
                raise ValueError(f"an HS reference is 2, 4 or 6 digits, not {code!r}")
        if self.end is not None and (len(self.end) != len(self.start) or self.end <= self.start):
            raise ValueError(f"the range {self.start}-{self.end} must run upwards at one level")

    def covers(self, digits: str) -> bool:
        """Whether a code (of any length) falls within this reference."""
        n = len(self.start)
        head = digits[:n]
        if self.end is None:
            return head == self.start
        return self.start <= head <= self.end

    def notation(self) -> str:
        return self.start if self.end is None else f"{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class Materials:
    """Which materials a criterion speaks of: by HS references, by name, or both.

    `Materials()` means all materials used.
    """

    hs: tuple[HsRange, ...] = ()
    name: str = ""

    def notation(self) -> str:
        parts = []
        if self.hs:
            parts.append("hs(" + ", ".join(r.notation() for r in self.hs) + ")")
        if self.name:
            parts.append(quote(self.name))
        return " ".join(parts)


def quote(text: str) -> str:
    """A string in the notation: double quotes, with quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Permit:
    """Non-originating materials that may be used although the rule's change is
    not met ("However, handles of base metal may be used"), up to a value
    share when one is given."""

    materials: Materials
    threshold: Decimal | None = None
    base: ValueBase = ValueBase.EXW

    def notation(self) -> str:
        limit = (
            f" <= {format(self.threshold.normalize(), 'f')}%({self.base.value})"
            if self.threshold is not None
            else ""
        )
        return f"permit({self.materials.notation()}{limit})"


@dataclass(frozen=True, slots=True)
class Node:
    """A criterion of a rule. `text` is the legal text it was read from."""

    text: str = field(default="", compare=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class WhollyObtained(Node):
    """The product (or, with `materials`, those materials) wholly obtained."""

    materials: Materials | None = None


@dataclass(frozen=True, slots=True)
class ProducedExclusively(Node):
    """Produced exclusively from originating materials."""


@dataclass(frozen=True, slots=True)
class TariffShift(Node):
    """All non-originating materials change classification at `level`.

    `exceptions`: materials of these codes may not be non-originating even
    if they change classification ("except from heading 8473").
    `only_from`: non-originating materials must come from these codes.
    `allowance`: materials of the product's own heading (or level) may still be
    used up to this percentage of `allowance_base`.
    `permits`: other non-originating materials that may be used regardless.
    `exclusions`: named materials (part of a heading) that may not be used
    non-originating ("except potato starch of heading 1108").
    """

    level: ShiftLevel
    exceptions: tuple[HsRange, ...] = ()
    only_from: tuple[HsRange, ...] = ()
    allowance: Decimal | None = None
    allowance_base: ValueBase = ValueBase.EXW
    permits: tuple[Permit, ...] = ()
    exclusions: tuple[Materials, ...] = ()


@dataclass(frozen=True, slots=True)
class RegionalValueContent(Node):
    """Regional value content at least `threshold` per cent of `base`.

    Under the focused value method only the non-originating `materials` named
    count (CPTPP Article 3.5(d)).
    """

    method: RvcMethod
    base: ValueBase
    threshold: Decimal  # per cent, at least
    materials: Materials | None = None


@dataclass(frozen=True, slots=True)
class MaxNonOriginating(Node):
    """The value of non-originating materials at most a share of `base` (MaxNOM).

    EU-style annexes word it "the value of all the materials used does not
    exceed 50% of the ex-works price": their conditions apply only to
    non-originating materials (e.g. UK–Korea ORD, Article 5(1)), as the
    introductory notes' own example reads that very rule (Note 3.1, heading 8407).
    """

    base: ValueBase
    threshold: Decimal  # per cent, at most


@dataclass(frozen=True, slots=True)
class NonOriginatingWithinOriginating(Node):
    """The value of non-originating materials does not exceed that of originating ones."""


@dataclass(frozen=True, slots=True)
class MaterialValueLimit(Node):
    """The value of the named materials used at most a share of the base."""

    materials: Materials
    threshold: Decimal
    base: ValueBase = ValueBase.EXW


@dataclass(frozen=True, slots=True)
class ManufactureFrom(Node):
    """Non-originating materials must be these ("manufacture from yarn")."""

    materials: Materials


@dataclass(frozen=True, slots=True)
class MaterialsOriginating(Node):
    """The named materials used must themselves be originating."""

    materials: Materials


@dataclass(frozen=True, slots=True)
class SpecificProcess(Node):
    """A named working or processing ("chemical reaction", "printing with ...")."""

    process: str


@dataclass(frozen=True, slots=True)
class NeedsReview(Node):
    """Text the compiler could not read with certainty: never a guessed rule."""


@dataclass(frozen=True, slots=True)
class AllOf(Node):
    parts: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2 or any(isinstance(p, AllOf) for p in self.parts):
            raise ValueError("AllOf needs two or more parts, none of them AllOf (use all_of)")


@dataclass(frozen=True, slots=True)
class AnyOf(Node):
    parts: tuple[Node, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2 or any(isinstance(p, AnyOf) for p in self.parts):
            raise ValueError("AnyOf needs two or more parts, none of them AnyOf (use any_of)")


def all_of(*parts: Node, text: str = "") -> Node:
    """And: flattened, so the same law always has the same tree."""
    flat: list[Node] = []
    for p in parts:
        flat.extend(p.parts if isinstance(p, AllOf) else (p,))
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat), text=text)


def any_of(*parts: Node, text: str = "") -> Node:
    """Or: flattened."""
    flat: list[Node] = []
    for p in parts:
        flat.extend(p.parts if isinstance(p, AnyOf) else (p,))
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat), text=text)


class Tolerance(StrEnum):
    """Whether the agreement's general tolerance may be used with this rule."""

    AGREEMENT = "agreement"  # as the agreement's general rules say
    ALLOWED = "yes"
    EXCLUDED = "no"


@dataclass(frozen=True, slots=True)
class RuleSource:
    agreement: str  # "uk-south-korea", "rcep"
    document: str  # the file or annex the rule is printed in
    heading: str  # the heading as the annex prints it: "ex 8466", "5512 to 5516"
    hs_edition: HsEdition | None  # of the codes the rule data is keyed by; None: not known


@dataclass(frozen=True, slots=True)
class ProductRule:
    """One product-specific rule: its criteria, tolerance policy and source."""

    criteria: Node
    source: RuleSource
    tolerance: Tolerance = Tolerance.AGREEMENT
    notes: tuple[str, ...] = ()  # notes the rule refers to: "Introductory Note 5"
    text: str = field(default="", compare=False)

    @property
    def needs_review(self) -> bool:
        return any(isinstance(n, NeedsReview) for n in walk(self.criteria))


def walk(node: Node) -> list[Node]:
    """The node and everything under it, depth first."""
    out = [node]
    if isinstance(node, AllOf | AnyOf):
        for part in node.parts:
            out.extend(walk(part))
    return out
