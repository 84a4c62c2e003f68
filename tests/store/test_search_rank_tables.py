"""SQLite's search side tables (migration 0007) stay equal to what they are derived from, whatever writes.

``article_fts_rank`` (story key, date, julianday, shared) and ``article_fts_place`` (jurisdiction codes of
entities and events) are kept by triggers; search results depend on them (one hit per story relies on
``shared``), so every path that writes articles, entities or events is checked against a recomputation
from the base tables: the store's own writes (store, story joins, reprocessing, rewrites), plain SQL
updates and deletes, and the upgrade of a database that already holds rows.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sqlalchemy import text

from pipeline.search import run_search
from pipeline.store import Store, upgrade_db
from pipeline.store.db import make_engine

EXPECTED_RANK = """
    SELECT a.id, COALESCE(a.story_id, -a.id), a.source_id, COALESCE(a.published, a.fetched_at),
           julianday(COALESCE(a.published, a.fetched_at)),
           (SELECT COUNT(*) FROM article AS b WHERE COALESCE(b.story_id, -b.id) = COALESCE(a.story_id, -a.id)) > 1
    FROM article AS a ORDER BY a.id
"""
ACTUAL_RANK = "SELECT id, story_key, source_id, day, jday, shared FROM article_fts_rank ORDER BY id"
EXPECTED_PLACE = """
    SELECT 'entity', e.id, e.article_id, e.code, upper(e.code) FROM entity AS e
    WHERE e.kind = 'jurisdiction' AND e.code IS NOT NULL
    UNION ALL
    SELECT 'event', v.id, v.article_id, j.value, upper(j.value) FROM event AS v, json_each(v.jurisdictions) AS j
    ORDER BY 1, 2, 4
"""
ACTUAL_PLACE = "SELECT origin, origin_id, article_id, code, ucode FROM article_fts_place ORDER BY 1, 2, 4"


def _check(url: str) -> tuple[int, int]:
    """Assert both side tables equal their recomputation; return their sizes."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rank = [tuple(r) for r in conn.execute(text(ACTUAL_RANK))]
            assert rank == [tuple(r) for r in conn.execute(text(EXPECTED_RANK))]
            place = [tuple(r) for r in conn.execute(text(ACTUAL_PLACE))]
            assert place == [tuple(r) for r in conn.execute(text(EXPECTED_PLACE))]
            return len(rank), len(place)
    finally:
        engine.dispose()


def _sql(url: str, statement: str, **params) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def test_store_writes_keep_the_side_tables(tmp_path, make_article, make_source, zoom_analysis):
    url = f"sqlite:///{tmp_path / 'rank.db'}"
    with Store.open(url) as store:
        store.sync_sources([make_source("src"), make_source("wire", tags=["wire"])])
        first = store.store_article(make_article(1), zoom_analysis).article_id
        assert first is not None
        second = store.store_article(make_article(2, "wire", published=datetime(2022, 1, 2, tzinfo=UTC)), None)
        third = store.store_article(make_article(3, published=None), copy.deepcopy(zoom_analysis))
        assert _check(url) == (3, 6)  # 2 jurisdiction entities + 1 event code, twice

        # reprocessing replaces entities and events
        changed = copy.deepcopy(zoom_analysis)
        changed["jurisdictions"] = [{"code": "US-CA", "name": "California", "mentions": 2}]
        changed["events"][0]["jurisdictions"] = ["US-CA", "EU"]
        store.rewrite_article(first, {"text": "A new body about California."}, changed)
        store.rewrite_article(third.article_id, {}, None)
        assert _check(url) == (3, 3)
        store.rewrite_article(second.article_id, {"published": datetime(2023, 5, 6, 7, 8, tzinfo=UTC)}, changed)
        assert _check(url) == (3, 6)

    # a story join, a split and a delete, in plain SQL
    _sql(url, "UPDATE article SET story_id = (SELECT story_id FROM article WHERE id = :a) WHERE id = :b",
         a=first, b=second.article_id)
    rank_size, _ = _check(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        shared = dict(conn.execute(text("SELECT id, shared FROM article_fts_rank")).all())
    engine.dispose()
    assert rank_size == 3 and shared == {first: 1, second.article_id: 1, third.article_id: 0}
    _sql(url, "UPDATE article SET story_id = NULL WHERE id = :b", b=second.article_id)
    _check(url)
    _sql(url, "UPDATE article SET story_id = (SELECT story_id FROM article WHERE id = :a) WHERE id = :b",
         a=first, b=third.article_id)
    _sql(url, "DELETE FROM event WHERE article_id = :a", a=second.article_id)
    _sql(url, "DELETE FROM entity WHERE article_id = :a", a=second.article_id)
    _sql(url, "DELETE FROM article WHERE id = :a", a=second.article_id)
    assert _check(url) == (2, 3)
    _sql(url, "DELETE FROM article WHERE id = :a", a=first)
    _check(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT shared FROM article_fts_rank")).scalars().all() == [0]
    engine.dispose()


def test_one_hit_per_story_after_a_story_join_in_sql(tmp_path, make_article, make_source):
    url = f"sqlite:///{tmp_path / 'join.db'}"
    with Store.open(url) as store:
        store.sync_sources([make_source("src"), make_source("wire")])
        ids = [store.store_article(make_article(n, "src" if n % 2 else "wire", text=f"Tariff notice number {n}."),
                                   None).article_id for n in range(1, 5)]
        assert run_search(store, "tariff").total == 4
        _sql(url, "UPDATE article SET story_id = (SELECT story_id FROM article WHERE id = :a) WHERE id IN (:b, :c)",
             a=ids[0], b=ids[1], c=ids[2])
        result = run_search(store, "tariff")
        assert result.total == 2
        assert sorted(hit.source_count for hit in result.hits) == [1, 2]


def test_upgrade_fills_the_side_tables_from_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_db(url, "0006")
    now = "2025-03-04 05:06:07.000000"
    _sql(url, "INSERT INTO source (id, name, url, kind, tags, active, created_at, consecutive_failures) "
              "VALUES ('src', 'Source', 'https://example.org/f', 'feed', '[]', 1, :now, 0)", now=now)
    for number, story in ((1, 1), (2, 1), (3, None)):
        _sql(url, "INSERT INTO article (id, source_id, url, canonical_url, fetched_at, published, text, text_origin, "
                  "story_id) VALUES (:id, 'src', :u, :u, :now, NULL, 'Body', 'page', :story)",
             id=number, u=f"https://example.org/{number}", now=now, story=story)
    _sql(url, "INSERT INTO entity (article_id, kind, name, code, mentions) "
              "VALUES (1, 'jurisdiction', 'China', 'CN', 2)")
    _sql(url, "INSERT INTO event (article_id, type, jurisdictions) VALUES (3, 'ban', '[\"US\", \"US-CA\"]')")
    upgrade_db(url)
    assert _check(url) == (3, 3)
