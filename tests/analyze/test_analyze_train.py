"""The training command: seed examples, weights, and that the shipped models are what it builds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.analyze import train
from pipeline.analyze.ranker import MODEL_PATH, TYPES
from pipeline.errors import ConfigError
from pipeline.evaluate.gold import GoldEvent, GoldItem


def test_the_shipped_seed_examples_load_as_training_items():
    items, inputs = train.load_seeds(train.SEED_PATH)
    assert len(items) == len(inputs) >= 300
    assert all(item.corpus == train.SEED_CORPUS and item.split == "tune" for item in items)
    company_side = {e.type for item in items for e in item.events} & set(train.COMPANY_TYPES)
    assert company_side == set(train.COMPANY_TYPES)
    assert sum(not item.relevant for item in items) >= 100  # hard negatives too
    assert all(inp.text.startswith(inp.title) for inp in inputs)


def test_a_bad_seed_line_is_named_by_file_line_and_field(tmp_path):
    path = tmp_path / "seeds.jsonl"
    good = {"id": "s1", "text": "A\n\nB", "relevant": False, "companies": [], "jurisdictions": [], "events": []}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "s2", "relevant": "yes"}) + "\nnot json\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        train.load_seeds(path)
    problems = "\n".join(caught.value.problems)
    assert f"{path}:2: relevant:" in problems
    assert f"{path}:3: line:" in problems
    assert train.load_seeds(tmp_path / "missing.jsonl") == ([], [])


def test_seed_examples_teach_company_types_only_and_count_less():
    items, _ = train.load_seeds(train.SEED_PATH)
    real = train.Sample(item=GoldItem(id="r", corpus="briefs", split="tune", relevant=False), raw=[],
                        view=None, features=set(), fallbacks={})
    seed = train.Sample(item=items[0], raw=[], view=None, features=set(), fallbacks={})
    weights = train.label_weights([real, seed])
    assert weights[0].tolist() == [1.0] * len(train.LABELS)
    for label, weight in zip(train.LABELS, weights[1], strict=True):
        assert weight == (train.SEED_WEIGHT if label in train.COMPANY_TYPES else 0.0)


def test_weighted_logistic_regression_ignores_rows_of_weight_zero():
    x = np.array([[0.0], [1.0], [0.0], [1.0], [1.0]])
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    with_noise = train.fit_ranker(x, y)
    without = train.fit_ranker(x, y, np.array([1.0, 1.0, 1.0, 1.0, 0.0]))
    assert without[0] > with_noise[0] > 0


def differences(built, shipped, path: str = "", tolerance: float = 1e-4) -> list[str]:
    """Where two JSON documents differ: any structure, string or integer, or a number by more than
    ``tolerance`` (the solvers add in single precision, in an order that depends on the processor's vector
    width, so the last kept digit of a few weights can differ between processors)."""
    if isinstance(built, dict) and isinstance(shipped, dict):
        if set(built) != set(shipped):
            return [f"{path}: keys {sorted(set(built) ^ set(shipped))}"]
        return [d for key in built for d in differences(built[key], shipped[key], f"{path}/{key}", tolerance)]
    if isinstance(built, list) and isinstance(shipped, list):
        if len(built) != len(shipped):
            return [f"{path}: {len(built)} items, shipped {len(shipped)}"]
        pairs = enumerate(zip(built, shipped, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, f"{path}[{i}]", tolerance)]
    if isinstance(built, float) or isinstance(shipped, float):
        ok = isinstance(built, int | float) and isinstance(shipped, int | float) and abs(built - shipped) <= tolerance
        return [] if ok else [f"{path}: {built} != {shipped}"]
    return [] if built == shipped else [f"{path}: {built!r} != {shipped!r}"]


def test_differences_names_what_differs():
    assert differences({"a": [1.0, 2.0], "b": "x"}, {"a": [1.00001, 2.0], "b": "x"}) == []
    assert differences({"a": [1.0, 2.0]}, {"a": [1.001, 2.0]}) == ["/a[0]: 1.0 != 1.001"]
    assert differences({"t": 0.5, "b": "x"}, {"t": 0.5, "b": "y"}) == ["/b: 'x' != 'y'"]
    assert differences({"a": 1}, {"c": 1}) == [": keys ['a', 'c']"]


def test_the_shipped_models_are_what_the_command_builds(tmp_path):
    """Reproducible: the command rebuilds both model files from the gold tune split and seeds (byte for byte on
    the processor that built them; elsewhere to within 1e-4 per number)."""
    events, companies = tmp_path / "event_model.json", tmp_path / "company_model.json"
    train.main(["--no-cv", "--output", str(events), "--company-output", str(companies)])
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    rebuilt = json.loads(events.read_text(encoding="utf-8"))
    shipped.pop("meta"), rebuilt.pop("meta")  # the cross-validated figures are left out with --no-cv
    assert differences(rebuilt, shipped) == []
    shipped_companies = json.loads((MODEL_PATH.parent / "company_model.json").read_text(encoding="utf-8"))
    built_companies = json.loads(companies.read_text(encoding="utf-8"))
    assert differences(built_companies["weights"], shipped_companies["weights"]) == []
    assert differences(built_companies["lexical"], shipped_companies["lexical"]) == []
    assert len(shipped["ranker_weights"]) == len(shipped["ranker_features"]) + 1
    assert set(shipped["head"]["types"]) <= set(TYPES)


def test_the_blend_thresholds_are_found_one_after_the_other():
    calls = []

    def objective(threshold: float, gate_threshold: float) -> tuple[float, float]:
        calls.append((threshold, gate_threshold))
        return -abs(threshold - 0.4) - 2 * abs(gate_threshold - 0.425), 0.0

    best = train._coordinate_search(objective)
    assert best[1:] == (0.4, 0.425)
    assert len(calls) < len(train.THRESHOLDS) ** 2 / 4


def test_a_lone_spike_of_the_objective_loses_to_a_broad_rise():
    """The objective over thresholds is jagged: a setting good on either side wins over a single lucky one."""

    def objective(threshold: float, gate_threshold: float) -> tuple[float, float]:
        spike = 0.05 if threshold == 0.25 else 0.0
        broad = 0.04 - 0.01 * abs(threshold - 0.6) / 0.025
        return max(spike, broad) - abs(gate_threshold - 0.5), 0.0

    best = train._coordinate_search(objective)
    assert best[1:] == (0.6, 0.5)
    assert best[0] == (objective(0.6, 0.5)[0], 0.0)  # the setting's own objective, not its neighbourhood's


def test_a_tie_over_all_items_goes_to_the_articles_best():
    """Settings within a tune item's worth of the best over all items are a tie, broken by the articles' score;
    a clearly better setting over all items wins whatever the articles say."""
    trials = [((2.1759, 1.850), 0.625), ((2.1748, 1.870), 0.3), ((2.1706, 1.910), 0.4)]
    assert train._pick(trials)[1] == 0.3
    assert train._pick([((2.1759, 1.85), 0.625), ((2.1700, 1.99), 0.4)])[1] == 0.625
    assert train._pick([((1.0, 0.5), 0.3), ((1.0, 0.5), 0.4)])[1] == 0.3  # then the earliest tried


def test_the_text_classifier_step_size_comes_from_the_kernel_s_largest_eigenvalue():
    rng = np.random.default_rng(7)
    words = (rng.random((300, 400)) < 0.02).astype(np.float32)
    kernel = words @ words.T
    assert train._largest_eigenvalue(kernel) == pytest.approx(np.linalg.eigvalsh(kernel.astype(np.float64)).max(),
                                                               rel=1e-9)


def test_the_thresholds_objective_counts_the_articles_twice():
    """A setting that serves the few articles well is not outvoted by the many briefs: the objective is the mean
    of the three F1s' sum over every item and over the articles alone."""

    def sample(item_id: str, corpus: str, relevant: bool) -> train.Sample:
        events = (GoldEvent(type="ban", jurisdictions=("FR",)),) if relevant else ()
        item = GoldItem(id=item_id, corpus=corpus, split="tune", relevant=relevant, events=events)
        return train.Sample(item=item, raw=[], view=None, features=set(), fallbacks={})

    def predicted(item_id: str, reports: bool) -> dict:
        events = [{"type": "ban", "jurisdictions": ["FR"]}] if reports else []
        return {"id": item_id, "relevant": reports, "events": events}

    samples = [sample("a1", "articles", True)] + [sample(f"b{i}", "briefs", True) for i in range(9)]
    article_missed = [predicted("a1", False)] + [predicted(f"b{i}", True) for i in range(9)]
    article_found = [predicted("a1", True)] + [predicted(f"b{i}", i > 0) for i in range(9)]
    missed, found = train._objective(samples, article_missed), train._objective(samples, article_found)
    assert missed[1] == 0.0 and found[1] == 3.0  # the articles' own sum
    assert found[0] > missed[0]  # one brief lost, the article won: over every item alone it would be a tie
    assert missed[0] == pytest.approx(3 * (2 * 9 / 19) / 2)
