"""Search over stored articles: the query language, ranked hits with facets, saved searches.

- ``query``: text -> AST (words, phrases, OR, exclusions, field filters) and the backend compilers;
- ``filters``: field filters as SQL, and evaluated in Python for alert rules;
- ``engine``: ``run_search`` (SQLite FTS5 or PostgreSQL) -> ``SearchResult``;
- ``results``: hits, facets, cursors and their JSON (the body of ``/api/search``);
- ``saved``: named queries for alerts, digests and feeds.
"""

from pipeline.search.engine import FACET_SIZE, SNIPPET_WORDS, TITLE_WEIGHT, run_search, search
from pipeline.search.filters import filters_match
from pipeline.search.query import (
    FIELDS,
    TS_CONFIG,
    AnyOf,
    Clause,
    Filter,
    Leaf,
    Phrase,
    Query,
    Term,
    combine,
    parse,
    query_text,
    searchable_query,
    to_fts5,
    to_tsquery,
)
from pipeline.search.results import FACETS, HIGHLIGHT_END, HIGHLIGHT_START, Hit, SearchResult

__all__ = [
    "FACETS", "FACET_SIZE", "FIELDS", "HIGHLIGHT_END", "HIGHLIGHT_START", "SNIPPET_WORDS", "TITLE_WEIGHT",
    "TS_CONFIG", "AnyOf", "Clause", "Filter", "Hit", "Leaf", "Phrase", "Query", "SearchResult", "Term",
    "combine", "filters_match", "parse", "query_text", "run_search", "search", "searchable_query", "to_fts5",
    "to_tsquery",
]
