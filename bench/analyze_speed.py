"""Throughput and peak memory of the analyze stage, single process.

    .venv/bin/python bench/analyze_speed.py [--n 200] [--batch-size 16] [--repeat 3]

Reads the first N articles of ../shared/corpus/articles/dev.jsonl, runs ``Analyzer.analyze_many`` and
prints words/s (whitespace words of the input text), articles/s, and peak RSS. For scale it also
times the bare NER pipeline (the model with the same components excluded) on the same texts, so the
cost of the regwatch components shows as a ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.analyze import Analyzer, load_nlp  # noqa: E402
from pipeline.analyze.model import load_base, model_label  # noqa: E402
from pipeline.records import ArticleInput  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "articles" / "dev.jsonl"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with CORPUS.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(args.n), handle, strict=False)]
    articles = [
        ArticleInput(id=r["id"], text=r["text"], title=r.get("title"), published=r.get("published"))
        for r in rows
    ]
    words = sum(len(a.text.split()) for a in articles)
    print(f"articles: {len(articles)}, words: {words:,}, batch size: {args.batch_size}")
    print(f"peak RSS before loading the model: {peak_rss_mb():.0f} MB")

    started = time.perf_counter()
    nlp = load_nlp()
    print(f"model: {model_label(nlp)}, pipes: {nlp.pipe_names}")
    print(f"load time: {time.perf_counter() - started:.2f} s, peak RSS after load: {peak_rss_mb():.0f} MB")

    analyzer = Analyzer(Settings(analyze_batch_size=args.batch_size), nlp=nlp)
    list(analyzer.analyze_many(articles[:10]))  # warm-up: lazy tables, dateparser caches

    timings = []
    relevant = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        results = list(analyzer.analyze_many(articles))
        timings.append(time.perf_counter() - started)
        relevant = sum(r["relevant"] for r in results)
    best, median = min(timings), statistics.median(timings)
    print(
        f"analyze_many: median {median:.2f} s, best {best:.2f} s -> "
        f"{words / median:,.0f} words/s (best {words / best:,.0f}), {len(articles) / median:.1f} articles/s"
    )
    print(f"relevant: {relevant}/{len(articles)}")
    print(f"peak RSS after analyze_many: {peak_rss_mb():.0f} MB")

    bare = load_base()
    texts = [a.text for a in articles]
    list(bare.pipe(texts[:10]))
    ner_timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for _doc in bare.pipe(texts, batch_size=args.batch_size):
            pass
        ner_timings.append(time.perf_counter() - started)
    ner_median = statistics.median(ner_timings)
    print(
        f"bare NER ({bare.pipe_names}): {words / ner_median:,.0f} words/s; "
        f"full analyze costs {median / ner_median:.2f}x the bare NER"
    )
    print(f"peak RSS at the end: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
