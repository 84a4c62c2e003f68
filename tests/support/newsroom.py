"""A small loopback newsroom and a store filled from it by the real crawler, for search, API and web tests.

Three sources serve RSS feeds whose items link to article pages on the same loopback server. The pages
are built here from real texts of ``../shared/corpus/articles/dev.jsonl`` (never the holdout file), read
at run time and never copied into the repository:

- ``wire`` (a news desk, tags ``news``, ``wire``): company and world news from Wikinews and MEANTIME;
- ``regulators`` (US, tag ``regulator``): FTC press releases (fines, settlements, merger orders);
- ``govuk`` (GB, tags ``regulator``, ``government``): GOV.UK announcements and CMA cases.

One story is carried by two sources: ``wire`` runs the FTC's Disney release a day later under its own
headline with the closing sentences cut (a near-duplicate, so the crawler puts both in one story). One
``wire`` article has ``<script>`` and ``onerror=`` payloads in its headline and body (escaped in the
HTML, so they arrive as text), for the escaping tests of the API and the web pages.

``fill_store`` runs ``pipeline.crawl.Crawler`` with the real fetcher and the real spaCy analysis over
that site once; the analysis model is loaded once per process and shared between calls.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any
from xml.sax.saxutils import escape

from tests.support.server import LoopbackServer, Route

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
DEV_ARTICLES = CORPUS / "articles" / "dev.jsonl"

SCRIPT_PAYLOAD = "<script>alert(1)</script>"
IMG_PAYLOAD = "<img src=x onerror=alert(2)>"


@dataclass(frozen=True)
class SourceSpec:
    id: str
    name: str
    jurisdiction: str | None
    tags: tuple[str, ...]


SOURCES = (
    SourceSpec("wire", "Wire news desk", None, ("news", "wire")),
    SourceSpec("regulators", "US regulators' press releases", "US", ("regulator",)),
    SourceSpec("govuk", "GOV.UK announcements", "GB", ("regulator", "government")),
)


@dataclass(frozen=True)
class Piece:
    """One article of the newsroom: a corpus text, the source that runs it, and what is changed."""

    corpus_id: str
    source: str
    published: str | None = None  # ISO date; the corpus date when None
    title: str | None = None  # the corpus title when None
    drop_last_sentences: int = 0
    payload: bool = False  # put SCRIPT_PAYLOAD and IMG_PAYLOAD in the headline and the body


DUPLICATE_ID = "ftc-disney-pay-10-million-settle-ftc-allegations-company-enabled-unlawful-collection"
PAYLOAD_ID = "ftc-alleges-sendit-app-its-ceo-unlawfully-collected-personal-data-children-decei"

PIECES = (
    Piece("ftc-approves-final-divestiture-order-synopsys-ansys-deal", "regulators"),
    Piece("ftc-ed-tech-provider-chegg-pay-75-million-settle-ftc-allegations-concerning-unlawful", "regulators"),
    Piece("ftc-sues-live-nation-ticketmaster-engaging-illegal-ticket-resale-tactics-deceivi", "regulators"),
    Piece(DUPLICATE_ID, "regulators"),
    Piece("ftc-sends-126-million-refunds-fortnite-players-who-were-charged-unwanted-items-r", "regulators"),
    Piece("ftc-obtains-permanent-ban-e-commerce-business-opportunity-scheme-operator", "regulators"),
    Piece("govuk-government-publications-further-businesses-and-premises-to-close", "govuk"),
    Piece("govuk-cma-cases-richemont-yoox-net-a-porter-merger-inquiry", "govuk"),
    Piece("govuk-guidance-eu-rules-on-the-use-of-chemicals", "govuk"),
    Piece("govuk-government-news-public-approval-for-driving-limits-for-16-drugs", "govuk"),
    Piece("meantime-89284", "wire"),
    Piece("meantime-113227", "wire"),
    Piece("meantime-195869", "wire"),
    Piece("meantime-127227", "wire"),
    Piece("wikinews-russian-tatars-not-allowed-to-use-latin-alphabet", "wire"),
    Piece("wikinews-japan-to-reduce-aid-to-china", "wire", published="2005-01-03"),
    Piece("wikinews-australia-to-deport-asylum-seekers-to-tsunami-zone", "wire"),
    Piece("gum-news-flag", "wire"),
    Piece("gum-news-taxes", "wire"),
    Piece(DUPLICATE_ID, "wire", published="2025-09-03",
          title="Disney agrees $10m settlement over children's data on YouTube", drop_last_sentences=3),
    Piece(PAYLOAD_ID, "wire", title=f"App maker accused {SCRIPT_PAYLOAD} of collecting children's data {IMG_PAYLOAD}",
          payload=True),
)

ARTICLE_COUNT = len(PIECES)  # articles stored (the Disney copy is an article of its own, in the same story)
STORY_COUNT = ARTICLE_COUNT - 1


@cache
def corpus_articles() -> dict[str, dict[str, Any]]:
    """The dev articles by id (the holdout file is never read)."""
    rows = {}
    with open(DEV_ARTICLES, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows[row["id"]] = row
    return rows


@dataclass
class Page:
    """An article page as served: its slug, headline, date and body paragraphs (plain text)."""

    piece: Piece
    slug: str
    title: str
    published: str
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


_SENTENCE_END = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])")


def build_page(piece: Piece, number: int) -> Page:
    """The page of one piece: the corpus text without its leading headline, in paragraphs of a few sentences."""
    row = corpus_articles()[piece.corpus_id]
    title = piece.title or " ".join(row["title"].split())
    body = row["text"]
    if body.startswith(row["title"]):
        body = body[len(row["title"]):]
    sentences = [s for s in _SENTENCE_END.split(" ".join(body.split())) if s.strip()]
    sentences = [s for s in sentences if not re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", s.strip())]
    if piece.drop_last_sentences:
        sentences = sentences[: -piece.drop_last_sentences]
    if piece.payload:
        sentences.insert(1, f"A reader comment read {SCRIPT_PAYLOAD} and {IMG_PAYLOAD} in full.")
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    published = piece.published or row["published"]
    if not published:
        raise ValueError(f"{piece.corpus_id}: the corpus gives no date; set Piece.published")
    return Page(piece, f"{piece.source}/{number:02d}-{piece.corpus_id[:40]}", title, published, paragraphs)


def render_page(page: Page) -> bytes:
    """The HTML of an article page; every corpus string is escaped, so payloads arrive as text."""
    title = html.escape(page.title)
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in page.paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{page.published}T08:00:00Z"></head>'
        f"<body><header><nav><a href=\"/\">Home</a></nav></header><main><article><h1>{title}</h1>"
        f"<p class=\"byline\">Published {page.published}</p>{paragraphs}</article></main>"
        "<footer>Newsroom test site</footer></body></html>"
    ).encode()


def render_feed(source: SourceSpec, pages: list[Page], base: str) -> bytes:
    """An RSS 2.0 feed of ``pages``; titles are HTML-escaped text (RSS titles are read as HTML), so a title
    that mentions ``<script>`` keeps it as text."""
    items = []
    for page in pages:
        link = f"{base}/articles/{page.slug}.html"
        date = format_datetime(datetime.fromisoformat(page.published).replace(hour=8, tzinfo=UTC))
        summary = page.paragraphs[0][:300] if page.paragraphs else page.title
        items.append(
            f"<item><title>{escape(html.escape(page.title))}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
            f"<description>{escape(summary)}</description><pubDate>{date}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(source.name)}</title><link>{base}/</link><description>newsroom test feed</description>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


class NewsroomSite:
    """The loopback site (a context manager): ``feed_url(source_id)``, ``pages`` and ``sources_yaml()``."""

    def __init__(self) -> None:
        self.server = LoopbackServer()
        self.pages = [build_page(piece, number) for number, piece in enumerate(PIECES, start=1)]
        for page in self.pages:
            self.server.add(f"/articles/{page.slug}.html", Route(body=render_page(page)))

    def __enter__(self) -> NewsroomSite:
        self.server.__enter__()
        for source in SOURCES:
            pages = [page for page in self.pages if page.piece.source == source.id]
            self.server.add(f"/feeds/{source.id}.xml", Route(body=render_feed(source, pages, self.server.base),
                                                               content_type="application/rss+xml"))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.server.__exit__(exc_type, exc, tb)

    def feed_url(self, source_id: str) -> str:
        return self.server.url(f"/feeds/{source_id}.xml")

    def sources_yaml(self) -> str:
        lines = ["sources:"]
        for source in SOURCES:
            lines += [f"  - id: {source.id}", f"    name: \"{source.name}\"", f"    url: {self.feed_url(source.id)}",
                      "    interval: 30m", f"    tags: [{', '.join(source.tags)}]", "    allow_private: true"]
            if source.jurisdiction:
                lines.append(f"    jurisdiction: {source.jurisdiction}")
        return "\n".join(lines) + "\n"


@cache
def _analyzer() -> Any:
    """One real Analyzer per process: the spaCy model is loaded once for every store filled."""
    from pipeline.analyze import Analyzer
    from pipeline.settings import Settings

    return Analyzer(Settings())


def fill_store(database_url: str, data_dir: Path) -> None:
    """Crawl the newsroom once into ``database_url`` (migrated first) with the real crawler and analysis.

    Raises RuntimeError naming the source when a source fails or an item cannot be stored, so a fixture
    never hands out a half-filled store.
    """
    from sqlalchemy import text

    from pipeline.crawl import Crawler
    from pipeline.fetch import Fetcher
    from pipeline.settings import Settings
    from pipeline.sources import parse_sources
    from pipeline.store import Store

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, database_url=database_url, host_rate=1000, host_concurrency=4)
    with NewsroomSite() as site:
        sources = parse_sources(site.sources_yaml(), data_dir / "newsroom-sources.yaml").sources
        with Store.open(database_url) as store, Fetcher(settings) as fetcher:
            store.sync_sources(sources)
            reports = Crawler(settings, store, fetcher, _analyzer()).crawl(sources)
            stored = store.count_articles()
            with store.engine.connect() as conn:
                unanalysed = conn.execute(text("SELECT COUNT(*) FROM article WHERE analysis IS NULL")).scalar()
    problems = [f"{r.source_id}: {r.reason or f'{r.failed} item(s) failed'}" for r in reports
                if not r.ok or r.failed]
    if problems:
        raise RuntimeError(f"newsroom crawl failed: {'; '.join(problems)}")
    if stored != ARTICLE_COUNT:
        raise RuntimeError(f"newsroom crawl stored {stored} articles, expected {ARTICLE_COUNT}")
    if unanalysed:
        raise RuntimeError(f"newsroom crawl: {unanalysed} article(s) stored without analysis (see the log)")
