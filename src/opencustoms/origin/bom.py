"""Bills of materials: a product, the materials it is made of, and what proves
each material's origin.

A material counts as originating only on evidence: a supplier's declaration
valid on the day in question, wholly obtained goods, or a sub-assembly the
producer made and that itself qualifies. Without evidence it counts as
non-originating, as origin protocols require (e.g. RCEP Article 3.5(4): a
material of undetermined origin is treated as non-originating).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opencustoms.kernel.countries import Country
from opencustoms.kernel.hs import HsCode
from opencustoms.kernel.money import Money


class EvidenceKind(StrEnum):
    SUPPLIER_DECLARATION = "supplier-declaration"
    WHOLLY_OBTAINED = "wholly-obtained"
    SELF_PRODUCED = "self-produced"  # a sub-assembly the producer made (its own BOM decides)
    PROOF_OF_ORIGIN = "proof-of-origin"  # imported under a certificate or declaration


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    reference: str | None = None  # the declaration's or certificate's number
    issuer: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to


SET_RULES = ("3(a)", "3(b)", "3(c)")  # the General Interpretative Rule that classified a set


@dataclass(frozen=True, slots=True)
class Costs:
    """The producer's costs, for the value-content formulas that count more than materials.

    RCEP Article 3.5(1)(b): the direct (build-up) formula adds direct labour
    cost, direct overhead cost, profit and other costs to the value of
    originating materials; the net cost method takes the net cost of the good.
    """

    labour: Money | None = None
    overhead: Money | None = None
    profit: Money | None = None
    other: Money | None = None
    net_cost: Money | None = None

    def build_up(self) -> dict[str, Money | None]:
        return {
            "labour_cost": self.labour,
            "overhead_cost": self.overhead,
            "profit": self.profit,
            "other_costs": self.other,
        }


@dataclass(frozen=True, slots=True)
class Product:
    hs: HsCode
    description: str
    ex_works_price: Money | None
    fob_price: Money | None
    processes: tuple[str, ...] = ()  # working done, in words ("assembly", "printing")
    rule_set: str | None = None  # the "ex" rule set that applies, as the annex prints it
    part: str | None = None  # the producer's part number, to name sub-assemblies
    weight_kg: Decimal | None = None  # net weight, for a tolerance taken by weight
    costs: Costs = Costs()
    set_rule: str | None = None  # "3(b)": a set, and the GIR 3 subrule that classified it


@dataclass(frozen=True, slots=True)
class Material:
    line: int  # as numbered in the file
    hs: HsCode
    description: str
    value: Money
    quantity: Decimal | None = None
    unit: str | None = None
    weight_kg: Decimal | None = None
    origin_country: Country | None = None
    originating: bool | None = None  # as declared; evidence decides whether it counts
    evidence: Evidence | None = None
    bom: Bom | None = None  # a sub-assembly made by the producer

    def counts_as_originating(self, on: date) -> bool:
        """Originating on the evidence, on that day; unknown counts as non-originating."""
        if self.originating is not True or self.evidence is None:
            return False
        if self.evidence.kind == EvidenceKind.SELF_PRODUCED:
            return self.bom is not None  # its own determination decides (roll-up)
        return self.evidence.valid_on(on)


@dataclass(frozen=True, slots=True)
class Bom:
    product: Product
    materials: tuple[Material, ...]

    def lines(self) -> int:
        """Material lines, sub-assemblies' included."""
        return sum(1 + (m.bom.lines() if m.bom else 0) for m in self.materials)
