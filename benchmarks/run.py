"""Run every benchmark, print a table, and write JSON results to benchmarks/results/.

Usage: python -m benchmarks.run [--quick] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import (
    bench_certificates,
    bench_clearance,
    bench_determination,
    bench_exchange,
    bench_hs,
    bench_openattestation,
    bench_origin,
    bench_trust,
)

BENCHMARKS = {
    "hs": bench_hs.run,
    "origin": bench_origin.run,
    "determination": bench_determination.run,
    "trust": bench_trust.run,
    "certificates": bench_certificates.run,
    "openattestation": bench_openattestation.run,
    "exchange": bench_exchange.run,
    "clearance": bench_clearance.run,
}
RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    names = ", ".join(BENCHMARKS)
    parser.add_argument("names", nargs="*", help=f"which to run: {names} (default all)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for a smoke run")
    args = parser.parse_args(argv)
    chosen = args.names or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {names}")

    rows = []
    for name in chosen:
        rows.extend(BENCHMARKS[name](quick=args.quick))

    columns = ("benchmark", "operations", "seconds", "ops/s", "µs/op", "note")
    table = Table(*columns, title="opencustoms benchmarks")
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['operations']:,}",
            f"{r['seconds']:.3f}",
            f"{r['ops_per_second']:,.0f}",
            f"{r['microseconds_per_op']:,.1f}",
            r.get("note", ""),
        )
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(table)

    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"bench-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "at": stamp,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "processor_count": os.cpu_count(),
                "results": rows,
            },
            indent=2,
        )
    )
    console.print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
