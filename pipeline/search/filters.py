"""Field filters of the query language: as SQL conditions on an article row, and evaluated in Python.

The SQL (``filter_sql``) serves ``run_search`` on both backends; the Python (``filters_match``) serves alert
rules and digests, which check one article at a time. Both give the same answer for the same article:

- ``company:``: a company of the analysis, or an event's actor, with this name (case-insensitive);
- ``jurisdiction:``: a jurisdiction of the article or of one of its events; ``US`` also covers ``US-CA``;
- ``type:`` / ``status:``: an event of this type / status (given together: one event of both);
- ``source:`` / ``tag:``: the article's source id / a tag of its source;
- ``since:`` / ``until:``: the article's date (published, else fetched) from / up to the given day,
  month or year, or from / up to a time ago (``7d``, ``2w``, ``3m``, ``1y``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.search.query import Filter

ARTICLE_DATE = "COALESCE(a.published, a.fetched_at)"
#: The same date in SQLite's ``article_fts_rank`` (migration 0007), which ranking reads instead of the article rows
RANK_DATE = "a.day"

_RELATIVE = re.compile(r"^(\d{1,4})([dwmy])$")
_ABSOLUTE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def date_bound(value: str, field: str, now: datetime) -> datetime:
    """The instant a ``since:`` (inclusive) or ``until:`` (exclusive) value stands for, in UTC."""
    relative = _RELATIVE.match(value.lower())
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        if unit in "dw":
            return now - timedelta(days=count * (7 if unit == "w" else 1))
        months = count * (12 if unit == "y" else 1)
        return _add_months(now, -months)
    found = _ABSOLUTE.match(value)
    if found is None:  # parse() already refused it; this is a programming error
        raise ValueError(f"not a date: {value!r}")
    year, month, day = found.groups()
    start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
    if field == "since":
        return start
    if day:
        return start + timedelta(days=1)
    if month:
        return _add_months(start, 1)
    return start.replace(year=start.year + 1)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class FilterSQL:
    """SQL conditions on ``article AS a`` (ANDed) and their bound parameters."""

    conditions: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    date_params: list[str] = field(default_factory=list)  # names bound as UTC datetimes
    date: str = ARTICLE_DATE  # the SQL of the article's date

    def bind(self, prefix: str, values: Iterable[Any]) -> list[str]:
        names = []
        for value in values:
            name = f"{prefix}_{len(self.params)}"
            self.params[name] = value
            names.append(f":{name}")
        return names

    @property
    def where(self) -> str:
        return " AND ".join(self.conditions) if self.conditions else "1 = 1"


def filter_sql(filters: tuple[Filter, ...], dialect: str, now: datetime,
               tagged_sources: dict[str, list[str]], date: str = ARTICLE_DATE) -> FilterSQL:
    """The conditions of ``filters``; ``tagged_sources`` maps each tag asked for to the ids of its sources.

    ``a`` is the article row or any row with its ``id`` and ``source_id``; ``date`` is its date expression
    (``ARTICLE_DATE`` on ``article``, ``RANK_DATE`` on SQLite's ``article_fts_rank``)."""
    sql = FilterSQL(date=date)
    positive_events = [f for f in filters if f.field in ("type", "status") and not f.negated]
    if positive_events:
        sql.conditions.append(_event_exists(sql, positive_events))
    for item in filters:
        if item.field in ("type", "status") and not item.negated:
            continue
        condition = _condition(sql, item, dialect, now, tagged_sources)
        sql.conditions.append(f"NOT ({condition})" if item.negated else condition)
    return sql


def _condition(sql: FilterSQL, item: Filter, dialect: str, now: datetime,
               tagged_sources: dict[str, list[str]]) -> str:
    if item.field == "company":
        names = ", ".join(sql.bind("company", (v.lower() for v in item.values)))
        return (f"(EXISTS (SELECT 1 FROM entity e WHERE e.article_id = a.id AND e.kind = 'company' "
                f"AND lower(e.name) IN ({names})) OR EXISTS (SELECT 1 FROM event v WHERE v.article_id = a.id "
                f"AND lower(v.actor) IN ({names})))")
    if item.field == "jurisdiction":
        return "(" + " OR ".join(_jurisdiction(sql, code, dialect) for code in item.values) + ")"
    if item.field in ("type", "status"):
        return _event_exists(sql, [item])
    if item.field == "source":
        return f"a.source_id IN ({', '.join(sql.bind('source', item.values))})"
    if item.field == "tag":
        ids = sorted({source for tag in item.values for source in tagged_sources.get(tag, [])})
        return f"a.source_id IN ({', '.join(sql.bind('tag', ids))})" if ids else "1 = 0"
    if item.field in ("since", "until"):
        [name] = sql.bind(item.field, [date_bound(item.values[0], item.field, now)])
        sql.date_params.append(name[1:])
        return f"{sql.date} {'>=' if item.field == 'since' else '<'} {name}"
    raise ValueError(f"unknown filter field {item.field!r}")


def _event_exists(sql: FilterSQL, items: list[Filter]) -> str:
    parts = []
    for item in items:
        column = "v.type" if item.field == "type" else "v.status"
        parts.append(f"{column} IN ({', '.join(sql.bind(item.field, item.values))})")
    return f"EXISTS (SELECT 1 FROM event v WHERE v.article_id = a.id AND {' AND '.join(parts)})"


def _jurisdiction(sql: FilterSQL, code: str, dialect: str) -> str:
    exact, prefix = sql.bind("jurisdiction", [code, code + "-%"])
    if dialect == "sqlite":
        # article_fts_place (migration 0007): the same codes, read as one index range. [upper(code), upper(code)
        # + ".") holds every code equal to it or LIKE "code-%" (LIKE ignores ASCII case, as upper() does),
        # and the same two conditions as below then pick exactly those.
        low, high = sql.bind("jurisdiction", [code.upper(), code.upper() + "."])
        return (f"a.id IN (SELECT p.article_id FROM article_fts_place AS p WHERE p.ucode >= {low} "
                f"AND p.ucode < {high} AND (p.code = {exact} OR p.code LIKE {prefix}))")
    elements = ("json_each(v.jurisdictions) AS j" if dialect == "sqlite"
                else "json_array_elements_text(v.jurisdictions) AS j(value)")
    return (f"EXISTS (SELECT 1 FROM entity e WHERE e.article_id = a.id AND e.kind = 'jurisdiction' "
            f"AND (e.code = {exact} OR e.code LIKE {prefix})) OR EXISTS (SELECT 1 FROM event v, {elements} "
            f"WHERE v.article_id = a.id AND (j.value = {exact} OR j.value LIKE {prefix}))")


# -- in Python, one article at a time ---------------------------------------------------------


def filters_match(filters: tuple[Filter, ...], *, analysis: dict[str, Any] | None, source_id: str,
                  source_tags: Iterable[str] = (), published: datetime | None = None,
                  now: datetime | None = None) -> bool:
    """Whether one article passes every filter (the Python twin of ``filter_sql``).

    A date filter passes an article without a date (a rule checks articles as they arrive)."""
    analysis = analysis or {}
    events = [e for e in analysis.get("events") or [] if isinstance(e, dict) and e.get("type")]
    positive_events = [f for f in filters if f.field in ("type", "status") and not f.negated]
    if positive_events and not any(all(_event_has(e, f) for f in positive_events) for e in events):
        return False
    tags = {t.lower() for t in source_tags}
    moment = now or datetime.now(UTC)
    for item in filters:
        if item.field in ("type", "status") and not item.negated:
            continue
        if item.field == "company":
            named = [str(c.get("name")) for c in analysis.get("companies") or [] if isinstance(c, dict)]
            named += [str(e["actor"]) for e in events if e.get("actor")]
            result = bool({n.lower() for n in named} & {v.lower() for v in item.values})
        elif item.field == "jurisdiction":
            codes = [str(j.get("code")) for j in analysis.get("jurisdictions") or [] if isinstance(j, dict)]
            codes += [str(c) for e in events for c in _codes(e)]
            result = any(c == w or c.startswith(w + "-") for w in item.values for c in codes)
        elif item.field in ("type", "status"):
            result = any(_event_has(e, item) for e in events)
        elif item.field == "source":
            result = source_id in item.values
        elif item.field == "tag":
            result = bool(tags & set(item.values))
        elif item.field in ("since", "until"):
            if published is None:
                continue
            bound = date_bound(item.values[0], item.field, moment)
            when = published if published.tzinfo else published.replace(tzinfo=UTC)
            result = when >= bound if item.field == "since" else when < bound
        else:
            raise ValueError(f"unknown filter field {item.field!r}")
        if result == item.negated:
            return False
    return True


def _event_has(event: dict[str, Any], item: Filter) -> bool:
    return str(event.get(item.field if item.field == "type" else "status")) in item.values


def _codes(event: dict[str, Any]) -> list[str]:
    codes = event.get("jurisdictions") or []
    return [codes] if isinstance(codes, str) else [str(c) for c in codes]
