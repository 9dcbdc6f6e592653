"""Determinations kept, and re-run when the law or the evidence changes.

`record` stores a determination with its BOM and result. `redetermine` re-runs
every current determination on a given day (today, by default): a rule the
operator imported since, or a supplier's declaration that has expired, can
change a verdict. A changed one is stored as a new record that supersedes the
old; an unchanged one is left as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from opencustoms import presenters
from opencustoms.kernel.dates import Clock
from opencustoms.kernel.errors import N_, DomainError, Finding, NotFound
from opencustoms.kernel.hs import HsEdition
from opencustoms.kernel.ids import new_id
from opencustoms.origin.agreements import AgreementCatalogue, determine
from opencustoms.origin.bom import Bom, Material
from opencustoms.origin.bom_io import read_json, to_json
from opencustoms.origin.records import Change, OriginUnitOfWork, StoredDetermination


class DeterminationHistory:
    def __init__(
        self, uow: Callable[[], OriginUnitOfWork], clock: Clock, catalogue: AgreementCatalogue
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._catalogue = catalogue

    def record(
        self,
        agreement: str,
        bom: Bom,
        on: date,
        organisation_id: str | None = None,
    ) -> StoredDetermination:
        """Determine the BOM and keep the determination with its evidence."""
        return self._keep(agreement, bom, on, self._decide(agreement, bom, on), organisation_id)

    def _decide(self, agreement: str, bom: Bom, on: date) -> dict[str, Any]:
        return presenters.determination(determine(self._catalogue, agreement, bom, on))

    def _keep(
        self,
        agreement: str,
        bom: Bom,
        on: date,
        result: dict[str, Any],
        organisation_id: str | None,
        supersedes: str | None = None,
    ) -> StoredDetermination:
        record = StoredDetermination(
            id=new_id("det"),
            supersedes=supersedes,
            organisation_id=organisation_id,
            agreement=agreement,
            product_hs=bom.product.hs.digits,
            product_description=bom.product.description,
            on_date=on,
            verdict=result["verdict"],
            criterion=result["criterion"],
            rule=_rule(result),
            bom=to_json(bom),
            result=_jsonable(result),
            created_at=self._clock.now(),
        )
        with self._uow() as uow:
            uow.determinations.add(record)
            uow.commit()
        return record

    def current(
        self, limit: int | None = 100, organisation_id: str | None = None
    ) -> Sequence[StoredDetermination]:
        """The current records (of one organisation, if named), newest first."""
        with self._uow() as uow:
            return uow.determinations.current(limit, organisation_id)

    def get(self, record_id: str, organisation_id: str | None = None) -> StoredDetermination:
        """One record; another organisation's is not found, as if it did not exist."""
        with self._uow() as uow:
            found = uow.determinations.get(record_id)
        if found is None or (
            organisation_id is not None and found.organisation_id != organisation_id
        ):
            raise NotFound.of(
                "not_found",
                N_("No %(kind)s with id '%(id)s' is visible to you."),
                kind="determination",
                id=record_id[:64],
            )
        return found

    def redetermine(self, on: date, organisation_id: str | None = None) -> tuple[list[Change], int]:
        """Re-run the current determinations (of one organisation, if named) on `on`;
        store and return those that changed."""
        changes: list[Change] = []
        unchanged = 0
        for previous in self.current(None, organisation_id):
            edition = self._catalogue.edition(previous.agreement) or HsEdition.HS2022
            try:
                bom = read_json(json.dumps(previous.bom), previous.id, edition)
                result = self._decide(previous.agreement, bom, on)
                same = (result["verdict"], result["criterion"], _rule(result)) == (
                    previous.verdict,
                    previous.criterion,
                    previous.rule,
                )
                if same:
                    unchanged += 1
                    continue
                current = self._keep(
                    previous.agreement, bom, on, result, previous.organisation_id, previous.id
                )
            except DomainError as e:
                # the BOM no longer reads or decides, or a concurrent re-run got there first
                changes.append(Change(previous, None, e.finding))
                continue
            changes.append(Change(previous, current, why=_why(previous, result, bom, on)))
        return changes, unchanged


def _why(
    previous: StoredDetermination, result: dict[str, Any], bom: Bom, on: date
) -> tuple[Finding, ...]:
    """What differs between a kept result and its re-run: the rule, each alternative
    that changed, the lines that changed status, and the declarations expired since."""
    out: list[Finding] = []
    before, after = _rule(previous.result), _rule(result)
    if before != after:
        out.append(
            Finding(
                "origin.rule_changed",
                N_("the rule changed: %(before)s -> %(after)s"),
                {"before": before or "-", "after": after or "-"},
            )
        )
    else:
        was = {a["rule"]: a for a in previous.result.get("alternatives", [])}
        for alt in result.get("alternatives", []):
            old = was.get(alt["rule"])
            if old is not None and old["result"] != alt["result"]:
                out.append(
                    Finding(
                        "origin.alternative_changed",
                        N_("%(rule)s: %(before)s -> %(after)s (%(reason)s)"),
                        {
                            "rule": alt["rule"],
                            "before": old["result"],
                            "after": alt["result"],
                            "reason": alt["reason"],
                        },
                    )
                )
    lines_before, lines_after = _originating(previous.result), _originating(result)
    if lines_before is not None and lines_after is not None:
        lost = sorted(lines_before - lines_after)
        gained = sorted(lines_after - lines_before)
        if lost:
            out.append(
                Finding(
                    "origin.lines_lost",
                    N_("no longer counted as originating: lines %(lines)s"),
                    {"lines": ", ".join(map(str, lost))},
                )
            )
        if gained:
            out.append(
                Finding(
                    "origin.lines_gained",
                    N_("now counted as originating: lines %(lines)s"),
                    {"lines": ", ".join(map(str, gained))},
                )
            )
    for m in _every_material(bom):
        ev = m.evidence
        if ev is not None and ev.valid_to is not None and previous.on_date <= ev.valid_to < on:
            out.append(
                Finding(
                    "origin.declaration_expired",
                    N_("line %(line)s: %(kind)s %(reference)s expired on %(day)s"),
                    {
                        "line": m.line,
                        "kind": ev.kind.value,
                        "reference": ev.reference or "",
                        "day": ev.valid_to.isoformat(),
                    },
                )
            )
    return tuple(out)


def _every_material(bom: Bom) -> list[Material]:
    """The materials of a BOM and of its sub-assemblies, at every level."""
    out: list[Material] = []
    for m in bom.materials:
        out.append(m)
        if m.bom is not None:
            out.extend(_every_material(m.bom))
    return out


def _originating(result: dict[str, Any]) -> set[int] | None:
    for e in result.get("evidence", []):
        if e.get("kind") == "inputs":
            return set(e["originating_lines"])
    return None  # kept before the evidence named its inputs


def _rule(result: dict[str, Any]) -> str | None:
    return result["rule_set"]["rule"] if result["rule_set"] else None


def _jsonable(value: Any) -> Any:
    """Dates and decimals as text, so the result is stored as plain JSON."""
    return json.loads(json.dumps(value, default=str))
