"""Rules of origin: compiling every rule set of the 29 UK schemes, and looking up a code.

Goals (issue 3): compile all in under 10 s; look up the rules for a code in under 1 ms.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from opencustoms.kernel.errors import DomainError
from opencustoms.origin.agreements import AgreementCatalogue
from opencustoms.origin.uk import compile_scheme, read_schemes, shipped_folder

CODES = ["846620", "0902.10", "610910", "870323", "8471.30", "220421", "0403", "8549.11"]
AGREEMENTS = ["uk-south-korea", "uk-eu", "uk-cptpp", "uk-vietnam"]


def run(quick: bool = False) -> list[dict[str, Any]]:
    started = time.perf_counter()
    schemes = list(read_schemes(shipped_folder()))
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rule_sets = sum(len(compile_scheme(s)) for s in schemes)
    compile_seconds = time.perf_counter() - started
    rules = sum(len(raw.get("rules", [])) for s in schemes for raw in s.rule_sets)

    catalogue = AgreementCatalogue()
    for agreement in AGREEMENTS:
        catalogue.rule_sets(agreement)  # compiled once, as a running node would have them
    rounds = 50 if quick else 500
    started = time.perf_counter()
    for _ in range(rounds):
        for agreement in AGREEMENTS:
            for code in CODES:
                # a code without a rule is a lookup too
                with contextlib.suppress(DomainError):
                    catalogue.rules_for(agreement, code)
    lookups = rounds * len(AGREEMENTS) * len(CODES)
    lookup_seconds = time.perf_counter() - started
    return [
        {
            "name": "origin.read_29_schemes",
            "operations": len(schemes),
            "seconds": read_seconds,
            "ops_per_second": len(schemes) / read_seconds,
            "microseconds_per_op": read_seconds / len(schemes) * 1e6,
            "note": "gzipped JSON shipped in the package",
        },
        {
            "name": "origin.compile_all_rules",
            "operations": rules,
            "seconds": compile_seconds,
            "ops_per_second": rules / compile_seconds,
            "microseconds_per_op": compile_seconds / rules * 1e6,
            "note": f"{rule_sets} rule sets; goal < 10 s: {compile_seconds / 10:.0%} of it",
        },
        {
            "name": "origin.rules_for_code",
            "operations": lookups,
            "seconds": lookup_seconds,
            "ops_per_second": lookups / lookup_seconds,
            "microseconds_per_op": lookup_seconds / lookups * 1e6,
            "note": f"goal < 1 ms: {lookup_seconds / lookups / 1e-3:.1%} of it",
        },
    ]
