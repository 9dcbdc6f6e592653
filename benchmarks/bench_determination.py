"""Origin determination: a 20,000-line BOM, and many products across every agreement.

Goals (issue 4): 20,000 lines verdict < 30 ms, with full evidence < 250 ms, from a
CSV file < 2 s; 1,000 products compared across every shipped agreement < 60 s.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from datetime import date
from typing import Any

from rich.progress import Progress

from benchmarks.rows import row
from opencustoms import presenters
from opencustoms.kernel.errors import DomainError
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.agreements import AgreementCatalogue, determine
from opencustoms.origin.bom_io import COLUMNS, read_csv, read_json

DAY = date(2026, 6, 1)
CODES = ["7214.20", "7318.15", "8483.30", "8466.93", "3926.90", "8544.42", "4016.93", "7326.90"]


def _bom(lines: int) -> dict[str, Any]:
    materials = [
        {
            "line": i + 1,
            "hs": CODES[i % len(CODES)],
            "description": f"material {i + 1}",
            "value": "0.01",
            "origin_country": "CN",
        }
        for i in range(lines)
    ]
    return {
        "product": {
            "hs": "8466.20",
            "description": "work holders",
            "ex_works_price": "1000",
            "fob_price": "1000",
            "currency": "EUR",
            "processes": ["machining"],
        },
        "materials": materials,
    }


def _csv(bom: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    p = bom["product"]
    writer.writerow(
        {
            "level": 0,
            "hs": p["hs"],
            "description": p["description"],
            "ex_works_price": p["ex_works_price"],
            "fob_price": p["fob_price"],
            "currency": p["currency"],
            "processes": ";".join(p["processes"]),
        }
    )
    for m in bom["materials"]:
        writer.writerow({"level": 1, **m})
    return out.getvalue()


def run(quick: bool = False) -> list[dict[str, Any]]:
    catalogue = AgreementCatalogue()
    catalogue.rule_sets("uk-south-korea")
    lines = 20_000
    data = _bom(lines)
    parsed = read_json(json.dumps(data), "bench.json", HsEdition.HS2022)
    started = time.perf_counter()
    found = determine(catalogue, "uk-south-korea", parsed, DAY)
    verdict = time.perf_counter() - started
    started = time.perf_counter()
    presenters.determination(determine(catalogue, "uk-south-korea", parsed, DAY))
    evidence = time.perf_counter() - started
    text = _csv(data)
    started = time.perf_counter()
    determine(catalogue, "uk-south-korea", read_csv(text, "bench.csv", HsEdition.HS2022), DAY)
    from_csv = time.perf_counter() - started

    products = 100 if quick else 1_000
    agreements = [a.id for a in catalogue.agreements() if a.has_rules]
    small = [
        read_json(json.dumps(_bom(5 + i % 20)), "p.json", HsEdition.HS2022) for i in range(products)
    ]
    started = time.perf_counter()
    with Progress(transient=True) as progress:
        task = progress.add_task("comparing", total=products)
        for bom in small:
            for agreement in agreements:
                with contextlib.suppress(DomainError):  # an edition or a code without rule data
                    determine(catalogue, agreement, bom, DAY)
            progress.advance(task)
    compared = time.perf_counter() - started
    return [
        row(
            "determination.verdict_20k_lines",
            lines,
            verdict,
            f"{found.verdict.value}; goal < 30 ms: {verdict / 0.030:.0%} of it",
        ),
        row(
            "determination.with_evidence_20k_lines",
            lines,
            evidence,
            f"evidence/verdict cost {evidence / verdict:.1f}x; goal < 250 ms",
        ),
        row(
            "determination.from_csv_20k_lines",
            lines,
            from_csv,
            f"goal < 2 s: {from_csv / 2:.0%} of it",
        ),
        row(
            "determination.compare_products",
            products * len(agreements),
            compared,
            f"{products} products x {len(agreements)} agreements; goal (1,000 products) < 60 s",
        ),
    ]
