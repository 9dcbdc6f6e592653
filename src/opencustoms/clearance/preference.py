"""The preference check: a claim on a declared item matched against the certificate of
origin the exporting country's node sent this node.

A claim under a certificate regime is granted when the certificate was received and
verifies (signature, issuing authority trusted, not revoked or replaced, valid on the
declaration date: RCEP Article 3.16, one year), is for this agreement, was issued by
the exporting country for imports into this country and for this importer, has an item
whose HS code agrees at six digits (across HS editions only through a loaded
correspondence), whose origin is the declared origin, whose quantity covers the declared
one (within a tolerance) and is not used up by earlier declarations. Otherwise it is
denied with every reason (RCEP Article 3.25(2): the decision in writing, with its
reasons) and the item falls back to the rate that applies without the preference.
A claim on an origin declaration (self-certified), or on a certificate from a country
this node has no electronic link with (paper), goes to documentary review: a customs
officer decides it, and the decision records who.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from opencustoms.certificates.model import Certificate
from opencustoms.certificates.model import Item as CertificateItem
from opencustoms.certificates.signed import Verdict
from opencustoms.clearance.declaration import Declaration, Item
from opencustoms.clearance.rate_types import ProofType, RateType
from opencustoms.clearance.tariff import Unit
from opencustoms.kernel.correspondence import CorrespondenceTable
from opencustoms.kernel.errors import N_, Finding
from opencustoms.kernel.hs import IN_FORCE_FROM, HsCode, HsEdition

DEFAULT_TOLERANCE = Decimal(5)  # percent over the certificate's quantity: a national choice
# how a certificate's unit compares with a declared quantity
KILOGRAMS = {"KGM", "KG", "KGS"}
PIECES = {"PCE", "PCS", "NAR", "U", "UNIT", "PR", "PAIR", "SET"}
LITRES = {"LTR", "L", "LITRE"}


class Outcome(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    REVIEW = "review"  # documentary review: a self-certified or paper proof


@dataclass(frozen=True, slots=True)
class Decision:
    item: int  # the declaration's item number
    rate_type: str  # claimed
    proof_kind: ProofType
    reference: str  # the certificate's number or the origin declaration's reference
    authority: str | None
    outcome: Outcome
    reasons: tuple[Finding, ...]  # for a denial, every one; for a review, why a person looks
    certificate_item: int | None = None  # the certificate's item the claim rests on
    quantity: Decimal | None = None  # of that item, taken by this claim
    unit: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None  # None: the node decided when it was lodged

    @property
    def granted(self) -> bool:
        return self.outcome is Outcome.GRANTED


@dataclass(frozen=True, slots=True)
class KeptDecision:
    """A decision as kept: on which declaration, and whether a later one superseded it."""

    id: str
    declaration_id: str
    decision: Decision
    current: bool = True


@dataclass(frozen=True, slots=True)
class Claim:
    """What the check needs besides the certificate: the importer's name as this node
    knows it, and what earlier declarations took from each certificate item."""

    importer_name: str | None
    used: dict[int, Decimal]  # certificate item number: quantity taken already


def _reason(code: str, message: str, /, **params: Any) -> Finding:
    return Finding(code, message, params, None)


def decided(
    item: Item, rate_type: RateType, outcome: Outcome, reasons: tuple[Finding, ...], **more: Any
) -> Decision:
    """A decision on the item's claim under its proof."""
    proof = item.proof
    assert proof is not None  # validation requires one for a preference
    return Decision(
        item.number,
        rate_type.code,
        proof.kind,
        proof.reference,
        proof.authority,
        outcome,
        reasons,
        **more,
    )


def review(item: Item, rate_type: RateType, why: Finding) -> Decision:
    return decided(item, rate_type, Outcome.REVIEW, (why,))


def self_certified(item: Item, rate_type: RateType) -> Decision:
    return review(
        item,
        rate_type,
        _reason(
            "preference.self_certified",
            N_(
                "The proof is the exporter's own origin declaration: a customs officer reviews it before the preference is granted."
            ),
        ),
    )


def paper(item: Item, rate_type: RateType, country: str) -> Decision:
    return review(
        item,
        rate_type,
        _reason(
            "preference.no_link",
            N_(
                "No electronic origin data exchange with %(country)s for %(agreement)s: the paper certificate is reviewed by a customs officer."
            ),
            country=country,
            agreement=rate_type.agreement or rate_type.code,
        ),
    )


def check(
    declaration: Declaration,
    item: Item,
    rate_type: RateType,
    verdict: Verdict | None,
    form_agreement: str | None,
    node_country: str,
    claim: Claim,
    correspondence: CorrespondenceTable | None,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Decision:
    """The decision on one item's claim under a certificate the node should have received
    (`verdict` None: it was not received)."""
    proof = item.proof
    assert proof is not None
    reasons: list[Finding] = []

    def deny() -> Decision:
        return decided(item, rate_type, Outcome.DENIED, tuple(reasons))

    if verdict is None or verdict.certificate is None:
        reasons.append(
            _reason(
                "preference.not_received",
                N_(
                    "Certificate %(number)s has not been received from the exporting country's customs: the claim cannot be matched."
                ),
                number=proof.reference,
            )
        )
        return deny()
    cert = verdict.certificate
    for c in verdict.checks:
        if c.ok is False:
            reasons.append(
                _reason(
                    "preference.not_verified",
                    N_("The certificate does not verify (%(check)s): %(reason)s"),
                    check=c.name,
                    reason=Finding(c.name, c.reason, c.params),
                )
            )
    if form_agreement != rate_type.agreement:
        reasons.append(
            _reason(
                "preference.other_agreement",
                N_(
                    "The certificate is for %(certificate)s, but %(rate_type)s claims %(agreement)s."
                ),
                certificate=form_agreement or "?",
                rate_type=rate_type.code,
                agreement=rate_type.agreement or "?",
            )
        )
    exporting = item.departure if item.departure in rate_type.origins else item.origin
    if cert.export_country != exporting:
        reasons.append(
            _reason(
                "preference.other_exporting_country",
                N_(
                    "The certificate was issued in %(issued)s, not in the exporting country %(country)s."
                ),
                issued=cert.export_country,
                country=exporting,
            )
        )
    if cert.import_country != node_country:
        reasons.append(
            _reason(
                "preference.other_importing_country",
                N_("The certificate is for imports into %(other)s, not %(country)s."),
                other=cert.import_country,
                country=node_country,
            )
        )
    if claim.importer_name and not same_party(cert.importer.name, claim.importer_name):
        reasons.append(
            _reason(
                "preference.other_importer",
                N_("The certificate names %(named)s as importer or consignee, not %(importer)s."),
                named=cert.importer.name[:80],
                importer=claim.importer_name[:80],
            )
        )
    candidates = _matching_items(cert, item, declaration, correspondence, reasons)
    if not candidates:
        return deny()
    # the first certificate item the claim fits; else the first one's reasons
    chosen, item_reasons, quantity, unit = candidates[0], None, None, None
    for candidate in candidates:
        found, q, u = _fits(item, candidate, claim, tolerance)
        if item_reasons is None or not found:
            chosen, item_reasons, quantity, unit = candidate, found, q, u
        if not found:
            break
    reasons.extend(item_reasons or ())
    if reasons:
        return deny()
    if quantity is None:  # the certificate counts in a unit the declaration does not give
        why = _reason(
            "preference.quantity_not_comparable",
            N_(
                "The certificate's item %(item)s counts in %(unit)s, which the declared item does not give: a customs officer compares them."
            ),
            item=chosen.number,
            unit=chosen.unit or "?",
        )
        return decided(item, rate_type, Outcome.REVIEW, (why,), certificate_item=chosen.number)
    return decided(
        item,
        rate_type,
        Outcome.GRANTED,
        (),
        certificate_item=chosen.number,
        quantity=quantity,
        unit=unit,
    )


def _fits(
    item: Item, matched: CertificateItem, claim: Claim, tolerance: Decimal
) -> tuple[list[Finding], Decimal | None, str | None]:
    """Why the declared item does not fit this certificate item (origin, quantity), and the
    quantity it takes in the certificate's unit (None: they do not compare)."""
    reasons: list[Finding] = []
    if matched.origin_country and matched.origin_country != item.origin:
        reasons.append(
            _reason(
                "preference.origin_differs",
                N_("The certificate's item %(item)s is of %(certified)s origin, not %(origin)s."),
                item=matched.number,
                certified=matched.origin_country,
                origin=item.origin,
            )
        )
    quantity, unit = declared_quantity(item, matched.unit)
    if quantity is not None and matched.quantity is not None:
        allowed = matched.quantity * (100 + tolerance) / 100
        taken = claim.used.get(matched.number, Decimal(0))
        if quantity > allowed:
            reasons.append(
                _reason(
                    "preference.quantity_exceeds",
                    N_(
                        "%(declared)s %(unit)s declared, more than the %(certified)s certified in item %(item)s (tolerance %(tolerance)s%%)."
                    ),
                    declared=f"{quantity:f}",
                    unit=matched.unit,
                    certified=f"{matched.quantity:f}",
                    item=matched.number,
                    tolerance=f"{tolerance:f}",
                )
            )
        elif taken + quantity > allowed:
            reasons.append(
                _reason(
                    "preference.used_up",
                    N_(
                        "Item %(item)s of the certificate covers %(certified)s %(unit)s; %(taken)s were claimed on earlier declarations, so %(declared)s more exceed it."
                    ),
                    item=matched.number,
                    certified=f"{matched.quantity:f}",
                    unit=matched.unit,
                    taken=f"{taken:f}",
                    declared=f"{quantity:f}",
                )
            )
    elif matched.quantity is not None:
        quantity = None
    return reasons, quantity, unit


def _matching_items(
    cert: Certificate,
    item: Item,
    declaration: Declaration,
    correspondence: CorrespondenceTable | None,
    reasons: list[Finding],
) -> list[CertificateItem]:
    """The certificate's items for the declared item: those whose code agrees at six digits."""
    declared = item.goods.code.hs6
    if declared is None:
        return []
    editions = {cert_edition(cert, declaration)} - {declared.edition}
    found: list[CertificateItem] = []
    for candidate in cert.items:
        if candidate.hs is None:
            continue
        certified = HsCode(candidate.hs[:6], cert_edition(cert, declaration))
        if certified.edition == declared.edition:
            if certified.digits == declared.digits:
                found.append(candidate)
        elif correspondence is not None and correspondence.same_goods(certified, declared):
            found.append(candidate)
    if found:
        return found
    if editions and correspondence is None:
        reasons.append(
            _reason(
                "preference.hs_editions",
                N_(
                    "No item of the certificate has %(code)s: its codes are of %(certified)s, the declaration's of %(declared)s, and no correspondence between them is loaded."
                ),
                code=declared.dotted(),
                certified=cert_edition(cert, declaration).value,
                declared=declared.edition.value,
            )
        )
    else:
        reasons.append(
            _reason(
                "preference.hs_differs",
                N_(
                    "No item of the certificate has the declared subheading %(code)s (its codes: %(codes)s)."
                ),
                code=declared.dotted(),
                codes=", ".join(sorted({i.hs or "-" for i in cert.items}))[:120],
            )
        )
    return []


def cert_edition(cert: Certificate, declaration: Declaration) -> HsEdition:
    """The edition a certificate's codes are in: the one in force when it was issued."""
    issued = cert.issue_date or declaration.date
    return max(
        (e for e, start in IN_FORCE_FROM.items() if start <= issued), key=lambda e: IN_FORCE_FROM[e]
    )


def declared_quantity(item: Item, unit: str | None) -> tuple[Decimal | None, str | None]:
    """The declared quantity in the certificate's unit, where the two compare."""
    u = (unit or "").upper()
    g = item.goods
    if u in KILOGRAMS and g.net_mass > 0:
        return g.net_mass, unit
    if g.quantity is not None and (
        (u in PIECES and g.quantity_unit is Unit.UNIT)
        or (u in LITRES and g.quantity_unit is Unit.LITRE)
    ):
        return g.quantity, unit
    return None, None


_NOISE = re.compile(r"[\W_]+")


def same_party(certified: str, declared: str) -> bool:
    """Names compared as written, ignoring case, spacing and punctuation; one containing
    the other, and at least three fifths of it, is the same party (a slight discrepancy,
    RCEP Article 3.26)."""

    def plain(name: str) -> str:
        return _NOISE.sub("", unicodedata.normalize("NFKC", name).casefold())

    a, b = plain(certified), plain(declared)
    shorter, longer = sorted((a, b), key=len)
    # a name within the other, but most of it: "Seoul" alone is not "Seoul Trading Co., Ltd."
    return bool(shorter) and shorter in longer and len(shorter) * 5 >= len(longer) * 3
