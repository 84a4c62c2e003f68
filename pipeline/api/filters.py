"""Filters and cursors of the list endpoints, the exports and `regwatch export`, parsed in one place.

Every value a user sends is checked here and refused with a QueryError whose message names the
parameter (``jurisdiction: unknown jurisdiction 'Narnia'``), which the API turns into a 400 and the
CLI into one line. Cursors are opaque to clients: URL-safe base64 of a small JSON document holding the
sort key of the last row returned (keyset pagination), the list it belongs to and a digest of the
filters, so a cursor replayed against another list or other filters is refused instead of silently
skipping rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

from pipeline.analyze.schema import EventType, Status
from pipeline.errors import QueryError

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
STATUSES: tuple[str, ...] = get_args(Status)


class FilterError(QueryError):
    """A bad filter, cursor or limit of a list or export (a 400 in the API, one line in the CLI)."""

    stage = "filter"


_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_RELATIVE = re.compile(r"^(\d{1,4})([dwmy])$")
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_RELATIVE_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
MAX_VALUE_LENGTH = 200


@dataclass(frozen=True)
class EventFilter:
    """What /api/events, /api/stories, /api/stats and the exports select on (all optional, combined with AND).

    ``since``/``until`` bound the article's publication time (its fetch time when undated), UTC,
    ``since`` inclusive and ``until`` exclusive.
    """

    jurisdiction: str | None = None  # a code; ``US`` also matches ``US-CA``
    type: str | None = None
    company: str | None = None
    source: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: The parameters as the user gave them (``since=7d``), and the time relative ones were resolved at:
    #: cursors carry both, so the next pages resolve ``7d`` against the first page's time, not a later one.
    asked: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    now: datetime | None = field(default=None, compare=False)

    def digest(self) -> str:
        """A short fingerprint of the filters as asked, bound into cursors."""
        if self.asked:
            data: Any = sorted(self.asked)
        else:
            data = {key: (value.isoformat() if isinstance(value, datetime) else value)
                    for key, value in asdict(self).items() if key not in ("asked", "now")}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def build_filter(*, jurisdiction: str | None = None, type: str | None = None, company: str | None = None,
                 source: str | None = None, status: str | None = None, since: str | None = None,
                 until: str | None = None, now: datetime | None = None) -> EventFilter:
    """An EventFilter from raw user strings; QueryError naming the parameter on a bad one."""
    given = {"jurisdiction": jurisdiction, "type": type, "company": company, "source": source, "status": status,
             "since": since, "until": until}
    for name, value in given.items():
        if value is not None and len(value) > MAX_VALUE_LENGTH:
            raise FilterError(f"{name}: longer than {MAX_VALUE_LENGTH} characters")
        if value is not None and "\x00" in value:
            raise FilterError(f"{name}: contains a NUL character")
    now = now or datetime.now(UTC)
    start = parse_when(since, "since", now=now, end=False) if _given(since) else None
    stop = parse_when(until, "until", now=now, end=True) if _given(until) else None
    if start is not None and stop is not None and start >= stop:
        raise FilterError(f"since ({since}) is not before until ({until})")
    return EventFilter(
        jurisdiction=parse_jurisdiction(jurisdiction) if _given(jurisdiction) else None,
        type=_one_of("type", type, EVENT_TYPES) if _given(type) else None,
        company=" ".join(company.split()) if _given(company) else None,
        source=_source(source) if _given(source) else None,
        status=_one_of("status", status, STATUSES) if _given(status) else None,
        since=start,
        until=stop,
        asked=tuple((name, value.strip()) for name, value in given.items() if _given(value)),
        now=now,
    )


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    cleaned = value.strip().lower().replace("-", "_").replace(" ", "_")
    if cleaned not in allowed:
        raise FilterError(f"{name}: unknown value {value.strip()!r}; one of {', '.join(allowed)}")
    return cleaned


def _source(value: str) -> str:
    cleaned = value.strip()
    if not _SOURCE_ID.match(cleaned):
        raise FilterError(f"source: {cleaned!r} is not a source id (lower-case letters, digits, - and _)")
    return cleaned


def parse_jurisdiction(value: str) -> str:
    """An ISO code (``CN``, ``us-ca``, ``EU``) or a name the analysis knows (``China``, ``mainland China``): the
    same reading as the query language's ``jurisdiction:`` filter."""
    from pipeline.search.query import resolve_jurisdiction

    cleaned = " ".join(value.split())
    try:
        return resolve_jurisdiction(cleaned)
    except QueryError:
        raise FilterError(f"jurisdiction: unknown jurisdiction {cleaned!r} (give an ISO code such as CN, "
                          "US-CA or EU, or a country name)") from None


def parse_when(value: str, name: str, *, now: datetime, end: bool) -> datetime:
    """``2025-06-01``, ``2025-06``, ``2025``, an ISO datetime, or ``7d``/``2w``/``3m``/``1y`` ago (UTC).

    As an upper bound (``end``), a date or partial date covers its whole day, month or year.
    """
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        days = int(relative.group(1)) * _RELATIVE_DAYS[relative.group(2)]
        return now - timedelta(days=days)
    partial = _PARTIAL.match(text)
    if partial:
        year, month = int(partial.group(1)), partial.group(2)
        try:
            if month is None:
                return datetime(year + (1 if end else 0), 1, 1, tzinfo=UTC)
            first = date(year, int(month), 1)
        except ValueError:
            raise FilterError(f"{name}: {text!r} is not a valid date") from None
        if end:
            first = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end else 0), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name}: {text!r} is not a date (2025-06-01, 2025-06, an ISO datetime, or 7d, 2w, "
                         "3m, 1y)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# -- cursors -----------------------------------------------------------------------------------------------------


def encode_cursor(kind: str, filters: EventFilter, key: list[Any]) -> str:
    """An opaque cursor that resumes ``kind`` after the row whose sort key is ``key``."""
    data: dict[str, Any] = {"v": 1, "l": kind, "f": filters.digest(), "k": key}
    if filters.now is not None:
        data["n"] = filters.now.isoformat()
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("k"), list):
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError):
        raise FilterError("cursor: not a cursor given by this API (pass next_cursor back unchanged)") from None
    return data


def cursor_time(cursor: str | None) -> datetime | None:
    """The time the first page resolved relative dates at, if ``cursor`` carries one (else None; a bad
    cursor is reported by ``decode_cursor``)."""
    if not cursor:
        return None
    try:
        moment = _read_cursor(cursor).get("n")
        return datetime.fromisoformat(moment).astimezone(UTC) if isinstance(moment, str) else None
    except (FilterError, ValueError):
        return None


def decode_cursor(cursor: str, kind: str, filters: EventFilter) -> list[Any]:
    """The sort key held by ``cursor``; QueryError if it is not one of ours, or not for this list."""
    data = _read_cursor(cursor)
    if data.get("l") != kind:
        raise FilterError(f"cursor: this cursor belongs to another list or filter set, not {kind}")
    if data.get("f") != filters.digest():
        raise FilterError("cursor: the filters changed since this cursor was given; start again without a cursor")
    return data["k"]
