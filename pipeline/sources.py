"""sources.yaml -> validated ``Source`` objects.

Every problem is reported as ``FILE:LINE: field: problem`` so a user can go
straight to the bad line; all problems of a file are collected, not just the
first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pycountry
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def parse_duration(value: str | int) -> timedelta:
    """'30m' -> 30 minutes. Bare integers are seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration like 90s, 30m, 2h or 1d")
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return timedelta(seconds=seconds)


def valid_jurisdiction(code: str) -> bool:
    """ISO 3166-1 alpha-2, ISO 3166-2 subdivision, or EU."""
    if code == "EU":
        return True
    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return pycountry.countries.get(alpha_2=code) is not None


class Source(BaseModel):
    """One watched source, as written in sources.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Short unique id: lower-case letters, digits, - and _.")
    name: str = Field(min_length=1)
    url: str
    kind: Literal["feed"] = "feed"
    interval: timedelta = Field(timedelta(minutes=30), description="How often to poll, e.g. 30m.")
    jurisdiction: str | None = Field(None, description="ISO code hint: US, GB, EU, CN, US-CA ...")
    tags: tuple[str, ...] = ()
    fetch_full_text: bool = True
    allow_private: bool = Field(False, description="Follow links inside the feed to private/loopback hosts.")

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' (at most 64)")
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^(https?://[^/\s]+|file://)\S*$", value):
            raise ValueError("must be an http://, https:// or file:// URL")
        return value

    @field_validator("interval", mode="before")
    @classmethod
    def _check_interval(cls, value: Any) -> timedelta:
        if isinstance(value, timedelta):
            return value
        interval = parse_duration(value)
        if interval < timedelta(minutes=1):
            raise ValueError("must be at least 1m")
        return interval

    @field_validator("jurisdiction")
    @classmethod
    def _check_jurisdiction(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().upper()
        if not valid_jurisdiction(code):
            raise ValueError(f"{value!r} is not an ISO 3166 code (US, GB, CN, US-CA) or EU")
        return code

    @field_validator("tags", mode="before")
    @classmethod
    def _check_tags(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(tag, str) and tag.strip() for tag in value):
            raise ValueError("must be a list of words")
        return tuple(tag.strip().lower() for tag in value)


@dataclass(frozen=True)
class SourcesFile:
    path: Path
    sources: list[Source]

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"{self.path}: no source with id {source_id!r} (known: {known})")


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _key_nodes(mapping: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {key.value: key for key, _ in mapping.value if isinstance(key, yaml.ScalarNode)}


def load_sources(path: Path | str) -> SourcesFile:
    """Read and validate a sources file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_sources(text, path)


def parse_sources(text: str, path: Path) -> SourcesFile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: YAML syntax: {problem}", problems=[f"{where}: YAML syntax: {problem}"]) from exc

    def fail(line: int, field: str, problem: str) -> str:
        return f"{path}:{line}: {field}: {problem}"

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict) or "sources" not in data:
        problem = fail(1, "sources", "the file must be a mapping with a 'sources:' list")
        raise ConfigError(problem, problems=[problem])
    sources_node = dict((k.value, v) for k, v in root.value)["sources"]
    entries = data["sources"]
    if not isinstance(entries, list) or not isinstance(sources_node, yaml.SequenceNode):
        problem = fail(_line(sources_node), "sources", "must be a list of sources")
        raise ConfigError(problem, problems=[problem])

    problems: list[str] = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for entry, node in zip(entries, sources_node.value, strict=True):
        if not isinstance(entry, dict) or not isinstance(node, yaml.MappingNode):
            problems.append(fail(_line(node), "source", "must be a mapping of fields"))
            continue
        keys = _key_nodes(node)
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "source"
                line = _line(keys[field]) if field in keys else _line(node)
                message = err["msg"].removeprefix("Value error, ")
                if err["type"] == "missing":
                    message = "required field is missing"
                elif err["type"] == "extra_forbidden":
                    message = "unknown field"
                problems.append(fail(line, field, message))
            continue
        if source.id in seen:
            first = seen[source.id]
            problems.append(fail(_line(keys["id"]), "id", f"duplicate id {source.id!r} (first on line {first})"))
            continue
        seen[source.id] = _line(keys["id"])
        sources.append(source)
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in {path}",
                          problems=problems)
    return SourcesFile(path=path, sources=sources)
