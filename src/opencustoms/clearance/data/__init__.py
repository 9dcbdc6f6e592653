"""The tariff data opencustoms ships: Korea's rate types, tax rules and a schedule derived
from the customs declarations dataset (see README.md beside this file)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from opencustoms.clearance.duty import TaxRules, read_tax_rules
from opencustoms.clearance.rate_types import RateTypes, read_rate_types
from opencustoms.clearance.tariff import Schedule, parse_schedule

HERE = Path(__file__).resolve().parent


def file_version(text: str) -> str:
    # a schedule's version is its content: an assessment names exactly what it used
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=4)
def shipped_schedule(country: str = "kr") -> Schedule:
    path = HERE / country / "schedule.csv"
    text = path.read_text(encoding="utf-8")
    return parse_schedule(text, path.name, f"{country.upper()} derived", file_version(text))


@lru_cache(maxsize=4)
def shipped_rate_types(country: str = "kr") -> RateTypes:
    path = HERE / country / "rate_types.yaml"
    return read_rate_types(path.read_text(encoding="utf-8"), path.name)


@lru_cache(maxsize=4)
def shipped_tax_rules(country: str = "kr") -> TaxRules:
    path = HERE / country / "taxes.yaml"
    text = path.read_text(encoding="utf-8")
    return read_tax_rules(text, f"{path.name} {file_version(text)}")
