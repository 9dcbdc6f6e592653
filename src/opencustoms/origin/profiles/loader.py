"""Reading agreement profiles from YAML, strictly: schema, types, dates, known fields.

Every problem names the file and line. See `origin/profile.py` for the model
and `origin/profiles/*.yaml` for the shipped profiles.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TypeVar

from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import DomainError
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.compiler.refs import parse_refs
from opencustoms.origin.profile import (
    BuildUp,
    BuildUpFormula,
    Citation,
    Cumulation,
    CumulationKind,
    Flag,
    ListOfOperations,
    Profile,
    Proof,
    ProofKind,
    Sets,
    Tolerance,
    Transport,
    TransportRule,
    Valuation,
    WeightTolerance,
)
from opencustoms.origin.rules import HsRange, ValueBase
from opencustoms.reference.yamlstrict import Node, compose_text

CITE = {"file", "section", "quote"}
GIR3 = ("3(a)", "3(b)", "3(c)")  # the General Interpretative Rule that classified a set


def _cite(node: Node) -> Citation:
    f = node.mapping(CITE, set())
    return Citation(f["file"].text(), f["section"].text(), " ".join(f["quote"].text().split()))


def _percent(node: Node) -> Decimal | None:
    if node.is_null():
        return None
    try:
        value = Decimal(node.text())
    except InvalidOperation:
        raise node.error("expected a percentage such as 10 or 8.5") from None
    if not 0 <= value <= 100:
        raise node.error("a percentage runs from 0 to 100, not %(value)s", value=value)
    return value


E = TypeVar("E", bound=StrEnum)


def _enum(node: Node, enum: type[E], what: str) -> E:
    try:
        return enum(node.text())
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise node.error(
            "'%(value)s' is not a %(what)s; use %(allowed)s",
            value=node.text(),
            what=what,
            allowed=allowed,
        ) from None


def _date(node: Node) -> date | None:
    if node.is_null():
        return None
    try:
        return date.fromisoformat(node.text())
    except ValueError:
        raise node.error("'%(value)s' is not a date: write YYYY-MM-DD", value=node.text()) from None


def _country(node: Node) -> Country:
    try:
        return Country(node.text())
    except DomainError:
        raise node.error("'%(value)s' is not an ISO 3166 country code", value=node.text()) from None


def _ranges(node: Node) -> tuple[HsRange, ...]:
    out: list[HsRange] = []
    for item in node.sequence():
        text = item.text()
        try:
            if text.isdigit():
                out.append(HsRange(text.zfill(2) if len(text) < 2 else text))
            else:
                out.extend(parse_refs(text))
        except ValueError:
            raise item.error(
                "'%(value)s' is not an HS reference such as '50-63' or 'chapter 50 to 63'",
                value=text,
            ) from None
    return tuple(out)


def _optional(fields: dict[str, Node], key: str) -> Node | None:
    node = fields.get(key)
    return None if node is None or node.is_null() else node


def read_profile(text: str, source: str) -> Profile:
    f = compose_text(text, source).mapping(
        {"id", "title", "parties", "source"},
        {
            "entry_into_force",
            "psr_hs_edition",
            "valuation",
            "tolerance",
            "cumulation",
            "insufficient_operations",
            "absorption",
            "transport",
            "proofs",
            "build_up",
            "sets",
            "notes",
        },
    )
    edition = psr_cite = None
    if node := _optional(f, "psr_hs_edition"):
        e = node.mapping({"edition", "cite"}, set())
        try:
            edition = HsEdition.parse(e["edition"].text())
        except DomainError:
            raise e["edition"].error(
                "'%(value)s' is not an HS edition", value=e["edition"].text()
            ) from None
        psr_cite = _cite(e["cite"])
    valuation = None
    if node := _optional(f, "valuation"):
        v = node.mapping({"base", "cite"}, set())
        valuation = Valuation(_enum(v["base"], ValueBase, "value base"), _cite(v["cite"]))
    tolerance = None
    if node := _optional(f, "tolerance"):
        t = node.mapping(
            {"cite"}, {"value_percent", "base", "by_weight", "excluded", "may_exceed_maxnom"}
        )
        by_weight = None
        if w := _optional(t, "by_weight"):
            wf = w.mapping({"percent", "products", "cite"}, {"except", "instead_of_value"})
            percent = _percent(wf["percent"])
            if percent is None:
                raise wf["percent"].error("expected a percentage such as 10 or 8.5")
            by_weight = WeightTolerance(
                percent=percent,
                products=_ranges(wf["products"]),
                excepted=_ranges(wf["except"]) if _optional(wf, "except") else (),
                instead_of_value=wf["instead_of_value"].boolean()
                if _optional(wf, "instead_of_value")
                else False,
                cite=_cite(wf["cite"]),
            )
        tolerance = Tolerance(
            value_percent=_percent(t["value_percent"]) if "value_percent" in t else None,
            base=_enum(t["base"], ValueBase, "value base") if _optional(t, "base") else None,
            by_weight=by_weight,
            excluded=_ranges(t["excluded"]) if _optional(t, "excluded") else (),
            may_exceed_maxnom=t["may_exceed_maxnom"].boolean()
            if _optional(t, "may_exceed_maxnom")
            else None,
            cite=_cite(t["cite"]),
        )
    build_up = None
    if node := _optional(f, "build_up"):
        b = node.mapping({"adds", "cite"}, set())
        build_up = BuildUpFormula(_enum(b["adds"], BuildUp, "build-up formula"), _cite(b["cite"]))
    sets = None
    if node := _optional(f, "sets"):
        st = node.mapping({"percent", "classified_by", "cite"}, {"base"})
        percent = _percent(st["percent"])
        if percent is None:
            raise st["percent"].error("expected a percentage such as 10 or 8.5")
        rules = tuple(r.text() for r in st["classified_by"].sequence())
        for r, item in zip(rules, st["classified_by"].sequence(), strict=True):
            if r not in GIR3:
                raise item.error(
                    "'%(value)s' is not a subrule of GIR 3; use %(allowed)s",
                    value=r,
                    allowed=", ".join(GIR3),
                )
        base = _enum(st["base"], ValueBase, "value base") if _optional(st, "base") else None
        sets = Sets(percent, base, rules, _cite(st["cite"]))
    cumulation = []
    for item in f["cumulation"].sequence() if _optional(f, "cumulation") else []:
        c = item.mapping({"kind", "cite"}, {"partners"})
        partners = (
            tuple(_country(p) for p in c["partners"].sequence()) if _optional(c, "partners") else ()
        )
        cumulation.append(
            Cumulation(
                _enum(c["kind"], CumulationKind, "kind of cumulation"), partners, _cite(c["cite"])
            )
        )
    operations = None
    if node := _optional(f, "insufficient_operations"):
        o = node.mapping({"items", "cite"}, set())
        operations = ListOfOperations(
            tuple(i.text() for i in o["items"].sequence()), _cite(o["cite"])
        )
    absorption = None
    if node := _optional(f, "absorption"):
        a = node.mapping({"applies", "cite"}, set())
        absorption = Flag(a["applies"].boolean(), _cite(a["cite"]))
    transport = None
    if node := _optional(f, "transport"):
        tr = node.mapping({"rule", "cite"}, set())
        transport = Transport(_enum(tr["rule"], TransportRule, "transport rule"), _cite(tr["cite"]))
    proofs = []
    for item in f["proofs"].sequence() if _optional(f, "proofs") else []:
        p = item.mapping({"kind", "issued_by", "cite"}, {"validity_months"})
        months = p["validity_months"].integer() if _optional(p, "validity_months") else None
        proofs.append(
            Proof(
                _enum(p["kind"], ProofKind, "kind of proof"),
                p["issued_by"].text(),
                months,
                _cite(p["cite"]),
            )
        )
    return Profile(
        id=f["id"].text(),
        version="sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
        title=f["title"].text(),
        parties=tuple(_country(p) for p in f["parties"].sequence()),
        entry_into_force=_date(f["entry_into_force"]) if "entry_into_force" in f else None,
        source=f["source"].text(),
        psr_hs_edition=edition,
        psr_hs_edition_cite=psr_cite,
        valuation=valuation,
        tolerance=tolerance,
        cumulation=tuple(cumulation),
        insufficient_operations=operations,
        absorption=absorption,
        transport=transport,
        proofs=tuple(proofs),
        build_up=build_up,
        sets=sets,
        notes=tuple(n.text() for n in f["notes"].sequence()) if _optional(f, "notes") else (),
    )


def shipped_profiles() -> dict[str, Profile]:
    """Every profile shipped in the package, by agreement id."""
    folder = resources.files("opencustoms.origin.profiles")
    out: dict[str, Profile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            profile = read_profile(entry.read_text(encoding="utf-8"), f"profiles/{entry.name}")
            if profile.id != entry.name.removesuffix(".yaml"):
                raise ValueError(f"profiles/{entry.name} holds id {profile.id}")
            out[profile.id] = profile
    return out


def read_profile_file(path: Path) -> Profile:
    return read_profile(path.read_text(encoding="utf-8"), str(path))
