"""The Store API on both backends: sources and their state, articles with their analysis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from pipeline.errors import StoreError
from pipeline.store import NewArticle, SourceState, Store


@pytest.fixture
def synced(store, make_source):
    store.sync_sources([make_source("src", jurisdiction="GB", tags=["news"]), make_source("other")])
    return store


def test_add_article_round_trip_with_entities_and_events(synced, make_article, zoom_analysis):
    article = make_article(1, published=datetime(2021, 8, 5, 11, 30, tzinfo=timezone(timedelta(hours=2))))
    article_id = synced.add_article(article, zoom_analysis)
    assert isinstance(article_id, int)

    stored = synced.get_article(article_id)
    assert stored["id"] == article_id
    assert stored["source_id"] == "src"
    assert stored["url"] == article.url
    assert stored["canonical_url"] == article.canonical_url
    assert stored["guid"] == "guid-1"
    assert stored["title"] == "Story number 1"
    assert stored["text"] == "Body of story 1."
    assert stored["text_origin"] == "page"
    assert stored["extract_note"] is None
    assert stored["published"] == datetime(2021, 8, 5, 9, 30, tzinfo=UTC)
    assert stored["published"].tzinfo == UTC
    assert stored["fetched_at"] == datetime(2021, 8, 5, 10, 0, tzinfo=UTC)
    assert stored["analysis"] == zoom_analysis
    assert stored["relevant"] is True
    assert stored["relevance"] == pytest.approx(0.94)
    assert stored["summary"].startswith("Zoom will stop")

    entities = {(e["kind"], e["name"], e["code"], e["mentions"]) for e in stored["entities"]}
    assert entities == {
        ("company", "Zoom", None, 9),
        ("company", "Bizconf Communications", None, 1),
        ("authority", "US Department of Justice", "US", None),
        ("jurisdiction", "China", "CN", 16),
        ("jurisdiction", "United States", "US", 4),
        ("date", "23 August", "2021-08-23", None),
    }
    [event] = stored["events"]
    assert event["type"] == "sales_restriction"
    assert event["actor"] == "Zoom"
    assert event["actor_kind"] == "company"
    assert event["jurisdictions"] == ["CN"]
    assert event["effective_date"] == "2021-08-23"
    assert event["status"] == "announced"
    assert event["confidence"] == pytest.approx(0.87)
    assert event["evidence"].startswith("Zoom has announced")


def test_article_without_analysis_and_naive_datetimes_as_utc(synced, make_article):
    article = make_article(
        2,
        published=datetime(2024, 1, 2, 3, 4, 5, 678000),
        text_origin="feed_summary",
        extract_note="fetch: HTTP 404",
    )
    stored = synced.get_article(synced.add_article(article, None))
    assert stored["published"] == datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert stored["analysis"] is None
    assert stored["relevant"] is None
    assert stored["entities"] == [] and stored["events"] == []
    assert stored["text_origin"] == "feed_summary"
    assert stored["extract_note"] == "fetch: HTTP 404"


def test_partial_or_odd_analysis_is_stored_as_far_as_it_goes(synced, make_article):
    analysis = {
        "relevant": False,
        "companies": [{"name": "Acme"}, {"mentions": 3}, "not a dict"],
        "jurisdictions": "EU",
        "events": [{"type": "ban", "jurisdictions": "IN", "confidence": "high"}],
    }
    stored = synced.get_article(synced.add_article(make_article(3), analysis))
    assert [(e["kind"], e["name"]) for e in stored["entities"]] == [("company", "Acme")]
    [event] = stored["events"]
    assert (event["type"], event["jurisdictions"], event["confidence"]) == ("ban", ["IN"], None)
    assert stored["analysis"] == analysis


def test_duplicate_canonical_url_returns_none_and_stores_nothing_more(synced, make_article, zoom_analysis):
    first = synced.add_article(make_article(1), zoom_analysis)
    again = make_article(1, source_id="other", guid="another-guid", url="https://mirror.example/1")
    assert synced.add_article(again, zoom_analysis) is None
    assert synced.count_articles() == 1
    assert len(synced.get_article(first)["entities"]) == 6


def test_concurrent_adds_of_one_url_store_it_once(synced, make_article):
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def add() -> None:
        barrier.wait()
        results.append(synced.add_article(make_article(7), None))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and results.count(None) == 3
    assert synced.count_articles() == 1


def test_missing_canonical_url_falls_back_to_url(synced, make_article):
    article_id = synced.add_article(make_article(4, canonical_url=None), None)
    assert synced.get_article(article_id)["canonical_url"] == "https://example.org/news/4?utm_source=feed"


def test_article_of_unknown_source_is_a_store_error(synced, make_article):
    with pytest.raises(StoreError) as caught:
        synced.add_article(make_article(5, source_id="nowhere"), None)
    assert str(caught.value).startswith("store: ")
    assert caught.value.source_id == "nowhere"
    assert synced.count_articles() == 0


def test_unknown_text_origin_is_refused(synced, make_article):
    with pytest.raises(StoreError, match="text_origin"):
        synced.add_article(make_article(6, text_origin="magic"), None)


def test_known_item_by_canonical_url_or_source_guid(synced, make_article):
    synced.add_article(make_article(1), None)
    assert synced.known_item(source_id="src", guid=None, canonical_url="https://example.org/news/1")
    assert synced.known_item(source_id="other", guid="x", canonical_url="https://example.org/news/1")
    assert synced.known_item(source_id="src", guid="guid-1", canonical_url="https://example.org/elsewhere")
    assert not synced.known_item(source_id="other", guid="guid-1", canonical_url="https://example.org/else")
    assert not synced.known_item(source_id="src", guid=None, canonical_url=None)
    assert not synced.known_item(source_id="src", guid="guid-2", canonical_url=None)


def test_get_article_unknown_is_none(synced):
    assert synced.get_article(12345) is None


def test_count_articles_overall_and_per_source(synced, make_article):
    synced.add_article(make_article(1), None)
    synced.add_article(make_article(2), None)
    synced.add_article(make_article(3, source_id="other"), None)
    assert synced.count_articles() == 3
    assert synced.count_articles("src") == 2
    assert synced.count_articles("other") == 1
    assert synced.count_articles("none") == 0


def test_record_attempt_success_and_failure_counters(store, make_source):
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    clocked = Store(store.engine, clock=lambda: now)
    clocked.sync_sources([make_source("src")])
    assert clocked.source_state("src") == SourceState(id="src")

    clocked.record_attempt("src", ok=False, error="fetch: HTTP 503\n  Service Unavailable")
    clocked.record_attempt("src", ok=False, error="fetch: timed out", next_poll=now + timedelta(minutes=5))
    state = clocked.source_state("src")
    assert state.consecutive_failures == 2
    assert state.last_error == "fetch: timed out"
    assert state.last_attempt == now
    assert state.last_success is None
    assert state.next_poll == now + timedelta(minutes=5)

    clocked.record_attempt(
        "src", ok=True, etag='"abc"', last_modified="Wed, 01 May 2024 11:00:00 GMT", content_hash="h1"
    )
    state = clocked.source_state("src")
    assert (state.consecutive_failures, state.last_error, state.last_success) == (0, None, now)
    assert (state.etag, state.last_modified, state.content_hash) == (
        '"abc"',
        "Wed, 01 May 2024 11:00:00 GMT",
        "h1",
    )
    assert state.next_poll == now + timedelta(minutes=5)  # None leaves it as it was

    clocked.record_attempt("src", ok=False, error="parse: not a feed")
    state = clocked.source_state("src")
    assert (state.consecutive_failures, state.etag, state.content_hash) == (1, '"abc"', "h1")


def test_error_is_kept_on_one_line(synced):
    synced.record_attempt(
        "src", ok=False, error="fetch: connection refused\n\tTraceback (most recent call last)"
    )
    assert (
        synced.source_state("src").last_error == "fetch: connection refused Traceback (most recent call last)"
    )


def test_unknown_source_state_and_attempt_are_store_errors(store):
    with pytest.raises(StoreError, match="unknown source 'nope'"):
        store.source_state("nope")
    with pytest.raises(StoreError, match="unknown source 'nope'"):
        store.record_attempt("nope", ok=True)


def test_sync_sources_updates_and_keeps_removed_sources(store, make_source, make_article):
    store.sync_sources([make_source("a", name="A"), make_source("b", name="B", tags=["x"])])
    store.add_article(make_article(1, source_id="b"), None)
    store.record_attempt("b", ok=False, error="fetch: HTTP 500")

    store.sync_sources([make_source("a", name="A renamed", jurisdiction="EU", tags=["eu", "law"])])
    states = {state.id: state for state in store.source_states()}
    assert set(states) == {"a", "b"}
    assert states["a"].active and not states["b"].active
    assert states["b"].articles == 1
    assert states["b"].consecutive_failures == 1  # polling state survives the sync
    assert store.count_articles("b") == 1

    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT name, jurisdiction, tags FROM source WHERE id = 'a'")).one()
    assert row.name == "A renamed" and row.jurisdiction == "EU"
    assert row.tags in (["eu", "law"], '["eu", "law"]')

    store.sync_sources([make_source("a"), make_source("b")])
    assert all(state.active for state in store.source_states())


def test_source_states_are_sorted_with_article_counts(synced, make_article):
    synced.add_article(make_article(1), None)
    synced.add_article(make_article(2), None)
    states = synced.source_states()
    assert [(s.id, s.articles) for s in states] == [("other", 0), ("src", 2)]
    assert synced.source_state("src").articles == 2


def test_database_failures_become_store_errors(tmp_path, make_source):
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    with Store.open(url) as store:
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE event"))
        store.sync_sources([make_source("src")])
        with pytest.raises(StoreError, match="^store: database error: .*event"):
            store.add_article(
                NewArticle(source_id="src", url="https://e.org/1", canonical_url="https://e.org/1", text="t"),
                {"events": [{"type": "ban"}]},
            )
        assert store.count_articles() == 0  # the article went with the failed transaction
