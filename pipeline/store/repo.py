"""The store's API: sources and their polling state, articles with their analysis.

Every write is one transaction. An article, its entities and events, its
full-text index row (kept by triggers on SQLite, a generated column on
PostgreSQL), its signatures and its story are stored together or not at all.
Crawl items, archived pages and stories are in ``items.py`` (mixed in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from pipeline.errors import StoreError
from pipeline.store.analysis import entity_rows, event_rows, float_or_none
from pipeline.store.db import WRITE, make_engine, upgrade_db
from pipeline.store.items import ItemStore
from pipeline.store.models import TEXT_ORIGINS, Article, Entity, Event, Source
from pipeline.store.stories import Stored, insert_article
from pipeline.store.types import as_utc, utc_now

log = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000

source_table = Source.__table__
article_table = Article.__table__
entity_table = Entity.__table__
event_table = Event.__table__


class SourceLike(Protocol):
    id: str
    name: str
    url: str
    kind: str
    jurisdiction: str | None
    tags: list[str]


@dataclass
class SourceState:
    id: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_poll: datetime | None = None
    articles: int = 0
    active: bool = True


@dataclass
class NewArticle:
    """An article ready to store; ``published`` and ``fetched_at`` are kept as UTC (naive means UTC)."""

    source_id: str
    url: str
    canonical_url: str | None
    guid: str | None = None
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    text: str = ""
    text_origin: str = "page"  # one of TEXT_ORIGINS
    extract_note: str | None = None  # why the page text was not used, e.g. "fetch: HTTP 404"
    language: str | None = None
    sitename: str | None = None
    content_hash: str | None = None
    fetched_at: datetime = field(default_factory=utc_now)


class Store(ItemStore):
    """Sources, articles and their analysis, crawl items and stories in one SQL database (SQLite or PostgreSQL)."""

    #: pipeline.alerts.outbox.AlertQueue: when set, each new article's rule matches are queued with it.
    alert_queue: Any = None

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._clock = clock

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and bring its schema up to date."""
        engine = make_engine(url)
        try:
            upgrade_db(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sources -------------------------------------------------------------------------------

    def sync_sources(self, sources: Iterable[SourceLike]) -> None:
        """Upsert the sources of the file; sources no longer listed stay, marked not active."""
        by_id = {}
        for source in sources:
            if source.id in by_id:
                log.warning("[%s] source listed twice: the last one is kept", source.id)
            by_id[source.id] = _source_row(source)
        rows = list(by_id.values())
        now = self._clock()
        with self._write() as conn:
            insert = _dialect_insert(conn)
            if rows:
                statement = insert(source_table).values(
                    [{**row, "created_at": now, "consecutive_failures": 0} for row in rows]
                )
                updated = {key: statement.excluded[key] for key in rows[0] if key != "id"}
                conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=updated))
            listed = [row["id"] for row in rows]
            retired = (
                conn.execute(
                    update(source_table)
                    .where(source_table.c.active.is_(True), source_table.c.id.not_in(listed))
                    .values(active=False)
                    .returning(source_table.c.id)
                )
                .scalars()
                .all()
            )
        for source_id in retired:
            log.info("[%s] source no longer in the sources file: kept, marked not active", source_id)

    def source_state(self, source_id: str) -> SourceState:
        """The polling state of one source; StoreError if the source was never synced."""
        states = self._source_states(source_table.c.id == source_id)
        if not states:
            raise StoreError(f"unknown source {source_id!r} (sync the sources first)", source_id=source_id)
        return states[0]

    def source_states(self) -> list[SourceState]:
        return self._source_states(None)

    def _source_states(self, where: Any) -> list[SourceState]:
        counts = (
            select(article_table.c.source_id, func.count().label("articles"))
            .group_by(article_table.c.source_id)
            .subquery()
        )
        statement = (
            select(source_table, func.coalesce(counts.c.articles, 0).label("articles"))
            .outerjoin(counts, counts.c.source_id == source_table.c.id)
            .order_by(source_table.c.id)
        )
        if where is not None:
            statement = statement.where(where)
        with self._read() as conn:
            rows = conn.execute(statement).mappings().all()
        return [
            SourceState(
                id=row["id"],
                etag=row["etag"],
                last_modified=row["last_modified"],
                content_hash=row["content_hash"],
                last_attempt=row["last_attempt"],
                last_success=row["last_success"],
                consecutive_failures=row["consecutive_failures"],
                last_error=row["last_error"],
                next_poll=row["next_poll"],
                articles=row["articles"],
                active=row["active"],
            )
            for row in rows
        ]

    def record_attempt(
        self,
        source_id: str,
        *,
        ok: bool,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
        next_poll: datetime | None = None,
    ) -> None:
        """Record one poll of a source. Validators and ``next_poll`` given as None are left as they were."""
        now = self._clock()
        values: dict[str, Any] = {"last_attempt": now}
        if ok:
            values.update(last_success=now, consecutive_failures=0, last_error=None)
        else:
            values.update(
                consecutive_failures=source_table.c.consecutive_failures + 1,
                last_error=_one_line(error or "unknown error"),
            )
        given = {
            "etag": etag,
            "last_modified": last_modified,
            "content_hash": content_hash,
            "next_poll": next_poll,
        }
        values.update({key: value for key, value in given.items() if value is not None})
        with self._write() as conn:
            result = conn.execute(update(source_table).where(source_table.c.id == source_id).values(**values))
            if result.rowcount == 0:
                raise StoreError(
                    f"unknown source {source_id!r} (sync the sources first)", source_id=source_id
                )

    # -- articles ------------------------------------------------------------------------------

    def known_item(self, *, source_id: str, guid: str | None, canonical_url: str | None) -> bool:
        """True if an article has this canonical URL, or this guid in this source."""
        conditions = []
        if canonical_url:
            conditions.append(article_table.c.canonical_url == canonical_url)
        if guid:
            conditions.append((article_table.c.source_id == source_id) & (article_table.c.guid == guid))
        if not conditions:
            return False
        with self._read() as conn:
            found = conn.execute(select(article_table.c.id).where(or_(*conditions)).limit(1)).first()
        return found is not None

    def add_article(self, article: NewArticle, analysis: dict[str, Any] | None) -> int | None:
        """Store an article with its analysis; None if its canonical URL or its text is already stored.

        Race-safe: the insert is ``ON CONFLICT DO NOTHING`` on the unique canonical URL and
        fingerprint, so of two writers adding the same article exactly one gets an id. A new
        article joins the story of a near-duplicate from another source, or starts its own.
        """
        stored = self.store_article(article, analysis)
        return stored.article_id if stored.created else None

    def store_article(self, article: NewArticle, analysis: dict[str, Any] | None) -> Stored:
        """Like ``add_article``, but says which article holds the text when it was there already."""
        row = _article_row(article, analysis)
        try:
            with self._write() as conn:
                stored = self._store_article(conn, row, analysis)
        except IntegrityError as exc:
            raise StoreError(
                f"cannot store article: {_one_line(str(exc.orig))}",
                source_id=article.source_id,
                url=article.url,
            ) from exc
        return stored

    def _store_article(self, conn: Connection, row: dict[str, Any], analysis: dict[str, Any] | None) -> Stored:
        stored = insert_article(conn, _dialect_insert(conn), row, self._clock())
        if not stored.created:
            log.debug("[%s] %s already stored as article %d", row["source_id"], row["canonical_url"],
                      stored.article_id)
            return stored
        write_analysis_rows(conn, stored.article_id, analysis)
        if self.alert_queue is not None:  # rule matches go to the outbox in this same transaction
            self.alert_queue.on_article(conn, stored, row, analysis, self._clock(), self.story_sources)
        return stored

    def get_article(self, article_id: int) -> dict[str, Any] | None:
        """The article's columns (``analysis`` the full dict), with its ``entities`` and ``events``."""
        with self._read() as conn:
            row = (
                conn.execute(select(article_table).where(article_table.c.id == article_id)).mappings().first()
            )
            if row is None:
                return None
            entities, events = (
                conn.execute(select(table).where(table.c.article_id == article_id).order_by(table.c.id))
                .mappings()
                .all()
                for table in (entity_table, event_table)
            )
        result = dict(row)
        result["entities"] = [_without(entity, "article_id") for entity in entities]
        result["events"] = [_without(event, "article_id") for event in events]
        return result

    def count_articles(self, source_id: str | None = None) -> int:
        statement = select(func.count()).select_from(article_table)
        if source_id is not None:
            statement = statement.where(article_table.c.source_id == source_id)
        with self._read() as conn:
            return int(conn.execute(statement).scalar_one())

    # -- plumbing ------------------------------------------------------------------------------

    def _read(self) -> _Transaction:
        return _Transaction(self.engine)

    def _write(self) -> _Transaction:
        return _Transaction(self._writer)


class _Transaction:
    """``engine.begin()`` that turns database failures into StoreError.

    IntegrityError passes through unchanged, for the caller to say which row was refused.
    """

    def __init__(self, engine: Engine) -> None:
        self._context = engine.begin()

    def __enter__(self) -> Connection:
        try:
            return self._context.__enter__()
        except SQLAlchemyError as exc:
            raise StoreError(f"database unavailable: {_one_line(str(exc))}") from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        try:
            suppressed = self._context.__exit__(exc_type, exc, tb)
        except SQLAlchemyError as error:
            raise StoreError(f"commit failed: {_one_line(str(error))}") from error
        if isinstance(exc, SQLAlchemyError) and not isinstance(exc, IntegrityError):
            raise StoreError(f"database error: {_one_line(str(getattr(exc, 'orig', None) or exc))}") from exc
        return suppressed


def write_analysis_rows(conn: Connection, article_id: int, analysis: dict[str, Any] | None) -> None:
    """Replace the entity and event rows of an article by those of ``analysis``."""
    conn.execute(entity_table.delete().where(entity_table.c.article_id == article_id))
    conn.execute(event_table.delete().where(event_table.c.article_id == article_id))
    if not analysis:
        return
    entities = entity_rows(article_id, analysis)
    events = event_rows(article_id, analysis)
    if entities:
        conn.execute(entity_table.insert(), entities)
    if events:
        conn.execute(event_table.insert(), events)


def _dialect_insert(conn: Connection) -> Callable[..., Any]:
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise StoreError(f"unsupported database backend {name!r} (SQLite or PostgreSQL only)")


def _source_row(source: SourceLike) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": getattr(source, "name", None) or source.id,
        "url": str(source.url),
        "kind": getattr(source, "kind", None) or "feed",
        "jurisdiction": getattr(source, "jurisdiction", None),
        "tags": list(getattr(source, "tags", None) or []),
        "active": True,
    }


def _article_row(article: NewArticle, analysis: dict[str, Any] | None) -> dict[str, Any]:
    if article.text_origin not in TEXT_ORIGINS:
        raise StoreError(
            f"text_origin {article.text_origin!r} is not one of {', '.join(TEXT_ORIGINS)}",
            source_id=article.source_id,
            url=article.url,
        )
    analysis = analysis or None
    return {
        "source_id": article.source_id,
        "url": article.url,
        "canonical_url": article.canonical_url or article.url,
        "guid": article.guid,
        "title": article.title,
        "author": article.author,
        "published": as_utc(article.published) if article.published else None,
        "fetched_at": as_utc(article.fetched_at),
        "language": article.language,
        "sitename": article.sitename,
        "text": article.text or "",
        "text_origin": article.text_origin,
        "extract_note": article.extract_note,
        "content_hash": article.content_hash,
        "relevant": _bool_or_none(analysis.get("relevant")) if analysis else None,
        "relevance": float_or_none(analysis.get("relevance")) if analysis else None,
        "summary": analysis.get("summary") if analysis else None,
        "analysis": analysis,
    }


def _bool_or_none(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _without(row: Any, key: str) -> dict[str, Any]:
    return {name: value for name, value in dict(row).items() if name != key}


def _one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"
