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
    except (yaml.YAMLError, ValueError) as e:  # ValueError: a value YAML cannot build (2021-02-30)
        raise InvalidInput(
            Finding(
                "yaml.invalid", N_("%(source)s: %(problem)s"), {"source": source, "problem": str(e)}
            )
        ) from None


def load_yaml_file(path: Path) -> Any:
    return load_yaml_text(path.read_text(encoding="utf-8"), str(path))


class Node:
    """A YAML value with where it stands, for strict readers that report file and line."""

    def __init__(self, node: yaml.Node, source: str) -> None:
        self.node = node
        self.source = source

    @property
    def line(self) -> int:
        return int(self.node.start_mark.line) + 1

    def error(self, message: str, **params: Any) -> InvalidInput:
        return InvalidInput(
            Finding(
                "yaml.invalid_value",
                N_("%(source)s, line %(line)s: %(problem)s"),
                {"source": self.source, "line": self.line, "problem": message % params},
            )
        )

    def mapping(self, required: set[str], optional: set[str]) -> dict[str, Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("expected a mapping with %(keys)s", keys=", ".join(sorted(required)))
        out: dict[str, Node] = {}
        for key_node, value_node in self.node.value:
            key = str(key_node.value)
            if key in out:
                raise Node(key_node, self.source).error("duplicate key '%(key)s'", key=key)
            if key not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                raise Node(key_node, self.source).error(
                    "unknown field '%(key)s'; allowed: %(allowed)s", key=key, allowed=allowed
                )
            out[key] = Node(value_node, self.source)
        missing = required - set(out)
        if missing:
            raise self.error("missing field(s) %(fields)s", fields=", ".join(sorted(missing)))
        return out

    def sequence(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("expected a list")
        return [Node(n, self.source) for n in self.node.value]

    def text(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode) or self.is_null():
            raise self.error("expected text")
        return str(self.node.value)

    def is_null(self) -> bool:
        return isinstance(self.node, yaml.ScalarNode) and self.node.tag.endswith(":null")

    def boolean(self) -> bool:
        value = self.text().lower()
        if value not in ("true", "false", "yes", "no"):
            raise self.error("expected true or false, not '%(value)s'", value=value)
        return value in ("true", "yes")

    def integer(self) -> int:
        value = self.text()
        if not value.isdigit():
            raise self.error("expected a whole number, not '%(value)s'", value=value)
        return int(value)


def compose_text(text: str, source: str) -> Node:
    """The document's node tree (duplicate keys refused), for strict, line-aware reading."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        raise InvalidInput(
            Finding(
                "yaml.invalid",
                N_("%(source)s, line %(line)s: %(problem)s"),
                {"source": source, "line": mark.line + 1 if mark else 0, "problem": e.problem},
            )
        ) from None
    if root is None:
        raise InvalidInput(
            Finding("yaml.empty", N_("%(source)s: the file is empty."), {"source": source})
        )
    return Node(root, source)
