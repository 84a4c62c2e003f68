"""The shared newsroom store: the real crawl stored every piece, one story twice, analysis rows and payloads."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pipeline.store import Store
from tests.support.newsroom import ARTICLE_COUNT, IMG_PAYLOAD, SCRIPT_PAYLOAD, SOURCES, STORY_COUNT


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request) -> Store:
    url = request.getfixturevalue("filled_sqlite_url" if request.param == "sqlite" else "filled_pg_url")
    with Store.open(url) as store:
        yield store


def rows(store: Store, sql: str) -> list:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_every_piece_is_stored_with_its_source(filled):
    assert filled.count_articles() == ARTICLE_COUNT
    assert rows(filled, "SELECT COUNT(*) FROM story") == [(STORY_COUNT,)]
    assert {row[0] for row in rows(filled, "SELECT source_id FROM article")} == {s.id for s in SOURCES}


def test_the_wire_copy_shares_the_regulators_story(filled):
    [(story_id, count)] = rows(filled, "SELECT id, article_count FROM story WHERE article_count > 1")
    assert count == 2
    sources = rows(filled, f"SELECT source_id FROM article WHERE story_id = {story_id} ORDER BY source_id")
    assert sources == [("regulators",), ("wire",)]


def test_the_real_analysis_gives_events_across_jurisdictions_and_types(filled):
    events = rows(filled, "SELECT type, jurisdictions FROM event")
    assert len({event_type for event_type, _ in events}) >= 3
    codes = {row[0] for row in rows(filled, "SELECT code FROM entity WHERE kind = 'jurisdiction'")}
    assert {"US", "GB"} <= codes and len(codes) >= 5
    assert rows(filled, "SELECT COUNT(*) FROM entity WHERE kind = 'company'")[0][0] >= 5
    years = {str(row[0])[:4] for row in rows(filled, "SELECT published FROM article") if row[0] is not None}
    assert len(years) >= 5


def test_payloads_arrive_as_text(filled):
    [(title, body)] = rows(filled, f"SELECT title, text FROM article WHERE title LIKE '%{SCRIPT_PAYLOAD[:7]}%'")
    assert SCRIPT_PAYLOAD in title and IMG_PAYLOAD in title
    assert SCRIPT_PAYLOAD in body and IMG_PAYLOAD in body
