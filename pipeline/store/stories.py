"""Writing an article with its signatures, and the story it belongs to. Runs inside the caller's transaction.

One article per text: an article whose fingerprint (``dedup.fingerprint``) or canonical URL is already
stored is not inserted again; the caller gets the existing id back. A new article joins the story of
the most similar article of *another* source found through the band index (``dedup.STORY_THRESHOLD``),
or starts a story of its own. Near-duplicates within one source (a regulator's templated releases,
say) stay separate stories: only exact copies are merged there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from pipeline.store import dedup
from pipeline.store.models import Article, ArticleBand, Item, Story

log = logging.getLogger(__name__)

article_table = Article.__table__
band_table = ArticleBand.__table__
story_table = Story.__table__
item_table = Item.__table__


@dataclass
class Stored:
    """The outcome of storing one article: its id, and whether this call created it."""

    article_id: int
    created: bool
    story_id: int | None = None


def signatures(text: str, title: str | None = None) -> dict[str, Any]:
    return {"fingerprint": dedup.fingerprint(text, title), "minhash": dedup.minhash(text, title)}


def existing_article(conn: Connection, *, url: str | None = None, fingerprint: str | None = None) -> int | None:
    """The article already stored under ``url`` (its canonical URL, or the canonical URL an item of it
    resolved to) or with this exact-content ``fingerprint``."""
    if url:
        found = conn.execute(select(article_table.c.id).where(article_table.c.canonical_url == url)).scalar()
        if found is not None:
            return int(found)
        found = conn.execute(
            select(item_table.c.article_id)
            .where(item_table.c.canonical_url == url, item_table.c.article_id.is_not(None))
            .limit(1)
        ).scalar()
        if found is not None:
            return int(found)
    if fingerprint:
        found = conn.execute(select(article_table.c.id).where(article_table.c.fingerprint == fingerprint)).scalar()
        if found is not None:
            return int(found)
    return None


def insert_article(conn: Connection, insert: Any, row: dict[str, Any], now: datetime) -> Stored:
    """Insert ``row`` (an article row without signatures) unless its text or URL is stored already."""
    row = {**row, **signatures(row["text"], row.get("title"))}
    found = existing_article(conn, fingerprint=row["fingerprint"])
    if found is not None:
        return Stored(found, False)
    statement = insert(article_table).values(**row).on_conflict_do_nothing().returning(article_table.c.id)
    article_id = conn.execute(statement).scalar()
    if article_id is None:  # a writer got there first: same canonical URL or same fingerprint
        found = existing_article(conn, url=row["canonical_url"], fingerprint=row["fingerprint"])
        if found is None:
            raise RuntimeError("insert refused but no conflicting article found")
        return Stored(found, False)
    story_id = join_story(conn, article_id, row, now)
    return Stored(int(article_id), True, story_id)


def write_bands(conn: Connection, article_id: int, minhash: bytes | None) -> None:
    conn.execute(band_table.delete().where(band_table.c.article_id == article_id))
    if minhash:
        conn.execute(
            band_table.insert(),
            [{"article_id": article_id, "band": band, "value": value}
             for band, value in enumerate(dedup.bands(minhash))],
        )


def similar_story(conn: Connection, article_id: int, source_id: str, minhash: bytes | None) -> int | None:
    """The story of the most similar article of another source, if it is similar enough."""
    if not minhash:
        return None
    pairs = [and_(band_table.c.band == band, band_table.c.value == value)
             for band, value in enumerate(dedup.bands(minhash))]
    candidates = conn.execute(
        select(article_table.c.id, article_table.c.minhash, article_table.c.story_id)
        .where(
            article_table.c.id.in_(select(band_table.c.article_id).where(or_(*pairs))),
            article_table.c.id != article_id,
            article_table.c.source_id != source_id,
            article_table.c.minhash.is_not(None),
            article_table.c.story_id.is_not(None),
        )
    ).all()
    best: tuple[float, int] | None = None
    for candidate_id, signature, story_id in candidates:
        score = dedup.similarity(minhash, signature)
        if score >= dedup.STORY_THRESHOLD and (best is None or (score, -candidate_id) > (best[0], -best[1])):
            best = (score, story_id)
    if best is not None:
        log.debug("article %d joins story %d (similarity %.2f)", article_id, best[1], best[0])
        return best[1]
    return None


def join_story(conn: Connection, article_id: int, row: dict[str, Any], now: datetime) -> int:
    """Write the article's bands and put it in a story (a similar one of another source, or its own)."""
    write_bands(conn, article_id, row.get("minhash"))
    story_id = similar_story(conn, article_id, row["source_id"], row.get("minhash"))
    if story_id is None:
        story_id = conn.execute(
            story_table.insert()
            .values(first_seen=now, last_seen=now, title=row.get("title"), earliest_article_id=article_id,
                    latest_article_id=article_id, article_count=1)
            .returning(story_table.c.id)
        ).scalar_one()
        conn.execute(update(article_table).where(article_table.c.id == article_id).values(story_id=story_id))
        return int(story_id)
    conn.execute(update(article_table).where(article_table.c.id == article_id).values(story_id=story_id))
    refresh_story(conn, story_id, now)
    return story_id


def refresh_story(conn: Connection, story_id: int, now: datetime) -> None:
    """Earliest and latest versions (by publication, else fetch time), count and title of a story."""
    when = func.coalesce(article_table.c.published, article_table.c.fetched_at)
    rows = conn.execute(
        select(article_table.c.id, article_table.c.title)
        .where(article_table.c.story_id == story_id)
        .order_by(when, article_table.c.id)
    ).all()
    if not rows:
        return
    conn.execute(
        update(story_table)
        .where(story_table.c.id == story_id)
        .values(earliest_article_id=rows[0][0], latest_article_id=rows[-1][0], title=rows[0][1],
                article_count=len(rows), last_seen=now)
    )
