"""Replaying a kept assessment: the same arithmetic over what it used, to the same figures.

An assessment keeps each item's tariff line and every exchange rate it applied, so it
can be computed again without the schedule or the rate table of the day: a replay that
gives other figures means the arithmetic changed, and says where.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from opencustoms.clearance.declaration import Declaration
from opencustoms.clearance.duty import TaxRules, assess
from opencustoms.clearance.records import assessment_json
from opencustoms.clearance.tariff import Schedule, TariffLine, parse_duty
from opencustoms.kernel.exchange import ExchangeRate, ExchangeRateTable
from opencustoms.kernel.hs import HsCode
from opencustoms.kernel.money import Currency

FIGURES = ("duty", "vat", "total")
ITEM_FIGURES = ("customs_value", "duty", "vat")


def replay(declaration: Declaration, kept: dict[str, Any], rules: TaxRules) -> dict[str, Any]:
    """The assessment computed again from the kept lines and rates (its JSON form)."""
    lines = []
    for item in kept["items"]:
        line = item["line"]
        lines.append(
            TariffLine(
                HsCode(line["code"], line["edition"]),
                line["rate_type"],
                date.fromisoformat(line["valid_from"]),
                None,
                parse_duty(line["duty"]),
                line["source"],
            )
        )
    rates = []
    for item in kept["items"]:
        for step in item["steps"]:
            if step["key"].endswith(".converted"):
                p = step["params"]
                rates.append(
                    ExchangeRate(
                        date.fromisoformat(p["on"]),
                        Currency(p["source"]),
                        Currency(p["target"]),
                        Decimal(p["rate"]),
                    )
                )
    schedule = Schedule(lines, "replay", kept["schedule"])
    # each item at the rate type its kept line was found under (a denied claim's fallback)
    goods = [
        replace(i.goods, rate_type=item["line"]["rate_type"])
        for i, item in zip(declaration.items, kept["items"], strict=True)
    ]
    found = assess(goods, declaration.date, schedule, ExchangeRateTable(rates), rules)
    return assessment_json(found, rules.cites)


def differences(kept: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """Where two assessments' figures differ: "duty", "items[0].customs_value", ..."""
    found = [k for k in FIGURES if kept[k] != again[k]]
    for i, (a, b) in enumerate(zip(kept["items"], again["items"], strict=True)):
        found.extend(f"items[{i}].{k}" for k in ITEM_FIGURES if a[k] != b[k])
    return found
