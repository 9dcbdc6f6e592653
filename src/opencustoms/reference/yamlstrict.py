"""A strict YAML loader for legal data and legal cases.

Refuses duplicate keys (YAML would silently keep the last one, which in a legal
parameter file means a silently wrong law) and reports file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from opencustoms.kernel.errors import N_, Finding, InvalidInput


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml_text(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line = mark.line + 1 if mark is not None else 0
        raise InvalidInput(
            Finding(
                "yaml.invalid",
                N_("%(source)s, line %(line)s: %(problem)s"),
                {"source": source, "line": line, "problem": e.problem or str(e)},
            )
        ) from None
    except yaml.YAMLError as e:
        raise InvalidInput(
            Finding(
                "yaml.invalid", N_("%(source)s: %(problem)s"), {"source": source, "problem": str(e)}
            )
        ) from None


def load_yaml_file(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"), str(path))
