"""Extraction quality of ``pipeline.extract.extract_page`` on the 181-page article-extraction benchmark.

Scoring follows the benchmark's method as described in ``../shared/corpus/README.md``:
``\\w+`` tokens, 4-gram shingle multisets, per-document TP/FP/FN normalised by their
sum, mean precision and mean recall over documents, F1 computed from the two means.
The stored baseline outputs are scored by the same code, side by side.

    .venv/bin/python bench/extraction_quality.py [--corpus DIR] [--limit N] [--variants]

``--variants`` also scores other trafilatura settings, the measurement behind the
defaults in ``pipeline/extract.py``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline import extract as extract_module  # noqa: E402
from pipeline.errors import ExtractError  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "extraction-benchmark"
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(tokens: list[str], n: int = 4) -> Counter[tuple[str, ...]]:
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def document_scores(gold: str, predicted: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one document; None where the document is left out of that mean."""
    gold_shingles, pred_shingles = shingles(tokenize(gold)), shingles(tokenize(predicted))
    tp = fp = fn = 0
    for key in gold_shingles.keys() | pred_shingles.keys():
        g, p = gold_shingles.get(key, 0), pred_shingles.get(key, 0)
        tp += min(g, p)
        fp += max(0, p - g)
        fn += max(0, g - p)
    total = tp + fp + fn
    if total == 0:  # empty vs empty (no shingle at all): a perfect match
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = None if tp + fp == 0 else (1.0 if fp == 0 else tp / (tp + fp))
    recall = None if tp + fn == 0 else (1.0 if fn == 0 else tp / (tp + fn))
    return precision, recall


def corpus_scores(gold: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    precisions, recalls, exact = [], [], 0
    for key, gold_text in gold.items():
        pred_text = predicted.get(key, "")
        precision, recall = document_scores(gold_text, pred_text)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
        exact += tokenize(gold_text) == tokenize(pred_text)
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"f1": f1, "precision": p, "recall": r, "accuracy": exact / len(gold)}


def load_benchmark(
    corpus: Path, limit: int | None
) -> tuple[dict[str, str], dict[str, str], dict[str, bytes]]:
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    gold = {key: truth[key]["articleBody"] for key in keys}
    urls = {key: truth[key]["url"] for key in keys}
    pages = {key: gzip.decompress((corpus / "html" / f"{key}.html.gz").read_bytes()) for key in keys}
    return gold, urls, pages


def run_extractor(
    extract: Callable[[bytes, str], str], urls: dict[str, str], pages: dict[str, bytes]
) -> tuple[dict[str, str], float, int]:
    outputs, failures = {}, 0
    started = time.perf_counter()
    for key, html in pages.items():
        try:
            outputs[key] = extract(html, urls[key])
        except ExtractError:
            outputs[key] = ""
            failures += 1
    return outputs, time.perf_counter() - started, failures


def ours(html: bytes, url: str) -> str:
    return extract_module.extract_page(html, url=url).text


def variant(**options: object) -> Callable[[bytes, str], str]:
    def run(html: bytes, url: str) -> str:
        saved = dict(extract_module.TRAFILATURA_OPTIONS)
        extract_module.TRAFILATURA_OPTIONS.update(options)
        try:
            return extract_module.extract_page(html, url=url).text
        finally:
            extract_module.TRAFILATURA_OPTIONS.clear()
            extract_module.TRAFILATURA_OPTIONS.update(saved)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (sorted ids)")
    parser.add_argument("--variants", action="store_true", help="also score other trafilatura settings")
    args = parser.parse_args()

    gold, urls, pages = load_benchmark(args.corpus, args.limit)
    print(f"{len(gold)} pages from {args.corpus}")
    header = f"{'system':44} {'F1':>6} {'P':>6} {'R':>6} {'acc':>6} {'pages/s':>8} {'failed':>6}"
    print(header)
    print("-" * len(header))

    systems: list[tuple[str, Callable[[bytes, str], str]]] = [
        ("regwatch extract_page (default settings)", ours),
    ]
    if args.variants:
        systems += [
            ("  variant: favor_precision=False", variant(favor_precision=False)),
            ("  variant: favor_recall, precision off", variant(favor_precision=False, favor_recall=True)),
            ("  variant: precision + include_comments", variant(include_comments=True)),
            ("  variant: precision, without metadata", variant(with_metadata=False)),
        ]
    for name, extract in systems:
        outputs, seconds, failures = run_extractor(extract, urls, pages)
        scores = corpus_scores(gold, outputs)
        print(
            f"{name:44} {scores['f1']:6.3f} {scores['precision']:6.3f} {scores['recall']:6.3f} "
            f"{scores['accuracy']:6.3f} {len(pages) / seconds:8.1f} {failures:6d}"
        )

    for path in sorted((args.corpus / "baseline-output").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        records = data["output"] if isinstance(data.get("output"), dict) else data  # two layouts exist
        outputs = {key: (value or {}).get("articleBody") or "" for key, value in records.items()
                   if isinstance(value, dict | type(None))}
        scores = corpus_scores(gold, outputs)
        version = data.get("version") if isinstance(data.get("version"), str) else ""
        label = f"baseline {path.stem} {version}".strip()
        print(
            f"{label:44} {scores['f1']:6.3f} {scores['precision']:6.3f} {scores['recall']:6.3f} "
            f"{scores['accuracy']:6.3f} {'':>8} {'':>6}"
        )


if __name__ == "__main__":
    main()
