"""A BOM's codes in the edition of the agreement's annex, where the change of
classification is tested.

A BOM may classify its goods in another HS edition than the annex's (an
exporter's codes are today's, an annex may be HS 2012). Codes of two editions
are never compared as if they were one: each is translated through the loaded
correspondence table when it corresponds to exactly one code of the annex's
edition; otherwise the BOM is refused, every such line named at once, and the
user is told which codes to give.
"""

from __future__ import annotations

from dataclasses import replace

from opencustoms.kernel.correspondence import CorrespondenceTable
from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.kernel.hs import HsCode, HsEdition
from opencustoms.origin.bom import Bom


def in_edition(
    bom: Bom, edition: HsEdition, table: CorrespondenceTable | None, agreement: str
) -> Bom:
    """The same BOM with every code in `edition`, or every code that cannot be, refused."""
    if _all_in(bom, edition):
        return bom  # the usual case: nothing to translate, nothing to copy
    problems: list[Finding] = []
    converted = _convert(bom, edition, table, agreement, problems, "product")
    if problems:
        raise InvalidInput(*problems)
    return converted


def _all_in(bom: Bom, edition: HsEdition) -> bool:
    return bom.product.hs.edition == edition and all(
        m.hs.edition == edition and (m.bom is None or _all_in(m.bom, edition))
        for m in bom.materials
    )


def _convert(
    bom: Bom,
    edition: HsEdition,
    table: CorrespondenceTable | None,
    agreement: str,
    problems: list[Finding],
    where: str,
) -> Bom:
    product = replace(
        bom.product, hs=_code(bom.product.hs, edition, table, agreement, problems, where)
    )
    materials = []
    for m in bom.materials:
        place = f"{where} line {m.line}" if where != "product" else f"line {m.line}"
        sub = _convert(m.bom, edition, table, agreement, problems, place) if m.bom else None
        materials.append(
            replace(m, hs=_code(m.hs, edition, table, agreement, problems, place), bom=sub)
        )
    return Bom(product, tuple(materials))


def _code(
    code: HsCode,
    edition: HsEdition,
    table: CorrespondenceTable | None,
    agreement: str,
    problems: list[Finding],
    where: str,
) -> HsCode:
    if code.edition == edition:
        return code
    params = {
        "where": where,
        "code": code.dotted(),
        "source": code.edition.value,
        "agreement": agreement,
        "target": edition.value,
    }
    if table is None or (code.edition, edition) not in table.editions():
        problems.append(
            Finding(
                "origin.edition_without_correspondence",
                N_(
                    "%(where)s: %(code)s is %(source)s, and the rules of %(agreement)s are keyed by %(target)s; no correspondence table from %(source)s to %(target)s is loaded: give the %(target)s code, or load a table with 'opencustoms hs import-correspondence'."
                ),
                params,
                field="hs",
            )
        )
        return code
    found = sorted(table.translate(code, edition), key=lambda c: c.digits)
    if len(found) == 1:
        return found[0]
    problems.append(
        Finding(
            "origin.edition_ambiguous",
            N_(
                "%(where)s: %(code)s (%(source)s) corresponds to %(count)s codes of %(target)s (%(codes)s); give the %(target)s code that classifies this product or material."
            ),
            {**params, "count": len(found), "codes": ", ".join(c.dotted() for c in found) or "-"},
            field="hs",
        )
    )
    return code
