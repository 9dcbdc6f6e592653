"""An import declaration, and what makes one acceptable for lodging.

Modelled on Korea's import declaration (62 attributes; the customs declarations
dataset keeps 21 of them) and named after the WCO data model where the dataset is
silent: per declaration the reference, date, customs office, declarant, importer, seller
and courier, and the process, import, use, payment and transport codes; per goods item
the national code with its HS edition, the countries of origin and departure, the origin
marking, net mass, value with its currency and incoterm, freight and insurance, the rate
type claimed and, for a preference, the proof of origin (RCEP Article 3.22(2): the
importer declares that the good is originating and has a valid proof when declaring).

`validate` returns every finding with its field's path; a declaration with an error is
rejected whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from opencustoms.clearance.duty import FREIGHT_IN_PRICE, INSURANCE_IN_PRICE, Goods
from opencustoms.clearance.rate_types import ProofType, RateKind, RateTypes
from opencustoms.kernel.errors import N_, Finding, Severity
from opencustoms.kernel.hs import IN_FORCE_FROM, HsEdition

UNKNOWN_COUNTRY = "ZZ"  # ISO 3166 user-assigned; customs code lists use it for "unknown"
MAX_ITEMS = 999  # a declaration's item numbers run to three digits
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,34}")  # also a URL's path segment
_PARTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")  # trader codes, or this node's org ids
_CODE = re.compile(r"[A-Z0-9]{1,3}")

# UN/ECE Recommendation 19 modes by the first digit of Korea's two-digit transport code
# (the dataset shows 10, 20, 30, 40, 50 and 90)
TRANSPORT_MODES = {
    "1": N_("sea"),
    "2": N_("rail"),
    "3": N_("road"),
    "4": N_("air"),
    "5": N_("post"),
    "7": N_("fixed installation"),
    "8": N_("inland waterway"),
    "9": N_("other"),
}


@dataclass(frozen=True, slots=True)
class ProofOfOrigin:
    kind: ProofType
    reference: str  # the certificate's number, or the origin declaration's reference
    authority: str | None = None  # the issuing authority, for a certificate
    issued_on: date | None = None


@dataclass(frozen=True, slots=True)
class Item:
    number: int  # 1, 2, ... as declared
    goods: Goods
    origin: str  # ISO 3166 alpha-2
    departure: str
    origin_marking: str | None = None  # how the origin is marked (the dataset's codes)
    description: str | None = None
    proof: ProofOfOrigin | None = None


@dataclass(frozen=True, slots=True)
class Declaration:
    reference: str  # the declaration number
    date: date  # the declaration date (the office's legal date)
    office: str  # customs office code
    declarant: str
    importer: str
    seller: str | None
    items: tuple[Item, ...]
    courier: str | None = None
    process_type: str | None = None
    import_type: str | None = None
    import_use: str | None = None
    payment_type: str | None = None
    transport_mode: str | None = None


def _error(field: str, code: str, message: str, /, **params: object) -> Finding:
    return Finding(code, message, {"field": field, **params}, field)


def validate(declaration: Declaration, rate_types: RateTypes, today: date) -> list[Finding]:
    """Every problem of the declaration, errors and warnings, each at its field's path."""
    d = declaration
    found: list[Finding] = []
    if not REFERENCE.fullmatch(d.reference):
        found.append(
            _error(
                "reference",
                "declaration.bad_reference",
                N_(
                    "%(field)s: '%(value)s' is not a declaration number: letters, digits and '-', at most 35"
                ),
                value=d.reference[:40],
            )
        )
    if d.date > today:
        found.append(
            _error(
                "date",
                "declaration.future_date",
                N_(
                    "%(field)s: %(date)s is after today (%(today)s): a declaration is dated when it is made"
                ),
                date=d.date.isoformat(),
                today=today.isoformat(),
            )
        )
    for name in ("declarant", "importer", "seller", "courier"):
        value = getattr(d, name)
        if (value is not None or name in ("declarant", "importer")) and not _PARTY.fullmatch(
            value or ""
        ):
            found.append(
                _error(
                    name,
                    "declaration.bad_party",
                    N_(
                        "%(field)s: '%(value)s' is not a trader id: letters, digits, '_' and '-', at most 40"
                    ),
                    value=(value or "")[:40],
                )
            )
    for name in ("office", "process_type", "import_type", "import_use", "payment_type"):
        value = getattr(d, name)
        if (value is not None or name == "office") and not _CODE.fullmatch(value or ""):
            found.append(
                _error(
                    name,
                    "declaration.bad_code",
                    N_("%(field)s: '%(value)s' is not a code: one to three letters or digits"),
                    value=(value or "")[:12],
                )
            )
    if d.transport_mode is not None and (
        len(d.transport_mode) != 2
        or not d.transport_mode.isdigit()
        or d.transport_mode[0] not in TRANSPORT_MODES
    ):
        found.append(
            _error(
                "transport_mode",
                "declaration.bad_transport_mode",
                N_(
                    "%(field)s: '%(value)s' is not a mode of transport: 10 sea, 20 rail, 30 road, 40 air, 50 post, 90 other"
                ),
                value=d.transport_mode[:12],
            )
        )
    if not d.items:
        found.append(
            _error(
                "items",
                "declaration.no_items",
                N_("%(field)s: a declaration has one goods item or more"),
            )
        )
    if len(d.items) > MAX_ITEMS:
        found.append(
            _error(
                "items",
                "declaration.too_many_items",
                N_(
                    "%(field)s: at most %(max)s goods items on one declaration; lodge the rest on another"
                ),
                max=MAX_ITEMS,
            )
        )
    for i, item in enumerate(d.items[:MAX_ITEMS]):
        found.extend(_item(item, f"items[{i}]", d.date, rate_types))
    return found


def _item(item: Item, path: str, on: date, rate_types: RateTypes) -> list[Finding]:
    found: list[Finding] = []
    g = item.goods
    edition = g.code.edition
    until = _in_force_until(edition)
    if on < IN_FORCE_FROM[edition] or (until is not None and on > until):
        found.append(
            _error(
                f"{path}.hs_edition",
                "declaration.edition_not_in_force",
                N_(
                    "%(field)s: %(edition)s was not in force on %(date)s; declare the code in the edition then in force"
                ),
                edition=edition.value,
                date=on.isoformat(),
            )
        )
    if len(g.code.digits) < 6:
        found.append(
            _error(
                f"{path}.hs_code",
                "declaration.code_too_short",
                N_(
                    "%(field)s: %(code)s is not a subheading or a national code: declare 6 to 10 digits"
                ),
                code=g.code.digits,
            )
        )
    if g.price.amount <= 0:
        found.append(
            _error(
                f"{path}.price",
                "declaration.no_value",
                N_("%(field)s: the value must be more than zero"),
            )
        )
    if g.net_mass <= 0:
        # goods under a kilogram are declared as 0 kg; a rate per kg then needs the mass
        found.append(
            Finding(
                "declaration.no_mass",
                N_("%(field)s: no net mass declared; a rate per kilogram cannot be applied"),
                {"field": f"{path}.net_mass"},
                f"{path}.net_mass",
                Severity.WARNING,
            )
        )
    if g.incoterm not in FREIGHT_IN_PRICE and g.freight is None:
        found.append(
            _error(
                f"{path}.freight",
                "duty.freight_required",
                N_(
                    "%(field)s: a price %(incoterm)s leaves out the freight to the port of import: declare it"
                ),
                incoterm=g.incoterm.value,
            )
        )
    if g.incoterm not in INSURANCE_IN_PRICE and g.insurance is None:
        found.append(
            _error(
                f"{path}.insurance",
                "duty.insurance_required",
                N_(
                    "%(field)s: a price %(incoterm)s leaves out the insurance to the port of import: declare it"
                ),
                incoterm=g.incoterm.value,
            )
        )
    for name in ("origin", "departure"):
        if getattr(item, name) == UNKNOWN_COUNTRY:
            found.append(
                Finding(
                    "declaration.country_unknown",
                    N_("%(field)s: the country is declared unknown (ZZ)"),
                    {"field": f"{path}.{name}"},
                    f"{path}.{name}",
                    Severity.WARNING,
                )
            )
    rate_type = rate_types.get(g.rate_type)
    if rate_type is None:
        found.append(
            _error(
                f"{path}.rate_type",
                "clearance.unknown_rate_type",
                N_("%(field)s: '%(value)s' is not a rate type of %(country)s"),
                value=g.rate_type[:12],
                country=rate_types.country,
            )
        )
        return found
    if rate_type.kind is not RateKind.FTA:
        if item.proof is not None:
            found.append(
                Finding(
                    "declaration.proof_not_used",
                    N_(
                        "%(field)s: a proof of origin is given, but rate type %(rate_type)s claims no preference"
                    ),
                    {"field": f"{path}.proof", "rate_type": rate_type.code},
                    f"{path}.proof",
                    Severity.WARNING,
                )
            )
        return found
    if item.origin == rate_types.country:
        found.append(
            _error(
                f"{path}.origin",
                "declaration.domestic_origin",
                N_(
                    "%(field)s: goods of %(origin)s origin claim no preference on import into %(origin)s"
                ),
                origin=item.origin,
            )
        )
    elif not rate_type.may_claim(item.origin, on):
        found.append(
            _error(
                f"{path}.origin",
                "declaration.origin_not_party",
                N_(
                    "%(field)s: goods of %(origin)s origin may not claim %(rate_type)s (%(agreement)s) on %(date)s"
                ),
                origin=item.origin,
                rate_type=rate_type.code,
                agreement=rate_type.agreement,
                date=on.isoformat(),
            )
        )
    if item.proof is not None and item.proof.issued_on and item.proof.issued_on > on:
        found.append(
            _error(
                f"{path}.proof.issued_on",
                "declaration.proof_issued_later",
                N_(
                    "%(field)s: a proof issued on %(issued)s is not held when declaring on %(date)s"
                ),
                issued=item.proof.issued_on.isoformat(),
                date=on.isoformat(),
            )
        )
    if item.proof is None:
        found.append(
            _error(
                f"{path}.proof",
                "declaration.proof_required",
                N_(
                    "%(field)s: a preference under %(rate_type)s needs the proof of origin held when declaring (%(kinds)s)"
                ),
                rate_type=rate_type.code,
                kinds=", ".join(p.value for p in rate_type.proofs),
            )
        )
    elif item.proof.kind not in rate_type.proofs:
        found.append(
            _error(
                f"{path}.proof.kind",
                "declaration.proof_not_accepted",
                N_("%(field)s: %(agreement)s accepts %(kinds)s as proof of origin, not %(kind)s"),
                agreement=rate_type.agreement,
                kinds=", ".join(p.value for p in rate_type.proofs),
                kind=item.proof.kind.value,
            )
        )
    return found


def _in_force_until(edition: HsEdition) -> date | None:
    later = sorted(d for e, d in IN_FORCE_FROM.items() if d > IN_FORCE_FROM[edition])
    return date.fromordinal(later[0].toordinal() - 1) if later else None
