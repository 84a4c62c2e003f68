"""Fixtures of the store and search tests: every test gets an empty store on each backend.

SQLite: a new file in tmp_path. PostgreSQL: one database per test session (per
xdist worker), created and migrated once, emptied before each test, dropped at
the end; tests that need a database with no schema at all use ``pg_url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from pipeline.store import NewArticle, Store, upgrade_db

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def pg_url(pg_database_factory) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with pg_database_factory() as url:
        yield url


@pytest.fixture(scope="session")
def pg_store_url(pg_database_factory) -> Iterator[str]:
    """A migrated PostgreSQL database shared by the tests of this session (emptied before each)."""
    with pg_database_factory() as url:
        upgrade_db(url)
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """The URL of an empty, migrated store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store' / 'regwatch.db'}"
        upgrade_db(url)
        return url
    url = request.getfixturevalue("pg_store_url")
    store = Store.open(url)
    try:
        with store.engine.begin() as conn:
            conn.execute(text(
                "TRUNCATE digest_run, alert_attempt, alert_delivery, alert, page, item, article_band, event, entity, "
                "article, "
                "story, source, saved_search, task, worker, host_slot RESTART IDENTITY CASCADE"
            ))
    finally:
        store.close()
    return url


@pytest.fixture
def store(db_url) -> Iterator[Store]:
    opened = Store.open(db_url)
    yield opened
    opened.close()


@dataclass
class SourceStub:
    id: str
    name: str = "A source"
    url: str = "https://example.org/feed.xml"
    kind: str = "feed"
    jurisdiction: str | None = None
    tags: list[str] = field(default_factory=list)


def _new_article(number: int = 1, source_id: str = "src", **changes) -> NewArticle:
    values = {
        "source_id": source_id,
        "url": f"https://example.org/news/{number}?utm_source=feed",
        "canonical_url": f"https://example.org/news/{number}",
        "guid": f"guid-{number}",
        "title": f"Story number {number}",
        "author": "A. Writer",
        "published": datetime(2021, 8, 5, 9, 30, tzinfo=UTC),
        "text": f"Body of story {number}.",
        "text_origin": "page",
        "language": "en",
        "sitename": "Example News",
        "content_hash": f"hash-{number}",
        "fetched_at": datetime(2021, 8, 5, 10, 0, tzinfo=UTC),
    }
    values.update(changes)
    return NewArticle(**values)


_ZOOM_ANALYSIS = {
    "relevant": True,
    "relevance": 0.94,
    "summary": "Zoom will stop selling directly to customers in mainland China from 23 August.",
    "companies": [{"name": "Zoom", "mentions": 9}, {"name": "Bizconf Communications", "mentions": 1}],
    "authorities": [{"name": "US Department of Justice", "jurisdiction": "US"}],
    "jurisdictions": [
        {"code": "CN", "name": "China", "mentions": 16},
        {"code": "US", "name": "United States", "mentions": 4},
    ],
    "dates": [{"text": "23 August", "date": "2021-08-23"}],
    "events": [
        {
            "type": "sales_restriction",
            "actor": "Zoom",
            "actor_kind": "company",
            "jurisdictions": ["CN"],
            "effective_date": "2021-08-23",
            "status": "announced",
            "confidence": 0.87,
            "evidence": "Zoom has announced that it will be halting direct sales in mainland China.",
        }
    ],
}


@pytest.fixture
def make_article():
    """``make_article(number, source_id="src", **changes)``: a NewArticle with its own URL, guid, title."""
    return _new_article


@pytest.fixture
def make_source():
    """``make_source(id, **changes)``: an object shaped like pipeline.sources.Source."""
    return SourceStub


@pytest.fixture
def zoom_analysis() -> dict:
    """The analysis example of shared/spec/analysis.md."""
    import copy

    return copy.deepcopy(_ZOOM_ANALYSIS)
