"""Crawl benchmark: generated feeds with article pages on loopback, a first and a second pass.

Serves ``--feeds`` RSS feeds (default 200) of ``--items`` items each (default 50), every item linking
to a generated article page of a few paragraphs, spread over ``--hosts`` loopback servers (each
127.0.0.1:PORT is one host for the per-host limits). The servers answer conditional requests
(ETag, Last-Modified -> 304). The real ``Crawler`` with the real ``Analyzer`` crawls them into a
fresh SQLite store twice; the second pass runs over unchanged feeds.

Prints for each pass: requests made (feeds answered 200, feeds answered 304, article pages),
articles stored, seconds, items per second.

Per-host politeness is set to ``--rate`` requests/s (default 200) for these loopback hosts: at the
default 1 request/s per host, 10,000 pages on 20 hosts would take hours by design.

    .venv/bin/python bench/crawl.py [--feeds N] [--items N] [--hosts N] [--rate R]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyze import Analyzer, load_nlp  # noqa: E402
from pipeline.crawl import Crawler  # noqa: E402
from pipeline.fetch import Fetcher  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.sources import parse_sources  # noqa: E402
from pipeline.store import Store  # noqa: E402

# -- generated material (our own words) -----------------------------------------------------------

REGULATORS = [
    ("the Federal Trade Commission", "US"), ("the Securities and Exchange Commission", "US"),
    ("the Competition and Markets Authority", "GB"), ("Ofcom", "GB"), ("the European Commission", "EU"),
    ("the CNIL", "FR"), ("the Bundeskartellamt", "DE"), ("the Cyberspace Administration of China", "CN"),
    ("the Ministry of Electronics and Information Technology", "IN"), ("the Japan Fair Trade Commission", "JP"),
    ("the Australian Competition and Consumer Commission", "AU"), ("the Irish Data Protection Commission", "IE"),
]
COMPANIES = ["Nimbus Cloud", "Orchard Devices", "Parcelpoint", "Quillsoft", "Riverbank Payments", "Solstice Media",
             "Tandem Mobility", "Umbra Analytics", "Vantage Social", "Willow Health", "Xylo Games", "Yardley Retail"]
ACTIONS = [
    ("fined {company} {amount} for misleading customers about subscription renewals",
     "The penalty follows an investigation that began last year."),
    ("opened a formal investigation into {company} over its handling of personal data",
     "Officials said the inquiry would examine consent banners and data retention."),
    ("ordered {company} to stop selling connected cameras until security flaws are fixed",
     "The order takes effect on {date} and applies nationwide."),
    ("approved new rules requiring {company} and its rivals to publish algorithm audits",
     "Platforms will have six months to comply with the reporting duties."),
    ("blocked the planned acquisition of {company} by a larger competitor",
     "The authority found the merger would reduce competition in online advertising."),
    ("announced that {company} will exit the market after failing to obtain a licence",
     "Customers have until {date} to move their accounts to another provider."),
]
FILLER = [
    "Consumer groups welcomed the decision and called for similar steps elsewhere.",
    "The company said it would review the ruling and consider an appeal.",
    "Analysts expect the move to shape how other platforms design their products.",
    "Lawmakers have debated tighter oversight of the sector for several years.",
    "A spokesperson declined to say how many users were affected.",
    "The regulator published a summary of its findings alongside the announcement.",
    "Industry associations warned that compliance costs could rise for smaller firms.",
    "Observers noted that the case is the first of its kind in the region.",
    "The authority said it had received hundreds of complaints before acting.",
    "Officials will hold a public consultation on the details next quarter.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]


def article(feed: int, item: int) -> tuple[str, str, str]:
    """(title, summary, html) of one generated article; deterministic for (feed, item)."""
    rng = random.Random(feed * 1000 + item)
    regulator, _ = rng.choice(REGULATORS)
    company = rng.choice(COMPANIES)
    action, follow = rng.choice(ACTIONS)
    date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)} 2025"
    amount = f"${rng.randint(2, 900)} million"
    lead = f"{regulator[0].upper()}{regulator[1:]} {action.format(company=company, amount=amount)}."
    title = lead.rstrip(".")[:110]
    paragraphs = [f"{lead} {follow.format(date=date)}"]
    for _ in range(rng.randint(3, 5)):
        paragraphs.append(" ".join(rng.sample(FILLER, 3)) + f" Case reference {feed}-{item}-{rng.randint(100, 999)}.")
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
            f"<body><header><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></header>"
            f"<main><article><h1>{escape(title)}</h1><p class='byline'>Staff report, {date}</p>{body}</article></main>"
            f"<footer>Generated for the regwatch crawl benchmark.</footer></body></html>")
    return title, paragraphs[0], html


class BenchSite:
    """Feeds and pages of ``feeds`` feeds on ``hosts`` loopback servers, with validators and 304s."""

    def __init__(self, feeds: int, items: int, hosts: int) -> None:
        self.feeds, self.items = feeds, items
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.servers = [self._server() for _ in range(hosts)]
        self.last_modified = formatdate(1_750_000_000, usegmt=True)
        self.feed_bodies = {n: self._feed(n) for n in range(feeds)}

    def host_of(self, feed: int) -> str:
        server = self.servers[feed % len(self.servers)]
        return f"http://127.0.0.1:{server.server_address[1]}"

    def _feed(self, n: int) -> bytes:
        base = self.host_of(n)
        parts = []
        for j in range(self.items):
            title, summary, _ = article(n, j)
            stamp = formatdate(1_750_000_000 - (n * self.items + j) * 600, usegmt=True)
            link = f"{base}/articles/{n}/{j}.html"
            parts.append(f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                         f"<description>{escape(summary)}</description><pubDate>{stamp}</pubDate></item>")
        return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Bench feed {n}</title>"
                f"<link>{base}/</link><description>generated</description>{''.join(parts)}</channel></rss>").encode()

    def _server(self) -> ThreadingHTTPServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = self.path.strip("/").split("/")
                if parts[0] == "feeds" and len(parts) == 2:
                    body = site.feed_bodies.get(int(parts[1].removesuffix(".xml")))
                    etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"' if body else None
                    if body is not None and (self.headers.get("If-None-Match") == etag
                                             or self.headers.get("If-Modified-Since") == site.last_modified):
                        site.count("feed 304")
                        self._reply(304, b"", None, etag)
                        return
                    site.count("feed 200")
                    self._reply(200 if body else 404, body or b"missing", "application/rss+xml", etag)
                elif parts[0] == "articles" and len(parts) == 3:
                    site.count("page")
                    _, _, html = article(int(parts[1]), int(parts[2].removesuffix(".html")))
                    self._reply(200, html.encode(), "text/html; charset=utf-8", None)
                else:
                    site.count("other")
                    self._reply(404, b"not found", "text/plain", None)

            def _reply(self, status: int, body: bytes, content_type: str | None, etag: str | None) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", site.last_modified)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def take_counts(self) -> Counter[str]:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=20, help="loopback servers standing for distinct hosts")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s per host (default 200: loopback)")
    args = parser.parse_args()

    site = BenchSite(args.feeds, args.items, args.hosts)
    lines = ["sources:"]
    for n in range(args.feeds):
        lines.append(f"  - {{id: bench-{n}, name: Bench feed {n}, url: '{site.host_of(n)}/feeds/{n}.xml',"
                     f" allow_private: true, rate: {args.rate:g}}}")
    sources = parse_sources("\n".join(lines) + "\n", Path("bench-sources.yaml")).sources

    started = time.perf_counter()
    load_nlp()
    print(f"spaCy model load: {time.perf_counter() - started:.2f}s (not counted below)")
    print(f"{args.feeds} feeds x {args.items} items on {args.hosts} loopback hosts; "
          f"per-host limit {args.rate:g} requests/s, 1 in flight (loopback: the default is 1 request/s)")

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), host_rate=args.rate, max_items_per_feed=max(args.items, 200))
        store = Store.open(settings.resolved_database_url)
        store.sync_sources(sources)
        with Fetcher(settings) as fetcher:
            crawler = Crawler(settings, store, fetcher, Analyzer(settings), stop=threading.Event())
            stored_before = 0
            for name in ("first pass", "second pass (unchanged feeds)"):
                site.take_counts()
                began = time.perf_counter()
                reports = crawler.crawl(sources)
                seconds = time.perf_counter() - began
                counts = site.take_counts()
                stored = store.count_articles()
                new = stored - stored_before
                stored_before = stored
                seen = sum(r.seen for r in reports)
                failed = [r for r in reports if r.reason]
                requests = sum(counts.values())
                print(f"\n{name}: {requests} requests (feeds 200: {counts['feed 200']}, feeds 304: "
                      f"{counts['feed 304']}, article pages: {counts['page']}, other: {counts['other']})")
                print(f"  articles stored: {new} (total {stored}); items seen in feeds: {seen}; "
                      f"sources failed: {len(failed)}" + (f" (first: {failed[0].reason})" if failed else ""))
                print(f"  {seconds:.1f}s, {new / seconds:.1f} items stored/s, "
                      f"{(args.feeds * args.items) / seconds:.1f} feed items handled/s")
        store.close()
    site.close()


if __name__ == "__main__":
    main()
