"""The whole crawler against a fault-injecting loopback server: every hostile or broken answer ends up
as one line in its source's health, the run never stalls, and good items still arrive."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.analyze import Analyzer
from pipeline.crawl import Crawler
from pipeline.fetch import Fetcher
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store
from tests.support.faults import (
    FaultServer,
    Reply,
    conditional,
    drip,
    gzip_bomb,
    hang,
    ok,
    redirect,
    status,
)

PAGE = ("<html><head><title>Rule</title></head><body><article>"
        + "".join(f"<p>The wombat authority sets out paragraph {n} of its new licensing rule.</p>" for n in range(25))
        + "</article></body></html>").encode()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def rss(*items: tuple[str, str]) -> bytes:
    body = "".join(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                   f"<description>Feed summary of {title}.</description></item>" for title, link in items)
    return f'<rss version="2.0"><channel><title>t</title><link>http://x/</link>{body}</channel></rss>'.encode()


@pytest.fixture
def site():
    """Four hosts: news pages, a host that answers 429, one of broken feeds, and one that is down (503).
    (A Retry-After holds its whole host, so the busy host is kept apart.)"""
    with FaultServer() as news, FaultServer() as busy, FaultServer() as broken, FaultServer() as down:
        news.add("/good.xml", conditional(rss(("Good page", news.url("/a")), ("Broken page", news.url("/b"))),
                                          "application/rss+xml"))
        news.add("/a", ok(PAGE))
        news.add("/b", status(500))
        news.add("/mixed.xml", ok(rss(("Busy page", busy.url("/c"))), "application/rss+xml"))
        news.add("/private.xml", ok(rss(("Internal", news.url("/a"))), "application/rss+xml"))
        busy.add("/c", status(429, retry_after=120))
        down.add("/e503.xml", status(503, retry_after=300))
        broken.add("/e500.xml", status(500))
        broken.add("/html.xml", ok(PAGE))
        broken.add("/bomb.xml", gzip_bomb())
        broken.add("/loop.xml", redirect("/loop.xml"))
        broken.add("/broken.xml", ok(b"<rss><channel><item><title>half", "application/rss+xml"))
        broken.add("/binary.xml", ok(PNG, "image/png"))
        broken.add("/drip.xml", drip(rss(("Dripping", news.url("/a"))), every=0.05))
        broken.add("/hang.xml", hang(5))
        broken.add("/empty.xml", Reply(body=b"", content_type="application/rss+xml"))
        yield news, busy, broken, down


def sources_for(site):
    news, busy, broken, down = site
    rows = {
        "good": (news.url("/good.xml"), "allow_private: true"),
        "mixed": (news.url("/mixed.xml"), "allow_private: true"),
        "private-links": (news.url("/private.xml"), "allow_private: false"),
        "e503": (down.url("/e503.xml"), ""),
        **{name: (broken.url(f"/{name}.xml"), "") for name in
           ("e500", "html", "bomb", "loop", "broken", "binary", "drip", "hang", "empty")},
    }
    lines = ["sources:"]
    for source_id, (url, extra) in rows.items():
        lines.append(f"  - {{id: {source_id}, name: {source_id}, url: '{url}'" + (f", {extra}" if extra else "") + "}")
    return parse_sources("\n".join(lines) + "\n", Path("faults.yaml")).sources


def test_every_fault_lands_in_source_health_and_the_run_goes_on(site, tmp_path):
    settings = Settings(data_dir=tmp_path, read_timeout=1.0, total_timeout=2.0, connect_timeout=1.0,
                        max_response_bytes=1024 * 1024, host_rate=1000, host_concurrency=4)
    sources = sources_for(site)
    started = time.monotonic()
    with Store.open(settings.resolved_database_url) as store, Fetcher(settings) as fetcher:
        store.sync_sources(sources)
        crawler = Crawler(settings, store, fetcher, Analyzer(settings), stop=threading.Event())
        reports = {r.source_id: r for r in crawler.crawl(sources)}
        states = {s.id: s for s in store.source_states()}

        expected = {
            "e500": "fetch: HTTP 500",
            "e503": "fetch: HTTP 503 Service Unavailable (retry after 300s)",
            "html": "parse: not a feed (text/html)",
            "bomb": "fetch: response over",
            "loop": "fetch: ",
            "broken": "parse: ",
            "binary": "parse: binary body (image/png)",
            "drip": "fetch: ",
            "hang": "fetch: timeout",
            "empty": "parse: empty body",
        }
        for source_id, prefix in expected.items():
            state = states[source_id]
            assert state.last_error and state.last_error.startswith(prefix), (source_id, state.last_error)
            assert "\n" not in state.last_error
            assert state.consecutive_failures == 1 and state.last_success is None, source_id
            assert reports[source_id].reason == state.last_error
        assert "redirect" in states["loop"].last_error
        # Retry-After is a floor for the next poll
        assert states["e503"].next_poll >= datetime.now(UTC) + timedelta(seconds=290)

        good = states["good"]
        assert good.last_error is None and good.last_success is not None
        news, busy, _, _ = site
        texts = {a["url"]: a for a in (store.get_article(i) for i in range(1, store.count_articles() + 1)) if a}
        assert texts[news.url("/a")]["text_origin"] == "page"
        assert texts[news.url("/b")]["text_origin"] == "feed_summary"
        assert texts[news.url("/b")]["extract_note"].startswith("fetch: HTTP 500")
        # the page that asked us to come back later is not stored with its summary: it waits for a later pass
        assert busy.url("/c") not in texts and len(busy.hits_for("/c")) == 1
        # links to private addresses inside a feed are not fetched unless the source allows it
        assert states["private-links"].last_error is None
        assert len(news.hits_for("/a")) == 1  # only the allowed source fetched the page

    assert time.monotonic() - started < 60  # nothing stalled the run


def test_second_pass_is_one_conditional_request_per_feed(site, tmp_path):
    settings = Settings(data_dir=tmp_path, host_rate=1000, host_concurrency=4)
    (good,) = [s for s in sources_for(site) if s.id == "good"]
    with Store.open(settings.resolved_database_url) as store, Fetcher(settings) as fetcher:
        store.sync_sources([good])
        crawler = Crawler(settings, store, fetcher, Analyzer(settings), stop=threading.Event())
        crawler.crawl_source(good)
        news = site[0]
        news.reset()
        crawler.crawl_source(good)
        paths = [hit.path for hit in news.hits]
        assert paths.count("/good.xml") == 1
        assert "/a" not in paths and "/b" not in paths


def test_sitemap_and_listing_page_sources_through_the_crawler_at_the_source_rate(tmp_path):
    """`kind: sitemap` (an index with a child urlset) and `kind: page` (links picked by a CSS selector),
    crawled end to end; article pages of one host are spaced by the source's `rate`."""
    with FaultServer() as site:
        pages = [f"/press/2025/rule-{n}" for n in range(4)]
        for path in pages:
            site.add(path, ok(PAGE.replace(b"wombat", f"wombat number {path[-1]}".encode())))
        site.add("/sitemap.xml", ok(
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{site.url("/s1.xml")}'
            "</loc></sitemap></sitemapindex>".encode(), "application/xml"))
        site.add("/s1.xml", ok(
            ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             + "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in pages[:2])
             + f"<url><loc>{site.url('/about')}</loc></url></urlset>").encode(), "application/xml"))
        site.add("/press/", ok(
            ("<html><body><nav><a href='/about'>About</a></nav><ul class='releases'>"
             + "".join(f"<li><a href='{p}'>Release {p[-1]}</a></li>" for p in pages[2:])
             + "</ul></body></html>").encode()))
        (sitemap, listing) = parse_sources(
            "sources:\n"
            f"  - {{id: sm, name: Sitemap, kind: sitemap, url: '{site.url('/sitemap.xml')}', link_pattern: '/press/',"
            " allow_private: true, rate: 4}\n"
            f"  - {{id: pg, name: Listing, kind: page, url: '{site.url('/press/')}', selector: 'ul.releases a',"
            " allow_private: true, rate: 4}\n",
            Path("kinds.yaml"),
        ).sources
        settings = Settings(data_dir=tmp_path, host_rate=1000)
        with Store.open(settings.resolved_database_url) as store, Fetcher(settings) as fetcher:
            store.sync_sources([sitemap, listing])
            crawler = Crawler(settings, store, fetcher, Analyzer(settings), stop=threading.Event())
            reports = crawler.crawl([sitemap, listing])
            assert [(r.source_id, r.reason, r.new) for r in reports] == [("sm", None, 2), ("pg", None, 2)]
            stored = {store.get_article(i)["url"]: store.get_article(i) for i in range(1, 5)}
            assert set(stored) == {site.url(p) for p in pages}
            assert all(a["text_origin"] == "page" for a in stored.values())
        page_hits = sorted(hit.at for hit in site.hits if hit.path.startswith("/press/2025/"))
        assert len(page_hits) == 4
        gaps = [b - a for a, b in zip(page_hits, page_hits[1:], strict=False)]
        assert min(gaps) >= 0.25 - 0.08, gaps  # rate: 4 requests per second to this host
        assert not any(hit.path == "/about" for hit in site.hits)
