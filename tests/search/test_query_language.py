"""The query language's field filters, its error messages, and the Python evaluation of filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.errors import QueryError
from pipeline.search import Filter, Phrase, Query, Term, filters_match, parse, query_text, searchable_query
from pipeline.search.filters import date_bound

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_filters_are_parsed_and_normalised():
    assert parse('zoom company:"Bank of China" jurisdiction:china,US-CA type:Fine-Or-Penalty -source:wire') == Query(
        (Term("zoom"),), (),
        (Filter("company", ("Bank of China",)), Filter("jurisdiction", ("CN", "US-CA")),
         Filter("type", ("fine_or_penalty",)), Filter("source", ("wire",), negated=True)))
    assert parse('jurisdiction:"mainland China"').filters == (Filter("jurisdiction", ("CN",)),)
    assert parse("jurisdiction:eu jurisdiction:California").filters == (
        Filter("jurisdiction", ("EU",)), Filter("jurisdiction", ("US-CA",)))
    assert parse("tag:Regulator status:in-effect since:2025-06 until:7D").filters == (
        Filter("tag", ("regulator",)), Filter("status", ("in_effect",)), Filter("since", ("2025-06",)),
        Filter("until", ("7d",)))
    assert parse("Company:Zoom").filters == (Filter("company", ("Zoom",)),)  # field names in any case


def test_a_filter_only_query_is_valid_and_quoted_colons_are_words():
    assert parse("since:30d").include == ()
    assert parse("-company:zoom").filters == (Filter("company", ("zoom",), negated=True),)
    assert parse('"title:x" 10:30') == Query((Phrase("title:x"), Term("10:30")))


@pytest.mark.parametrize(("query", "problem"), [
    ("compny:Zoom", r'unknown field "compny:" at position 1; fields: company, jurisdiction, type, source, tag'),
    ("zoom Title:x", r'unknown field "Title:" at position 6'),
    ("type:bann", r'unknown event type "bann" at position 1; types: market_exit, '),
    ("status:done", r'unknown event status "done" at position 1; statuses: proposed, announced'),
    ("jurisdiction:Narnia", r'unknown jurisdiction "Narnia" at position 1'),
    ("jurisdiction:CN,,US", r'"jurisdiction:" at position 1 has no value'),
    ("zoom since:", r'"since:" at position 6 has no value; since: is published on or after'),
    ("since:2025-13", r'"since:2025-13" at position 1 is not a date; write 2025, 2025-06, 2025-06-30'),
    ("until:2025-02-30", r"is not a date"),
    ("since:7x", r"is not a date"),
    ("since:2024,2025", r"takes one date, not 2"),
    ("-since:2024", r"-since: at position 1 cannot be negated; use until:"),
    ('company:"Bank of', r'unbalanced quote: the " at position 9 \(after company:\) is never closed'),
    ("zoom OR company:x", r"OR at position 6 joins a filter \(company:\); .* write company:a,b"),
    ("company:x OR zoom", r"OR at position 11 joins a filter \(company:\)"),
    ("-zoom", r"only excludes terms"),
    ("", r"empty query"),
])
def test_malformed_queries_point_at_the_problem(query, problem):
    with pytest.raises(QueryError, match=problem) as caught:
        parse(query)
    assert str(caught.value).startswith("search: ") and "\n" not in str(caught.value)


def test_stop_words_are_not_searched_for_on_either_backend():
    assert searchable_query(parse("the zoom")) == Query((Term("zoom"),))
    assert searchable_query(parse("zoom OR the -of")) == Query((Term("zoom"),))
    assert searchable_query(parse('"bank of china"')) == Query((Phrase("bank of china"),))  # kept in phrases
    assert searchable_query(parse("the since:1y")) == Query((), (), (Filter("since", ("1y",)),))
    with pytest.raises(QueryError, match="only very common words"):
        searchable_query(parse("the of and"))


def test_query_text_writes_a_query_back():
    text = 'zoom OR "byte dance" -opinion company:"Bank of China" jurisdiction:CN,US -tag:wire since:2025-06'
    assert query_text(parse(text)) == text
    assert parse(query_text(parse(text))) == parse(text)


@pytest.mark.parametrize(("value", "field", "expected"), [
    ("2025", "since", datetime(2025, 1, 1, tzinfo=UTC)),
    ("2025", "until", datetime(2026, 1, 1, tzinfo=UTC)),
    ("2025-02", "until", datetime(2025, 3, 1, tzinfo=UTC)),
    ("2025-12", "until", datetime(2026, 1, 1, tzinfo=UTC)),
    ("2025-02-28", "until", datetime(2025, 3, 1, tzinfo=UTC)),
    ("2025-02-28", "since", datetime(2025, 2, 28, tzinfo=UTC)),
    ("7d", "since", datetime(2026, 3, 24, 12, tzinfo=UTC)),
    ("2w", "until", datetime(2026, 3, 17, 12, tzinfo=UTC)),
    ("1m", "since", datetime(2026, 2, 28, 12, tzinfo=UTC)),  # 31 March - 1 month: the last day of February
    ("1y", "since", datetime(2025, 3, 31, 12, tzinfo=UTC)),
])
def test_date_bounds(value, field, expected):
    assert date_bound(value, field, NOW) == expected


ANALYSIS = {
    "companies": [{"name": "Zoom", "mentions": 3}],
    "jurisdictions": [{"code": "US-CA", "name": "California", "mentions": 1}],
    "events": [{"type": "ban", "actor": "Government of India", "jurisdictions": ["IN"], "status": "proposed"},
               {"type": "fine_or_penalty", "actor": "FTC", "jurisdictions": ["US"], "status": "in_effect"}],
}


@pytest.mark.parametrize(("query", "expected"), [
    ("company:ZOOM", True),
    ('company:"government of india"', True),  # an event's actor
    ("company:TikTok", False),
    ("-company:zoom", False),
    ("jurisdiction:US", True),  # covers US-CA
    ("jurisdiction:IN", True),  # an event's jurisdiction
    ("jurisdiction:CN", False),
    ("type:ban status:proposed", True),
    ("type:ban status:in_effect", False),  # not one event
    ("type:ban -status:in_effect", False),
    ("source:wire tag:news", True),
    ("tag:regulator", False),
    ("since:2025-06", True),
    ("until:2025-06", True),  # the whole month
    ("until:2025-05", False),
    ("since:1y", True),
    ("since:6m", False),
])
def test_filters_in_python(query, expected):
    result = filters_match(parse(query).filters, analysis=ANALYSIS, source_id="wire", source_tags=("News",),
                           published=datetime(2025, 6, 15, tzinfo=UTC), now=NOW)
    assert result is expected
