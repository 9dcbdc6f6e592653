"""Certificates in JSON: read with every problem at once (its path, what to do), and written
back in the same form, amounts and quantities as decimal strings, ready to be signed."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from opencustoms.certificates.model import (
    BackToBack,
    Certificate,
    Certification,
    Declaration,
    Invoice,
    Item,
    Party,
    Remarks,
    Transport,
)
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, DomainError, Finding, InvalidInput


class _Reader:
    def __init__(self) -> None:
        self.found: list[Finding] = []

    def add(self, where: str, message: str, **params: Any) -> None:
        self.found.append(
            Finding(
                "certificate.invalid",
                N_("%(where)s: %(detail)s"),
                {"where": where, "detail": Finding("certificate.detail", message, params)},
                field=where,
            )
        )

    def obj(
        self, data: dict[str, Any], key: str, where: str, required: bool
    ) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", N_("required"))
            return None
        if not isinstance(value, dict):
            self.add(f"{where}{key}", N_("expected an object"))
            return None
        return value

    def text(
        self, data: dict[str, Any], key: str, where: str, required: bool = False
    ) -> str | None:
        value = data.get(key)
        if type(value) is str and (stripped := value.strip()):
            return stripped  # the common case first: a certificate has some seventy of these
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(f"{where}{key}", N_("required"))
            return None
        if not isinstance(value, str):
            self.add(f"{where}{key}", N_("expected text"))
            return None
        return value.strip()

    def country(
        self, data: dict[str, Any], key: str, where: str, required: bool = True
    ) -> str | None:
        code = self.text(data, key, where, required)
        if code is None:
            return None
        try:
            return Country(code).alpha2
        except DomainError:
            self.add(
                f"{where}{key}", N_("'%(value)s' is not an ISO 3166 country code"), value=code[:8]
            )
            return None

    def day(
        self, data: dict[str, Any], key: str, where: str, required: bool = False
    ) -> date | None:
        text = self.text(data, key, where, required)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.add(
                f"{where}{key}", N_("'%(value)s' is not a date: write YYYY-MM-DD"), value=text[:16]
            )
            return None

    def decimal(self, data: dict[str, Any], key: str, where: str) -> Decimal | None:
        value = data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.add(
                f"{where}{key}",
                N_('write amounts and quantities as decimal strings ("12.50"), not numbers'),
            )
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.add(f"{where}{key}", N_("'%(value)s' is not a number"), value=value[:32])
            return None
        if not number.is_finite() or number < 0:
            self.add(f"{where}{key}", N_("'%(value)s' must be zero or more"), value=value[:32])
            return None
        return number

    def flag(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.add(f"{where}{key}", N_("expected true or false"))
            return False
        return value

    def party(self, data: dict[str, Any], key: str, required: bool) -> Party | None:
        rec = self.obj(data, key, "", required)
        if rec is None:
            return None
        name = self.text(rec, "name", f"{key}.", True)
        address = self.text(rec, "address", f"{key}.", True)
        country = self.country(rec, "country", f"{key}.")
        if name is None or address is None or country is None:
            return None
        return Party(name, address, country)

    def item(self, rec: Any, index: int) -> Item | None:
        where = f"items[{index}]."
        if not isinstance(rec, dict):
            self.add(f"items[{index}]", N_("expected an object"))
            return None
        number = rec.get("number", index + 1)
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            self.add(f"{where}number", N_("expected an item number: 1, 2, ..."))
            number = index + 1
        description = self.text(rec, "description", where, True)
        hs = self.text(rec, "hs", where)
        if hs is not None:
            digits = hs.replace(".", "").replace(" ", "")
            if not (digits.isascii() and digits.isdigit() and len(digits) == 6):
                self.add(
                    f"{where}hs",
                    N_("'%(value)s' is not a six-digit HS code, such as 8517.12"),
                    value=hs[:16],
                )
                hs = None
            else:
                hs = digits
        criterion = self.text(rec, "criterion", where)
        invoice = None
        if (inv := self.obj(rec, "invoice", where, False)) is not None:
            invoice_number = self.text(inv, "number", f"{where}invoice.", True)
            invoice_date = self.day(inv, "date", f"{where}invoice.")
            invoice = Invoice(invoice_number, invoice_date) if invoice_number else None
        fields = (
            self.country(rec, "origin_country", where, required=False),
            self.text(rec, "marks", where),
            self.text(rec, "packages", where),
            self.decimal(rec, "quantity", where),
            self.text(rec, "unit", where),
            self.decimal(rec, "gross_weight_kg", where),
            self.decimal(rec, "fob_value", where),
        )
        if description is None:
            return None
        return Item(number, description, hs, criterion, *fields, invoice)


def read_certificate(data: Any, source: str = "certificate") -> Certificate:
    """A certificate from its JSON form (a dict, or text), or every problem at once."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise InvalidInput(
                Finding(
                    "certificate.bad_json",
                    N_("%(source)s, line %(line)s: not valid JSON (%(problem)s)"),
                    {"source": source, "line": e.lineno, "problem": e.msg},
                )
            ) from None
    if not isinstance(data, dict):
        raise InvalidInput(
            Finding(
                "certificate.not_an_object",
                N_("%(source)s: expected a certificate, a JSON object."),
                {"source": source},
            )
        )
    r = _Reader()
    form = r.text(data, "form", "", True)
    exporter = r.party(data, "exporter", True)
    importer = r.party(data, "importer", True)
    producer = r.party(data, "producer", False)
    export_country = r.country(data, "export_country", "")
    import_country = r.country(data, "import_country", "")
    raw_items = data.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or not raw_items:
        r.add("items", N_("expected a list of at least one item"))
    else:
        numbers: set[int] = set()
        for index, rec in enumerate(raw_items):
            item = r.item(rec, index)
            if item is None:
                continue
            if item.number in numbers:
                r.add(
                    f"items[{index}].number",
                    N_("item %(number)s is numbered twice"),
                    number=item.number,
                )
            numbers.add(item.number)
            items.append(item)
    transport = None
    if (t := r.obj(data, "transport", "", False)) is not None:
        transport = Transport(
            r.day(t, "departure_date", "transport."),
            r.text(t, "vessel_or_flight", "transport."),
            r.text(t, "port_of_discharge", "transport."),
            r.text(t, "route", "transport."),
        )
    remarks = Remarks()
    if (m := r.obj(data, "remarks", "", False)) is not None:
        b2b = None
        if (b := r.obj(m, "back_to_back", "remarks.", False)) is not None:
            ref, day, origin = (
                r.text(b, "reference", "remarks.back_to_back.", True),
                r.day(b, "date", "remarks.back_to_back.", True),
                r.country(b, "origin_country", "remarks.back_to_back."),
            )
            if ref and day and origin:
                b2b = BackToBack(
                    ref, day, origin, r.text(b, "approved_exporter", "remarks.back_to_back.")
                )
        remarks = Remarks(
            r.text(m, "text", "remarks."),
            r.flag(m, "third_party_invoicing", "remarks."),
            r.flag(m, "issued_retroactively", "remarks."),
            r.flag(m, "certified_true_copy", "remarks."),
            r.flag(m, "exhibition", "remarks."),
            b2b,
        )
    declaration = None
    if (d := r.obj(data, "declaration", "", False)) is not None:
        place, day, who = (
            r.text(d, "place", "declaration.", True),
            r.day(d, "date", "declaration.", True),
            r.text(d, "signatory", "declaration.", True),
        )
        declaration = Declaration(place, day, who) if place and day and who else None
    certification = None
    if (c := r.obj(data, "certification", "", False)) is not None:
        place, day, who = (
            r.text(c, "place", "certification.", True),
            r.day(c, "date", "certification.", True),
            r.text(c, "officer", "certification.", True),
        )
        certification = Certification(place, day, who) if place and day and who else None
    currency = r.text(data, "currency", "")
    number = r.text(data, "number", "")
    authority = r.text(data, "issuing_authority", "")
    issue_date = r.day(data, "issue_date", "")
    issue_place = r.text(data, "issue_place", "")
    replaces = r.text(data, "replaces", "")
    if r.found:
        raise InvalidInput(*r.found)
    # no finding means every required part was read
    assert form is not None
    assert exporter is not None
    assert importer is not None
    assert export_country is not None
    assert import_country is not None
    return Certificate(
        form,
        number,
        authority,
        exporter,
        importer,
        export_country,
        import_country,
        tuple(items),
        producer,
        transport,
        currency,
        remarks,
        declaration,
        certification,
        issue_date,
        issue_place,
        replaces,
    )


def certificate_json(cert: Certificate) -> dict[str, Any]:
    """The certificate's JSON form, as `read_certificate` reads it: dates as YYYY-MM-DD,
    amounts and quantities as decimal strings, absent fields and false flags left out,
    so that reading it back gives the same certificate."""
    out: dict[str, Any] = _json(cert)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    out: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        if v is None or v is False or v == ():
            continue
        if isinstance(v, Remarks) and v == Remarks():
            continue
        out[f.name] = _json(v)
    return out
