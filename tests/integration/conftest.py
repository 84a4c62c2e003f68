from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.support.server import LoopbackServer, Route

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
FEEDS = CORPUS / "feeds"
PAGES = CORPUS / "articles" / "html"

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

# Pages of our own feed: the dev articles that come with their HTML (never the holdout ones).
OWN_PAGE_COUNT = 8


def dev_articles_with_html() -> list[dict]:
    rows = []
    with open(CORPUS / "articles" / "dev.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("html_file") and row.get("lang", "en") == "en":
                rows.append(row)
    return rows


def feed_source_id(path: Path) -> str:
    return "feed-" + path.name.lower().replace(".", "-").replace("_", "-")[:58]


def own_feed(server: LoopbackServer, articles: list[dict]) -> bytes:
    """An RSS feed whose items link to real pages on the same server, plus two that cannot be fetched."""
    items = []
    for number, article in enumerate(articles):
        page = Path(article["html_file"]).name
        items.append((article["title"], server.url(f"/pages/{page}"), f"Feed summary number {number}.",
                      article["published"]))
    items.append(("Regulator withdraws licence, page gone", server.url("/own/missing-page"),
                  "Feed summary kept: the quokkaregulator page is missing.", "2024-03-01"))
    items.append(("Server error on this one", server.url("/own/server-error?utm_source=feed"),
                  "Feed summary kept after a 500 from the wombatcouncil page.", "2024-03-02"))
    parts = []
    for title, link, summary, published in items:
        date = format_datetime(datetime.fromisoformat(published[:10]).replace(tzinfo=UTC))
        parts.append(f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                     f"<guid>{escape(link)}</guid><description>{escape(summary)}</description>"
                     f"<pubDate>{date}</pubDate></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Own test feed</title>'
            f"<link>{server.base}/</link><description>regwatch test feed</description>{''.join(parts)}"
            "</channel></rss>").encode()


@pytest.fixture(scope="session")
def news_site():
    """Serves the 41 real corpus feeds unchanged, the real article pages, and a feed of our own."""
    with LoopbackServer() as server:
        server.mount("/feeds/", FEEDS)
        server.mount("/pages/", PAGES)
        articles = dev_articles_with_html()[:OWN_PAGE_COUNT]
        server.add("/own/feed.xml", Route(body=own_feed(server, articles), content_type="application/rss+xml"))
        server.add("/bin/logo.png", Route(body=PNG, content_type="image/png"))
        server.add("/own/server-error", Route(status=500, body=b"boom", content_type="text/plain"))
        server.own_articles = articles
        yield server


@pytest.fixture(scope="session")
def sources_yaml(news_site, tmp_path_factory) -> Path:
    lines = ["sources:"]
    for path in sorted(FEEDS.iterdir()):
        lines += [f"  - id: {feed_source_id(path)}", f"    name: corpus feed {path.name}",
                  f"    url: {news_site.url('/feeds/' + path.name)}", "    interval: 30m",
                  # The real feeds link to the public web: tests never go there.
                  "    fetch_full_text: false"]
    # Two sources that are not feeds at all: a web page and a binary file.
    html_page = sorted(PAGES.iterdir())[0].name
    lines += ["  - id: not-a-feed", "    name: a web page, not a feed",
              f"    url: {news_site.url('/pages/' + html_page)}"]
    lines += ["  - id: binary-feed", "    name: a binary body", f"    url: {news_site.url('/bin/logo.png')}"]
    lines += ["  - id: own-feed", "    name: own loopback feed", f"    url: {news_site.url('/own/feed.xml')}",
              "    interval: 30m", "    jurisdiction: GB", "    tags: [test]", "    allow_private: true"]
    path = tmp_path_factory.mktemp("config") / "sources.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend_url(request, tmp_path_factory, pg_database_factory):
    """A fresh, empty store per test module: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'regwatch.db'}"
    else:
        with pg_database_factory() as url:
            yield url
