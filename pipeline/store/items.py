"""Crawl progress in the store: items and their states, the raw-page archive, stories, reprocessing.

Every state change of an item is one committed transaction, so a process killed at any moment leaves
each item in exactly one recorded state, from which the crawl resumes:

    discovered -> fetched -> extracted -> analyzed -> indexed      (or failed: nothing usable, or
                                                                    too many interrupted attempts)

``index_item`` writes the article, its entities, events, full-text row, bands and story, and marks the
item indexed, in one transaction: an item becomes an article at most once, and an item found again
(same identity or guid in its source) is never recorded twice.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from pipeline.records import FeedItem
from pipeline.store import dedup
from pipeline.store.models import FINAL_STATES, Article, Item, Page, Story
from pipeline.store.stories import Stored, existing_article, join_story, refresh_story, signatures, write_bands
from pipeline.store.types import as_utc

if TYPE_CHECKING:
    from pipeline.store.repo import NewArticle

log = logging.getLogger(__name__)

item_table = Item.__table__
page_table = Page.__table__
article_table = Article.__table__
story_table = Story.__table__

MAX_NOTE_LENGTH = 1000


@dataclass
class DiscoveredItem:
    """A feed entry as the feed gave it, with the crawl's identity for it."""

    identity: str
    entry: FeedItem


@dataclass
class ItemRow:
    id: int
    source_id: str
    identity: str
    state: str
    attempts: int
    guid: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    author: str | None = None
    published: datetime | None = None
    last_error: str | None = None
    extracted: dict[str, Any] | None = None
    analysis: dict[str, Any] | None = None
    article_id: int | None = None


@dataclass
class ArchivedPage:
    url: str
    body: bytes  # as fetched, uncompressed
    content_type: str | None = None
    charset: str | None = None


class ItemStore:
    """The item, page and story part of ``Store`` (a mixin: it uses the Store's transactions and clock)."""

    # -- discovery -----------------------------------------------------------------------------

    def discover_items(self, source_id: str, entries: Iterable[DiscoveredItem]) -> int:
        """Record the entries of one feed pass as ``discovered``; entries known already are left alone.

        An entry is known when its source has an item with the same identity, or with the same guid
        (a moved URL). A guid shared by several entries of this pass names none of them and is ignored.
        Returns how many items were new.
        """
        unique: dict[str, DiscoveredItem] = {}
        for entry in entries:
            unique.setdefault(entry.identity, entry)
        if not unique:
            return 0
        guid_counts = Counter(d.entry.guid for d in unique.values() if d.entry.guid)
        now = self._clock()  # type: ignore[attr-defined]
        new = 0
        with self._write() as conn:  # type: ignore[attr-defined]
            known_identities: set[str] = set()
            known_guids: set[str] = set()
            identities = list(unique)
            guids = [g for g, n in guid_counts.items() if n == 1]
            for chunk in _chunks(identities):
                known_identities |= set(conn.execute(
                    select(item_table.c.identity).where(item_table.c.source_id == source_id,
                                                        item_table.c.identity.in_(chunk))
                ).scalars())
            for chunk in _chunks(guids):
                known_guids |= set(conn.execute(
                    select(item_table.c.guid).where(item_table.c.source_id == source_id, item_table.c.guid.in_(chunk))
                ).scalars())
            rows = []
            for identity, discovered in unique.items():
                entry = discovered.entry
                if identity in known_identities:
                    continue
                if entry.guid and guid_counts[entry.guid] == 1 and entry.guid in known_guids:
                    log.debug("[%s] %s: known by its guid %s (moved URL)", source_id, identity, entry.guid)
                    continue
                rows.append({
                    "source_id": source_id, "identity": identity, "guid": entry.guid, "url": entry.url,
                    "canonical_url": identity, "title": entry.title, "summary": entry.summary,
                    "content": entry.content, "author": entry.author,
                    "published": as_utc(entry.published) if entry.published else None,
                    "state": "discovered", "attempts": 0, "discovered_at": now, "updated_at": now,
                })
            if rows:
                insert = _insert(conn)
                statement = insert(item_table).on_conflict_do_nothing(index_elements=["source_id", "identity"])
                new = len(conn.execute(statement.returning(item_table.c.id), rows).all())
        return new

    def pending_items(self, source_id: str) -> list[ItemRow]:
        """Items of a source not yet indexed or failed, oldest first."""
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(
                select(item_table)
                .where(item_table.c.source_id == source_id, item_table.c.state.not_in(FINAL_STATES))
                .order_by(item_table.c.id)
            ).mappings().all()
        return [_item_row(row) for row in rows]

    def get_item(self, item_id: int) -> ItemRow | None:
        with self._read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(item_table).where(item_table.c.id == item_id)).mappings().first()
        return _item_row(row) if row else None

    def get_items(self, item_ids: Iterable[int]) -> dict[int, ItemRow]:
        """Several items in one query, by id (missing ids are left out)."""
        ids = list(item_ids)
        if not ids:
            return {}
        with self._read() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(select(item_table).where(item_table.c.id.in_(ids))).mappings().all()
        return {int(row["id"]): _item_row(row) for row in rows}

    def item_states(self, item_ids: Iterable[int]) -> dict[int, str]:
        """The state of each of these items, in one query."""
        ids = list(item_ids)
        if not ids:
            return {}
        with self._read() as conn:  # type: ignore[attr-defined]
            return {int(i): str(state) for i, state in conn.execute(
                select(item_table.c.id, item_table.c.state).where(item_table.c.id.in_(ids)))}

    def item_counts(self, source_id: str | None = None) -> dict[str, int]:
        """How many items are in each state."""
        statement = select(item_table.c.state, func.count()).group_by(item_table.c.state)
        if source_id is not None:
            statement = statement.where(item_table.c.source_id == source_id)
        with self._read() as conn:  # type: ignore[attr-defined]
            return {state: int(count) for state, count in conn.execute(statement)}

    # -- transitions ---------------------------------------------------------------------------

    def start_item(self, item_id: int) -> int:
        """Count one more attempt at an item; returns the count."""
        with self._write() as conn:  # type: ignore[attr-defined]
            return int(conn.execute(
                update(item_table).where(item_table.c.id == item_id)
                .values(attempts=item_table.c.attempts + 1, updated_at=self._clock())  # type: ignore[attr-defined]
                .returning(item_table.c.attempts)
            ).scalar_one())

    def find_article(self, *, url: str | None = None, text: str | None = None, title: str | None = None) -> int | None:
        """The article stored under this canonical URL, or with exactly this text (its fingerprint)."""
        fingerprint = dedup.fingerprint(text, title) if text else None
        with self._read() as conn:  # type: ignore[attr-defined]
            return existing_article(conn, url=url, fingerprint=fingerprint)

    def save_fetch(self, item_id: int, page: ArchivedPage | None, note: str | None) -> None:
        """``fetched``: the raw page archived (compressed), or why there is none."""
        with self._write() as conn:  # type: ignore[attr-defined]
            if page is not None:
                values = {
                    "item_id": item_id, "url": page.url, "content_type": page.content_type,
                    "charset": page.charset, "size": len(page.body), "body": zlib.compress(page.body, 6),
                    "fetched_at": self._clock(),  # type: ignore[attr-defined]
                }
                statement = _insert(conn)(page_table).values(**values)
                conn.execute(statement.on_conflict_do_update(
                    index_elements=["item_id"], set_={k: v for k, v in values.items() if k != "item_id"}
                ))
            self._set_state(conn, item_id, "fetched", last_error=_note(note))

    def page_of_item(self, item_id: int) -> ArchivedPage | None:
        with self._read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(select(page_table).where(page_table.c.item_id == item_id)).mappings().first()
        return _archived(row) if row else None

    def page_of_article(self, article_id: int) -> ArchivedPage | None:
        """The archived page the article was extracted from, if it was archived."""
        with self._read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(
                select(page_table).where(page_table.c.article_id == article_id).order_by(page_table.c.id.desc())
            ).mappings().first()
        return _archived(row) if row else None

    def save_extracted(self, item_id: int, extracted: dict[str, Any], canonical_url: str | None) -> None:
        """``extracted``: the text chosen (page, else feed) and its metadata, as JSON."""
        with self._write() as conn:  # type: ignore[attr-defined]
            self._set_state(conn, item_id, "extracted", extracted=extracted,
                            canonical_url=canonical_url, last_error=_note(extracted.get("extract_note")))

    def save_analyses(self, analyses: list[tuple[int, dict[str, Any] | None]]) -> None:
        """``analyzed``, for a batch of items (None: the analysis failed; the article is stored without)."""
        with self._write() as conn:  # type: ignore[attr-defined]
            for item_id, analysis in analyses:
                self._set_state(conn, item_id, "analyzed", analysis=analysis)

    def link_item(self, item_id: int, article_id: int) -> None:
        """``indexed`` as a copy of an article already stored (same URL or same text)."""
        with self._write() as conn:  # type: ignore[attr-defined]
            self._set_state(conn, item_id, "indexed", article_id=article_id, extracted=None, analysis=None)
            self._touch_story(conn, article_id)

    def fail_item(self, item_id: int, error: str) -> None:
        with self._write() as conn:  # type: ignore[attr-defined]
            self._set_state(conn, item_id, "failed", last_error=_note(error), extracted=None, analysis=None)

    def index_item(self, item_id: int, article: NewArticle, analysis: dict[str, Any] | None) -> Stored:
        """``indexed``: the article (or a link to the one holding its URL or text) and the item, together."""
        from pipeline.store.repo import _article_row  # the row rules live with add_article

        row = _article_row(article, analysis)
        with self._write() as conn:  # type: ignore[attr-defined]
            current = conn.execute(
                select(item_table.c.state, item_table.c.article_id).where(item_table.c.id == item_id)
                .with_for_update()  # two workers finishing the same item (a lease taken over) write it once
            ).first()
            if current is not None and current.state == "indexed" and current.article_id is not None:
                return Stored(int(current.article_id), False)
            stored = self._store_article(conn, row, analysis)  # type: ignore[attr-defined]
            self._set_state(conn, item_id, "indexed", article_id=stored.article_id, extracted=None, analysis=None)
            if stored.created:
                conn.execute(update(page_table).where(page_table.c.item_id == item_id)
                             .values(article_id=stored.article_id))
            else:
                self._touch_story(conn, stored.article_id)
        return stored

    def _set_state(self, conn: Connection, item_id: int, state: str, **values: Any) -> None:
        conn.execute(update(item_table).where(item_table.c.id == item_id)
                     .values(state=state, updated_at=self._clock(), **values))  # type: ignore[attr-defined]

    def _touch_story(self, conn: Connection, article_id: int) -> None:
        conn.execute(
            update(story_table)
            .where(story_table.c.id == select(article_table.c.story_id)
                   .where(article_table.c.id == article_id).scalar_subquery())
            .values(last_seen=self._clock())  # type: ignore[attr-defined]
        )

    # -- stories -------------------------------------------------------------------------------

    def get_story(self, story_id: int) -> dict[str, Any] | None:
        """A story with its articles, and every source and URL that carried it."""
        with self._read() as conn:  # type: ignore[attr-defined]
            story = conn.execute(select(story_table).where(story_table.c.id == story_id)).mappings().first()
            if story is None:
                return None
            articles = conn.execute(
                select(article_table.c.id, article_table.c.source_id, article_table.c.url, article_table.c.title,
                       article_table.c.published, article_table.c.fetched_at)
                .where(article_table.c.story_id == story_id).order_by(article_table.c.id)
            ).mappings().all()
            copies = conn.execute(
                select(item_table.c.source_id, item_table.c.url, item_table.c.identity, item_table.c.article_id)
                .where(item_table.c.article_id.in_([a["id"] for a in articles]))
                .order_by(item_table.c.id)
            ).mappings().all()
        sources = list(dict.fromkeys([a["source_id"] for a in articles] + [c["source_id"] for c in copies]))
        urls = list(dict.fromkeys([a["url"] for a in articles] + [c["url"] or c["identity"] for c in copies]))
        return {**dict(story), "articles": [dict(a) for a in articles], "sources": sources, "urls": urls}

    def story_sources(self, conn: Connection, story_ids: list[int]) -> dict[int, list[str]]:
        """Every source that carried each story (articles of it, and items linked to them)."""
        if not story_ids:
            return {}
        own = select(article_table.c.story_id, article_table.c.source_id, article_table.c.id.label("order_key")) \
            .where(article_table.c.story_id.in_(story_ids))
        linked = (
            select(article_table.c.story_id, item_table.c.source_id, item_table.c.id.label("order_key"))
            .join(article_table, article_table.c.id == item_table.c.article_id)
            .where(article_table.c.story_id.in_(story_ids))
        )
        result: dict[int, list[str]] = {story_id: [] for story_id in story_ids}
        for story_id, source_id, _ in sorted(conn.execute(own.union_all(linked)).all(), key=lambda r: (r[0], r[2])):
            if source_id not in result[story_id]:
                result[story_id].append(source_id)
        return result

    # -- reprocessing --------------------------------------------------------------------------

    def articles_to_reprocess(self, *, since: datetime | None = None, source_id: str | None = None) -> list[int]:
        statement = select(article_table.c.id).order_by(article_table.c.id)
        if since is not None:
            statement = statement.where(article_table.c.fetched_at >= as_utc(since))
        if source_id is not None:
            statement = statement.where(article_table.c.source_id == source_id)
        with self._read() as conn:  # type: ignore[attr-defined]
            return [int(i) for i in conn.execute(statement).scalars()]

    def feed_text_of_article(self, article_id: int) -> dict[str, Any] | None:
        """The feed's own title, summary and content of the item that created the article."""
        with self._read() as conn:  # type: ignore[attr-defined]
            row = conn.execute(
                select(item_table.c.title, item_table.c.summary, item_table.c.content)
                .where(item_table.c.article_id == article_id,
                       item_table.c.id.in_(select(page_table.c.item_id).where(page_table.c.article_id == article_id)))
                .limit(1)
            ).mappings().first()
        return dict(row) if row else None

    def rewrite_article(self, article_id: int, changes: dict[str, Any], analysis: dict[str, Any] | None) -> None:
        """Replace an article's text fields and analysis in place (entities, events, full text, signatures).

        The article keeps its id, URL and story. A new text whose fingerprint another article holds keeps
        no fingerprint rather than merging two stored articles.
        """
        from pipeline.store.analysis import float_or_none
        from pipeline.store.repo import _bool_or_none, write_analysis_rows

        analysis = analysis or None
        with self._write() as conn:  # type: ignore[attr-defined]
            current = conn.execute(
                select(article_table.c.text, article_table.c.title).where(article_table.c.id == article_id)
            ).first()
            if current is None:
                return
            signed = signatures(changes.get("text", current.text), changes.get("title", current.title))
            if signed["fingerprint"]:
                holder = existing_article(conn, fingerprint=signed["fingerprint"])
                if holder is not None and holder != article_id:
                    signed["fingerprint"] = None
            values = {
                **changes, **signed,
                "relevant": _bool_or_none(analysis.get("relevant")) if analysis else None,
                "relevance": float_or_none(analysis.get("relevance")) if analysis else None,
                "summary": analysis.get("summary") if analysis else None,
                "analysis": analysis,
            }
            conn.execute(update(article_table).where(article_table.c.id == article_id).values(**values))
            write_analysis_rows(conn, article_id, analysis)
            story_id = conn.execute(
                select(article_table.c.story_id).where(article_table.c.id == article_id)
            ).scalar()
            if story_id is None:
                source_id = conn.execute(
                    select(article_table.c.source_id).where(article_table.c.id == article_id)
                ).scalar_one()
                join_story(conn, article_id, {"source_id": source_id, "title": values.get("title"),
                                              "minhash": signed["minhash"]}, self._clock())  # type: ignore[attr-defined]
            else:
                write_bands(conn, article_id, signed["minhash"])
                refresh_story(conn, story_id, self._clock())  # type: ignore[attr-defined]


def _item_row(row: Any) -> ItemRow:
    return ItemRow(**{name: row[name] for name in ItemRow.__dataclass_fields__})


def _archived(row: Any) -> ArchivedPage:
    return ArchivedPage(url=row["url"], body=zlib.decompress(row["body"]), content_type=row["content_type"],
                        charset=row["charset"])


def _note(note: str | None) -> str | None:
    if not note:
        return None
    line = " ".join(note.split())
    return line if len(line) <= MAX_NOTE_LENGTH else line[: MAX_NOTE_LENGTH - 1] + "…"


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert(conn: Connection) -> Any:
    from pipeline.store.repo import _dialect_insert

    return _dialect_insert(conn)


__all__ = ["ArchivedPage", "DiscoveredItem", "ItemRow", "ItemStore", "Stored"]
