"""Import declarations from JSON, and from CSV in the customs declarations dataset's format.

JSON (one declaration; the item fields as `goods_io.py` reads them):

    {"reference": "43210-21-000123", "date": "2021-02-01", "office": "30",
     "declarant": "ZZR1LT6", "importer": "QLRUBN9", "seller": "0VKY2BR", "courier": null,
     "process_type": "B", "import_type": "11", "import_use": "21", "payment_type": "11",
     "transport_mode": "10",
     "items": [{"hs_code": "4408909195", "rate_type": "FEU1", "price": "372254.4",
                "currency": "KRW", "incoterm": "CIF", "net_mass": "108",
                "origin": "BE", "departure": "BE", "origin_marking": "G",
                "proof": {"kind": "origin-declaration", "reference": "BE-INV-2021-0042"}}]}

CSV: the dataset's columns (English headers with `HS6 Code`, or the Korean file's headers
with the ten-digit `HS10단위부호`), one declaration of one item per row. `Item Price` is
the assessed value in won, so the item is CIF in KRW; `Tax Rate`, `Fraud` and `Critical
Fraud` are the dataset's own and are not read. Three optional columns after them give a
preference's proof: `Proof Type`, `Proof Reference`, `Proof Authority`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from opencustoms.clearance.declaration import UNKNOWN_COUNTRY, Declaration, Item, ProofOfOrigin
from opencustoms.clearance.goods_io import finding_at as _finding
from opencustoms.clearance.goods_io import read_goods, unknown_fields
from opencustoms.clearance.rate_types import ProofType
from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, Finding, InvalidInput

MAX_TEXT = 512
DECLARATION_FIELDS = frozenset({
    "reference", "date", "office", "declarant", "importer", "seller", "courier",
    "process_type", "import_type", "import_use", "payment_type", "transport_mode", "items",
})  # fmt: skip
ITEM_FIELDS = frozenset({"origin", "departure", "origin_marking", "description", "proof"})
PROOF_FIELDS = frozenset({"kind", "reference", "authority", "issued_on"})

ENGLISH = (
    "Declaration ID",
    "Date",
    "Office ID",
    "Process Type",
    "Import Type",
    "Import Use",
    "Payment Type",
    "Mode of Transport",
    "Declarant ID",
    "Importer ID",
    "Seller ID",
    "Courier ID",
    "HS6 Code",
    "Country of Departure",
    "Country of Origin",
    "Tax Rate",
    "Tax Type",
    "Country of Origin Indicator",
    "Net Mass",
    "Item Price",
    "Fraud",
    "Critical Fraud",
)
KOREAN = (
    "신고번호",
    "신고일자",
    "신고세관부호",
    "수입신고구분코드",
    "수입거래구분코드",
    "수입종류코드",
    "징수형태코드",
    "운송수단유형코드",
    "신고인부호",
    "수입자",
    "해외거래처부호",
    "특송업체부호",
    "HS10단위부호",
    "적출국가코드",
    "원산지국가코드",
    "관세율",
    "관세율구분코드",
    "원산지표시유무코드",
    "신고중량(KG)",
    "과세가격원화금액",
    "우범여부",
    "핵심적발",
)
PROOF_COLUMNS = ("Proof Type", "Proof Reference", "Proof Authority")
# the declaration's fields, in the order of both headers' first twelve columns
_FIELDS = (
    "reference",
    "date",
    "office",
    "process_type",
    "import_type",
    "import_use",
    "payment_type",
    "transport_mode",
    "declarant",
    "importer",
    "seller",
    "courier",
)


def _text(
    data: dict[str, Any], key: str, found: list[Finding], required: bool = True
) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            found.append(_finding(key, "input.required", N_("%(field)s: required")))
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        found.append(_finding(key, "input.not_text", N_("%(field)s: expected text")))
        return None
    return str(value).strip()[:MAX_TEXT]


def _country(value: Any, path: str, found: list[Finding]) -> str:
    if str(value or "").strip().upper() == UNKNOWN_COUNTRY:
        return UNKNOWN_COUNTRY
    try:
        return Country(str(value or "")).alpha2
    except InvalidInput:
        found.append(
            _finding(
                path,
                "input.bad_country",
                N_("%(field)s: '%(value)s' is not an ISO 3166 country code, e.g. CN"),
                value=str(value or "")[:12],
            )
        )
        return ""


def _optional_text(
    data: dict[str, Any], key: str, path: str, most: int, found: list[Finding]
) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > most:
        found.append(
            _finding(
                path,
                "input.bad_text",
                N_("%(field)s: text of at most %(most)s characters"),
                most=most,
            )
        )
        return None
    return value.strip() or None


def _proof(data: Any, path: str, found: list[Finding]) -> ProofOfOrigin | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        found.append(_finding(path, "input.not_an_object", N_("%(field)s: expected an object")))
        return None
    found.extend(unknown_fields(data, PROOF_FIELDS, f"{path}."))
    try:
        kind = ProofType(str(data.get("kind", "")))
    except ValueError:
        found.append(
            _finding(
                f"{path}.kind",
                "declaration.bad_proof_kind",
                N_(
                    "%(field)s: '%(value)s' is not a kind of proof: certificate or origin-declaration"
                ),
                value=str(data.get("kind", ""))[:24],
            )
        )
        return None
    raw_reference = data.get("reference")
    reference = raw_reference.strip() if isinstance(raw_reference, str) else ""
    if not reference or len(reference) > 64:
        found.append(
            _finding(
                f"{path}.reference",
                "declaration.bad_proof_reference",
                N_(
                    "%(field)s: the certificate number or declaration reference, at most 64 characters"
                ),
            )
        )
    issued = data.get("issued_on")
    issued_on: date | None = None
    if issued:
        try:
            issued_on = date.fromisoformat(str(issued))
        except ValueError:
            found.append(
                _finding(
                    f"{path}.issued_on", "input.bad_date", N_("%(field)s: a date as YYYY-MM-DD")
                )
            )
    authority = str(data.get("authority") or "").strip()[:64] or None
    return ProofOfOrigin(kind, reference, authority, issued_on)


def _item(data: Any, index: int, found: list[Finding]) -> Item | None:
    path = f"items[{index}]"
    if not isinstance(data, dict):
        found.append(_finding(path, "input.not_an_object", N_("%(field)s: expected an object")))
        return None
    goods = None
    try:
        goods = read_goods(data, path, ITEM_FIELDS)
    except InvalidInput as e:
        found.extend(e.findings)
    origin = _country(data.get("origin"), f"{path}.origin", found)
    departure = _country(data.get("departure") or data.get("origin"), f"{path}.departure", found)
    proof = _proof(data.get("proof"), f"{path}.proof", found)
    marking = _optional_text(data, "origin_marking", f"{path}.origin_marking", 4, found)
    description = _optional_text(data, "description", f"{path}.description", MAX_TEXT, found)
    if goods is None:
        return None
    return Item(index + 1, goods, origin, departure, marking, description, proof)


def read_declaration(data: Any) -> Declaration:
    """A declaration from its JSON form, or InvalidInput with every problem of its form.

    What the form cannot say (a rate type claimed for the wrong origin, a missing proof)
    is for `validate`."""
    if not isinstance(data, dict):
        raise InvalidInput(
            _finding("declaration", "input.not_an_object", N_("%(field)s: expected an object"))
        )
    found: list[Finding] = unknown_fields(data, DECLARATION_FIELDS, "")
    fields = {f: _text(data, f, found, required=f in _REQUIRED) for f in _FIELDS}
    day: date | None = None
    if fields["date"]:
        try:
            day = date.fromisoformat(fields["date"])
        except ValueError:
            found.append(_finding("date", "input.bad_date", N_("%(field)s: a date as YYYY-MM-DD")))
    raw_items = data.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or not raw_items:
        found.append(
            _finding(
                "items",
                "declaration.no_items",
                N_("%(field)s: a declaration has one goods item or more"),
            )
        )
    else:
        for i, raw in enumerate(raw_items[:1000]):
            item = _item(raw, i, found)
            if item is not None:
                items.append(item)
    if found or day is None:
        raise InvalidInput(*found)
    return Declaration(
        reference=fields["reference"] or "",
        date=day,
        office=fields["office"] or "",
        declarant=fields["declarant"] or "",
        importer=fields["importer"] or "",
        seller=fields["seller"],
        items=tuple(items),
        courier=fields["courier"],
        process_type=fields["process_type"],
        import_type=fields["import_type"],
        import_use=fields["import_use"],
        payment_type=fields["payment_type"],
        transport_mode=fields["transport_mode"],
    )


# the seller is unknown on some declarations (a tenth of the dataset's rows)
_REQUIRED = {"reference", "date", "office", "declarant", "importer"}


def declaration_json(d: Declaration) -> dict[str, Any]:
    """The JSON form `read_declaration` reads back: what is stored and shown."""

    def amount(money: Any) -> str | None:
        return None if money is None else format(money.amount, "f")

    return {
        "reference": d.reference,
        "date": d.date.isoformat(),
        "office": d.office,
        "declarant": d.declarant,
        "importer": d.importer,
        "seller": d.seller,
        "courier": d.courier,
        "process_type": d.process_type,
        "import_type": d.import_type,
        "import_use": d.import_use,
        "payment_type": d.payment_type,
        "transport_mode": d.transport_mode,
        "items": [
            {
                "hs_code": i.goods.code.digits,
                "hs_edition": i.goods.code.edition.value,
                "description": i.description,
                "rate_type": i.goods.rate_type,
                "price": amount(i.goods.price),
                "currency": i.goods.price.currency.code,
                "incoterm": i.goods.incoterm.value,
                "freight": amount(i.goods.freight),
                "insurance": amount(i.goods.insurance),
                "post_arrival": amount(i.goods.post_arrival),
                "net_mass": format(i.goods.net_mass, "f"),
                "quantity": None if i.goods.quantity is None else format(i.goods.quantity, "f"),
                "quantity_unit": i.goods.quantity_unit.value if i.goods.quantity_unit else None,
                "origin": i.origin,
                "departure": i.departure,
                "origin_marking": i.origin_marking,
                "proof": None
                if i.proof is None
                else {
                    "kind": i.proof.kind.value,
                    "reference": i.proof.reference,
                    "authority": i.proof.authority,
                    "issued_on": i.proof.issued_on.isoformat() if i.proof.issued_on else None,
                },
            }
            for i in d.items
        ],
    }


def read_dataset_csv(text: str, source: str) -> Iterator[tuple[int, Declaration | InvalidInput]]:
    """Each row as (line, declaration) or (line, its problems); a bad header raises at once."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    base = tuple(header[: len(ENGLISH)])
    extra = tuple(header[len(ENGLISH) :])
    if base not in (ENGLISH, KOREAN) or extra not in ((), PROOF_COLUMNS[:2], PROOF_COLUMNS):
        raise InvalidInput(
            Finding(
                "declaration.bad_csv_header",
                N_(
                    "%(source)s, line 1: the header must be the customs declarations dataset's (English or Korean), optionally followed by %(proof)s."
                ),
                {"source": source, "proof": ", ".join(PROOF_COLUMNS)},
            )
        )
    for values in reader:
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(header):  # the caller says where: the finding says what
            yield (
                line,
                InvalidInput(
                    Finding(
                        "csv.bad_row",
                        N_("expected %(expected)s columns, found %(found)s"),
                        {"expected": len(header), "found": len(values)},
                    )
                ),
            )
            continue
        row = [v.strip() for v in values]
        try:
            yield line, read_declaration(_row_json(row, extra))
        except InvalidInput as e:
            yield line, e


def _row_json(row: list[str], extra: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = dict(zip(_FIELDS, row[:12], strict=True))
    item: dict[str, Any] = {
        "hs_code": row[12],
        "hs_edition": "HS2017",
        "departure": row[13],
        "origin": row[14],
        "rate_type": row[16],
        "origin_marking": row[17],
        "net_mass": row[18],
        "price": row[19],
        "currency": "KRW",
        "incoterm": "CIF",
    }
    proof = dict(zip(("kind", "reference", "authority"), row[len(ENGLISH) :], strict=False))
    if extra and proof.get("kind"):
        item["proof"] = proof
    data["items"] = [item]
    return data


def problems_at_line(error: InvalidInput, source: str, line: int) -> list[Finding]:
    """A row's findings, each said at its line of the file."""
    return [
        Finding(
            f.code,
            N_("%(source)s, line %(line)s: %(problem)s"),
            {"source": source, "line": line, "problem": f},
            f.field,
            f.severity,
        )
        for f in error.findings
    ]
