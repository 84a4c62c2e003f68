"""Atom feeds of search results (a query, or a saved search), built with feedgen.

feedgen writes the XML through lxml, which escapes every text and attribute value, so an article
title holding ``<script>`` arrives in a feed reader as those characters, never as markup. What lxml
refuses instead of escaping (control characters that XML 1.0 cannot carry) is removed first. Entries
are stories (one per story, its best-ranked article), identified by ``urn:regwatch:story:ID`` so that a
reader polling the feed again recognises the entries it has.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

from pipeline import __version__
from pipeline.store.types import as_utc, utc_now

ATOM_MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_LIMIT = 50
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """``value`` as text that XML 1.0 can carry (lxml escapes the rest)."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def atom_feed(result: dict[str, Any], *, title: str, feed_url: str, page_url: str, story_url: str) -> bytes:
    """The Atom document of one search result (the /api/search body).

    ``feed_url`` is the feed's own URL (its id and rel=self), ``page_url`` the web page of the same search,
    ``story_url`` a format string with ``{id}`` for an entry whose article URL is not http(s).
    """
    feed = FeedGenerator()
    feed.id(xml_text(feed_url))
    feed.title(xml_text(title))
    feed.author({"name": "regwatch"})
    feed.link(href=xml_text(feed_url), rel="self", type="application/atom+xml")
    feed.link(href=xml_text(page_url), rel="alternate", type="text/html")
    feed.generator("regwatch", version=__version__)
    feed.subtitle(xml_text(f"{result.get('total', 0)} matching stories for: {result.get('query', '')}"))
    newest: datetime | None = None
    for hit in result.get("hits", []):
        published = _when(hit.get("published"))
        entry = feed.add_entry(order="append")
        entry.id(f"urn:regwatch:story:{hit.get('story_id') or 'article-' + str(hit.get('article_id'))}")
        entry.title(xml_text(hit.get("title") or "(untitled)"))
        url = str(hit.get("url") or "")
        if not url.startswith(("http://", "https://")):
            url = story_url.format(id=hit.get("story_id"))
        entry.link(href=xml_text(url), rel="alternate")
        entry.updated(published or utc_now())
        if published is not None:
            entry.published(published)
            newest = published if newest is None or published > newest else newest
        sources = ", ".join(hit.get("sources") or [])
        summary = hit.get("snippet") or ""
        if sources:
            summary = f"{summary}\n\nSources: {sources}"
        entry.summary(xml_text(summary))
        for event_type in hit.get("event_types") or []:
            entry.category(term=xml_text(event_type), label=xml_text(event_type.replace("_", " ")))
        for code in hit.get("jurisdictions") or []:
            entry.category(term=xml_text(f"jurisdiction:{code}"), label=xml_text(code))
    feed.updated(newest or utc_now())
    return feed.atom_str(pretty=True)
