"""Draw a stratified sample of compiled UK rules for review, as YAML fixtures.

Usage: python tools/sample_rules.py UK_FOLDER OUT.yaml [PER_AGREEMENT]
  For each agreement, picks distinct texts spread over the kinds of rule
  (top-level criterion), with their compiled notation, for a person to check.
"""

from __future__ import annotations

import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from opencustoms.origin.compiler.reader import read
from opencustoms.origin.notation import render
from opencustoms.origin.rules import AllOf, AnyOf, NeedsReview, walk
from opencustoms.origin.uk import read_schemes


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # legal texts keep their line breaks, printed as literal blocks
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def kind(node: object) -> str:
    if isinstance(node, AnyOf | AllOf):
        return type(node).__name__ + ":" + "+".join(sorted({type(p).__name__ for p in node.parts}))
    return type(node).__name__


def main(folder: Path, out: Path, per_agreement: int) -> None:
    rng = random.Random(2026)  # noqa: S311 - a reproducible sample, not a secret
    entries = []
    for scheme in read_schemes(folder):
        by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
        seen = set()
        for raw in scheme.rule_sets:
            for r in raw["rules"]:
                text = r.get("rule") or ""
                if not text.strip() or text in seen:
                    continue
                seen.add(text)
                node, _ = read(text)
                if any(isinstance(n, NeedsReview) for n in walk(node)):
                    continue
                by_kind[kind(node)].append((str(raw.get("heading")), text))
        kinds = sorted(by_kind)
        rng.shuffle(kinds)
        picked = []
        while len(picked) < per_agreement and any(by_kind[k] for k in kinds):
            for k in kinds:
                if by_kind[k] and len(picked) < per_agreement:
                    picked.append(by_kind[k].pop(rng.randrange(len(by_kind[k]))))
        for heading, text in picked:
            node, notes = read(text)
            entry = {
                "agreement": scheme.agreement,
                "heading": heading,
                "text": text,
                "rule": render(node),
            }
            if notes:
                entry["notes"] = list(notes)
            entries.append(entry)
    header = (
        "# Reviewed compiled rules: each text as the UK tariff publishes it, and the rule\n"
        "# it means in the compact notation (opencustoms.origin.notation). Sampled across\n"
        "# agreements and kinds of rule by tools/sample_rules.py, then checked by a person\n"
        "# against the text. A test compiles each text and compares.\n"
    )
    out.write_text(
        header
        + yaml.dump(
            {"rules": entries}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
        )
    )
    print(f"{len(entries)} rules written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 7)
