"""search() against stored articles, on SQLite FTS5 and PostgreSQL full-text search."""

from __future__ import annotations

import pytest

from pipeline.errors import QueryError
from pipeline.search import HIGHLIGHT_END, HIGHLIGHT_START, Hit, search
from pipeline.store import Store

ARTICLES = {
    "zoom": (
        "Zoom halts direct sales in mainland China",
        "Video-conferencing platform Zoom has announced that it will be halting direct sales to customers "
        "in mainland China in just a few weeks. From 23 August Zoom will sell in China only through "
        "partners such as Bizconf Communications.",
    ),
    "linkedin": (
        "LinkedIn to shut down its local social network",
        "Microsoft said LinkedIn will close its local social network in China this year, citing a "
        "challenging operating environment and greater compliance requirements.",
    ),
    "google": (
        "EU fines Google 4.34 billion euros over Android",
        "The European Commission fined Google for abusing the dominance of its Android operating system. "
        "Regulators in Brussels said the practices harmed competition.",
    ),
    "india": (
        "India bans 59 apps including TikTok",
        "The government of India has banned TikTok, WeChat and 57 other apps across India, citing threats "
        "to sovereignty and security. ByteDance said it was working to comply.",
    ),
    "opinion": (
        "Opinion: what the Digital Markets Act means for Google",
        "Commentary. The regulations take effect in 2023. Gatekeepers such as Alphabet will need to open "
        "their platforms; sales of default placements may change. Regulation is coming.",
    ),
    "starlink": (
        "Starlink opens sign-ups",
        "SpaceX's satellite internet service Starlink has started sign-ups in India after approval from "
        "the telecom regulator.",
    ),
    "oracle": (
        "TikTok moves US user data to Oracle servers",
        "TikTok said it now routes all data of users in the United States to servers run by Oracle. "
        "Sales staff were told in a direct message, and China-based staff lose access.",
    ),
}

ANALYSES = {
    "zoom": {
        "relevant": True,
        "companies": [{"name": "Bizconf Communications", "mentions": 1}, {"name": "Zoom", "mentions": 9}],
        "jurisdictions": [
            {"code": "US", "name": "United States", "mentions": 4},
            {"code": "CN", "name": "China", "mentions": 16},
        ],
        "events": [
            {"type": "sales_restriction", "actor": "Zoom", "jurisdictions": ["CN"]},
            {"type": "market_exit", "actor": "Zoom", "jurisdictions": ["CN"]},
            {"type": "sales_restriction", "actor": "Zoom", "jurisdictions": ["CN"]},
        ],
    },
    "india": {
        "relevant": True,
        "companies": [{"name": "TikTok", "mentions": 2}, {"name": "ByteDance", "mentions": 1}],
        "jurisdictions": [{"code": "IN", "name": "India", "mentions": 2}],
        "events": [{"type": "ban", "actor": "Government of India", "jurisdictions": ["IN"]}],
    },
}


def fill(store: Store, make_source, make_article) -> dict[str, int]:
    store.sync_sources([make_source("news")])
    ids = {}
    for number, (key, (title, body)) in enumerate(ARTICLES.items(), start=1):
        article = make_article(number, source_id="news", title=title, text=body)
        ids[key] = store.add_article(article, ANALYSES.get(key))
    return ids


@pytest.fixture
def news(store, make_source, make_article) -> tuple[Store, dict[str, int]]:
    return store, fill(store, make_source, make_article)


def keys(hits: list[Hit], ids: dict[str, int]) -> list[str]:
    names = {article_id: key for key, article_id in ids.items()}
    return [names[hit.article_id] for hit in hits]


def test_words_find_articles_and_stems_match(news):
    store, ids = news
    assert set(keys(search(store, "android"), ids)) == {"google"}
    assert set(keys(search(store, "banned"), ids)) == {"india"}  # "bans" in the title, "banned" in the text
    assert set(keys(search(store, "regulation"), ids)) == {"opinion", "google", "starlink"}
    assert set(keys(search(store, "tiktok india"), ids)) == {"india"}
    assert search(store, "platypus") == []


def test_title_and_frequency_rank_first(news):
    store, ids = news
    ranked = keys(search(store, "china"), ids)
    assert ranked[0] == "zoom" and set(ranked) == {
        "zoom",
        "linkedin",
        "oracle",
    }  # in the title and twice in the text
    assert keys(search(store, "google"), ids) == ["google", "opinion"]
    assert keys(search(store, "india"), ids) == ["india", "starlink"]


def test_scores_are_descending(news):
    store, _ = news
    hits = search(store, "china OR google OR india")
    assert len(hits) == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score > 0 for h in hits)


def test_exact_phrase(news):
    store, ids = news
    assert keys(search(store, '"direct sales"'), ids) == ["zoom"]
    assert set(keys(search(store, "direct sales"), ids)) == {"zoom", "oracle"}


def test_or_and_exclusion(news):
    store, ids = news
    assert set(keys(search(store, "starlink OR android"), ids)) == {"starlink", "google"}
    assert set(keys(search(store, "tiktok OR linkedin china"), ids)) == {"linkedin", "oracle"}
    assert set(keys(search(store, "google -opinion"), ids)) == {"google"}
    assert set(keys(search(store, 'china -"direct sales" -microsoft'), ids)) == {"oracle"}


def test_snippet_marks_the_matched_words(news):
    store, ids = news
    [hit] = search(store, "halting")
    assert f"{HIGHLIGHT_START}halting{HIGHLIGHT_END}" in hit.marked_snippet()
    assert [hit.snippet[start:end] for start, end in hit.highlights] == ["halting"]
    assert HIGHLIGHT_START not in hit.snippet  # the snippet itself is plain text
    [hit] = search(store, '"operating system"')
    # FTS5 marks the phrase as one run, ts_headline each word; adjacent runs are joined into one highlight
    assert f"{HIGHLIGHT_START}operating system{HIGHLIGHT_END}" in hit.marked_snippet()


def test_hit_fields_and_facets_from_the_analysis(news):
    store, ids = news
    [hit] = search(store, "zoom")
    assert hit.article_id == ids["zoom"]
    assert hit.title == ARTICLES["zoom"][0]
    assert hit.url == "https://example.org/news/1?utm_source=feed"
    assert hit.source_id == "news"
    assert hit.published is not None and hit.published.tzinfo is not None
    assert hit.companies == ["Zoom", "Bizconf Communications"]  # most mentioned first
    assert hit.jurisdictions == ["CN", "US"]
    assert hit.event_types == ["sales_restriction", "market_exit"]
    [plain] = search(store, "starlink")
    assert (plain.companies, plain.jurisdictions, plain.event_types) == ([], [], [])


def test_limit(news):
    store, _ = news
    assert len(search(store, "china OR india OR google", limit=2)) == 2
    with pytest.raises(QueryError, match="limit"):
        search(store, "china", limit=0)


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(zoom china)",
        "zoom :",
        "10:30",
        "zoom*",
        "^zoom",
        "zoom + china",
        "(zoom",
        "china)",
        "a'b",
        "c++ OR c#",
    ],
)
def test_backend_syntax_in_user_input_is_just_text(news, query):
    store, _ = news
    search(store, query)  # no error from the backend


@pytest.mark.parametrize("query", ['"zoom', "-zoom", "", "OR"])
def test_malformed_query_raises_before_touching_the_database(news, query):
    store, _ = news
    with pytest.raises(QueryError):
        search(store, query)


@pytest.mark.postgres
def test_both_backends_agree_on_the_top_hits(tmp_path, pg_url, make_source, make_article):
    results = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'agree.db'}"), ("postgres", pg_url)):
        with Store.open(url) as store:
            ids = fill(store, make_source, make_article)
            results[name] = {
                query: keys(search(store, query), ids)
                for query in (
                    "china",
                    "zoom",
                    "google",
                    "tiktok",
                    "india",
                    '"direct sales"',
                    "starlink OR linkedin",
                    "china -zoom",
                    "sovereignty security",
                    "regulation",
                )
            }
    for query, sqlite_keys in results["sqlite"].items():
        postgres_keys = results["postgres"][query]
        assert sqlite_keys, query
        assert set(sqlite_keys) == set(postgres_keys), query
        assert sqlite_keys[0] == postgres_keys[0], query
    for query in ("google", "india", "regulation"):
        assert results["sqlite"][query] == results["postgres"][query], query
