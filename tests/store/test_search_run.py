"""run_search on both backends with hand-made data: filters, stories, facets, ranking, pages, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.errors import QueryError
from pipeline.search import FACETS, run_search
from pipeline.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FILLER = (" The statement was published by the press office and repeated by several outlets during the day, "
          "with comments from analysts, lawyers and trade groups about what it means for customers.")

# key: (source, title, text, published, analysis)
ARTICLES = {
    "zoom": ("news", "Zoom halts direct sales in mainland China",
             "Zoom said it will halt direct sales in mainland China from 23 August and move to partners." + FILLER,
             datetime(2025, 8, 5),
             {"companies": [{"name": "Zoom", "mentions": 5}],
              "jurisdictions": [{"code": "CN", "name": "China", "mentions": 4}],
              "events": [{"type": "sales_restriction", "actor": "Zoom", "actor_kind": "company",
                          "jurisdictions": ["CN"], "status": "announced"}]}),
    "zoom-wire": ("wire", "Zoom to stop direct sales in China",
                  "Zoom said it will halt direct sales in mainland China from 23 August and move to partners."
                  + FILLER + " Shares were flat.", datetime(2025, 8, 6),
                  {"companies": [{"name": "Zoom", "mentions": 3}],
                   "jurisdictions": [{"code": "CN", "name": "China", "mentions": 2}],
                   "events": [{"type": "sales_restriction", "actor": "Zoom", "actor_kind": "company",
                               "jurisdictions": ["CN"], "status": "in_effect"}]}),
    "google": ("regulator", "EU fines Google over Android",
               "The European Commission fined Google for abusing the dominance of Android in the EU market.",
               datetime(2018, 7, 18),
               {"companies": [{"name": "Google", "mentions": 6}],
                "jurisdictions": [{"code": "EU", "name": "European Union", "mentions": 3}],
                "events": [{"type": "fine_or_penalty", "actor": "European Commission", "actor_kind": "authority",
                            "jurisdictions": ["EU"], "status": "in_effect"}]}),
    "california": ("regulator", "California passes privacy rules for apps",
                   "California lawmakers passed privacy rules for mobile apps; Google and Apple must comply.",
                   datetime(2025, 11, 20),
                   {"companies": [{"name": "Google", "mentions": 1}, {"name": "Apple", "mentions": 1}],
                    "jurisdictions": [{"code": "US-CA", "name": "California", "mentions": 2}],
                    "events": [{"type": "law_or_regulation", "actor": "California legislature",
                                "actor_kind": "authority", "jurisdictions": ["US-CA"], "status": "proposed"}]}),
    "tiktok": ("news", "India bans TikTok and 58 other apps",
               "India banned TikTok, citing security. ByteDance said it would comply with the ban on apps.",
               datetime(2020, 6, 29),
               {"companies": [{"name": "TikTok", "mentions": 2}, {"name": "ByteDance", "mentions": 1}],
                "jurisdictions": [{"code": "IN", "name": "India", "mentions": 2}],
                "events": [{"type": "ban", "actor": "Government of India", "actor_kind": "authority",
                            "jurisdictions": ["IN"], "status": "in_effect"}]}),
    "bank": ("wire", "Bank of China opens London branch for apps",
             "Bank of China opened a new branch in London; the bank said apps for customers come next.",
             datetime(2025, 12, 20),
             {"companies": [{"name": "Bank of China", "mentions": 3}],
              "jurisdictions": [{"code": "GB", "name": "United Kingdom", "mentions": 1}], "events": []}),
    "undated": ("news", "Regulators meet about apps", "Regulators met to talk about apps and privacy.", None, None),
}
TAGS = {"news": ["news"], "wire": ["news", "wire"], "regulator": ["regulator"]}


@pytest.fixture
def data(store, make_source, make_article) -> tuple[Store, dict[str, int]]:
    store.sync_sources([make_source(source, tags=tags, name=f"The {source} desk") for source, tags in TAGS.items()])
    stories = {}
    for number, (key, (source, title, body, published, analysis)) in enumerate(ARTICLES.items(), start=1):
        article = make_article(number, source_id=source, title=title, text=body, published=published,
                               fetched_at=datetime(2025, 12, 31))
        stored = store.store_article(article, analysis)
        stories[key] = stored.story_id
    assert stories["zoom"] == stories["zoom-wire"]  # the wire copy is the same story
    return store, stories


def story_keys(result, stories: dict[str, int]) -> list[str]:
    names = {}
    for key, story in stories.items():
        names.setdefault(story, key)
    return [names[hit.story_id] for hit in result.hits]


def run(store, query, **kwargs):
    return run_search(store, query, now=NOW, limit=kwargs.pop("limit", 50), **kwargs)


@pytest.mark.parametrize(("query", "expected"), [
    ("company:zoom", {"zoom"}),
    ('company:"Bank of China"', {"bank"}),
    ("company:Google,TikTok", {"google", "california", "tiktok"}),
    ("company:google -company:apple", {"google"}),
    ("company:\"Government of India\"", {"tiktok"}),  # an event's actor counts as named
    ("jurisdiction:CN", {"zoom"}),
    ("jurisdiction:china", {"zoom"}),
    ('jurisdiction:"mainland China"', {"zoom"}),
    ("jurisdiction:US", {"california"}),  # US covers US-CA
    ("jurisdiction:California", {"california"}),
    ("jurisdiction:EU,IN", {"google", "tiktok"}),
    ("type:ban", {"tiktok"}),
    ("type:fine-or-penalty", {"google"}),
    ("status:proposed", {"california"}),
    ("type:sales_restriction status:in_effect", {"zoom"}),  # the wire copy's event
    ("type:sales_restriction status:proposed", set()),
    ("source:regulator", {"google", "california"}),
    ("tag:news", {"zoom", "tiktok", "bank", "undated"}),
    ("tag:wire -company:zoom", {"bank"}),
    ("tag:news -privacy", {"zoom", "tiktok", "bank"}),  # filters and exclusions only
    ('tag:news -privacy -"direct sales"', {"tiktok", "bank"}),
    ("since:2025-11", {"california", "bank", "undated"}),  # undated: its fetch date
    ("since:2025 until:2025-08", {"zoom"}),
    ("until:2020-06-28", {"google"}),
    ("until:2020-06-29", {"google", "tiktok"}),  # the whole day
    ("since:2m", {"california", "bank", "undated"}),
    ("since:14d", {"bank", "undated"}),
    ("since:1y", {"zoom", "california", "bank", "undated"}),
    ("apps", {"california", "tiktok", "bank", "undated"}),
    ("apps tag:news", {"tiktok", "bank", "undated"}),
    ("apps OR android -privacy", {"google", "tiktok", "bank"}),
    ('"direct sales" jurisdiction:CN', {"zoom"}),
])
def test_filters_select_the_stories(data, query, expected):
    store, stories = data
    result = run(store, query)
    assert set(story_keys(result, stories)) == expected
    assert result.total == len(expected)


def test_one_hit_per_story_with_its_sources(data):
    store, stories = data
    result = run(store, "zoom")
    [hit] = result.hits
    assert hit.story_id == stories["zoom"] and hit.source_count == 2
    assert sorted(hit.sources) == ["news", "wire"] and hit.sources[0] == hit.source_id
    assert result.total == 1 and result.facets["source"] == [
        {"value": "news", "label": "The news desk", "count": 1},
        {"value": "wire", "label": "The wire desk", "count": 1},
    ]


def test_filter_only_queries_are_newest_first(data):
    store, stories = data
    result = run(store, "tag:news")
    assert story_keys(result, stories) == ["undated", "bank", "zoom", "tiktok"]
    assert all(hit.highlights == [] and hit.snippet for hit in result.hits)


def test_recency_breaks_near_ties_and_relevance_dominates(data):
    store, stories = data
    # "apps": same relevance class; the newest of the equally relevant come first
    ranked = story_keys(run(store, "privacy"), stories)
    assert ranked[0] in ("california", "undated")
    # the title match of an old article still beats a passing mention in a new one
    assert story_keys(run(store, "android"), stories) == ["google"]
    scores = [hit.score for hit in run(store, "apps").hits]
    assert scores == sorted(scores, reverse=True)


def test_facets_count_matching_stories(data):
    store, stories = data
    result = run(store, "apps OR zoom OR android")
    assert result.total == 6
    facets = result.facets
    assert set(facets) == set(FACETS)
    assert {"value": "CN", "label": "China", "count": 1} in facets["jurisdiction"]  # two copies, one story
    assert {"value": "US-CA", "label": "California", "count": 1} in facets["jurisdiction"]
    assert facets["company"][0] == {"value": "Google", "label": "Google", "count": 2}
    assert {"value": "sales_restriction", "label": "sales restriction", "count": 1} in facets["event_type"]
    assert {"value": "2025-08", "label": "August 2025", "count": 1} in facets["month"]
    for entries in facets.values():
        counts = [entry["count"] for entry in entries]
        assert counts == sorted(counts, reverse=True)


def test_pages_follow_the_cursor_to_the_end(data):
    store, _ = data
    seen, cursor, pages = [], None, 0
    while True:
        page = run_search(store, "apps OR zoom OR android", limit=2, cursor=cursor, now=NOW)
        seen += [h.story_id for h in page.hits]
        pages += 1
        assert page.total == 6
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert seen == [h.story_id for h in run(store, "apps OR zoom OR android").hits]


def test_contradictory_filters_give_nothing_not_an_error(data):
    store, _ = data
    result = run(store, "tag:news tag:regulator")
    assert (result.hits, result.total, result.next_cursor) == ([], 0, None)
    assert all(entries == [] for entries in result.facets.values())


def test_a_cursor_is_checked(data):
    store, _ = data
    first = run_search(store, "apps", limit=1, now=NOW)
    assert first.next_cursor
    with pytest.raises(QueryError, match="another query"):
        run_search(store, "privacy", cursor=first.next_cursor)
    with pytest.raises(QueryError, match="invalid cursor"):
        run_search(store, "apps", cursor="not-a-cursor")
    with pytest.raises(QueryError, match="limit"):
        run_search(store, "apps", limit=0)


def test_json_is_the_api_body(data):
    store, stories = data
    body = run(store, '"direct sales"').to_json()
    assert list(body) == ["query", "total", "hits", "facets", "next_cursor"]
    [hit] = body["hits"]
    assert list(hit) == ["story_id", "article_id", "title", "url", "published", "sources", "source_count",
                         "snippet", "highlights", "companies", "jurisdictions", "event_types", "score"]
    assert hit["story_id"] == stories["zoom"] and hit["source_count"] == 2
    assert hit["published"].startswith("2025-08-0") and hit["companies"] == ["Zoom"]
    assert [hit["snippet"][start:end].lower() for start, end in hit["highlights"]] == ["direct sales"]
    json.dumps(body)  # plain JSON types only


@pytest.mark.postgres
def test_sqlite_and_postgres_give_the_same_stories(tmp_path, pg_url, make_source, make_article):
    queries = ["apps", "zoom", "privacy OR android", '"direct sales"', "apps -privacy", "company:google",
               "jurisdiction:US", "tag:news since:2025", "type:ban,fine_or_penalty",
               "bank -london", "rules apps", "until:2021 apps", "tag:news -privacy -zoom"]
    results = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'agree.db'}"), ("postgres", pg_url)):
        with Store.open(url) as store:
            store.sync_sources([make_source(s, tags=t) for s, t in TAGS.items()])
            for number, (source, title, body, published, analysis) in enumerate(ARTICLES.values(), start=1):
                store.store_article(make_article(number, source_id=source, title=title, text=body,
                                                 published=published, fetched_at=datetime(2025, 12, 31)), analysis)
            results[name] = {q: run(store, q) for q in queries}
    for query in queries:
        lite, pg = results["sqlite"][query], results["postgres"][query]
        assert lite.total == pg.total, query
        assert {h.story_id for h in lite.hits} == {h.story_id for h in pg.hits}, query
        assert lite.facets == pg.facets, query
