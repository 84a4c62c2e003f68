"""Saved searches, and indexes for search: ranking, filters and facets read index entries, not wide rows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

- ``saved_search``: ``name`` (unique; lower-case letters, digits, - and _) -> ``query`` (the text as the
  user wrote it, validated by the parser when saved), with when it was created and last changed.
- ``ix_article_search`` (id, story_id, published, fetched_at, source_id): what ranking reads of each matching
  article (SQLite reads it instead of the article rows, which hold the whole text);
- ``ix_entity_article_id_kind`` (article_id, kind, code, name) and ``ix_event_article_id_type`` (article_id,
  type, status): an article's jurisdictions, companies and events for filters and facets, one lookup each.
- PostgreSQL: ``article.search_vector`` is rebuilt with the punctuation that SQLite's FTS5 tokenizer splits
  words at (``-``, ``/``, ``.``, ``_``, ``@``, ``:``, ``+``, ``<``, ``>``, ``&``) turned into spaces first, so
  that both backends see the same words: PostgreSQL's parser keeps ``minister-designate`` as one compound
  token (which broke the phrase "prime minister" there but not in FTS5) and skips anything that looks like an
  HTML tag (article text is plain text: ``<script>`` in it is words).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The characters PostgreSQL's parser joins words with (compounds, URLs, versions, e-mail addresses) or reads as
# markup (``<tag ...>`` and ``&entity;`` are skipped, with the words inside), and FTS5's unicode61 tokenizer
# splits at; pipeline.search.query.to_tsquery splits the query's words the same way.
SPLIT_AT = "-/._@:+<>&"
OLD_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'B')"
)
NEW_VECTOR = (
    f"setweight(to_tsvector('english', translate(coalesce(title, ''), '{SPLIT_AT}', '{' ' * len(SPLIT_AT)}')), 'A') || "
    f"setweight(to_tsvector('english', translate(coalesce(text, ''), '{SPLIT_AT}', '{' ' * len(SPLIT_AT)}')), 'B')"
)


def _search_vector(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
    op.execute("ALTER TABLE article DROP COLUMN search_vector")
    op.execute(f"ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)")


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("name", name="uq_saved_search_name"),
    )
    op.create_index("ix_article_search", "article", ["id", "story_id", "published", "fetched_at", "source_id"])
    op.create_index("ix_entity_article_id_kind", "entity", ["article_id", "kind", "code", "name"])
    op.create_index("ix_event_article_id_type", "event", ["article_id", "type", "status"])
    if op.get_bind().dialect.name == "postgresql":
        _search_vector(NEW_VECTOR)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _search_vector(OLD_VECTOR)
    op.drop_index("ix_event_article_id_type", table_name="event")
    op.drop_index("ix_entity_article_id_kind", table_name="entity")
    op.drop_index("ix_article_search", table_name="article")
    op.drop_table("saved_search")
