"""Countries by ISO 3166-1, from pycountry's copy of the standard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pycountry

from opencustoms.kernel.errors import N_, InvalidInput


@dataclass(frozen=True, slots=True)
class Country:
    """A country by its ISO 3166-1 alpha-2 code; alpha-3 is accepted on input."""

    alpha2: str

    def __init__(self, code: str) -> None:
        value = code.strip().upper() if isinstance(code, str) else ""
        record = None
        if len(value) == 2 and value.isalpha():
            record = pycountry.countries.get(alpha_2=value)
        elif len(value) == 3 and value.isalpha():
            record = pycountry.countries.get(alpha_3=value)
        if record is None:
            raise InvalidInput.of(
                "country.unknown",
                N_("'%(value)s' is not an ISO 3166 country code, e.g. KR, VN, GB."),
                field="country",
                value=str(code)[:16],
            )
        object.__setattr__(self, "alpha2", record.alpha_2)

    @property
    def alpha3(self) -> str:
        return str(self._record().alpha_3)

    @property
    def name(self) -> str:
        return str(self._record().name)

    def _record(self) -> Any:
        record = pycountry.countries.get(alpha_2=self.alpha2)
        assert record is not None  # checked when the value was made
        return record

    def __str__(self) -> str:
        return self.alpha2
