from __future__ import annotations

from pipeline.analyze.ranker import (
    FEATURES,
    Calibration,
    Candidate,
    DocView,
    candidate_features,
    load_model,
    text_features,
)
from pipeline.analyze.summary import SUMMARY_SENTENCES


def test_shipped_model_loads_and_is_small():
    model = load_model()
    assert model is not None
    assert 0.0 < model.threshold < 1.0
    assert len(model.ranker_weights) == len(FEATURES) + 1


def test_calibration_is_monotone_in_the_raw_score():
    model = load_model()
    scores = [x / 10 for x in range(-80, 81)]
    probs = [model.calibration(s) for s in scores]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert all(a <= b + 1e-12 for a, b in zip(probs, probs[1:], strict=False))
    assert probs[-1] > probs[0]


def test_calibration_interpolates_between_knots():
    calibration = Calibration((0.0, 1.0), (0.2, 0.6))
    assert calibration(-5) == 0.2
    assert calibration(5) == 0.6
    assert abs(calibration(0.5) - 0.4) < 1e-9


def test_a_stronger_cue_never_lowers_the_type_probability():
    model = load_model()
    probs = model.text_probs("The regulator fined the company.")
    weak = DocView("x", {"fine_or_penalty": Candidate("fine_or_penalty", raw=0.4, strength=0.3, sentences=1)}, 10)
    strong = DocView("x", {"fine_or_penalty": Candidate("fine_or_penalty", raw=0.9, strength=1.0, sentences=1)}, 10)
    low = model.calibration(model.raw_score(model.features(weak, "fine_or_penalty", probs)))
    high = model.calibration(model.raw_score(model.features(strong, "fine_or_penalty", probs)))
    assert model.ranker_weights[FEATURES.index("raw")] > 0
    assert high >= low


def test_text_features_are_words_and_optionally_pairs():
    features = text_features("EU fines Google 4.3 billion")
    assert features == {"eu", "fines", "google", "<num>", "billion"}
    features = text_features("EU fines Google 4.3 billion", pairs=True)
    assert {"eu", "fines", "eu fines", "<num>", "<num> billion"} <= features


def test_candidate_features_of_a_rare_type_carry_no_type_indicator():
    view = DocView("x", {}, 5)
    values = candidate_features(view, "market_exit", 0.0, typed=False)
    assert len(values) == len(FEATURES)
    assert all(values[FEATURES.index(f"type={t}")] == 0.0 for t in ("market_exit", "ban"))


def test_summary_leads_with_the_main_event_and_has_at_most_three_sentences(analyze):
    text = (
        "Markets were calm on Tuesday. Analysts expected little news. "
        "The European Commission fined Quillbyte 120 million euros for abusing its dominance. "
        "The company said it would appeal. Shares fell two percent. Trading volumes were low."
    )
    result = analyze(text, published="2024-01-10")
    assert result["summary"].startswith("The European Commission fined Quillbyte")
    assert result["summary"].count(". ") + 1 <= SUMMARY_SENTENCES
