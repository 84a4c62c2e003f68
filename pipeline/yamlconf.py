"""Shared machinery of the YAML configuration files (sources.yaml, alerts.yaml).

Every problem is one line ``FILE:LINE: field: problem``; the line is found by walking the composed YAML
node tree along a pydantic error's location, so nested fields (``rules.0.match.jurisdictions``) point at
their own line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipeline.errors import ConfigError


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def key_nodes(mapping: yaml.MappingNode) -> dict[str, yaml.Node]:
    """The key nodes of a mapping by name (their line is the field's line)."""
    return {key.value: key for key, _ in mapping.value if isinstance(key, yaml.ScalarNode)}


def value_nodes(mapping: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {key.value: value for key, value in mapping.value if isinstance(key, yaml.ScalarNode)}


def compose(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of a YAML text; ConfigError on a syntax error."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: YAML syntax: {problem}", problems=[f"{where}: YAML syntax: {problem}"]) from exc


def line_at(node: yaml.Node, loc: tuple[Any, ...]) -> int:
    """The line of the deepest node of ``loc`` that exists (a key's line for a mapping field)."""
    line = line_of(node)
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            keys, values = key_nodes(node), value_nodes(node)
            if part not in keys:
                break
            line, node = line_of(keys[part]), values[part]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = line_of(node)
        else:
            break
    return line


def validation_problems(exc: ValidationError, node: yaml.Node, path: Path, default_field: str) -> list[str]:
    """``FILE:LINE: field: problem`` for each error of a pydantic validation of ``node``'s data."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = ".".join(str(part) for part in loc) if loc else default_field
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{path}:{line_at(node, loc)}: {field}: {message}")
    return problems


def raise_problems(problems: list[str], path: Path) -> None:
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in {path}",
                          problems=problems)
