"""HS nomenclature: building the index, lookups and searches per second."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.rows import row
from opencustoms.reference import hs as hs_reference

QUERIES = [
    "roasted coffee",
    "laptop",
    "portable computer",
    "lithium-ion battery",
    "cotton t-shirts",
    "frozen fish fillets",
    "motor vehicles for the transport of persons",
    "8471",
    "0901.21",
    "wine",
]
CODES = ["090121", "8471.30", "8703 23", "0101", "85", "8471301000", "610910", "2204.21"]


def _measure(
    name: str, operations: int, work: Callable[[], None], note: str = ""
) -> dict[str, Any]:
    started = time.perf_counter()
    work()
    return row(name, operations, time.perf_counter() - started, note)


def run(quick: bool = False) -> list[dict[str, Any]]:
    rounds = 20 if quick else 200
    results = []

    hs_reference.hs2022.cache_clear()
    tracemalloc.start()
    results.append(_measure("hs.load_and_index", 1, hs_reference.hs2022))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results[-1]["note"] = f"peak {peak / 2**20:.1f} MiB while building"
    hs = hs_reference.hs2022()

    def lookups() -> None:
        for _ in range(rounds):
            for code in CODES:
                hs.get(code)
                hs.path(code)

    def searches() -> None:
        for _ in range(rounds // 4 or 1):
            for q in QUERIES:
                hs.search(q, 10)

    results.append(_measure("hs.lookup_with_path", rounds * len(CODES), lookups))
    results.append(_measure("hs.search_top10", (rounds // 4 or 1) * len(QUERIES), searches))
    lookup, search = results[1]["ops_per_second"], results[2]["ops_per_second"]
    results[2]["note"] = f"a search costs {lookup / search:.0f}× a lookup"
    return results
