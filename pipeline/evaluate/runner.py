"""`regwatch eval` without the terminal: gold items -> each system's analyses -> scores."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.evaluate.gold import SPLITS, GoldItem, load_gold, resolve_inputs
from pipeline.evaluate.score import Scores, score
from pipeline.records import ArticleInput
from pipeline.settings import Settings

REGWATCH = "regwatch"
PLAIN_NER = "plain NER"
KEYWORDS = "keywords"

Progress = Callable[[str, int, int], None]  # (system name, items done so far, items in all)


@dataclass
class EvalReport:
    split: str
    split_counts: dict[str, int]
    scores: dict[str, Scores] = field(default_factory=dict)
    predictions: dict[str, list[dict]] = field(default_factory=dict)
    items: list[GoldItem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"split": self.split, "items": self.split_counts,
                "systems": {name: s.as_dict() for name, s in self.scores.items()}}

    def by_corpus(self) -> dict[str, dict[str, Scores]]:
        """Each corpus of the gold items (articles, briefs) scored on its own: corpus -> system -> scores. The
        pooled scores are micro-averaged, so the many briefs hide how the articles fare."""
        out = {}
        for corpus in sorted({item.corpus for item in self.items}):
            chosen = [i for i, item in enumerate(self.items) if item.corpus == corpus]
            out[corpus] = {name: score([self.items[i] for i in chosen], [predictions[i] for i in chosen])
                           for name, predictions in self.predictions.items()}
        return out


def select(items: Sequence[GoldItem], split: str) -> list[GoldItem]:
    if split == "all":
        return list(items)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    return [item for item in items if item.split == split]


def evaluate(
    gold_files: Sequence[Path | str],
    *,
    split: str = "all",
    baselines: bool = False,
    corpus_dir: Path | str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    systems: dict[str, Callable[[list[ArticleInput]], Iterable[dict]]] | None = None,
) -> EvalReport:
    """Scores of regwatch (and the baselines) on the chosen split of the gold files."""
    items = select(load_gold(gold_files), split)
    inputs = resolve_inputs(items, corpus_dir)
    counts = {name: sum(1 for item in items if item.split == name) for name in SPLITS}
    report = EvalReport(split, {**counts, "total": len(items)}, items=list(items))
    for name, run in (systems or default_systems(settings or Settings(), baselines)).items():
        predictions = []
        for done, prediction in enumerate(run(inputs), start=1):
            predictions.append(prediction)
            if progress:
                progress(name, done, len(inputs))
        report.predictions[name] = predictions
        report.scores[name] = score(items, predictions)
    return report


def default_systems(settings: Settings, baselines: bool) -> dict[str, Callable[[list[ArticleInput]], Iterator[dict]]]:
    from pipeline.analyze import Analyzer
    from pipeline.evaluate.baselines import KeywordBaseline, NerBaseline

    analyzer = Analyzer(settings)
    # Items without a date are anchored at a fixed day, so a run is reproducible whatever the day.
    systems = {REGWATCH: lambda inputs: analyzer.analyze_many(inputs, default_published=date(2025, 1, 1))}
    if baselines:
        systems[PLAIN_NER] = NerBaseline(batch_size=settings.analyze_batch_size).analyze_many
        systems[KEYWORDS] = KeywordBaseline().analyze_many
    return systems
