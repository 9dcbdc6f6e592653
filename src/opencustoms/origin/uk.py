"""Reading rules of origin published in the UK Online Trade Tariff's format.

A folder holds `rule_sets/<scheme>.json` (product-specific rules per heading
range), `roo_schemes_uk.json` (one entry per scheme) and `articles/<scheme>/`
(the legal articles). Each scheme becomes an agreement `uk-<scheme code>`.
The UK tariff maps every annex onto its current commodity codes, so the rule
sets are read as HS 2022.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from opencustoms.kernel.errors import N_, Finding, InvalidInput
from opencustoms.kernel.hs import HsEdition
from opencustoms.origin.compiler.ruleset import CompiledRuleSet, compile_rule_set

UK_EDITION = HsEdition.HS2022


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
    for path in files:
        data = _load_json(path)
        rule_sets = data.get("rule_sets") if isinstance(data, dict) else None
        if not isinstance(rule_sets, list):
            raise InvalidInput(
                Finding(
                    "origin.bad_rule_sets",
                    N_("%(source)s: expected an object with a list 'rule_sets'."),
                    {"source": str(path)},
                )
            )
        yield UkScheme(agreement_id(path.name.split(".")[0]), path, rule_sets)


@dataclass(frozen=True)
class SchemeInfo:
    title: str
    countries: tuple[str, ...]  # ISO alpha-2 codes of the partners
    valid_from: str | None


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
                )
                for s in schemes
                if isinstance(s, dict) and s.get("scheme_code")
            }
    return {}


def compile_scheme(scheme: UkScheme) -> list[CompiledRuleSet]:
    document = f"rule_sets/{scheme.path.name.removesuffix('.gz')}"
    return [
        compile_rule_set(raw, scheme.agreement, document, UK_EDITION) for raw in scheme.rule_sets
    ]
