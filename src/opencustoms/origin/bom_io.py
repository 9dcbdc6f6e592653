"""Reading bills of materials from JSON, CSV and XLSX: one format, three files.

JSON nests sub-assemblies (`"bom": {...}` on a material). CSV and XLSX carry
the same columns as an indented BOM: a `level` column, 0 for the product,
1 for its materials, 2 for the materials of the level-1 line above, and so on.
Every problem is reported at once, with its line (or row) and column; a file
with any problem gives no BOM at all.

Columns: level, line, part, hs, description, quantity, unit, value, weight_kg,
origin_country, originating, evidence, evidence_reference, evidence_issuer,
evidence_valid_from, evidence_valid_to, ex_works_price, fob_price, currency,
processes (separated by ";"), rule_set, set, labour_cost, overhead_cost, profit,
other_costs, net_cost, hs_edition (a row's codes' edition; a product's is its
materials' too; default: the agreement annex's).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from opencustoms.kernel.countries import Country
from opencustoms.kernel.errors import N_, DomainError, Finding, InvalidInput
from opencustoms.kernel.hs import HsCode, HsEdition
from opencustoms.kernel.money import Currency, Money
from opencustoms.origin.bom import (
    SET_RULES,
    Bom,
    Costs,
    Evidence,
    EvidenceKind,
    Material,
    Product,
)

COLUMNS = (
    "level",
    "line",
    "part",
    "hs",
    "description",
    "quantity",
    "unit",
    "value",
    "weight_kg",
    "origin_country",
    "originating",
    "evidence",
    "evidence_reference",
    "evidence_issuer",
    "evidence_valid_from",
    "evidence_valid_to",
    "ex_works_price",
    "fob_price",
    "currency",
    "processes",
    "rule_set",
    "set",
    "labour_cost",
    "overhead_cost",
    "profit",
    "other_costs",
    "net_cost",
    "hs_edition",
)
COST_COLUMNS = ("labour_cost", "overhead_cost", "profit", "other_costs", "net_cost")
MAX_LINES = 200_000


@dataclass
class _Problems:
    source: str
    found: list[Finding] = field(default_factory=list)

    def add(self, where: str, column: str, message: str, **params: Any) -> None:
        self.found.append(
            Finding(
                "bom.invalid",
                N_("%(source)s, %(where)s, %(column)s: %(detail)s"),
                {
                    "source": self.source,
                    "where": where,
                    "column": column,
                    "detail": Finding("bom.detail", message, params),
                },
                field=column,
            )
        )

    def wrap(self, where: str, column: str, error: DomainError) -> None:
        f = error.finding
        self.found.append(
            Finding(
                f.code,
                N_("%(source)s, %(where)s, %(column)s: %(detail)s"),
                {"source": self.source, "where": where, "column": column, "detail": f},
                field=column,
            )
        )


class _Reader:
    """Turns one record (a JSON object or a CSV row as a dict) into values, noting problems."""

    def __init__(self, problems: _Problems, edition: HsEdition) -> None:
        self.p = problems
        self.edition = edition

    def text(self, rec: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
        value = rec.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.p.add(where, key, N_("a value is required here"))
            return None
        return str(value).strip()

    def decimal(
        self, rec: dict[str, Any], key: str, where: str, required: bool = False
    ) -> Decimal | None:
        value = self.text(rec, key, where, required)
        if value is None:
            return None
        if isinstance(rec.get(key), float):
            value = repr(rec[key])  # JSON numbers arrive as floats: keep their written digits
        try:
            number = Decimal(value)
        except InvalidOperation:
            self.p.add(where, key, N_("'%(value)s' is not a number"), value=value[:32])
            return None
        if not number.is_finite() or number < 0:
            self.p.add(where, key, N_("'%(value)s' must be zero or more"), value=value[:32])
            return None
        return number

    def line(self, rec: dict[str, Any], where: str, default: int, taken: set[int]) -> int:
        """The material's line number as the file gives it (default: its position), once per BOM."""
        raw = rec.get("line")
        number = default
        if raw is not None and not (isinstance(raw, str) and not raw.strip()):
            text = str(raw).strip()
            if isinstance(raw, bool) or not (text.isascii() and text.isdigit()) or int(text) < 1:
                self.p.add(
                    where,
                    "line",
                    N_("'%(value)s' is not a line number (1, 2, ...)"),
                    value=text[:16],
                )
            else:
                number = int(text)
        if number in taken:
            self.p.add(
                where,
                "line",
                N_(
                    "line %(line)s is numbered twice in this BOM; give each material its own number"
                ),
                line=number,
            )
        taken.add(number)
        return number

    def edition_of(self, rec: dict[str, Any], where: str, default: HsEdition) -> HsEdition:
        """The record's own `hs_edition`, or the one it inherits (its BOM's, else the default)."""
        value = self.text(rec, "hs_edition", where)
        if value is None:
            return default
        try:
            return HsEdition.parse(value)
        except DomainError:
            self.p.add(
                where,
                "hs_edition",
                N_("'%(value)s' is not an HS edition; write one of %(allowed)s"),
                value=value[:16],
                allowed=", ".join(e.value for e in HsEdition),
            )
            return default

    def hs(
        self, rec: dict[str, Any], where: str, edition: HsEdition | None = None
    ) -> HsCode | None:
        """The record's code, in `edition` (resolved by `edition_of`; default: the reader's)."""
        edition = edition or self.edition
        if isinstance(rec.get("hs"), float | int) and not isinstance(rec.get("hs"), bool):
            rec = {**rec, "hs": numeric_hs(rec["hs"])}
        value = self.text(rec, "hs", where, required=True)
        if value is None:
            return None
        try:
            return HsCode(value, edition)
        except DomainError as e:
            self.p.wrap(where, "hs", e)
            return None

    def money(
        self,
        rec: dict[str, Any],
        key: str,
        where: str,
        currency: Currency | None,
        required: bool = False,
    ) -> Money | None:
        amount = self.decimal(rec, key, where, required)
        if amount is None or currency is None:
            return None
        try:
            return Money(amount, currency)
        except DomainError as e:
            self.p.wrap(where, key, e)
            return None

    def day(self, rec: dict[str, Any], key: str, where: str) -> date | None:
        value = self.text(rec, key, where)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.p.add(
                where, key, N_("'%(value)s' is not a date: write YYYY-MM-DD"), value=value[:32]
            )
            return None

    def flag(self, rec: dict[str, Any], key: str, where: str) -> bool | None:
        value = rec.get(key)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("", "null", "unknown"):
            return None
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        self.p.add(where, key, N_("'%(value)s' is not true, false or empty"), value=text[:16])
        return None

    def evidence(self, rec: dict[str, Any], where: str) -> Evidence | None:
        kind = self.text(rec, "evidence", where)
        if kind is None:
            return None
        try:
            chosen = EvidenceKind(kind.lower())
        except ValueError:
            allowed = ", ".join(e.value for e in EvidenceKind)
            self.p.add(
                where,
                "evidence",
                N_("'%(value)s' is not a kind of evidence; use %(allowed)s"),
                value=kind[:32],
                allowed=allowed,
            )
            return None
        start, end = (
            self.day(rec, "evidence_valid_from", where),
            self.day(rec, "evidence_valid_to", where),
        )
        if start and end and end < start:
            self.p.add(where, "evidence_valid_to", N_("the validity ends before it begins"))
        return Evidence(
            chosen,
            self.text(rec, "evidence_reference", where),
            self.text(rec, "evidence_issuer", where),
            start,
            end,
        )

    def product(
        self, rec: dict[str, Any], where: str, edition: HsEdition | None = None
    ) -> tuple[Product | None, Currency | None]:
        currency = None
        code = self.text(rec, "currency", where, required=True)
        if code is not None:
            try:
                currency = Currency(code)
            except DomainError as e:
                self.p.wrap(where, "currency", e)
        hs = self.hs(rec, where, edition)
        description = self.text(rec, "description", where, required=True)
        exw = self.money(rec, "ex_works_price", where, currency)
        fob = self.money(rec, "fob_price", where, currency)
        if rec.get("ex_works_price") in (None, "") and rec.get("fob_price") in (None, ""):
            self.p.add(where, "ex_works_price", N_("give the ex-works price or the FOB price"))
        processes = rec.get("processes") or ()
        if isinstance(processes, str):
            processes = processes.split(";")
        if not isinstance(processes, list | tuple) or not all(
            isinstance(p, str) for p in processes
        ):
            self.p.add(
                where,
                "processes",
                N_('expected the processes as a list of words, such as ["assembly"]'),
            )
            processes = ()
        procs = tuple(p.strip() for p in processes if p.strip())
        weight = self.decimal(rec, "weight_kg", where)
        labour, overhead, profit, other, net = (
            self.money(rec, key, where, currency) for key in COST_COLUMNS
        )
        set_rule = self.text(rec, "set", where)
        if set_rule is not None and set_rule not in SET_RULES:
            self.p.add(
                where,
                "set",
                N_("'%(value)s' is not a subrule of GIR 3; write %(allowed)s, or leave it empty"),
                value=set_rule[:16],
                allowed=", ".join(SET_RULES),
            )
            set_rule = None
        if hs is None or description is None:
            return None, currency
        return Product(
            hs,
            description,
            exw,
            fob,
            procs,
            self.text(rec, "rule_set", where),
            self.text(rec, "part", where),
            weight,
            Costs(labour, overhead, profit, other, net),
            set_rule,
        ), currency

    def material(
        self,
        rec: dict[str, Any],
        where: str,
        currency: Currency | None,
        line: int,
        sub: Bom | None,
        edition: HsEdition | None = None,
    ) -> Material | None:
        hs = self.hs(rec, where, edition)
        description = self.text(rec, "description", where, required=True)
        value = self.money(rec, "value", where, currency, required=True)
        own = self.text(rec, "currency", where)
        if own is not None and currency is not None and own.upper() != currency.code:
            self.p.add(
                where,
                "currency",
                N_(
                    "amounts are in the product's currency, %(currency)s: "
                    "convert this line's value, or leave its currency empty"
                ),
                currency=currency.code,
            )
        country = None
        if (code := self.text(rec, "origin_country", where)) is not None:
            try:
                country = Country(code)
            except DomainError as e:
                self.p.wrap(where, "origin_country", e)
        originating = self.flag(rec, "originating", where)
        evidence = self.evidence(rec, where)
        if originating is True and evidence is None:
            self.p.add(
                where,
                "evidence",
                N_("an originating material needs its evidence (or leave 'originating' empty)"),
            )
        if hs is None or description is None or value is None:
            return None
        return Material(
            line,
            hs,
            description,
            value,
            self.decimal(rec, "quantity", where),
            self.text(rec, "unit", where),
            self.decimal(rec, "weight_kg", where),
            country,
            originating,
            evidence,
            sub,
        )


def _finish(problems: _Problems, bom: Bom | None) -> Bom:
    if problems.found or bom is None:
        if not problems.found:
            problems.found.append(
                Finding(
                    "bom.empty",
                    N_("%(source)s holds no bill of materials."),
                    {"source": problems.source},
                )
            )
        raise InvalidInput(*problems.found)
    _check_cycles(bom, problems)
    if problems.found:
        raise InvalidInput(*problems.found)
    return bom


def _check_cycles(bom: Bom, problems: _Problems, ancestors: tuple[str, ...] = ()) -> None:
    """A sub-assembly cannot contain itself: the same part under its own BOM is an error."""
    part = bom.product.part
    if part is not None and part in ancestors:
        problems.add(
            "part " + part,
            "bom",
            N_("the part contains itself: %(chain)s"),
            chain=" > ".join((*ancestors, part)),
        )
        return
    chain = (*ancestors, part) if part else ancestors
    for material in bom.materials:
        if material.bom is not None:
            _check_cycles(material.bom, problems, chain)


def read_json(text: str, source: str, edition: HsEdition) -> Bom:
    problems = _Problems(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        problems.add(f"line {e.lineno}", "json", N_("not valid JSON (%(problem)s)"), problem=e.msg)
        raise InvalidInput(*problems.found) from None
    reader = _Reader(problems, edition)

    def bom(node: Any, path: str, default: HsEdition) -> Bom | None:
        if not isinstance(node, dict) or not isinstance(node.get("product"), dict):
            problems.add(path, "product", N_("expected an object with 'product' and 'materials'"))
            return None
        # the product's edition is its materials' unless they name their own
        default = reader.edition_of(node["product"], f"{path} product", default)
        product, currency = reader.product(node["product"], f"{path} product", default)
        materials = node.get("materials")
        if not isinstance(materials, list) or not materials:
            problems.add(path, "materials", N_("expected a list of at least one material"))
            return None
        if len(materials) > MAX_LINES:
            problems.add(path, "materials", N_("more than %(max)s lines"), max=MAX_LINES)
            return None
        out = []
        taken: set[int] = set()
        for index, rec in enumerate(materials, start=1):
            where = f"{path} material {index}"
            if not isinstance(rec, dict):
                problems.add(where, "material", N_("expected an object"))
                continue
            if isinstance(rec.get("evidence"), dict):  # JSON nests evidence; rows flatten it
                ev = rec["evidence"]
                rec = {
                    **rec,
                    "evidence": ev.get("kind"),
                    **{
                        f"evidence_{k}": ev.get(k)
                        for k in ("reference", "issuer", "valid_from", "valid_to")
                    },
                }
            own = reader.edition_of(rec, where, default)
            sub = bom(rec["bom"], f"{where} bom", own) if rec.get("bom") is not None else None
            number = reader.line(rec, where, index, taken)
            m = reader.material(rec, where, currency, number, sub, own)
            if m is not None:
                out.append(m)
        return Bom(product, tuple(out)) if product is not None else None

    return _finish(problems, bom(data, "bom", edition))


def read_rows(
    rows: list[tuple[int, dict[str, Any]]], source: str, edition: HsEdition, unit: str
) -> Bom:
    """An indented BOM from rows (CSV lines or XLSX rows); `unit` names them in messages."""
    problems = _Problems(source)
    reader = _Reader(problems, edition)
    if not rows:
        return _finish(problems, None)
    if len(rows) > MAX_LINES:
        problems.add(f"{unit} {MAX_LINES}", "level", N_("more than %(max)s lines"), max=MAX_LINES)
        raise InvalidInput(*problems.found)
    # stack of (level, product, currency, materials, row, place, HS edition) for the BOMs
    # being built; a row's edition is its own hs_edition, else that of the BOM it is in
    stack: list[
        tuple[int, Product | None, Currency | None, list[Material], dict[str, Any], str, HsEdition]
    ] = []
    root: Bom | None = None
    taken: dict[int, set[int]] = {}  # line numbers used in the BOM open at each level
    seen: dict[int, bool] = {}  # whether the BOM open at each level had material rows at all

    def close(until: int) -> None:
        nonlocal root
        while stack and stack[-1][0] >= until:
            level, product, _currency, materials, rec, where, own = stack.pop()
            built = Bom(product, tuple(materials)) if product is not None and materials else None
            if product is not None and not materials and not seen.get(level):
                problems.add(
                    where, "level", N_("a product needs at least one material at the next level")
                )
            if level == 0:
                root = built
            elif stack:
                parent = stack[-1]
                number = reader.line(rec, where, len(parent[3]) + 1, taken[parent[0]])
                m = reader.material(rec, where, parent[2], number, built, own)
                if m is not None:
                    parent[3].append(m)

    for index, (number, rec) in enumerate(rows):
        where = f"{unit} {number}"
        level_text = str(rec.get("level") or "").strip()
        if not level_text.isdigit():
            problems.add(
                where,
                "level",
                N_("'%(value)s' is not a level: 0 for the product, 1 for its materials"),
                value=level_text[:8],
            )
            continue
        level = int(level_text)
        if level == 0 and (stack or root is not None):
            problems.add(where, "level", N_("only one product (level 0) per file"))
            continue
        if level > 0 and not stack:
            problems.add(where, "level", N_("a material comes before any product (level 0)"))
            continue
        if stack and level > stack[-1][0] + 1:
            problems.add(
                where,
                "level",
                N_("level %(level)s cannot follow level %(previous)s"),
                level=level,
                previous=stack[-1][0],
            )
            continue
        close(level)
        own = reader.edition_of(rec, where, stack[-1][6] if stack else edition)
        if level == 0:
            product, currency = reader.product(rec, where, own)
            stack.append((0, product, currency, [], rec, where, own))
            taken[0] = set()
            seen[0] = False
            continue
        parent = stack[-1]
        seen[parent[0]] = True  # its rows may all be faulty; that is said for each of them
        # a material row opens a sub-assembly if rows of the next level follow; decide on close
        is_parent = _next_level_is_deeper(rows, index, level)
        if is_parent:
            # a sub-assembly: price defaults to its value in the parent, currency to the parent's
            sub = {
                **rec,
                "currency": rec.get("currency") or (parent[2].code if parent[2] else None),
                "ex_works_price": rec.get("ex_works_price") or rec.get("value"),
            }
            product, _currency = reader.product(sub, where, own)
            stack.append((level, product, parent[2], [], rec, where, own))
            taken[level] = set()
            seen[level] = False
        else:
            number = reader.line(rec, where, len(parent[3]) + 1, taken[parent[0]])
            m = reader.material(rec, where, parent[2], number, None, own)
            if m is not None:
                parent[3].append(m)
    close(0)
    return _finish(problems, root)


def _next_level_is_deeper(rows: list[tuple[int, dict[str, Any]]], index: int, level: int) -> bool:
    """Whether the row after this one is deeper: then this row opens a sub-assembly."""
    if index + 1 >= len(rows):
        return False
    text = str(rows[index + 1][1].get("level") or "").strip()
    return text.isdigit() and int(text) > level


def read_csv(text: str, source: str, edition: HsEdition) -> Bom:
    reader = csv.DictReader(io.StringIO(text))
    missing = [
        c for c in ("level", "hs", "description", "value") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise InvalidInput(
            Finding(
                "bom.bad_header",
                N_("%(source)s, line 1: the header lacks %(columns)s; the columns are %(all)s."),
                {"source": source, "columns": ", ".join(missing), "all": ", ".join(COLUMNS)},
            )
        )
    unknown = [c for c in reader.fieldnames or [] if c not in COLUMNS]
    if unknown:
        raise InvalidInput(
            Finding(
                "bom.bad_header",
                N_("%(source)s, line 1: unknown column(s) %(columns)s; the columns are %(all)s."),
                {"source": source, "columns": ", ".join(unknown), "all": ", ".join(COLUMNS)},
            )
        )
    rows = [
        (reader.line_num, dict(row))
        for row in reader
        if any((v or "").strip() for v in row.values())
    ]
    return read_rows(rows, source, edition, "line")


def read_xlsx(data: bytes, source: str, edition: HsEdition) -> Bom:
    from openpyxl import load_workbook  # imported here: only XLSX needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise InvalidInput(
            Finding(
                "bom.bad_xlsx",
                N_("%(source)s is not a readable XLSX workbook."),
                {"source": source},
            )
        ) from None
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows_iter, ())]
    text_rows = []
    for number, values in enumerate(rows_iter, start=2):
        if values and any(v not in (None, "") for v in values):
            rec = {h: _cell(h, v) for h, v in zip(header, values, strict=False) if h}
            text_rows.append((number, rec))
    book.close()
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown or "level" not in header:
        raise InvalidInput(
            Finding(
                "bom.bad_header",
                N_("%(source)s, row 1: the columns are %(all)s."),
                {"source": source, "all": ", ".join(COLUMNS)},
            )
        )
    return read_rows(text_rows, source, edition, "row")


def _cell(column: str, value: object) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()  # a date cell arrives as midnight of that day
    if isinstance(value, date):
        return value.isoformat()
    if column == "hs" and isinstance(value, float | int):
        return numeric_hs(value)
    return str(value)


def numeric_hs(value: float) -> str:
    """An HS code typed as a number, as it was meant: 8466.2 -> 8466.20, 304.41 -> 0304.41.

    A number loses the zeros at either end; HS digits come in pairs (chapter,
    heading, then pairs of the subheading), so each end is completed to its pair.
    """
    head, _dot, tail = repr(value).partition(".")
    tail = "" if tail == "0" else tail
    head = head.zfill(len(head) + len(head) % 2)
    return head + ("." + tail + "0" * (len(tail) % 2) if tail else "")


def read_bom(data: bytes, name: str, edition: HsEdition) -> Bom:
    """A BOM from a file's bytes, by its extension: .json, .csv or .xlsx."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        return read_xlsx(data, name, edition)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            Finding("bom.not_utf8", N_("%(source)s is not UTF-8 text."), {"source": name})
        ) from None
    if lower.endswith(".json"):
        return read_json(text, name, edition)
    if lower.endswith(".csv"):
        return read_csv(text, name, edition)
    raise InvalidInput(
        Finding(
            "bom.unknown_format",
            N_("%(source)s: give a .json, .csv or .xlsx file."),
            {"source": name},
        )
    )


def to_json(bom: Bom) -> dict[str, Any]:
    """The BOM in the JSON interchange format (what `read_json` reads back)."""
    p = bom.product
    currency = p.ex_works_price or p.fob_price
    product: dict[str, Any] = {
        "hs": p.hs.digits,
        "hs_edition": p.hs.edition.value,
        "description": p.description,
        "currency": currency.currency.code if currency else None,
        "ex_works_price": str(p.ex_works_price.amount) if p.ex_works_price else None,
        "fob_price": str(p.fob_price.amount) if p.fob_price else None,
        "processes": list(p.processes),
    }
    if p.rule_set:
        product["rule_set"] = p.rule_set
    if p.part:
        product["part"] = p.part
    if p.weight_kg is not None:
        product["weight_kg"] = str(p.weight_kg)
    if p.set_rule:
        product["set"] = p.set_rule
    costs = (p.costs.labour, p.costs.overhead, p.costs.profit, p.costs.other, p.costs.net_cost)
    for key, cost in zip(COST_COLUMNS, costs, strict=True):
        if cost is not None:
            product[key] = str(cost.amount)
    materials = []
    for m in bom.materials:
        item: dict[str, Any] = {
            "line": m.line,
            "hs": m.hs.digits,
            "description": m.description,
            "value": str(m.value.amount),
        }
        if m.hs.edition != p.hs.edition:
            item["hs_edition"] = m.hs.edition.value
        for key, value in (("quantity", m.quantity), ("weight_kg", m.weight_kg)):
            if value is not None:
                item[key] = str(value)
        if m.unit:
            item["unit"] = m.unit
        if m.origin_country:
            item["origin_country"] = m.origin_country.alpha2
        if m.originating is not None:
            item["originating"] = m.originating
        if m.evidence is not None:
            e = m.evidence
            item["evidence"] = {
                k: v
                for k, v in {
                    "kind": e.kind.value,
                    "reference": e.reference,
                    "issuer": e.issuer,
                    "valid_from": e.valid_from.isoformat() if e.valid_from else None,
                    "valid_to": e.valid_to.isoformat() if e.valid_to else None,
                }.items()
                if v is not None
            }
        if m.bom is not None:
            item["bom"] = to_json(m.bom)
        materials.append(item)
    return {"product": product, "materials": materials}
