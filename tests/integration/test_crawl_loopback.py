"""End to end: `regwatch crawl --once` against a loopback server with the 41 real corpus feeds and
real article pages, into a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.crawl import item_identity
from pipeline.errors import ParseError
from pipeline.fetch.feeds import parse_feed
from pipeline.search import search
from pipeline.sources import load_sources
from pipeline.store import Store
from tests.integration.conftest import FEEDS, feed_source_id

runner = CliRunner()


def crawl_once(sources_yaml, database_url: str) -> tuple[int, list[dict]]:
    result = runner.invoke(app, ["--database-url", database_url, "crawl", "--once", "--sources",
                                 str(sources_yaml), "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    start = result.stdout.index("[")
    return result.exit_code, json.loads(result.stdout[start:])


@pytest.fixture(scope="module")
def crawled(request, sources_yaml, backend_url):
    code, reports = crawl_once(sources_yaml, backend_url)
    store = Store.open(backend_url)
    yield code, {r["source_id"]: r for r in reports}, store
    store.close()


def expected_feeds(news_site):
    """What each corpus feed should give: its item identities, or the parse error."""
    sources = {s.id: s for s in load_sources_for(news_site)}
    outcome = {}
    for path in sorted(FEEDS.iterdir()):
        source = sources[feed_source_id(path)]
        url = news_site.url("/feeds/" + path.name)
        try:
            feed = parse_feed(path.read_bytes(), url=url, content_type="application/xml")
        except ParseError as exc:
            outcome[path.name] = exc
            continue
        outcome[path.name] = {item_identity(item, source, url) for item in feed.items}
    return outcome


def load_sources_for(news_site):
    return load_sources(news_site.sources_path).sources


@pytest.fixture(scope="module", autouse=True)
def _remember_sources(news_site, sources_yaml):
    news_site.sources_path = sources_yaml


def test_every_parseable_feed_item_is_stored(crawled, news_site):
    code, reports, store = crawled
    assert code == 1  # two sources are not feeds at all
    assert reports["not-a-feed"]["reason"] == "parse: not a feed (text/html)"
    assert reports["binary-feed"]["reason"].startswith("parse: binary body")
    stored = set()
    with store.engine.connect() as conn:
        from sqlalchemy import text

        stored = {row[0] for row in conn.execute(text("SELECT canonical_url FROM article"))}
        # an entry whose text is stored under another URL (a reposted quote) is an indexed copy of that article
        stored |= {row[0] for row in conn.execute(
            text("SELECT identity FROM item WHERE state = 'indexed' AND article_id IS NOT NULL"))}
    for name, outcome in expected_feeds(news_site).items():
        report = reports[feed_source_id(FEEDS / name)]
        if isinstance(outcome, ParseError):
            assert report["reason"] == str(outcome), name
            assert report["reason"].startswith("parse: ") and "\n" not in report["reason"]
            continue
        assert report["reason"] is None, (name, report["reason"])
        assert report["seen"] >= len(outcome) > 0, name
        missing = outcome - stored
        assert not missing, (name, sorted(missing)[:3])
    failures = [r for r in reports.values() if r["reason"]]
    assert len(failures) < 6, failures  # most real feeds parse


def test_pages_are_extracted_and_feed_text_kept_when_unreachable(crawled, news_site):
    _, reports, store = crawled
    own = reports["own-feed"]
    assert own["reason"] is None
    assert own["new"] == len(news_site.own_articles) + 2
    articles = {a["url"]: a for a in (store.get_article(i) for i in _article_ids(store, "own-feed"))}
    coverage = []
    for article in news_site.own_articles:
        page = news_site.url("/pages/" + article["html_file"].split("/")[-1])
        stored = articles[page]
        assert stored["text_origin"] == "page", stored["extract_note"]
        corpus_words = set(re.findall(r"\w+", article["text"].lower()))
        stored_words = set(re.findall(r"\w+", stored["text"].lower()))
        coverage.append(len(corpus_words & stored_words) / len(corpus_words))
        assert coverage[-1] >= 0.6, page
        assert set(stored["analysis"]) >= {"relevant", "companies", "jurisdictions", "events", "summary"}
    assert sum(coverage) / len(coverage) >= 0.85, coverage
    missing = articles[news_site.url("/own/missing-page")]
    assert missing["text_origin"] == "feed_summary"
    assert missing["extract_note"].startswith("fetch: HTTP 404")
    assert "quokkaregulator" in missing["text"]
    # tracking parameters are not part of the stored identity
    error = articles[news_site.url("/own/server-error")]
    assert error["extract_note"].startswith("fetch: HTTP 500")


def _article_ids(store, source_id):
    from sqlalchemy import text

    with store.engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT id FROM article WHERE source_id = :s"),
                                               {"s": source_id})]


def test_search_finds_stored_items(crawled, news_site):
    _, _, store = crawled
    hits = search(store, "quokkaregulator")
    assert [hit.url for hit in hits] == [news_site.url("/own/missing-page")]
    assert [hits[0].snippet[start:end].lower() for start, end in hits[0].highlights] == ["quokkaregulator"]
    hits = search(store, "wombatcouncil")
    assert len(hits) == 1


def test_second_pass_stores_nothing_twice(crawled, sources_yaml, backend_url):
    _, _, store = crawled
    before = store.count_articles()
    code, reports = crawl_once(sources_yaml, backend_url)
    assert store.count_articles() == before
    assert sum(r["new"] for r in reports) == 0


def test_search_cli_prints_ranked_hits(crawled, backend_url):
    result = runner.invoke(app, ["--database-url", backend_url, "search", "quokkaregulator", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["hits"][0]["title"] == "Regulator withdraws licence, page gone"
    bad = runner.invoke(app, ["--database-url", backend_url, "search", '"unbalanced'])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output and "error:" in bad.output


def test_status_reports_health_of_every_source(crawled, backend_url):
    result = runner.invoke(app, ["--database-url", backend_url, "status", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    for key in ("id", "last_success", "consecutive_failures", "last_error", "next_poll", "articles"):
        assert key in rows["own-feed"]
    assert rows["own-feed"]["articles"] >= 10 and rows["own-feed"]["consecutive_failures"] == 0
    assert rows["not-a-feed"]["last_error"] == "parse: not a feed (text/html)"
    assert rows["not-a-feed"]["consecutive_failures"] >= 1 and rows["not-a-feed"]["last_success"] is None
    table = runner.invoke(app, ["--database-url", backend_url, "status"])
    assert table.exit_code == 0 and "not-a-feed" in table.output
