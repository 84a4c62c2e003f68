"""Plain records handed from one stage to the next.

They hold no database or network state: fetch produces ``FeedItem`` lists,
extract produces ``ExtractedPage``, analyze turns an ``ArticleInput`` into the
JSON-shaped analysis of ``../shared/spec/analysis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FeedItem:
    """One entry of a feed, whatever its format."""

    guid: str | None
    url: str | None
    title: str | None
    published: datetime | None = None
    author: str | None = None
    summary: str | None = None  # plain text
    content: str | None = None  # plain text of the full content, when the feed carries it
    tags: list[str] = field(default_factory=list)


@dataclass
class ParsedFeed:
    format: str  # "rss20", "atom10", "rdf", "json1", ... (feedparser's version names, "json" for JSON Feed)
    title: str | None
    link: str | None
    items: list[FeedItem]
    encoding: str | None = None
    warning: str | None = None  # a recoverable problem (feedparser's "bozo" on a feed that still gave items)
    sitemaps: list[str] = field(default_factory=list)  # child sitemaps of a sitemap index (absolute URLs)


@dataclass
class ExtractedPage:
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO date as found in the page
    sitename: str | None = None
    language: str | None = None
    canonical_url: str | None = None


@dataclass
class ArticleInput:
    """What the analyzer reads: the input line of `regwatch analyze`."""

    id: str
    text: str
    title: str | None = None
    published: str | None = None  # ISO date or datetime
    url: str | None = None
    source: str | None = None
    jurisdiction_hint: str | None = None
