"""SQLite: ``article_fts_rank`` and ``article_fts_place``, what search reads of each match, kept by triggers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Ranking a query reads, for every matching article, its story, date and source; grouping keeps the best article
of each story. ``article_fts_rank`` holds exactly that per article id, in a narrow rowid table (one seek per
match, no date parsing per match), and marks the articles whose story has other articles (``shared``), so that
only those go through grouping; the rest are stories of their own:

- ``id``: article.id; ``story_key``: ``COALESCE(story_id, -id)`` (an article without a story is its own);
- ``shared``: 1 when another article has the same ``story_key``, else 0;
- ``source_id``; ``day``: ``COALESCE(published, fetched_at)`` as stored; ``jday``: ``julianday(day)``.

``article_fts_place`` lists the jurisdiction codes of each article, from its entities (kind ``jurisdiction``)
and from its events' ``jurisdictions`` (one row per entity or per element of the event's list, with its origin
so that a deleted entity or event takes its rows along), under ``upper(code)`` too: the ``jurisdiction:`` filter
then reads an index range of the code instead of probing every matching article's entities and events.

Triggers on ``article``, ``entity`` and ``event`` keep both in step with every insert, update and delete, like
the ``article_fts`` triggers of 0001, so every writer (the store, bulk loaders such as bench/search.py, plain
SQL) keeps them right; the upgrade fills them from the existing rows. Like the full-text index they exist only
here (their names start with ``article_fts``, which the model check leaves out). PostgreSQL has neither: it
reads the article rows it ranks anyway (for ``search_vector``).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _key(row: str) -> str:
    return f"COALESCE({row}.story_id, -{row}.id)"


def _day(row: str) -> str:
    return f"COALESCE({row}.published, {row}.fetched_at)"


def _refresh_shared(key: str) -> str:
    """Recompute ``shared`` for every article of the story ``key`` (an index range: a story is a few articles)."""
    return (f"UPDATE article_fts_rank SET shared = ((SELECT COUNT(*) FROM article_fts_rank AS r "
            f"WHERE r.story_key = {key}) > 1) WHERE story_key = {key}")


_ENTITY_PLACE = (
    "INSERT INTO article_fts_place (origin, origin_id, article_id, code, ucode) "
    "SELECT 'entity', new.id, new.article_id, new.code, upper(new.code) "
    "WHERE new.kind = 'jurisdiction' AND new.code IS NOT NULL"
)
_EVENT_PLACE = (
    "INSERT INTO article_fts_place (origin, origin_id, article_id, code, ucode) "
    "SELECT 'event', new.id, new.article_id, j.value, upper(j.value) FROM json_each(new.jurisdictions) AS j "
    "WHERE json_valid(new.jurisdictions)"
)

STATEMENTS = [
    "CREATE TABLE article_fts_rank (id INTEGER PRIMARY KEY, story_key INTEGER NOT NULL, "
    "shared INTEGER NOT NULL DEFAULT 0, source_id VARCHAR NOT NULL, day TEXT, jday REAL)",
    "CREATE INDEX article_fts_rank_story_key ON article_fts_rank (story_key)",
    "CREATE TRIGGER article_fts_rank_after_insert AFTER INSERT ON article BEGIN "
    "INSERT INTO article_fts_rank (id, story_key, shared, source_id, day, jday) "
    f"VALUES (new.id, {_key('new')}, 0, new.source_id, {_day('new')}, julianday({_day('new')})); "
    f"{_refresh_shared(_key('new'))}; END",
    "CREATE TRIGGER article_fts_rank_after_update AFTER UPDATE OF story_id, published, fetched_at, source_id "
    "ON article BEGIN "
    f"UPDATE article_fts_rank SET story_key = {_key('new')}, source_id = new.source_id, day = {_day('new')}, "
    f"jday = julianday({_day('new')}) WHERE id = new.id; "
    f"{_refresh_shared(_key('old'))}; {_refresh_shared(_key('new'))}; END",
    "CREATE TRIGGER article_fts_rank_after_delete AFTER DELETE ON article BEGIN "
    f"DELETE FROM article_fts_rank WHERE id = old.id; {_refresh_shared(_key('old'))}; END",
    # jurisdiction codes: no type affinity, so that a code is compared exactly as json_each() gives it
    "CREATE TABLE article_fts_place (origin VARCHAR NOT NULL, origin_id INTEGER NOT NULL, "
    "article_id INTEGER NOT NULL, code, ucode)",
    "CREATE INDEX article_fts_place_ucode ON article_fts_place (ucode, code, article_id)",
    "CREATE INDEX article_fts_place_origin ON article_fts_place (origin, origin_id)",
    f"CREATE TRIGGER article_fts_place_entity_insert AFTER INSERT ON entity BEGIN {_ENTITY_PLACE}; END",
    "CREATE TRIGGER article_fts_place_entity_update AFTER UPDATE OF article_id, kind, code ON entity BEGIN "
    f"DELETE FROM article_fts_place WHERE origin = 'entity' AND origin_id = old.id; {_ENTITY_PLACE}; END",
    "CREATE TRIGGER article_fts_place_entity_delete AFTER DELETE ON entity BEGIN "
    "DELETE FROM article_fts_place WHERE origin = 'entity' AND origin_id = old.id; END",
    f"CREATE TRIGGER article_fts_place_event_insert AFTER INSERT ON event BEGIN {_EVENT_PLACE}; END",
    "CREATE TRIGGER article_fts_place_event_update AFTER UPDATE OF article_id, jurisdictions ON event BEGIN "
    f"DELETE FROM article_fts_place WHERE origin = 'event' AND origin_id = old.id; {_EVENT_PLACE}; END",
    "CREATE TRIGGER article_fts_place_event_delete AFTER DELETE ON event BEGIN "
    "DELETE FROM article_fts_place WHERE origin = 'event' AND origin_id = old.id; END",
    # the existing rows
    "INSERT INTO article_fts_rank (id, story_key, shared, source_id, day, jday) "
    f"SELECT a.id, {_key('a')}, 0, a.source_id, {_day('a')}, julianday({_day('a')}) FROM article AS a",
    "UPDATE article_fts_rank SET shared = 1 WHERE story_key IN "
    "(SELECT story_key FROM article_fts_rank GROUP BY story_key HAVING COUNT(*) > 1)",
    "INSERT INTO article_fts_place (origin, origin_id, article_id, code, ucode) "
    "SELECT 'entity', e.id, e.article_id, e.code, upper(e.code) FROM entity AS e "
    "WHERE e.kind = 'jurisdiction' AND e.code IS NOT NULL",
    "INSERT INTO article_fts_place (origin, origin_id, article_id, code, ucode) "
    "SELECT 'event', v.id, v.article_id, j.value, upper(j.value) FROM event AS v, json_each(v.jurisdictions) AS j "
    "WHERE json_valid(v.jurisdictions)",
    "ANALYZE article_fts_rank",
    "ANALYZE article_fts_place",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("article_fts_rank_after_delete", "article_fts_rank_after_update", "article_fts_rank_after_insert",
                    *(f"article_fts_place_{table}_{when}" for table in ("entity", "event")
                      for when in ("insert", "update", "delete"))):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS article_fts_place")
    op.execute("DROP TABLE IF EXISTS article_fts_rank")
