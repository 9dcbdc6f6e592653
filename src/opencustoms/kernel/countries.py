"""Countries by ISO 3166-1, from pycountry's copy of the standard.

One user-assigned code is accepted too: XK, Kosovo, which ISO 3166 does not
list but which customs administrations (the EU's, the UK's) use for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pycountry

from opencustoms.kernel.errors import N_, InvalidInput

# code: (alpha-3, name) of the user-assigned codes customs practice uses
USER_ASSIGNED = {"XK": ("XKX", "Kosovo")}
_KNOWN: dict[str, str] = {}  # code as given -> alpha-2, of codes already found


@dataclass(frozen=True, slots=True)
class Country:
    """A country by its ISO 3166-1 alpha-2 code; alpha-3 is accepted on input."""

    alpha2: str

    def __init__(self, code: str) -> None:
        known = _KNOWN.get(code) if isinstance(code, str) else None
        if known is not None:  # certificates and declarations name the same few countries often
            object.__setattr__(self, "alpha2", known)
            return
        value = code.strip().upper() if isinstance(code, str) else ""
        assigned = {a3: a2 for a2, (a3, _n) in USER_ASSIGNED.items()}
        if value in USER_ASSIGNED or value in assigned:
            object.__setattr__(self, "alpha2", assigned.get(value, value))
            return
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
        if len(_KNOWN) < 4096:
            _KNOWN[code] = record.alpha_2

    @property
    def alpha3(self) -> str:
        if self.alpha2 in USER_ASSIGNED:
            return USER_ASSIGNED[self.alpha2][0]
        return str(self._record().alpha_3)

    @property
    def name(self) -> str:
        if self.alpha2 in USER_ASSIGNED:
            return USER_ASSIGNED[self.alpha2][1]
        return str(self._record().name)

    def _record(self) -> Any:
        record = pycountry.countries.get(alpha_2=self.alpha2)
        assert record is not None  # checked when the value was made
        return record

    def __str__(self) -> str:
        return self.alpha2
