"""Correspondence between HS editions (WCO correlation tables).

A correspondence table says, for each code of one edition, which codes of
another edition cover the same goods. Splits and merges make this a relation,
not a function. Without a loaded table, codes of different editions are never
compared: the caller is told, not silently answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from opencustoms.kernel.csvtext import at_line, read_rows
from opencustoms.kernel.errors import N_, InvalidInput
from opencustoms.kernel.hs import EditionMismatch, HsCode, HsEdition

COLUMNS = ("from_edition", "from_code", "to_edition", "to_code")


class CorrespondenceTable:
    def __init__(self, pairs: Iterable[tuple[HsCode, HsCode]]) -> None:
        self._map: dict[tuple[HsEdition, HsEdition], dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for a, b in pairs:
            if a.edition == b.edition:
                raise ValueError(f"{a!r} and {b!r} are of the same edition")
            self._map[(a.edition, b.edition)][a.digits].add(b.digits)
            self._map[(b.edition, a.edition)][b.digits].add(a.digits)

    def editions(self) -> set[tuple[HsEdition, HsEdition]]:
        return set(self._map)

    def translate(self, code: HsCode, to: HsEdition) -> frozenset[HsCode]:
        """The codes of edition `to` covering the goods of `code`."""
        if code.edition == to:
            return frozenset({code})
        table = self._map.get((code.edition, to))
        if table is None:
            raise EditionMismatch.of(
                "hs.no_correspondence",
                N_("No correspondence table from %(source)s to %(target)s is loaded."),
                source=code.edition.value,
                target=to.value,
            )
        # A national code or subheading translates through its HS-6 root;
        # a heading or chapter through every subheading under it.
        root = code.digits[:6]
        found = {t for src, targets in table.items() if src.startswith(root) for t in targets}
        return frozenset(HsCode(t, to) for t in found)

    def same_goods(self, a: HsCode, b: HsCode) -> bool:
        """Whether `a` may cover goods of `b`, across editions through this table."""
        if a.edition == b.edition:
            return a.is_within(b) or b.is_within(a)
        return any(t.is_within(b) or b.is_within(t) for t in self.translate(a, b.edition))


def parse_correspondence(text: str, source: str) -> CorrespondenceTable:
    pairs = []
    for line, row in read_rows(text, source, COLUMNS):
        column = ""
        try:
            column = "from_edition"
            from_edition = HsEdition.parse(row["from_edition"])
            column = "from_code"
            a = HsCode(row["from_code"], from_edition)
            column = "to_edition"
            to_edition = HsEdition.parse(row["to_edition"])
            column = "to_code"
            b = HsCode(row["to_code"], to_edition)
            if from_edition == to_edition:
                raise InvalidInput.of(
                    "hs.same_edition",
                    N_("both codes are of %(edition)s; a correspondence links two editions."),
                    edition=from_edition.value,
                )
        except InvalidInput as e:
            raise at_line(e, source, line, column) from None
        pairs.append((a, b))
    return CorrespondenceTable(pairs)
