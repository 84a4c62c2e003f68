"""discover(): sitemaps (XML, news, index, text, gzipped), listing pages (selector, link pattern), feeds."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import ParseError
from pipeline.fetch import Fetcher
from pipeline.fetch.discover import discover, discover_all
from pipeline.settings import Settings
from pipeline.sources import Source, parse_sources
from tests.support.faults import FaultServer, conditional, ok, status

BASE = "https://regulator.example"


def source(kind: str = "feed", **fields) -> Source:
    extra = "".join(f", {key}: '{value}'" for key, value in fields.items())
    text = f"sources:\n  - {{id: s, name: S, url: '{BASE}/list', kind: {kind}{extra}}}\n"
    return parse_sources(text, Path("s.yaml")).sources[0]


URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://regulator.example/press/old</loc><lastmod>2024-01-02</lastmod></url>
  <url><loc>/press/new</loc>
    <news:news><news:publication><news:name>Reg</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-03-05T10:00:00+01:00</news:publication_date>
      <news:title>Regulator fines  Example Corp</news:title></news:news></url>
  <url><loc>https://regulator.example/about</loc></url>
  <url><loc>https://regulator.example/press/old</loc></url>
</urlset>"""


def test_news_sitemap_items_newest_first():
    feed = discover(source("sitemap"), URLSET, url=f"{BASE}/sitemap.xml", content_type="application/xml")
    assert feed.format == "news-sitemap"
    assert [item.url for item in feed.items] == [f"{BASE}/press/new", f"{BASE}/press/old", f"{BASE}/about"]
    new = feed.items[0]
    assert new.guid == new.url and new.title == "Regulator fines Example Corp"
    assert new.published == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert feed.items[1].published == datetime(2024, 1, 2, tzinfo=UTC) and feed.items[1].title is None


def test_sitemap_link_pattern_and_gzip_and_plain_text():
    feed = discover(source("sitemap", link_pattern="/press/"), gzip.compress(URLSET), url=f"{BASE}/s.xml.gz",
                    content_type="application/x-gzip")
    assert [item.url for item in feed.items] == [f"{BASE}/press/new", f"{BASE}/press/old"]
    text = discover(source("sitemap"), b"https://a.example/1\n\nhttps://a.example/2\n", url=f"{BASE}/s.txt",
                    content_type="text/plain")
    assert [item.url for item in text.items] == ["https://a.example/1", "https://a.example/2"]


def test_sitemap_index_without_a_fetcher_lists_children():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://regulator.example/s-2023.xml</loc><lastmod>2023-12-31</lastmod></sitemap>
      <sitemap><loc>/s-2024.xml</loc><lastmod>2024-06-30</lastmod></sitemap></sitemapindex>"""
    feed = discover(source("sitemap"), index, url=f"{BASE}/index.xml")
    assert feed.format == "sitemapindex" and feed.items == []
    assert feed.sitemaps == [f"{BASE}/s-2024.xml", f"{BASE}/s-2023.xml"]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<urlset><url><loc>x</loc></url>", "application/xml", "parse: malformed XML: "),
        (b"<!DOCTYPE html><html><body>Not here</body></html>", "text/html", "parse: not a sitemap (text/html)"),
        (b"<catalog><book/></catalog>", "application/xml", "parse: not a sitemap (root element <catalog>)"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "image/png", "parse: binary body (image/png)"),
        (b"   ", "application/xml", "parse: empty body"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;'>]>"
         b"<urlset><url><loc>&b;</loc></url></urlset>", "application/xml", None),
    ],
)
def test_bad_sitemaps_are_rejected_in_one_line(body, content_type, reason):
    if reason is None:  # entities are not expanded (no billion laughs), nothing crashes
        feed = discover(source("sitemap"), body, url=f"{BASE}/s.xml", content_type=content_type)
        assert all("aaaa" not in (item.url or "") for item in feed.items)
        return
    with pytest.raises(ParseError) as caught:
        discover(source("sitemap"), body, url=f"{BASE}/s.xml", content_type=content_type)
    assert str(caught.value).startswith(reason) and "\n" not in str(caught.value)


def test_rss_given_as_a_sitemap_is_read_as_a_feed():
    rss = b"<rss version='2.0'><channel><title>T</title><item><title>A</title><link>https://x.example/a</link></item></channel></rss>"
    feed = discover(source("sitemap"), rss, url=f"{BASE}/feed", content_type="application/rss+xml")
    assert [item.url for item in feed.items] == ["https://x.example/a"]


LISTING = """<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Press releases</title>
<base href="https://regulator.example/press/"></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a> <a href="javascript:void(0)">Menu</a></nav>
<ul class="releases">
  <li><a href="2024/fine-example"><img src="x.png" alt="Fine"></a>
      <h3><a href="2024/fine-example#top">Regulator fines Example Corp \u00e9</a></h3></li>
  <li><h3 class="t">Market exit <a href="2024/exit">ordered</a></h3></li>
  <li><a href="https://other.example/2024/ban?x=1">Ban on sales</a></li>
  <li><a href="mailto:press@regulator.example">Contact</a></li>
</ul></body></html>""".encode("windows-1252")


def test_page_links_by_selector_resolved_deduplicated_in_order():
    feed = discover(source("page", selector="ul.releases li a, h3.t"), LISTING,
                    url=f"{BASE}/press/index.html", content_type="text/html")
    assert feed.format == "html" and feed.title == "Press releases"
    assert [(item.url, item.title) for item in feed.items] == [
        (f"{BASE}/press/2024/fine-example", "Fine"),
        (f"{BASE}/press/2024/exit", "ordered"),
        ("https://other.example/2024/ban?x=1", "Ban on sales"),
    ]
    assert all(item.guid == item.url for item in feed.items)


def test_page_links_by_pattern_and_by_both():
    by_pattern = discover(source("page", link_pattern=r"/press/2024/"), LISTING, url=f"{BASE}/press/")
    assert [item.url for item in by_pattern.items] == [f"{BASE}/press/2024/fine-example", f"{BASE}/press/2024/exit"]
    assert by_pattern.items[0].title == "Fine"  # the first link's title ("Fine" from the image alt)
    both = discover(source("page", selector="h3 a", link_pattern="exit"), LISTING, url=f"{BASE}/press/")
    assert [item.title for item in both.items] == ["ordered"]
    titled = discover(source("page", selector="h3 a"), LISTING, url=f"{BASE}/press/")
    assert titled.items[0].title == "Regulator fines Example Corp \u00e9"  # charset from the meta tag


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body><p>nothing</p></body></html>", "parse: no article links matched selector 'h3 a'"),
        (b"%PDF-1.4 ...", "parse: binary body (application/pdf)"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
         "parse: not an HTML page (an XML feed or sitemap: use kind: feed or sitemap)"),
        (b"", "parse: empty body"),
    ],
)
def test_bad_listing_pages(body, reason):
    with pytest.raises(ParseError) as caught:
        discover(source("page", selector="h3 a"), body, url=f"{BASE}/press/", content_type="text/html")
    assert str(caught.value) == reason


def test_feed_kind_is_parse_feed():
    rss = (b"<rss version='2.0'><channel><title>T</title>"
           b"<item><guid isPermaLink='false'>urn:x:g1</guid><title>A</title></item></channel></rss>")
    feed = discover(source(), rss, url=f"{BASE}/feed", content_type="application/rss+xml")
    assert feed.items[0].guid == "urn:x:g1"
    with pytest.raises(ParseError, match=r"not a feed \(text/html\)"):
        discover(source(), b"<html><body>x</body></html>", url=f"{BASE}/feed", content_type="text/html")


# -- discover_all: fetching ------------------------------------------------------------------------------


def loopback_source(server: FaultServer, path: str, kind: str, **fields) -> Source:
    extra = "".join(f", {key}: '{value}'" for key, value in fields.items())
    text = (f"sources:\n  - {{id: s, name: S, url: '{server.url(path)}', kind: {kind}, allow_private: true,"
            f" rate: 200{extra}}}\n")
    return parse_sources(text, Path("s.yaml")).sources[0]


def test_discover_all_follows_a_sitemap_index_and_hashes_every_body():
    with FaultServer() as server:
        def urlset(*paths: str) -> bytes:
            urls = "".join(f"<url><loc>{server.url(p)}</loc><lastmod>2024-0{i + 1}-01</lastmod></url>"
                           for i, p in enumerate(paths))
            return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()

        server.add("/index.xml", conditional(
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            b"<sitemap><loc>/a.xml</loc></sitemap><sitemap><loc>/b.xml.gz</loc></sitemap>"
            b"<sitemap><loc>/broken.xml</loc></sitemap><sitemap><loc>/nested.xml</loc></sitemap></sitemapindex>",
            "application/xml"))
        server.add("/a.xml", ok(urlset("/news/1", "/news/2"), "application/xml"))
        server.add("/b.xml.gz", ok(gzip.compress(urlset("/news/3", "/news/1")), "application/x-gzip"))
        server.add("/broken.xml", status(500))
        server.add("/nested.xml", ok(b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                     b"<sitemap><loc>/c.xml</loc></sitemap></sitemapindex>", "application/xml"))
        server.add("/c.xml", ok(urlset("/news/4"), "application/xml"))
        src = loopback_source(server, "/index.xml", "sitemap")
        with Fetcher(Settings()) as fetcher:
            found = discover_all(fetcher, src)
            assert not found.not_modified and found.content_hash
            urls = sorted(item.url for item in found.feed.items)
            assert urls == sorted(server.url(f"/news/{n}") for n in (1, 2, 3, 4))
            assert "broken.xml: fetch: HTTP 500" in found.feed.warning
            again = discover_all(fetcher, src, etag=found.result.etag)
            assert again.not_modified and again.feed is None and again.content_hash is None
        paths = [hit.path for hit in server.hits]
        assert paths.count("/index.xml") == 2 and paths.count("/a.xml") == 1


def test_discover_all_for_a_listing_page():
    with FaultServer() as server:
        server.add("/press/", ok(b'<html><body><h3><a href="/press/1">One</a></h3></body></html>'))
        src = loopback_source(server, "/press/", "page", selector="h3 a")
        with Fetcher(Settings()) as fetcher:
            found = discover_all(fetcher, src)
        assert [(item.url, item.title) for item in found.feed.items] == [(server.url("/press/1"), "One")]
        assert server.hits[0].header("Accept").startswith("text/html")


def test_source_fields_for_kinds_and_politeness_are_validated():
    from pipeline.errors import ConfigError

    text = """sources:
  - id: a
    name: A
    url: https://x.example/
    kind: page
  - id: b
    name: B
    url: https://x.example/
    kind: page
    selector: "a[["
  - id: c
    name: C
    url: https://x.example/
    selector: "a"
    link_pattern: "/news/"
  - id: d
    name: D
    url: https://x.example/
    kind: sitemap
    link_pattern: "("
    interval: 30m
    min_interval: 1h
    rate: 0
    concurrency: 0
  - id: e
    name: E
    url: https://x.example/
    kind: rss
"""
    with pytest.raises(ConfigError) as caught:
        parse_sources(text, Path("sources.yaml"))
    problems = caught.value.problems
    assert problems[0] == "sources.yaml:2: selector: kind: page needs a selector or a link_pattern"
    assert problems[1].startswith("sources.yaml:10: selector: not a CSS selector: ")
    assert "sources.yaml:15: link_pattern: only for kind: sitemap or page" in problems
    assert "sources.yaml:14: selector: only for kind: page" in problems
    assert any(p.startswith("sources.yaml:20: link_pattern: not a regular expression: ") for p in problems)
    assert "sources.yaml:22: min_interval: must not be longer than interval (30m)" in problems
    assert "sources.yaml:23: rate: Input should be greater than 0" in problems
    assert "sources.yaml:24: concurrency: Input should be greater than or equal to 1" in problems
    assert any(p.startswith("sources.yaml:28: kind: ") for p in problems)
    good = source("page", selector="article h2 a", link_pattern="/press/")
    assert (good.kind, good.selector, good.rate, good.concurrency, good.min_interval) == (
        "page", "article h2 a", None, None, None)
