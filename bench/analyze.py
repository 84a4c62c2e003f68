"""Analysis speed against the bare spaCy model, one and two processes, with peak memory.

    .venv/bin/python bench/analyze.py [--n 2000] [--batch-size 32] [--corpus DIR]

The texts: every article of ``articles/dev.jsonl`` (file order), then ``briefs/dev.jsonl`` in file order,
the first N in all (never a holdout file). Each run is its own process, started by this script:

  bare        ``spacy.load(model).pipe(texts, batch_size=...)``: the full trained pipeline, nothing excluded
  regwatch    ``Analyzer.analyze_many`` (what ``regwatch analyze`` runs), one process
  regwatch-2  the same with ``processes=2`` (two worker processes, one model each)

Each run loads its model, warms up on 20 texts, then times one pass over all of them; ``--rounds R``
repeats the three runs R times, interleaved, and prints medians (the machine is shared: say its load). Words are
whitespace-separated words of the input texts. Peak memory is the run's own maximum RSS; for regwatch-2
also the largest worker's. Prints words/s of each, regwatch/bare (target >= 0.8) and 2-process/1-process
(target near 2), and words per CPU-second (parent and workers), which a busy machine disturbs less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.records import ArticleInput  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
WARM_UP = 20
MODES = ("bare", "regwatch", "regwatch-2")


def load_articles(corpus: Path, n: int) -> list[ArticleInput]:
    articles: list[ArticleInput] = []
    with (corpus / "articles" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if len(articles) >= n:
                return articles
            row = json.loads(line)
            articles.append(ArticleInput(id=row["id"], text=row["text"], title=row.get("title"),
                                         published=row.get("published")))
    with (corpus / "briefs" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if len(articles) >= n:
                break
            row = json.loads(line)
            articles.append(ArticleInput(id=row["id"], text=row["text"], published=row.get("date")))
    return articles


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds(pids: list[int] | None = None) -> float:
    """CPU time (user + system) of this process, or of the given processes (Linux /proc)."""
    if pids is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def run_one(mode: str, corpus: Path, n: int, batch_size: int) -> dict:
    """One measurement in this process; returns the figures as a dict."""
    articles = load_articles(corpus, n)
    words = sum(len(a.text.split()) for a in articles)
    started = time.perf_counter()
    if mode == "bare":
        import spacy

        from pipeline.analyze.model import available_model

        nlp = spacy.load(available_model())
        texts = [a.text for a in articles]
        for _ in nlp.pipe(texts[:WARM_UP], batch_size=batch_size):
            pass
        loaded, cpu_before = time.perf_counter(), cpu_seconds()
        for _ in nlp.pipe(texts, batch_size=batch_size):
            pass
        cpu, elapsed = cpu_seconds() - cpu_before, time.perf_counter() - loaded
        pipes = nlp.pipe_names
    else:
        from pipeline.analyze import Analyzer
        from pipeline.settings import Settings

        processes = 2 if mode == "regwatch-2" else 1
        analyzer = Analyzer(Settings(analyze_batch_size=batch_size), processes=processes)
        list(analyzer.analyze_many(articles[: WARM_UP * processes]))
        workers = list(analyzer._pool._processes) if analyzer._pool is not None else None
        loaded, cpu_before = time.perf_counter(), cpu_seconds(workers) + (cpu_seconds() if workers else 0.0)
        relevant = sum(r["relevant"] for r in analyzer.analyze_many(articles))
        cpu = cpu_seconds(workers) + (cpu_seconds() if workers else 0.0) - cpu_before
        elapsed = time.perf_counter() - loaded
        pipes = analyzer.nlp.pipe_names if processes == 1 else ["(workers)"]
        analyzer.close()
    result = {"mode": mode, "texts": len(articles), "words": words, "seconds": elapsed,
              "words_per_s": words / elapsed, "cpu_s": cpu, "words_per_cpu_s": words / cpu,
              "load_s": loaded - started, "pipes": pipes, "peak_rss_mb": peak_rss_mb()}
    if mode != "bare":
        result["relevant"] = relevant
    if mode == "regwatch-2":
        result["worker_peak_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1, help="Rounds of the three runs, interleaved; medians.")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args.only, args.corpus, args.n, args.batch_size)))
        return

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            command = [sys.executable, __file__, "--only", mode, "--n", str(args.n), "--batch-size",
                       str(args.batch_size), "--corpus", str(args.corpus)]
            finished = subprocess.run(command, check=True, capture_output=True, text=True)
            r = json.loads(finished.stdout.strip().splitlines()[-1])
            runs[mode].append(r)
            extra = f", largest worker {r['worker_peak_rss_mb']:.0f} MB" if "worker_peak_rss_mb" in r else ""
            print(f"{mode:11} {r['words_per_s']:8,.0f} words/s  ({r['seconds']:.1f} s for {r['texts']} texts, "
                  f"{r['words']:,} words; {r['words_per_cpu_s']:,.0f} words per CPU-s; "
                  f"load + warm-up {r['load_s']:.1f} s)  peak RSS {r['peak_rss_mb']:.0f} MB{extra}  pipes {r['pipes']}",
                  flush=True)
    bare, one, two = (statistics.median(r["words_per_s"] for r in runs[m]) for m in MODES)
    print(f"median words/s: bare {bare:,.0f}, regwatch {one:,.0f}, regwatch 2 processes {two:,.0f}")
    print(f"regwatch / bare spaCy: {one / bare:.2f} (target >= 0.8)")
    print(f"2 processes / 1 process: {two / one:.2f} (target near 2)")
    cpu_one, cpu_two = (statistics.median(r["words_per_cpu_s"] for r in runs[m]) for m in MODES[1:])
    print(f"words per CPU-second, 2 processes / 1 process: {cpu_two / cpu_one:.2f} (1.0 = no parallel overhead; "
          f"the wall-clock ratio reaches 2 only with two idle cores)")
    print(f"relevant: {runs['regwatch'][-1]['relevant']} (1 process), "
          f"{runs['regwatch-2'][-1]['relevant']} (2 processes)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
