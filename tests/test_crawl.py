"""The crawl stage on its own: HTTP through httpx.MockTransport, a real SQLite store, and a small
stand-in analyzer (the real one has its own tests)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pipeline.crawl import Crawler, item_identity, next_poll_after
from pipeline.fetch import Fetcher
from pipeline.records import FeedItem
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store

FEED_URL = "https://news.example/feed.xml"


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link}</link><description>{d}</description></item>"
                   for t, link, d in items)
    return f'<rss version="2.0"><channel><title>News</title><link>https://news.example/</link>{body}</channel></rss>'.encode()


PAGE = ("<html><head><title>Page</title></head><body><article>"
        + "".join(f"<p>The regulator set out rule number {n} for the platypus industry today.</p>" for n in range(30))
        + "</article></body></html>").encode()


class Site:
    def __init__(self) -> None:
        self.feed = rss(("One", "https://news.example/one?utm_source=rss", "Summary one"),
                        ("Two", "https://news.example/two", "Summary two"))
        self.hits: list[str] = []
        self.feed_status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.hits.append(str(request.url))
        if request.url.path == "/feed.xml":
            if self.feed_status != 200:
                return httpx.Response(self.feed_status)
            return httpx.Response(200, content=self.feed, headers={"Content-Type": "application/rss+xml"})
        if request.url.path == "/one":
            return httpx.Response(200, content=PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
        return httpx.Response(404)


class StubAnalyzer:
    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.seen: list[str] = []

    def _one(self, article):
        self.seen.append(article.id)
        if self.fail_on and self.fail_on in article.id:
            raise RuntimeError("model exploded")
        return {"id": article.id, "relevant": False, "relevance": 0.0, "summary": article.text[:50],
                "companies": [], "authorities": [], "jurisdictions": [], "dates": [], "events": []}

    def analyze(self, article):
        return self._one(article)

    def analyze_many(self, articles):
        return [self._one(a) for a in articles]


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path, retry_after_failure="5m", max_retry_interval="6h")
    (source,) = parse_sources(
        f"sources:\n  - {{id: news, name: News, url: '{FEED_URL}', interval: 30m}}\n", Path("s.yaml")
    ).sources
    store = Store.open(settings.resolved_database_url)
    store.sync_sources([source])
    site = Site()
    fetcher = Fetcher(settings, transport=httpx.MockTransport(site.handler), resolver=lambda host: ["93.184.216.34"])
    yield settings, source, store, site, fetcher
    fetcher.close()
    store.close()


def test_items_are_fetched_extracted_and_stored_once(env):
    settings, source, store, site, fetcher = env
    crawler = Crawler(settings, store, fetcher, StubAnalyzer())
    report = crawler.crawl_source(source)
    assert (report.seen, report.new, report.failed, report.reason) == (2, 2, 0, None)
    one = store.get_article(1)
    assert one["canonical_url"] == "https://news.example/one"  # tracking parameter gone
    assert one["text_origin"] == "page" and "platypus industry" in one["text"]
    two = store.get_article(2)
    assert two["text_origin"] == "feed_summary" and two["extract_note"].startswith("fetch: HTTP 404")
    state = store.source_state("news")
    assert state.consecutive_failures == 0 and state.last_success is not None
    assert state.next_poll - state.last_attempt == pytest.approx(timedelta(minutes=30), abs=timedelta(seconds=5))

    # unchanged body: nothing fetched beyond the feed, nothing stored twice
    site.hits.clear()
    again = crawler.crawl_source(source)
    assert again.not_modified and again.new == 0
    assert site.hits == [FEED_URL]

    # an edited feed with one new item: only that one is fetched
    site.feed = rss(("One (edited title)", "https://news.example/one", "Summary one"),
                    ("Three", "https://news.example/three", "Summary three"))
    site.hits.clear()
    third = crawler.crawl_source(source)
    assert third.new == 1
    assert site.hits == [FEED_URL, "https://news.example/three"]
    assert store.count_articles("news") == 3


def test_failing_feed_backs_off_and_is_never_dropped(env):
    settings, source, store, site, fetcher = env
    site.feed_status = 503
    crawler = Crawler(settings, store, fetcher, StubAnalyzer())
    delays = []
    for _ in range(4):
        report = crawler.crawl_source(source)
        assert report.reason.startswith("fetch: HTTP 503")
        state = store.source_state("news")
        delays.append(round((state.next_poll - state.last_attempt).total_seconds() / 60))
    # 5 minutes doubling, jittered down to the first delay (pipeline.fetch.backoff)
    assert delays[0] == 5 and all(5 <= d <= 5 * 2**n for n, d in enumerate(delays))
    assert state.consecutive_failures == 4 and state.last_error.startswith("fetch: HTTP 503")
    site.feed_status = 200
    assert crawler.crawl_source(source).new == 2
    assert store.source_state("news").consecutive_failures == 0


def test_backoff_is_capped():
    settings = Settings(retry_after_failure="5m", max_retry_interval="6h")
    (source,) = parse_sources("sources:\n  - {id: a, name: A, url: 'https://a.example/f'}\n", Path("s")).sources
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_poll_after(source, settings, 0, now) == now + timedelta(minutes=30)
    class Top:
        def uniform(self, low: float, high: float) -> float:
            return high

    assert next_poll_after(source, settings, 50, now, rng=Top()) == now + timedelta(hours=6)
    assert next_poll_after(source, settings, 1, now, retry_after=3600, rng=Top()) == now + timedelta(hours=1)


def test_one_bad_article_does_not_lose_the_batch(env):
    settings, source, store, site, fetcher = env
    crawler = Crawler(settings, store, fetcher, StubAnalyzer(fail_on="/two"))
    report = crawler.crawl_source(source)
    assert report.new == 2
    assert store.get_article(1)["analysis"] is not None
    assert store.get_article(2)["analysis"] is None  # stored, searchable, analysed again by a later reprocess


def test_stop_abandons_remaining_items_and_the_next_pass_takes_them(env):
    settings, source, store, site, fetcher = env
    stop = threading.Event()
    stop.set()
    crawler = Crawler(settings, store, fetcher, StubAnalyzer(), stop=stop)
    report = crawler.crawl_source(source)
    assert report.interrupted and report.new == 0
    assert store.source_state("news").content_hash is None  # the body is not remembered as done
    stop.clear()
    assert crawler.crawl_source(source).new == 2


def test_items_without_links_get_a_stable_identity():
    (source,) = parse_sources("sources:\n  - {id: a, name: A, url: 'https://a.example/f'}\n", Path("s")).sources
    item = FeedItem(guid=None, url=None, title="T", summary="S")
    first = item_identity(item, source, FEED_URL)
    assert first.startswith("urn:regwatch:a:") and first == item_identity(item, source, FEED_URL)


def test_file_url_sources_replay_saved_feeds(tmp_path):
    feed = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "feeds" / "rssparser_nhs-feed.rss"
    settings = Settings(data_dir=tmp_path)
    (source,) = parse_sources(
        f"sources:\n  - {{id: saved, name: Saved, url: '{feed.as_uri()}', fetch_full_text: false}}\n", Path("s")
    ).sources
    with Store.open(settings.resolved_database_url) as store, Fetcher(settings) as fetcher:
        store.sync_sources([source])
        report = Crawler(settings, store, fetcher, StubAnalyzer()).crawl_source(source)
        assert (report.reason, report.seen, report.new) == (None, 2, 2)
        assert store.get_article(1)["extract_note"] == "fetch_full_text is off"


def test_anchored_posts_of_one_day_page_are_separate_items():
    (source,) = parse_sources("sources:\n  - {id: a, name: A, url: 'https://a.example/f'}\n", Path("s")).sources
    first = FeedItem(guid="https://blog.example/2017/06/26.html#a080605",
                     url="https://blog.example/2017/06/26.html#a080605", title=None, summary="Post one")
    second = FeedItem(guid="https://blog.example/2017/06/26.html#a030658",
                      url="https://blog.example/2017/06/26.html#a030658", title=None, summary="Post two")
    tracked = FeedItem(guid="story-1", url="https://news.example/story#comments", title="T")
    assert item_identity(first, source, FEED_URL) != item_identity(second, source, FEED_URL)
    assert item_identity(first, source, FEED_URL).endswith("#a080605")
    assert item_identity(tracked, source, FEED_URL) == "https://news.example/story"
