"""`regwatch reprocess`: run extraction and analysis again over stored articles, after an upgrade.

An article whose page was archived is extracted again from that raw HTML (with the feed's text as
the fallback, as in the crawl); one stored from feed text only is analysed again. Each article is
rewritten in place (text, metadata, analysis, entities, events, full-text row, signatures): same
id, URL and story, never a second row. Articles stored before the archive existed get their
fingerprint and MinHash here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.analyze import Analyzer
from pipeline.crawl import choose_text
from pipeline.errors import ExtractError
from pipeline.extract import extract_page
from pipeline.records import ArticleInput
from pipeline.store import Store

logger = logging.getLogger(__name__)


@dataclass
class ReprocessReport:
    articles: int = 0
    extracted: int = 0  # re-extracted from the archived page
    analysed_only: int = 0  # no archived page: the stored text analysed again
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def reprocess(
    store: Store,
    analyzer: Analyzer,
    *,
    since: datetime | None = None,
    source_id: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_article: Callable[[int], None] | None = None,
) -> ReprocessReport:
    """Re-extract and re-analyse the matching articles (fetched at or after ``since``, of ``source_id``)."""
    report = ReprocessReport()
    ids = store.articles_to_reprocess(since=since, source_id=source_id)
    if on_start:
        on_start(len(ids))
    for article_id in ids:
        try:
            _one(store, analyzer, article_id, report)
        except Exception as exc:  # one article must not end the run
            report.failed += 1
            report.problems.append(f"article {article_id}: {exc}")
            logger.error("article %d: reprocess: %s", article_id, exc)
        report.articles += 1
        if on_article:
            on_article(article_id)
    return report


def _one(store: Store, analyzer: Analyzer, article_id: int, report: ReprocessReport) -> None:
    article = store.get_article(article_id)
    if article is None:
        return
    changes: dict = {}
    page = store.page_of_article(article_id)
    if page is not None:
        note = None
        try:
            extracted = extract_page(page.body, url=page.url, source_id=article["source_id"], charset=page.charset)
        except ExtractError as exc:
            extracted, note = None, str(exc)
        feed = store.feed_text_of_article(article_id) or {}
        chosen = choose_text(extracted.text if extracted else None, feed.get("content"), feed.get("summary"),
                             feed.get("title") or article["title"])
        if chosen is not None:
            text, origin = chosen
            changes = {
                "text": text, "text_origin": origin, "extract_note": note,
                "content_hash": hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest(),
            }
            if extracted is not None:
                changes.update(language=extracted.language or article["language"],
                               sitename=extracted.sitename or article["sitename"])
        report.extracted += 1
    else:
        report.analysed_only += 1
    text = changes.get("text", article["text"])
    analysis = analyzer.analyze(ArticleInput(
        id=article["canonical_url"], text=text, title=article["title"],
        published=article["published"].isoformat() if article["published"] else None,
        url=article["url"], source=article["source_id"],
    ))
    store.rewrite_article(article_id, changes, analysis)
