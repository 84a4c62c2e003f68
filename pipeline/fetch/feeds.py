"""Feed bytes -> ParsedFeed: RSS 0.9x/1.0/2.0, RDF and Atom through feedparser, JSON Feed ourselves.

Before feedparser sees the bytes they are gunzipped when they carry the gzip
magic (feeds saved compressed and served as-is), and sniffed: images, PDFs and
other binaries, HTML pages and plain JSON are rejected with a one-line reason
instead of being handed to a lenient parser that would return an empty feed.

feedparser's "bozo" flag is read per case: a feed that still yields items is
returned with ``ParsedFeed.warning`` set (lenient recovery, a charset that had
to be overridden); a feed with no items and a bozo error is rejected.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from pipeline.errors import ParseError
from pipeline.fetch.dates import feedparser_misreads, from_struct, parse_date
from pipeline.fetch.jsonfeed import load_json, looks_like_json_feed, parse_json_feed
from pipeline.fetch.sniff import binary_type
from pipeline.fetch.text import html_to_text, normalize_text
from pipeline.records import FeedItem, ParsedFeed

logger = logging.getLogger(__name__)

#: Largest feed accepted after gunzipping bytes that arrived compressed.
MAX_FEED_BYTES = 50 * 1024 * 1024

_BINARY_TYPE_PREFIXES = ("image/", "audio/", "video/", "font/")
_BINARY_TYPES = frozenset({"application/pdf", "application/zip", "application/gzip", "application/x-gzip"})
_JSON_TYPES = frozenset({"application/feed+json", "application/json", "text/json"})
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_PROLOG = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>|\s+)*", re.S | re.I)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w:.-]*)")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel", "rss:rss"})
_HTML_ROOTS = frozenset({"html", "head", "body", "!doctype", "div", "p", "title", "meta", "script"})
_IGNORED_BOZO = (feedparser.NonXMLContentType,)


def parse_feed(
    body: bytes, *, url: str, content_type: str | None = None, source_id: str | None = None
) -> ParsedFeed:
    """Parse feed bytes fetched from ``url`` (the base for relative links)."""

    def reject(reason: str) -> ParseError:
        return ParseError(reason, source_id=source_id, url=url)

    media_type, charset = split_content_type(content_type)
    if not body or not body.strip():
        raise reject("empty body")
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, reject)
        if not body.strip():
            raise reject("empty body")

    kind = _sniff(body, media_type)
    if kind.startswith("binary:"):
        raise reject(f"binary body ({kind.removeprefix('binary:')})")
    if kind == "json":
        return _parse_json(body, charset, media_type, url=url, source_id=source_id, reject=reject)
    if kind == "html":
        raise reject(f"not a feed ({media_type if media_type and 'html' in media_type else 'text/html'})")

    parsed = feedparser.parse(
        body,
        response_headers={
            "content-location": url,
            # Sniffing decided it is XML: a text/xml or text/html label would only make feedparser
            # assume us-ascii (RFC 3023) and flag a bogus error. A declared charset is passed on.
            "content-type": "application/xml" + (f"; charset={charset}" if charset else ""),
        },
        sanitize_html=False,  # summaries become plain text; lxml drops scripts and styles there
    )
    problem = _bozo_reason(parsed)
    if not parsed.entries:
        if problem and problem.startswith("malformed XML"):
            raise reject(problem)
        if not parsed.get("version"):
            raise reject(f"not a feed ({problem or 'no RSS, Atom or RDF root element'})")

    warnings = []
    if problem:
        warnings.append(f"{problem} (items recovered)" if problem.startswith("malformed XML") else problem)
    language = parsed.feed.get("language")
    items = [_item(entry, url=url, language=language) for entry in parsed.entries]
    kept = [item for item in items if item.url or item.title or item.summary or item.content]
    if len(kept) < len(items):
        if not kept and problem and problem.startswith("malformed XML"):
            raise reject(problem)  # nothing usable was recovered: the feed is broken, not empty
        warnings.append(f"dropped {len(items) - len(kept)} empty item(s) (no link, title or text)")
        items = kept
    warning = "; ".join(warnings) or None
    if warning:
        logger.info("[%s] %s: feed parsed with a warning: %s", source_id, url, warning)
    return ParsedFeed(
        format=parsed.get("version") or "unknown",
        title=_text(parsed.feed, "title"),
        link=_absolute(parsed.feed.get("link"), url),
        items=items,
        encoding=parsed.get("encoding"),
        warning=warning,
    )


def split_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    """(media type in lower case, charset) of a Content-Type header value."""
    if not content_type:
        return None, None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower() or None, charset


# -- sniffing -----------------------------------------------------------------------------------------


def _sniff(body: bytes, media_type: str | None) -> str:
    """'binary:<type>', 'json', 'html', 'xml' or 'unknown'."""
    magic = binary_type(body)
    if magic is not None:
        return f"binary:{magic}"
    head = _decode_head(body)
    if head is None:
        return f"binary:{media_type or 'application/octet-stream'}"
    stripped = head.lstrip()
    if stripped[:1] in ("{", "[") or (media_type in _JSON_TYPES and not stripped.startswith("<")):
        return "json"
    root = _root_name(stripped)
    if root is not None:
        local = root.lower().rsplit(":", 1)[-1]
        if root.lower() in _FEED_ROOTS or local in _FEED_ROOTS:
            return "xml"
        if local in _HTML_ROOTS or root.lower() == "!doctype":
            return "html"
    if media_type and (media_type.startswith(_BINARY_TYPE_PREFIXES) or media_type in _BINARY_TYPES):
        return f"binary:{media_type}"
    if media_type == "text/html" and root is None:
        return "html"
    return "xml" if root is not None else "unknown"


def _decode_head(body: bytes) -> str | None:
    """The first 4 KB as text for sniffing, or None when it looks binary."""
    chunk = body[:4096]
    for bom, encoding in _BOMS:
        if chunk.startswith(bom):
            return chunk[len(bom):].decode(encoding, errors="replace")
    if chunk.startswith((b"<\x00", b"\x00<")):  # UTF-16 without BOM
        return chunk.decode("utf-16-le" if chunk[0] == 0x3C else "utf-16-be", errors="replace")
    if b"\x00" in chunk:
        return None
    controls = sum(1 for byte in chunk if byte < 9 or 13 < byte < 32)
    if controls > len(chunk) // 20:
        return None
    return chunk.decode("latin-1")


def _root_name(text: str) -> str | None:
    if re.match(r"\s*<!DOCTYPE\s+html", text, re.I):
        return "html"
    match = _PROLOG.match(text)
    rest = text[match.end():] if match else text
    tag = _FIRST_TAG.match(rest)
    return tag.group(1) if tag else None


def _gunzip(body: bytes, reject: Any) -> bytes:
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(body, MAX_FEED_BYTES + 1)
    except zlib.error as exc:
        raise reject("bad gzip body") from exc
    if len(out) > MAX_FEED_BYTES:
        raise reject(f"gzip body over {MAX_FEED_BYTES // (1024 * 1024)} MB")
    if not decoder.eof:
        raise reject("bad gzip body (truncated)")
    return out


# -- JSON Feed ----------------------------------------------------------------------------------------


def _parse_json(
    body: bytes, charset: str | None, media_type: str | None, *, url: str, source_id: str | None, reject: Any
) -> ParsedFeed:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = body.decode(charset or "utf-8", errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
    data = load_json(text, url=url, source_id=source_id)
    if looks_like_json_feed(data) or media_type == "application/feed+json" or (
        isinstance(data, dict) and "version" in data and "items" in data
    ):
        return parse_json_feed(data, url=url, source_id=source_id)
    raise reject(f"not a feed ({media_type or 'application/json'} without a jsonfeed.org version)")


# -- feedparser results -------------------------------------------------------------------------------


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    if exc is None or isinstance(exc, _IGNORED_BOZO):
        return None
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"encoding: {_one_line(str(exc))}"
    get_message = getattr(exc, "getMessage", None)
    get_line = getattr(exc, "getLineNumber", None)
    if callable(get_message):
        message = _one_line(str(get_message()))
        line = get_line() if callable(get_line) else None
        return f"malformed XML: {message}" + (f" at line {line}" if line else "")
    return f"malformed XML: {_one_line(str(exc)) or type(exc).__name__}"


def _item(entry: Any, *, url: str, language: str | None) -> FeedItem:
    link = _absolute(entry.get("link"), url)
    title = _text(entry, "title")
    summary = _text(entry, "summary")
    contents = [
        html_to_text(part.get("value")) if "html" in (part.get("type") or "html") else normalize_text(
            part.get("value") or "")
        for part in entry.get("content") or []
    ]
    content = "\n\n".join(part for part in contents if part) or None
    published = None
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw and not feedparser_misreads(raw):
            published = from_struct(entry.get(f"{key}_parsed"))
        if published is None and raw:
            published = parse_date(raw, language)
        if published is not None:
            break
    tags = list(dict.fromkeys(
        (tag.get("term") or tag.get("label") or "").strip()
        for tag in entry.get("tags") or []
        if (tag.get("term") or tag.get("label") or "").strip()
    ))
    return FeedItem(
        guid=_guid(entry, link, url, title, summary or content),
        url=link,
        title=title,
        published=published,
        author=normalize_text(entry.get("author") or "") if entry.get("author") else None,
        summary=summary,
        content=content,
        tags=tags,
    )


def _guid(entry: Any, link: str | None, feed_url: str, title: str | None, body: str | None) -> str | None:
    """The entry id; a relative Atom id is made absolute, no id falls back to the link, then to a hash."""
    guid = (entry.get("id") or entry.get("guid") or "").strip()
    if guid:
        if guid.startswith(("/", "./", "../")) and not urlsplit(guid).scheme:
            return urljoin(feed_url, guid)
        return guid
    if link:
        return link
    if title or body:
        digest = hashlib.sha1(f"{title or ''}\n{body or ''}".encode()).hexdigest()
        return f"urn:sha1:{digest}"
    return None


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key)
    if not value:
        return None
    detail = obj.get(f"{key}_detail") or {}
    if "html" in (detail.get("type") or "") or "<" in value or "&" in value:
        return html_to_text(value)
    return normalize_text(value)


def _absolute(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    return urljoin(base, link.strip())


def _one_line(text: str) -> str:
    return " ".join(text.split())
