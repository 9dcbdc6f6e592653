"""An item's duty facts from its JSON form, every problem reported with its path.

    {"hs_code": "8471.30.1000", "hs_edition": "HS2017", "rate_type": "A",
     "price": "1000.00", "currency": "USD", "incoterm": "FOB",
     "freight": "120", "insurance": "5", "post_arrival": "0",
     "net_mass": "12.5", "quantity": "10", "quantity_unit": "u"}

Amounts are strings (or integers), never floats, in the item's currency. An import
declaration's goods item carries these fields among its others.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from opencustoms.clearance.duty import Goods, Incoterm
from opencustoms.clearance.tariff import Unit
from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.kernel.hs import HsCode
from opencustoms.kernel.money import Currency, Money

DEFAULT_EDITION = "HS2017"  # the dataset's codes (2020–21) are HS 2017
# plain digits, or thousands separated by commas ("1,250.50"), never a sign or an exponent
NUMBER = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,18})?")
MAX_NUMBER = Decimal(10) ** 12  # far above any price, mass or quantity declared


GOODS_FIELDS = frozenset({
    "hs_code", "hs_edition", "rate_type", "price", "currency", "incoterm", "freight",
    "insurance", "post_arrival", "net_mass", "quantity", "quantity_unit",
})  # fmt: skip


def unknown_fields(data: dict[str, Any], known: frozenset[str], prefix: str) -> list[Finding]:
    """A misspelt field is an error, not silently nothing: a cost meant to count would vanish."""
    return [
        finding_at(
            f"{prefix}{key}"[:80],
            "input.unknown_field",
            N_("%(field)s: not a field here; check its spelling"),
        )
        for key in sorted(str(k) for k in data if k not in known)[:20]
    ]


def finding_at(path: str, code: str, message: str, /, **params: Any) -> Finding:
    return Finding(code, message, {"field": path, **params}, path)


def _at(error: InvalidInput, path: str) -> list[Finding]:
    """A value's own findings placed at the item's field."""
    return [
        Finding(
            f.code,
            f.message,
            {**f.params, "field": path} if "field" in f.params else f.params,
            path,
        )
        for f in error.findings
    ]


def number(value: Any, path: str, found: list[Finding], required: bool = True) -> Decimal | None:
    """A non-negative decimal from a string or an integer; a float is refused (it is inexact)."""
    if value is None or value == "":
        if required:
            found.append(finding_at(path, "input.required", N_("%(field)s: required")))
        return None
    if isinstance(value, bool | float) or not isinstance(value, str | int):
        found.append(
            finding_at(
                path,
                "input.not_a_number",
                N_('%(field)s: write the number as a string, e.g. "12.50"'),
            )
        )
        return None
    text = str(value).strip()
    if not NUMBER.fullmatch(text):
        found.append(
            finding_at(
                path,
                "input.not_a_number",
                N_(
                    "%(field)s: '%(value)s' is not a number of 0 or more: digits, a point and up to 18 decimals, e.g. 1250.50"
                ),
                value=text[:32],
            )
        )
        return None
    result = Decimal(text.replace(",", ""))
    if result >= MAX_NUMBER:
        found.append(
            finding_at(
                path, "input.too_large", N_("%(field)s: %(value)s is too large"), value=text[:32]
            )
        )
        return None
    return result


def strict_number(value: Any, field: str) -> Decimal:
    """A number as `number` reads it, or InvalidInput saying why."""
    found: list[Finding] = []
    result = number(value, field, found)
    if result is None:
        raise InvalidInput(*found)
    return result


def national_code(value: Any) -> str:
    """The code as written, with the leading zero spreadsheets drop put back: Korea's codes
    have ten digits, so `901211000` is 0901.21.1000 (a code starting 0 keeps its length)."""
    text = str(value or "").strip()
    if text.isascii() and text.isdigit() and len(text) in (5, 7, 9) and text[0] != "0":
        return "0" + text
    return text


def read_goods(data: Any, path: str, also: frozenset[str] = frozenset()) -> Goods:
    """The item's duty facts, or InvalidInput with every problem under `path`."""
    if not isinstance(data, dict):
        raise InvalidInput(
            finding_at(path, "input.not_an_object", N_("%(field)s: expected an object"))
        )
    found: list[Finding] = unknown_fields(data, GOODS_FIELDS | also, f"{path}.")
    code: HsCode | None = None
    try:
        code = HsCode(
            national_code(data.get("hs_code")), str(data.get("hs_edition") or DEFAULT_EDITION)
        )
    except InvalidInput as e:
        found.extend(_at(e, f"{path}.hs_code"))
    rate_type = str(data.get("rate_type") or "").strip().upper()
    if not rate_type:
        found.append(finding_at(f"{path}.rate_type", "input.required", N_("%(field)s: required")))
    currency: Currency | None = None
    try:
        currency = Currency(str(data.get("currency", "")))
    except InvalidInput as e:
        found.extend(_at(e, f"{path}.currency"))
    try:
        incoterm = Incoterm(str(data.get("incoterm", "")).strip().upper())
    except ValueError:
        incoterm = Incoterm.CIF
        found.append(
            finding_at(
                f"{path}.incoterm",
                "clearance.bad_incoterm",
                N_("%(field)s: '%(value)s' is not an Incoterm 2020: one of %(terms)s"),
                value=str(data.get("incoterm", ""))[:12],
                terms=", ".join(t.value for t in Incoterm),
            )
        )
    amounts = {
        key: number(data.get(key), f"{path}.{key}", found, required=key == "price")
        for key in ("price", "freight", "insurance", "post_arrival")
    }
    net_mass = number(data.get("net_mass"), f"{path}.net_mass", found)
    quantity = number(data.get("quantity"), f"{path}.quantity", found, required=False)
    unit: Unit | None = None
    if data.get("quantity_unit") not in (None, ""):
        try:
            unit = Unit(str(data["quantity_unit"]).strip().lower())
        except ValueError:
            found.append(
                finding_at(
                    f"{path}.quantity_unit",
                    "clearance.bad_unit",
                    N_("%(field)s: '%(value)s' is not a unit: u (pieces) or l (litres)"),
                    value=str(data["quantity_unit"])[:12],
                )
            )
    if quantity is not None and unit is None and "quantity_unit" not in data:
        found.append(
            finding_at(
                f"{path}.quantity_unit",
                "input.required",
                N_("%(field)s: required with a quantity: u (pieces) or l (litres)"),
            )
        )
    if found or code is None or currency is None:
        raise InvalidInput(*found)

    def money(key: str) -> Money | None:
        amount = amounts[key]
        return None if amount is None else Money(amount, currency)

    return Goods(
        code=code,
        rate_type=rate_type,
        price=money("price"),  # type: ignore[arg-type]
        incoterm=incoterm,
        net_mass=net_mass,  # type: ignore[arg-type]
        freight=money("freight"),
        insurance=money("insurance"),
        post_arrival=money("post_arrival"),
        quantity=quantity,
        quantity_unit=unit,
    )
