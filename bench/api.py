"""Latency of the JSON API and the exports on a large store: lists, filters, stats and full exports.

Builds a store of N synthetic stories (one article each, with one event, a company and a jurisdiction;
dates spread over eleven years, three sources, thirteen event types, ten jurisdictions), written straight
into the tables through SQLAlchemy, so the figures are those of the API's own queries, not of the crawl.
Each request goes through the real app (FastAPI TestClient: routing, validation, serialisation). Prints
the median time of each request and, for the exports, rows per second.

    .venv/bin/python bench/api.py [--articles N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402

from pipeline.settings import Settings  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.models import Article, Entity, Event, Source, Story  # noqa: E402

TYPES = ["market_exit", "market_entry", "sales_restriction", "service_restriction", "compliance_change",
         "law_or_regulation", "ban", "fine_or_penalty", "investigation", "sanction_or_export_control",
         "merger_decision", "license_or_approval", "trade_or_tax"]
CODES = ["US", "CN", "EU", "GB", "IN", "JP", "US-CA", "AU", "DE", "FR"]
SOURCES = ["wire", "regulators", "govuk"]
STATUSES = ["proposed", "announced", "in_effect", "reversed"]
BATCH = 5000


def build(url: str, articles: int) -> None:
    start = datetime(2015, 1, 1, tzinfo=UTC)
    with Store.open(url) as store, store.engine.begin() as conn:
        conn.execute(insert(Source.__table__), [{"id": s, "name": s, "url": f"https://{s}.example/feed", "kind": "feed",
                                                  "tags": [], "active": True, "created_at": start,
                                                  "consecutive_failures": 0} for s in SOURCES])
        for first in range(1, articles + 1, BATCH):
            ids = range(first, min(first + BATCH, articles + 1))
            when = {i: start + timedelta(hours=i * 96_000 // articles) for i in ids}
            conn.execute(insert(Story.__table__), [
                {"id": i, "first_seen": when[i], "last_seen": when[i], "title": f"Story {i}", "earliest_article_id": i,
                 "latest_article_id": i, "article_count": 1} for i in ids])
            conn.execute(insert(Article.__table__), [
                {"id": i, "source_id": SOURCES[i % 3], "url": f"https://news.example/{i}",
                 "canonical_url": f"https://news.example/{i}", "title": f"Story {i}", "published": when[i],
                 "fetched_at": when[i], "text": f"Regulators and Company {i % 50} in story {i}.",
                 "text_origin": "page", "story_id": i, "fingerprint": f"fp{i}"} for i in ids])
            conn.execute(insert(Event.__table__), [
                {"article_id": i, "type": TYPES[i % 13], "actor": f"Company {i % 50}", "actor_kind": "company",
                 "jurisdictions": [CODES[i % 10]], "status": STATUSES[i % 4], "confidence": 0.5,
                 "evidence": f"Company {i % 50} changes its policy."} for i in ids])
            conn.execute(insert(Entity.__table__), [
                row for i in ids for row in (
                    {"article_id": i, "kind": "company", "name": f"Company {i % 50}", "code": None, "mentions": 2},
                    {"article_id": i, "kind": "jurisdiction", "name": CODES[i % 10], "code": CODES[i % 10],
                     "mentions": 3})])
        if conn.dialect.name == "postgresql":
            for table in ("story", "article", "event", "entity"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT MAX(id) FROM {table}))")


def measure(url: str, data_dir: Path, articles: int) -> None:
    from fastapi.testclient import TestClient

    from pipeline.api import create_app

    def timed(client: TestClient, path: str, rounds: int = 5, **params: str) -> tuple[float, bytes]:
        times = []
        for _ in range(rounds):
            began = time.perf_counter()
            response = client.get(path, params=params)
            times.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise SystemExit(f"{path} {params}: HTTP {response.status_code} {response.text[:200]}")
        return statistics.median(times), response.content

    with Store.open(url) as store, TestClient(create_app(Settings(database_url=url, data_dir=data_dir),
                                                         store=store)) as client:
        first = client.get("/api/events", params={"limit": 50}).json()["next_cursor"]
        cases = [
            ("/api/events", {"limit": "50"}),
            ("/api/events", {"limit": "50", "cursor": first}),
            ("/api/events", {"limit": "50", "jurisdiction": "US"}),
            ("/api/events", {"limit": "50", "type": "ban", "since": "2020-01-01"}),
            ("/api/events", {"limit": "50", "company": "company 7"}),
            ("/api/stories", {"limit": "50"}),
            ("/api/stories", {"limit": "50", "jurisdiction": "CN"}),
            ("/api/stats", {"by": "week", "since": "2024-01-01"}),
            ("/api/stats", {"by": "week"}),
            ("/api/sources", {}),
        ]
        print(f"{store.engine.dialect.name}, {articles:,} articles")
        print(f"{'request':72} {'median ms':>10}")
        for path, params in cases:
            seconds, _ = timed(client, path, **params)
            query = "&".join(f"{k}={v if k != 'cursor' else '(page 2)'}" for k, v in params.items())
            print(f"{path + ('?' + query if query else ''):72} {seconds * 1000:10.1f}")
        for path in ("/api/export/events.csv", "/api/export/stories.jsonl"):
            seconds, body = timed(client, path, rounds=1)
            rows = body.count(b"\n") - (1 if path.endswith(".csv") else 0)
            print(f"{path:72} {seconds * 1000:10.1f}   {rows:,} rows, {rows / seconds:,.0f} rows/s, "
                  f"{len(body) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL (postgresql+psycopg://...)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the test client's notice about httpx
    with tempfile.TemporaryDirectory(prefix="regwatch-bench-api-") as tmp:
        url = args.postgres or f"sqlite:///{Path(tmp) / 'regwatch.db'}"
        began = time.perf_counter()
        build(url, args.articles)
        print(f"built in {time.perf_counter() - began:.1f} s")
        measure(url, Path(tmp), args.articles)


if __name__ == "__main__":
    main()
