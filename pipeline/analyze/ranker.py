"""The trained part of event detection: which event types an article really reports, and how sure to be.

The cue patterns of ``cues.py`` propose candidate events (high recall, many false alarms). For every
(article, event type) pair a small logistic model scores the candidates from a few features (the best
cue's raw confidence and strength, how many sentences carry it, whether the lead or title does, how many
types compete) plus a bag-of-words text classifier's probability for the type. The score is mapped to a
calibrated probability, P(the article reports an event of this type), by an isotonic map fitted on
cross-validated predictions, and a type is kept when that probability reaches the model's threshold.

Everything lives in ``data/event_model.json``, rebuilt by ``python -m pipeline.analyze.train`` from the
tune split of ``bench/gold``; inference is plain Python (no numpy, no pickles).
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from pipeline.analyze.cues import EVENT_TYPES

MODEL_PATH = Path(__file__).parent / "data" / "event_model.json"
TYPES: tuple[str, ...] = tuple(EVENT_TYPES)
RELEVANT = "relevant"  # the text classifier's extra label: any event at all
LABELS_ALL: tuple[str, ...] = (*TYPES, RELEVANT)
TEXT_WORDS = 250  # the text classifier reads the first words only: the lead says what the story is
SHORT_WORDS = 90  # a brief, not an article
_WORD = re.compile(r"[a-z][a-z0-9'\u2019-]*|\d[\d,.]*")
_NUMBER = re.compile(r"^\d")
_LOGIT_CLIP = 6.0


def text_features(text: str, max_words: int = TEXT_WORDS, pairs: bool = False) -> set[str]:
    """Lower-cased words (numbers folded to ``<num>``) of the first ``max_words`` words, and with ``pairs``
    their word pairs too. Words alone cross-validate as well as words and pairs on the tune split, with a
    tenth of the features: less to memorise about the phrasing of the training texts."""
    words = ["<num>" if _NUMBER.match(w) else w for w in _WORD.findall(text.lower())[:max_words]]
    if not pairs:
        return set(words)
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return max(-_LOGIT_CLIP, min(_LOGIT_CLIP, math.log(p / (1 - p))))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass
class Candidate:
    """What the cue patterns found for one event type in one article (raw confidences of the rules)."""

    type: str
    raw: float = 0.0  # best raw confidence, 0 when no cue matched
    strength: float = 0.0
    sentences: int = 0
    lead: bool = False
    title: bool = False
    named: bool = False  # some cue of the type has its actor named in the same sentence
    company: bool = False  # some cue of the type has a company named in its sentence
    person: bool = False  # every cue of the type has a person named in its sentence
    background: bool = False  # every cue of the type is in a sentence about an earlier year


@dataclass
class DocView:
    """An article as the ranker sees it: its text, candidates per type, and a few counts."""

    text: str
    candidates: dict[str, Candidate] = field(default_factory=dict)
    words: int = 0

    @property
    def cue_types(self) -> int:
        return sum(1 for c in self.candidates.values() if c.raw > 0)


FEATURES: tuple[str, ...] = (
    "has_cue", "raw", "strength", "sentences", "lead", "title", "named", "text", "short", "short_text", "cue_types",
    "company", "person", "background", "relevant_text",
    *(f"type={t}" for t in TYPES),
)


def candidate_features(
    view: DocView, event_type: str, text_logit: float, typed: bool = True, relevant_logit: float = 0.0
) -> list[float]:
    """The ranker's inputs for one type. ``typed`` False (a type too rare in the training data to learn its
    own prior): no type indicator, and the caller passes a neutral text logit."""
    c = view.candidates.get(event_type) or Candidate(event_type)
    short = 1.0 if view.words < SHORT_WORDS else 0.0
    values = [
        1.0 if c.raw > 0 else 0.0,
        c.raw,
        c.strength,
        math.log1p(c.sentences),
        1.0 if c.lead else 0.0,
        1.0 if c.title else 0.0,
        1.0 if c.named else 0.0,
        text_logit,
        short,
        short * text_logit,
        math.log1p(view.cue_types),
        1.0 if c.company else 0.0,
        1.0 if c.person else 0.0,
        1.0 if c.background else 0.0,
        relevant_logit,
    ]
    return values + [1.0 if typed and t == event_type else 0.0 for t in TYPES]


@dataclass(frozen=True)
class Calibration:
    """A non-decreasing piecewise-linear map from a raw score to a probability (isotonic fit)."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, score: float) -> float:
        if not self.xs:
            return sigmoid(score)
        if score <= self.xs[0]:
            return self.ys[0]
        if score >= self.xs[-1]:
            return self.ys[-1]
        i = bisect_right(self.xs, score)
        x0, x1, y0, y1 = self.xs[i - 1], self.xs[i], self.ys[i - 1], self.ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (score - x0) / (x1 - x0)


def plain_statement(candidate: Candidate | None) -> bool:
    """A strong cue, its actor named beside it, near the top, not about a person or an earlier year."""
    return (
        candidate is not None
        and candidate.strength >= 1.0
        and candidate.named
        and candidate.lead
        and not candidate.background
        and not candidate.person
    )


@dataclass(frozen=True)
class Head:
    """A ranker of its own for some types (the company-side ones), which the real news of the training data
    hardly shows: weights over FEATURES (then the bias), calibration and keep threshold of their own. It
    judges a type only where one of its cues matched; without a cue the type is not reported."""

    types: tuple[str, ...]
    weights: tuple[float, ...]
    calibration: Calibration
    threshold: float

    def probability(self, features: list[float]) -> float:
        *weights, bias = self.weights
        return self.calibration(bias + sum(w * x for w, x in zip(weights, features, strict=True)))

    def to_json(self) -> dict:
        return {
            "types": list(self.types),
            "weights": _rounded(self.weights),
            "calibration": {"xs": _rounded(self.calibration.xs), "ys": _rounded(self.calibration.ys)},
            "threshold": round(self.threshold, 4),
        }

    @classmethod
    def from_json(cls, data: dict) -> Head:
        return cls(tuple(data["types"]), tuple(data["weights"]),
                   Calibration(tuple(data["calibration"]["xs"]), tuple(data["calibration"]["ys"])),
                   float(data["threshold"]))


# What the blend reads for each type (``blend_inputs``) and for the whole story (``gate_inputs``), as logits.
BLEND_INPUTS: tuple[str, ...] = (
    "ranker", "classifier", "classifier_relevant", "classifier_margin", "classifier_top", "ranker_margin",
)
GATE_INPUTS: tuple[str, ...] = ("classifier_relevant", "ranker_best", "classifier_best")


def blend_inputs(ranked: dict[str, float], classified: dict[str, float]) -> dict[str, list[float]]:
    """Per type: the ranker's and the classifier's logit, the classifier's "relevant" logit, and how the type
    stands against the story's other types: its classifier logit less the best other type's, whether it is
    the classifier's most probable type, and its ranker logit less the best other type's. Stories mostly
    report one change, so a type that the classifier ranks second is less likely reported than the same
    probability alone says (five-fold on the tune split: event-type F1 on the articles 0.575 -> 0.586)."""
    types = list(ranked)
    by_classifier = {t: logit(classified.get(t, 0.5)) for t in types}
    by_ranker = {t: logit(p) for t, p in ranked.items()}
    relevant = logit(classified.get(RELEVANT, 0.5))
    out = {}
    for t in types:
        other_c = max((v for u, v in by_classifier.items() if u != t), default=-_LOGIT_CLIP)
        other_r = max((v for u, v in by_ranker.items() if u != t), default=-_LOGIT_CLIP)
        c = by_classifier[t]
        out[t] = [by_ranker[t], c, relevant, c - other_c, 1.0 if c >= other_c else 0.0, by_ranker[t] - other_r]
    return out


def gate_inputs(ranked: dict[str, float], classified: dict[str, float]) -> list[float]:
    """The classifier's "relevant" logit, the ranker's best type's and the classifier's best type's: the
    classifier's type outputs are a second opinion on whether anything is reported (five-fold on the tune
    split: relevance F1 0.828 -> 0.840)."""
    return [
        logit(classified.get(RELEVANT, 0.5)),
        logit(max(ranked.values(), default=0.0)),
        logit(max((classified.get(t, 0.5) for t in ranked), default=0.0)),
    ]


@dataclass(frozen=True)
class Blend:
    """The cue ranker and the fine-tuned text classifier together, fitted on tune items that neither had seen
    (``train.fit_blend``):

    - ``gate``: P(the article reports any event), logistic over ``GATE_INPUTS`` (then the bias); an article
      below ``gate_threshold`` reports no event;
    - ``weights``: P(type), logistic over ``BLEND_INPUTS`` (then the bias); an article through the gate keeps
      the types at or above the model's threshold, and at least its most probable one.

    The ranker's probabilities here include its floor for plain statements (``plain_statement``), which also
    stays under the blended probability."""

    weights: tuple[float, ...]  # per BLEND_INPUTS, then the bias
    gate: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0)  # per GATE_INPUTS, then the bias
    gate_threshold: float = 0.5

    def __post_init__(self):
        if len(self.weights) != len(BLEND_INPUTS) + 1 or len(self.gate) != len(GATE_INPUTS) + 1:
            raise ValueError(f"a blend has {len(BLEND_INPUTS) + 1} weights and {len(GATE_INPUTS) + 1} gate weights; "
                             "rebuild it: python -m pipeline.analyze.train")

    def __call__(self, inputs: list[float]) -> float:
        return _logistic(self.weights, inputs)

    def relevance(self, inputs: list[float]) -> float:
        return _logistic(self.gate, inputs)

    def to_json(self) -> dict:
        return {"inputs": list(BLEND_INPUTS), "gate_inputs": list(GATE_INPUTS), "weights": _rounded(self.weights),
                "gate": _rounded(self.gate), "gate_threshold": round(self.gate_threshold, 4)}

    @classmethod
    def from_json(cls, data: dict) -> Blend:
        if data.get("inputs") != list(BLEND_INPUTS) or data.get("gate_inputs") != list(GATE_INPUTS):
            raise ValueError("the event model's blend has other inputs; rebuild it: python -m pipeline.analyze.train")
        return cls(tuple(float(w) for w in data["weights"]), tuple(float(w) for w in data["gate"]),
                   float(data["gate_threshold"]))


@dataclass
class EventModel:
    labels: tuple[str, ...]
    text_bias: list[float]
    text_weights: dict[str, list[float]]  # feature -> one weight per label
    ranker_weights: list[float]  # per FEATURES, then the bias
    calibration: Calibration
    threshold: float = 0.5
    secondary: float = 0.7  # raw confidence for a second event of a kept type (another actor or place)
    rare: tuple[str, ...] = ()  # types with too few training examples: judged on the cue features alone
    meta: dict = field(default_factory=dict)
    head: Head | None = None  # the company-side types' own ranker, when trained
    # P(type reported) when a strong cue with its actor named opens the story (measured on the tune split):
    # a floor under the ranker, which short texts with rare words can talk out of a plain statement
    rule_precision: float = 0.0
    blend: Blend | None = None  # the fine-tuned text classifier's weight against the cue ranker, when trained

    def threshold_for(self, event_type: str) -> float:
        if self.head is not None and event_type in self.head.types:
            return self.head.threshold
        return self.threshold

    def text_probs(self, text: str) -> dict[str, float]:
        totals = list(self.text_bias)
        for feature in text_features(text):
            weights = self.text_weights.get(feature)
            if weights is not None:
                for i, w in enumerate(weights):
                    totals[i] += w
        return {label: sigmoid(t) for label, t in zip(self.labels, totals, strict=True)}

    def raw_score(self, features: list[float]) -> float:
        *weights, bias = self.ranker_weights
        return bias + sum(w * x for w, x in zip(weights, features, strict=True))

    def type_probabilities(
        self, view: DocView, text_probs: dict[str, float] | None = None, encoder: dict[str, float] | None = None
    ) -> dict[str, float]:
        """Calibrated P(type reported) for every type of the taxonomy (``judge`` without the relevance)."""
        return self.judge(view, text_probs, encoder)[0]

    def judge(
        self, view: DocView, text_probs: dict[str, float] | None = None, encoder: dict[str, float] | None = None
    ) -> tuple[dict[str, float], float | None]:
        """(P(type reported) per type, P(any event reported)). ``text_probs``: the bag-of-words probabilities
        (``text_probs``, computed when not given); ``encoder``: the fine-tuned text classifier's
        (``encoder.py``), blended in when the model has a blend. The second value is the blend's gate, None
        without a blend or classifier."""
        probs = text_probs if text_probs is not None else self.text_probs(view.text)
        ranked = {t: self.ranker_probability(view, t, probs) for t in TYPES}
        if self.blend is None or encoder is None:
            return ranked, None
        inputs = blend_inputs(ranked, encoder)
        out = {
            t: p if self._own_head(t) else max(self.blend(inputs[t]), self._floor(view, t))
            for t, p in ranked.items()
        }
        return out, self.blend.relevance(gate_inputs(ranked, encoder))

    def _own_head(self, event_type: str) -> bool:
        return self.head is not None and event_type in self.head.types

    def _floor(self, view: DocView, event_type: str) -> float:
        plain = self.rule_precision and plain_statement(view.candidates.get(event_type))
        return self.rule_precision if plain else 0.0

    def ranker_probability(self, view: DocView, event_type: str, probs: dict[str, float]) -> float:
        """The cue ranker's calibrated probability for one type, with its floor for plain statements (before
        any blend)."""
        if self._own_head(event_type):
            cue = view.candidates.get(event_type)
            p = self.head.probability(self.features(view, event_type, probs)) if cue and cue.raw > 0 else 0.0
        else:
            p = self.calibration(self.raw_score(self.features(view, event_type, probs)))
        return max(p, self._floor(view, event_type))

    def features(self, view: DocView, event_type: str, text_probs: dict[str, float]) -> list[float]:
        relevant = logit(text_probs.get(RELEVANT, 0.5))
        if event_type in self.rare:
            return candidate_features(view, event_type, 0.0, typed=False, relevant_logit=relevant)
        return candidate_features(view, event_type, logit(text_probs.get(event_type, 0.5)), relevant_logit=relevant)

    def to_json(self) -> dict:
        return {
            "format": 1,
            "labels": list(self.labels),
            "text_bias": _rounded(self.text_bias),
            "text_weights": {k: _rounded(v) for k, v in sorted(self.text_weights.items())},
            "ranker_features": list(FEATURES),
            "ranker_weights": _rounded(self.ranker_weights),
            "calibration": {"xs": _rounded(self.calibration.xs), "ys": _rounded(self.calibration.ys)},
            "threshold": round(self.threshold, 4),
            "secondary": round(self.secondary, 4),
            "rare": list(self.rare),
            "head": self.head.to_json() if self.head is not None else None,
            "rule_precision": round(self.rule_precision, 4),
            "blend": self.blend.to_json() if self.blend is not None else None,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> EventModel:
        if list(data.get("ranker_features", [])) != list(FEATURES):
            raise ValueError("event model has other features; rebuild it: python -m pipeline.analyze.train")
        return cls(
            labels=tuple(data["labels"]),
            text_bias=list(data["text_bias"]),
            text_weights={k: list(v) for k, v in data["text_weights"].items()},
            ranker_weights=list(data["ranker_weights"]),
            calibration=Calibration(tuple(data["calibration"]["xs"]), tuple(data["calibration"]["ys"])),
            threshold=float(data["threshold"]),
            secondary=float(data.get("secondary", 0.7)),
            rare=tuple(data.get("rare", ())),
            meta=dict(data.get("meta", {})),
            head=Head.from_json(data["head"]) if data.get("head") else None,
            rule_precision=float(data.get("rule_precision", 0.0)),
            blend=Blend.from_json(data["blend"]) if data.get("blend") else None,
        )

    def with_threshold(self, threshold: float, secondary: float | None = None) -> EventModel:
        return replace(self, threshold=threshold, secondary=self.secondary if secondary is None else secondary)


def _logistic(weights: tuple[float, ...], inputs: list[float]) -> float:
    """sigmoid(weights . inputs + bias), the bias last in ``weights``."""
    *slopes, bias = weights
    return sigmoid(bias + sum(w * x for w, x in zip(slopes, inputs, strict=True)))


def _rounded(values) -> list[float]:
    return [round(float(v), 5) for v in values]


@lru_cache(maxsize=2)
def load_model(path: str | None = None) -> EventModel | None:
    """The shipped model, or None when the file is missing (the rules alone then decide)."""
    target = Path(path) if path else MODEL_PATH
    if not target.exists():
        return None
    return EventModel.from_json(json.loads(target.read_text(encoding="utf-8")))
