"""Initial schema: sources, articles, entities, events and the full-text index.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Tables are written out here, not imported from pipeline.store.models, so that
this revision keeps describing the schema as it was when it was written.
The full-text index depends on the backend:

- SQLite: an external-content FTS5 table ``article_fts(title, text)`` whose
  rowid is ``article.id``, kept in step by triggers;
- PostgreSQL: a generated ``article.search_vector`` (title weight A, text
  weight B) with a GIN index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'B')"
)

FTS_DELETE_OLD = (
    "INSERT INTO article_fts(article_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text)"
)
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE article_fts USING fts5("
    "title, text, content='article', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER article_fts_after_insert AFTER INSERT ON article BEGIN "
    "INSERT INTO article_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE TRIGGER article_fts_after_delete AFTER DELETE ON article BEGIN {FTS_DELETE_OLD}; END",
    "CREATE TRIGGER article_fts_after_update AFTER UPDATE OF title, text ON article BEGIN "
    f"{FTS_DELETE_OLD}; "
    "INSERT INTO article_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("jurisdiction", sa.String(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        _when("last_attempt"),
        _when("last_success"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("next_poll"),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
    )
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "source_id",
            sa.String(),
            sa.ForeignKey("source.id", name="fk_article_source_id_source"),
            nullable=False,
        ),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("canonical_url", sa.String(), nullable=False),
        sa.Column("guid", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("author", sa.String(), nullable=True),
        _when("published"),
        _when("fetched_at", nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("sitename", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_origin", sa.String(), nullable=False),
        sa.Column("extract_note", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("relevant", sa.Boolean(), nullable=True),
        sa.Column("relevance", sa.Float(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.UniqueConstraint("canonical_url", name="uq_article_canonical_url"),
    )
    op.create_index("ix_article_source_id_guid", "article", ["source_id", "guid"])
    op.create_index("ix_article_published", "article", ["published"])

    op.create_table(
        "entity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", name="fk_entity_article_id_article", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=True),
    )
    op.create_index("ix_entity_article_id", "entity", ["article_id"])
    op.create_index("ix_entity_kind_name", "entity", ["kind", "name"])

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", name="fk_event_article_id_article", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("actor_kind", sa.String(), nullable=True),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.Column("effective_date", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
    )
    op.create_index("ix_event_article_id", "event", ["article_id"])
    op.create_index("ix_event_type", "event", ["type"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        column = f"search_vector tsvector GENERATED ALWAYS AS ({SEARCH_VECTOR}) STORED"
        op.execute(f"ALTER TABLE article ADD COLUMN {column}")
        op.execute("CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)")
    else:
        raise RuntimeError(f"no full-text index for the {dialect} backend (SQLite or PostgreSQL only)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("article_fts_after_update", "article_fts_after_delete", "article_fts_after_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS article_fts")
    op.drop_table("event")
    op.drop_table("entity")
    op.drop_table("article")
    op.drop_table("source")
