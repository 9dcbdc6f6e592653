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
