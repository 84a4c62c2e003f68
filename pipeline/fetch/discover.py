"""What a source lists, whatever its kind: feed items, sitemap URLs, or links on a listing page.

``discover(source, body, url=..., content_type=...)`` reads one fetched body by ``source.kind``:

* ``feed``: ``parse_feed`` (RSS, Atom, RDF, JSON Feed).
* ``sitemap``: a ``urlset`` (``lastmod``; the news extension's ``news:title`` and
  ``news:publication_date``), a ``sitemapindex`` (its child sitemaps, in ``ParsedFeed.sitemaps``),
  or a plain-text sitemap (one URL a line). An RSS/Atom feed given as a sitemap is read as a feed.
  Items are sorted newest first (undated ones last, in document order).
* ``page``: the ``<a href>`` links picked by ``source.selector`` (a CSS selector; a selected element
  that is not a link gives its first link inside) and/or matching ``source.link_pattern`` (a regex
  searched in the absolute URL), resolved against ``<base href>``, without fragments, de-duplicated,
  in page order, titled by their text.

``discover_all(fetcher, source)`` also fetches: the source URL (conditional GET), and for a sitemap
index its child sitemaps (at most ``MAX_CHILD_SITEMAPS``, nested at most ``MAX_SITEMAP_DEPTH``).
Links found inside a source are fetched under the source's ``allow_private``.

Items are ``FeedItem``s whose guid is their URL (for feeds: the feed's own guid). Unreadable input
raises ``ParseError`` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.etree
import lxml.html

from pipeline.errors import FetchError, ParseError
from pipeline.fetch.dates import parse_date
from pipeline.fetch.feeds import MAX_FEED_BYTES, parse_feed, split_content_type
from pipeline.fetch.sniff import binary_type
from pipeline.fetch.text import normalize_text
from pipeline.records import FeedItem, ParsedFeed

if TYPE_CHECKING:
    from pipeline.fetch.http import Fetcher, FetchResult
    from pipeline.sources import Source

logger = logging.getLogger(__name__)

#: Child sitemaps fetched from one sitemap index (the most recently modified first).
MAX_CHILD_SITEMAPS = 20
#: Sitemap indexes inside sitemap indexes followed this deep.
MAX_SITEMAP_DEPTH = 2

SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.5, text/plain;q=0.5, */*;q=0.3"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
ACCEPT = {"feed": FEED_ACCEPT, "sitemap": SITEMAP_ACCEPT, "page": PAGE_ACCEPT}

_XML_PARSER = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
_SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:")


def discover(
    source: Source,
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    fetcher: Fetcher | None = None,
) -> ParsedFeed:
    """The items ``body`` (fetched from ``url``) lists for ``source``.

    With a ``fetcher``, the child sitemaps of a sitemap index are fetched and their items merged;
    without one, an index gives no items and its children in ``ParsedFeed.sitemaps``.
    """
    if source.kind == "feed":
        return parse_feed(body, url=url, content_type=content_type, source_id=source.id)
    if source.kind == "sitemap":
        parsed = parse_sitemap(body, url=url, content_type=content_type, source_id=source.id,
                               link_pattern=source.link_pattern)
        if parsed.sitemaps and fetcher is not None:
            parsed, _ = _follow_index(fetcher, source, parsed, depth=1)
        return parsed
    if source.kind == "page":
        return parse_listing(body, url=url, content_type=content_type, source_id=source.id,
                             selector=source.selector, link_pattern=source.link_pattern)
    raise ParseError(f"unknown source kind {source.kind!r}", source_id=source.id, url=url)


@dataclass
class Discovery:
    """One poll of a source: the fetch of its URL and, unless it was not modified, what it lists."""

    result: FetchResult
    feed: ParsedFeed | None  # None when the server answered 304 Not Modified
    content_hash: str | None  # sha256 of the body (of every sitemap read, for an index); None on 304

    @property
    def not_modified(self) -> bool:
        return self.result.not_modified


def discover_all(
    fetcher: Fetcher,
    source: Source,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Discovery:
    """Fetch ``source.url`` (conditionally, under the source's rate and concurrency) and discover its items.

    The source URL is the user's own configuration, so a loopback or private one is fetched; links
    found inside (child sitemaps) follow ``source.allow_private``. Raises ``FetchError`` or ``ParseError``.
    """
    result = fetcher.get(
        source.url, source_id=source.id, allow_private=True, etag=etag, last_modified=last_modified,
        accept=ACCEPT.get(source.kind, FEED_ACCEPT), rate=source.rate, concurrency=source.concurrency,
    )
    if result.not_modified:
        return Discovery(result, None, None)
    digest = hashlib.sha256(result.body)
    if source.kind == "sitemap":
        parsed = parse_sitemap(result.body, url=result.url, content_type=result.content_type,
                               source_id=source.id, link_pattern=source.link_pattern)
        if parsed.sitemaps:
            parsed, bodies = _follow_index(fetcher, source, parsed, depth=1)
            for body in bodies:
                digest.update(hashlib.sha256(body).digest())
    else:
        parsed = discover(source, result.body, url=result.url, content_type=result.content_type)
    return Discovery(result, parsed, digest.hexdigest())


# -- sitemaps -----------------------------------------------------------------------------------------


def parse_sitemap(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    source_id: str | None = None,
    link_pattern: str | None = None,
) -> ParsedFeed:
    """A sitemap (urlset, news sitemap, sitemapindex, plain text; gzipped or not) -> ParsedFeed."""

    def reject(reason: str) -> ParseError:
        return ParseError(reason, source_id=source_id, url=url)

    media_type, _ = split_content_type(content_type)
    body = _maybe_gunzip(body, reject)
    if not body.strip():
        raise reject("empty body")
    magic = binary_type(body)
    if magic is not None:
        raise reject(f"binary body ({magic})")
    head = body[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or (media_type == "text/html" and b"<urlset" not in head):
        raise reject(f"not a sitemap ({media_type if media_type and 'html' in media_type else 'text/html'})")
    if not head.startswith((b"<", b"\xef\xbb\xbf<", b"\xff\xfe", b"\xfe\xff")):
        return _plain_text_sitemap(body, url=url, link_pattern=link_pattern, reject=reject)
    try:
        root = lxml.etree.fromstring(body, parser=_XML_PARSER)
    except lxml.etree.XMLSyntaxError as exc:
        raise reject(f"malformed XML: {_one_line(str(exc))}") from None
    except ValueError as exc:
        raise reject(f"malformed XML: {_one_line(str(exc))}") from None
    if root is None:
        raise reject("malformed XML: no root element")
    name = lxml.etree.QName(root).localname.lower()
    if name in ("rss", "feed", "rdf"):
        return parse_feed(body, url=url, content_type=content_type, source_id=source_id)
    if name == "sitemapindex":
        children = []
        for entry in _children(root, "sitemap"):
            loc = _child_text(entry, "loc")
            if loc:
                children.append((urljoin(url, loc), _date(_child_text(entry, "lastmod"))))
        # The most recently modified child sitemaps first: news indexes add a new child per period.
        ordered = _newest_first(children, key=lambda child: child[1])
        return ParsedFeed(format="sitemapindex", title=None, link=None, items=[],
                          sitemaps=list(dict.fromkeys(loc for loc, _ in ordered)))
    if name != "urlset":
        if name in ("html", "head", "body"):
            raise reject("not a sitemap (text/html)")
        raise reject(f"not a sitemap (root element <{name}>)")
    pattern = re.compile(link_pattern) if link_pattern else None
    items: list[FeedItem] = []
    seen: set[str] = set()
    news = False
    for entry in _children(root, "url"):
        loc = _child_text(entry, "loc")
        if not loc:
            continue
        link = urljoin(url, loc)
        if link in seen or (pattern is not None and not pattern.search(link)):
            continue
        seen.add(link)
        published = _date(_child_text(entry, "lastmod"))
        title = None
        for block in _children(entry, "news"):
            news = True
            title = normalize_text(_child_text(block, "title") or "") or None
            published = _date(_child_text(block, "publication_date")) or published
        items.append(FeedItem(guid=link, url=link, title=title, published=published))
    return ParsedFeed(format="news-sitemap" if news else "sitemap", title=None, link=None,
                      items=_newest_first(items, key=lambda item: item.published))


def _follow_index(
    fetcher: Fetcher, source: Source, index: ParsedFeed, *, depth: int
) -> tuple[ParsedFeed, list[bytes]]:
    """Fetch the children of a sitemap index and merge their items; problems become warnings."""
    items: list[FeedItem] = []
    bodies: list[bytes] = []
    warnings: list[str] = []
    children = index.sitemaps[:MAX_CHILD_SITEMAPS]
    if len(index.sitemaps) > MAX_CHILD_SITEMAPS:
        warnings.append(f"read {MAX_CHILD_SITEMAPS} of {len(index.sitemaps)} child sitemaps")
    failures = 0
    for child_url in children:
        try:
            child = fetcher.get(child_url, source_id=source.id, allow_private=source.allow_private,
                                accept=SITEMAP_ACCEPT, rate=source.rate, concurrency=source.concurrency)
            parsed = parse_sitemap(child.body, url=child.url, content_type=child.content_type,
                                   source_id=source.id, link_pattern=source.link_pattern)
        except (FetchError, ParseError) as exc:
            if exc.message == "interrupted":
                raise
            failures += 1
            warnings.append(f"{child_url}: {exc}")
            logger.info("[%s] %s: child sitemap skipped: %s", source.id, child_url, exc)
            continue
        bodies.append(child.body)
        if parsed.sitemaps and depth < MAX_SITEMAP_DEPTH:
            parsed, nested = _follow_index(fetcher, source, parsed, depth=depth + 1)
            bodies.extend(nested)
        if parsed.warning:
            warnings.append(parsed.warning)
        items.extend(parsed.items)
    if children and failures == len(children):
        raise ParseError(f"no child sitemap could be read ({warnings[-1]})", source_id=source.id, url=source.url)
    unique = list({item.guid: item for item in reversed(items)}.values())[::-1]
    return ParsedFeed(
        format="sitemapindex", title=None, link=None, items=_newest_first(unique, key=lambda item: item.published),
        warning="; ".join(warnings) or None, sitemaps=index.sitemaps,
    ), bodies


def _plain_text_sitemap(body: bytes, *, url: str, link_pattern: str | None, reject) -> ParsedFeed:
    text = body.decode("utf-8", errors="replace")
    pattern = re.compile(link_pattern) if link_pattern else None
    links = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not re.match(r"^https?://\S+$", line):
            raise reject("not a sitemap (neither XML nor one URL a line)")
        if pattern is None or pattern.search(line):
            links.append(line)
    return ParsedFeed(format="sitemap-text", title=None, link=None,
                      items=[FeedItem(guid=link, url=link, title=None) for link in dict.fromkeys(links)])


def _maybe_gunzip(body: bytes, reject) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decoder.decompress(body, MAX_FEED_BYTES + 1)
    except zlib.error:
        raise reject("bad gzip body") from None
    if len(out) > MAX_FEED_BYTES:
        raise reject(f"gzip body over {MAX_FEED_BYTES // (1024 * 1024)} MB")
    return out


def _children(element, name: str) -> list:
    return [child for child in element if isinstance(child.tag, str) and lxml.etree.QName(child).localname == name]


def _child_text(element, name: str) -> str | None:
    for child in _children(element, name):
        if child.text and child.text.strip():
            return child.text.strip()
    return None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return parse_date(value, None)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _newest_first(entries: list, *, key) -> list:
    dated = [entry for entry in entries if key(entry) is not None]
    undated = [entry for entry in entries if key(entry) is None]
    return sorted(dated, key=key, reverse=True) + undated


# -- listing pages ------------------------------------------------------------------------------------


def parse_listing(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    source_id: str | None = None,
    selector: str | None = None,
    link_pattern: str | None = None,
) -> ParsedFeed:
    """An HTML listing page -> its article links, picked by ``selector`` and/or ``link_pattern``."""

    def reject(reason: str) -> ParseError:
        return ParseError(reason, source_id=source_id, url=url)

    if not selector and not link_pattern:
        raise reject("a page source needs a selector or a link_pattern")
    media_type, charset = split_content_type(content_type)
    if not body.strip():
        raise reject("empty body")
    magic = binary_type(body)
    if magic is not None:
        raise reject(f"binary body ({magic})")
    if b"\x00" in body[:4096] and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise reject(f"binary body ({media_type or 'application/octet-stream'})")
    head = body[:1024].lstrip().lower()
    if head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<urlset" in head):
        raise reject("not an HTML page (an XML feed or sitemap: use kind: feed or sitemap)")
    doc = _html_document(body, charset, reject)
    base = url
    for element in doc.iter("base"):
        href = element.get("href")
        if href and href.strip():
            base = urljoin(url, href.strip())
            break

    if selector:
        from lxml.cssselect import CSSSelector

        anchors = []
        for element in CSSSelector(selector)(doc):
            if not isinstance(element.tag, str):
                continue
            if element.tag == "a" and element.get("href"):
                anchors.append(element)
                continue
            inner = next((a for a in element.iter("a") if a.get("href")), None)
            if inner is None:
                inner = next((a for a in element.iterancestors("a") if a.get("href")), None)
            if inner is not None:
                anchors.append(inner)
    else:
        anchors = [a for a in doc.iter("a") if a.get("href")]
    pattern = re.compile(link_pattern) if link_pattern else None
    page_scheme = urlsplit(url).scheme.lower()
    allowed_schemes = {"http", "https"} | ({"file"} if page_scheme == "file" else set())

    titles: dict[str, str | None] = {}
    for anchor in anchors:
        href = anchor.get("href", "").strip()
        if not href or href.startswith("#") or href.lower().startswith(_SKIPPED_SCHEMES):
            continue
        link = urldefrag(urljoin(base, href)).url
        if urlsplit(link).scheme.lower() not in allowed_schemes:
            continue
        if pattern is not None and not pattern.search(link):
            continue
        title = _anchor_title(anchor)
        if link not in titles or (title and not titles[link]):  # keep the first place, the first real title
            titles[link] = title
    if not titles:
        what = " and ".join(part for part in (
            f"selector {selector!r}" if selector else "", f"link_pattern {link_pattern!r}" if link_pattern else "",
        ) if part)
        raise reject(f"no article links matched {what}")
    title_element = doc.find(".//title")
    page_title = normalize_text(title_element.text_content()) if title_element is not None else None
    items = [FeedItem(guid=link, url=link, title=title) for link, title in titles.items()]
    return ParsedFeed(format="html", title=page_title, link=url, items=items,
                      encoding=charset)


def _html_document(body: bytes, charset: str | None, reject):
    encoding = None
    if charset:
        try:
            "".encode(charset)
            encoding = charset
        except LookupError:
            encoding = None  # an unknown charset label: let lxml read the meta tags
    try:
        parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
        doc = lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise reject(f"unreadable HTML: {_one_line(str(exc)) or 'empty document'}") from None
    return doc


def _anchor_title(anchor) -> str | None:
    text = normalize_text(anchor.text_content() or "")
    if not text:
        text = normalize_text(anchor.get("title") or "") or normalize_text(
            " ".join(img.get("alt") or "" for img in anchor.iter("img"))
        )
    return text or None


def _one_line(text: str) -> str:
    return " ".join(text.split())
