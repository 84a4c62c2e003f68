"""`kill -9` at random moments, then restart, until a pass completes: every item is indexed exactly once.

A loopback site serves three feeds (30 entries: 28 distinct articles, two entries of the third feed
are tracking-parameter copies of the first feed's) whose pages answer after a short delay.
`regwatch crawl --once` runs as a real process and is killed with SIGKILL after seeded random
delays; the last run is left to finish.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.server import LoopbackServer, Route

REPO = Path(__file__).resolve().parents[2]
FEEDS = {"alpha": 10, "beta": 10, "gamma": 8}
KILLS = 6
SEED = 20240601


def body(feed: str, n: int) -> str:
    rng = random.Random(f"{feed}-{n}")
    words = ["regulator", "ruling", "platform", "licence", "tariff", "privacy", "merger", "court", "agency",
             "export", "audit", "consumer", "operator", "payment", "telecom", "chip", f"{feed}{n}word"]
    return " ".join(" ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(12))


def page(feed: str, n: int) -> bytes:
    paragraphs = "".join(f"<p>{s}.</p>" for s in body(feed, n).split(". "))
    return (f"<html><head><title>{feed} {n}</title></head><body><article><h1>{feed} story {n}</h1>"
            f"{paragraphs}</article></body></html>").encode()


def rss(server: LoopbackServer, entries: list[tuple[str, str]]) -> bytes:
    items = "".join(f"<item><title>{title}</title><link>{link.replace('&', '&amp;')}</link>"
                    f"<description>Summary of {title}.</description></item>" for title, link in entries)
    return f'<rss version="2.0"><channel><title>t</title><link>{server.base}</link>{items}</channel></rss>'.encode()


def item_states(db: str) -> dict[str, int]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text("SELECT state, COUNT(*) FROM item GROUP BY state")).all())
    except Exception:  # killed before the schema existed
        return {}
    finally:
        engine.dispose()


def run_until_done(cmd: list[str], env: dict[str, str], rng: random.Random,
                   after_kill=lambda: None) -> tuple[int, int, str]:
    """Runs and kills; returns (runs, kills, output of the last run)."""
    runs = kills = 0
    while True:
        runs += 1
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if kills < KILLS:
            try:
                output, _ = proc.communicate(timeout=rng.uniform(1.5, 5.0))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()
                kills += 1
                after_kill()
                continue
        else:
            output, _ = proc.communicate(timeout=120)
        if proc.returncode == 0:
            return runs, kills, output
        raise AssertionError(f"crawl exited with {proc.returncode}:\n{output}")


def test_sigkill_at_random_points_then_restart_indexes_every_item_exactly_once(tmp_path):
    with LoopbackServer() as server:
        entries: dict[str, list[tuple[str, str]]] = {}
        for feed, count in FEEDS.items():
            entries[feed] = []
            for n in range(count):
                server.add(f"/{feed}/{n}", Route(body=page(feed, n), delay=0.08))
                entries[feed].append((f"{feed} story {n}", server.url(f"/{feed}/{n}")))
        entries["gamma"] += [("alpha story 0 (wire)", server.url("/alpha/0?utm_source=gamma")),
                             ("alpha story 1 (wire)", server.url("/alpha/1?fbclid=x&utm_medium=rss"))]
        lines = ["sources:"]
        for feed, items in entries.items():
            server.add(f"/{feed}.xml", Route(body=rss(server, items), content_type="application/rss+xml"))
            lines.append(f"  - {{id: {feed}, name: {feed}, url: '{server.url(f'/{feed}.xml')}', interval: 1h, "
                         "allow_private: true}")
        sources = tmp_path / "sources.yaml"
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = f"sqlite:///{tmp_path / 'regwatch.db'}"
        env = dict(os.environ, REGWATCH_DATABASE_URL=db, PYTHONUNBUFFERED="1", COLUMNS="200")
        cmd = [sys.executable, "-m", "pipeline.cli", "crawl", "--once", "--sources", str(sources)]
        started = time.monotonic()
        at_kill: list[dict[str, int]] = []
        runs, kills, output = run_until_done(cmd, env, random.Random(SEED), lambda: at_kill.append(item_states(db)))
        elapsed = time.monotonic() - started

    items = sum(len(v) for v in entries.values())
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            states = dict(conn.execute(text("SELECT state, COUNT(*) FROM item GROUP BY state")).all())
            articles = conn.execute(text("SELECT COUNT(*) FROM article")).scalar_one()
            distinct_urls = conn.execute(text("SELECT COUNT(DISTINCT canonical_url) FROM article")).scalar_one()
            unlinked = conn.execute(text("SELECT COUNT(*) FROM item WHERE article_id IS NULL")).scalar_one()
            per_article = conn.execute(text(
                "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM item WHERE source_id != 'gamma' "
                "GROUP BY article_id) AS counts")).scalar_one()
            fts = conn.execute(text("SELECT COUNT(*) FROM article_fts")).scalar_one()
    finally:
        engine.dispose()
    duplicates = articles - distinct_urls
    print(f"\nkill test: {runs} runs, {kills} SIGKILLs, {items} items, {articles} articles, "
          f"{duplicates} duplicates found, {elapsed:.1f}s; item states at each kill: {at_kill}")
    assert "Traceback" not in output
    assert states == {"indexed": items}, states
    assert articles == distinct_urls == items - 2  # the two wire copies link to alpha's articles
    assert duplicates == 0 and unlinked == 0 and per_article == 1
    assert fts == articles
