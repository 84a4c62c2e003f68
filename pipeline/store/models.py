"""The store's tables, as SQLModel classes.

They have their own metadata (``store_metadata``), so that other SQLModel
classes in the project (API schemas, say) never leak into the migrations.
The schema itself is created by the Alembic migrations in ``migrations/``,
which spell the tables out and do not import this module; a test checks that
the two agree. The full-text index (SQLite ``article_fts``, PostgreSQL
``article.search_vector``) exists only in the migrations: it is read through
SQL in ``pipeline.search``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from pipeline.store.types import UTCDateTime, utc_now

ENTITY_KINDS = ("company", "authority", "jurisdiction", "date")
TEXT_ORIGINS = ("page", "feed_content", "feed_summary", "feed_title")
ITEM_STATES = ("discovered", "fetched", "extracted", "analyzed", "indexed", "failed")
FINAL_STATES = ("indexed", "failed")


class StoreModel(SQLModel, registry=registry()):
    """Base of the store's tables; carries their own MetaData."""


store_metadata = StoreModel.metadata


def _text(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


def _string(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(String, nullable=nullable))


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime, nullable=nullable))


class Source(StoreModel, table=True):
    """A feed from sources.yaml, with its polling state (miniflux keeps the last error on the feed)."""

    __tablename__ = "source"

    id: str = Field(sa_column=Column(String, primary_key=True))
    name: str = Field(sa_column=Column(String, nullable=False))
    url: str = Field(sa_column=Column(String, nullable=False))
    kind: str = Field(sa_column=Column(String, nullable=False))
    jurisdiction: str | None = _string()
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    last_attempt: datetime | None = _when()
    last_success: datetime | None = _when()
    consecutive_failures: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_error: str | None = _text()
    next_poll: datetime | None = _when()
    etag: str | None = _string()
    last_modified: str | None = _string()
    content_hash: str | None = _string()


class Article(StoreModel, table=True):
    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("canonical_url", name="uq_article_canonical_url"),
        Index("ix_article_source_id_guid", "source_id", "guid"),
        Index("ix_article_published", "published"),
        Index("uq_article_fingerprint", "fingerprint", unique=True),
        Index("ix_article_search", "id", "story_id", "published", "fetched_at", "source_id"),  # search ranking
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    source_id: str = Field(
        sa_column=Column(String, ForeignKey("source.id", name="fk_article_source_id_source"), nullable=False)
    )
    url: str = Field(sa_column=Column(String, nullable=False))
    canonical_url: str = Field(sa_column=Column(String, nullable=False))
    guid: str | None = _string()
    title: str | None = _text()
    author: str | None = _string()
    published: datetime | None = _when()
    fetched_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    language: str | None = _string()
    sitename: str | None = _string()
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_origin: str = Field(sa_column=Column(String, nullable=False))
    extract_note: str | None = _text()
    content_hash: str | None = _string()
    relevant: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    relevance: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    summary: str | None = _text()
    analysis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # story.id, kept by the store; no foreign key, as SQLite cannot add one to an existing table in place
    story_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True, index=True))
    fingerprint: str | None = _string()  # pipeline.store.dedup.fingerprint: equal text, same article
    minhash: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


def _article_id(table: str) -> Any:
    return Field(
        sa_column=Column(
            Integer,
            ForeignKey("article.id", name=f"fk_{table}_article_id_article", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class Entity(StoreModel, table=True):
    """A company, authority, jurisdiction or date named by an article's analysis."""

    __tablename__ = "entity"
    __table_args__ = (
        Index("ix_entity_kind_name", "kind", "name"),
        Index("ix_entity_article_id_kind", "article_id", "kind", "code", "name"),  # search filters and facets
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    article_id: int = _article_id("entity")
    kind: str = Field(sa_column=Column(String, nullable=False))
    name: str = Field(sa_column=Column(String, nullable=False))
    code: str | None = _string()  # jurisdiction code; ISO date, maybe partial, for a date
    mentions: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class Event(StoreModel, table=True):
    """A policy change found in an article (the taxonomy of the analysis spec)."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_type", "type"),
        Index("ix_event_article_id_type", "article_id", "type", "status"),  # search filters and facets
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    article_id: int = _article_id("event")
    type: str = Field(sa_column=Column(String, nullable=False))
    actor: str | None = _string()
    actor_kind: str | None = _string()
    jurisdictions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    effective_date: str | None = _string()  # ISO, may be partial: "2021-08", "2021"
    status: str | None = _string()
    confidence: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    evidence: str | None = _text()


class Story(StoreModel, table=True):
    """Copies of one piece of news across sources: near-duplicate articles share a story."""

    __tablename__ = "story"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    title: str | None = _text()  # of the earliest version
    # Plain ids (no foreign key: article.story_id already points the other way).
    earliest_article_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    latest_article_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    article_count: int = Field(default=1, sa_column=Column(Integer, nullable=False))


class ArticleBand(StoreModel, table=True):
    """One locality-sensitive band hash of an article's MinHash: near-duplicate candidates share one."""

    __tablename__ = "article_band"
    __table_args__ = (
        PrimaryKeyConstraint("article_id", "band", name="pk_article_band"),
        Index("ix_article_band_band_value", "band", "value"),
    )

    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", name="fk_article_band_article_id_article", ondelete="CASCADE"),
            nullable=False,
        )
    )
    band: int = Field(sa_column=Column(Integer, nullable=False))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class Item(StoreModel, table=True):
    """One feed entry of one source and how far it got: discovered -> fetched -> extracted -> analyzed -> indexed.

    ``identity`` is the crawl's key of the entry (``pipeline.crawl.item_identity``); ``canonical_url`` is the
    URL that names the article once its page has been read (the page's rel=canonical when trusted).
    """

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("source_id", "identity", name="uq_item_source_id_identity"),
        Index("ix_item_source_id_guid", "source_id", "guid"),
        Index("ix_item_source_id_state", "source_id", "state"),
        Index("ix_item_canonical_url", "canonical_url"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    source_id: str = Field(
        sa_column=Column(String, ForeignKey("source.id", name="fk_item_source_id_source"), nullable=False)
    )
    identity: str = Field(sa_column=Column(String, nullable=False))
    guid: str | None = _string()
    url: str | None = _string()
    canonical_url: str | None = _string()
    title: str | None = _text()
    summary: str | None = _text()
    content: str | None = _text()
    author: str | None = _string()
    published: datetime | None = _when()
    state: str = Field(sa_column=Column(String, nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    last_error: str | None = _text()
    extracted: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    analysis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    article_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("article.id", name="fk_item_article_id_article", ondelete="SET NULL"),
            nullable=True, index=True,
        ),
    )
    discovered_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


class Page(StoreModel, table=True):
    """The raw page of an item as fetched, zlib-compressed, for `regwatch reprocess`."""

    __tablename__ = "page"
    __table_args__ = (UniqueConstraint("item_id", name="uq_page_item_id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    item_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("item.id", name="fk_page_item_id_item", ondelete="CASCADE"), nullable=True
        ),
    )
    article_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("article.id", name="fk_page_article_id_article", ondelete="SET NULL"),
            nullable=True, index=True,
        ),
    )
    url: str = Field(sa_column=Column(String, nullable=False))  # after redirects
    content_type: str | None = _string()
    charset: str | None = _string()
    size: int = Field(sa_column=Column(Integer, nullable=False))  # uncompressed bytes
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # zlib
    fetched_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


ALERT_KINDS = ("new", "updated")
DELIVERY_STATES = ("queued", "sent", "dead")


class Alert(StoreModel, table=True):
    """A watch rule's match on a story (the outbox), written with the analysis that caused it.

    ``dedup_key`` is unique: ``new:RULE:STORY`` or ``updated:RULE:STORY:FACTS`` (pipeline.alerts.outbox).
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_alert_dedup_key"),
        Index("ix_alert_rule_story_id", "rule", "story_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    rule: str = Field(sa_column=Column(String, nullable=False))
    story_id: int = Field(sa_column=Column(Integer, nullable=False))
    article_id: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String, nullable=False))  # one of ALERT_KINDS
    dedup_key: str = Field(sa_column=Column(String, nullable=False))
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


class AlertDelivery(StoreModel, table=True):
    """One alert to one channel: queued until sent, or dead after too many failed attempts."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel", name="uq_alert_delivery_alert_id_channel"),
        Index("ix_alert_delivery_state_next_attempt", "state", "next_attempt"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    alert_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("alert.id", name="fk_alert_delivery_alert_id_alert", ondelete="CASCADE"),
            nullable=False,
        )
    )
    channel: str = Field(sa_column=Column(String, nullable=False))
    state: str = Field(sa_column=Column(String, nullable=False))  # one of DELIVERY_STATES
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    last_error: str | None = _text()
    sent_at: datetime | None = _when()
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


class AlertAttempt(StoreModel, table=True):
    """Every attempt at a delivery, with its outcome."""

    __tablename__ = "alert_attempt"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    delivery_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("alert_delivery.id", name="fk_alert_attempt_delivery_id_alert_delivery", ondelete="CASCADE"),
            nullable=False, index=True,
        )
    )
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ok: bool = Field(sa_column=Column(Boolean, nullable=False))
    error: str | None = _text()
    seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class DigestRun(StoreModel, table=True):
    """A digest of one subscription (alerts.yaml ``digests:``) for one scheduled slot; written before sending."""

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("subscription", "slot", name="uq_digest_run_subscription_slot"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    subscription: str = Field(sa_column=Column(String, nullable=False))
    slot: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    period_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    period_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = _when()
    story_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class SavedSearch(StoreModel, table=True):
    """A named query of the search language (pipeline.search.saved), for alerts, digests and feeds."""

    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("name", name="uq_saved_search_name"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(String, nullable=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


class ApiToken(StoreModel, table=True):
    """A token of the HTTP API (read-only or admin); only its SHA-256 is kept (pipeline.api.tokens)."""

    __tablename__ = "api_token"
    __table_args__ = (
        UniqueConstraint("name", name="uq_api_token_name"),
        UniqueConstraint("token_hash", name="uq_api_token_token_hash"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    name: str = Field(sa_column=Column(String, nullable=False))
    token_hash: str = Field(sa_column=Column(String, nullable=False))
    admin: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    prefix: str = Field(sa_column=Column(String, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))


TASK_STATES = ("queued", "running", "done", "dead")
LIVE_TASK_STATES = ("queued", "running")


class Task(StoreModel, table=True):
    """A unit of work for `regwatch worker` (pipeline.store.queue): poll a source, carry items through, deliver.

    At most one task per (kind, key) is queued or running at a time (a partial unique index), so a task
    enqueued twice, by two schedulers or a scheduler and a restart, exists once. A running task belongs to
    ``lease_owner`` until ``lease_expires``; after that any worker may take it over.
    """

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_state_run_after", "state", "run_after"),
        Index("ix_task_finished_at", "finished_at"),
        Index("uq_task_live_kind_key", "kind", "key", unique=True,
              sqlite_where=text("state IN ('queued', 'running')"),
              postgresql_where=text("state IN ('queued', 'running')")),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    kind: str = Field(sa_column=Column(String, nullable=False))
    key: str = Field(sa_column=Column(String, nullable=False))
    state: str = Field(sa_column=Column(String, nullable=False))
    run_after: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    lease_owner: str | None = _string()
    lease_expires: datetime | None = _when()
    last_error: str | None = _text()
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = _when()


class WorkerSeen(StoreModel, table=True):
    """A `regwatch worker` or `regwatch scheduler` process, as it last reported itself (for `regwatch status`)."""

    __tablename__ = "worker"

    id: str = Field(sa_column=Column(String, primary_key=True))
    role: str = Field(sa_column=Column(String, nullable=False))
    host: str = Field(sa_column=Column(String, nullable=False))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    is_leader: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    done: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    task: str | None = _string()


class HostSlot(StoreModel, table=True):
    """Per-host politeness shared by every worker (pipeline.fetch.shared): when the next request to a host may
    start, and until when the host asked not to be contacted (Retry-After)."""

    __tablename__ = "host_slot"

    host: str = Field(sa_column=Column(String, primary_key=True))
    next_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    deferred_until: datetime | None = _when()
