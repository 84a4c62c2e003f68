"""One pass over sources: fetch each feed, fetch and extract new items' pages,
analyse them, and store them.

The crawler never stops on one bad source or item: every failure becomes a
one-line reason on the source's report and health row, and the pass goes on.
Nothing is stored for an item until it has been analysed, so an interrupted
pass (SIGTERM, crash) leaves no half-written article and the next pass picks
the item up again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from pipeline.analyze import Analyzer
from pipeline.errors import ExtractError, FetchError, ParseError, RegwatchError
from pipeline.extract import extract_page
from pipeline.fetch import Fetcher
from pipeline.fetch.feeds import parse_feed
from pipeline.records import ArticleInput, FeedItem
from pipeline.settings import Settings
from pipeline.sources import Source, parse_duration
from pipeline.store import Store
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

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class _Candidate:
    item: FeedItem
    canonical_url: str
    article: NewArticle | None = None


def next_poll_after(source: Source, settings: Settings, consecutive_failures: int, now: datetime) -> datetime:
    """The source's interval after a success; a growing, capped back-off after failures."""
    if consecutive_failures <= 0:
        return now + source.interval
    first = parse_duration(settings.retry_after_failure)
    ceiling = parse_duration(settings.max_retry_interval)
    delay = min(first * (2 ** min(consecutive_failures - 1, 20)), ceiling)
    return now + max(delay, timedelta(seconds=1))


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


class Crawler:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        analyzer: Analyzer,
        *,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.analyzer = analyzer
        self.stop = stop or threading.Event()

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

    def crawl_source(self, source: Source) -> SourceReport:
        started = time.monotonic()
        report = SourceReport(source.id)
        state = self.store.source_state(source.id)
        etag = last_modified = content_hash = None
        try:
            # The feed URL is the user's own configuration, so a loopback or private feed is allowed;
            # links found inside it follow the source's allow_private.
            result = self.fetcher.get(
                source.url, source_id=source.id, allow_private=True, etag=state.etag,
                last_modified=state.last_modified, accept=FEED_ACCEPT,
            )
            etag, last_modified = result.etag, result.last_modified
            if result.not_modified:
                report.not_modified = True
            else:
                content_hash = hashlib.sha256(result.body).hexdigest()
                if content_hash == state.content_hash:
                    report.not_modified = True
                else:
                    feed = parse_feed(result.body, url=result.url, content_type=result.content_type,
                                      source_id=source.id)
                    if feed.warning:
                        report.warnings.append(f"parse: {feed.warning}")
                    self._take_items(source, result.url, feed.items, report)
        except (FetchError, ParseError) as exc:
            report.reason = str(exc)  # the caller reports it once, with the next retry time
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
            next_poll=next_poll_after(source, self.settings, failures, now),
        )
        return report

    def _take_items(self, source: Source, feed_url: str, items: list[FeedItem], report: SourceReport) -> None:
        items = items[: self.settings.max_items_per_feed]
        report.seen = len(items)
        candidates: list[_Candidate] = []
        seen_here: set[str] = set()
        for item in items:
            canonical = item_identity(item, source, feed_url)
            if canonical in seen_here or self.store.known_item(
                source_id=source.id, guid=item.guid, canonical_url=canonical
            ):
                continue
            seen_here.add(canonical)
            candidates.append(_Candidate(item, canonical))

        batch: list[_Candidate] = []
        for candidate in candidates:
            if self.stop.is_set():
                report.interrupted = True
                break
            article = self._build_article(source, candidate, report)
            if article is None:
                report.failed += 1
                continue
            candidate.article = article
            batch.append(candidate)
            if len(batch) >= self.settings.analyze_batch_size:
                self._analyze_and_store(source, batch, report)
                batch = []
        if batch:
            self._analyze_and_store(source, batch, report)

    def _build_article(self, source: Source, candidate: _Candidate, report: SourceReport) -> NewArticle | None:
        item = candidate.item
        url = candidate.canonical_url if not candidate.canonical_url.startswith("urn:") else (item.url or "")
        page = None
        note = None
        if "#" in candidate.canonical_url:
            note = "the item is an anchor in a shared page: kept the feed's text"
        elif source.fetch_full_text and item.url and not candidate.canonical_url.startswith("urn:"):
            try:
                result = self.fetcher.get(url, source_id=source.id, allow_private=source.allow_private,
                                          accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
                page = extract_page(result.body, url=result.url, source_id=source.id, charset=result.charset)
            except (FetchError, ExtractError) as exc:
                note = str(exc)
                report.warnings.append(f"{url}: {note}")
                logger.info("[%s] %s: %s; keeping the feed's text", source.id, url, exc)
        elif not source.fetch_full_text:
            note = "fetch_full_text is off"
        if page and page.text.strip():
            text, origin = page.text, "page"
        elif item.content and item.content.strip():
            text, origin = item.content, "feed_content"
        elif item.summary and item.summary.strip():
            text, origin = item.summary, "feed_summary"
        elif item.title and item.title.strip():
            text, origin = item.title, "feed_title"
        else:
            report.warnings.append(f"{url or item.guid}: dropped: no text in the page or the feed")
            logger.warning("[%s] %s: dropped: no text in the page or the feed", source.id, url or item.guid)
            return None
        title = item.title or (page.title if page else None)
        return NewArticle(
            source_id=source.id,
            url=url or candidate.canonical_url,
            canonical_url=candidate.canonical_url,
            guid=item.guid,
            title=title,
            author=item.author or (page.author if page else None),
            published=item.published or _parse_page_date(page.date if page else None),
            text=text,
            text_origin=origin,
            extract_note=note,
            language=page.language if page else None,
            sitename=page.sitename if page else None,
            content_hash=hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest(),
        )

    def _analyze_and_store(self, source: Source, batch: list[_Candidate], report: SourceReport) -> None:
        inputs = [
            ArticleInput(
                id=c.canonical_url,
                text=c.article.text,
                title=c.article.title,
                published=c.article.published.isoformat() if c.article.published else None,
                url=c.article.url,
                source=source.id,
                jurisdiction_hint=source.jurisdiction,
            )
            for c in batch
        ]
        analyses = self._analyze(source, inputs)
        for candidate, analysis in zip(batch, analyses, strict=True):
            article_id = self.store.add_article(candidate.article, analysis)
            if article_id is not None:
                report.new += 1

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


def _parse_page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
