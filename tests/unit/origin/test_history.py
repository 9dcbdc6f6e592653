"""Kept determinations, re-run when a supplier's declaration expires."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from opencustoms.kernel.dates import FixedClock
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.agreements import AgreementCatalogue
from opencustoms.origin.bom_io import read_json
from opencustoms.origin.history import DeterminationHistory
from opencustoms.testing.fakes import in_memory_uow

BOMS = Path(__file__).parents[2] / "fixtures" / "origin" / "boms"


def expiring_bom():
    """The lathe BOM, with the declared line in the product's own heading.

    While SD-2026-0042 is valid, the work holder changes heading (CTH). Once it
    expires, line 2 is non-originating in heading 8466 and worth 40% of EXW, so
    neither CTH nor the 45% value limit is met.
    """
    data = json.loads((BOMS / "lathe-parts.json").read_text())
    data["materials"][1].update({"hs": "8466.93", "value": "400.00"})
    return read_json(json.dumps(data), "expiring.json", HsEdition.HS2022)


@pytest.fixture
def history():
    factory, _ = in_memory_uow()
    clock = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return DeterminationHistory(factory, clock, AgreementCatalogue()), clock


def test_record_keeps_bom_and_result(history):
    h, _ = history
    kept = h.record("uk-south-korea", expiring_bom(), date(2026, 6, 1))
    assert (kept.verdict, kept.criterion) == ("originating", "CTH")
    assert kept.rule == "CTH | MaxNOM(EXW) <= 45%"
    assert kept.bom["materials"][1]["evidence"]["reference"] == "SD-2026-0042"
    assert kept.result["evidence"][0]["kind"] == "product-specific rule"
    assert [r.id for r in h.current()] == [kept.id]


def test_redetermine_supersedes_only_what_changed(history):
    h, clock = history
    first = h.record("uk-south-korea", expiring_bom(), date(2026, 6, 1))
    clock.advance(timedelta(seconds=1))
    h.record(
        "uk-south-korea",
        read_json((BOMS / "lathe-parts.json").read_bytes(), "l.json", HsEdition.HS2022),
        date(2026, 6, 1),
    )

    changes, unchanged = h.redetermine(date(2026, 12, 1))  # declaration still valid
    assert (changes, unchanged) == ([], 2)

    clock.advance(timedelta(days=300))
    changes, unchanged = h.redetermine(date(2027, 3, 1))  # SD-2026-0042 expired 2026-12-31
    assert unchanged == 1  # the original lathe BOM still changes heading
    [change] = changes
    assert change.previous == first
    assert change.current.supersedes == first.id
    assert change.current.verdict == "not_originating"
    assert change.current.on_date == date(2027, 3, 1)
    why = [f.render() for f in change.why]  # what changed, and why
    assert any(w.startswith("CTH: passed -> failed") for w in why), why
    assert "no longer counted as originating: lines 2" in why
    assert "line 2: supplier-declaration SD-2026-0042 expired on 2026-12-31" in why
    current = h.current()
    assert change.current.id in [r.id for r in current]
    assert first.id not in [r.id for r in current]

    # A second run on the same day finds nothing new: the new record is the current one.
    assert h.redetermine(date(2027, 3, 1)) == ([], 2)


def test_a_re_run_that_loses_a_race_says_so_and_keeps_one_successor(history):
    h, clock = history
    first = h.record("uk-south-korea", expiring_bom(), date(2026, 6, 1))
    stale = h.current()  # what a second, concurrent re-run read before the first stored
    clock.advance(timedelta(days=300))
    [won], _ = h.redetermine(date(2027, 3, 1))
    h.current = lambda *args: stale  # the concurrent run still works from its stale read
    [lost], unchanged = h.redetermine(date(2027, 3, 1))
    assert (lost.previous, lost.current, unchanged) == (first, None, 0)
    assert lost.error.code == "determination.superseded"
    del h.current
    assert [r.id for r in h.current()] == [won.current.id]
