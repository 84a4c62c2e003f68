"""The scorer of ``../shared/spec/analysis.md`` ("How quality is scored"): gold items against analyses.

Every measure is micro-averaged: true/false positives and false negatives are summed over all items, then
P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2TP / (2TP + FP + FN). A ratio with nothing to divide by
(nothing predicted, nothing in the gold) is None rather than a made-up 0 or 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.evaluate.gold import GoldCompany, GoldItem

# The suffixes of the spec, plus the spelled-out forms of Inc, Corp and Ltd.
CORPORATE_SUFFIXES = frozenset({
    "inc", "corp", "ltd", "llc", "plc", "co", "group", "holdings", "ag", "sa", "gmbh",
    "incorporated", "corporation", "limited",
})
_POSSESSIVE = re.compile(r"['\u2019]s\b", re.IGNORECASE)

MEASURES = ("relevance", "companies", "jurisdictions", "event_types", "events")
MEASURE_LABELS = {
    "relevance": "relevance",
    "companies": "company",
    "jurisdictions": "jurisdiction",
    "event_types": "event type",
    "events": "event (type, jurisdiction)",
    "effective_date": "effective-date accuracy",
}


def company_key(name: str) -> str:
    """Case-folded, without punctuation, possessive or trailing corporate suffixes: "Apple Inc." -> "apple"."""
    text = _POSSESSIVE.sub("", unicodedata.normalize("NFKC", name)).casefold()
    text = "".join(" " if ch.isspace() else ch for ch in text if not unicodedata.category(ch).startswith(("P", "S")))
    words = text.split()
    while len(words) > 1 and words[-1] in CORPORATE_SUFFIXES:
        words.pop()
    return " ".join(words)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def as_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class ItemErrors:
    """What one item got wrong, measure by measure: (false positives, false negatives)."""

    id: str
    split: str
    where: str
    errors: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"id": self.id, "split": self.split, "where": self.where,
                "errors": {k: {"false_positives": fp, "false_negatives": fn} for k, (fp, fn) in self.errors.items()}}


@dataclass
class Scores:
    items: int = 0
    counts: dict[str, Counts] = field(default_factory=lambda: {m: Counts() for m in MEASURES})
    dated_events: int = 0  # gold events with an effective date
    dates_found: int = 0
    item_errors: list[ItemErrors] = field(default_factory=list)

    @property
    def effective_date_accuracy(self) -> float | None:
        return self.dates_found / self.dated_events if self.dated_events else None

    def as_dict(self) -> dict:
        data: dict = {"items": self.items}
        data.update({m: self.counts[m].as_dict() for m in MEASURES})
        data["effective_date"] = {"accuracy": self.effective_date_accuracy, "correct": self.dates_found,
                                  "gold_dated_events": self.dated_events}
        return data


def score(gold: Sequence[GoldItem], predictions: Sequence[dict]) -> Scores:
    """Micro-averaged scores of ``predictions`` (analyses in the spec's shape, same order as ``gold``)."""
    if len(gold) != len(predictions):
        raise ValueError(f"{len(gold)} gold items but {len(predictions)} predictions")
    scores = Scores()
    for item, pred in zip(gold, predictions, strict=True):
        if pred.get("id") is not None and str(pred["id"]) != item.id:
            raise ValueError(f"prediction for {pred['id']!r} where {item.id!r} was expected")
        scores.items += 1
        errors = ItemErrors(item.id, item.split, item.where)

        decisions = _decision_sets(item, pred)
        _tally(scores, errors, "relevance", *decisions["relevance"])

        tp, fp, fn = match_companies(item.companies, [c.get("name", "") for c in pred.get("companies") or []])
        scores.counts["companies"].add(len(tp), len(fp), len(fn))
        if fp or fn:
            errors.errors["companies"] = (fp, fn)

        _tally(scores, errors, "jurisdictions", {j.get("code") for j in pred.get("jurisdictions") or []},
               set(item.jurisdictions))
        _tally(scores, errors, "event_types", *decisions["event_types"])
        _tally(scores, errors, "events", *decisions["events"])
        pred_events = pred.get("events") or []

        missed_dates = []
        for event in item.events:
            if not event.effective_date:
                continue
            scores.dated_events += 1
            if any(e.get("type") == event.type and e.get("effective_date") == event.effective_date
                   for e in pred_events):
                scores.dates_found += 1
            else:
                missed_dates.append(f"{event.type} {event.effective_date}")
        if missed_dates:
            errors.errors["effective_date"] = ([], missed_dates)
        if errors.errors:
            scores.item_errors.append(errors)
    return scores


def match_companies(gold: Sequence[GoldCompany], predicted: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(matched, false positives, false negatives) by normalised name or alias, one-to-one.

    Predicted names that normalise alike count once. The matching is a maximum bipartite matching, so
    a prediction that fits two gold companies (shared aliases) never costs the other one its match.
    """
    unique: dict[str, str] = {}
    for name in predicted:
        key = company_key(name)
        if key and key not in unique:
            unique[key] = name
    gold_keys = [{company_key(c.name), *(company_key(a) for a in c.aliases)} - {""} for c in gold]
    pred_keys = list(unique)
    owner: dict[int, int] = {}  # gold index -> predicted index

    def augment(p: int, visited: set[int]) -> bool:
        for g, keys in enumerate(gold_keys):
            if g in visited or pred_keys[p] not in keys:
                continue
            visited.add(g)
            if g not in owner or augment(owner[g], visited):
                owner[g] = p
                return True
        return False

    for p in range(len(pred_keys)):
        augment(p, set())
    matched_preds = set(owner.values())
    matched = [unique[pred_keys[p]] for p in sorted(matched_preds)]
    false_pos = [unique[k] for p, k in enumerate(pred_keys) if p not in matched_preds]
    false_neg = [c.name for g, c in enumerate(gold) if g not in owner]
    return matched, false_pos, false_neg


def decision_counts(gold: Sequence[GoldItem], predictions: Sequence[dict]) -> dict[str, Counts]:
    """The relevance, event-type and event counts alone, as ``score`` counts them, without its company
    matching and error lists: what a model's thresholds are chosen on, hundreds of times per training run."""
    counts = {measure: Counts() for measure in ("relevance", "event_types", "events")}
    for item, pred in zip(gold, predictions, strict=True):
        for measure, (predicted, truth) in _decision_sets(item, pred).items():
            counts[measure].add(len(predicted & truth), len(predicted - truth), len(truth - predicted))
    return counts


def _decision_sets(item: GoldItem, pred: dict) -> dict[str, tuple[set, set]]:
    """(predicted, gold) for relevance, event types and (type, jurisdiction) events of one item."""
    events = pred.get("events") or []
    return {
        "relevance": ({"relevant"} if pred.get("relevant") else set(), {"relevant"} if item.relevant else set()),
        "event_types": ({e.get("type") for e in events} - {None}, {e.type for e in item.events}),
        "events": (_pairs((e.get("type"), e.get("jurisdictions") or []) for e in events),
                   _pairs((e.type, e.jurisdictions) for e in item.events)),
    }


def _pairs(events: Iterable[tuple[str | None, Sequence[str]]]) -> set[str]:
    """(type, jurisdiction) pairs, written ``type@CODE``; an event without a jurisdiction gives ``type@-``."""
    pairs = set()
    for kind, codes in events:
        for code in codes or ["-"]:
            pairs.add(f"{kind}@{code}")
    return pairs


def _tally(scores: Scores, errors: ItemErrors, measure: str, predicted: set, gold: set) -> None:
    predicted.discard(None)
    tp = len(predicted & gold)
    fp = sorted(str(x) for x in predicted - gold)
    fn = sorted(str(x) for x in gold - predicted)
    scores.counts[measure].add(tp, len(fp), len(fn))
    if fp or fn:
        errors.errors[measure] = (fp, fn)
