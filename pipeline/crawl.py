"""One pass over sources: fetch each feed, record its items, then move every unfinished item
through fetch, extraction, analysis and indexing.

The crawler never stops on one bad source or item: every failure becomes a one-line reason on the
source's report and health row (or on the item), and the pass goes on.

Exactly-once progress. Every item of every feed is recorded in the store (``item``) and moves
through recorded states, each change one committed transaction::

    discovered -> fetched (raw page archived, compressed) -> extracted -> analyzed -> indexed
                                                                          (or failed: no text at all)

Invariants, whatever moment the process is killed at (SIGKILL included):

1. An entry is recorded once per source: its identity (canonical URL, tracking parameters
   stripped) or its guid already recorded means it is known; an edited title or a new guid for
   the same URL records nothing new.
2. An item becomes an article at most once: the article, its entities, events, full-text row,
   signatures and story, and the item's ``indexed`` state are written in one transaction.
3. No text is stored twice: an item whose canonical URL (its own, or its page's rel=canonical) or
   whose exact text (fingerprint) is already stored is linked to that article instead; the linked
   item keeps its source and URL, so the story lists every source that carried it. A near-duplicate
   from another source is an article of its own in the same story (``pipeline.store.stories``).
4. Nothing is lost: each pass (and ``resume`` at start-up) finishes the items left in a
   non-final state first, from the state they reached. Only network work may be repeated (a page
   fetched before a kill is fetched again); an item interrupted ``MAX_ITEM_ATTEMPTS`` times is
   marked failed rather than crashing every restart.
5. A page that cannot be fetched or extracted is no failure: the article keeps the feed's text and
   says why (``extract_note``), and the item still reaches ``indexed``.

``stop`` (SIGINT/SIGTERM) ends the pass after the item in hand; the items extracted so far are
analysed and indexed, the rest wait in their state for the next pass.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pipeline.analyze import Analyzer
from pipeline.errors import ExtractError, FetchError, ParseError, RegwatchError
from pipeline.extract import extract_page
from pipeline.fetch import Fetcher
from pipeline.fetch.backoff import poll_delay
from pipeline.fetch.discover import discover_all
from pipeline.records import ArticleInput, FeedItem
from pipeline.settings import Settings
from pipeline.sources import Source
from pipeline.store import ArchivedPage, DiscoveredItem, ItemRow, Store
from pipeline.store.repo import NewArticle
from pipeline.urls import canonicalize_url

logger = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)


@dataclass
class SourceReport:
    """What one source gave in one pass."""

    source_id: str
    seen: int = 0
    new: int = 0
    failed: int = 0
    reason: str | None = None  # why the source failed, one line
    warnings: list[str] = field(default_factory=list)  # per-item problems (fell back to feed text, ...)
    elapsed: float = 0.0
    not_modified: bool = False
    interrupted: bool = False
    linked: int = 0  # items that were copies of an article already stored (same URL or same text)
    resumed: int = 0  # items left unfinished by an earlier pass, finished in this one

    @property
    def ok(self) -> bool:
        return self.reason is None


#: An item picked up this many times without reaching a final state is marked failed.
MAX_ITEM_ATTEMPTS = 10
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

class _Deferred(Exception):
    """A page fetch the host or the stop flag put off: the item stays as it is for a later pass."""


#: Called after each committed state change with (item id, new state); tests use it to simulate crashes.
TransitionHook = Callable[[int, str], None]


def next_poll_after(
    source: Source,
    settings: Settings,
    consecutive_failures: int,
    now: datetime,
    retry_after: float | None = None,
    *,
    rng: Any = random,
) -> datetime:
    """The source's interval after a success; after failures a growing, capped, jittered back-off
    (``pipeline.fetch.backoff``), never sooner than the server's Retry-After."""
    return now + poll_delay(source, settings, consecutive_failures, retry_after, rng=rng)


def item_identity(item: FeedItem, source: Source, feed_url: str) -> str:
    """The canonical URL of an item, or a stable URN when the item has no link."""
    if item.url:
        try:
            canonical = canonicalize_url(item.url, base=feed_url)
        except ValueError:
            logger.debug("[%s] unusable item link %r", source.id, item.url)
        else:
            # Day pages of link blogs give every post the same page URL and its own anchor, with the
            # anchored URL as the permalink GUID: there the fragment names the item and is kept.
            fragment = urlsplit(item.url).fragment
            if fragment and item.guid and urlsplit(item.guid).fragment == fragment:
                return f"{canonical}#{fragment}"
            return canonical
    basis = item.guid or "\n".join(filter(None, [item.title, item.summary, item.content]))
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]
    return f"urn:regwatch:{source.id}:{digest}"


def trusted_canonical(page_canonical: str | None, identity: str) -> str:
    """The URL that names the article: the page's rel=canonical when it can be one article's URL, else
    the item's own identity. A site root or a non-web URL is never taken (some sites point every page's
    canonical at their home page), nor is a canonical for an item that is an anchor in a shared page."""
    if not page_canonical or "#" in identity or identity.startswith("urn:"):
        return identity
    try:
        canonical = canonicalize_url(page_canonical)
    except ValueError:
        return identity
    parts = urlsplit(canonical)
    if parts.scheme not in ("http", "https") or (parts.path in ("", "/") and not parts.query):
        return identity
    return canonical


class Crawler:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        analyzer: Analyzer,
        *,
        stop: threading.Event | None = None,
        on_transition: TransitionHook | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.analyzer = analyzer
        self.stop = stop or threading.Event()
        self.on_transition = on_transition

    def crawl(
        self, sources: Iterable[Source], on_done: Callable[[SourceReport], None] | None = None
    ) -> list[SourceReport]:
        reports = []
        for source in sources:
            if self.stop.is_set():
                break
            report = self.crawl_source(source)
            reports.append(report)
            if on_done:
                on_done(report)
        return reports

    def resume(self, sources: Iterable[Source]) -> int:
        """Finish the items earlier passes left unfinished, without polling any feed; returns how many."""
        finished = 0
        for source in sources:
            if self.stop.is_set():
                break
            report = SourceReport(source.id)
            try:
                self._process_pending(source, report)
            except RegwatchError as exc:
                logger.error("[%s] resume: %s", source.id, exc)
            finished += report.new + report.linked + report.failed
        return finished

    def crawl_source(self, source: Source, *, process: bool = True) -> SourceReport:
        """Poll the source's feed, record its new items and (``process``) carry every unfinished item of the
        source through; with ``process`` False the items are left ``discovered`` for workers to take
        (``pipeline.worker``). The source's health and next poll are recorded either way."""
        started = time.monotonic()
        report = SourceReport(source.id)
        state = self.store.source_state(source.id)
        etag = last_modified = content_hash = None
        retry_after = None
        try:
            # Feeds, sitemaps and listing pages alike (pipeline.fetch.discover), fetched conditionally.
            discovery = discover_all(self.fetcher, source, etag=state.etag, last_modified=state.last_modified)
            etag, last_modified = discovery.result.etag, discovery.result.last_modified
            if discovery.not_modified or discovery.feed is None:
                report.not_modified = True
            else:
                content_hash = discovery.content_hash
                if content_hash == state.content_hash:
                    report.not_modified = True
                else:
                    if discovery.feed.warning:
                        report.warnings.append(f"parse: {discovery.feed.warning}")
                    self._discover(source, discovery.result.url, discovery.feed.items, report)
            if process:
                self._process_pending(source, report)
        except (FetchError, ParseError) as exc:
            report.reason = str(exc)  # the caller reports it once, with the next retry time
            retry_after = getattr(exc, "retry_after", None)
            logger.debug("[%s] %s: %s", source.id, source.url, exc)
        except RegwatchError as exc:  # a store or analysis failure ends this source's pass, not the run
            report.reason = str(exc)
            logger.error("[%s] %s: %s", source.id, source.url, exc)
        report.elapsed = time.monotonic() - started
        failures = 0 if report.ok else state.consecutive_failures + 1
        now = datetime.now(UTC)
        complete = report.ok and not report.interrupted and report.failed == 0
        self.store.record_attempt(
            source.id,
            ok=report.ok,
            error=report.reason,
            etag=etag if complete else None,
            last_modified=last_modified if complete else None,
            # Remember the body only when every item of it was dealt with, so a retry sees it again.
            content_hash=content_hash if complete else None,
            next_poll=next_poll_after(source, self.settings, failures, now, retry_after),
        )
        return report

    # -- stages ----------------------------------------------------------------------------------

    def _discover(self, source: Source, feed_url: str, items: list[FeedItem], report: SourceReport) -> None:
        items = items[: self.settings.max_items_per_feed]
        report.seen = len(items)
        entries = [
            DiscoveredItem(identity=item_identity(item, source, feed_url), entry=item) for item in items
        ]
        new = self.store.discover_items(source.id, entries)
        logger.debug("[%s] %d items in the feed, %d new", source.id, len(entries), new)

    def _process_pending(self, source: Source, report: SourceReport) -> None:
        self.process_items(source, self.store.pending_items(source.id), report)

    def process_items(self, source: Source, pending: list[ItemRow], report: SourceReport) -> None:
        """Carry these items of ``source`` on from their recorded states (fetch, extract, analyse in batches,
        index). An item the host put off, or not reached before ``stop``, stays in its state."""
        resumed = sum(1 for item in pending if item.state != "discovered" or item.attempts > 0)
        if resumed:
            report.resumed = resumed
            logger.info("[%s] resuming %d unfinished item(s)", source.id, resumed)
        batch: list[ItemRow] = []
        for item in pending:
            if item.state == "analyzed":  # only the write is left: cheap, done even when stopping
                self._index(source, item, item.analysis, report)
                continue
            if self.stop.is_set():
                report.interrupted = True
                break
            attempts = self.store.start_item(item.id)
            if attempts > MAX_ITEM_ATTEMPTS:
                message = f"crawl: gave up after {attempts - 1} interrupted attempts (last state {item.state})"
                self.store.fail_item(item.id, message)
                self._moved(item, "failed")
                report.failed += 1
                report.warnings.append(f"{item.url or item.identity}: {message}")
                logger.warning("[%s] %s: %s", source.id, item.url or item.identity, message)
                continue
            if item.state != "extracted" and not self._fetch_and_extract(source, item, report):
                continue
            batch.append(item)
            if len(batch) >= self.settings.analyze_batch_size:
                self._analyze_and_index(source, batch, report)
                batch = []
        if batch:
            self._analyze_and_index(source, batch, report)

    def _fetch_and_extract(self, source: Source, item: ItemRow, report: SourceReport) -> bool:
        """discovered -> fetched -> extracted; False when the item ended here (a copy, or no text)."""
        page: ArchivedPage | None = None
        if item.state == "discovered":
            existing = self.store.find_article(url=item.identity)
            if existing is not None:  # the same URL is stored (from this source or another): no fetch
                self._link(item, existing, report)
                return False
            try:
                page, item.last_error = self._fetch_page(source, item, report)
            except _Deferred as deferred:
                report.interrupted = True
                logger.info("[%s] %s: %s; left for a later pass", source.id, item.identity, deferred)
                return False
            self.store.save_fetch(item.id, page, item.last_error)
            self._moved(item, "fetched")
        elif item.state == "fetched":
            page = self.store.page_of_item(item.id)
        extracted, canonical = self._extract(source, item, page, item.last_error, report)
        if extracted is None:
            self.store.fail_item(item.id, "extract: no text in the page or the feed")
            self._moved(item, "failed")
            report.failed += 1
            return False
        existing = self.store.find_article(url=canonical if canonical != item.identity else None,
                                           text=extracted["text"], title=extracted["title"])
        if existing is not None:  # the page names a stored article, or its text is stored already
            self._link(item, existing, report)
            return False
        self.store.save_extracted(item.id, extracted, canonical)
        item.extracted, item.canonical_url = extracted, canonical
        self._moved(item, "extracted")
        return True

    def _fetch_page(
        self, source: Source, item: ItemRow, report: SourceReport
    ) -> tuple[ArchivedPage | None, str | None]:
        if "#" in item.identity:
            return None, "the item is an anchor in a shared page: kept the feed's text"
        if not source.fetch_full_text:
            return None, "fetch_full_text is off"
        if not item.url or item.identity.startswith("urn:"):
            return None, None
        url = item.identity
        try:
            result = self.fetcher.get(url, source_id=source.id, allow_private=source.allow_private,
                                      accept=PAGE_ACCEPT, check_robots=True, rate=source.rate,
                                      concurrency=source.concurrency)
        except FetchError as exc:
            if self.stop.is_set() or getattr(exc, "retry_after", None) is not None:
                raise _Deferred(str(exc)) from exc  # not the page's fault: try it later, do not settle for less
            report.warnings.append(f"{url}: {exc}")
            logger.info("[%s] %s: %s; keeping the feed's text", source.id, url, exc)
            return None, str(exc)
        return ArchivedPage(url=result.url, body=result.body, content_type=result.content_type,
                            charset=result.charset), None

    def _extract(
        self, source: Source, item: ItemRow, page: ArchivedPage | None, note: str | None, report: SourceReport
    ) -> tuple[dict | None, str]:
        extracted = None
        if page is not None:
            try:
                extracted = extract_page(page.body, url=page.url, source_id=source.id, charset=page.charset)
            except ExtractError as exc:
                note = str(exc)
                report.warnings.append(f"{item.identity}: {note}")
                logger.info("[%s] %s: %s; keeping the feed's text", source.id, item.identity, exc)
        chosen = choose_text(extracted.text if extracted else None, item.content, item.summary, item.title)
        if chosen is None:
            where = item.url or item.guid or item.identity
            report.warnings.append(f"{where}: dropped: no text in the page or the feed")
            logger.warning("[%s] %s: dropped: no text in the page or the feed", source.id, where)
            return None, item.identity
        text, origin = chosen
        published = item.published or _parse_page_date(extracted.date if extracted else None)
        url = item.identity if not item.identity.startswith("urn:") else (item.url or "")
        fields = {
            "url": url or item.identity,
            "title": item.title or (extracted.title if extracted else None),
            "author": item.author or (extracted.author if extracted else None),
            "published": published.isoformat() if published else None,
            "text": text,
            "text_origin": origin,
            "extract_note": note,
            "language": extracted.language if extracted else None,
            "sitename": extracted.sitename if extracted else None,
        }
        return fields, trusted_canonical(extracted.canonical_url if extracted else None, item.identity)

    def _analyze_and_index(self, source: Source, batch: list[ItemRow], report: SourceReport) -> None:
        articles = [self._article(source, item) for item in batch]
        inputs = [
            ArticleInput(
                id=item.identity,
                text=article.text,
                title=article.title,
                published=article.published.isoformat() if article.published else None,
                url=article.url,
                source=source.id,
                jurisdiction_hint=source.jurisdiction,
            )
            for item, article in zip(batch, articles, strict=True)
        ]
        analyses = self._analyze(source, inputs)
        self.store.save_analyses([(item.id, analysis) for item, analysis in zip(batch, analyses, strict=True)])
        for item in batch:
            self._moved(item, "analyzed")
        for item, article, analysis in zip(batch, articles, analyses, strict=True):
            self._index(source, item, analysis, report, article)

    def _index(self, source: Source, item: ItemRow, analysis: dict | None, report: SourceReport,
               article: NewArticle | None = None) -> None:
        stored = self.store.index_item(item.id, article or self._article(source, item), analysis)
        if stored.created:
            report.new += 1
        else:
            report.linked += 1
        self._moved(item, "indexed")

    def _link(self, item: ItemRow, article_id: int, report: SourceReport) -> None:
        self.store.link_item(item.id, article_id)
        report.linked += 1
        logger.debug("[%s] %s: a copy of article %d", item.source_id, item.identity, article_id)
        self._moved(item, "indexed")

    def _moved(self, item: ItemRow, state: str) -> None:
        item.state = state
        if self.on_transition is not None:
            self.on_transition(item.id, state)

    def _article(self, source: Source, item: ItemRow) -> NewArticle:
        fields = dict(item.extracted or {})
        text = fields.pop("text", "") or ""
        published = fields.pop("published", None)
        return NewArticle(
            source_id=source.id,
            canonical_url=item.identity,
            guid=item.guid,
            published=_parse_page_date(published),
            text=text,
            content_hash=hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest(),
            **fields,
        )

    def _analyze(self, source: Source, inputs: list[ArticleInput]) -> list[dict | None]:
        try:
            return list(self.analyzer.analyze_many(inputs))
        except Exception:  # one bad article must not lose the batch: retry one by one
            logger.debug("[%s] batch analysis failed; retrying article by article", source.id, exc_info=True)
        results: list[dict | None] = []
        for article in inputs:
            try:
                results.append(self.analyzer.analyze(article))
            except Exception as exc:
                logger.error("[%s] %s: analyze: %s", source.id, article.url, exc)
                results.append(None)
        return results


def choose_text(page_text: str | None, content: str | None, summary: str | None,
                title: str | None) -> tuple[str, str] | None:
    """The article's text and where it came from: the page, else the feed's content, summary or title."""
    for text, origin in ((page_text, "page"), (content, "feed_content"), (summary, "feed_summary"),
                         (title, "feed_title")):
        if text and text.strip():
            return text, origin
    return None


def _parse_page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
