"""Scale-out benchmark: one backlog of real articles through 1 and 2 workers on PostgreSQL, and through
`regwatch run` on SQLite, side by side in one run.

    .venv/bin/python bench/scale.py [--n 2000] [--modes pg-1 pg-2 sqlite]

PostgreSQL: the suite's server (``REGWATCH_TEST_PG_ADMIN_URL``, default postgres@127.0.0.1:5432), where each
PostgreSQL mode creates a database of its own and drops it afterwards.

The backlog: the first N texts of ``articles/dev.jsonl`` then ``briefs/dev.jsonl`` (as bench/analyze.py; never
a holdout file), each served as an HTML page by a loopback site and listed in one of 20 RSS feeds (the sources,
polled once: their interval is an hour). Each mode starts from an empty store and runs the real commands as
processes:

  pg-1      `regwatch scheduler` + one `regwatch worker`, PostgreSQL (a fresh database, dropped afterwards)
  pg-2      `regwatch scheduler` + two `regwatch worker` processes, PostgreSQL
  sqlite    `regwatch run` (one process), SQLite

until every item is indexed. Politeness is off (the site is our own). Printed per mode: the wall time from the
processes' start (model loading included) and articles per second over it, and the steady rate: articles per
second between the first and the last article indexed (the items' own timestamps). Then the ratios: pg-2 / pg-1
(target >= 1.7 on a 2-core machine) and pg-1 / sqlite (target >= 0.85: PostgreSQL within 15% of SQLite).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.analyze import DEFAULT_CORPUS, load_articles  # noqa: E402
from tests.conftest import fresh_pg_database  # noqa: E402
from tests.support.server import LoopbackServer, Route  # noqa: E402

FEEDS = 20


def page(title: str, body: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n") if p.strip())
    return (f"<html><head><title>{escape(title)}</title></head><body><article><h1>{escape(title)}</h1>"
            f"{paragraphs}</article></body></html>").encode()


def build_site(server: LoopbackServer, n: int, corpus: Path, directory: Path) -> tuple[Path, int]:
    articles = load_articles(corpus, n)
    feeds: list[list[str]] = [[] for _ in range(FEEDS)]
    words = 0
    for number, article in enumerate(articles):
        title = article.title or article.text.split(". ")[0][:120]
        server.add(f"/a/{number}", Route(body=page(title, article.text)))
        words += len(article.text.split())
        link = server.url(f"/a/{number}")
        pub = f"<pubDate>{_rfc822(article.published)}</pubDate>" if article.published else ""
        feeds[number % FEEDS].append(f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                                     f"<description>{escape(article.text[:200])}</description>{pub}</item>")
    lines = ["sources:"]
    for index, items in enumerate(feeds):
        body = (f'<rss version="2.0"><channel><title>feed {index}</title><link>{server.base}</link>'
                f"{''.join(items)}</channel></rss>").encode()
        server.add(f"/feed/{index}.xml", Route(body=body, content_type="application/rss+xml"))
        lines.append(f"  - {{id: feed-{index}, name: feed {index}, url: '{server.url(f'/feed/{index}.xml')}', "
                     "interval: 1h, allow_private: true}")
    sources = directory / "sources.yaml"
    sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sources, words


def _rfc822(value: str) -> str:
    from datetime import UTC, datetime
    from email.utils import format_datetime

    try:
        return format_datetime(datetime.fromisoformat(value[:10]).replace(tzinfo=UTC))
    except ValueError:
        return ""


def run_mode(mode: str, db: str, sources: Path, n: int, work: Path) -> dict:
    env = dict(os.environ, REGWATCH_DATABASE_URL=db, REGWATCH_DATA_DIR=str(work / mode),
               REGWATCH_HOST_RATE="100000", REGWATCH_HOST_CONCURRENCY="16",
               REGWATCH_ALERTS_FILE=str(work / "no-alerts.yaml"), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-m", "pipeline.cli", "db", "upgrade"], cwd=REPO, env=env, check=True,
                   capture_output=True)
    roles = {"pg-1": ["scheduler", "worker"], "pg-2": ["scheduler", "worker", "worker"], "sqlite": ["run"]}[mode]
    logs = []
    started = time.monotonic()
    processes = []
    for number, role in enumerate(roles):
        log = (work / f"{mode}-{number}-{role}.log").open("w")
        logs.append(log)
        processes.append(subprocess.Popen([sys.executable, "-m", "pipeline.cli", role, "--sources", str(sources)],
                                          cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
    engine = create_engine(db)
    try:
        while True:
            with engine.connect() as conn:
                final = conn.execute(text("SELECT COUNT(*) FROM item WHERE state IN ('indexed', 'failed')")
                                     ).scalar_one()
            if final >= n:
                break
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"{mode}: a process exited early; see {work}/{mode}-*.log")
            time.sleep(0.25)
        wall = time.monotonic() - started
        with engine.connect() as conn:
            first, last, indexed, articles = conn.execute(text(
                "SELECT MIN(updated_at), MAX(updated_at), COUNT(*), COUNT(DISTINCT article_id) FROM item "
                "WHERE state = 'indexed'")).one()
    finally:
        engine.dispose()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    first, last = _moment(first), _moment(last)
    span = max(1e-9, last - first)
    return {"mode": mode, "items": n, "indexed": indexed, "articles": articles, "wall": wall, "rate": n / wall,
            "steady": (indexed - 1) / span}


def _moment(value) -> float:
    from datetime import datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--modes", nargs="+", default=["pg-1", "pg-2", "sqlite"])
    args = parser.parse_args()
    results = []
    with LoopbackServer() as server, tempfile.TemporaryDirectory(prefix="regwatch-scale-") as tmp:
        work = Path(tmp)
        sources, words = build_site(server, args.n, args.corpus, work)
        print(f"backlog: {args.n} articles ({words:,} words) in {FEEDS} feeds on a loopback site; "
              f"{os.cpu_count()} CPUs")
        for mode in args.modes:
            if mode == "sqlite":
                result = run_mode(mode, f"sqlite:///{work / 'sqlite' / 'regwatch.db'}", sources, args.n, work)
            else:
                with fresh_pg_database() as db:
                    result = run_mode(mode, db, sources, args.n, work)
            results.append(result)
            print(f"{mode:7} {result['wall']:7.1f} s wall  {result['rate']:6.1f} articles/s  "
                  f"steady {result['steady']:6.1f} articles/s  ({result['indexed']} items indexed, "
                  f"{result['articles']} articles)", flush=True)
    by_mode = {r["mode"]: r for r in results}
    if "pg-1" in by_mode and "pg-2" in by_mode:
        one, two = by_mode["pg-1"], by_mode["pg-2"]
        print(f"pg-2 / pg-1: {two['rate'] / one['rate']:.2f}x wall, {two['steady'] / one['steady']:.2f}x steady "
              "(target >= 1.7)")
    if "pg-1" in by_mode and "sqlite" in by_mode:
        one, lite = by_mode["pg-1"], by_mode["sqlite"]
        print(f"pg-1 / sqlite: {one['rate'] / lite['rate']:.2f} wall, {one['steady'] / lite['steady']:.2f} steady "
              "(target >= 0.85)")


if __name__ == "__main__":
    main()
