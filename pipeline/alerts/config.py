"""alerts.yaml -> validated channels, watch rules and digest subscriptions.

Problems are reported like sources.yaml's, ``alerts.yaml:LINE: field: problem``, all of them at once
(``pipeline.yamlconf``). A missing file means no alerts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from pipeline.analyze.schema import EventType
from pipeline.errors import ConfigError, QueryError
from pipeline.sources import valid_jurisdiction
from pipeline.yamlconf import compose, key_nodes, line_of, raise_problems, validation_problems, value_nodes

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
EVENT_TYPES = frozenset(get_args(EventType))


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("use lower-case letters, digits, '-' and '_' (at most 64)")
    return value


def _words(value: Any) -> Any:
    """A single string is a list of one."""
    if value is None:
        return ()
    return [value] if isinstance(value, str) else value


def _addresses(value: Any) -> tuple[str, ...]:
    value = _words(value)
    if not isinstance(value, list | tuple) or not value:
        raise ValueError("must be a list of e-mail addresses")
    for address in value:
        if not isinstance(address, str) or not _EMAIL.match(address.strip()):
            raise ValueError(f"{address!r} is not an e-mail address")
    return tuple(address.strip() for address in value)


def _http_url(value: str) -> str:
    value = value.strip()
    if not re.match(r"^https?://[^/\s]+\S*$", value):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _env_name(value: str) -> str:
    if not _ENV.match(value):
        raise ValueError("must be the name of an environment variable")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailChannel(_Strict):
    type: Literal["email"]
    to: tuple[str, ...]

    _check_to = field_validator("to", mode="before")(classmethod(lambda cls, v: _addresses(v)))


class WebhookChannel(_Strict):
    type: Literal["webhook"]
    url: str
    secret_env: str | None = Field(None, description="Environment variable holding the HMAC secret.")

    _check_url = field_validator("url")(classmethod(lambda cls, v: _http_url(v)))
    _check_env = field_validator("secret_env")(classmethod(lambda cls, v: v if v is None else _env_name(v)))


class SlackChannel(_Strict):
    type: Literal["slack"]
    url: str | None = None
    url_env: str | None = Field(None, description="Environment variable holding the incoming-webhook URL.")

    _check_url = field_validator("url")(classmethod(lambda cls, v: v if v is None else _http_url(v)))
    _check_env = field_validator("url_env")(classmethod(lambda cls, v: v if v is None else _env_name(v)))

    def model_post_init(self, _context: Any) -> None:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")


Channel = Annotated[EmailChannel | WebhookChannel | SlackChannel, Field(discriminator="type")]
_channel_adapter: TypeAdapter[Any] = TypeAdapter(Channel)


class Match(_Strict):
    """What a rule (or a digest's filter) selects: AND across the fields given, OR within a list."""

    companies: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    min_confidence: float | None = Field(None, ge=0, le=1)
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("companies", "sources", "tags", mode="before")
    @classmethod
    def _check_words(cls, value: Any) -> Any:
        value = _words(value)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError("must be a list of names")
        return tuple(v.strip() for v in value)

    @field_validator("jurisdictions", mode="before")
    @classmethod
    def _check_jurisdictions(cls, value: Any) -> Any:
        value = _words(value)
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of ISO codes")
        codes = []
        for code in value:
            code = str(code).strip().upper()
            if not valid_jurisdiction(code):
                raise ValueError(f"{code!r} is not an ISO 3166 code (US, GB, CN, US-CA) or EU")
            codes.append(code)
        return tuple(codes)

    @field_validator("event_types", mode="before")
    @classmethod
    def _check_event_types(cls, value: Any) -> Any:
        value = _words(value)
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list of event types")
        for kind in value:
            if kind not in EVENT_TYPES:
                raise ValueError(f"{kind!r} is not an event type ({', '.join(sorted(EVENT_TYPES))})")
        return tuple(value)

    @property
    def empty(self) -> bool:
        return not (self.companies or self.jurisdictions or self.event_types or self.sources or self.tags
                    or self.min_confidence is not None)


def _check_query(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from pipeline.search import parse

    try:
        parse(value)
    except QueryError as exc:
        raise ValueError(f"not a search query: {exc.message}") from None
    return value.strip()


def _check_search(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _name(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"not a saved search name: {exc}") from None


class Rule(_Strict):
    name: str
    match: Match = Match()
    query: str | None = Field(None, description="Optional search query (the language of `regwatch search`).")
    search: str | None = Field(None, description="Optional saved search (`regwatch searches`), looked up when "
                                                 "the rule matches; ANDed with query.")
    channels: tuple[str, ...]

    _check_name = field_validator("name")(classmethod(lambda cls, v: _name(v)))
    _check_q = field_validator("query")(classmethod(lambda cls, v: _check_query(v)))
    _check_s = field_validator("search")(classmethod(lambda cls, v: _check_search(v)))

    @field_validator("channels", mode="before")
    @classmethod
    def _check_channels(cls, value: Any) -> Any:
        value = _words(value)
        if not isinstance(value, list | tuple) or not value or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a non-empty list of channel names")
        return tuple(value)

    def model_post_init(self, _context: Any) -> None:
        if self.match.empty and self.query is None and self.search is None:
            raise ValueError("a rule needs a match or a query (it would match every article)")


class DigestFilter(Match):
    query: str | None = None
    search: str | None = None  # a saved search, looked up when the digest is built; ANDed with query

    _check_q = field_validator("query")(classmethod(lambda cls, v: _check_query(v)))
    _check_s = field_validator("search")(classmethod(lambda cls, v: _check_search(v)))


class Digest(_Strict):
    """A daily digest subscription (sent by pipeline.alerts.digest)."""

    name: str
    to: tuple[str, ...]
    at: str = "07:30"
    timezone: str = "UTC"
    days: Literal["daily", "weekdays"] = "daily"
    filter: DigestFilter = DigestFilter()

    _check_name = field_validator("name")(classmethod(lambda cls, v: _name(v)))
    _check_to = field_validator("to", mode="before")(classmethod(lambda cls, v: _addresses(v)))

    @field_validator("at")
    @classmethod
    def _check_at(cls, value: str) -> str:
        match = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", str(value).strip())
        if not match:
            raise ValueError(f"{value!r} is not a time of day like 07:30")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone like Europe/London") from None
        return value


@dataclass(frozen=True)
class AlertsFile:
    path: Path
    channels: dict[str, EmailChannel | WebhookChannel | SlackChannel] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    digests: list[Digest] = field(default_factory=list)


def load_alerts(path: Path | str, *, missing_ok: bool = True) -> AlertsFile:
    """Read and validate an alerts file; a missing file is no alerts (unless ``missing_ok`` is False)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        if missing_ok:
            return AlertsFile(path)
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_alerts(text, path)


def parse_alerts(text: str, path: Path) -> AlertsFile:
    root, data = compose(text, path)
    if root is None:
        return AlertsFile(path)

    def fail(line: int, name: str, problem: str) -> str:
        return f"{path}:{line}: {name}: {problem}"

    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        problem = fail(1, "alerts", "the file must be a mapping with 'channels:', 'rules:' and 'digests:'")
        raise ConfigError(problem, problems=[problem])
    keys, values = key_nodes(root), value_nodes(root)
    problems = [fail(line_of(keys[k]), k, "unknown section (channels, rules or digests)")
                for k in keys if k not in ("channels", "rules", "digests")]

    channels: dict[str, Any] = {}
    channels_data = data.get("channels") or {}
    if "channels" in keys and not isinstance(channels_data, dict):
        problems.append(fail(line_of(keys["channels"]), "channels", "must be a mapping of name: channel"))
        channels_data = {}
    channel_keys = key_nodes(values["channels"]) if isinstance(values.get("channels"), yaml.MappingNode) else {}
    channel_values = value_nodes(values["channels"]) if isinstance(values.get("channels"), yaml.MappingNode) else {}
    for name, entry in channels_data.items():
        where = channel_keys.get(str(name), root)
        try:
            _name(str(name))
        except ValueError as exc:
            problems.append(fail(line_of(where), f"channels.{name}", str(exc)))
            continue
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in ("email", "webhook", "slack"):
            problem = "required field is missing" if kind is None else f"{kind!r} is not email, webhook or slack"
            problems.append(fail(line_of(where), f"channels.{name}.type", problem))
            continue
        try:
            channels[str(name)] = _channel_adapter.validate_python(entry)
        except ValidationError as exc:
            for problem in validation_problems(exc, channel_values.get(str(name), where), path, "url"):
                # "FILE:LINE: FIELD: ..." -> "FILE:LINE: channels.NAME.FIELD: ..." (the tagged union adds the type)
                head, _, rest = problem.partition(": ")
                fld, _, message = rest.partition(": ")
                fld = ".".join(p for p in fld.split(".") if p not in ("email", "webhook", "slack")) or "url"
                problems.append(f"{head}: channels.{name}.{fld}: {message}")

    rules = _entries(data, keys, values, "rules", Rule, path, problems)
    raw_rules = data.get("rules") if isinstance(data.get("rules"), list) else []
    for index, (entry, node) in enumerate(zip(raw_rules, getattr(values.get("rules"), "value", []), strict=False)):
        named = _words(entry.get("channels")) if isinstance(entry, dict) else ()
        for channel in named if isinstance(named, list | tuple) else ():
            if isinstance(channel, str) and channel not in channels_data:
                line = line_of(value_nodes(node).get("channels", node)) if isinstance(node, yaml.MappingNode) else 1
                known = ", ".join(map(str, channels_data)) or "none defined"
                problems.append(fail(line, f"rules.{index}.channels", f"no channel named {channel!r} ({known})"))
    digests = _entries(data, keys, values, "digests", Digest, path, problems)
    for section, entries in (("rules", rules), ("digests", digests)):
        seen: dict[str, int] = {}
        for index, entry in entries:
            if entry.name in seen:
                problems.append(fail(line_of(values[section].value[index]), f"{section}.{index}.name",
                                     f"duplicate name {entry.name!r} (first is entry {seen[entry.name]})"))
            seen.setdefault(entry.name, index)
    problems.sort(key=lambda p: int(p[len(str(path)) + 1:].split(":", 1)[0]))  # in file order
    raise_problems(problems, path)
    return AlertsFile(path, channels, [r for _, r in rules], [d for _, d in digests])


def _entries(data: dict, keys: dict, values: dict, section: str, model: type[BaseModel], path: Path,
             problems: list[str]) -> list[tuple[int, Any]]:
    entries = data.get(section)
    if entries is None:
        return []
    node = values[section]
    if not isinstance(entries, list) or not isinstance(node, yaml.SequenceNode):
        problems.append(f"{path}:{line_of(keys[section])}: {section}: must be a list")
        return []
    result = []
    for index, (entry, entry_node) in enumerate(zip(entries, node.value, strict=True)):
        try:
            result.append((index, model.model_validate(entry)))
        except ValidationError as exc:
            for problem in validation_problems(exc, entry_node, path, "match" if section == "rules" else "filter"):
                head, _, rest = problem.partition(": ")
                problems.append(f"{head}: {section}.{index}.{rest}")
    return result
