"""run_search: a parsed query -> one SQL statement per backend -> SearchResult.

The statement ranks every matching article, keeps the best article of each story (stories are ranked by
their best copy), and returns in one round trip the page of stories, their total and the facet counts,
from CTEs computed once (``AS MATERIALIZED``). Facets count the stories among the matching articles of the
best FACET_WINDOW stories (exact up to that many). Snippets, entities and sources are then read for the
page's hits only (on SQLite the page's rows and snippets in one statement).

SQLite reads what ranking needs of each match from ``article_fts_rank`` (migration 0007, kept by triggers):
one narrow row per article id with its story key, date, ``julianday()`` of the date and whether its story has
other articles; only those (``shared``) go through grouping, and ``faceted`` rescans the matches only for
best stories with several matching copies. On SQLite the matches stream into ``scored`` (a co-routine, not a
materialized CTE) and ``stories`` is not materialized either: ``best`` keeps its top rows as it reads them and
the total is counted from ``scored``. The ``jurisdiction:`` filter reads ``article_fts_place`` (the same
codes as the entities and events hold) as one index range. The facet joins look rows up by article id
(``CROSS JOIN`` fixes that order; the jurisdiction and company facets share one pass over the entities).
PostgreSQL takes the columns ranking needs from the row it matches, and looks facet rows up by article id
(a LATERAL subquery) instead of hashing whole tables. bench/search.py measures it all against the bare full-text query.

Ranking: the backend's relevance (SQLite FTS5 BM25 with the title weighted 5x; PostgreSQL ts_rank_cd
with the title as weight A), squashed into [0, 1) as ``r / (r + k)``, blended with recency,
``1 / (1 + age in days / 365)``: ``RELEVANCE_WEIGHT * relevance + (1 - RELEVANCE_WEIGHT) * recency``.
A query of filters only is ranked by recency alone. Which stories match is decided by the same query on
both backends (terms, stems, stop words and filters), so SQLite and PostgreSQL return the same stories
for the same data; the order among them may differ where the two relevance functions disagree.

Pages: the cursor carries the score and story of the last hit and the time the first page was scored at,
so later pages continue exactly where the previous one stopped (keyset pagination).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import QueryError, StoreError
from pipeline.search.filters import ARTICLE_DATE, RANK_DATE, FilterSQL, filter_sql
from pipeline.search.query import (
    TS_CONFIG,
    Query,
    exclusions_fts5,
    exclusions_tsquery,
    parse,
    searchable_query,
    to_fts5,
    to_tsquery,
)
from pipeline.search.results import (
    FACETS,
    MARK_END,
    MARK_START,
    Cursor,
    Hit,
    SearchResult,
    decode_cursor,
    encode_cursor,
    split_marks,
)
from pipeline.store.models import Source
from pipeline.store.repo import Store
from pipeline.store.types import UTCDateTime, as_utc

log = logging.getLogger(__name__)

SNIPPET_WORDS = 24
TITLE_WEIGHT = 5.0  # relative to the text, on both backends
RELEVANCE_WEIGHT = 0.8
RECENCY_DAYS = 365.0
FACET_SIZE = 10  # values per facet, biggest first
#: Facets count the matching articles of the best FACET_WINDOW stories (each story once per value): exact
#: for results up to this size; beyond it they describe the top of the ranking (the stories a reader pages
#: through), which keeps a query for a common word about as fast as one for a rare word.
FACET_WINDOW = 1000
MAX_LIMIT = 1000
_SQUASH = {"sqlite": 4.0, "postgresql": 0.1}  # the k of r / (r + k): a typical good match scores about 0.5


@dataclass
class _Ranked:
    article_id: int
    story_key: int
    score: float


def run_search(store: Store, query: str, *, limit: int = 20, cursor: str | None = None, facets: bool = True,
               now: datetime | None = None) -> SearchResult:
    """The page of stories matching ``query``, best first, with facet counts over every matching story.

    QueryError (one line naming the problem) for a malformed query, a limit out of range or a cursor that
    is not one of this query's.
    """
    parsed = searchable_query(parse(query))
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    after = decode_cursor(query, cursor) if cursor else None
    moment = as_utc(after.now if after else (now or datetime.now(UTC)))
    dialect = store.engine.dialect.name
    if dialect not in _SQUASH:
        raise StoreError(f"search is not available on {dialect!r} (SQLite or PostgreSQL only)")
    try:
        with store.engine.connect() as conn:
            ranked, total, facet_rows = _rank(conn, dialect, parsed, moment, limit + 1, after, facets)
            more = len(ranked) > limit
            ranked = ranked[:limit]
            hits = _hits(conn, dialect, parsed, ranked)
            _add_details(conn, hits)
            _add_sources(store, conn, hits)
            facet_values = _facets(conn, facet_rows) if facets else {}
    except SQLAlchemyError as exc:
        raise StoreError(f"search failed for {query!r}: {' '.join(str(exc).split())[:500]}") from exc
    next_cursor = None
    if more and ranked:
        last = ranked[-1]
        next_cursor = encode_cursor(query, Cursor(moment, last.score, last.story_key))
    log.debug("search %r: %d of %d stories", query, len(hits), total)
    return SearchResult(query=query, hits=hits, facets=facet_values, next_cursor=next_cursor, total=total)


def search(store: Store, query: str, *, limit: int = 20) -> list[Hit]:
    """The ``limit`` best stories for ``query`` (``run_search`` without facets or pages)."""
    return run_search(store, query, limit=limit, facets=False).hits


# -- the ranking statement ---------------------------------------------------------------------


def _tagged_sources(conn: Connection, query: Query) -> dict[str, list[str]]:
    wanted = {tag for f in query.filters if f.field == "tag" for tag in f.values}
    if not wanted:
        return {}
    found: dict[str, list[str]] = {tag: [] for tag in wanted}
    for source_id, tags in conn.execute(select(Source.__table__.c.id, Source.__table__.c.tags)):
        for tag in {str(t).lower() for t in tags or ()} & wanted:
            found[tag].append(source_id)
    return found


def _matched_cte(dialect: str, query: Query, params: dict[str, Any]) -> str:
    """The CTE ``matched(id, ..., relevance)``: the articles that have the words and phrases (PostgreSQL)."""
    tsquery, terms = to_tsquery(query)
    params.update(terms)
    weights = f"{{0.1, 0.1, {1.0 / TITLE_WEIGHT}, 1.0}}"  # D, C, B (text), A (title)
    # PostgreSQL reads the whole row for search_vector anyway: it takes what ranking needs from it too, so that
    # scored reads matched alone (no second look-up of each match)
    return (f"matched AS MATERIALIZED (SELECT a.id, a.story_id, a.source_id, a.published, a.fetched_at, "
            f"CAST(ts_rank_cd('{weights}', a.search_vector, {tsquery}, 1) AS DOUBLE PRECISION) AS relevance "
            f"FROM article AS a WHERE a.search_vector @@ {tsquery})")


def _sqlite_matched(query: Query, params: dict[str, Any], where: str) -> str:
    """SQLite's matching articles that pass the filters ``where``, as ``a`` (their article_fts_rank columns and
    ``relevance``), a subquery that ``scored`` reads as it is produced.

    The matches drive, one rowid seek each into article_fts_rank; bm25() is a column of this subquery, so SQLite
    computes it once per article that passes the filters (not for every match). ``LIMIT -1`` (no limit) keeps
    SQLite from flattening it into ``scored``, which would compute bm25() once per use of the relevance in the
    score; unflattened it runs as a co-routine, so the matches are not first written to a temporary table."""
    params["match"] = to_fts5(query)
    return (f"(SELECT a.id, a.story_key, a.shared, a.jday, -bm25(article_fts, {TITLE_WEIGHT}, 1.0) AS relevance "
            "FROM article_fts CROSS JOIN article_fts_rank AS a ON a.id = article_fts.rowid "
            f"WHERE article_fts MATCH :match AND ({where}) LIMIT -1) AS a")


def _excluded(dialect: str, query: Query, params: dict[str, Any]) -> str:
    if dialect == "sqlite":
        params["excluded"] = exclusions_fts5(query)
        return "a.id NOT IN (SELECT rowid FROM article_fts WHERE article_fts MATCH :excluded)"
    tsquery, terms = exclusions_tsquery(query)
    params.update(terms)
    return f"NOT (a.search_vector @@ {tsquery})"


def _score_sql(dialect: str, query: Query, relevance: str = "m.relevance") -> str:
    if dialect == "sqlite":  # a.jday: julianday() of the article's date, computed when it was stored
        age = "MAX(0.0, julianday(:now) - a.jday)"
    else:
        age = f"GREATEST(0.0, EXTRACT(EPOCH FROM (CAST(:now AS TIMESTAMPTZ) - {ARTICLE_DATE})) / 86400.0)"
    recency = f"(1.0 / (1.0 + {age} / {RECENCY_DAYS}))"
    if not query.has_text:
        return recency
    k = _SQUASH[dialect]
    return (f"({RELEVANCE_WEIGHT} * {relevance} / ({relevance} + {k}) + {1.0 - RELEVANCE_WEIGHT} * {recency})")


def _best_copies(dialect: str) -> str:
    """The best-scored matching article of each story (ties: the lowest id), with its count of matching copies.

    SQLite groups only the articles whose story has other articles (``shared``, kept by the triggers of migration
    0007): an article alone in its story is its story's best copy, and most articles are alone."""
    if dialect == "sqlite":  # max() in an aggregate: SQLite takes the other columns from the first row with it
        return ("SELECT id, story_key, score, 1 AS copies FROM scored WHERE shared = 0 UNION ALL "
                "SELECT id, story_key, MAX(score) AS score, COUNT(*) AS copies FROM scored WHERE shared = 1 "
                "GROUP BY story_key")
    return ("SELECT DISTINCT ON (story_key) id, story_key, source_id, day, score FROM scored "
            "ORDER BY story_key, score DESC, id")


def _month_sql(dialect: str) -> str:
    return "strftime('%Y-%m', s.day)" if dialect == "sqlite" else "to_char(s.day AT TIME ZONE 'UTC', 'YYYY-MM')"


def _facet_branches(dialect: str) -> list[str]:
    # Each faceted article's rows looked up by article id (an index probe each), never a hash of a whole table:
    # SQLite keeps that order for CROSS JOIN; PostgreSQL for a LATERAL subquery it cannot flatten (OFFSET 0),
    # where it would otherwise hash every jurisdiction or company of the store for a thousand articles.
    def branch(name: str, value: str, joins: str, where: str = "") -> str:
        count = "COUNT(DISTINCT s.story_key)"  # every matching copy of a story counts, the story once
        return (f"SELECT * FROM (SELECT '{name}' AS kind, CAST(NULL AS INTEGER) AS article_id, "
                f"CAST(NULL AS INTEGER) AS story_key, CAST(NULL AS DOUBLE PRECISION) AS score, "
                f"CAST({value} AS TEXT) AS value, {count} AS n "
                f"FROM faceted AS s {joins} {where} GROUP BY {value} ORDER BY n DESC, {value} LIMIT {FACET_SIZE}) "
                f"AS facet_{name}")

    def rows_of(table: str, alias: str, column: str, where: str) -> tuple[str, str]:
        condition = f"{alias}.article_id = s.id{' AND ' + where if where else ''}"
        if dialect == "sqlite":
            return f"CROSS JOIN {table} AS {alias}", f"WHERE {condition}"
        return (f"CROSS JOIN LATERAL (SELECT {alias}.{column} FROM {table} AS {alias} WHERE {condition} OFFSET 0) "
                f"AS {alias}", "")

    def counted(name: str) -> str:  # SQLite: from entity_facets (_sqlite_ctes), both counted in one entity pass
        return (f"SELECT * FROM (SELECT '{name}' AS kind, CAST(NULL AS INTEGER) AS article_id, "
                f"CAST(NULL AS INTEGER) AS story_key, CAST(NULL AS DOUBLE PRECISION) AS score, value, n "
                f"FROM entity_facets WHERE kind = '{name}' ORDER BY n DESC, value LIMIT {FACET_SIZE}) AS facet_{name}")

    if dialect == "sqlite":
        places, companies = counted("jurisdiction"), counted("company")
    else:
        places = branch("jurisdiction", "e.code",
                        *rows_of("entity", "e", "code", "e.kind = 'jurisdiction' AND e.code IS NOT NULL"))
        companies = branch("company", "e.name", *rows_of("entity", "e", "name", "e.kind = 'company'"))
    return [
        places,
        branch("event_type", "v.type", *rows_of("event", "v", "type", "")),
        companies,
        branch("source", "s.source_id", ""),
        branch("month", _month_sql(dialect), "", "WHERE s.day IS NOT NULL"),
    ]


def _rank(conn: Connection, dialect: str, query: Query, now: datetime, fetch: int, after: Cursor | None,
          facets: bool) -> tuple[list[_Ranked], int, list[Any]]:
    params: dict[str, Any] = {"now": now, "fetch": fetch, "window": FACET_WINDOW}
    filters: FilterSQL = filter_sql(query.filters, dialect, now, _tagged_sources(conn, query),
                                    date=RANK_DATE if dialect == "sqlite" else ARTICLE_DATE)
    params.update(filters.params)
    keyset = ""
    if after is not None:
        keyset = "WHERE score < :after_score OR (score = :after_score AND story_key < :after_key)"
        params.update(after_score=after.score, after_key=after.story_key)
    where = filters.where
    # SQLite reads the few columns ranking needs from article_fts_rank (one narrow row per article, by rowid)
    article = "article_fts_rank AS a" if dialect == "sqlite" else "article AS a"
    if dialect == "sqlite" and query.has_text:  # the filters apply inside the matches' subquery
        matched, source = "", _sqlite_matched(query, params, where)
        where = "1 = 1"
    elif query.has_text:  # PostgreSQL: matched holds the columns (as ``a``)
        matched, source = f"{_matched_cte(dialect, query, params)},", "matched AS a"
    else:
        matched, source = "", article
        if query.exclude:  # filters and -words: the filters' articles without those words
            where += " AND " + _excluded(dialect, query, params)
    statement = f"WITH {matched}\n" + (_sqlite_ctes if dialect == "sqlite" else _postgresql_ctes)(query, source, where)
    # The first page is the head of ``best`` when facets sort it anyway (SQLite; same order, so the same rows)
    pages_from = "best" if dialect == "sqlite" and facets and after is None and fetch <= FACET_WINDOW else "stories"
    statement += f"""
        SELECT * FROM (SELECT 'hit' AS kind, id AS article_id, story_key, score, CAST(NULL AS TEXT) AS value,
                              0 AS n
                       FROM {pages_from} {keyset} ORDER BY score DESC, story_key DESC LIMIT :fetch) AS page
        UNION ALL
        SELECT 'total', NULL, NULL, NULL, NULL, {_SQLITE_TOTAL if dialect == "sqlite" else "COUNT(*) FROM stories"}
    """
    if facets:
        statement += "".join(f"\nUNION ALL\n{branch}" for branch in _facet_branches(dialect))
    bound = text(statement).bindparams(
        bindparam("now", type_=UTCDateTime()),
        *(bindparam(name, type_=UTCDateTime()) for name in filters.date_params),
    )
    rows = conn.execute(bound, params).all()
    ranked = [_Ranked(int(r.article_id), int(r.story_key), float(r.score)) for r in rows if r.kind == "hit"]
    total = next(int(r.n) for r in rows if r.kind == "total")
    return ranked, total, [r for r in rows if r.kind not in ("hit", "total")]


def _sqlite_ctes(query: Query, source: str, where: str) -> str:
    """scored (narrow: no dates or sources), stories, best, faceted (dates and sources of those only) and
    entity_facets (the jurisdiction and company counts, read by their facet branches).

    ``faceted`` takes a best story's only matching copy from ``best`` and scans ``scored`` only for the stories
    with several matching copies."""
    return f"""
        scored AS MATERIALIZED (
            SELECT a.id, a.story_key, a.shared, {_score_sql("sqlite", query, "a.relevance")} AS score
            FROM {source}
            WHERE {where}
        ),
        stories AS NOT MATERIALIZED ({_best_copies("sqlite")}),
        best AS MATERIALIZED (
            SELECT id, story_key, score, copies FROM stories ORDER BY score DESC, story_key DESC LIMIT :window
        ),
        faceted AS MATERIALIZED (
            SELECT f.id, f.story_key, r.source_id, r.day
            FROM (SELECT id, story_key FROM best WHERE copies = 1
                  UNION ALL
                  SELECT id, story_key FROM scored
                  WHERE shared = 1 AND story_key IN (SELECT story_key FROM best WHERE copies > 1)) AS f
            CROSS JOIN article_fts_rank AS r WHERE r.id = f.id
        ),
        entity_facets AS MATERIALIZED (
            SELECT e.kind, CAST(CASE e.kind WHEN 'jurisdiction' THEN e.code ELSE e.name END AS TEXT) AS value,
                   COUNT(DISTINCT s.story_key) AS n
            FROM faceted AS s CROSS JOIN entity AS e
            WHERE e.article_id = s.id AND (e.kind = 'company' OR (e.kind = 'jurisdiction' AND e.code IS NOT NULL))
            GROUP BY e.kind, value
        )
    """


#: The count of ``stories`` on SQLite, from ``scored`` (an article alone in its story is a story; the others count
#: once per story), so that ``stories`` need not be materialized: ``best`` keeps its top rows as it reads them.
_SQLITE_TOTAL = ("(SELECT COUNT(*) FROM scored WHERE shared = 0) "
                 "+ (SELECT COUNT(DISTINCT story_key) FROM scored WHERE shared = 1)")


def _postgresql_ctes(query: Query, source: str, where: str) -> str:
    return f"""
        scored AS MATERIALIZED (
            SELECT a.id, COALESCE(a.story_id, -a.id) AS story_key, a.source_id, {ARTICLE_DATE} AS day,
                   {_score_sql("postgresql", query, "a.relevance")} AS score
            FROM {source}
            WHERE {where}
        ),
        stories AS MATERIALIZED ({_best_copies("postgresql")}),
        best AS MATERIALIZED (
            SELECT story_key FROM stories ORDER BY score DESC, story_key DESC LIMIT :window
        ),
        faceted AS MATERIALIZED (
            SELECT id, story_key, source_id, day FROM scored WHERE story_key IN (SELECT story_key FROM best)
        )
    """


# -- the page's hits ---------------------------------------------------------------------------


def _hits(conn: Connection, dialect: str, query: Query, ranked: list[_Ranked]) -> list[Hit]:
    if not ranked:
        return []
    ids = [r.article_id for r in ranked]
    if dialect == "sqlite" and query.has_text:  # the rows and their snippets in one statement
        found = conn.execute(_SQLITE_PAGE, {"match": to_fts5(query), "ids": ids, "start": MARK_START,
                                            "end": MARK_END}).all()
        rows = {row.id: row for row in found}
        snippets = {row.id: (row.snippet or "").replace(_LT, "<").replace(_GT, ">") for row in found}
        missing = [i for i in ids if i not in rows]  # changed since it was ranked: no snippet then
        if missing:
            rows.update((row.id, row) for row in conn.execute(_ARTICLES, {"ids": missing}))
    else:
        rows = {row.id: row for row in conn.execute(_ARTICLES, {"ids": ids})}
        snippets = _snippets(conn, dialect, query, ids) if query.has_text else {}
    hits = []
    for entry in ranked:
        row = rows[entry.article_id]
        marked = snippets.get(entry.article_id)
        if marked is None:
            snippet, highlights = _opening(conn, row), []
        else:
            snippet, highlights = split_marks(marked)
        hits.append(Hit(article_id=row.id, title=row.title, url=row.url, source_id=row.source_id,
                        published=row.published, snippet=snippet, score=entry.score, story_id=row.story_id,
                        highlights=highlights))
    return hits


_ARTICLES = text(
    "SELECT id, title, url, source_id, published, story_id, summary FROM article WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True)).columns(published=UTCDateTime())
_SQLITE_PAGE = text(
    "SELECT a.id, a.title, a.url, a.source_id, a.published, a.story_id, a.summary, "
    f"snippet(article_fts, 1, :start, :end, '…', {SNIPPET_WORDS}) AS snippet "
    "FROM article_fts CROSS JOIN article AS a "
    "WHERE article_fts MATCH :match AND article_fts.rowid IN :ids AND a.id = article_fts.rowid"
).bindparams(bindparam("ids", expanding=True)).columns(published=UTCDateTime())


def _snippets(conn: Connection, dialect: str, query: Query, ids: list[int]) -> dict[int, str]:
    """Text snippets with the matched words between MARK_START and MARK_END (stray marks removed first)."""
    if dialect == "sqlite":
        statement = text(
            f"SELECT rowid AS id, snippet(article_fts, 1, :start, :end, '…', {SNIPPET_WORDS}) AS snippet "
            "FROM article_fts WHERE article_fts MATCH :match AND rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params: dict[str, Any] = {"match": to_fts5(query), "ids": ids}
    else:
        tsquery, terms = to_tsquery(query)
        statement = text(
            # ts_headline reads HTML tags in the text as markup and drops them: hide < and > from it
            f"SELECT a.id, ts_headline('{TS_CONFIG}', replace(replace(replace(replace(a.text, :start, ''), :end, ''), "
            f"'<', :lt), '>', :gt), {tsquery}, :options) AS snippet FROM article AS a WHERE a.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params = {**terms, "ids": ids, "options": (
            f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords={SNIPPET_WORDS}, '
            f"MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"), "lt": _LT, "gt": _GT}
    params.update(start=MARK_START, end=MARK_END)
    found = {}
    for row in conn.execute(statement, params):
        found[row.id] = (row.snippet or "").replace(_LT, "<").replace(_GT, ">")
    return found


_LT, _GT = "\ue002", "\ue003"  # stand-ins for < and > while PostgreSQL makes a snippet


_OPENING_WORDS = 40


def _opening(conn: Connection, row: Any) -> str:
    """The snippet of a hit without matched words: the analysis summary, else the text's first words."""
    if row.summary:
        return _plain(row.summary)
    body = conn.execute(text("SELECT text FROM article WHERE id = :id"), {"id": row.id}).scalar() or ""
    words = _plain(body).split()
    if row.title and words[: len(row.title.split())] == row.title.split():
        words = words[len(row.title.split()):]
    return " ".join(words[:_OPENING_WORDS]) + (" …" if len(words) > _OPENING_WORDS else "")


def _plain(value: str) -> str:
    return " ".join(re.sub(f"[{MARK_START}{MARK_END}]", "", value).split())


def _add_details(conn: Connection, hits: list[Hit]) -> None:
    """Companies (most mentioned first), jurisdiction codes and event types of each hit's article."""
    if not hits:
        return
    ids = [hit.article_id for hit in hits]
    by_id = {hit.article_id: hit for hit in hits}
    # By article id only (an index lookup each), entities and events in one statement; kinds are picked and
    # ordered here, not by the database
    found = conn.execute(_DETAILS, {"ids": ids}).all()
    rows = sorted((row for row in found if row.origin == "entity"), key=lambda row: (-(row.mentions or 0), row.id))
    for row in rows:
        hit = by_id[row.article_id]
        if row.kind == "company":
            _append_new(hit.companies, row.name)
        elif row.kind == "jurisdiction":
            _append_new(hit.jurisdictions, row.code or row.name)
    for row in sorted((row for row in found if row.origin == "event"), key=lambda row: row.id):
        _append_new(by_id[row.article_id].event_types, row.name)


_DETAILS = text(
    "SELECT 'entity' AS origin, article_id, kind, name, code, mentions, id FROM entity WHERE article_id IN :ids "
    "UNION ALL SELECT 'event', article_id, NULL, type, NULL, NULL, id FROM event WHERE article_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def _append_new(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _add_sources(store: Store, conn: Connection, hits: list[Hit]) -> None:
    sources = store.story_sources(conn, [hit.story_id for hit in hits if hit.story_id is not None])
    for hit in hits:
        found = sources.get(hit.story_id, []) if hit.story_id is not None else []
        hit.sources = [hit.source_id] + [s for s in found if s != hit.source_id]
        hit.source_count = len(hit.sources)


# -- facets ------------------------------------------------------------------------------------


def _facets(conn: Connection, rows: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    from pipeline.analyze.places import jurisdiction_name

    result: dict[str, list[dict[str, Any]]] = {name: [] for name in FACETS}
    source_ids = [row.value for row in rows if row.kind == "source"]
    names: dict[str, str] = {}
    if source_ids:
        table = Source.__table__.c
        names = {row.id: row.name for row in conn.execute(select(table.id, table.name).where(table.id.in_(source_ids)))}
    for row in rows:
        value = str(row.value)
        if row.kind == "jurisdiction":
            label = jurisdiction_name(value)
        elif row.kind == "event_type":
            label = value.replace("_", " ")
        elif row.kind == "source":
            label = names.get(value) or value
        elif row.kind == "month":
            label = datetime.strptime(value, "%Y-%m").strftime("%B %Y")
        else:
            label = value
        result[row.kind].append({"value": value, "label": label, "count": int(row.n)})
    for entries in result.values():
        entries.sort(key=lambda entry: (-entry["count"], entry["value"]))
    return result
