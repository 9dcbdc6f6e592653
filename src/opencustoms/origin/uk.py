"""Reading rules of origin published in the UK Online Trade Tariff's format.

A folder holds `rule_sets/<scheme>.json` (product-specific rules per heading
range), `roo_schemes_uk.json` (one entry per scheme) and `articles/<scheme>/`
(the legal articles). Each scheme becomes an agreement `uk-<scheme code>`.
The UK tariff keys most schemes' rule sets by current (HS 2022) codes, but not
all: CPTPP's are HS 2012 codes, the EU's HS 2017 ones. `data_edition` tells
which, from the codes themselves and the agreement's profile.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.compiler.ruleset import CompiledRuleSet, compile_rule_set


def data_edition(scheme: UkScheme, known: set[str], stated: HsEdition | None) -> HsEdition | None:
    """The edition a scheme's rule sets are keyed by.

    HS 2022 when every heading and subheading a rule set is keyed by exists in
    HS 2022 (`known`: its codes); otherwise the edition the agreement's profile
    states for its annex; otherwise not known (None), and lookups are refused.
    """
    for raw in scheme.rule_sets:
        first, last = str(raw.get("min", "")), str(raw.get("max", ""))
        for width in (2, 4, 6):  # the coarsest level the range is keyed at
            if first[width:] == "0" * (10 - width) and last[width:] == "9" * (10 - width):
                # both ends of a range keyed at this width must be codes of HS 2022
                if first[:width] not in known or last[:width] not in known:
                    return stated
                break
    return HsEdition.HS2022


@dataclass(frozen=True)
class UkScheme:
    agreement: str  # "uk-south-korea"
    path: Path
    rule_sets: list[dict[str, Any]]


def agreement_id(scheme_code: str) -> str:
    return f"uk-{scheme_code}"


def shipped_folder() -> Path:
    """The copy of the UK data shipped in the package (see its README)."""
    return Path(str(resources.files("opencustoms.origin.data") / "uk"))


def _load_json(path: Path) -> Any:
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        return json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as e:
        raise InvalidInput(
            Finding(
                "origin.bad_json",
                N_("%(source)s, line %(line)s: not valid JSON (%(problem)s)."),
                {"source": str(path), "line": e.lineno, "problem": e.msg},
            )
        ) from None
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as e:
        raise InvalidInput(
            Finding(
                "origin.unreadable",
                N_("Cannot read %(source)s: %(reason)s"),
                {"source": str(path), "reason": type(e).__name__},
            )
        ) from None


def read_schemes(folder: Path) -> Iterator[UkScheme]:
    """Every scheme's rule sets in a folder of the UK format, in name order."""
    rule_dir = folder / "rule_sets"
    files = (
        sorted([*rule_dir.glob("*.json"), *rule_dir.glob("*.json.gz")]) if rule_dir.is_dir() else []
    )
    if not files:
        raise InvalidInput(
            Finding(
                "origin.not_uk_folder",
                N_(
                    "%(folder)s holds no rule_sets/*.json: point at a folder in the UK "
                    "tariff's rules-of-origin format."
                ),
                {"folder": str(folder)},
            )
        )
    seen: dict[str, Path] = {}
    for path in files:
        code = path.name.split(".")[0]
        if not _SCHEME_CODE.match(code):
            raise _bad(path, N_("the file name must be a scheme code such as south-korea.json"))
        if code in seen:
            raise _bad(
                path,
                N_("the scheme is also in %(other)s; keep one file per scheme"),
                other=seen[code].name,
            )
        seen[code] = path
        data = _load_json(path)
        rule_sets = data.get("rule_sets") if isinstance(data, dict) else None
        if not isinstance(rule_sets, list):
            raise _bad(path, N_("expected an object with a list 'rule_sets'"))
        for index, raw in enumerate(rule_sets, start=1):
            _check_rule_set(path, index, raw)
        yield UkScheme(agreement_id(code), path, rule_sets)


_SCHEME_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TEN_DIGITS = re.compile(r"^\d{10}$")


def _bad(path: Path, problem: str, **params: Any) -> InvalidInput:
    return InvalidInput(
        Finding(
            "origin.bad_rule_sets",
            N_("%(source)s: %(problem)s."),
            {"source": str(path), "problem": Finding("origin.detail", problem, params)},
        )
    )


def _check_rule_set(path: Path, index: int, raw: Any) -> None:
    """Each rule set as the format defines it; anything else is named, with its place."""
    where = {"index": index}
    if not isinstance(raw, dict):
        raise _bad(path, N_("rule set %(index)s is not an object"), **where)
    first, last = raw.get("min"), raw.get("max")
    if not (
        isinstance(first, str)
        and isinstance(last, str)
        and _TEN_DIGITS.match(first)
        and _TEN_DIGITS.match(last)
        and first <= last
    ):
        raise _bad(
            path,
            N_("rule set %(index)s needs 'min' and 'max', ten-digit codes, min <= max"),
            **where,
        )
    rules = raw.get("rules")
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise _bad(path, N_("rule set %(index)s needs 'rules', a list of objects"), **where)
    for rule in rules:
        if not isinstance(rule.get("rule", ""), str | None) or rule.get("operator") not in (
            None,
            "or",
        ):
            raise _bad(
                path,
                N_("rule set %(index)s: each rule needs text 'rule' and 'operator' null or \"or\""),
                **where,
            )


@dataclass(frozen=True)
class SchemeInfo:
    title: str
    countries: tuple[str, ...]  # ISO alpha-2 codes of the partners
    valid_from: str | None
    valid_to: str | None = None  # the scheme's last day, where it has ended (uk-gsp)


def read_scheme_index(folder: Path) -> dict[str, SchemeInfo]:
    """Titles and partners of the schemes (roo_schemes_uk.json), by agreement id; {} if absent."""
    for name in ("roo_schemes_uk.json", "roo_schemes_uk.json.gz"):
        path = folder / name
        if path.is_file():
            data = _load_json(path)
            schemes = data.get("schemes", []) if isinstance(data, dict) else []
            return {
                agreement_id(str(s.get("scheme_code"))): SchemeInfo(
                    str(s.get("title") or s.get("scheme_code")),
                    tuple(str(c) for c in s.get("countries") or ()),
                    s.get("validity_start_date"),
                    s.get("validity_end_date"),
                )
                for s in schemes
                if isinstance(s, dict) and s.get("scheme_code")
            }
    return {}


def compile_scheme(scheme: UkScheme, edition: HsEdition | None = None) -> list[CompiledRuleSet]:
    document = f"rule_sets/{scheme.path.name.removesuffix('.gz')}"
    return [compile_rule_set(raw, scheme.agreement, document, edition) for raw in scheme.rule_sets]
