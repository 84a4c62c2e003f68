"""run_search and `regwatch search` on the newsroom stores filled by the real crawler and analysis:
the same query gives the same stories and facets on SQLite and PostgreSQL; article text stays text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.search import filters_match, parse, run_search
from pipeline.store import Store
from tests.support.newsroom import IMG_PAYLOAD, SCRIPT_PAYLOAD

NOW = datetime(2026, 1, 1, tzinfo=UTC)

QUERIES = [
    "children", "ftc", "disney", "merger", '"personal data"', '"european commission"', "refunds OR divest",
    "ftc -disney", "settle ftc -children", "apple", "russia OR russian", "alphabet", "china", "consumers",
    "jurisdiction:US", "jurisdiction:GB", "type:fine_or_penalty", "type:ban,merger_decision", "status:announced",
    "tag:regulator", "source:wire since:2010", "until:2010", "since:2025-09 until:2025-09", "company:disney",
    "ftc jurisdiction:US -company:disney", "children tag:news", "-company:disney tag:regulator", "since:4m",
]


@pytest.fixture(scope="module")
def stores(filled_sqlite_url, filled_pg_url):
    with Store.open(filled_sqlite_url) as lite, Store.open(filled_pg_url) as pg:
        yield lite, pg


@pytest.mark.postgres
@pytest.mark.parametrize("query", QUERIES)
def test_the_same_stories_and_facets_on_sqlite_and_postgres(stores, query):
    lite, pg = (run_search(store, query, limit=100, now=NOW) for store in stores)
    assert lite.total == pg.total == len(lite.hits), query
    assert sorted(h.story_id for h in lite.hits) == sorted(h.story_id for h in pg.hits), query
    assert lite.facets == pg.facets, query
    if not parse(query).include:  # ranked by recency alone: the same order too
        assert [h.story_id for h in lite.hits] == [h.story_id for h in pg.hits], query


@pytest.mark.postgres
def test_the_queries_find_something(stores):
    empty = [q for q in QUERIES if run_search(stores[0], q, now=NOW, facets=False).total == 0]
    assert empty == []


@pytest.mark.postgres
def test_pages_cover_the_result_once_on_both_backends(stores):
    for store in stores:
        seen, cursor = [], None
        while True:
            page = run_search(store, "tag:regulator", limit=3, cursor=cursor, now=NOW)
            seen += [hit.story_id for hit in page.hits]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == page.total == 10  # the regulators' and GOV.UK's stories


def test_the_story_of_two_sources_is_one_hit(filled_sqlite_url):
    with Store.open(filled_sqlite_url) as store:
        [hit] = run_search(store, "disney youtube", now=NOW).hits
    assert hit.source_count == 2 and sorted(hit.sources) == ["regulators", "wire"]


@pytest.mark.postgres
def test_payloads_are_plain_text_with_offsets(stores):
    for store in stores:
        result = run_search(store, '"reader comment"', now=NOW)
        [hit] = result.hits
        assert SCRIPT_PAYLOAD in hit.title and IMG_PAYLOAD in hit.title
        # verbatim (a snippet may end inside the second payload), for each consumer to escape its own way
        assert SCRIPT_PAYLOAD in hit.snippet and "<img src=x onerror=alert" in hit.snippet
        marked = [hit.snippet[start:end].lower() for start, end in hit.highlights]
        assert marked == ["reader comment"]
        assert json.loads(json.dumps(result.to_json()))["hits"][0]["title"] == hit.title


def test_python_filters_agree_with_sql(filled_sqlite_url):
    """The filters of alert rules (Python) select the stories that search (SQL) finds."""
    with Store.open(filled_sqlite_url) as store, store.engine.connect() as conn:
        tags = {row.id: tuple(json.loads(row.tags) if isinstance(row.tags, str) else row.tags)
                for row in conn.execute(text("SELECT id, tags FROM source"))}
        articles = [store.get_article(article_id) for (article_id,) in conn.execute(text("SELECT id FROM article"))]
        for query in [q for q in QUERIES if not parse(q).include and not parse(q).exclude]:
            parsed = parse(query)
            expected = {a["story_id"] for a in articles if filters_match(
                parsed.filters, analysis=a["analysis"], source_id=a["source_id"], source_tags=tags[a["source_id"]],
                published=a["published"], now=NOW)}
            found = {hit.story_id for hit in run_search(store, query, limit=100, now=NOW).hits}
            assert found == expected, query


def test_cli_json_is_the_search_result(filled_sqlite_url, tmp_path):
    runner = CliRunner()
    base = ["--database-url", filled_sqlite_url, "--data-dir", str(tmp_path)]
    done = runner.invoke(app, [*base, "search", "ftc jurisdiction:US", "--json", "--limit", "3"])
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    with Store.open(filled_sqlite_url) as store:
        expected = run_search(store, "ftc jurisdiction:US", limit=3).to_json()
    for body in (printed, expected):  # scored a moment apart: recency (and the cursor's time) differ slightly
        assert body.pop("next_cursor")
        for hit in body["hits"]:
            assert hit.pop("score") > 0
    assert printed == expected

    cursor = json.loads(runner.invoke(app, [*base, "search", "ftc jurisdiction:US", "--json", "-n", "3"]).stdout)[
        "next_cursor"]
    second = json.loads(runner.invoke(app, [*base, "search", "ftc jurisdiction:US", "--json", "-n", "3",
                                            "--cursor", cursor]).stdout)
    assert {h["story_id"] for h in second["hits"]}.isdisjoint({h["story_id"] for h in printed["hits"]})


def test_cli_human_output_shows_hits_facets_and_errors(filled_sqlite_url, tmp_path):
    runner = CliRunner()
    base = ["--database-url", filled_sqlite_url, "--data-dir", str(tmp_path)]
    done = runner.invoke(app, [*base, "search", "children", "-n", "1"])
    assert done.exit_code == 0, done.output
    assert "1." in done.output and "of 3 stories" in done.output
    assert "jurisdiction: United States 3" in done.output and "next page: --cursor " in done.output
    done = runner.invoke(app, [*base, "search", "compny:Disney"])
    assert done.exit_code != 0 and 'unknown field "compny:" at position 1' in done.output
    assert "Traceback" not in done.output
    done = runner.invoke(app, [*base, "search", "ftc", "--cursor", "garbage"])
    assert done.exit_code != 0 and "invalid cursor" in done.output
