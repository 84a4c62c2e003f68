"""/api/stats: events counted by period (day or ISO week) x jurisdiction x event type, for charts.

Counted in Python from the matching rows (one query with the filters of /api/events), so both backends give
the same buckets, whatever their date functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from pipeline.api.filters import EventFilter, FilterError
from pipeline.api.queries import article_t, article_when, event_conditions, event_t
from pipeline.store import Store
from pipeline.store.types import as_utc


def period_of(moment: datetime, by: str) -> str:
    """The day (``2025-06-03``) or ISO week, named by its Monday (``2025-06-02``), of a UTC instant."""
    day = as_utc(moment).date()
    if by == "week":
        day -= timedelta(days=day.weekday())
    return day.isoformat()


def stats(store: Store, filters: EventFilter, *, by: str = "day") -> list[dict[str, Any]]:
    """Events and distinct stories per period (of the article's publication) x jurisdiction x event type.

    An event placed in several jurisdictions counts once in each; one without a jurisdiction under null.
    Counted in Python from the matching rows, so both backends give the same buckets.
    """
    if by not in ("day", "week"):
        raise FilterError(f"by: must be day or week, not {by!r}")
    with store._read() as conn:
        rows = conn.execute(
            select(article_when.label("sort_when"), event_t.c.type, event_t.c.jurisdictions, article_t.c.story_id,
                   event_t.c.id)
            .join(article_t, article_t.c.id == event_t.c.article_id)
            .where(*event_conditions(conn, filters))
        ).all()
    events: dict[tuple[str, str | None, str], int] = defaultdict(int)
    stories: dict[tuple[str, str | None, str], set[Any]] = defaultdict(set)
    for row in rows:
        period = period_of(row.sort_when, by)
        codes = list(dict.fromkeys(str(code) for code in (row.jurisdictions or []))) or [None]
        if filters.jurisdiction:
            wanted = filters.jurisdiction
            codes = [code for code in codes if code and (code == wanted or code.startswith(f"{wanted}-"))]
        for code in codes:
            bucket = (period, code, row.type)
            events[bucket] += 1
            stories[bucket].add(row.story_id if row.story_id is not None else f"event-{row.id}")
    return [
        {"period": period, "jurisdiction": code, "type": kind, "events": events[(period, code, kind)],
         "stories": len(stories[(period, code, kind)])}
        for period, code, kind in sorted(events, key=lambda b: (b[0], b[1] or "", b[2]))
    ]
