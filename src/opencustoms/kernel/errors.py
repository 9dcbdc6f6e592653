"""Errors and findings as values.

A `Finding` is one problem found while validating input: a stable `code`, a
message template marked for translation (with `%(name)s` parameters), the
field it concerns and its severity. Domain code never translates; the edges
(CLI, API, web) render the template in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self


def N_(message: str) -> str:
    """Mark a message for extraction into the catalogues without translating it here."""
    return message


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    severity: Severity = Severity.ERROR

    def render(self, translate: Any = None) -> str:
        """The message with its parameters filled in, translated if a gettext is given.

        A parameter that is itself a Finding (the detail of an error found in
        a file's cell, say) is rendered in the same language.
        """
        template = translate(self.message) if translate else self.message
        if not self.params:
            return template
        values = {
            k: v.render(translate) if isinstance(v, Finding) else v for k, v in self.params.items()
        }
        return template % values


class DomainError(Exception):
    """A rule of the domain refused an input; carries one or more findings."""

    status = 400  # the edge's default mapping; subclasses refine it

    def __init__(self, *findings: Finding) -> None:
        if not findings:
            raise ValueError("DomainError needs at least one finding")
        self.findings: tuple[Finding, ...] = findings
        super().__init__(findings[0].render())

    @property
    def code(self) -> str:
        return self.findings[0].code

    @property
    def finding(self) -> Finding:
        return self.findings[0]

    def under(self, path: str) -> Self:
        """The same error with each finding's field placed under `path` ("items[2].freight")."""

        def moved(f: Finding) -> Finding:
            where = f"{path}.{f.field}" if f.field else path
            params = {**f.params, "field": where} if "field" in f.params else f.params
            return Finding(f.code, f.message, params, where, f.severity)

        return type(self)(*(moved(f) for f in self.findings))

    @classmethod
    def of(cls, code: str, message: str, /, *, field: str | None = None, **params: Any) -> Self:
        # the field is also a parameter, so a message may name it: "%(field)s"
        values = {"field": field, **params} if field is not None else params
        return cls(Finding(code=code, message=message, params=values, field=field))


class InvalidInput(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Stale(Conflict):
    """A change made on a version of a record that is no longer the current one."""

    status = 412


class Forbidden(DomainError):
    status = 403
