"""Search latency at 100,000 articles: regwatch's run_search against the bare full-text query, SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--articles 100000] [--reuse PATH] [--postgres URL] [--rounds 5]

**The database.** N articles (default 100,000) built from real texts of ``../shared/corpus`` (the dev files
only, never a holdout file): ``articles/dev.jsonl`` (313 news articles and press releases) and
``briefs/dev.jsonl`` (10,362 dated one- or two-sentence news items). Article i takes one *lead* text (a dev
article for 1 in 8 articles, else a brief) and appends 1 to 3 other briefs (a round-up), chosen by a seeded
random generator, so no two articles have the same text; its title is the dev article's title or the
lead brief's first twelve words. Dates: the lead text's own date (2004-2026) at a random hour; articles
whose lead is undated get a random day of 2025. Sources: 40 (``bench-00`` ... ``bench-39``) with tags
``regulator``, ``government``, ``news`` or ``wire``, assigned at random. Stories: 1 in 10 articles is a
syndicated copy of an earlier one (the same text under another source, a day later) and joins its story;
the others are stories of their own.

**The analysis rows** (entities and events, which filters and facets read) come from the real analyzer
(``pipeline.analyze.Analyzer``, the same as ``regwatch analyze``): the first 3,000 distinct lead texts (all
dev articles, then briefs in file order) are analysed once and cached in
``data/bench-search-analyses.jsonl``; every
article gets the analysis of its lead text when the lead is one of those (about 40% of the articles), and
none otherwise (unanalysed articles exist in real stores too: feeds fail, analysis is retried). The
appended briefs are not analysed. MinHash signatures and ``article_band`` rows are not written (search
never reads them).

Rows are inserted with SQL in batches through the store's own schema (Alembic migrations, the FTS5 triggers
on SQLite, the generated ``search_vector`` on PostgreSQL), not one by one through ``Store.store_article``; on
SQLite the triggers of migration 0007 fill the search side tables (``article_fts_rank``, ``article_fts_place``)
as they do for the store. A ``--reuse`` database built before that migration gets them when it is opened.

**The measurement.** 20 representative queries (words, phrases, OR, exclusions, field filters; facets are
always computed), each run ``--rounds`` times after one warm-up run, through ``pipeline.search.run_search``
(page of 20, facets on), and next to each the bare query for the same words on the same database:

  SQLite      SELECT rowid FROM article_fts WHERE article_fts MATCH ? ORDER BY bm25(article_fts) LIMIT 20
  PostgreSQL  SELECT id FROM article WHERE search_vector @@ q ORDER BY ts_rank_cd(search_vector, q) DESC LIMIT 20

(``q`` the tsquery regwatch compiles for the words; the words' MATCH expression likewise). Prints per query
the median of each and their ratio, then p50 and p95 over all runs of all queries, and the ratio of the p95s.
Targets (SQLite, 100,000 articles): p95 under 100 ms, and within 3x of the bare query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from pipeline.search import Query, parse, run_search, searchable_query, to_fts5, to_tsquery  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.store.analysis import entity_rows, event_rows  # noqa: E402
from pipeline.store.models import Article, Entity, Event, Source, Story  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
ANALYSED_TEXTS = 3000
SOURCE_COUNT = 40
TAGS = (["regulator"], ["regulator", "government"], ["news"], ["news", "wire"], ["government"])
JURISDICTIONS = (None, "US", "GB", "EU", "CN", "IN", "JP", "AU", "DE", "FR")
BATCH = 2000
SEED = 20261127

QUERIES = [
    "commission",
    "tariffs",
    "election",
    '"european union"',
    '"prime minister"',
    "trade OR tariff",
    "ban OR sanctions",
    "earthquake -tsunami",
    "court ruling",
    "ftc settlement",
    "merger jurisdiction:US",
    "government since:2025-06",
    "minister tag:regulator",
    "attack jurisdiction:Ukraine",
    "president -trump",
    "war until:2025-06",
    "investigation type:investigation",
    "china OR chinese jurisdiction:CN",
    "police -source:bench-03",
    '"climate change" OR emissions since:2y',
]


# -- the texts ---------------------------------------------------------------------------------


def load_texts() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(dev articles, dev briefs) as dicts with id, title, text, date; the holdout files are never opened."""
    articles, briefs = [], []
    with (CORPUS / "articles" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            articles.append({"id": row["id"], "title": " ".join(row["title"].split()), "text": row["text"],
                             "date": row.get("published")})
    with (CORPUS / "briefs" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            words = row["text"].split()
            briefs.append({"id": row["id"], "title": " ".join(words[:12]) + (" …" if len(words) > 12 else ""),
                           "text": row["text"], "date": row.get("date")})
    return articles, briefs


def analyses(path: Path, leads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The real analysis of the first ANALYSED_TEXTS lead texts, cached in ``path`` (JSON Lines)."""
    wanted = leads[:ANALYSED_TEXTS]
    cached: dict[str, dict[str, Any]] = {}
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                cached[row["id"]] = row
    missing = [t for t in wanted if t["id"] not in cached]
    if missing:
        from pipeline.analyze import Analyzer
        from pipeline.records import ArticleInput

        started = time.perf_counter()
        print(f"analysing {len(missing)} texts with the real analyzer (once; cached in {path}) ...", flush=True)
        with Analyzer(processes=2) as analyzer, path.open("a", encoding="utf-8") as out:
            inputs = [ArticleInput(id=t["id"], text=t["text"], title=t["title"], published=t["date"]) for t in missing]
            for result in analyzer.analyze_many(inputs):
                cached[str(result["id"])] = result
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
        print(f"  analysed in {time.perf_counter() - started:.0f} s", flush=True)
    return {t["id"]: cached[t["id"]] for t in wanted if t["id"] in cached}


# -- the database ------------------------------------------------------------------------------


def plan_articles(n: int, dev: list[dict[str, Any]], briefs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """N article rows (without ids) plus ``lead`` and ``copy_of`` (index of the article it syndicates)."""
    rng = random.Random(SEED)
    planned: list[dict[str, Any]] = []
    for i in range(n):
        if planned and rng.random() < 0.1:  # a syndicated copy of a recent article
            original = rng.randrange(max(0, len(planned) - 500), len(planned))
            base = planned[original]
            planned.append({**base, "source_id": _other_source(rng, base["source_id"]),
                            "published": base["published"] + timedelta(days=1), "copy_of": original,
                            "url": f"https://bench.example/{i}"})
            continue
        lead = dev[rng.randrange(len(dev))] if rng.random() < 0.125 else briefs[rng.randrange(len(briefs))]
        extra = [briefs[rng.randrange(len(briefs))]["text"] for _ in range(rng.randint(1, 3))]
        when = _date(lead["date"], rng)
        planned.append({
            "source_id": f"bench-{rng.randrange(SOURCE_COUNT):02d}",
            "url": f"https://bench.example/{i}",
            "title": lead["title"],
            "text": lead["text"] + "\n\n" + "\n\n".join(extra),
            "published": when,
            "lead": lead["id"],
            "copy_of": None,
        })
    return planned


def _other_source(rng: random.Random, source_id: str) -> str:
    while True:
        other = f"bench-{rng.randrange(SOURCE_COUNT):02d}"
        if other != source_id:
            return other


def _date(value: str | None, rng: random.Random) -> datetime:
    try:
        day = date.fromisoformat(value[:10]) if value else None
    except ValueError:
        day = None
    if day is None:
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=UTC)


def build(url: str, n: int, cache: Path) -> None:
    """Create the store at ``url`` (migrated) and fill it with N articles; prints how long it took."""
    started = time.perf_counter()
    dev, briefs = load_texts()
    dev = [a for a in dev if a["text"].strip()]
    leads = dev + briefs
    analysed = analyses(cache, leads)
    planned = plan_articles(n, dev, briefs)
    rng = random.Random(SEED + 1)
    story_ids: list[int] = []  # the story id of each planned article, in order
    with Store.open(url) as store:
        with store.engine.begin() as conn:
            now = datetime.now(UTC)
            conn.execute(Source.__table__.insert(), [
                {"id": f"bench-{i:02d}", "name": f"Bench source {i}", "url": f"https://bench.example/feed/{i}",
                 "kind": "feed", "jurisdiction": rng.choice(JURISDICTIONS), "tags": rng.choice(TAGS),
                 "active": True, "created_at": now, "consecutive_failures": 0}
                for i in range(SOURCE_COUNT)])
            for start in range(0, n, BATCH):
                chunk = planned[start:start + BATCH]
                _insert_chunk(conn, chunk, start + 1, story_ids, analysed)
                if (start + len(chunk)) % 20000 == 0 or start + len(chunk) == n:
                    print(f"  {start + len(chunk)} articles ({time.perf_counter() - started:.0f} s)", flush=True)
        with store.engine.connect() as conn:  # fresh statistics for the query planners
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE"))
    print(f"built {n} articles in {time.perf_counter() - started:.0f} s: {url}", flush=True)


def _insert_chunk(conn: Any, chunk: list[dict[str, Any]], first_id: int, story_ids: list[int],
                  analysed: dict[str, dict[str, Any]]) -> None:
    """Articles first_id.. with their stories (a copy joins its original's) and analysis rows."""
    article_rows, story_rows, entities, events = [], [], [], []
    for offset, row in enumerate(chunk):
        article_id = first_id + offset
        if row["copy_of"] is None:
            story_id = article_id  # story ids follow the first article's id
            story_rows.append({"id": story_id, "first_seen": row["published"], "last_seen": row["published"],
                               "title": row["title"], "earliest_article_id": article_id,
                               "latest_article_id": article_id, "article_count": 1})
        else:
            story_id = story_ids[row["copy_of"]]
        story_ids.append(story_id)
        analysis = analysed.get(row["lead"])
        article_rows.append({
            "id": article_id, "source_id": row["source_id"], "url": row["url"], "canonical_url": row["url"],
            "title": row["title"], "published": row["published"], "fetched_at": row["published"],
            "text": row["text"], "text_origin": "page", "language": "en", "story_id": story_id,
            "relevant": analysis.get("relevant") if analysis else None,
            "relevance": analysis.get("relevance") if analysis else None,
            "summary": analysis.get("summary") if analysis else None, "analysis": analysis,
        })
        if analysis:
            entities += entity_rows(article_id, analysis)
            events += event_rows(article_id, analysis)
    if story_rows:
        conn.execute(Story.__table__.insert(), story_rows)
    conn.execute(Article.__table__.insert(), article_rows)
    if entities:
        conn.execute(Entity.__table__.insert(), entities)
    if events:
        conn.execute(Event.__table__.insert(), events)


# -- the measurement ---------------------------------------------------------------------------


def bare_query(conn: Any, dialect: str, query: str) -> int:
    parsed = searchable_query(parse(query))
    words = Query(parsed.include, parsed.exclude)  # the words of the query, without its filters
    if dialect == "sqlite":
        rows = conn.execute(text("SELECT rowid FROM article_fts WHERE article_fts MATCH :q "
                                 "ORDER BY bm25(article_fts) LIMIT 20"), {"q": to_fts5(words)}).all()
    else:
        tsquery, params = to_tsquery(words)
        rows = conn.execute(text(f"SELECT id FROM article WHERE search_vector @@ {tsquery} "
                                 f"ORDER BY ts_rank_cd(search_vector, {tsquery}) DESC LIMIT 20"), params).all()
    return len(rows)


def measure(url: str, rounds: int) -> None:
    with Store.open(url) as store:
        dialect = store.engine.dialect.name
        count = store.count_articles()
        print(f"\n{dialect}: {count} articles, {len(QUERIES)} queries x {rounds} runs (after one warm-up each)")
        print(f"{'query':44} {'stories':>8} {'regwatch ms':>12} {'bare ms':>9} {'ratio':>6}   (CPU ms of this process)")
        ours_all, bare_all, ours_cpu, bare_cpu = [], [], [], []
        with store.engine.connect() as conn:
            for query in QUERIES:
                result = run_search(store, query)  # warm-up
                bare_query(conn, dialect, query)
                ours, bare, cpu_o, cpu_b = [], [], [], []
                for _ in range(rounds):
                    started, cpu = time.perf_counter(), time.process_time()
                    run_search(store, query)
                    ours.append((time.perf_counter() - started) * 1000)
                    cpu_o.append((time.process_time() - cpu) * 1000)
                    started, cpu = time.perf_counter(), time.process_time()
                    bare_query(conn, dialect, query)
                    bare.append((time.perf_counter() - started) * 1000)
                    cpu_b.append((time.process_time() - cpu) * 1000)
                ours_all += ours
                bare_all += bare
                ours_cpu += cpu_o
                bare_cpu += cpu_b
                mo, mb = statistics.median(ours), statistics.median(bare)
                co, cb = statistics.median(cpu_o), statistics.median(cpu_b)
                print(f"{query[:44]:44} {result.total:>8} {mo:>12.1f} {mb:>9.1f} {mo / mb:>6.1f}"
                      f"   ({co:.1f} / {cb:.1f})")
        p50o, p95o = _percentile(ours_all, 50), _percentile(ours_all, 95)
        p50b, p95b = _percentile(bare_all, 50), _percentile(bare_all, 95)
        print(f"{'p50 over all runs':44} {'':>8} {p50o:>12.1f} {p50b:>9.1f} {p50o / p50b:>6.1f}")
        print(f"{'p95 over all runs':44} {'':>8} {p95o:>12.1f} {p95b:>9.1f} {p95o / p95b:>6.1f}")
        if dialect == "sqlite":  # in-process: CPU time is what the work costs, whatever else the machine runs
            c50, c95 = _percentile(ours_cpu, 50), _percentile(ours_cpu, 95)
            b50, b95 = _percentile(bare_cpu, 50), _percentile(bare_cpu, 95)
            print(f"{'CPU ms p50 / p95':44} {'':>8} {c50:>5.1f} /{c95:>5.1f} {b50:>4.1f} /{b95:>5.1f}"
                  f" {c95 / b95:>5.1f}")
        if dialect == "sqlite":
            verdict = "meets" if p95o < 100 and p95o <= 3 * p95b else "misses"
            print(f"target (p95 < 100 ms and <= 3x the bare query's p95): {verdict} it")


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def load_note() -> str:
    try:
        one, five, _ = (float(x) for x in Path("/proc/loadavg").read_text().split()[:3])
        return f"machine load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"
    except OSError:
        return "machine load unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the database")
    parser.add_argument("--reuse", type=Path, help="SQLite file: used as it is when it exists, else built there")
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty database to build and measure too")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each query")
    args = parser.parse_args()
    path = args.reuse or REPO / "data" / f"bench-search-{args.articles}.db"
    cache = REPO / "data" / "bench-search-analyses.jsonl"
    url = f"sqlite:///{path}"
    if not (args.reuse and path.exists()):
        if path.exists():
            path.unlink()
        build(url, args.articles, cache)
    print(load_note())
    measure(url, args.rounds)
    if args.postgres:
        build(args.postgres, args.articles, cache)
        measure(args.postgres, args.rounds)


if __name__ == "__main__":
    main()
