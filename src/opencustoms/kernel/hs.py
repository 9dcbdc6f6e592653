"""Harmonized System codes as value objects.

The HS (International Convention on the Harmonized Commodity Description and
Coding System, WCO, 1983) numbers goods in chapters (2 digits), headings
(4 digits) and subheadings (6 digits). National tariffs add 2 to 4 digits
(Korea's HSK: 10 digits) under the same six-digit root.

The nomenclature is amended every five years or so; the same digits can mean
different goods in HS 2017 and HS 2022 (e.g. heading 8549, e-waste, is new in
2022). So every code carries its edition, and a comparison across editions
is refused unless a correspondence table translates one side (see
`correspondence.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import total_ordering

from opencustoms.kernel.errors import N_, InvalidInput

_SEPARATORS = re.compile(r"[\s.\-]")
_MAX_INPUT = 64


class HsEdition(StrEnum):
    HS2007 = "HS2007"
    HS2012 = "HS2012"
    HS2017 = "HS2017"
    HS2022 = "HS2022"

    @classmethod
    def parse(cls, value: str) -> HsEdition:
        normalised = value.strip().upper().replace(" ", "")
        if normalised.isdigit():
            normalised = f"HS{normalised}"
        try:
            return cls(normalised)
        except ValueError:
            raise InvalidInput.of(
                "hs.unknown_edition",
                N_("'%(value)s' is not an HS edition: use one of %(editions)s."),
                field="edition",
                value=value[:_MAX_INPUT],
                editions=", ".join(e.value for e in cls),
            ) from None


CURRENT_EDITION = HsEdition.HS2022

# When each edition entered into force (WCO Council Recommendations amending the HS).
IN_FORCE_FROM = {
    HsEdition.HS2007: date(2007, 1, 1),
    HsEdition.HS2012: date(2012, 1, 1),
    HsEdition.HS2017: date(2017, 1, 1),
    HsEdition.HS2022: date(2022, 1, 1),
}


class HsLevel(StrEnum):
    CHAPTER = "chapter"
    HEADING = "heading"
    SUBHEADING = "subheading"
    NATIONAL = "national"


class EditionMismatch(InvalidInput):
    """Two codes of different HS editions were compared with no correspondence."""


def normalise_digits(value: str) -> str:
    """Strip the separators people write codes with (dots, spaces, dashes)."""
    return _SEPARATORS.sub("", value.strip())


@total_ordering
@dataclass(frozen=True, slots=True)
class HsCode:
    """A chapter, heading, subheading or national tariff line of one HS edition.

    `HsCode("8471.30")`, `HsCode("847130")` and `HsCode("8471 30")` are equal.
    National codes of 8 to 10 digits keep their HS-6 root in `.hs6`.
    """

    digits: str
    edition: HsEdition = CURRENT_EDITION

    def __init__(self, code: str | HsCode, edition: HsEdition | str | None = None) -> None:
        ed = HsEdition.parse(edition) if isinstance(edition, str) else edition
        if isinstance(code, HsCode):
            # a code keeps its edition: re-reading it in another one is a translation
            if ed is not None and ed != code.edition:
                code._require_same_edition(HsCode(code.digits, ed))
            digits, ed = code.digits, code.edition
        else:
            digits = parse_digits(code)
        object.__setattr__(self, "digits", digits)
        object.__setattr__(self, "edition", ed or CURRENT_EDITION)

    @property
    def level(self) -> HsLevel:
        return {
            2: HsLevel.CHAPTER,
            4: HsLevel.HEADING,
            6: HsLevel.SUBHEADING,
        }.get(len(self.digits), HsLevel.NATIONAL)

    @property
    def chapter(self) -> HsCode:
        return HsCode(self.digits[:2], self.edition)

    @property
    def heading(self) -> HsCode | None:
        return HsCode(self.digits[:4], self.edition) if len(self.digits) >= 4 else None

    @property
    def hs6(self) -> HsCode | None:
        """The six-digit subheading: the international root of a national code."""
        return HsCode(self.digits[:6], self.edition) if len(self.digits) >= 6 else None

    @property
    def parent(self) -> HsCode | None:
        """The next level up: subheading → heading → chapter; national → subheading."""
        n = len(self.digits)
        if n <= 2:
            return None
        return HsCode(self.digits[: 6 if n > 6 else n - 2], self.edition)

    def is_within(self, other: HsCode) -> bool:
        """True when this code falls under `other` (or is it), in the same edition."""
        self._require_same_edition(other)
        return self.digits.startswith(other.digits)

    def dotted(self) -> str:
        """The printed form: 0901, 0901.21, 8471.30.1000."""
        d = self.digits
        if len(d) <= 4:
            return d
        if len(d) <= 6:
            return f"{d[:4]}.{d[4:]}"
        return f"{d[:4]}.{d[4:6]}.{d[6:]}"

    def _require_same_edition(self, other: HsCode) -> None:
        if self.edition != other.edition:
            raise EditionMismatch.of(
                "hs.edition_mismatch",
                N_(
                    "%(left)s (%(left_edition)s) and %(right)s (%(right_edition)s) are of "
                    "different HS editions: translate one with a correspondence table first."
                ),
                left=self.dotted(),
                left_edition=self.edition.value,
                right=other.dotted(),
                right_edition=other.edition.value,
            )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, HsCode):
            return NotImplemented
        self._require_same_edition(other)
        return self.digits < other.digits

    def __str__(self) -> str:
        return self.digits

    def __repr__(self) -> str:
        return f"HsCode({self.dotted()!r}, {self.edition.value})"


def parse_digits(value: str) -> str:
    """Validate and normalise a code as typed; raise `InvalidInput` saying what is wrong."""
    if not isinstance(value, str):
        raise TypeError(f"an HS code is text, not {type(value).__name__}")
    shown = value[:_MAX_INPUT]
    digits = normalise_digits(value)
    if not digits:
        raise InvalidInput.of(
            "hs.empty_code", N_("An HS code is required, e.g. 8471.30."), field="code"
        )
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput.of(
            "hs.invalid_characters",
            N_("'%(value)s' is not an HS code: use digits only, e.g. 8471.30."),
            field="code",
            value=shown,
        )
    if len(digits) not in (2, 4, 6, 8, 9, 10):
        raise InvalidInput.of(
            "hs.invalid_length",
            N_(
                "'%(value)s' is not an HS code: it has %(length)s digits; use 2 (chapter), "
                "4 (heading), 6 (subheading) or 8 to 10 (national tariff line)."
            ),
            field="code",
            value=shown,
            length=len(digits),
        )
    if digits[:2] == "00":
        raise InvalidInput.of(
            "hs.invalid_chapter",
            N_("'%(value)s' is not an HS code: chapters run from 01 to 97."),
            field="code",
            value=shown,
        )
    return digits
