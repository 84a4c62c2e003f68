"""Feed-pass benchmark: a loopback server serves the 41 real corpus feeds and a feed of our own whose
items link to real article pages; regwatch crawls it into a fresh store.

Prints, measured side by side in one run: feedparser-only parsing of the same bytes (the floor),
the first full pass (fetch, parse, extract, analyse, store), and a second pass over unchanged feeds.

    .venv/bin/python bench/crawl_pass.py [--postgres URL] [--pages N]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyze import Analyzer, load_nlp  # noqa: E402
from pipeline.crawl import Crawler  # noqa: E402
from pipeline.errors import ParseError  # noqa: E402
from pipeline.fetch import Fetcher  # noqa: E402
from pipeline.fetch.feeds import parse_feed  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import parse_sources  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.integration.conftest import (  # noqa: E402
    FEEDS,
    PAGES,
    dev_articles_with_html,
    feed_source_id,
    own_feed,
)
from tests.support.server import LoopbackServer, Route  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also run against this (empty) PostgreSQL database URL")
    parser.add_argument("--pages", type=int, default=40, help="real article pages behind the own feed")
    args = parser.parse_args()

    with LoopbackServer() as server:
        server.mount("/feeds/", FEEDS)
        server.mount("/pages/", PAGES)
        articles = dev_articles_with_html()[: args.pages]
        server.add("/own/feed.xml", Route(body=own_feed(server, articles), content_type="application/rss+xml"))
        lines = ["sources:"]
        for path in sorted(FEEDS.iterdir()):
            lines.append(f"  - {{id: {feed_source_id(path)}, name: {path.name}, "
                         f"url: '{server.url('/feeds/' + path.name)}', fetch_full_text: false}}")
        lines.append(f"  - {{id: own-feed, name: own, url: '{server.url('/own/feed.xml')}', allow_private: true}}")
        sources = parse_sources("\n".join(lines) + "\n", Path("bench-sources.yaml")).sources

        started = time.perf_counter()
        parsed_items = 0
        for path in sorted(FEEDS.iterdir()):
            with contextlib.suppress(ParseError):
                parsed_items += len(parse_feed(path.read_bytes(), url=path.as_uri()).items)
        parse_only = time.perf_counter() - started
        print(f"feed parsing only: {len(sources) - 1} feeds, {parsed_items} items in {parse_only:.2f}s")

        # One loopback host serves every feed here: lift the polite default of 1 request/s per host
        # (bench/crawl.py measures politeness itself).
        settings = Settings(host_rate=1000.0)
        print("per-host limit lifted to 1000 requests/s (loopback; the default is 1 request/s per host)")
        started = time.perf_counter()
        load_nlp()
        print(f"spaCy model load: {time.perf_counter() - started:.2f}s (not counted below)")

        targets = []
        tmp = tempfile.TemporaryDirectory()
        targets.append(("sqlite", f"sqlite:///{Path(tmp.name) / 'bench.db'}"))
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for name, url in targets:
            store = Store.open(url)
            store.sync_sources(sources)
            with Fetcher(settings) as fetcher:
                crawler = Crawler(settings, store, fetcher, Analyzer(settings), stop=threading.Event())
                first_started = time.perf_counter()
                reports = crawler.crawl(sources)
                first = time.perf_counter() - first_started
                second_started = time.perf_counter()
                again = crawler.crawl(sources)
                second = time.perf_counter() - second_started
            stored = sum(r.new for r in reports)
            words = sum(len((store.get_article(i) or {}).get("text", "").split()) for i in range(1, stored + 1))
            failed = [r.source_id for r in reports if r.reason]
            print(f"\n[{name}] first pass: {stored} items stored from {len(reports) - len(failed)} feeds "
                  f"({len(failed)} rejected) in {first:.1f}s = {stored / first:.1f} items/s, "
                  f"{words / first:.0f} words/s")
            print(f"[{name}] second pass (unchanged feeds): {sum(r.new for r in again)} new in {second:.2f}s")
            print(f"[{name}] ratios: full pass / parse-only = {first / parse_only:.0f}x; "
                  f"first / second pass = {first / max(second, 1e-9):.0f}x")
            store.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()
