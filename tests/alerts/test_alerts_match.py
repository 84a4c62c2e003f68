"""Matching semantics: AND across fields, OR inside a list; the query language evaluated on the text."""

from __future__ import annotations

import pytest

from pipeline.alerts.config import Match
from pipeline.alerts.match import ArticleView, TextIndex, changes, facts, match_article, merge_facts
from pipeline.search import parse

ZOOM = {
    "companies": [{"name": "Zoom", "mentions": 9}, {"name": "Bizconf Communications", "mentions": 1}],
    "jurisdictions": [{"code": "CN", "name": "China", "mentions": 16}, {"code": "US", "name": "United States"}],
    "events": [
        {"type": "sales_restriction", "actor": "Zoom", "jurisdictions": ["CN"], "effective_date": "2021-08-23",
         "status": "announced", "confidence": 0.87, "evidence": "Zoom will stop selling directly in China."},
        {"type": "investigation", "actor": "US Department of Justice", "jurisdictions": ["US"],
         "status": "announced", "confidence": 0.4, "evidence": "The DOJ is looking into it."},
    ],
}
TEXT = "Zoom halts direct sales in mainland China and moves to a partner-only model from 23 August."


def view(analysis=ZOOM, source="news", tags=("tech",), text=TEXT, title="Zoom stops direct sales in China"):
    return ArticleView(title=title, text=text, source_id=source, source_tags=tags, analysis=analysis)


def check(query: str | None = None, **criteria):
    return match_article(Match(**criteria), parse(query) if query else None, view())


def test_and_across_fields_or_within_a_list():
    result = check(jurisdictions=["CN", "JP"], event_types=["market_exit", "sales_restriction"])
    assert result.matched == {"event_types": ["sales_restriction"], "jurisdictions": ["CN"]}
    assert result.event["type"] == "sales_restriction"
    assert check(jurisdictions=["JP"], event_types=["sales_restriction"]) is None  # AND: no JP
    assert check(jurisdictions=["CN"], event_types=["ban"]) is None  # AND: no ban
    assert check(companies=["bizconf communications"]).matched == {"companies": ["Bizconf Communications"]}
    assert check(companies=["Tencent"]) is None
    assert check(sources=["wire", "news"]).matched == {"sources": ["news"]}
    assert check(sources=["wire"]) is None
    assert check(tags=["TECH", "x"]).matched == {"tags": ["tech"]}
    assert check(tags=["wire"]) is None


def test_confidence_applies_to_the_events_of_the_wanted_types():
    assert check(min_confidence=0.8).event["type"] == "sales_restriction"
    assert check(event_types=["investigation"], min_confidence=0.5) is None  # 0.4
    assert check(event_types=["investigation"], min_confidence=0.3).matched["min_confidence"] == ["0.40"]
    assert check(min_confidence=0.95) is None


def test_jurisdiction_prefix_and_event_jurisdictions():
    analysis = {"jurisdictions": [], "events": [{"type": "ban", "jurisdictions": ["US-CA"], "confidence": 0.9}]}
    result = match_article(Match(jurisdictions=["US"]), None, view(analysis))
    assert result.matched == {"jurisdictions": ["US"]}
    assert match_article(Match(jurisdictions=["US-NY"]), None, view(analysis)) is None


def test_events_in_a_wanted_jurisdiction_come_first():
    result = check(jurisdictions=["US"])
    assert [e["type"] for e in result.events] == ["investigation", "sales_restriction"]


@pytest.mark.parametrize(("query", "expected"), [
    ("zoom china", True),
    ('"direct sales"', True),
    ('"sales direct"', False),
    ("halted", True),  # endings ignored: halts ~ halted
    ("partner-only", True),
    ("tiktok OR zoom", True),
    ("tiktok OR bytedance", False),
    ("zoom -china", False),
    ('zoom -"direct sales"', False),
    ("ZOOM Mainland", True),
    ("stops", True),  # the title counts
])
def test_query_is_evaluated_on_title_and_text(query, expected):
    assert (check(query) is not None) is expected


def test_query_and_fields_combine():
    assert check("zoom", jurisdictions=["CN"]).matched == {"jurisdictions": ["CN"], "query": ["zoom"]}
    assert check("tiktok", jurisdictions=["CN"]) is None


def test_text_index_phrases_and_stems():
    index = TextIndex("The regulators restricted the company's services, restricting exports.")
    assert index.matches(parse('"company services"'))
    assert index.matches(parse("regulator restrict export"))
    assert not index.matches(parse('"services company"'))


def test_facts_and_what_changed():
    before = facts(check(jurisdictions=["CN"], event_types=["sales_restriction"]))
    assert before == {"event_types": ["sales_restriction"], "jurisdictions": ["CN"],
                      "effective_dates": ["2021-08-23"], "statuses": ["sales_restriction:announced"]}
    assert changes(before, before) == {}
    after = {"event_types": ["sales_restriction"], "jurisdictions": ["CN", "HK"],
             "effective_dates": ["2021-09-01"], "statuses": ["sales_restriction:in_effect"]}
    assert changes(before, after) == {
        "jurisdictions": ["HK"], "effective_dates": ["2021-09-01"],
        "status": [{"event_type": "sales_restriction", "from": "announced", "to": "in_effect"}],
    }
    merged = merge_facts(before, after)
    assert merged["statuses"] == ["sales_restriction:in_effect"]
    assert changes(merged, before) == {}  # a stale copy still saying "announced": no news
    assert changes(merged, {"statuses": ["sales_restriction:reversed"]})["status"][0]["to"] == "reversed"
    assert changes(merged, {"event_types": ["sales_restriction"], "jurisdictions": ["CN"]}) == {}  # less: no news
