"""Rebuilds ``data/event_model.json`` (the event ranker and its calibration) from the gold tune split.

    .venv/bin/python -m pipeline.analyze.train [--gold bench/gold/articles.jsonl bench/gold/briefs.jsonl]
        [--corpus ../shared/corpus] [--output pipeline/analyze/data/event_model.json] [--cv-only]

Only ``tune`` items are read; the ``test`` split is never touched. Deterministic: folds come from a hash
of the item id, the models are fitted by full-batch optimisation from zeros (no random numbers).

Steps: run the rule-based pipeline (cues only) over the tune items; fit the bag-of-words text classifier;
fit the ranker on out-of-fold text probabilities (so it learns how far to trust them on unseen text);
fit the isotonic calibration on out-of-fold ranker scores; choose the keep threshold on out-of-fold
results. An outer k-fold cross-validation of that whole procedure prints an honest estimate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.analyze.components import register_extensions
from pipeline.analyze.dates import parse_published
from pipeline.analyze.events import Event, doc_view, fallback_event, raw_candidates, select_events
from pipeline.analyze.model import build_pipeline, load_base
from pipeline.analyze.ranker import (
    FEATURES,
    MODEL_PATH,
    RELEVANT,
    TYPES,
    Calibration,
    DocView,
    EventModel,
    candidate_features,
    logit,
    text_features,
)
from pipeline.evaluate.gold import GoldItem, load_gold, resolve_inputs
from pipeline.evaluate.score import score

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = (REPO / "bench" / "gold" / "articles.jsonl", REPO / "bench" / "gold" / "briefs.jsonl")
FOLDS = 5
# Chosen by 5-fold cross-validation on tune (relevance, event-type and event F1 on both corpus halves): a
# stronger penalty and a word seen in at least five texts keep the text classifier from memorising the
# phrasing of the training texts, which cost recall on unseen text.
TEXT_L2 = 0.1
RANKER_L2 = 0.03
MIN_DF = 5
MIN_TYPE_EXAMPLES = 8  # below this many tune items, a type gets no prior or text score of its own
LABELS: tuple[str, ...] = (*TYPES, RELEVANT)
THRESHOLDS = tuple(round(0.2 + 0.025 * i, 3) for i in range(21))  # 0.2 .. 0.7
SECONDARIES = (0.6, 0.7, 0.8, 1.0)


@dataclass
class Sample:
    item: GoldItem
    raw: list[Event]
    view: DocView
    features: set[str]
    fallbacks: dict[str, Event | None]

    @property
    def labels(self) -> list[float]:
        types = {e.type for e in self.item.events}
        return [1.0 if t in types else 0.0 for t in TYPES] + [1.0 if self.item.relevant else 0.0]


def fold_of(item_id: str, folds: int = FOLDS) -> int:
    return int(hashlib.sha256(f"fold:{item_id}".encode()).hexdigest(), 16) % folds


def collect(gold_files: Sequence[Path | str], corpus_dir: Path | str | None) -> list[Sample]:
    """The tune items run through the rule pipeline, with every cue kept as a candidate."""
    items = [item for item in load_gold(gold_files) if item.split == "tune"]
    inputs = resolve_inputs(items, corpus_dir)
    register_extensions()
    nlp = build_pipeline(load_base())
    nlp.get_pipe("regwatch_events").model = None  # the rules only: the model is what is being built
    docs = []
    for article in inputs:
        doc = nlp.make_doc(article.text or "")
        doc._.regwatch_published = parse_published(article.published) or _DEFAULT_DAY
        doc._.regwatch_title = article.title
        doc._.regwatch_hint = article.jurisdiction_hint
        docs.append(doc)
    samples = []
    for item, doc in zip(items, nlp.pipe(docs, batch_size=16), strict=True):
        raw = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates or [], doc._.regwatch_published,
                             doc._.regwatch_title)
        view = doc_view(doc, raw, doc._.regwatch_title)
        fallbacks = {
            t: fallback_event(t, doc, doc._.regwatch_entities, doc._.regwatch_dates or [], doc._.regwatch_published,
                              doc._.regwatch_title)
            for t in TYPES
        }
        samples.append(Sample(item, raw, view, text_features(view.text), fallbacks))
    return samples


# --- logistic regression in numpy ------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_text(samples: list[Sample]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Multi-label L2 logistic regression on binary word features (full-batch Nesterov momentum)."""
    df: dict[str, int] = {}
    for s in samples:
        for f in s.features:
            df[f] = df.get(f, 0) + 1
    vocab = sorted(f for f, n in df.items() if n >= MIN_DF)
    index = {f: i for i, f in enumerate(vocab)}
    x = np.zeros((len(samples), len(vocab)))
    for row, s in enumerate(samples):
        x[row, [index[f] for f in s.features if f in index]] = 1.0
    y = np.array([s.labels for s in samples])
    # Solved in the dual (w = x.T @ alpha): n articles << vocabulary, so each step costs n^2, not n * vocabulary.
    n = len(samples)
    kernel = x @ x.T
    alpha = np.zeros_like(y)
    b = np.log((y.mean(axis=0) + 0.01) / (1 - y.mean(axis=0) + 0.01))
    rate = 1.0 / (np.linalg.eigvalsh(kernel).max() / (4 * n) + TEXT_L2)
    velocity, velocity_b = np.zeros_like(alpha), np.zeros_like(b)
    for _ in range(1500):
        look = alpha + 0.9 * velocity
        look_b = b + 0.9 * velocity_b
        p = _sigmoid(kernel @ look + look_b)
        gradient = (p - y) / n + TEXT_L2 * look
        velocity = 0.9 * velocity - rate * gradient
        velocity_b = 0.9 * velocity_b - rate * (p - y).mean(axis=0)
        alpha, b = alpha + velocity, b + velocity_b
    w = x.T @ alpha
    return vocab, w, b


def text_probs(model: tuple[list[str], np.ndarray, np.ndarray], samples: list[Sample]) -> np.ndarray:
    vocab, w, b = model
    index = {f: i for i, f in enumerate(vocab)}
    out = np.zeros((len(samples), w.shape[1]))
    for row, s in enumerate(samples):
        cols = [index[f] for f in s.features if f in index]
        out[row] = _sigmoid(w[cols].sum(axis=0) + b)
    return out


def fit_ranker(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2 logistic regression by Newton's method (IRLS); the last weight is the bias."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    penalty = RANKER_L2 * len(x) * np.eye(xb.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(50):
        p = _sigmoid(xb @ w)
        gradient = xb.T @ (p - y) + penalty @ w
        hessian = (xb * (p * (1 - p))[:, None]).T @ xb + penalty + 1e-9 * np.eye(xb.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def fit_isotonic(scores: np.ndarray, y: np.ndarray) -> Calibration:
    """Pool-adjacent-violators on (score, outcome); knots at block mean scores, smoothed block means."""
    order = np.argsort(scores, kind="stable")
    blocks: list[list[float]] = []  # [sum_y, count, sum_score]
    for i in order:
        blocks.append([float(y[i]), 1.0, float(scores[i])])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            for k in range(3):
                blocks[-1][k] += last[k]
    xs = tuple(b[2] / b[1] for b in blocks)
    ys = tuple((b[0] + 0.5) / (b[1] + 1.0) for b in blocks)  # a little smoothing: no hard 0 or 1
    fixed = [ys[0]]
    for value in ys[1:]:
        fixed.append(max(fixed[-1], value))
    return Calibration(xs, tuple(fixed))


# --- the whole procedure -------------------------------------------------------------------------------------------


def rare_types(samples: list[Sample]) -> tuple[str, ...]:
    counts = {t: sum(1 for s in samples if any(e.type == t for e in s.item.events)) for t in TYPES}
    return tuple(t for t in TYPES if counts[t] < MIN_TYPE_EXAMPLES)


def _rows(samples: list[Sample], probs: np.ndarray, rare: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for s, p in zip(samples, probs, strict=True):
        gold = {e.type for e in s.item.events}
        for k, t in enumerate(TYPES):
            if t in rare:
                x.append(candidate_features(s.view, t, 0.0, typed=False))
            else:
                x.append(candidate_features(s.view, t, logit(float(p[k]))))
            y.append(1.0 if t in gold else 0.0)
    return np.array(x), np.array(y)


def _oof_text(samples: list[Sample]) -> np.ndarray:
    out = np.zeros((len(samples), len(LABELS)))
    folds = [fold_of(s.item.id) for s in samples]
    for k in range(FOLDS):
        train = [s for s, f in zip(samples, folds, strict=True) if f != k]
        test = [i for i, f in enumerate(folds) if f == k]
        if not test or not train:
            continue
        out[test] = text_probs(fit_text(train), [samples[i] for i in test])
    return out


def build(samples: list[Sample]) -> EventModel:
    """Text classifier, ranker, calibration and thresholds from ``samples`` alone."""
    oof = _oof_text(samples)
    rare = rare_types(samples)
    x, y = _rows(samples, oof, rare)
    folds = np.repeat([fold_of(s.item.id) for s in samples], len(TYPES))
    oof_scores = np.zeros(len(y))
    for k in range(FOLDS):
        mask = folds == k
        if mask.any() and (~mask).any():
            w = fit_ranker(x[~mask], y[~mask])
            oof_scores[mask] = np.hstack([x[mask], np.ones((mask.sum(), 1))]) @ w
    calibration = fit_isotonic(oof_scores, y)
    weights = fit_ranker(x, y)
    vocab, w_text, b_text = fit_text(samples)
    keep = np.abs(w_text).max(axis=1) >= 1e-3
    text_weights = {f: list(map(float, w_text[i])) for i, f in enumerate(vocab) if keep[i]}
    model = EventModel(LABELS, list(map(float, b_text)), text_weights, list(map(float, weights)), calibration,
                       rare=rare)
    # thresholds on out-of-fold probabilities: the calibrated map of the out-of-fold ranker scores
    oof_probs = [
        {t: calibration(float(oof_scores[i * len(TYPES) + k])) for k, t in enumerate(TYPES)}
        for i in range(len(samples))
    ]
    best = None
    for secondary in SECONDARIES:
        for threshold in THRESHOLDS:
            trial = model.with_threshold(threshold, secondary)
            objective = _objective(samples, [predict(s, trial, p) for s, p in zip(samples, oof_probs, strict=True)])
            if best is None or objective > best[0] + 1e-9:
                best = (objective, threshold, secondary)
    return model.with_threshold(best[1], best[2])


def predict(sample: Sample, model: EventModel, probs: dict[str, float] | None = None) -> dict:
    """The scored parts of an analysis, for one sample (the same selection the pipeline runs)."""
    probs = probs if probs is not None else model.type_probabilities(sample.view)
    for event in sample.raw:
        event.confidence = event.confidence_raw

    def fallback(event_type: str) -> Event | None:
        made = sample.fallbacks.get(event_type)
        return replace(made) if made is not None else None

    events = select_events(sample.raw, probs, model, fallback)
    return {
        "id": sample.item.id,
        "relevant": bool(events),
        "relevance": max(probs.values(), default=0.0),
        "events": [{**e.as_dict(), "confidence": e.confidence} for e in events],
    }


def _objective(samples: list[Sample], predictions: list[dict]) -> float:
    scores = score([s.item for s in samples], predictions)
    f1 = [scores.counts[m].f1 or 0.0 for m in ("relevance", "event_types", "events")]
    return f1[0] + f1[1] + f1[2]


def cross_validate(samples: list[Sample]) -> tuple[list[dict], list[tuple[float, bool]]]:
    """Out-of-fold predictions of the whole procedure, and (confidence, correct type) pairs of its events."""
    predictions: list[dict | None] = [None] * len(samples)
    reliability: list[tuple[float, bool]] = []
    for k in range(FOLDS):
        train = [s for s in samples if fold_of(s.item.id) != k]
        model = build(train)
        for i, s in enumerate(samples):
            if fold_of(s.item.id) == k:
                predictions[i] = predict(s, model)
                gold = {e.type for e in s.item.events}
                reliability.extend((e["confidence"], e["type"] in gold) for e in predictions[i]["events"])
    return predictions, reliability


def summary(samples: list[Sample], predictions: list[dict]) -> dict:
    out = {}
    for corpus in ("all", "articles", "briefs"):
        chosen = [(s.item, p) for s, p in zip(samples, predictions, strict=True) if corpus in ("all", s.item.corpus)]
        scores = score([c[0] for c in chosen], [c[1] for c in chosen])
        out[corpus] = {m: round(scores.counts[m].f1 or 0.0, 3) for m in ("relevance", "event_types", "events")}
        out[corpus]["items"] = len(chosen)
    return out


def reliability_table(pairs: list[tuple[float, bool]], bins: int = 5) -> list[dict]:
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        chosen = [ok for p, ok in pairs if low <= p < high or (b == bins - 1 and p == 1.0)]
        confs = [p for p, _ in pairs if low <= p < high or (b == bins - 1 and p == 1.0)]
        if chosen:
            rows.append({"bin": f"{low:.1f}-{high:.1f}", "events": len(chosen),
                         "mean_confidence": round(sum(confs) / len(confs), 3),
                         "share_correct": round(sum(chosen) / len(chosen), 3)})
    return rows


_DEFAULT_DAY = parse_published("2025-01-01")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the event model from the gold tune split.")
    parser.add_argument("--gold", nargs="+", default=[str(p) for p in DEFAULT_GOLD])
    parser.add_argument("--corpus", default=None, help="corpus folder (default ../shared/corpus)")
    parser.add_argument("--output", default=str(MODEL_PATH))
    parser.add_argument("--cv-only", action="store_true", help="print the cross-validated estimate, write nothing")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated estimate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    samples = collect(args.gold, args.corpus)
    print(f"tune items: {len(samples)}, features: {len(FEATURES)}")
    meta: dict = {"tune_items": len(samples), "folds": FOLDS, "command": "python -m pipeline.analyze.train"}
    if not args.no_cv:
        predictions, pairs = cross_validate(samples)
        meta["cv_f1"] = summary(samples, predictions)
        meta["cv_reliability"] = reliability_table(pairs)
        print("cross-validated F1 on tune:", json.dumps(meta["cv_f1"]))
        print("reliability of event confidence (out of fold):", json.dumps(meta["cv_reliability"]))
    if args.cv_only:
        return
    model = build(samples)
    model.meta = meta
    Path(args.output).write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
    size = Path(args.output).stat().st_size
    print(f"threshold {model.threshold}, secondary {model.secondary}, text features {len(model.text_weights)}")
    print(f"wrote {args.output} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
