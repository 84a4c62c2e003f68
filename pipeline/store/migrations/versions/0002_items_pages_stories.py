"""Crash-safe crawl progress, the raw-page archive, and stories.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01

- ``item``: every feed entry of every source with its state
  (discovered -> fetched -> extracted -> analyzed -> indexed, or failed), the
  feed's own text, the intermediate results, and the article it became;
- ``page``: the raw HTML of an item as fetched, zlib-compressed;
- ``story``: near-duplicate articles across sources; ``article.story_id``;
- ``article.fingerprint`` (exact-content key, unique), ``article.minhash`` and
  the ``article_band`` table of its LSH band hashes (near-duplicate candidates).

Existing articles each get a story of their own and an ``indexed`` item, so a
crawl after the upgrade recognises every entry it stored before. Their
fingerprints and MinHashes are filled by ``regwatch reprocess``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _when("first_seen", nullable=False),
        _when("last_seen", nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("earliest_article_id", sa.Integer(), nullable=True),
        sa.Column("latest_article_id", sa.Integer(), nullable=True),
        sa.Column("article_count", sa.Integer(), nullable=False),
    )
    # A plain column: SQLite cannot add a foreign key to an existing table without rebuilding it.
    op.add_column("article", sa.Column("story_id", sa.Integer(), nullable=True))
    op.add_column("article", sa.Column("fingerprint", sa.String(), nullable=True))
    op.add_column("article", sa.Column("minhash", sa.LargeBinary(), nullable=True))
    op.create_index("ix_article_story_id", "article", ["story_id"])
    op.create_index("uq_article_fingerprint", "article", ["fingerprint"], unique=True)

    op.create_table(
        "article_band",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", name="fk_article_band_article_id_article", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "band", name="pk_article_band"),
    )
    op.create_index("ix_article_band_band_value", "article_band", ["band", "value"])

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(), sa.ForeignKey("source.id", name="fk_item_source_id_source"),
                  nullable=False),
        sa.Column("identity", sa.String(), nullable=False),
        sa.Column("guid", sa.String(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("canonical_url", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("author", sa.String(), nullable=True),
        _when("published"),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("extracted", sa.JSON(), nullable=True),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("article.id", name="fk_item_article_id_article", ondelete="SET NULL"),
            nullable=True,
        ),
        _when("discovered_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("source_id", "identity", name="uq_item_source_id_identity"),
    )
    op.create_index("ix_item_source_id_guid", "item", ["source_id", "guid"])
    op.create_index("ix_item_source_id_state", "item", ["source_id", "state"])
    op.create_index("ix_item_canonical_url", "item", ["canonical_url"])
    op.create_index("ix_item_article_id", "item", ["article_id"])

    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer(),
                  sa.ForeignKey("item.id", name="fk_page_item_id_item", ondelete="CASCADE"), nullable=True),
        sa.Column("article_id", sa.Integer(),
                  sa.ForeignKey("article.id", name="fk_page_article_id_article", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("charset", sa.String(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _when("fetched_at", nullable=False),
        sa.UniqueConstraint("item_id", name="uq_page_item_id"),
    )
    op.create_index("ix_page_article_id", "page", ["article_id"])

    # Existing articles: one story each (same id), and the item that found them.
    op.execute(
        "INSERT INTO story (id, first_seen, last_seen, title, earliest_article_id, latest_article_id, article_count) "
        "SELECT id, fetched_at, fetched_at, title, id, id, 1 FROM article"
    )
    op.execute("UPDATE article SET story_id = id")
    if dialect == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('story', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM story")
    op.execute(
        "INSERT INTO item (source_id, identity, guid, url, canonical_url, title, state, attempts, article_id, "
        "discovered_at, updated_at) "
        "SELECT source_id, canonical_url, guid, url, canonical_url, title, 'indexed', 0, id, fetched_at, fetched_at "
        "FROM article"
    )


def downgrade() -> None:
    op.drop_table("page")
    op.drop_table("item")
    op.drop_table("article_band")
    op.drop_index("uq_article_fingerprint", table_name="article")
    op.drop_index("ix_article_story_id", table_name="article")
    for column in ("minhash", "fingerprint", "story_id"):
        op.drop_column("article", column)
    op.drop_table("story")
