"""The trained last word on company candidates: is this name really a business the article is about?

``entities.py`` keeps a candidate only with some evidence that it is a business (the gazetteer, a legal
form, a business word in the name, the article's cues, the NER twice). Evidence of one kind is often
enough, and sometimes wrong: a programme ("Clean Truck Partnership"), a law ("COPPA"), a common word in
a headline ("Target"). A small logistic model weighs the evidence together with the shape of the name
and how the article uses it, and drops candidates it thinks unlikely.

Everything lives in ``data/company_model.json``, rebuilt with the event model by
``python -m pipeline.analyze.train`` from the tune split of ``bench/gold``; inference is plain Python.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Doc, Span

from pipeline.analyze.ranker import sigmoid

MODEL_PATH = Path(__file__).parent / "data" / "company_model.json"
REASONS = ("gazetteer", "form", "cue", "name", "anaphor", "ner", "list", "acting")
HOWS = ("gazetteer", "ner", "suffix", "cue", "extended", "maker", "acting")
NER_LABELS = ("ORG", "PERSON", "GPE", "PRODUCT", "NORP", "FAC", "WORK_OF_ART", "LAW", "EVENT")
FEATURES: tuple[str, ...] = (
    *(f"reason={r}" for r in REASONS),
    "reasons",
    *(f"how={h}" for h in HOWS),
    "mentions",
    "share",
    "first",
    "title_only",
    "in_title",
    "words",
    "one_word",
    "caps",
    "digit",
    "lower_in_text",
    *(f"ner={label}" for label in NER_LABELS),
    "ner_none",
    "short_text",
    "candidates",
    "industry_end",
)
_DIGIT = re.compile(r"\d")
# A last word that names an industry and nothing else: "... Airlines", "... Motors" (not "Group" or "Corps",
# which end music bands, task forces and volunteer units as often as businesses).
_INDUSTRY_END = re.compile(
    r"(?:airlines|airways|air lines|motors|motor company|electronics|aircraft|associates|bank|bancorp|insurance|"
    r"insurance company|pharmaceuticals?|technologies|semiconductors?|petroleum|steel|mining|airport operator|"
    r"shipping|logistics|telecom|telecommunications|automobiles?|automotive|manufacturing|minerals|farms|"
    r"securities|financial|brewery|breweries|laboratories|labs|studios|pictures|films|records|software)$",
    re.IGNORECASE,
)


def candidate_features(
    doc: Doc,
    text: str,
    name: str,
    hows: Counter,
    reasons: set[str],
    spans: list[Span],
    total_mentions: int,
    candidates: int,
    title_end: int,
) -> list[float]:
    """The model's inputs for one candidate, in the order of ``FEATURES``."""
    mentions = len(spans)
    first = min((s.start for s in spans), default=len(doc))
    labels: Counter = Counter()
    for span in spans:
        label = next((t.ent_type_ for t in span if t.ent_type_), "")
        labels[label or "none"] += 1
    bare = name.replace(".", "").replace("&", "").replace(" ", "")
    words = name.split()
    values = [1.0 if r in reasons else 0.0 for r in REASONS]
    values.append(math.log1p(len(reasons)))
    values.extend(math.log1p(hows.get(h, 0)) for h in HOWS)
    values.extend([
        math.log1p(mentions),
        mentions / total_mentions if total_mentions else 0.0,
        first / len(doc) if len(doc) else 0.0,
        1.0 if title_end and spans and all(s.end <= title_end for s in spans) else 0.0,
        1.0 if title_end and any(s.start < title_end for s in spans) else 0.0,
        math.log1p(len(words)),
        1.0 if len(words) == 1 else 0.0,
        1.0 if bare.isupper() and len(bare) <= 6 else 0.0,
        1.0 if _DIGIT.search(name) else 0.0,
        1.0 if len(words) == 1 and re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", text) else 0.0,
    ])
    values.extend(labels.get(label, 0) / mentions if mentions else 0.0 for label in NER_LABELS)
    values.append(labels.get("none", 0) / mentions if mentions else 0.0)
    values.append(1.0 if len(doc) < 120 else 0.0)
    values.append(math.log1p(candidates))
    values.append(1.0 if len(words) > 1 and _INDUSTRY_END.search(name) else 0.0)
    return values


@dataclass
class CompanyModel:
    weights: list[float]  # per FEATURES, then the bias
    threshold: float = 0.5
    meta: dict = field(default_factory=dict)

    def probability(self, features: list[float]) -> float:
        *weights, bias = self.weights
        return sigmoid(bias + sum(w * x for w, x in zip(weights, features, strict=True)))

    def to_json(self) -> dict:
        return {
            "format": 1,
            "features": list(FEATURES),
            "weights": [round(float(w), 5) for w in self.weights],
            "threshold": round(self.threshold, 4),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> CompanyModel:
        features = list(data.get("features", []))
        weights = list(data["weights"])
        if features == list(FEATURES[: len(features)]) and data.get("meta", {}).get("command") and features:
            # a model the training command wrote before features were added at the end of FEATURES: the new
            # ones weigh nothing until it is rebuilt
            weights = weights[:-1] + [0.0] * (len(FEATURES) - len(features)) + weights[-1:]
        elif features != list(FEATURES):
            raise ValueError("company model has other features; rebuild it: python -m pipeline.analyze.train")
        return cls(weights, float(data["threshold"]), dict(data.get("meta", {})))


@lru_cache(maxsize=2)
def load_company_model(path: str | None = None) -> CompanyModel | None:
    """The shipped model, or None when the file is missing (the evidence rules alone then decide)."""
    target = Path(path) if path else MODEL_PATH
    if not target.exists():
        return None
    return CompanyModel.from_json(json.loads(target.read_text(encoding="utf-8")))
