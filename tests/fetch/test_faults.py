"""A hostile site on loopback: every fault ends as a one-line reason, quickly, and the server sees
exactly the requests it should (no retry storms, nothing fetched that must not be)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.errors import FetchError, ParseError
from pipeline.fetch import Fetcher
from pipeline.fetch.discover import discover_all
from pipeline.settings import Settings
from pipeline.sources import Source, parse_sources
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

RSS = (b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Regulator</title>"
       b"<item><title>One</title><link>https://regulator.example/1</link></item></channel></rss>")


@pytest.fixture
def site():
    with FaultServer() as server:
        server.add("/feed", conditional(RSS, "application/rss+xml"))
        server.add("/error", status(500))
        server.add("/hang", hang(3.0))
        server.add("/drip", drip(RSS * 4, 0.05))
        server.add("/malformed", ok(b"<?xml version='1.0'?><rss version='2.0'><channel><title>Broken &bad; <<"
                                    b"</channel>", "application/rss+xml"))
        server.add("/html", ok(b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>"))
        server.add("/bomb", gzip_bomb())
        server.add("/loop/a", redirect("/loop/b"))
        server.add("/loop/b", redirect("/loop/a"))
        for step in range(8):
            server.add(f"/hop/{step}", redirect(f"/hop/{step + 1}"))
        server.add("/hop/8", ok(RSS, "application/rss+xml"))
        server.add("/binary", ok(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "application/rss+xml"))
        server.add("/latin1", ok(RSS.replace(b"One", "Caf\u00e9 r\u00e8gles".encode("latin-1")),
                                 "application/rss+xml; charset=utf-8"))
        server.add("/no-charset", ok("<rss version='2.0'><channel><title>\u0420\u0435\u0433</title><item>"
                                     "<title>\u0417\u0430\u043a\u043e\u043d</title><link>https://r.example/z</link>"
                                     "</item></channel></rss>".encode(), "application/rss+xml"))
        yield server


def feed_source(server: FaultServer, path: str, **fields) -> Source:
    extra = "".join(f", {key}: {value}" for key, value in fields.items())
    text = f"sources:\n  - {{id: s, name: S, url: '{server.url(path)}', rate: 100{extra}}}\n"
    return parse_sources(text, Path("s.yaml")).sources[0]


def outcome(fetcher: Fetcher, source: Source) -> str:
    try:
        found = discover_all(fetcher, source)
    except (FetchError, ParseError) as exc:
        return str(exc)
    return "not modified" if found.not_modified else f"{len(found.feed.items)} item(s)"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/feed", "1 item(s)"),
        ("/error", "fetch: HTTP 500 Internal Server Error"),
        ("/hang", "fetch: timeout after 0.5s"),
        ("/drip", "fetch: timeout: response not complete after 1s"),
        ("/malformed", "parse: malformed XML: "),
        ("/html", "parse: not a feed (text/html)"),
        ("/bomb", "fetch: response over 10 MB cap"),
        ("/loop/a", "fetch: redirect loop at "),
        ("/hop/0", "fetch: more than 5 redirects"),
        ("/binary", "parse: binary body (image/png)"),
        ("/latin1", "1 item(s)"),
        ("/no-charset", "1 item(s)"),
    ],
)
def test_each_fault_is_reported_in_one_line_and_quickly(site, path, expected):
    started = time.monotonic()
    with Fetcher(Settings(read_timeout=0.5, total_timeout=1.0)) as fetcher:
        result = outcome(fetcher, feed_source(site, path))
    assert result.startswith(expected) and "\n" not in result, result
    assert time.monotonic() - started < 2.5
    if path.startswith("/hop"):
        assert len(site.hits) == 6  # the first request and 5 redirects
    elif path.startswith("/loop"):
        assert [hit.path for hit in site.hits] == ["/loop/a", "/loop/b"]
    else:
        assert len(site.hits) == 1  # no retry storm


def test_conditional_get_304_with_etag_and_last_modified(site):
    with Fetcher(Settings()) as fetcher:
        first = fetcher.get(site.url("/feed"), allow_private=True)
        assert first.etag == '"v1"' and first.last_modified
        by_etag = fetcher.get(site.url("/feed"), allow_private=True, etag=first.etag)
        by_date = fetcher.get(site.url("/feed"), allow_private=True, last_modified=first.last_modified)
    assert by_etag.not_modified and by_date.not_modified and by_etag.body == b""
    assert by_date.last_modified == first.last_modified
    assert site.hits[1].header("If-None-Match") == '"v1"'
    assert site.hits[2].header("If-Modified-Since") == first.last_modified


def test_text_of_wrong_and_missing_charsets_is_readable(site):
    with Fetcher(Settings()) as fetcher:
        latin = discover_all(fetcher, feed_source(site, "/latin1")).feed
        plain = discover_all(fetcher, feed_source(site, "/no-charset")).feed
    assert latin.items[0].title == "Caf\u00e9 r\u00e8gles"
    assert plain.items[0].title == "\u0417\u0430\u043a\u043e\u043d"


def test_links_to_private_addresses_inside_a_feed_are_not_fetched(site):
    links = ["http://127.0.0.1:{port}/secret", "http://10.0.0.7/admin", "http://169.254.169.254/latest/meta-data/",
             "http://[::1]:{port}/x", "http://localhost:{port}/y"]
    port = site.host.rsplit(":", 1)[1]
    items = "".join(f"<item><title>t{n}</title><link>{link.format(port=port)}</link></item>"
                    for n, link in enumerate(links))
    site.add("/evil", ok(f"<rss version='2.0'><channel><title>x</title>{items}</channel></rss>".encode(),
                         "application/rss+xml"))
    site.add("/secret", ok(b"internal"))
    for allow_private in (False, True):
        site.reset()
        source = feed_source(site, "/evil", allow_private=str(allow_private).lower())
        reasons = []
        with Fetcher(Settings(connect_timeout=0.5)) as fetcher:
            feed = discover_all(fetcher, source).feed  # the feed URL itself is configuration: fetched
            for item in feed.items:
                try:
                    fetcher.get(item.url, source_id=source.id, allow_private=source.allow_private,
                                check_robots=True, rate=source.rate)
                    reasons.append("fetched")
                except FetchError as exc:
                    reasons.append(exc.message)
        if not allow_private:
            assert all(reason.startswith("blocked private address") for reason in reasons), reasons
            assert [hit.path for hit in site.hits] == ["/evil"]  # nothing inside was asked for
        else:
            assert reasons[0] == "fetched"
            assert "/secret" in [hit.path for hit in site.hits]


def test_retry_storm_is_impossible_on_429(site):
    site.add("/busy", Reply(status=429, body=b"slow down", headers={"Retry-After": "300"}))
    with Fetcher(Settings()) as fetcher:
        reasons = []
        for _ in range(5):
            try:
                fetcher.get(site.url("/busy"), allow_private=True, rate=100)
            except FetchError as exc:
                reasons.append((exc.message, round(exc.retry_after or 0)))
    assert reasons[0] == ("HTTP 429 Too Many Requests (retry after 300s)", 300)
    assert all(message.startswith("127.0.0.1 asked regwatch to wait") for message, _ in reasons[1:])
    assert len(site.hits) == 1
