"""Agreement profiles: the general rules of origin of an agreement, as cited data.

Besides its product-specific rules, each agreement sets general rules: which
value the percentages are taken of, a general tolerance (de minimis) for
non-originating materials, cumulation, the operations that never confer
origin, absorption, transport, and the proofs of origin. A profile states
each as a value with the text it comes from: file, section, and a short quote
that must appear in that file (a test checks it against the texts).

What a source does not say is left out (null), never assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opencustoms.kernel.countries import Country
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.rules import HsRange, ValueBase


@dataclass(frozen=True, slots=True)
class Citation:
    file: str  # relative to the agreement's source folder
    section: str  # "Article 5(2)", "§2", "Annex 3A, Note 2"
    quote: str  # words of the text, verbatim (whitespace aside)


@dataclass(frozen=True, slots=True)
class Valuation:
    base: ValueBase  # what percentages in the rules are taken of
    cite: Citation


@dataclass(frozen=True, slots=True)
class WeightTolerance:
    """The tolerance taken by weight, for the products the text names (agriculture, textiles)."""

    percent: Decimal  # of the product's weight
    products: tuple[HsRange, ...]  # the products it is for
    excepted: tuple[HsRange, ...]  # within those, the products it is not for
    instead_of_value: bool  # True: for those products the value measure does not apply
    cite: Citation

    def covers(self, digits: str) -> bool:
        return any(r.covers(digits) for r in self.products) and not any(
            r.covers(digits) for r in self.excepted
        )


@dataclass(frozen=True, slots=True)
class Tolerance:
    """General tolerance (de minimis): non-originating materials allowed despite the rule."""

    value_percent: Decimal | None  # of `base`
    base: ValueBase | None
    by_weight: WeightTolerance | None
    excluded: tuple[HsRange, ...]  # products the value measure does not apply to
    may_exceed_maxnom: bool | None  # whether it may take a product past a MaxNOM in its rule
    cite: Citation


class CumulationKind(StrEnum):
    BILATERAL = "bilateral"  # materials of the other party count as originating
    DIAGONAL = "diagonal"  # also materials of named third countries
    FULL = "full"  # also working done in another party, not only materials
    EXTENDED = "extended"


class BuildUp(StrEnum):
    """What the direct (build-up) formula of regional value content adds up."""

    MATERIALS = "materials"  # VOM / value (e.g. the UK's CPTPP guidance)
    MATERIALS_AND_COSTS = "materials-and-costs"  # VOM + labour + overhead + profit + other (RCEP)


@dataclass(frozen=True, slots=True)
class BuildUpFormula:
    adds: BuildUp
    cite: Citation


@dataclass(frozen=True, slots=True)
class Sets:
    """Sets (GIR 3): originating when the non-originating components stay within a share."""

    percent: Decimal  # of `base`, the value of the non-originating components
    base: ValueBase | None  # None: the sources do not say what the share is taken of
    classified_by: tuple[str, ...]  # the GIR 3 subrules it is for: "3(a)", "3(b)", "3(c)"
    cite: Citation


@dataclass(frozen=True, slots=True)
class Cumulation:
    kind: CumulationKind
    partners: tuple[Country, ...]  # whose materials (or working) count
    cite: Citation


@dataclass(frozen=True, slots=True)
class ListOfOperations:
    items: tuple[str, ...]
    cite: Citation


@dataclass(frozen=True, slots=True)
class Flag:
    """A yes/no general rule (absorption, accounting segregation...) with its text."""

    applies: bool
    cite: Citation


class TransportRule(StrEnum):
    DIRECT_TRANSPORT = "direct-transport"
    NON_ALTERATION = "non-alteration"


@dataclass(frozen=True, slots=True)
class Transport:
    rule: TransportRule
    cite: Citation


class ProofKind(StrEnum):
    CERTIFICATE = "certificate"  # issued by an authority of the exporting party
    ORIGIN_DECLARATION = "origin-declaration"  # by an exporter (approved or registered)
    STATEMENT_ON_ORIGIN = "statement-on-origin"
    IMPORTERS_KNOWLEDGE = "importers-knowledge"


@dataclass(frozen=True, slots=True)
class Proof:
    kind: ProofKind
    issued_by: str  # "issuing authority", "exporter", "approved exporter", "importer"
    validity_months: int | None
    cite: Citation


@dataclass(frozen=True, slots=True)
class Profile:
    id: str  # "uk-south-korea", "rcep"
    title: str
    parties: tuple[Country, ...]
    entry_into_force: date | None
    source: str  # the folder (or document) the citations are relative to
    psr_hs_edition: HsEdition | None  # the edition the product-specific rules annex uses
    psr_hs_edition_cite: Citation | None
    valuation: Valuation | None
    tolerance: Tolerance | None
    cumulation: tuple[Cumulation, ...]
    insufficient_operations: ListOfOperations | None
    absorption: Flag | None
    transport: Transport | None
    proofs: tuple[Proof, ...]
    build_up: BuildUpFormula | None = None
    sets: Sets | None = None
    version: str = ""  # a digest of the profile's text: changes whenever the profile does
    notes: tuple[str, ...] = field(default=())  # what the sources leave unsaid, in words
