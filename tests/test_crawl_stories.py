"""One article per story and crash-safe progress, on SQLite and PostgreSQL: the crawl through
httpx.MockTransport, a real store, and the stand-in analyzer of test_crawl."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from pipeline.crawl import Crawler
from pipeline.fetch import Fetcher
from pipeline.reprocess import reprocess
from pipeline.search import search
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store
from tests.test_crawl import StubAnalyzer

WORDS = [
    "regulator", "commission", "platform", "market", "licence", "court", "ruling", "data", "privacy", "fine",
    "merger", "filing", "minister", "agency", "compliance", "telecom", "operator", "app", "store", "payment",
    "consumer", "audit", "review", "board", "security", "export", "chip", "cloud", "provider", "search",
    "engine", "advertising", "network", "tariff",
]


def story_text(seed: int, sentences: int = 14) -> str:
    rng = random.Random(seed)
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 16))).capitalize() + "."
        for _ in range(sentences)
    )


def page(title: str, body: str, canonical: str | None = None) -> bytes:
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in body.split(". "))
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (f"<html><head><title>{title}</title>{link}</head><body><article><h1>{title}</h1>{paragraphs}"
            "</article></body></html>").encode()


def rss(*items: tuple[str, str, str]) -> bytes:
    body = "".join(f"<item><title>{t}</title><link>{link.replace('&', '&amp;')}</link><guid>{g}</guid>"
                   f"<description>Summary of {t}</description></item>" for t, link, g in items)
    return f'<rss version="2.0"><channel><title>News</title><link>https://x.example/</link>{body}</channel></rss>'.encode()


class Site:
    def __init__(self) -> None:
        self.feeds: dict[str, bytes] = {}
        self.pages: dict[str, bytes] = {}
        self.hits: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.hits.append(url)
        key = f"{request.url.host}{request.url.path}"
        if key in self.feeds:
            return httpx.Response(200, content=self.feeds[key], headers={"Content-Type": "application/rss+xml"})
        if key in self.pages:
            return httpx.Response(200, content=self.pages[key], headers={"Content-Type": "text/html; charset=utf-8"})
        return httpx.Response(404)


SOURCES = """sources:
  - {id: news, name: News, url: 'https://news.example/feed.xml', interval: 30m}
  - {id: wire, name: Wire, url: 'https://wire.example/feed.xml', interval: 30m}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request, tmp_path, pg_database_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'regwatch.db'}"
        context = None
    else:
        context = pg_database_factory()
        url = context.__enter__()
    settings = Settings(data_dir=tmp_path, database_url=url)
    sources = {s.id: s for s in parse_sources(SOURCES, Path("s.yaml")).sources}
    store = Store.open(url)
    store.sync_sources(sources.values())
    site = Site()
    fetcher = Fetcher(settings, transport=httpx.MockTransport(site.handler), resolver=lambda host: ["93.184.216.34"])
    yield settings, sources, store, site, fetcher
    fetcher.close()
    store.close()
    if context is not None:
        context.__exit__(None, None, None)


def crawler(env, **kwargs) -> Crawler:
    settings, _, store, _, fetcher = env
    return Crawler(settings, store, fetcher, StubAnalyzer(), **kwargs)


def scalar(store: Store, sql: str, **params):
    with store.engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_one_article_for_tracking_variants_rel_canonical_edited_titles_and_new_guids(env):
    _, sources, store, site, _ = env
    body = story_text(1)
    site.pages["news.example/story"] = page("Court fines platform", body)
    site.pages["news.example/amp/story"] = page("Court fines platform", body, canonical="https://news.example/story")
    site.feeds["news.example/feed.xml"] = rss(
        ("Court fines platform", "https://news.example/story?utm_source=rss&utm_medium=feed", "g1"),
        ("Court fines platform", "https://news.example/story?fbclid=abc", "g2"),
        ("Court fines platform", "https://news.example/story?gclid=xyz", "g3"),
    )
    report = crawler(env).crawl_source(sources["news"])
    assert (report.seen, report.new, report.failed) == (3, 1, 0)
    assert store.count_articles() == 1
    assert scalar(store, "SELECT COUNT(*) FROM item") == 1  # three URLs, one item
    assert [h for h in site.hits if "story" in h] == ["https://news.example/story"]  # fetched once, clean URL

    # edited title and a new guid for the same URL; the AMP copy names the story as its canonical page
    site.feeds["news.example/feed.xml"] = rss(
        ("Court fines platform (updated)", "https://news.example/story?utm_campaign=x", "g-new"),
        ("Court fines platform", "https://news.example/amp/story", "g-amp"),
    )
    report = crawler(env).crawl_source(sources["news"])
    assert (report.new, report.linked) == (0, 1)
    assert store.count_articles() == 1
    assert scalar(store, "SELECT COUNT(*) FROM item WHERE state = 'indexed' AND article_id = 1") == 2
    assert store.get_article(1)["title"] == "Court fines platform"


def test_same_text_at_another_url_is_the_same_article(env):
    _, sources, store, site, _ = env
    body = story_text(2)
    site.pages["news.example/a"] = page("Agency blocks merger", body)
    site.pages["news.example/archive/2024/a-copy"] = page("Agency blocks the merger", body)
    site.feeds["news.example/feed.xml"] = rss(("Agency blocks merger", "https://news.example/a", "a"),
                                              ("Agency blocks the merger", "https://news.example/archive/2024/a-copy",
                                               "b"))
    report = crawler(env).crawl_source(sources["news"])
    assert (report.new, report.linked, report.failed) == (1, 1, 0)
    assert store.count_articles() == 1
    assert scalar(store, "SELECT COUNT(DISTINCT article_id) FROM item WHERE state = 'indexed'") == 1


def test_syndicated_copy_with_a_new_headline_joins_the_story(env):
    _, sources, store, site, _ = env
    body = story_text(3) + " The platypus tribunal will publish its reasons next month."
    edited = body.replace(". ", ". Officials said ", 2).replace("regulator", "watchdog", 1)
    site.pages["news.example/original"] = page("Tribunal orders app store changes", body)
    site.pages["wire.example/copy"] = page("App store told to change by tribunal", edited)
    site.pages["news.example/other"] = page("Unrelated telecom story", story_text(99))
    site.feeds["news.example/feed.xml"] = rss(("Tribunal orders app store changes", "https://news.example/original",
                                               "o"), ("Unrelated telecom story", "https://news.example/other", "u"))
    site.feeds["wire.example/feed.xml"] = rss(("App store told to change by tribunal", "https://wire.example/copy",
                                               "c"))
    first = crawler(env).crawl_source(sources["news"])
    second = crawler(env).crawl_source(sources["wire"])
    assert (first.new, second.new) == (2, 1)
    assert store.count_articles() == 3
    original, copy, other = (store.get_article(i) for i in (1, 3, 2))
    assert copy["source_id"] == "wire" and copy["title"] == "App store told to change by tribunal"
    assert copy["story_id"] == original["story_id"] != other["story_id"]
    story = store.get_story(original["story_id"])
    assert story["sources"] == ["news", "wire"]
    assert set(story["urls"]) == {"https://news.example/original", "https://wire.example/copy"}
    assert story["earliest_article_id"] == 1 and story["article_count"] == 2
    assert story["title"] == "Tribunal orders app store changes"

    hits = search(store, "platypus tribunal")
    assert len(hits) == 1
    assert (hits[0].source_count, sorted(hits[0].sources), hits[0].story_id) == (2, ["news", "wire"],
                                                                                 original["story_id"])
    assert len(search(store, "telecom OR tribunal")) == 2  # two stories, three articles


class Crash(BaseException):
    """Stands in for kill -9: nothing after it runs, not even except blocks for Exception."""


@pytest.mark.parametrize("crash_after", ["fetched", "extracted", "analyzed"])
def test_a_crash_after_any_state_resumes_from_it_exactly_once(env, crash_after):
    _, sources, store, site, _ = env
    for n in range(3):
        site.pages[f"news.example/p{n}"] = page(f"Story {n}", story_text(10 + n))
    site.feeds["news.example/feed.xml"] = rss(*[(f"Story {n}", f"https://news.example/p{n}", f"g{n}")
                                                for n in range(3)])
    crashed = []

    def crash(item_id: int, state: str) -> None:
        if item_id == 2 and state == crash_after and not crashed:
            crashed.append(state)
            raise Crash

    with pytest.raises(Crash):
        crawler(env, on_transition=crash).crawl_source(sources["news"])
    states = dict(store.item_counts())
    assert states.get(crash_after, 0) >= 1 and store.count_articles() <= 1

    before = store.count_articles()
    assert crawler(env).resume([sources["news"], sources["wire"]]) == 3 - before
    assert store.item_counts() == {"indexed": 3}
    assert store.count_articles() == 3
    assert scalar(store, "SELECT COUNT(DISTINCT canonical_url) FROM article") == 3
    page_hits = sorted(h for h in site.hits if "/p" in h)
    assert page_hits == [f"https://news.example/p{n}" for n in range(3)]  # archived when fetched: never again
    report = crawler(env).crawl_source(sources["news"])
    assert (report.new, report.resumed) == (0, 0)


def test_stop_leaves_items_discovered_and_the_next_pass_finishes_them(env):
    _, sources, store, site, _ = env
    site.feeds["news.example/feed.xml"] = rss(*[(f"S{n}", f"https://news.example/s{n}", f"s{n}") for n in range(3)])
    stopping = crawler(env)

    def stop_after_first(item_id: int, state: str) -> None:
        if state == "extracted":
            stopping.stop.set()

    stopping.on_transition = stop_after_first
    report = stopping.crawl_source(sources["news"])
    assert report.interrupted and report.new == 1
    assert store.item_counts() == {"indexed": 1, "discovered": 2}
    again = crawler(env).crawl_source(sources["news"])
    assert again.new == 2 and store.item_counts() == {"indexed": 3}


def test_reprocess_extracts_again_from_the_archived_page(env):
    _, sources, store, site, _ = env
    site.pages["news.example/r"] = page("Board rules on tariffs", story_text(5) + " The numbat board agreed.")
    site.feeds["news.example/feed.xml"] = rss(("Board rules on tariffs", "https://news.example/r", "r"),
                                              ("Gone page", "https://news.example/gone", "gone"))
    crawler(env).crawl_source(sources["news"])
    assert store.page_of_article(1) is not None and store.page_of_article(2) is None
    with store.engine.begin() as conn:  # an older extractor's output
        conn.execute(text("UPDATE article SET text = 'stale words only', analysis = NULL WHERE id = 1"))
    assert search(store, "numbat") == []
    site.hits.clear()
    analyzer = StubAnalyzer()
    report = reprocess(store, analyzer, source_id="news")
    assert (report.articles, report.extracted, report.analysed_only, report.failed) == (2, 1, 1, 0)
    assert site.hits == []  # from the archive, not the network
    article = store.get_article(1)
    assert "numbat board" in article["text"] and article["analysis"] is not None
    assert article["fingerprint"] and article["text_origin"] == "page"
    assert [h.article_id for h in search(store, "numbat")] == [1]
    assert search(store, "stale") == []
    assert store.count_articles() == 2 and store.get_article(2)["text_origin"] == "feed_summary"


def test_a_page_the_host_puts_off_stays_discovered_for_a_later_pass(env):
    _, sources, store, site, _ = env
    site.feeds["news.example/feed.xml"] = rss(("Busy", "https://news.example/busy", "b"))
    original = site.handler

    def busy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/busy":
            return httpx.Response(429, headers={"Retry-After": "120"})
        return original(request)

    site.handler = busy
    settings, _, _, _, _ = env
    with Fetcher(settings, transport=httpx.MockTransport(lambda r: site.handler(r)),
                 resolver=lambda host: ["93.184.216.34"]) as fetcher:
        report = Crawler(settings, store, fetcher, StubAnalyzer()).crawl_source(sources["news"])
    assert report.interrupted and report.new == 0
    assert store.item_counts() == {"discovered": 1}  # not settled with the feed's summary
    assert store.source_state("news").content_hash is None
