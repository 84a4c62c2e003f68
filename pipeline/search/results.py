"""What a search returns: hits (one per story), facet counts, the cursor of the next page; and their JSON.

``SearchResult.to_json()`` is the body of ``GET /api/search`` and of ``regwatch search --json``.
Snippets are plain text; ``highlights`` are ``[start, end)`` offsets of the matched words in the snippet,
so every consumer escapes the text its own way (HTML, terminal, JSON) and no marker can be forged by
article text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.errors import QueryError

HIGHLIGHT_START = "["  # how marked_snippet() shows a highlight by default (the CLI's plain output)
HIGHLIGHT_END = "]"
#: Private-use characters that the backends put around matched words; removed from article text first.
MARK_START = "\ue000"
MARK_END = "\ue001"
FACETS = ("jurisdiction", "event_type", "company", "source", "month")


@dataclass
class Hit:
    article_id: int
    title: str | None
    url: str
    source_id: str
    published: datetime | None
    snippet: str  # plain text
    score: float  # higher is better; comparable within one result list only
    companies: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)  # codes
    event_types: list[str] = field(default_factory=list)
    story_id: int | None = None  # the story this article is the best-ranked copy of
    sources: list[str] = field(default_factory=list)  # every source that carried the story, this hit's first
    source_count: int = 1
    highlights: list[tuple[int, int]] = field(default_factory=list)  # [start, end) offsets into snippet

    def marked_snippet(self, start: str = HIGHLIGHT_START, end: str = HIGHLIGHT_END) -> str:
        """The snippet with ``start``/``end`` around each highlight (for plain-text output)."""
        parts, last = [], 0
        for begin, finish in self.highlights:
            parts += [self.snippet[last:begin], start, self.snippet[begin:finish], end]
            last = finish
        parts.append(self.snippet[last:])
        return "".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "story_id": self.story_id,
            "article_id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published.isoformat() if self.published else None,
            "sources": list(self.sources),
            "source_count": self.source_count,
            "snippet": self.snippet,
            "highlights": [[begin, end] for begin, end in self.highlights],
            "companies": list(self.companies),
            "jurisdictions": list(self.jurisdictions),
            "event_types": list(self.event_types),
            "score": round(self.score, 6),
        }


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]  # one per story, best first
    facets: dict[str, list[dict[str, Any]]]  # FACETS -> [{"value", "label", "count"}], biggest first
    next_cursor: str | None  # opaque; None on the last page
    total: int  # matching stories

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "hits": [hit.to_json() for hit in self.hits],
            "facets": {name: [dict(entry) for entry in entries] for name, entries in self.facets.items()},
            "next_cursor": self.next_cursor,
        }


def split_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and highlight offsets of a snippet the backend marked with MARK_START/MARK_END."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for piece in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if piece == MARK_START:
            start = length
        elif piece == MARK_END:
            if start is not None and length > start:
                between = "".join(plain)[spans[-1][1]:start] if spans else "x"
                if not between.strip():  # "[operating] [system]" is one run: "operating system"
                    spans[-1] = (spans[-1][0], length)
                else:
                    spans.append((start, length))
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    return "".join(plain), spans


# -- cursors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after (score, story_key) of the last hit, with the scoring time fixed."""

    now: datetime
    score: float
    story_key: int


def query_digest(query: str) -> str:
    return hashlib.sha256(" ".join(query.split()).encode()).hexdigest()[:16]


def encode_cursor(query: str, cursor: Cursor) -> str:
    data = {"v": 1, "q": query_digest(query), "n": cursor.now.isoformat(), "s": cursor.score, "k": cursor.story_key}
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(query: str, token: str) -> Cursor:
    """The cursor ``token`` of a previous page of ``query``; QueryError if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("unknown version")
        cursor = Cursor(datetime.fromisoformat(data["n"]), float(data["s"]), int(data["k"]))
        digest = data["q"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise QueryError(f"invalid cursor {token[:40]!r}: not a cursor of a search result page") from exc
    if digest != query_digest(query):
        raise QueryError("this cursor belongs to another query: pass the query the cursor came with")
    return cursor
