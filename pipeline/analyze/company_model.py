"""The trained last word on company candidates: is this name really a business the article is about?

``entities.py`` keeps a candidate only with some evidence that it is a business (the gazetteer, a legal
form, a business word in the name, the article's cues, the NER twice). Evidence of one kind is often
enough, and sometimes wrong: a programme ("Clean Truck Partnership"), a law ("COPPA"), a common word in
a headline ("Target"). A small logistic model weighs the evidence together with the shape of the name,
how the article uses it and the words of the name and around its mentions (``candidate_words``), and drops
candidates it thinks unlikely. With word weights it also judges the tentative candidates, which have too
little evidence for the rules (the NER alone, or a run of capitalised words the NER left untagged); a model
without them, like the rules alone, never keeps those.

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
    "tentative",
    "how=caps",
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
    tentative: bool = False,
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
    values.append(1.0 if tentative else 0.0)
    values.append(math.log1p(hows.get("caps", 0)))
    return values


def candidate_words(doc: Doc, name: str, spans: list[Span]) -> list[str]:
    """The words of a candidate's name and the words around its mentions, as sparse features for the
    model's lexical weights: ``name:biosciences``, ``last:biosciences``, ``before:firm``, ``after:announces``.
    What a name is made of and how a sentence treats it tell a business from an agency, a party or a
    programme where the evidence rules found nothing ("Colossal Biosciences announces ...")."""
    parts = [w.casefold() for w in re.findall(r"[\w&'\-.]+", name)]
    found = {f"name:{w}" for w in parts}
    if parts:
        found.add(f"last:{parts[-1]}")
    for span in spans:
        if span.start > 0:
            before = doc[span.start - 1]
            found.add(f"before:{before.lower_}")
            if span.start > 1 and before.lower_ in ("the", "a", "an", ",", "'s", "by", "of", "from", "and", "at", "to"):
                found.add(f"before2:{doc[span.start - 2].lower_} {before.lower_}")
        if span.end < len(doc):
            after = doc[span.end]
            found.add(f"after:{after.lower_}")
            if after.lower_ in ("'s", "\u2019s", ",", "and") and span.end + 1 < len(doc):
                found.add(f"after2:{after.lower_} {doc[span.end + 1].lower_}")
    return sorted(found)


@dataclass
class CompanyModel:
    weights: list[float]  # per FEATURES, then the bias
    threshold: float = 0.5
    meta: dict = field(default_factory=dict)
    # weights of the words of ``candidate_words``; a model with them also judges tentative candidates (names
    # the NER found with no other evidence), which a model without them never keeps
    lexical: dict[str, float] = field(default_factory=dict)

    @property
    def judges_tentative(self) -> bool:
        return bool(self.lexical)

    def probability(self, features: list[float], words: list[str] | tuple[str, ...] = ()) -> float:
        *weights, bias = self.weights
        lexical = self.lexical
        return sigmoid(bias + sum(w * x for w, x in zip(weights, features, strict=True))
                       + sum(lexical.get(word, 0.0) for word in words))

    def to_json(self) -> dict:
        return {
            "format": 2,
            "features": list(FEATURES),
            "weights": [round(float(w), 5) for w in self.weights],
            "lexical": {k: round(float(v), 5) for k, v in sorted(self.lexical.items())},
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
        return cls(weights, float(data["threshold"]), dict(data.get("meta", {})), dict(data.get("lexical", {})))


@lru_cache(maxsize=2)
def load_company_model(path: str | None = None) -> CompanyModel | None:
    """The shipped model, or None when the file is missing (the evidence rules alone then decide)."""
    target = Path(path) if path else MODEL_PATH
    if not target.exists():
        return None
    return CompanyModel.from_json(json.loads(target.read_text(encoding="utf-8")))
