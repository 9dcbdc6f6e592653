"""Tariff schedules: the duty rate of a national code under a rate type, on a date.

A duty is written as schedules print it, and read back the same way:

- `8%` ad valorem, on the customs value;
- `1250 KRW/kg`, `30 KRW/u`, `900 KRW/l` specific, per kilogram of net mass, per unit or
  per litre of the item's quantity;
- `8% + 300 KRW/kg` compound: the parts added;
- `max(8%, 300 KRW/kg)` the higher of the two ("or ... whichever is higher").

A tariff line gives one duty to one national code (6 to 10 digits of one HS edition)
under one rate type (Korea: `A` basic, `C` WTO concession, `FCN1` Korea–China FTA,
...) from a date until a date. A line at a shorter code applies to every code under it;
asked for an HS-6 code, a schedule of ten-digit lines answers only when every line
under it carries the same duty, and otherwise says which codes to choose from.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from opencustoms.kernel.csvtext import at_line, read_rows
from opencustoms.kernel.errors import N_, Finding, InvalidInput, NotFound
from opencustoms.kernel.hs import HsCode, HsEdition
from opencustoms.kernel.money import Money

SCHEDULE_COLUMNS = ("code", "edition", "rate_type", "valid_from", "valid_to", "duty", "source")
_RATE_TYPE = re.compile(r"[A-Z][A-Z0-9]{0,5}")


class Unit(StrEnum):
    KG = "kg"  # of net mass
    UNIT = "u"  # pieces, pairs, sets: the item's quantity
    LITRE = "l"


@dataclass(frozen=True, slots=True)
class AdValorem:
    percent: Decimal

    def __str__(self) -> str:
        return f"{plain_number(self.percent)}%"


@dataclass(frozen=True, slots=True)
class Specific:
    amount: Money  # per unit
    per: Unit

    def __str__(self) -> str:
        return f"{plain_number(self.amount.amount)} {self.amount.currency.code}/{self.per.value}"


@dataclass(frozen=True, slots=True)
class Compound:
    parts: tuple[AdValorem | Specific, ...]  # added together

    def __str__(self) -> str:
        return " + ".join(str(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class HigherOf:
    options: tuple[AdValorem | Specific | Compound, ...]

    def __str__(self) -> str:
        return f"max({', '.join(str(o) for o in self.options)})"


Duty = AdValorem | Specific | Compound | HigherOf


def plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _bad_duty(text: str) -> InvalidInput:
    return InvalidInput.of(
        "tariff.bad_duty",
        N_(
            "'%(value)s' is not a duty: write 8%%, 1250 KRW/kg, 8%% + 300 KRW/kg or max(8%%, 300 KRW/kg)."
        ),
        field="duty",
        value=text[:60],
    )


_RATE_NUMBER = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,9})(?:\.[0-9]{1,6})?")


def _simple(text: str, whole: str) -> AdValorem | Specific:
    part = text.strip()
    try:
        if part.endswith("%"):
            number = part[:-1].strip()
            if not _RATE_NUMBER.fullmatch(number) or Decimal(number) > 1000:
                raise _bad_duty(whole)
            return AdValorem(Decimal(number))
        amount, _, unit = part.partition("/")
        number, _, currency = amount.strip().partition(" ")
        if not _RATE_NUMBER.fullmatch(number):
            raise _bad_duty(whole)
        return Specific(Money(number.replace(",", ""), currency.strip()), Unit(unit.strip()))
    except (ValueError, InvalidInput):
        raise _bad_duty(whole) from None


def parse_duty(text: str) -> Duty:
    """A duty from its printed form (see the module's docstring)."""
    whole = text.strip()
    if not whole or len(whole) > 200:
        raise _bad_duty(whole)
    if whole.lower().startswith("max(") and whole.endswith(")"):
        options = tuple(_compound(o, whole) for o in whole[4:-1].split(","))
        if len(options) < 2:
            raise _bad_duty(whole)
        return HigherOf(options)
    return _compound(whole, whole)


def _compound(text: str, whole: str) -> AdValorem | Specific | Compound:
    parts = tuple(_simple(p, whole) for p in text.split("+"))
    return parts[0] if len(parts) == 1 else Compound(parts)


@dataclass(frozen=True, slots=True)
class TariffLine:
    code: HsCode  # 6 to 10 digits
    rate_type: str
    valid_from: date
    valid_to: date | None  # the last day it applies; None: until replaced
    duty: Duty
    source: str  # where the rate comes from: the schedule's publication, or how it was derived

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Schedule:
    """Tariff lines by code and rate type; `line()` finds the one in force on a date."""

    def __init__(self, lines: Iterable[TariffLine], name: str, version: str) -> None:
        self.name = name
        self.version = version  # recorded with every assessment, so it can be replayed
        by_key: dict[tuple[str, HsEdition, str], list[TariffLine]] = defaultdict(list)
        for line in lines:
            by_key[(line.code.digits, line.code.edition, line.rate_type)].append(line)
        self._lines = {k: sorted(v, key=lambda x: x.valid_from) for k, v in by_key.items()}
        self._starts = {k: [x.valid_from for x in v] for k, v in self._lines.items()}
        self._codes = sorted({(k[1], k[0]) for k in self._lines})

    def __len__(self) -> int:
        return sum(len(v) for v in self._lines.values())

    def line(self, code: HsCode, rate_type: str, on: date) -> TariffLine:
        """The line in force for the code (or a shorter code above it), or NotFound saying why.

        A code with longer codes under it in the schedule (an HS-6 code over national
        lines) answers only if every one of them has the same duty under the rate type."""
        under = self._under(code)
        if not under:
            found = self._resolve(code.digits, code.edition, rate_type, on)
            if found is not None:
                return found
        else:
            resolved = [self._resolve(d, code.edition, rate_type, on) for d in under]
            lines = [x for x in resolved if x is not None]
            if lines and len(lines) == len(resolved) and len({str(x.duty) for x in lines}) == 1:
                return lines[0]
            if lines:
                raise NotFound.of(
                    "tariff.ambiguous_code",
                    N_(
                        "%(code)s has national lines with different %(rate_type)s rates on %(on)s (%(codes)s): declare the national code."
                    ),
                    field="hs_code",
                    code=code.dotted(),
                    rate_type=rate_type,
                    on=on.isoformat(),
                    codes=", ".join(under[:8]) + (", ..." if len(under) > 8 else ""),
                )
        raise NotFound.of(
            "tariff.no_rate",
            N_(
                "The %(schedule)s schedule has no %(rate_type)s rate for %(code)s (%(edition)s) on %(on)s."
            ),
            field="rate_type",
            schedule=self.name,
            rate_type=rate_type,
            code=code.dotted(),
            edition=code.edition.value,
            on=on.isoformat(),
        )

    def rates(self, code: HsCode, on: date) -> list[TariffLine]:
        """Every rate type's line for the code on the date (for `tariff show`)."""
        types = sorted({k[2] for k in self._lines if k[1] == code.edition})
        found: list[TariffLine] = []
        for rate_type in types:
            try:
                found.append(self.line(code, rate_type, on))
            except NotFound:
                continue
        return found

    def _at(self, digits: str, edition: HsEdition, rate_type: str, on: date) -> TariffLine | None:
        key = (digits, edition, rate_type)
        starts = self._starts.get(key)
        if not starts:
            return None
        i = bisect.bisect_right(starts, on)
        if not i:
            return None
        line = self._lines[key][i - 1]
        return line if line.applies_on(on) else None

    def _resolve(
        self, digits: str, edition: HsEdition, rate_type: str, on: date
    ) -> TariffLine | None:
        """The line of the code itself, else of the nearest shorter code above it."""
        for length in (10, 8, 6, 4):
            if length <= len(digits):
                found = self._at(digits[:length], edition, rate_type, on)
                if found is not None:
                    return found
        return None

    def _under(self, code: HsCode) -> list[str]:
        """The schedule's codes longer than `code` and under it, of any rate type."""
        start = bisect.bisect_right(self._codes, (code.edition, code.digits))
        found: list[str] = []
        for edition, digits in self._codes[start:]:
            if edition != code.edition or not digits.startswith(code.digits):
                break
            found.append(digits)
        return found


def _date(value: str, source: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _cell(source, line, column, value, N_("a date as YYYY-MM-DD")) from None


def _cell(source: str, line: int, column: str, value: str, expected: str) -> InvalidInput:
    return InvalidInput(
        Finding(
            "tariff.bad_cell",
            N_("%(source)s, line %(line)s, column %(column)s: '%(value)s' is not %(expected)s."),
            {
                "source": source,
                "line": line,
                "column": column,
                "value": value[:60],
                "expected": Finding("tariff.expected", expected),  # translated with the rest
            },
        )
    )


def parse_schedule(text: str, source: str, name: str, version: str) -> Schedule:
    """A schedule from CSV (`SCHEDULE_COLUMNS`); every bad cell or overlap names its line.

    `code` is 6 to 10 digits (a leading zero may be missing, as spreadsheets drop it:
    `901211000` is 0901.21.1000); `valid_to` is the last day (empty: until replaced).
    """
    lines: list[TariffLine] = []
    seen: dict[tuple[str, HsEdition, str], list[tuple[int, TariffLine]]] = defaultdict(list)
    for number, row in read_rows(text, source, SCHEDULE_COLUMNS):
        digits = row["code"]
        if digits.isascii() and digits.isdigit() and len(digits) in (5, 7, 9) and digits[0] != "0":
            digits = "0" + digits  # as spreadsheets drop it: Korea's codes have ten digits
        if not row["edition"]:
            raise _cell(source, number, "edition", "", N_("an HS edition, e.g. HS2017"))
        try:
            code = HsCode(digits, row["edition"])
        except InvalidInput as e:
            raise at_line(e, source, number, "code") from None
        if len(code.digits) < 6:
            raise _cell(source, number, "code", row["code"], N_("a code of 6 to 10 digits"))
        rate_type = row["rate_type"].upper()
        if not _RATE_TYPE.fullmatch(rate_type):
            raise _cell(source, number, "rate_type", row["rate_type"], N_("a rate type, e.g. A"))
        valid_from = _date(row["valid_from"], source, number, "valid_from")
        valid_to = _date(row["valid_to"], source, number, "valid_to") if row["valid_to"] else None
        if valid_to is not None and valid_to < valid_from:
            raise _cell(source, number, "valid_to", row["valid_to"], N_("on or after valid_from"))
        try:
            duty = parse_duty(row["duty"])
        except InvalidInput as e:
            raise at_line(e, source, number, "duty") from None
        line = TariffLine(code, rate_type, valid_from, valid_to, duty, row["source"])
        key = (code.digits, code.edition, rate_type)
        for other_number, other in seen[key]:
            if _overlap(line, other):
                raise InvalidInput(
                    Finding(
                        "tariff.overlap",
                        N_(
                            "%(source)s, line %(line)s: %(code)s %(rate_type)s overlaps line %(other)s; a code has one rate per type on any day."
                        ),
                        {
                            "source": source,
                            "line": number,
                            "code": code.digits,
                            "rate_type": rate_type,
                            "other": other_number,
                        },
                    )
                )
        seen[key].append((number, line))
        lines.append(line)
    return Schedule(lines, name, version)


def _overlap(a: TariffLine, b: TariffLine) -> bool:
    a_end = a.valid_to or date.max
    b_end = b.valid_to or date.max
    return a.valid_from <= b_end and b.valid_from <= a_end
