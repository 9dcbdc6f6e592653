"""How each form's boxes are laid out on paper: number, label and what fills them.

The numbers are the form's own (RCEP Certificate of Origin boxes 1 to 17; Form
AK boxes 1 to 13; the Korea–China form boxes 1 to 14); a form without a
paper layout of its own (an origin declaration) is printed with the RCEP-style
arrangement and no box numbers. Labels are shortened from the forms' printed
wording and go through gettext like every text people read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from opencustoms.certificates.model import Certificate, Item, Party
from opencustoms.kernel.errors import N_

Translate = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Box:
    number: str  # as printed on the form; "" where the form numbers none
    label: str  # N_ template
    fill: Callable[[Certificate, Translate], str]


@dataclass(frozen=True, slots=True)
class Column:
    number: str
    label: str
    width: float  # share of the table's width
    fill: Callable[[Certificate, Item], str]


@dataclass(frozen=True, slots=True)
class Layout:
    title: str  # N_ template
    parties: tuple[Box, ...]  # the boxes above the items, two to a row
    columns: tuple[Column, ...]
    footer: tuple[Box, ...]  # remarks, declaration, certification


def party(p: Party | None) -> str:
    return f"{p.name}\n{p.address}\n{p.country}" if p else ""


def _transport(c: Certificate, tr: Translate) -> str:
    t = c.transport
    if t is None:
        return ""
    lines = [
        f"{tr(label)}: {value}"
        for label, value in (
            (N_("Departure date"), t.departure_date.isoformat() if t.departure_date else None),
            (N_("Vessel's name / flight number"), t.vessel_or_flight),
            (N_("Port of discharge"), t.port_of_discharge),
            (N_("Route"), t.route),
        )
        if value
    ]
    return "\n".join(lines)


def _remarks(c: Certificate, tr: Translate) -> str:
    r = c.remarks
    lines = [r.text] if r.text else []
    if c.replaces:
        lines.append(tr(N_("Replaces certificate %(number)s")) % {"number": c.replaces})
    if r.back_to_back:
        b = r.back_to_back
        lines.append(
            tr(N_("Back-to-back: original proof %(reference)s of %(day)s (%(country)s)"))
            % {"reference": b.reference, "day": b.date.isoformat(), "country": b.origin_country}
        )
    return "\n".join(lines)


def _declaration(c: Certificate, tr: Translate) -> str:
    d = c.declaration
    if d is None:
        return ""
    exported = tr(N_("Exported to: %(country)s")) % {"country": c.import_country}
    return f"{exported}\n{d.place}, {d.date.isoformat()}\n{d.signatory}"


def _certification(c: Certificate, tr: Translate) -> str:
    x = c.certification
    return f"{x.place}, {x.date.isoformat()}\n{x.officer}" if x else ""


def _quantity(c: Certificate, i: Item) -> str:
    parts = []
    if i.quantity is not None:
        parts.append(f"{i.quantity} {i.unit or ''}".strip())
    if i.gross_weight_kg is not None:
        parts.append(f"{i.gross_weight_kg} kg")
    if i.fob_value is not None:
        parts.append(f"FOB {i.fob_value} {c.currency or ''}".strip())
    return "\n".join(parts)


def _goods(c: Certificate, i: Item) -> str:
    return f"{i.packages}; {i.description}" if i.packages else i.description


def _invoice(c: Certificate, i: Item) -> str:
    if i.invoice is None:
        return ""
    day = i.invoice.date.isoformat() if i.invoice.date else ""
    return f"{i.invoice.number}\n{day}".strip()


def _hs(c: Certificate, i: Item) -> str:
    return f"{i.hs[:4]}.{i.hs[4:]}" if i.hs else ""


RCEP = Layout(
    title=N_(
        "Regional Comprehensive Economic Partnership Agreement — Certificate of Origin (Form RCEP)"
    ),
    parties=(
        Box(
            "1",
            N_("Goods consigned from (exporter's name, address and country)"),
            lambda c, tr: party(c.exporter),
        ),
        Box(
            "2",
            N_("Goods consigned to (importer's or consignee's name, address and country)"),
            lambda c, tr: party(c.importer),
        ),
        Box(
            "3",
            N_("Producer's name, address and country (if known)"),
            lambda c, tr: party(c.producer),
        ),
        Box("4", N_("Means of transport and route (if known)"), _transport),
        Box("5", N_("For official use (the importing country's customs)"), lambda c, tr: ""),
    ),
    columns=(
        Column("6", N_("Item number"), 0.06, lambda c, i: str(i.number)),
        Column("7", N_("Marks and numbers on packages"), 0.12, lambda c, i: i.marks or ""),
        Column("8", N_("Number and kind of packages; description of goods"), 0.28, _goods),
        Column("9", N_("HS code (6 digits)"), 0.09, _hs),
        Column("10", N_("Origin conferring criterion"), 0.09, lambda c, i: i.criterion or ""),
        Column("11", N_("RCEP country of origin"), 0.08, lambda c, i: i.origin_country or ""),
        Column("12", N_("Quantity, and FOB value where RVC is applied"), 0.14, _quantity),
        Column("13", N_("Invoice number(s) and date(s)"), 0.14, _invoice),
    ),
    footer=(
        Box("14", N_("Remarks"), _remarks),
        Box("15", N_("Declaration by the exporter or producer"), _declaration),
        Box("16", N_("Certification"), _certification),
    ),
)

AKFTA = Layout(
    title=N_("ASEAN-Korea Free Trade Agreement — Certificate of Origin (Form AK)"),
    parties=(
        Box(
            "1",
            N_("Goods consigned from (exporter's business name, address, country)"),
            lambda c, tr: party(c.exporter),
        ),
        Box(
            "2",
            N_("Goods consigned to (consignee's name, address, country)"),
            lambda c, tr: party(c.importer),
        ),
        Box("3", N_("Means of transport and route (as far as known)"), _transport),
        Box("4", N_("For official use"), lambda c, tr: ""),
    ),
    columns=(
        Column("5", N_("Item number"), 0.06, lambda c, i: str(i.number)),
        Column("6", N_("Marks and numbers on packages"), 0.12, lambda c, i: i.marks or ""),
        Column(
            "7",
            N_("Number and type of packages, description of goods, HS number"),
            0.32,
            lambda c, i: f"{_goods(c, i)}\nHS {_hs(c, i)}",
        ),
        Column("8", N_("Origin criterion"), 0.12, lambda c, i: i.criterion or ""),
        Column("9", N_("Gross weight or other quantity and value (FOB)"), 0.18, _quantity),
        Column("10", N_("Number and date of invoices"), 0.20, _invoice),
    ),
    footer=(
        Box("", N_("Remarks"), _remarks),
        Box("11", N_("Declaration by the exporter"), _declaration),
        Box("12", N_("Certification"), _certification),
    ),
)

KOREA_CHINA = Layout(
    title=N_("Certificate of Origin — Form for China-Korea FTA"),
    parties=(
        Box("1", N_("Exporter's name and address, country"), lambda c, tr: party(c.exporter)),
        Box("2", N_("Producer's name and address, country"), lambda c, tr: party(c.producer)),
        Box("3", N_("Consignee's name and address, country"), lambda c, tr: party(c.importer)),
        Box("4", N_("Means of transport and route (as far as known)"), _transport),
    ),
    columns=(
        Column("6", N_("Item number (max. 20)"), 0.08, lambda c, i: str(i.number)),
        Column("7", N_("Marks and numbers on packages"), 0.12, lambda c, i: i.marks or ""),
        Column("8", N_("Number and kind of packages; description of goods"), 0.30, _goods),
        Column("9", N_("HS code (6 digits)"), 0.10, _hs),
        Column("10", N_("Origin criterion"), 0.10, lambda c, i: i.criterion or ""),
        Column(
            "11", N_("Gross weight, quantity (quantity unit) or other measures"), 0.14, _quantity
        ),
        Column("12", N_("Number and date of invoice"), 0.16, _invoice),
    ),
    footer=(
        Box("5", N_("Remarks"), _remarks),
        Box("13", N_("Declaration by the exporter"), _declaration),
        Box("14", N_("Certification"), _certification),
    ),
)

GENERIC = Layout(
    title=N_("Proof of origin"),
    parties=(
        Box("", N_("Exporter"), lambda c, tr: party(c.exporter)),
        Box("", N_("Importer or consignee"), lambda c, tr: party(c.importer)),
        Box("", N_("Producer"), lambda c, tr: party(c.producer)),
        Box("", N_("Transport and route"), _transport),
    ),
    columns=tuple(Column("", col.label, col.width, col.fill) for col in RCEP.columns),
    footer=(
        Box("", N_("Remarks"), _remarks),
        Box("", N_("Declaration"), _declaration),
        Box("", N_("Certification"), _certification),
    ),
)

LAYOUTS = {"rcep-co": RCEP, "akfta-ak": AKFTA, "kcfta-co": KOREA_CHINA}


def layout_of(form_id: str) -> Layout:
    return LAYOUTS.get(form_id, GENERIC)
