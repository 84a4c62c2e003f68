"""Read-only queries behind the API, the exports and the web pages: events, stories, articles, stats, sources.

Lists are paged by keyset (newest first: the publication time of the article, or of the story's first
article, then the id, both descending), so a page never repeats or skips a row when new articles arrive
between two requests. The filters (``EventFilter``) are applied in SQL on both backends; the one part
that differs is looking into the JSON list of an event's jurisdictions (``json_each`` on SQLite,
``json_array_elements_text`` on PostgreSQL). Results are plain dicts shaped as the API returns them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.engine import Connection

from pipeline.api.filters import EventFilter, FilterError, decode_cursor, encode_cursor
from pipeline.store import Store
from pipeline.store.models import Article, Entity, Event, Source, Story
from pipeline.store.repo import SourceState
from pipeline.store.types import as_utc

log = logging.getLogger(__name__)

article_t = Article.__table__
entity_t = Entity.__table__
event_t = Event.__table__
source_t = Source.__table__
story_t = Story.__table__

MAX_LIMIT = 500
MAX_ID = 2**63 - 1  # the largest integer SQLite stores
article_when = func.coalesce(article_t.c.published, article_t.c.fetched_at)
_EARLIEST = article_t.alias("earliest")
story_when = func.coalesce(_EARLIEST.c.published, story_t.c.first_seen)

_JSON_CODES = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(event.jurisdictions) AS ej "
              "WHERE ej.value = :jur OR ej.value LIKE :jur_prefix)",
    "postgresql": "EXISTS (SELECT 1 FROM json_array_elements_text(event.jurisdictions) AS ej(value) "
                  "WHERE ej.value = :jur OR ej.value LIKE :jur_prefix)",
}


@dataclass
class Page:
    """One page of a list and the cursor of the next one (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _event_jurisdiction(conn: Connection, code: str) -> Any:
    sql = _JSON_CODES.get(conn.dialect.name)
    if sql is None:
        raise FilterError(f"jurisdiction filters need SQLite or PostgreSQL, not {conn.dialect.name}")
    return text(sql).bindparams(jur=code, jur_prefix=f"{code}-%")


def event_conditions(conn: Connection, filters: EventFilter) -> list[Any]:
    """Conditions on a join of event and article."""
    where: list[Any] = []
    if filters.type:
        where.append(event_t.c.type == filters.type)
    if filters.status:
        where.append(event_t.c.status == filters.status)
    if filters.company:
        where.append(func.lower(event_t.c.actor) == filters.company.lower())
    if filters.source:
        where.append(article_t.c.source_id == filters.source)
    if filters.jurisdiction:
        where.append(_event_jurisdiction(conn, filters.jurisdiction))
    if filters.since:
        where.append(article_when >= filters.since)
    if filters.until:
        where.append(article_when < filters.until)
    return where


def _key(cursor: str | None, kind: str, filters: EventFilter) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    key = decode_cursor(cursor, kind, filters)
    try:
        when, row_id = key
        if not isinstance(row_id, int) or not 0 <= row_id <= MAX_ID:
            raise ValueError(row_id)
        return as_utc(datetime.fromisoformat(when)), row_id
    except (TypeError, ValueError):
        raise FilterError("cursor: not a cursor given by this API (pass next_cursor back unchanged)") from None


def _after(when: Any, row_id: Any, key: tuple[datetime, int]) -> Any:
    """Rows after the cursor's row in (when, id) descending order: the keyset condition."""
    moment, last_id = key
    return or_(when < moment, and_(when == moment, row_id < last_id))


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit: must be between 1 and {MAX_LIMIT}, not {limit}")


# -- events ------------------------------------------------------------------------------------------------------


def event_json(row: Any) -> dict[str, Any]:
    """The analysis event object plus where it was found (story, article, publication, source, title, URL)."""
    return {
        "id": row.id,
        "type": row.type,
        "actor": row.actor,
        "actor_kind": row.actor_kind,
        "jurisdictions": [str(code) for code in (row.jurisdictions or [])],
        "effective_date": row.effective_date,
        "status": row.status,
        "confidence": row.confidence,
        "evidence": row.evidence,
        "story_id": row.story_id,
        "article_id": row.article_id,
        "published": iso(row.published),
        "source": row.source_id,
        "title": row.title,
        "url": row.url,
    }


def _events_select() -> Any:
    return (
        select(event_t.c.id, event_t.c.type, event_t.c.actor, event_t.c.actor_kind, event_t.c.jurisdictions,
               event_t.c.effective_date, event_t.c.status, event_t.c.confidence, event_t.c.evidence,
               event_t.c.article_id, article_t.c.story_id, article_t.c.published, article_t.c.source_id,
               article_t.c.title, article_t.c.url, article_when.label("sort_when"))
        .join(article_t, article_t.c.id == event_t.c.article_id)
    )


def events_page(store: Store, filters: EventFilter, *, limit: int = 50, cursor: str | None = None) -> Page:
    """Events matching ``filters``, newest article first."""
    _check_limit(limit)
    key = _key(cursor, "events", filters)
    with store._read() as conn:
        statement = _events_select().where(*event_conditions(conn, filters))
        if key is not None:
            statement = statement.where(_after(article_when, event_t.c.id, key))
        rows = conn.execute(
            statement.order_by(article_when.desc(), event_t.c.id.desc()).limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor("events", filters, [iso(rows[-1].sort_when), rows[-1].id]) if more else None
    return Page([event_json(row) for row in rows], next_cursor)


def iter_events(store: Store, filters: EventFilter, *, batch: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
    """Every event matching ``filters``, in the order of the pages, for exports.

    The ids are sorted once, then read ``batch`` at a time by primary key: walking the keyset pages
    would sort the whole selection again for every page. Rows deleted meanwhile are skipped.
    """
    with store._read() as conn:
        ids = conn.execute(
            select(event_t.c.id).join(article_t, article_t.c.id == event_t.c.article_id)
            .where(*event_conditions(conn, filters)).order_by(article_when.desc(), event_t.c.id.desc())
        ).scalars().all()
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        with store._read() as conn:
            rows = {row.id: row for row in conn.execute(_events_select().where(event_t.c.id.in_(chunk)))}
        yield from (event_json(rows[event_id]) for event_id in chunk if event_id in rows)


# -- stories -----------------------------------------------------------------------------------------------------


def _story_conditions(conn: Connection, filters: EventFilter) -> list[Any]:
    """A story matches when its articles carry what the filters ask (see the README, HTTP API)."""
    where: list[Any] = []
    if filters.source:
        where.append(story_t.c.id.in_(select(article_t.c.story_id).where(article_t.c.source_id == filters.source)))
    event_where = [event_t.c.type == filters.type] if filters.type else []
    if filters.status:
        event_where.append(event_t.c.status == filters.status)
    if event_where:
        where.append(story_t.c.id.in_(
            select(article_t.c.story_id).join(event_t, event_t.c.article_id == article_t.c.id).where(*event_where)
        ))
    if filters.company:
        name = filters.company.lower()
        where.append(or_(
            story_t.c.id.in_(select(article_t.c.story_id).join(event_t, event_t.c.article_id == article_t.c.id)
                             .where(func.lower(event_t.c.actor) == name)),
            story_t.c.id.in_(select(article_t.c.story_id).join(entity_t, entity_t.c.article_id == article_t.c.id)
                             .where(entity_t.c.kind == "company", func.lower(entity_t.c.name) == name)),
        ))
    if filters.jurisdiction:
        code = filters.jurisdiction
        where.append(or_(
            story_t.c.id.in_(select(article_t.c.story_id).join(event_t, event_t.c.article_id == article_t.c.id)
                             .where(_event_jurisdiction(conn, code))),
            story_t.c.id.in_(select(article_t.c.story_id).join(entity_t, entity_t.c.article_id == article_t.c.id)
                             .where(entity_t.c.kind == "jurisdiction",
                                    or_(entity_t.c.code == code, entity_t.c.code.like(f"{code}-%")))),
        ))
    if filters.since:
        where.append(story_when >= filters.since)
    if filters.until:
        where.append(story_when < filters.until)
    return where


def _stories_select(conn: Connection, filters: EventFilter, with_events: bool | None) -> Any:
    statement = (
        select(story_t.c.id, story_t.c.title, story_t.c.first_seen, story_t.c.last_seen,
               story_t.c.article_count, _EARLIEST.c.url, _EARLIEST.c.published, story_when.label("sort_when"))
        .select_from(story_t.outerjoin(_EARLIEST, _EARLIEST.c.id == story_t.c.earliest_article_id))
        .where(*_story_conditions(conn, filters))
    )
    if with_events is not None:
        with_any = select(article_t.c.story_id).join(event_t, event_t.c.article_id == article_t.c.id)
        has_events = story_t.c.id.in_(with_any)
        statement = statement.where(has_events if with_events else ~has_events)
    return statement


def _story_items(store: Store, conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    sources = store.story_sources(conn, ids)
    facets = _story_facets(conn, ids)
    return [_story_json(row, sources.get(row.id, []), facets.get(row.id, {})) for row in rows]


def stories_page(store: Store, filters: EventFilter, *, limit: int = 50, cursor: str | None = None,
                 with_events: bool | None = None) -> Page:
    """Stories matching ``filters``, newest first; ``with_events`` True/False keeps those with/without events."""
    _check_limit(limit)
    kind = "stories" if with_events is None else f"stories:events={str(with_events).lower()}"
    key = _key(cursor, kind, filters)
    with store._read() as conn:
        statement = _stories_select(conn, filters, with_events)
        if key is not None:
            statement = statement.where(_after(story_when, story_t.c.id, key))
        rows = conn.execute(statement.order_by(story_when.desc(), story_t.c.id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = _story_items(store, conn, rows)
    next_cursor = encode_cursor(kind, filters, [iso(rows[-1].sort_when), rows[-1].id]) if more else None
    return Page(items, next_cursor)


def iter_stories(store: Store, filters: EventFilter, *, batch: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
    """Every story matching ``filters``, in the order of the pages, for exports (ids sorted once, as iter_events)."""
    with store._read() as conn:
        ordered = _stories_select(conn, filters, None).order_by(story_when.desc(), story_t.c.id.desc())
        ids = [row.id for row in conn.execute(ordered)]
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        with store._read() as conn:
            rows = {row.id: row for row in conn.execute(_stories_select(conn, EventFilter(), None)
                                                         .where(story_t.c.id.in_(chunk)))}
            items = {item["id"]: item for item in _story_items(store, conn, list(rows.values()))}
        yield from (items[story_id] for story_id in chunk if story_id in items)


def _story_json(row: Any, sources: list[str], facets: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "url": row.url,
        "published": iso(row.published),
        "first_seen": iso(row.first_seen),
        "last_seen": iso(row.last_seen),
        "article_count": row.article_count,
        "sources": sources,
        "source_count": len(sources),
        "companies": facets.get("companies", []),
        "jurisdictions": facets.get("jurisdictions", []),
        "event_types": facets.get("event_types", []),
    }


def _story_facets(conn: Connection, story_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Companies, jurisdiction codes and event types over every article of each story (most mentioned first).

    The stories' articles are looked up first, then their entities and events by article id: each step
    uses its own index (a join lets SQLite scan every entity of a kind instead).
    """
    result: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if not story_ids:
        return result
    story_of = dict(conn.execute(select(article_t.c.id, article_t.c.story_id)
                                 .where(article_t.c.story_id.in_(story_ids))).all())
    if not story_of:
        return result
    entities = conn.execute(
        select(entity_t.c.article_id, entity_t.c.kind, entity_t.c.name, entity_t.c.code, entity_t.c.mentions)
        .where(entity_t.c.article_id.in_(list(story_of))).order_by(entity_t.c.id)
    ).all()  # kinds picked below: a condition on kind makes SQLite scan the kind index instead
    weights: dict[tuple[int, str, str], int] = defaultdict(int)
    for row in sorted(entities, key=lambda r: story_of[r.article_id]):  # stable: entity order within a story
        if row.kind not in ("company", "jurisdiction"):
            continue
        story_id = story_of[row.article_id]
        field = "companies" if row.kind == "company" else "jurisdictions"
        value = row.name if row.kind == "company" else (row.code or row.name)
        if weights[(story_id, field, value)] == 0:
            result[story_id][field].append(value)
        weights[(story_id, field, value)] += row.mentions or 1
    for story_id, fields in result.items():
        for field in fields:
            fields[field].sort(key=lambda value, s=story_id, f=field: -weights[(s, f, value)])  # stable: ties in order
    events = conn.execute(
        select(event_t.c.article_id, event_t.c.type)
        .where(event_t.c.article_id.in_(list(story_of))).order_by(event_t.c.id)
    ).all()
    for row in events:
        story_id = story_of[row.article_id]
        if row.type not in result[story_id]["event_types"]:
            result[story_id]["event_types"].append(row.type)
    return result


def get_story(store: Store, story_id: int) -> dict[str, Any] | None:
    """A story with its articles (each with its summary and analysis facets), sources, URLs and events."""
    story = store.get_story(story_id)
    if story is None:
        return None
    ids = [a["id"] for a in story["articles"]]
    with store._read() as conn:
        extra = {row.id: row for row in conn.execute(
            select(article_t.c.id, article_t.c.summary, article_t.c.analysis).where(article_t.c.id.in_(ids))
        )}
        events = conn.execute(
            _events_select().where(event_t.c.article_id.in_(ids)).order_by(event_t.c.article_id, event_t.c.id)
        ).all() if ids else []
        facets = _story_facets(conn, [story_id]).get(story_id, {})
    articles = []
    for article in story["articles"]:
        row = extra.get(article["id"])
        analysis = (row.analysis if row is not None else None) or {}
        articles.append({
            "id": article["id"],
            "source": article["source_id"],
            "url": article["url"],
            "title": article["title"],
            "published": iso(article["published"]),
            "fetched_at": iso(article["fetched_at"]),
            "summary": row.summary if row is not None else None,
            "companies": _names(analysis.get("companies"), "name"),
            "jurisdictions": _names(analysis.get("jurisdictions"), "code"),
        })
    earliest = next((a for a in articles if a["id"] == story["earliest_article_id"]), articles[0] if articles else None)
    return {
        "id": story["id"],
        "title": story["title"],
        "url": earliest["url"] if earliest else None,
        "published": earliest["published"] if earliest else None,
        "first_seen": iso(story["first_seen"]),
        "last_seen": iso(story["last_seen"]),
        "article_count": story["article_count"],
        "sources": story["sources"],
        "source_count": len(story["sources"]),
        "urls": story["urls"],
        "companies": facets.get("companies", []),
        "jurisdictions": facets.get("jurisdictions", []),
        "event_types": facets.get("event_types", []),
        "articles": articles,
        "events": [event_json(row) for row in events],
    }


def _names(entries: Any, key: str) -> list[str]:
    if not isinstance(entries, list):
        return []
    return [str(entry[key]) for entry in entries if isinstance(entry, dict) and entry.get(key)]


# -- articles ----------------------------------------------------------------------------------------------------


def get_article(store: Store, article_id: int) -> dict[str, Any] | None:
    """An article with its text and its analysis (the contract's fields), events with their ids."""
    row = store.get_article(article_id)
    if row is None:
        return None
    analysis = row.get("analysis") or {}
    with store._read() as conn:
        sources = store.story_sources(conn, [row["story_id"]]).get(row["story_id"], []) if row["story_id"] else []
    events = [{
        "id": event["id"], "type": event["type"], "actor": event["actor"], "actor_kind": event["actor_kind"],
        "jurisdictions": list(event["jurisdictions"] or []), "effective_date": event["effective_date"],
        "status": event["status"], "confidence": event["confidence"], "evidence": event["evidence"],
        "story_id": row["story_id"], "article_id": row["id"], "published": iso(row["published"]),
        "source": row["source_id"], "title": row["title"], "url": row["url"],
    } for event in row["events"]]
    return {
        "id": row["id"],
        "story_id": row["story_id"],
        "source": row["source_id"],
        "url": row["url"],
        "canonical_url": row["canonical_url"],
        "title": row["title"],
        "author": row["author"],
        "published": iso(row["published"]),
        "fetched_at": iso(row["fetched_at"]),
        "language": row["language"],
        "text": row["text"],
        "text_origin": row["text_origin"],
        "extract_note": row["extract_note"],
        "relevant": row["relevant"],
        "relevance": row["relevance"],
        "summary": row["summary"],
        "companies": _entries(analysis.get("companies"), ("name", "mentions")),
        "authorities": _entries(analysis.get("authorities"), ("name", "jurisdiction")),
        "jurisdictions": _entries(analysis.get("jurisdictions"), ("code", "name", "mentions")),
        "dates": _entries(analysis.get("dates"), ("text", "date")),
        "events": events,
        "story_sources": sources,
    }


def _entries(entries: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [{key: entry.get(key) for key in keys} for entry in entries if isinstance(entry, dict)]


# -- sources -----------------------------------------------------------------------------------------------------


def described_states(store: Store) -> list[tuple[SourceState, Any]]:
    """Each source's polling state (``Store.source_states``, with its article count) beside its row of the
    source table (name, URL, kind, jurisdiction, tags; None for a state whose source row is gone)."""
    states = store.source_states()
    with store._read() as conn:
        described = {row.id: row for row in conn.execute(
            select(source_t.c.id, source_t.c.name, source_t.c.url, source_t.c.kind, source_t.c.jurisdiction,
                   source_t.c.tags))}
    return [(state, described.get(state.id)) for state in states]


def sources_health(store: Store) -> list[dict[str, Any]]:
    """Each source's health: the fields of `regwatch status --json`, plus its name, URL, kind and tags."""
    result = []
    for state, row in described_states(store):
        result.append({
            "id": state.id,
            "name": row.name if row else state.id,
            "url": row.url if row else None,
            "kind": row.kind if row else None,
            "jurisdiction": row.jurisdiction if row else None,
            "tags": list(row.tags or []) if row else [],
            "active": state.active,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "content_hash": state.content_hash,
            "last_attempt": iso(state.last_attempt),
            "last_success": iso(state.last_success),
            "consecutive_failures": state.consecutive_failures,
            "last_error": state.last_error,
            "next_poll": iso(state.next_poll),
            "articles": state.articles,
        })
    return result
