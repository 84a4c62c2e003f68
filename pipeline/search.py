"""Full-text search over stored articles: query text -> AST -> backend query -> ranked hits.

Query syntax of this first version::

    zoom china             both words (AND)
    "direct sales"         an exact phrase (words in this order; stemmed like the text)
    tiktok OR bytedance    either term; OR binds tighter than the implicit AND
    -opinion  -"op-ed"     leave out articles with this word or phrase
    AND                    accepted between terms, same as a space

``parse`` turns the text into a small AST (``Term``, ``Phrase``, ``AnyOf``,
``Query``); ``to_fts5`` and ``to_tsquery`` compile it for SQLite FTS5 and
PostgreSQL. Every term is passed quoted (FTS5) or as a bound parameter
(PostgreSQL), so user input cannot produce a syntax error in the backend.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, cast, literal, null, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import QueryError, StoreError
from pipeline.store.models import Entity, Event
from pipeline.store.repo import Store
from pipeline.store.types import UTCDateTime

log = logging.getLogger(__name__)

HIGHLIGHT_START = "["
HIGHLIGHT_END = "]"
SNIPPET_WORDS = 24
TITLE_WEIGHT = 5.0  # relative to the text, on both backends
TS_CONFIG = "english"


# -- AST ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str


@dataclass(frozen=True)
class Phrase:
    text: str


Leaf = Term | Phrase


@dataclass(frozen=True)
class AnyOf:
    """Terms joined by OR."""

    options: tuple[Leaf, ...]


Clause = Leaf | AnyOf


@dataclass(frozen=True)
class Query:
    """All of ``include``, none of ``exclude``."""

    include: tuple[Clause, ...]
    exclude: tuple[Leaf, ...] = ()


# -- parser ------------------------------------------------------------------------------------

_OR = object()
_SEARCHABLE = re.compile(r"[^\W_]")


@dataclass
class _Token:
    leaf: Leaf | None  # None for the OR operator
    negated: bool = False
    position: int = 0


def parse(query: str) -> Query:
    """The AST of ``query``; QueryError naming the problem if it is malformed."""
    tokens = _tokenize(query)
    groups: list[list[_Token]] = []
    exclude: list[Leaf] = []
    pending_or: _Token | None = None
    previous: _Token | None = None
    for token in tokens:
        if token.leaf is None:
            if previous is None or previous.leaf is None:
                raise QueryError(f"OR at position {token.position + 1} has no term before it")
            if previous.negated:
                raise QueryError(
                    f"OR at position {token.position + 1} follows an exclusion; OR joins terms to find"
                )
            pending_or = token
        elif pending_or is not None:
            if token.negated:
                raise QueryError(
                    f"OR at position {pending_or.position + 1} is followed by an exclusion; "
                    "OR joins terms to find"
                )
            groups[-1].append(token)
            pending_or = None
        elif token.negated:
            exclude.append(token.leaf)
        else:
            groups.append([token])
        previous = token
    if pending_or is not None:
        raise QueryError(f"OR at position {pending_or.position + 1} has no term after it")

    include: list[Clause] = []
    for group in groups:
        leaves = tuple(dict.fromkeys(t.leaf for t in group if t.leaf is not None and _searchable(t.leaf)))
        if len(leaves) == 1:
            include.append(leaves[0])
        elif leaves:
            include.append(AnyOf(leaves))
    exclude = [leaf for leaf in dict.fromkeys(exclude) if _searchable(leaf)]
    if not include:
        if exclude:
            raise QueryError("the query only excludes terms (-word); add a word or phrase to search for")
        if query.strip():
            raise QueryError(f"no word to search for in {query.strip()!r}")
        raise QueryError('empty query: give a word or a "phrase" to search for')
    return Query(tuple(include), tuple(exclude))


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        start = i
        negated = query[i] == "-" and i + 1 < n and not query[i + 1].isspace()
        if negated:
            i += 1
        if query[i] == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(f'unbalanced quote: the " at position {i + 1} is never closed')
            tokens.append(_Token(Phrase(" ".join(query[i + 1 : end].split())), negated, start))
            i = end + 1
            continue
        end = i
        while end < n and not query[end].isspace() and query[end] != '"':
            end += 1
        word = query[i:end]
        i = end
        if word == "OR" and not negated:
            tokens.append(_Token(None, False, start))
        elif word == "AND" and not negated:
            continue
        else:
            tokens.append(_Token(Term(word), negated, start))
    return tokens


def _searchable(leaf: Leaf) -> bool:
    return bool(_SEARCHABLE.search(leaf.word if isinstance(leaf, Term) else leaf.text))


# -- compilers ---------------------------------------------------------------------------------


def to_fts5(query: Query) -> str:
    """An FTS5 MATCH expression; every term is a quoted string, so nothing in it is syntax."""

    def leaf(node: Leaf) -> str:
        value = node.word if isinstance(node, Term) else node.text
        return '"' + value.replace('"', '""') + '"'

    def clause(node: Clause) -> str:
        if isinstance(node, AnyOf):
            return "(" + " OR ".join(leaf(option) for option in node.options) + ")"
        return leaf(node)

    expression = "(" + " AND ".join(clause(node) for node in query.include) + ")"
    for node in query.exclude:
        expression = f"({expression} NOT {leaf(node)})"
    return expression


def to_tsquery(query: Query) -> tuple[str, dict[str, str]]:
    """A PostgreSQL tsquery expression and its bound parameters (one phraseto_tsquery per term)."""
    params: dict[str, str] = {}

    def leaf(node: Leaf) -> str:
        name = f"term_{len(params)}"
        params[name] = node.word if isinstance(node, Term) else node.text
        return f"phraseto_tsquery('{TS_CONFIG}', :{name})"

    def clause(node: Clause) -> str:
        if isinstance(node, AnyOf):
            return "(" + " || ".join(leaf(option) for option in node.options) + ")"
        return leaf(node)

    parts = [clause(node) for node in query.include]
    parts += [f"(!! {leaf(node)})" for node in query.exclude]
    return "(" + " && ".join(parts) + ")", params


# -- search ------------------------------------------------------------------------------------


@dataclass
class Hit:
    article_id: int
    title: str | None
    url: str
    source_id: str
    published: datetime | None
    snippet: str  # matched terms between HIGHLIGHT_START and HIGHLIGHT_END
    score: float  # higher is better; comparable within one result list only
    companies: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)  # codes
    event_types: list[str] = field(default_factory=list)
    story_id: int | None = None  # the story this article is the best-ranked copy of
    sources: list[str] = field(default_factory=list)  # every source that carried the story, this hit's first
    source_count: int = 1


#: Articles ranked per story wanted: copies of one story are folded into one hit after ranking.
OVERFETCH = 3


def search(store: Store, query: str, *, limit: int = 20) -> list[Hit]:
    """The ``limit`` best stories for ``query``, best first: for each, its best-ranked article with its facets,
    and the sources that carried the story (copies and near-duplicates are one hit, not several)."""
    parsed = parse(query)
    if limit < 1:
        raise QueryError(f"limit must be at least 1, not {limit}")
    backend = _BACKENDS.get(store.engine.dialect.name)
    if backend is None:
        raise StoreError(
            f"search is not available on {store.engine.dialect.name!r} (SQLite or PostgreSQL only)"
        )
    try:
        with store.engine.connect() as conn:
            hits = _one_per_story(conn, backend, parsed, limit)
            _add_facets(conn, hits)
            _add_sources(store, conn, hits)
    except SQLAlchemyError as exc:
        raise StoreError(f"search failed for {query!r}: {' '.join(str(exc).split())}") from exc
    log.debug("search %r: %d hits", query, len(hits))
    return hits


def _one_per_story(
    conn: Connection, backend: Callable[[Connection, Query, int], list[Hit]], query: Query, limit: int
) -> list[Hit]:
    """The best hit of each of the ``limit`` best stories: ranks a few articles per story wanted, more
    when copies crowd the top."""
    fetch = limit * OVERFETCH
    while True:
        ranked = backend(conn, query, fetch)
        best: dict[object, Hit] = {}
        for hit in ranked:  # best first: the first hit of a story is its best copy
            best.setdefault(hit.story_id if hit.story_id is not None else ("article", hit.article_id), hit)
            if len(best) == limit:
                return list(best.values())
        if len(ranked) < fetch:
            return list(best.values())
        fetch *= 4


def _add_sources(store: Store, conn: Connection, hits: list[Hit]) -> None:
    sources = store.story_sources(conn, [hit.story_id for hit in hits if hit.story_id is not None])
    for hit in hits:
        found = sources.get(hit.story_id, []) if hit.story_id is not None else []
        hit.sources = [hit.source_id] + [s for s in found if s != hit.source_id]
        hit.source_count = len(hit.sources)


_RESULT_COLUMNS = {
    "article_id": Integer(), "published": UTCDateTime(), "source_id": String(), "story_id": Integer(),
}


def _search_sqlite(conn: Connection, query: Query, limit: int) -> list[Hit]:
    # Rank first, then make snippets for the best rows only: the CROSS JOIN keeps that order and
    # lets FTS5 look each of them up by rowid (3x faster than one flat query for common words).
    statement = text(
        f"""
        WITH best AS MATERIALIZED (
            SELECT rowid AS id, -bm25(article_fts, {TITLE_WEIGHT}, 1.0) AS score
            FROM article_fts
            WHERE article_fts MATCH :match
            ORDER BY score DESC, rowid DESC
            LIMIT :limit
        )
        SELECT a.id AS article_id, a.title, a.url, a.source_id, a.published, a.story_id,
               snippet(article_fts, 1, :start, :end, '…', {SNIPPET_WORDS}) AS snippet, best.score
        FROM best
        CROSS JOIN article_fts ON article_fts.rowid = best.id
        JOIN article AS a ON a.id = best.id
        WHERE article_fts MATCH :match
        ORDER BY best.score DESC, best.id DESC
        """
    ).columns(**_RESULT_COLUMNS)
    rows = conn.execute(
        statement, {"match": to_fts5(query), "start": HIGHLIGHT_START, "end": HIGHLIGHT_END, "limit": limit}
    )
    return [_hit(row) for row in rows.mappings()]


def _search_postgres(conn: Connection, query: Query, limit: int) -> list[Hit]:
    tsquery, params = to_tsquery(query)
    weights = f"{{0.1, 0.1, {1.0 / TITLE_WEIGHT}, 1.0}}"  # D, C, B (text), A (title)
    statement = text(
        f"""
        WITH q AS (SELECT {tsquery} AS query),
        best AS (
            SELECT a.id, ts_rank_cd('{weights}', a.search_vector, q.query, 1) AS score
            FROM article AS a, q
            WHERE a.search_vector @@ q.query
            ORDER BY score DESC, a.id DESC
            LIMIT :limit
        )
        SELECT a.id AS article_id, a.title, a.url, a.source_id, a.published, a.story_id,
               ts_headline('{TS_CONFIG}', a.text, q.query, :headline) AS snippet, best.score
        FROM best JOIN article AS a ON a.id = best.id CROSS JOIN q
        ORDER BY best.score DESC, a.id DESC
        """
    ).columns(**_RESULT_COLUMNS)
    headline = (
        f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_END}", '
        f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
    )
    rows = conn.execute(statement, {**params, "limit": limit, "headline": headline})
    return [_hit(row) for row in rows.mappings()]


_BACKENDS: dict[str, Callable[[Connection, Query, int], list[Hit]]] = {
    "sqlite": _search_sqlite,
    "postgresql": _search_postgres,
}


def _hit(row: Any) -> Hit:
    return Hit(
        article_id=row["article_id"],
        title=row["title"],
        url=row["url"],
        source_id=row["source_id"],
        published=row["published"],
        snippet=row["snippet"] or "",
        score=float(row["score"]),
        story_id=row["story_id"],
    )


def _add_facets(conn: Connection, hits: list[Hit]) -> None:
    """Companies, jurisdiction codes and event types of all hits, in one query."""
    if not hits:
        return
    ids = [hit.article_id for hit in hits]
    entity, event = Entity.__table__.c, Event.__table__.c
    entities = select(
        entity.article_id, entity.kind, entity.name, entity.code, entity.mentions, entity.id.label("row_id")
    ).where(entity.article_id.in_(ids), entity.kind.in_(("company", "jurisdiction")))
    events = select(
        event.article_id,
        literal("event", String).label("kind"),
        event.type.label("name"),
        cast(null(), String).label("code"),
        cast(null(), Integer).label("mentions"),
        event.id.label("row_id"),
    ).where(event.article_id.in_(ids))
    rows = conn.execute(union_all(entities, events)).mappings().all()

    def order(row: Any) -> tuple[int, int]:
        return (-(row["mentions"] or 0), row["row_id"])

    by_id = {hit.article_id: hit for hit in hits}
    for row in sorted(rows, key=order):
        hit = by_id[row["article_id"]]
        if row["kind"] == "company":
            _append_new(hit.companies, row["name"])
        elif row["kind"] == "jurisdiction":
            _append_new(hit.jurisdictions, row["code"] or row["name"])
        else:
            _append_new(hit.event_types, row["name"])


def _append_new(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)
