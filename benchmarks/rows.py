"""One result row, as every benchmark reports it."""

from __future__ import annotations

from typing import Any


def row(name: str, operations: int, seconds: float, note: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "operations": operations,
        "seconds": seconds,
        "ops_per_second": operations / seconds,
        "microseconds_per_op": seconds / operations * 1e6,
        "note": note,
    }


def skipped(name: str, why: str) -> dict[str, Any]:
    """A row that says a measure was not made, and why (as `row` gives, with no figures)."""
    return {
        "name": name,
        "operations": 0,
        "seconds": 0.0,
        "ops_per_second": 0.0,
        "microseconds_per_op": 0.0,
        "note": f"skipped: {why[:120]}",
    }
