"""One certificate data set for the forms of the agreements we ship.

Its fields are those the forms' boxes and the agreements' minimum information
ask for (RCEP Annex 3B; the AKFTA Form AK; the Korea–China form; the UK–Korea
origin declaration; CPTPP's certification of origin). A form profile
(`forms/*.yaml`) says which of them a form requires and which codes it takes.
Amounts and quantities are Decimal, written as decimal strings; text is kept
as given and NFC-normalised when signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address: str
    country: str  # ISO alpha-2


@dataclass(frozen=True, slots=True)
class Transport:
    departure_date: date | None = None
    vessel_or_flight: str | None = None
    port_of_discharge: str | None = None
    route: str | None = None


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Item:
    number: int  # as printed in the form's item box
    description: str
    hs: str | None  # six digits; which forms require it, the form profile says
    criterion: str | None  # the origin criterion code as the form prints it (not on every form)
    origin_country: str | None = None  # the agreement's country of origin (e.g. RCEP Art. 2.6)
    marks: str | None = None
    packages: str | None = None  # number and kind of packages
    quantity: Decimal | None = None
    unit: str | None = None
    gross_weight_kg: Decimal | None = None
    fob_value: Decimal | None = None  # in the certificate's currency
    invoice: Invoice | None = None


@dataclass(frozen=True, slots=True)
class BackToBack:
    """The original proof of origin a back-to-back certificate rests on (RCEP Annex 3B 1(m))."""

    reference: str
    date: date
    origin_country: str
    approved_exporter: str | None = None


@dataclass(frozen=True, slots=True)
class Remarks:
    text: str | None = None
    third_party_invoicing: bool = False
    issued_retroactively: bool = False
    certified_true_copy: bool = False
    exhibition: bool = False
    back_to_back: BackToBack | None = None


@dataclass(frozen=True, slots=True)
class Declaration:
    """The exporter's (or producer's) declaration."""

    place: str
    date: date
    signatory: str


@dataclass(frozen=True, slots=True)
class Certification:
    """The issuing body's certification."""

    place: str
    date: date
    officer: str


@dataclass(frozen=True, slots=True)
class Certificate:
    form: str  # the form profile's id: "rcep-co"
    number: str | None  # given at issue, unique per issuing authority
    issuing_authority: str | None
    exporter: Party
    importer: Party  # importer or consignee
    export_country: str
    import_country: str
    items: tuple[Item, ...]
    producer: Party | None = None
    transport: Transport | None = None
    currency: str | None = None  # of the FOB values
    remarks: Remarks = Remarks()
    declaration: Declaration | None = None
    certification: Certification | None = None
    issue_date: date | None = None
    issue_place: str | None = None
    replaces: str | None = None  # the number of the certificate this one replaces (same authority)
