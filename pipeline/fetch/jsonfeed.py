"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) -> ParsedFeed.

feedparser does not read JSON Feed, so the mapping is ours. Validation is
strict about the shape that matters (a version, a list of items that are
objects) and lenient elsewhere: an item without ``id`` falls back to its URL,
as the XML formats do.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from pipeline.errors import ParseError
from pipeline.fetch.dates import parse_date
from pipeline.fetch.text import html_to_text, normalize_text
from pipeline.records import FeedItem, ParsedFeed

VERSION_PREFIX = "https://jsonfeed.org/version/"
_FORMATS = {"1": "json1", "1.1": "json11"}


def looks_like_json_feed(data: Any) -> bool:
    return isinstance(data, dict) and str(data.get("version", "")).startswith(VERSION_PREFIX)


def load_json(text: str, *, url: str, source_id: str | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON Feed: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise ParseError(reason, source_id=source_id, url=url) from exc


def parse_json_feed(data: Any, *, url: str, source_id: str | None = None) -> ParsedFeed:
    def invalid(reason: str) -> ParseError:
        return ParseError(f"invalid JSON Feed: {reason}", source_id=source_id, url=url)

    if not isinstance(data, dict):
        raise invalid(f"top level is a {type(data).__name__}, not an object")
    version = data.get("version")
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIX):
        raise invalid(f"version is {version!r}, not {VERSION_PREFIX}1 or 1.1")
    items = data.get("items")
    if not isinstance(items, list):
        raise invalid("'items' is missing or not a list")

    base = _string(data.get("feed_url")) or url
    base = urljoin(url, base)
    feed_author = _author(data)
    parsed: list[FeedItem] = []
    skipped = 0
    for raw in items:
        if not isinstance(raw, dict):
            skipped += 1
            continue
        parsed.append(_item(raw, base=base, feed_author=feed_author))
    home = _string(data.get("home_page_url"))
    return ParsedFeed(
        format=_FORMATS.get(version.removeprefix(VERSION_PREFIX), "json"),
        title=normalize_text(_string(data.get("title")) or ""),
        link=urljoin(url, home) if home else None,
        items=parsed,
        encoding="utf-8",
        warning=f"invalid JSON Feed: {skipped} item(s) not objects, skipped" if skipped else None,
    )


def _item(raw: dict[str, Any], *, base: str, feed_author: str | None) -> FeedItem:
    # external_url first: a linked-list post is about the page it links to, and Atom/RSS put that page
    # in the main link too (Daring Fireball's JSON and Atom feeds then give the same 48 URLs).
    link = _string(raw.get("external_url")) or _string(raw.get("url"))
    link = urljoin(base, link) if link else None
    raw_id = raw.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, str | int | float) and str(raw_id).strip() else link
    content_html = _string(raw.get("content_html"))
    content_text = _string(raw.get("content_text"))
    content = html_to_text(content_html) if content_html else normalize_text(content_text or "")
    summary_raw = _string(raw.get("summary"))
    summary = normalize_text(summary_raw) if summary_raw else None
    date = _string(raw.get("date_published")) or _string(raw.get("date_modified"))
    tags = [str(tag).strip() for tag in raw.get("tags") or [] if isinstance(tag, str | int)]
    tags = [tag for tag in tags if tag]
    title = _string(raw.get("title"))
    return FeedItem(
        guid=guid,
        url=link,
        title=normalize_text(title) if title else None,
        published=parse_date(date) if date else None,
        author=_author(raw) or feed_author,
        summary=summary,
        content=content,
        tags=tags,
    )


def _author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")  # 1.1
    if not isinstance(authors, list):
        authors = [obj.get("author")]  # 1.0
    names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
    names = [name for name in names if name]
    return ", ".join(names) if names else None


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
