"""Certificates in JSON: read with every problem at once (its path, what to do), and written
back in the same form, amounts and quantities as decimal strings, ready to be signed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, make_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

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
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # most values: asked without isinstance
        return value
    if kind is Decimal:
        return str(value)
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    out: dict[str, Any] = {}
    for name in _field_names(type(value)):
        v = getattr(value, name)
        if v is None or v is False or v == () or (type(v) is Remarks and v == _NO_REMARKS):
            continue
        out[name] = _json(v)
    return out


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """A model class's field names, asked of `dataclasses.fields` once (it builds them anew
    at every call, and an issue writes a certificate's JSON more than once)."""
    found = _FIELD_NAMES.get(cls)
    if found is None:
        found = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return found


def read_canonical_certificate(data: Any, source: str = "certificate") -> Certificate:
    """`read_certificate`, faster on the form `certificate_json` writes (a signed payload).

    The same certificate, or the same findings: a lean pass reads the usual case
    (each value of its exact JSON type, text already stripped, countries as
    alpha-2 codes) and gives up at the first thing it does not expect, leaving
    `read_certificate` to accept or refuse the data by its own rules. A verifier
    reads every certificate it is sent, and `_Reader`'s care for the paths of
    its findings costs more than the signature check it follows.
    """
    if type(data) is dict:
        try:
            return _canonical(data)
        except (_Unusual, ValueError, ArithmeticError):  # dates' and Decimal's errors too
            pass
    return read_certificate(data, source)


class _Unusual(Exception):
    """Something the lean reader leaves to `read_certificate`."""


_T = TypeVar("_T")


def _frozen_built(cls: type[_T]) -> Callable[..., _T]:
    """`cls(...)`, every field given in order, for a frozen dataclass with slots.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`,
    which costs the verifier more than reading the values (1.9 µs against 0.6 for
    a twelve-field item, and a certificate has a dozen or more objects). The object
    is made as a twin class with the same slots and no guard, then given its class:
    the same object `cls(...)` makes, equal to it and frozen from then on.
    """
    twin = make_dataclass(
        f"_Building{cls.__name__}",
        [f.name for f in fields(cls)],  # type: ignore[arg-type]
        slots=True,
        eq=False,
        repr=False,
    )

    def build(*values: Any) -> _T:
        made = twin(*values)
        made.__class__ = cls
        return made  # type: ignore[no-any-return]

    return build


_Party = _frozen_built(Party)
_Transport = _frozen_built(Transport)
_Invoice = _frozen_built(Invoice)
_Item = _frozen_built(Item)
_BackToBack = _frozen_built(BackToBack)
_Remarks = _frozen_built(Remarks)
_Declaration = _frozen_built(Declaration)
_Certification = _frozen_built(Certification)
_Certificate = _frozen_built(Certificate)
_NO_REMARKS = Remarks()


_ALPHA2: set[str] = set()  # codes `Country` has read back as themselves (ISO's 250 at most)


def _is_alpha2(code: str) -> bool:
    """Whether `Country` reads the code as itself: an alpha-2 code in upper case, not an
    alpha-3 code or one in lower case, which the long way reads (and writes as alpha-2)."""
    if code in _ALPHA2:
        return True
    try:
        if Country(code).alpha2 != code:
            return False
    except DomainError:
        return False
    _ALPHA2.add(code)
    return True


# Each helper reads one value as `_Reader` does when it finds nothing wrong with it,
# and raises `_Unusual` for anything else; None means absent, as there.


def _text(value: Any) -> str | None:
    return None if value is None else _required_text(value)


def _required_text(value: Any) -> str:
    if type(value) is str and (stripped := value.strip()):
        return stripped
    raise _Unusual


def _country(value: Any) -> str | None:
    return None if value is None else _required_country(value)


def _required_country(value: Any) -> str:
    if type(value) is str and _is_alpha2(code := value.strip()):
        return code
    raise _Unusual


def _day(value: Any) -> date | None:
    return None if value is None else _required_day(value)


def _required_day(value: Any) -> date:
    if type(value) is str:
        return date.fromisoformat(value.strip())  # ValueError (also for ""): the long way
    raise _Unusual


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if type(value) is not str or not value:
        raise _Unusual
    number = Decimal(value)  # InvalidOperation (an ArithmeticError): the long way
    if not number.is_finite() or number.is_signed():  # so -0 too, which `_Reader` reads
        raise _Unusual
    return number


def _flag(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise _Unusual


def _object(value: Any) -> dict[str, Any] | None:
    if value is None or type(value) is dict:
        return value
    raise _Unusual


def _party(value: Any) -> Party | None:
    return None if value is None else _required_party(value)


def _required_party(value: Any) -> Party:
    if type(value) is not dict:
        raise _Unusual
    g = value.get
    return _Party(
        _required_text(g("name")), _required_text(g("address")), _required_country(g("country"))
    )


def _hs(value: Any) -> str | None:
    # six ASCII digits are what `_Reader.item` makes of them (nothing to strip or take out)
    if value is None or (
        type(value) is str and len(value) == 6 and value.isascii() and value.isdigit()
    ):
        return value
    raise _Unusual


def _items(value: Any) -> tuple[Item, ...]:
    if type(value) is not list or not value:
        raise _Unusual
    items = []
    numbers = set()
    for index, rec in enumerate(value):
        if type(rec) is not dict:
            raise _Unusual
        g = rec.get
        number = g("number", index + 1)
        if type(number) is not int or number < 1 or number in numbers:  # bool is not int here
            raise _Unusual
        numbers.add(number)
        invoice = None
        if (inv := _object(g("invoice"))) is not None:
            invoice = _Invoice(_required_text(inv.get("number")), _day(inv.get("date")))
        items.append(
            _Item(
                number,
                _required_text(g("description")),
                _hs(g("hs")),
                _text(g("criterion")),
                _country(g("origin_country")),
                _text(g("marks")),
                _text(g("packages")),
                _amount(g("quantity")),
                _text(g("unit")),
                _amount(g("gross_weight_kg")),
                _amount(g("fob_value")),
                invoice,
            )
        )
    return tuple(items)


def _canonical(data: dict[str, Any]) -> Certificate:
    g = data.get
    transport = None
    if (t := _object(g("transport"))) is not None:
        transport = _Transport(
            _day(t.get("departure_date")),
            _text(t.get("vessel_or_flight")),
            _text(t.get("port_of_discharge")),
            _text(t.get("route")),
        )
    remarks = _NO_REMARKS
    if (m := _object(g("remarks"))) is not None:
        b2b = None
        if (b := _object(m.get("back_to_back"))) is not None:
            b2b = _BackToBack(
                _required_text(b.get("reference")),
                _required_day(b.get("date")),
                _required_country(b.get("origin_country")),
                _text(b.get("approved_exporter")),
            )
        remarks = _Remarks(
            _text(m.get("text")),
            _flag(m.get("third_party_invoicing", False)),
            _flag(m.get("issued_retroactively", False)),
            _flag(m.get("certified_true_copy", False)),
            _flag(m.get("exhibition", False)),
            b2b,
        )
    declaration = None
    if (d := _object(g("declaration"))) is not None:
        declaration = _Declaration(
            _required_text(d.get("place")),
            _required_day(d.get("date")),
            _required_text(d.get("signatory")),
        )
    certification = None
    if (c := _object(g("certification"))) is not None:
        certification = _Certification(
            _required_text(c.get("place")),
            _required_day(c.get("date")),
            _required_text(c.get("officer")),
        )
    return _Certificate(
        _required_text(g("form")),
        _text(g("number")),
        _text(g("issuing_authority")),
        _required_party(g("exporter")),
        _required_party(g("importer")),
        _required_country(g("export_country")),
        _required_country(g("import_country")),
        _items(g("items")),
        _party(g("producer")),
        transport,
        _text(g("currency")),
        remarks,
        declaration,
        certification,
        _day(g("issue_date")),
        _text(g("issue_place")),
        _text(g("replaces")),
    )
