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
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from pipeline.errors import ConfigError
from pipeline.yamlconf import compose, key_nodes, line_of, raise_problems, validation_problems

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
    kind: Literal["feed", "sitemap", "page"] = Field(
        "feed", description="feed (RSS/Atom/JSON Feed), sitemap (XML or news sitemap, sitemap index) or page."
    )
    interval: timedelta = Field(timedelta(minutes=30), description="How often to poll, e.g. 30m.")
    jurisdiction: str | None = Field(None, description="ISO code hint: US, GB, EU, CN, US-CA ...")
    tags: tuple[str, ...] = ()
    fetch_full_text: bool = True
    allow_private: bool = Field(False, description="Follow links inside the feed to private/loopback hosts.")
    min_interval: timedelta | None = Field(None, description="Never poll sooner than this, not even on retries.")
    link_pattern: str | None = Field(
        None, description="kind: page or sitemap: regex an article's absolute URL must match."
    )
    selector: str | None = Field(
        None, validate_default=True, description="kind: page: CSS selector of the article links."
    )
    rate: float | None = Field(None, gt=0, description="Requests per second to this source's hosts.")
    concurrency: int | None = Field(None, ge=1, description="Requests in flight at once to this source's hosts.")

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

    @field_validator("min_interval", mode="before")
    @classmethod
    def _check_min_interval(cls, value: Any, info: ValidationInfo) -> timedelta | None:
        if value is None:
            return None
        floor = cls._check_interval(value)
        interval = info.data.get("interval")
        if interval is not None and interval < floor:
            raise ValueError(f"must not be longer than interval ({_duration_text(interval)})")
        return floor

    @field_validator("selector")
    @classmethod
    def _check_selector(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            # (a link_pattern that is present but invalid is missing from info.data: reported on its own)
            if info.data.get("kind") == "page" and "link_pattern" in info.data and not info.data["link_pattern"]:
                raise ValueError("kind: page needs a selector or a link_pattern")
            return None
        if info.data.get("kind") != "page":
            raise ValueError("only for kind: page")
        from cssselect import SelectorError
        from lxml.cssselect import CSSSelector

        try:
            CSSSelector(value)
        except SelectorError as exc:
            raise ValueError(f"not a CSS selector: {exc}") from None
        return value.strip()

    @field_validator("link_pattern")
    @classmethod
    def _check_link_pattern(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("kind") == "feed":
            raise ValueError("only for kind: sitemap or page")
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

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


def _duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


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


def load_sources(path: Path | str) -> SourcesFile:
    """Read and validate a sources file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_sources(text, path)


def parse_sources(text: str, path: Path) -> SourcesFile:
    root, data = compose(text, path)

    def fail(line: int, field: str, problem: str) -> str:
        return f"{path}:{line}: {field}: {problem}"

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict) or "sources" not in data:
        problem = fail(1, "sources", "the file must be a mapping with a 'sources:' list")
        raise ConfigError(problem, problems=[problem])
    sources_node = dict((k.value, v) for k, v in root.value)["sources"]
    entries = data["sources"]
    if not isinstance(entries, list) or not isinstance(sources_node, yaml.SequenceNode):
        problem = fail(line_of(sources_node), "sources", "must be a list of sources")
        raise ConfigError(problem, problems=[problem])

    problems: list[str] = []
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for entry, node in zip(entries, sources_node.value, strict=True):
        if not isinstance(entry, dict) or not isinstance(node, yaml.MappingNode):
            problems.append(fail(line_of(node), "source", "must be a mapping of fields"))
            continue
        keys = key_nodes(node)
        try:
            source = Source.model_validate(entry)
        except ValidationError as exc:
            problems.extend(validation_problems(exc, node, path, "source"))
            continue
        if source.id in seen:
            first = seen[source.id]
            problems.append(fail(line_of(keys["id"]), "id", f"duplicate id {source.id!r} (first on line {first})"))
            continue
        seen[source.id] = line_of(keys["id"])
        sources.append(source)
    raise_problems(problems, path)
    return SourcesFile(path=path, sources=sources)
