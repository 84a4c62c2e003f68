"""What the web pages read from the store, beyond search: overview counts, a story's view, source health.

Plain SQLAlchemy Core over the store's tables, the same on SQLite and PostgreSQL. Each function opens one
read transaction and returns plain dataclasses or dicts, so the templates never touch the database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select

from pipeline.api.queries import described_states
from pipeline.store.models import Article, Entity, Event, Item, Source, Story
from pipeline.store.repo import Store
from pipeline.store.types import utc_now

log = logging.getLogger(__name__)

article_table = Article.__table__
entity_table = Entity.__table__
event_table = Event.__table__
item_table = Item.__table__
source_table = Source.__table__
story_table = Story.__table__

NO_JURISDICTION = "no jurisdiction"
CHART_MONTHS = 36  # a longer span is charted by year


# -- overview ------------------------------------------------------------------------------------------------


@dataclass
class Overview:
    articles: int
    stories: int
    events: int
    sources: int
    granularity: str  # "month" or "year": the chart's periods
    periods: list[str]  # the chart's periods, oldest first, gaps filled
    by_type: dict[str, dict[str, int]]  # period -> event type -> count
    by_jurisdiction: dict[str, dict[str, int]]  # period -> jurisdiction code -> count
    latest: list[dict[str, Any]] = field(default_factory=list)  # newest stories: id, title, dates, sources


def overview(store: Store, *, months: int = CHART_MONTHS, latest: int = 8) -> Overview:
    """Totals, events per month (or year) by type and by jurisdiction, and the newest stories.

    An event counts once per story, type, jurisdiction and period, so the copies of a syndicated story
    do not inflate the chart; its period is its article's publication date (or fetch date without one).
    """
    with store._read() as conn:
        totals = {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in (("articles", article_table), ("stories", story_table), ("events", event_table),
                                ("sources", source_table))
        }
        rows = conn.execute(
            select(event_table.c.type, event_table.c.jurisdictions, article_table.c.id, article_table.c.story_id,
                   article_table.c.published, article_table.c.fetched_at)
            .join(article_table, article_table.c.id == event_table.c.article_id)
        ).all()
        newest = conn.execute(
            select(story_table.c.id, story_table.c.title, story_table.c.first_seen, article_table.c.published)
            .outerjoin(article_table, article_table.c.id == story_table.c.earliest_article_id)
            .order_by(story_table.c.first_seen.desc(), story_table.c.id.desc()).limit(latest)
        ).mappings().all()
        sources = store.story_sources(conn, [row["id"] for row in newest])
    dated = [(row[4] or row[5], row) for row in rows if (row[4] or row[5]) is not None]
    period = _period_of([when for when, _ in dated], months)
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_jurisdiction: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seen_type: set[tuple[Any, ...]] = set()
    seen_place: set[tuple[Any, ...]] = set()
    for when, (kind, places, article_id, story_id, _published, _fetched) in dated:
        key = period(when)
        story = story_id if story_id is not None else f"a{article_id}"
        if (story, kind, key) not in seen_type:
            seen_type.add((story, kind, key))
            by_type[key][kind] += 1
        for place in [str(p) for p in (places or [])] or [NO_JURISDICTION]:
            if (story, place, key) not in seen_place:
                seen_place.add((story, place, key))
                by_jurisdiction[key][place] += 1
    granularity = "month" if period is _month else "year"
    return Overview(
        **totals,
        granularity=granularity,
        periods=_period_range(sorted(by_type), granularity),
        by_type={m: dict(v) for m, v in by_type.items()},
        by_jurisdiction={m: dict(v) for m, v in by_jurisdiction.items()},
        latest=[{"id": row["id"], "title": row["title"], "first_seen": row["first_seen"],
                 "published": row["published"], "sources": sources.get(row["id"], [])} for row in newest],
    )


def _month(when: datetime) -> str:
    return f"{when:%Y-%m}"


def _year(when: datetime) -> str:
    return f"{when:%Y}"


def _period_of(dates: list[datetime], months: int) -> Any:
    """Months when the events span at most ``months`` months, else years (an archive of old news)."""
    if not dates:
        return _month
    first, last = min(dates), max(dates)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    return _month if span <= months else _year


def _period_range(keys: list[str], granularity: str) -> list[str]:
    """Every period from the first to the last of ``keys``, gaps filled."""
    if not keys:
        return []
    if granularity == "year":
        return [str(year) for year in range(int(keys[0]), int(keys[-1]) + 1)]
    year, month = (int(part) for part in keys[0].split("-"))
    result = []
    while True:
        current = f"{year:04d}-{month:02d}"
        result.append(current)
        if current >= keys[-1]:
            return result
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# -- a story -------------------------------------------------------------------------------------------------


@dataclass
class StoryView:
    id: int
    title: str | None
    first_seen: datetime
    last_seen: datetime
    articles: list[dict[str, Any]]  # id, source_id, source_name, url, title, published
    copies: list[dict[str, Any]]  # every source and URL that carried the story: source_id, source_name, url
    article: dict[str, Any]  # the article shown in full (Store.get_article), with "source_name"
    events: list[dict[str, Any]]  # of every article of the story, without repeats, with "article_id"


def story_view(store: Store, story_id: int, article_id: int | None = None) -> StoryView | None:
    """A story with its articles and copies, one article in full (``article_id`` or the earliest), and the
    events of all its articles (the same event reported by two copies is listed once)."""
    with store._read() as conn:
        story = conn.execute(select(story_table).where(story_table.c.id == story_id)).mappings().first()
        if story is None:
            return None
        names = dict(conn.execute(select(source_table.c.id, source_table.c.name)).all())
        articles = [dict(row) for row in conn.execute(
            select(article_table.c.id, article_table.c.source_id, article_table.c.url, article_table.c.title,
                   article_table.c.published, article_table.c.fetched_at)
            .where(article_table.c.story_id == story_id)
            .order_by(article_table.c.published, article_table.c.id)
        ).mappings()]
        ids = [a["id"] for a in articles]
        copies = conn.execute(
            select(item_table.c.source_id, item_table.c.url, item_table.c.identity)
            .where(item_table.c.article_id.in_(ids)).order_by(item_table.c.id)
        ).all() if ids else []
        events = conn.execute(
            select(event_table).where(event_table.c.article_id.in_(ids)).order_by(event_table.c.id)
        ).mappings().all() if ids else []
    if not articles:
        return None
    chosen = article_id if article_id in ids else (story["earliest_article_id"] if story["earliest_article_id"]
                                                   in ids else ids[0])
    article = store.get_article(chosen)
    if article is None:
        return None
    article["source_name"] = names.get(article["source_id"], article["source_id"])
    for row in articles:
        row["source_name"] = names.get(row["source_id"], row["source_id"])
    seen_copies: dict[tuple[str, str], dict[str, Any]] = {}
    for source_id, url in [(a["source_id"], a["url"]) for a in articles] + [(c[0], c[1] or c[2]) for c in copies]:
        seen_copies.setdefault((source_id, url), {"source_id": source_id, "url": url,
                                                  "source_name": names.get(source_id, source_id)})
    unique_events: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in events:
        key = (event["type"], (event["actor"] or "").casefold(), tuple(event["jurisdictions"] or []),
               event["effective_date"], event["status"])
        current = unique_events.get(key)
        if current is None or (event["confidence"] or 0) > (current["confidence"] or 0):
            unique_events[key] = dict(event)
    return StoryView(
        id=story["id"], title=story["title"], first_seen=story["first_seen"], last_seen=story["last_seen"],
        articles=articles, copies=list(seen_copies.values()), article=article,
        events=sorted(unique_events.values(), key=lambda e: (-(e["confidence"] or 0), e["id"])),
    )


def entity_names(article: dict[str, Any]) -> dict[str, str]:
    """Surface form -> kind of the article's entities, to mark in its text: companies and authorities with
    their gazetteer aliases ("FTC" for "US Federal Trade Commission"), the place names the analysis maps to
    the article's jurisdiction codes ("Beijing", "Chinese" for CN), and the dates as written."""
    names: dict[str, str] = {}
    codes = []
    for entity in article.get("entities", []):
        kind = entity["kind"]
        if kind in ("company", "authority"):
            for name in _aliases(entity["name"]):
                names.setdefault(name, kind)
        elif kind == "jurisdiction":
            names.setdefault(entity["name"], kind)
            if entity.get("code"):
                codes.append(entity["code"])
    for code in codes:
        for name in _place_names(code):
            names.setdefault(name, "jurisdiction")
    for found in (article.get("analysis") or {}).get("dates", []) or []:
        if isinstance(found, dict) and isinstance(found.get("text"), str):
            names.setdefault(found["text"], "date")
    return names


def _aliases(name: str) -> tuple[str, ...]:
    """The name and its gazetteer aliases."""
    from pipeline.analyze.gazetteer import load_gazetteer

    entry = load_gazetteer().lookup(name)
    return (name, *entry.names) if entry is not None else (name,)


@lru_cache(maxsize=256)
def _place_names(code: str) -> tuple[str, ...]:
    """How texts name the jurisdiction ``code`` (names, demonyms, capitals, cities), written as in text:
    short ones in capitals ("US", "U.S.", "EU"), one-word ones capitalised, longer ones as they are
    (matched in any case)."""
    from pipeline.analyze.places import default_resolver

    result = []
    for key, place in default_resolver().table.items():
        if place.code != code or place.how == "region":
            continue
        letters = sum(ch.isalpha() for ch in key)
        if letters <= 3:
            result.append(key.upper())
        elif " " not in key:
            result.append(key[:1].upper() + key[1:])
        else:
            result.append(key)
    return tuple(result)


# -- sources -------------------------------------------------------------------------------------------------


@dataclass
class SourceHealth:
    id: str
    name: str
    url: str
    kind: str
    jurisdiction: str | None
    tags: list[str]
    active: bool
    last_attempt: datetime | None
    last_success: datetime | None
    consecutive_failures: int
    last_error: str | None
    next_poll: datetime | None
    articles: int

    @property
    def status(self) -> str:
        """ok, failing, never polled or retired: what a reader of the table wants first."""
        if not self.active:
            return "retired"
        if self.last_attempt is None:
            return "never polled"
        return "failing" if self.consecutive_failures else "ok"


def source_health(store: Store) -> list[SourceHealth]:
    """Every known source with its polling state and article count, failing ones first."""
    health = [
        SourceHealth(
            id=state.id, name=row.name if row else state.id, url=row.url if row else "",
            kind=row.kind if row else "", jurisdiction=row.jurisdiction if row else None,
            tags=list(row.tags or []) if row else [], active=state.active, last_attempt=state.last_attempt,
            last_success=state.last_success, consecutive_failures=state.consecutive_failures,
            last_error=state.last_error, next_poll=state.next_poll, articles=state.articles,
        )
        for state, row in described_states(store)
    ]
    order = {"failing": 0, "never polled": 1, "ok": 2, "retired": 3}
    return sorted(health, key=lambda s: (order[s.status], s.id))


# -- calendar ------------------------------------------------------------------------------------------------


def upcoming_by_month(store: Store, today: date | None = None) -> dict[str, list[Any]]:
    """The upcoming effective dates (``pipeline.alerts.calendar.upcoming``), grouped by month."""
    from pipeline.alerts.calendar import upcoming

    grouped: dict[str, list[Any]] = {}
    for item in upcoming(store, today or utc_now().date()):
        grouped.setdefault(item.date[:7], []).append(item)
    return grouped
