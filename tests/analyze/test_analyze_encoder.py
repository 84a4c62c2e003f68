"""The fine-tuned text classifier: its runtime (onnxruntime, no torch), the blend with the cue ranker, and how
the training data for the blend is checked. Sentences are invented."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.analyze import encoder, train
from pipeline.analyze.events import Event, select_events
from pipeline.analyze.ranker import (
    BLEND_INPUTS,
    GATE_INPUTS,
    LABELS_ALL,
    RELEVANT,
    TYPES,
    Blend,
    DocView,
    blend_inputs,
    gate_inputs,
    load_model,
    logit,
)

POLICY = ("The data protection authority of Freedonia fined the retailer Brightmart 4 million euros on Tuesday "
          "for keeping shoppers' card details without consent.")
SPORT = "Freedonia beat Sylvania 3-1 in the football final on Sunday, with two late goals from the captain."


@pytest.fixture(scope="module")
def shipped():
    loaded = encoder.load_encoder()
    assert loaded is not None, "the shipped text classifier must load (pipeline/analyze/data/text_encoder.onnx)"
    return loaded


def test_the_shipped_classifier_runs_without_torch_on_one_thread(shipped):
    probs = shipped.probabilities(POLICY)
    assert set(probs) == set(LABELS_ALL)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert shipped.session.get_session_options().intra_op_num_threads == 1
    # torch is blocked outright in a fresh interpreter: the classifier must not need it
    script = ("import sys; sys.modules['torch'] = None\n"
              "from pipeline.analyze.encoder import load_encoder\n"
              f"print(round(load_encoder().probabilities({POLICY!r})['relevant'], 4))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(probs[RELEVANT], abs=1e-4)


def test_the_classifier_tells_a_fine_from_a_football_result(shipped):
    policy, sport = shipped.probabilities(POLICY), shipped.probabilities(SPORT)
    assert policy[RELEVANT] > 0.5 > sport[RELEVANT]
    assert max(policy, key=lambda label: policy[label] if label != RELEVANT else -1) == "fine_or_penalty"


def test_a_text_gives_the_same_probabilities_every_time_and_close_ones_in_a_batch(shipped):
    texts = [POLICY, SPORT, "", "Short."]
    assert [shipped.probabilities(t) for t in texts] == [shipped.probabilities(t) for t in texts]
    for text, probs in zip(texts, shipped.batch(texts), strict=True):
        single = shipped.probabilities(text)
        # 8-bit activations are scaled per run: up to 0.053 apart on a Xeon with AVX-512 VNNI, under 0.05 on AVX2
        assert all(abs(single[k] - probs[k]) < 0.1 for k in LABELS_ALL)


def test_long_texts_are_cut_to_the_token_budget(shipped):
    long = " ".join([POLICY] * 40)
    assert len(shipped.tokenizer.encode(long).ids) == encoder.MAX_TOKENS
    assert shipped.probabilities(long)[RELEVANT] > 0.5


def test_missing_files_leave_the_analysis_without_the_classifier(monkeypatch, tmp_path, caplog):
    encoder.load_encoder.cache_clear()
    monkeypatch.setattr(encoder, "ENCODER_PATH", tmp_path / "absent.onnx")
    try:
        with caplog.at_level(logging.WARNING):
            assert encoder.load_encoder() is None
        assert "absent.onnx" in caplog.text
    finally:
        encoder.load_encoder.cache_clear()


def test_the_blend_rises_with_each_of_its_inputs_and_round_trips():
    blend = Blend((1.2, 0.9, 0.4, 0.0, 0.0, 0.0, -0.3))
    ranked = {"ban": 0.2, "fine": 0.2}

    def p(ranker: float, classified: float, relevant: float) -> float:
        classified_as = {"ban": classified, "fine": 0.5, RELEVANT: relevant}
        return blend(blend_inputs({**ranked, "ban": ranker}, classified_as)["ban"])

    assert p(0.2, 0.8, 0.8) > p(0.2, 0.3, 0.8) > p(0.2, 0.3, 0.2)
    assert p(0.7, 0.3, 0.2) > p(0.2, 0.3, 0.2)
    assert Blend.from_json(json.loads(json.dumps(blend.to_json()))) == blend


def test_each_type_is_read_against_the_stories_other_types():
    ranked = {"ban": 0.6, "fine": 0.3, "sanction": 0.01}
    inputs = blend_inputs(ranked, {"ban": 0.9, "fine": 0.6, "sanction": 0.01, RELEVANT: 0.9})
    margin, top, ranker_margin = (BLEND_INPUTS.index(n) for n in ("classifier_margin", "classifier_top",
                                                                  "ranker_margin"))
    assert inputs["ban"][top] == 1.0 and inputs["fine"][top] == 0.0
    assert inputs["ban"][margin] == pytest.approx(logit(0.9) - logit(0.6))
    assert inputs["fine"][margin] == pytest.approx(logit(0.6) - logit(0.9))
    assert inputs["fine"][ranker_margin] == pytest.approx(logit(0.3) - logit(0.6))
    # a blend that counts being second against a type ranks the classifier's runner-up lower
    second_is_worse = Blend((1.0, 1.0, 0.0, 0.0, 1.5, 0.0, 0.0))
    alone = blend_inputs({"fine": 0.3, "sanction": 0.01}, {"fine": 0.6, "sanction": 0.01, RELEVANT: 0.9})
    assert second_is_worse(inputs["fine"]) < second_is_worse(alone["fine"])
    # the gate reads the classifier's best type beside its "relevant"
    gate = Blend(second_is_worse.weights, (1.0, 0.0, 1.0, 0.0))
    sure = gate_inputs(ranked, {"ban": 0.9, "fine": 0.2, "sanction": 0.01, RELEVANT: 0.9})
    doubtful = gate_inputs(ranked, {"ban": 0.2, "fine": 0.2, "sanction": 0.01, RELEVANT: 0.9})
    assert sure[GATE_INPUTS.index("classifier_best")] == pytest.approx(logit(0.9))
    assert gate.relevance(sure) > gate.relevance(doubtful)


def test_a_blend_of_other_inputs_is_refused_with_the_rebuild_command():
    with pytest.raises(ValueError, match="pipeline.analyze.train"):
        Blend((1.2, 0.9, 0.4, -0.3))
    stale = {"weights": [1.2, 0.9, 0.4, -0.3], "gate": [1.0, 0.0, 0.0], "gate_threshold": 0.5}
    with pytest.raises(ValueError, match="pipeline.analyze.train"):
        Blend.from_json(stale)


def test_the_shipped_model_blends_only_when_given_the_classifier():
    model = load_model()
    assert model is not None and model.blend is not None
    view = DocView(text=POLICY, words=len(POLICY.split()))
    plain = model.type_probabilities(view)
    sure = model.type_probabilities(view, encoder={label: 0.99 for label in LABELS_ALL})
    doubtful = model.type_probabilities(view, encoder={label: 0.01 for label in LABELS_ALL})
    assert plain == model.type_probabilities(view, encoder=None)
    for t in TYPES:
        if model.head is not None and t in model.head.types:
            assert sure[t] == doubtful[t] == plain[t]  # the company-side head keeps its own judgement
        else:
            assert sure[t] > doubtful[t]


def test_held_out_probabilities_from_other_gold_labels_are_refused(tmp_path, caplog):
    sample = train.Sample(item=train.GoldItem(id="b1", corpus="briefs", split="tune", relevant=False), raw=[],
                          view=None, features=set(), fallbacks={})
    path = tmp_path / "oof.json"
    body = {"labels": list(LABELS_ALL), "gold": "0" * 16, "probabilities": {"b1": [0.5] * len(LABELS_ALL)}}
    path.write_text(json.dumps(body), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert train.load_out_of_fold([sample], path) is None
    assert "train_text" in caplog.text
    path.write_text(json.dumps({**body, "gold": train._gold_hash([sample])}), encoding="utf-8")
    assert train.load_out_of_fold([sample], path)["b1"][RELEVANT] == 0.5
    assert train.load_out_of_fold([sample], tmp_path / "missing.json") is None


def _cue(event_type: str, raw: float) -> Event:
    return Event(event_type, "Freedonia", "authority", ["FD"], None, "announced", 0.0, "An invented sentence.",
                 confidence_raw=raw)


def test_the_gate_drops_every_type_below_it_and_keeps_the_best_type_above_it():
    base = load_model()
    blend = Blend((1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0), (1.0, 1.0, 0.0, 0.0), gate_threshold=0.5)
    model = replace(base, blend=blend).with_threshold(0.6)
    probs = {t: 0.0 for t in TYPES} | {"ban": 0.45, "law_or_regulation": 0.3}

    def no_fallback(event_type):
        return None

    assert select_events([_cue("ban", 0.9)], dict(probs), model, no_fallback, relevance=0.4) == []
    kept = select_events([_cue("ban", 0.9), _cue("law_or_regulation", 0.8)], dict(probs), model, no_fallback,
                         relevance=0.7)
    assert [e.type for e in kept] == ["ban"]
    assert kept[0].confidence == pytest.approx(0.45)  # its own probability, not the threshold it was lifted to
    sure = select_events([_cue("ban", 0.9)], {**probs, "ban": 0.8}, model, no_fallback, relevance=0.7)
    assert [e.type for e in sure] == ["ban"] and sure[0].confidence == pytest.approx(0.8)
    # without the gate's relevance (no classifier at hand) the threshold alone decides
    assert select_events([_cue("ban", 0.9)], dict(probs), model, no_fallback) == []


def test_out_of_fold_predictions_of_the_same_labels_are_kept_for_a_resumed_run(tmp_path, monkeypatch):
    from pipeline.analyze import train_text

    path = tmp_path / "oof.json"
    monkeypatch.setattr(train_text, "OOF_PATH", path)
    assert train_text._out_of_fold("abc") == {}  # nothing written yet
    path.write_text(json.dumps({"labels": list(LABELS_ALL), "gold": "abc", "probabilities": {"b1": [0.5]}}))
    assert train_text._out_of_fold("abc") == {"b1": [0.5]}
    assert train_text._out_of_fold("other labels") == {}


def test_length_batches_cover_every_row_once_with_like_lengths():
    """Training batches: each row once per epoch, no batch larger than BATCH, and within a pool of batches
    rows of like length together (a batch of briefs is not padded to an article's 128 pieces)."""
    import numpy as np

    from pipeline.analyze import train_text

    lengths = [40] * 300 + [128] * 20 + [60] * 37  # briefs, articles and some in between
    batches = train_text.length_batches(lengths, np.random.default_rng(1), pool=50)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))
    assert max(len(b) for b in batches) <= train_text.BATCH
    assert len(batches) == -(-len(lengths) // train_text.BATCH)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded <= 1.05 * sum(lengths)  # one pool holds them all here: almost nothing is padding
    assert sum(1 for b in batches if any(lengths[i] == 128 for i in b)) == 2  # the 20 articles fill 2 batches
    again = train_text.length_batches(lengths, np.random.default_rng(1), pool=50)
    assert again == batches  # the seed decides
    other = train_text.length_batches(lengths, np.random.default_rng(2), pool=50)
    assert other != batches  # and the order is shuffled
    small = train_text.length_batches(lengths, np.random.default_rng(1), pool=1)
    assert sorted(i for b in small for i in b) == list(range(len(lengths)))  # pool of one batch: plain shuffle


def test_training_rows_give_written_briefs_every_label_at_their_weight_and_no_fold(tmp_path):
    """The invented briefs teach every label, relevance too, at WRITTEN_WEIGHT; the seed examples only the
    company-side types; both join every fold's training set (fold -1) and are never held out or scored."""
    from pipeline.analyze import train_text

    gold = tmp_path / "gold.jsonl"
    real = [json.loads(line) for line in (Path(__file__).parents[2] / "bench" / "gold" / "briefs.jsonl")
            .read_text(encoding="utf-8").splitlines() if '"tune"' in line][:3]
    gold.write_text("".join(json.dumps(item) + "\n" for item in real), encoding="utf-8")
    written = tmp_path / "written.jsonl"
    written.write_text(json.dumps({
        "id": "written-t-001", "published": "2025-05-02", "title": None, "text": SPORT, "relevant": False,
        "companies": [], "jurisdictions": [], "events": []}) + "\n" + json.dumps({
        "id": "written-t-002", "published": "2025-05-02", "title": "Brightmart fined", "text": POLICY,
        "relevant": True, "companies": [{"name": "Brightmart"}], "jurisdictions": [],
        "events": [{"type": "fine_or_penalty", "jurisdictions": [], "effective_date": None,
                    "actor": "data protection authority"}]}) + "\n", encoding="utf-8")
    rows = train_text.training_rows([gold], None, written)
    kinds = [r["kind"] for r in rows]
    assert kinds.count("tune") == 3 and kinds.count("written") == 2 and kinds.count("seed") > 100
    by_id = {r["id"]: r for r in rows}
    fine = by_id["written-t-002"]
    assert fine["fold"] == -1 and fine["weights"] == [train_text.WRITTEN_WEIGHT] * len(LABELS_ALL)
    assert fine["labels"][LABELS_ALL.index("fine_or_penalty")] == 1.0 and fine["labels"][-1] == 1.0
    assert fine["text"].startswith("Brightmart fined\n")  # the title is read as the analyzer reads it
    assert sum(by_id["written-t-001"]["labels"]) == 0.0
    seed = next(r for r in rows if r["kind"] == "seed")
    assert seed["fold"] == -1 and seed["weights"][-1] == 0.0  # seeds say nothing of relevance
    assert all(r["fold"] >= 0 and r["weights"] == [1.0] * len(LABELS_ALL) for r in rows if r["kind"] == "tune")
    assert [r["kind"] for r in train_text.training_rows([gold], None, None)].count("written") == 0


def test_the_written_briefs_are_labelled_consistently_and_copy_no_corpus_text():
    """Every shipped written brief parses as a gold line, is relevant exactly when it has an event, and shares
    no sentence with the corpus (they are the project's own inventions)."""
    import re

    from pipeline.analyze import train_text

    items, inputs = train.load_seeds(train_text.WRITTEN_PATH)
    assert len(items) >= 1000
    assert all(item.relevant == bool(item.events) for item in items)
    assert len({item.id for item in items}) == len(items)
    def long_sentences(text: str) -> set[str]:
        return {s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 40}

    corpus = Path(__file__).parents[2].parent / "shared" / "corpus"
    known = set()
    for name in ("briefs/dev.jsonl", "articles/dev.jsonl"):
        for line in (corpus / name).read_text(encoding="utf-8").splitlines():
            known |= long_sentences(json.loads(line).get("text") or "")
    assert [a.id for a in inputs if long_sentences(a.text) & known] == []
