"""Does an analysed article match a rule (or a digest's filter)? Pure functions, no database.

Semantics: the fields a rule gives are combined with AND, the values inside one field with OR.

- ``companies``: a company the analysis names, or an event's actor (case-insensitive, whole name);
- ``jurisdictions``: a jurisdiction of the article or of one of its events (ISO codes; a rule's ``US``
  also matches ``US-CA``);
- ``event_types``: an event of one of these types;
- ``min_confidence``: an event (of the rule's types, when it names some) at least this confident;
- ``sources``: the article's source id; ``tags``: a tag of the article's source;
- ``query``: the search query language of ``regwatch search`` evaluated on the title and text here, in
  Python, so that a rule matches the same articles on SQLite and PostgreSQL: words and phrases match
  case-insensitively, with common English endings ignored (``restrict`` matches ``restricts``,
  ``restricted``, ``restricting``), OR between terms, ``-word`` excludes; its field filters
  (``company:``, ``jurisdiction:``, ``since:`` ...) as ``pipeline.search.filters.filters_match`` says.

The events that satisfy the event criteria are the rule's *matched events*; their facts (types,
jurisdictions, effective dates, statuses) decide when a later article of the story is an update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.alerts.config import Match
from pipeline.search import AnyOf, Phrase, Query, Term, filters_match, query_text

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SUFFIXES = ("ings", "ing", "edly", "ed", "ies", "es", "s")


@dataclass(frozen=True)
class ArticleView:
    """The parts of a stored article that rules look at."""

    title: str | None
    text: str
    source_id: str
    source_tags: tuple[str, ...] = ()
    analysis: dict[str, Any] | None = None
    published: datetime | None = None  # for the since:/until: filters of a query


@dataclass
class MatchResult:
    matched: dict[str, list[str]]  # field -> the values that matched ("query": [the query])
    events: list[dict[str, Any]] = field(default_factory=list)  # the matched events, best first

    @property
    def event(self) -> dict[str, Any] | None:
        return self.events[0] if self.events else None


def stem(word: str) -> str:
    """A deliberately small English stemmer: lower case, a common ending dropped."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if suffix == "ies":
                word += "y"
            break
    if len(word) > 3 and word[-1] == "e":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text or "")]


class TextIndex:
    """The stemmed words of one text, for evaluating a parsed query."""

    def __init__(self, text: str) -> None:
        self.tokens = words(text)
        self.vocabulary = set(self.tokens)
        self._joined = " " + " ".join(self.tokens) + " "

    def has(self, leaf: Term | Phrase) -> bool:
        wanted = words(leaf.word if isinstance(leaf, Term) else leaf.text)
        if not wanted:
            return False
        if len(wanted) == 1:
            return wanted[0] in self.vocabulary
        return (" " + " ".join(wanted) + " ") in self._joined

    def matches(self, query: Query) -> bool:
        for clause in query.include:
            options = clause.options if isinstance(clause, AnyOf) else (clause,)
            if not any(self.has(option) for option in options):
                return False
        return not any(self.has(leaf) for leaf in query.exclude)


def _names(values: list[Any], key: str) -> list[str]:
    return [str(v[key]) for v in values if isinstance(v, dict) and v.get(key)]


def _covers(wanted: str, code: str) -> bool:
    return code == wanted or code.startswith(wanted + "-")


def match_article(criteria: Match, query: Query | None, article: ArticleView) -> MatchResult | None:
    """The match of ``article`` against ``criteria`` (and ``query``), or None."""
    analysis = article.analysis or {}
    events = [e for e in analysis.get("events") or [] if isinstance(e, dict) and e.get("type")]
    matched: dict[str, list[str]] = {}

    if criteria.sources:
        if article.source_id not in criteria.sources:
            return None
        matched["sources"] = [article.source_id]
    if criteria.tags:
        tags = sorted({t.lower() for t in criteria.tags} & {t.lower() for t in article.source_tags})
        if not tags:
            return None
        matched["tags"] = tags
    if criteria.companies:
        named = _names(analysis.get("companies") or [], "name") + [str(e["actor"]) for e in events if e.get("actor")]
        lowered = {n.casefold(): n for n in named}
        found = [lowered[c.casefold()] for c in criteria.companies if c.casefold() in lowered]
        if not found:
            return None
        matched["companies"] = list(dict.fromkeys(found))

    # Event criteria: the events of the wanted types, confident enough.
    candidates = events
    if criteria.event_types:
        candidates = [e for e in candidates if e["type"] in criteria.event_types]
    if criteria.min_confidence is not None:
        candidates = [e for e in candidates if _confidence(e) >= criteria.min_confidence]
    if (criteria.event_types or criteria.min_confidence is not None) and not candidates:
        return None
    if criteria.event_types:
        matched["event_types"] = sorted({e["type"] for e in candidates})
    if criteria.min_confidence is not None:
        matched["min_confidence"] = [f"{max(_confidence(e) for e in candidates):.2f}"]

    if criteria.jurisdictions:
        article_codes = _names(analysis.get("jurisdictions") or [], "code")
        event_codes = [str(c) for e in candidates for c in _codes(e)]
        found = [w for w in criteria.jurisdictions if any(_covers(w, c) for c in article_codes + event_codes)]
        if not found:
            return None
        matched["jurisdictions"] = found

    if query is not None:
        if (query.include or query.exclude) and not TextIndex(f"{article.title or ''}\n{article.text}").matches(query):
            return None
        if query.filters and not filters_match(query.filters, analysis=analysis, source_id=article.source_id,
                                               source_tags=article.source_tags, published=article.published):
            return None
        matched["query"] = [query_text(query)]

    # Best first: events placed in a wanted jurisdiction, then the most confident.
    wanted = matched.get("jurisdictions", [])
    ordered = sorted(candidates, key=lambda e: (not any(_covers(w, c) for w in wanted for c in _codes(e)),
                                                -_confidence(e)))
    return MatchResult(matched=matched, events=ordered)


def facts(result: MatchResult) -> dict[str, list[str]]:
    """The facts an update is about: types, jurisdictions, effective dates and statuses of the matched events."""
    events = result.events
    return {
        "event_types": sorted({e["type"] for e in events}),
        "jurisdictions": sorted({str(c) for e in events for c in _codes(e)}),
        "effective_dates": sorted({str(e["effective_date"]) for e in events if e.get("effective_date")}),
        "statuses": sorted({f"{e['type']}:{e['status']}" for e in events if e.get("status")}),
    }


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """What ``after`` adds to ``before``: new event types, jurisdictions, effective dates; statuses moved on
    (proposed -> announced -> in_effect -> reversed)."""
    result: dict[str, Any] = {}
    for key in ("event_types", "jurisdictions", "effective_dates"):
        added = [v for v in after.get(key, []) if v not in before.get(key, [])]
        if added:
            result[key] = added
    old_status = dict(s.split(":", 1) for s in before.get("statuses", []))
    moved = []
    for entry in after.get("statuses", []):
        kind, status = entry.split(":", 1)
        if kind in old_status and _status_rank(status) > _status_rank(old_status[kind]):
            moved.append({"event_type": kind, "from": old_status[kind], "to": status})
    if moved:
        result["status"] = moved
    return result


def merge_facts(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[str]]:
    """The facts known after an update (statuses replaced per event type)."""
    merged = {key: sorted(set(before.get(key, [])) | set(after.get(key, [])))
              for key in ("event_types", "jurisdictions", "effective_dates")}
    statuses = dict(s.split(":", 1) for s in before.get("statuses", []))
    for kind, status in (s.split(":", 1) for s in after.get("statuses", [])):
        if kind not in statuses or _status_rank(status) > _status_rank(statuses[kind]):
            statuses[kind] = status
    merged["statuses"] = sorted(f"{k}:{v}" for k, v in statuses.items())
    return merged


#: A status only moves forward: a later copy still saying "announced" after "in_effect" is stale, no news.
_STATUS_ORDER = {"proposed": 0, "announced": 1, "in_effect": 2, "reversed": 3}


def _status_rank(status: str) -> int:
    return _STATUS_ORDER.get(status, -1)


def _confidence(event: dict[str, Any]) -> float:
    try:
        return float(event.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _codes(event: dict[str, Any]) -> list[str]:
    codes = event.get("jurisdictions") or []
    return [codes] if isinstance(codes, str) else [str(c) for c in codes]
