"""Strict reading of small CSV tables given as text (no file access here).

Every problem names the source, the line and the column, so whoever keeps the
file can fix it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from opencustoms.kernel.errors import N_, Finding, InvalidInput


def read_rows(
    text: str, source: str, columns: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for a CSV whose header must be exactly `columns`."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))  # a BOM from a spreadsheet
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(columns):
        raise InvalidInput(
            Finding(
                "csv.bad_header",
                N_("%(source)s, line 1: the header must be '%(expected)s'; found '%(found)s'."),
                {
                    "source": source,
                    "expected": ",".join(columns),
                    "found": ",".join(header or [])[:200],
                },
            )
        )
    for values in reader:
        line = reader.line_num
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(columns):
            raise InvalidInput(bad_row(source, line, len(columns), len(values)))
        yield line, {c: v.strip() for c, v in zip(columns, values, strict=True)}


def bad_row(source: str, line: int, expected: int, found: int) -> Finding:
    return Finding(
        "csv.bad_row",
        N_("%(source)s, line %(line)s: expected %(expected)s columns, found %(found)s."),
        {"source": source, "line": line, "expected": expected, "found": found},
    )


def at_line(error: InvalidInput, source: str, line: int, column: str) -> InvalidInput:
    """Re-raise a value error found in a cell with its place in the file."""
    f = error.finding
    return InvalidInput(
        Finding(
            f.code,
            N_("%(source)s, line %(line)s, column %(column)s: %(detail)s"),
            {"source": source, "line": line, "column": column, "detail": f},
            field=column,
        )
    )
