"""The query language: text -> AST, and the AST compiled for SQLite FTS5 and PostgreSQL.

One parser serves the CLI, the API, the web pages, alert rules and saved searches::

    zoom china               both words (AND)
    "direct sales"           an exact phrase (words in this order; stemmed like the text)
    tiktok OR bytedance      either term; OR binds tighter than the implicit AND
    -opinion  -"op-ed"       leave out articles with this word or phrase
    AND                      accepted between terms, same as a space
    company:Zoom             field filters (see FIELDS); a quoted value may have spaces:
    company:"Bank of China"  company:"Bank of China"
    jurisdiction:CN,HK       several values of one field: either of them
    -source:opinion-desk     a filter with a minus excludes
    since:2025-06 until:7d   dates (2025, 2025-06, 2025-06-30) or relative to now (7d, 2w, 3m, 1y)

A query of filters only is valid (it lists the matching stories, newest first). ``parse`` checks
everything that can be checked without the database: field names, event types, statuses, jurisdiction
codes and names, dates. Every error is a QueryError naming the position and the problem.

``to_fts5`` and ``to_tsquery`` compile the words and phrases; every term is passed quoted (FTS5) or as a
bound parameter (PostgreSQL), so user input cannot produce a syntax error in the backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import get_args

from pipeline.errors import QueryError

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
class Filter:
    """``field:value[,value...]``: any of ``values`` (normalised: codes upper case, types with underscores)."""

    field: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """All of ``include``, none of ``exclude``, and every filter."""

    include: tuple[Clause, ...]
    exclude: tuple[Leaf, ...] = ()
    filters: tuple[Filter, ...] = ()

    @property
    def has_text(self) -> bool:
        return bool(self.include)

    def filter_values(self, field: str, *, negated: bool = False) -> list[tuple[str, ...]]:
        return [f.values for f in self.filters if f.field == field and f.negated == negated]


FIELDS = ("company", "jurisdiction", "type", "source", "tag", "status", "since", "until")
FIELD_HELP = {
    "company": "a company named in the article or acting in one of its events (case-insensitive)",
    "jurisdiction": "an ISO code (CN, US, US-CA, EU) or a name (China, mainland China, California)",
    "type": "an event type of the analysis (ban, fine_or_penalty, market_exit, ...)",
    "source": "a source id of sources.yaml",
    "tag": "a tag of the article's source",
    "status": "an event status: proposed, announced, in_effect, reversed",
    "since": "published on or after: 2025, 2025-06, 2025-06-30, or 7d, 2w, 3m, 1y ago",
    "until": "published on or before: 2025, 2025-06, 2025-06-30, or 7d, 2w, 3m, 1y ago",
}
_DATE_FIELDS = ("since", "until")

# PostgreSQL's English stop words (tsearch_data/english.stop): never indexed there, so never searched
# for on either backend (``searchable_query``); inside a phrase they stay.
_STOP_WORDS_TEXT = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers "
    "herself it its itself they them their theirs themselves what which who whom this that these those am is "
    "are was were be been being have has had having do does did doing a an the and but if or because as until "
    "while of at by for with about against between into through during before after above below to from up "
    "down in out on off over under again further then once here there when where why how all any both each few "
    "more most other some such no nor not only own same so than too very s t can will just don should now"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


# -- parser ------------------------------------------------------------------------------------

_SEARCHABLE = re.compile(r"[^\W_]")
_FIELD = re.compile(r"([A-Za-z_]+):")
_ABSOLUTE_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_RELATIVE_DATE = re.compile(r"^(\d{1,4})([dwmy])$", re.IGNORECASE)


@dataclass
class _Token:
    leaf: Leaf | None = None  # None for OR, and for a filter
    negated: bool = False
    position: int = 0  # 0-based offset in the query
    filter: Filter | None = None

    @property
    def is_or(self) -> bool:
        return self.leaf is None and self.filter is None


def parse(query: str) -> Query:
    """The AST of ``query``; QueryError naming the problem (and where) if it is malformed."""
    tokens = _tokenize(query)
    groups: list[list[_Token]] = []
    exclude: list[Leaf] = []
    filters: list[Filter] = []
    pending_or: _Token | None = None
    previous: _Token | None = None
    for token in tokens:
        if token.is_or:
            if previous is None or previous.is_or:
                raise QueryError(f"OR at position {token.position + 1} has no term before it")
            if previous.filter is not None:
                raise QueryError(_or_filter_message(token, previous.filter.field))
            if previous.negated:
                raise QueryError(
                    f"OR at position {token.position + 1} follows an exclusion; OR joins terms to find"
                )
            pending_or = token
        elif pending_or is not None:
            if token.filter is not None:
                raise QueryError(_or_filter_message(pending_or, token.filter.field))
            if token.negated:
                raise QueryError(
                    f"OR at position {pending_or.position + 1} is followed by an exclusion; "
                    "OR joins terms to find"
                )
            groups[-1].append(token)
            pending_or = None
        elif token.filter is not None:
            filters.append(token.filter)
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
    filters = list(dict.fromkeys(filters))
    if not include and not filters:
        if exclude:
            raise QueryError(
                "the query only excludes terms (-word); add a word, a phrase or a filter such as since:30d"
            )
        if query.strip():
            raise QueryError(f"no word to search for in {query.strip()!r}")
        raise QueryError('empty query: give a word, a "phrase" or a filter such as company:Zoom')
    return Query(tuple(include), tuple(exclude), tuple(filters))


def _or_filter_message(token: _Token, field: str) -> str:
    return (f"OR at position {token.position + 1} joins a filter ({field}:); OR joins words and phrases. "
            f"For either of two values write {field}:a,b")


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
        field = _FIELD.match(query, i)
        if field is not None:
            name = field.group(1)
            i, values = _filter_values(query, field.end(), name)
            tokens.append(_Token(negated=negated, position=start, filter=_make_filter(name, values, negated, start)))
            continue
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


def _filter_values(query: str, i: int, name: str) -> tuple[int, list[str]]:
    """The values after ``name:`` and the offset after them: one quoted value (which may hold spaces and
    commas), or unquoted values separated by commas."""
    n = len(query)
    if i < n and query[i] == '"':
        end = query.find('"', i + 1)
        if end < 0:
            raise QueryError(f'unbalanced quote: the " at position {i + 1} (after {name}:) is never closed')
        return end + 1, [" ".join(query[i + 1 : end].split())]
    end = i
    while end < n and not query[end].isspace():
        end += 1
    return end, [v.strip() for v in query[i:end].split(",")]


def _make_filter(name: str, values: list[str], negated: bool, start: int) -> Filter:
    field = name.lower()
    where = f"at position {start + 1}"
    if field not in FIELDS:
        raise QueryError(f'unknown field "{name}:" {where}; fields: {", ".join(FIELDS)} '
                         '(put a word with a colon in quotes to search for it)')
    if not all(values):
        raise QueryError(f'"{name}:" {where} has no value; {field}: is {FIELD_HELP[field]}')
    if field in _DATE_FIELDS:
        if negated:
            raise QueryError(f"-{field}: {where} cannot be negated; use {'until' if field == 'since' else 'since'}:")
        if len(values) != 1:
            raise QueryError(f'"{field}:" {where} takes one date, not {len(values)}')
        check_date(values[0], field, where)
        return Filter(field, (values[0].lower(),), False)
    return Filter(field, tuple(dict.fromkeys(_normalise(field, v, where) for v in values)), negated)


def _normalise(field: str, value: str, where: str) -> str:
    if field == "jurisdiction":
        return resolve_jurisdiction(value, where)
    if field in ("type", "status"):
        from pipeline.analyze.schema import EventType, Status

        choice = re.sub(r"[\s-]+", "_", value.strip().lower())
        choices = get_args(EventType if field == "type" else Status)
        if choice not in choices:
            what = "event type" if field == "type" else "event status"
            plural = "types" if field == "type" else "statuses"
            raise QueryError(f'unknown {what} "{value}" {where}; {plural}: {", ".join(choices)}')
        return choice
    if field == "company":
        return value.strip()
    return value.strip().lower() if field == "tag" else value.strip()


def resolve_jurisdiction(value: str, where: str = "") -> str:
    """An ISO code (``CN``, ``us-ca``, ``EU``) or a place name (``China``, ``mainland China``) -> its code."""
    from pipeline.sources import valid_jurisdiction

    text = value.strip()
    if re.fullmatch(r"[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?", text) and valid_jurisdiction(text.upper()):
        return text.upper()
    from pipeline.analyze.places import default_resolver

    place = default_resolver().resolve(text)
    if place is None:
        raise QueryError(f'unknown jurisdiction "{value}"{" " + where if where else ""}; '
                         "give an ISO code (CN, US, US-CA, EU) or a country or state name")
    return place.code


def check_date(value: str, field: str, where: str) -> None:
    """QueryError unless ``value`` is an absolute date (2025, 2025-06, 2025-06-30) or relative (7d, 3m)."""
    from datetime import date

    if _RELATIVE_DATE.match(value):
        return
    found = _ABSOLUTE_DATE.match(value)
    if found:
        year, month, day = (int(part) if part else 1 for part in found.groups())
        try:
            date(year, month, day)
            return
        except ValueError:
            pass
    raise QueryError(f'"{field}:{value}" {where} is not a date; write 2025, 2025-06, 2025-06-30, '
                     "or a time ago: 7d, 2w, 3m, 1y")


def _searchable(leaf: Leaf) -> bool:
    return bool(_SEARCHABLE.search(leaf.word if isinstance(leaf, Term) else leaf.text))


def _stop_word(leaf: Leaf) -> bool:
    words = re.findall(r"[^\W_]+", (leaf.word if isinstance(leaf, Term) else leaf.text).lower())
    return all(word in STOP_WORDS for word in words)


def searchable_query(query: Query) -> Query:
    """``query`` without terms made only of stop words, which PostgreSQL does not index (so neither backend
    searches for them); QueryError when nothing is left to look for."""
    include: list[Clause] = []
    for clause in query.include:
        options = tuple(o for o in (clause.options if isinstance(clause, AnyOf) else (clause,)) if not _stop_word(o))
        if len(options) == 1:
            include.append(options[0])
        elif options:
            include.append(AnyOf(options))
    exclude = tuple(leaf for leaf in query.exclude if not _stop_word(leaf))
    if query.include and not include and not query.filters:
        raise QueryError("the query has only very common words (the, of, and ...); add a more specific word")
    return Query(tuple(include), exclude, query.filters)


def combine(*queries: Query | None) -> Query | None:
    """The query that matches what all of ``queries`` match (None when none is given)."""
    given = [q for q in queries if q is not None]
    if not given:
        return None
    return Query(tuple(c for q in given for c in q.include), tuple(leaf for q in given for leaf in q.exclude),
                 tuple(f for q in given for f in q.filters))


def query_text(query: Query) -> str:
    """The query written back in the language (normalised), e.g. for saved searches and alert explanations."""

    def leaf(node: Leaf) -> str:
        return node.word if isinstance(node, Term) else f'"{node.text}"'

    def value(text: str) -> str:
        return f'"{text}"' if re.search(r"[\s,\"]", text) else text

    parts = [" OR ".join(leaf(o) for o in c.options) if isinstance(c, AnyOf) else leaf(c) for c in query.include]
    parts += [f"-{leaf(node)}" for node in query.exclude]
    parts += [f"{'-' if f.negated else ''}{f.field}:{','.join(value(v) for v in f.values)}" for f in query.filters]
    return " ".join(parts)


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


def exclusions_fts5(query: Query) -> str:
    """An FTS5 MATCH expression for any of the excluded terms (filter-only queries leave those out)."""
    return to_fts5(Query((AnyOf(query.exclude) if len(query.exclude) > 1 else query.exclude[0],)))


def exclusions_tsquery(query: Query) -> tuple[str, dict[str, str]]:
    """A tsquery for any of the excluded terms, with its parameters (named ``excl_N``)."""
    expression, params = to_tsquery(Query((AnyOf(query.exclude) if len(query.exclude) > 1 else query.exclude[0],)))
    for name in sorted(params, key=len, reverse=True):
        expression = expression.replace(f":{name})", f":excl_{name})")
    return expression, {f"excl_{name}": value for name, value in params.items()}


def to_tsquery(query: Query) -> tuple[str, dict[str, str]]:
    """A PostgreSQL tsquery expression and its bound parameters (one phraseto_tsquery per term).

    Punctuation inside a term becomes a space, as FTS5's tokenizer splits there too: ``data-protection``
    is the phrase "data protection" on both backends.
    """
    params: dict[str, str] = {}

    def leaf(node: Leaf) -> str:
        name = f"term_{len(params)}"
        value = node.word if isinstance(node, Term) else node.text
        params[name] = " ".join(re.findall(r"[^\W_]+", value))
        return f"phraseto_tsquery('{TS_CONFIG}', :{name})"

    def clause(node: Clause) -> str:
        if isinstance(node, AnyOf):
            return "(" + " || ".join(leaf(option) for option in node.options) + ")"
        return leaf(node)

    parts = [clause(node) for node in query.include]
    parts += [f"(!! {leaf(node)})" for node in query.exclude]
    return "(" + " && ".join(parts) + ")", params
