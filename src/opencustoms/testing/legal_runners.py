"""Runners for legal cases: each takes a case's input and date, returns the facts to check."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from opencustoms import presenters
from opencustoms.kernel.errors import N_, DomainError, InvalidInput
from opencustoms.kernel.hs import IN_FORCE_FROM, HsCode, HsEdition
from opencustoms.origin.agreements import AgreementCatalogue, determine
from opencustoms.origin.bom_io import read_json
from opencustoms.reference.hs import hs2022

Runner = Callable[[dict[str, Any], date], dict[str, Any]]


def _errors_as_values(run: Runner) -> Runner:
    def wrapped(given: dict[str, Any], on: date) -> dict[str, Any]:
        try:
            _require_in_force(str(given.get("edition", "HS2022")), on)
            return run(given, on)
        except DomainError as e:
            return {"error": e.code, "field": e.finding.field}

    return wrapped


@_errors_as_values
def hs_code(given: dict[str, Any], on: date) -> dict[str, Any]:
    code = HsCode(str(given["code"]), given.get("edition", "HS2022"))
    return {
        "digits": code.digits,
        "dotted": code.dotted(),
        "level": code.level.value,
        "edition": code.edition.value,
        "hs6": code.hs6.digits if code.hs6 else None,
    }


@_errors_as_values
def hs_lookup(given: dict[str, Any], on: date) -> dict[str, Any]:
    hs = hs2022()
    entry = hs.get(str(given["code"]))
    return {
        "code": entry.code.digits,
        "description": entry.description,
        "section": entry.section,
        "path": [step.code for step in hs.path(entry.code)],
        "children": [c.code.digits for c in hs.children(entry.code)],
    }


@_errors_as_values
def hs_search(given: dict[str, Any], on: date) -> dict[str, Any]:
    hits = hs2022().search(str(given["query"]), int(given.get("limit", 10)))
    codes = [h.entry.code.digits for h in hits]
    return {"first": codes[0] if codes else None, "top3": codes[:3], "codes": codes}


_catalogue: AgreementCatalogue | None = None


def origin_determine(given: dict[str, Any], on: date) -> dict[str, Any]:
    """A determination for a BOM written in the case (the JSON format, as YAML)."""
    global _catalogue
    if _catalogue is None:
        _catalogue = AgreementCatalogue()
    agreement = str(given["agreement"])
    try:
        edition = _catalogue.edition(agreement) or HsEdition.HS2022
        bom = read_json(json.dumps(given["bom"]), "case", edition)
        found = presenters.determination(determine(_catalogue, agreement, bom, on))
    except DomainError as e:
        return {"error": e.code, "field": e.finding.field}
    return {
        "verdict": found["verdict"],
        "criterion": found["criterion"],
        "margin": found["margin"],
        "tolerance_used": found["tolerance_used"],
        "cumulation_used": found["cumulation_used"],
        "rolled_up": found["rolled_up"],
        "candidates": found["candidates"],
        "notes": found["notes"],
    }


def certificates_validate(given: dict[str, Any], on: date) -> dict[str, Any]:
    """A certificate (its JSON form, as YAML) against its form, at a stage."""
    from opencustoms.certificates.forms.loader import shipped_forms
    from opencustoms.certificates.io import read_certificate
    from opencustoms.certificates.validation import validate

    # "with": fields set over the certificate, so a case can vary one anchored in the file
    data = {**given["certificate"], **given.get("with", {})}
    try:
        cert = read_certificate(data, "case")
    except DomainError as e:
        return {"error": e.code, "fields": [f.field for f in e.findings]}
    found = validate(cert, shipped_forms()[cert.form], str(given.get("stage", "application")))
    return {
        "valid": not found,
        "codes": [f.code for f in found],
        "fields": [f.field for f in found],
    }


def clearance_duty(given: dict[str, Any], on: date) -> dict[str, Any]:
    """Items assessed against the case's own schedule lines and exchange rates, under
    Korea's shipped tax rules (or the case's `minimum`)."""
    from dataclasses import replace
    from decimal import Decimal

    from opencustoms.clearance.data import shipped_tax_rules
    from opencustoms.clearance.duty import Goods, Incoterm, assess
    from opencustoms.clearance.tariff import Unit, parse_schedule
    from opencustoms.kernel.exchange import parse_rates
    from opencustoms.kernel.money import Money

    header = "code,edition,rate_type,valid_from,valid_to,duty,source\n"
    lines = "".join(
        f'{code},HS2017,{kind},2020-01-01,,"{duty}",case\n'
        for code, kind, duty in (x.split(" ", 2) for x in given["schedule"])
    )
    rates = "valid_from,from_currency,to_currency,rate\n" + "".join(
        f"{x}\n" for x in given.get("rates", [])
    )

    def money(text: Any) -> Money | None:
        if text is None:
            return None
        amount, currency = str(text).split()
        return Money(amount, currency)

    try:
        goods = [
            Goods(
                code=HsCode(str(i["code"]), "HS2017"),
                rate_type=str(i.get("rate_type", "A")),
                price=money(i["price"]),  # type: ignore[arg-type]
                incoterm=Incoterm(str(i.get("incoterm", "CIF"))),
                net_mass=Decimal(str(i.get("net_mass", "1"))),
                freight=money(i.get("freight")),
                insurance=money(i.get("insurance")),
                post_arrival=money(i.get("post_arrival")),
                quantity=Decimal(str(i["quantity"])) if "quantity" in i else None,
                quantity_unit=Unit(str(i["unit"])) if "unit" in i else None,
            )
            for i in given["items"]
        ]
        rules = shipped_tax_rules()
        if "minimum" in given:
            rules = replace(rules, minimum_duty=Money(str(given["minimum"]), "KRW"))
        found = assess(
            goods,
            on,
            parse_schedule(header + lines, "case", "case", "1"),
            parse_rates(rates, "case"),
            rules,
        )
    except DomainError as e:
        return {"error": e.code, "field": e.finding.field}
    return {
        "values": [str(x.customs_value.amount) for x in found.items],
        "item_duty": [str(x.duty.amount) for x in found.items],
        "item_vat": [str(x.vat.amount) for x in found.items],
        "duty": str(found.duty.amount),
        "vat": str(found.vat.amount),
        "steps": [s.key for x in found.items for s in x.steps] + [s.key for s in found.steps],
    }


def clearance_validate(given: dict[str, Any], on: date) -> dict[str, Any]:
    """A declaration (its JSON form, as YAML) validated on the case's date."""
    from opencustoms.clearance.data import shipped_rate_types
    from opencustoms.clearance.declaration import validate
    from opencustoms.clearance.declaration_io import read_declaration

    data = {**given["declaration"], "date": on.isoformat()}
    if "item" in given:  # fields set over the first item
        data["items"] = [{**data["items"][0], **given["item"]}, *data["items"][1:]]
    try:
        found = validate(read_declaration(data), shipped_rate_types(), on)
    except DomainError as e:
        return {"error": e.code, "fields": [f.field for f in e.findings]}
    errors = [f for f in found if f.severity.value == "error"]
    return {
        "valid": not errors,
        "codes": [f.code for f in found],
        "fields": [f.field for f in found],
    }


def _require_in_force(edition: str, on: date) -> None:
    """A case dated before its edition entered into force asks about law that did not apply."""
    ed = HsEdition.parse(edition)
    if on < IN_FORCE_FROM[ed]:
        raise InvalidInput.of(
            "hs.edition_not_in_force",
            N_("%(edition)s was not in force on %(on)s."),
            edition=ed.value,
            on=on.isoformat(),
        )


RUNNERS: dict[str, Runner] = {
    "hs.code": hs_code,
    "hs.lookup": hs_lookup,
    "hs.search": hs_search,
    "origin.determine": origin_determine,
    "certificates.validate": certificates_validate,
    "clearance.duty": clearance_duty,
    "clearance.validate": clearance_validate,
}
