"""A pytest plugin that runs legal cases written in YAML.

A case file (`*.cases.yaml`) sits beside the law it tests and is readable by
a customs officer:

    subject: hs.search            # which runner answers the cases
    source: HS 2022, heading 09.01
    cases:
      - name: roasted coffee is found first
        date: 2026-01-01          # the day whose law applies
        input: {query: roasted coffee}
        output: {first: "090121"}

`output` lists only what the case asserts: a mapping matches when each of its
keys matches; `{includes: [...]}` matches a list holding those items;
`{contains: "words"}` a text holding those words; any other value must be equal.
Runners live in `legal_runners.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from opencustoms.kernel.errors import DomainError
from opencustoms.reference.yamlstrict import load_yaml_text

FILE_KEYS = {"subject", "source", "anchors", "cases"}  # anchors: YAML the cases share
CASE_KEYS = {"name", "date", "input", "output"}


class LegalCaseError(Exception):
    pass


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.endswith(".cases.yaml"):
        return LegalCaseFile.from_parent(parent, path=file_path)
    return None


class LegalCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            doc = load_yaml_text(self.path.read_text(encoding="utf-8"), str(self.path))
        except DomainError as e:
            raise LegalCaseError(e.finding.render()) from None
        _require_keys(doc, FILE_KEYS, str(self.path), required={"subject", "cases"})
        from opencustoms.testing.legal_runners import RUNNERS

        subject = doc["subject"]
        if subject not in RUNNERS:
            raise LegalCaseError(
                f"{self.path}: unknown subject {subject!r}; known: {sorted(RUNNERS)}"
            )
        names: set[str] = set()
        for i, case in enumerate(doc["cases"] or []):
            where = f"{self.path}, case {i + 1}"
            _require_keys(case, CASE_KEYS, where, required=CASE_KEYS)
            if not isinstance(case["date"], date):
                raise LegalCaseError(f"{where}: date must be YYYY-MM-DD")
            if case["name"] in names:
                raise LegalCaseError(f"{where}: another case is already named {case['name']!r}")
            names.add(case["name"])
            yield LegalCaseItem.from_parent(self, name=case["name"], subject=subject, case=case)


class LegalCaseItem(pytest.Item):
    def __init__(self, *, subject: str, case: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subject = subject
        self.case = case

    def runtest(self) -> None:
        from opencustoms.testing.legal_runners import RUNNERS

        actual = RUNNERS[self.subject](self.case["input"] or {}, self.case["date"])
        problems = list(mismatches(self.case["output"], actual, "output"))
        if problems:
            raise LegalCaseError("\n".join(problems) + f"\nactual: {actual!r}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, LegalCaseError):
            return f"legal case {self.name!r} ({self.subject}) failed:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"legal case: {self.name}"


def mismatches(expected: Any, actual: Any, where: str) -> Iterator[str]:
    if isinstance(expected, dict) and set(expected) == {"contains"}:
        if not isinstance(actual, str) or expected["contains"] not in actual:
            yield f"{where}: {expected['contains']!r} not in {actual!r}"
    elif isinstance(expected, dict) and set(expected) == {"includes"}:
        missing = [x for x in expected["includes"] if x not in (actual or [])]
        if missing:
            yield f"{where}: {missing!r} missing from {actual!r}"
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield f"{where}: expected a mapping, got {actual!r}"
            return
        for key, value in expected.items():
            if key not in actual:
                yield f"{where}.{key}: missing"
            else:
                yield from mismatches(value, actual[key], f"{where}.{key}")
    elif expected != actual:
        yield f"{where}: expected {expected!r}, got {actual!r}"


def _require_keys(obj: Any, allowed: set[str], where: str, required: set[str]) -> None:
    if not isinstance(obj, dict):
        raise LegalCaseError(f"{where}: expected a mapping")
    unknown = set(obj) - allowed
    if unknown:
        raise LegalCaseError(
            f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    missing = required - set(obj)
    if missing:
        raise LegalCaseError(f"{where}: missing field(s) {sorted(missing)}")
