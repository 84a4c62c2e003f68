"""The query parser and its compilers; no database needed."""

from __future__ import annotations

import pytest

from pipeline.errors import QueryError
from pipeline.search import AnyOf, Phrase, Query, Term, parse, to_fts5, to_tsquery


def test_words_are_all_required():
    assert parse("zoom  china") == Query((Term("zoom"), Term("china")))
    assert parse("zoom AND china") == parse("zoom china")


def test_phrases_and_exclusions():
    assert parse('"direct sales" -opinion -"op ed"') == Query(
        (Phrase("direct sales"),), (Term("opinion"), Phrase("op ed"))
    )
    assert parse('"  direct   sales "') == Query((Phrase("direct sales"),))


def test_or_groups_neighbouring_terms():
    assert parse('zoom tiktok OR "byte dance" OR bytedance china') == Query(
        (Term("zoom"), AnyOf((Term("tiktok"), Phrase("byte dance"), Term("bytedance"))), Term("china"))
    )
    assert parse("or") == Query((Term("or"),))  # only upper-case OR is the operator


def test_hyphen_inside_a_word_is_not_an_exclusion():
    assert parse("data-protection - china") == Query((Term("data-protection"), Term("china")))


def test_terms_without_letters_or_digits_are_ignored():
    assert parse("zoom & ++") == Query((Term("zoom"),))
    assert parse("zoom OR &") == Query((Term("zoom"),))


def test_repeated_terms_are_kept_once():
    assert parse("zoom zoom -x -x") == Query((Term("zoom"), Term("zoom")), (Term("x"),))
    assert parse("a OR a") == Query((Term("a"),))


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "empty query"),
        ("   ", "empty query"),
        ('"direct sales', "unbalanced quote"),
        ('zoom "china" "halts', "position 14"),
        ("-zoom -china", "only excludes"),
        ("OR zoom", "no term before"),
        ("zoom OR", "no term after"),
        ("zoom OR OR china", "no term before"),
        ("zoom OR -china", "followed by an exclusion"),
        ("-zoom OR china", "follows an exclusion"),
        ("&& ||", "no word to search for"),
        ('""', "no word to search for"),
    ],
)
def test_malformed_queries_name_the_problem(query, problem):
    with pytest.raises(QueryError, match=problem) as caught:
        parse(query)
    assert str(caught.value).startswith("search: ")


def test_fts5_quotes_every_term():
    compiled = to_fts5(parse('zoom NEAR(a b) "title:x" "direct sales" tiktok OR bytedance -opinion -"op ed"'))
    assert compiled == (
        '((("zoom" AND "NEAR(a" AND "b)" AND "title:x" AND "direct sales" AND ("tiktok" OR "bytedance"))'
        ' NOT "opinion") NOT "op ed")'
    )


def test_tsquery_binds_every_term():
    expression, params = to_tsquery(parse('zoom "direct sales" a OR b -c'))
    assert params == {"term_0": "zoom", "term_1": "direct sales", "term_2": "a", "term_3": "b", "term_4": "c"}
    assert expression == (
        "(phraseto_tsquery('english', :term_0) && phraseto_tsquery('english', :term_1) && "
        "(phraseto_tsquery('english', :term_2) || phraseto_tsquery('english', :term_3)) && "
        "(!! phraseto_tsquery('english', :term_4)))"
    )
