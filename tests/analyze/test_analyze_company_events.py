"""Company-side events and the pieces that find them: names that act like businesses, the company-side
ranker (``Head``), the plain-statement floor, the effective day of "enters into force"."""

from __future__ import annotations

import pytest

from pipeline.analyze.ranker import Calibration, Candidate, DocView, Head, load_model, plain_statement


@pytest.mark.parametrize(
    ("text", "event_type", "actor", "jurisdictions"),
    [
        ("Crypto exchange Tesserine will wind down its operations in Japan by 28 February.", "market_exit",
         "Tesserine", ["JP"]),
        ("Dubai-based courier Qadira Logistics will close its Nairobi hub and exit Kenya at the end of the year.",
         "market_exit", "Qadira Logistics", ["KE"]),
        ("Chilean digital wallet Andes Pay launched in Peru on Monday, its third market.", "market_entry",
         "Andes Pay", ["PE"]),
        ("Chilean digital wallet Andes Pay went live in Peru on Monday, its third market.", "market_entry",
         "Andes Pay", ["PE"]),
        ("Pakari Energy will no longer accept new residential customers in Australia from 1 March.",
         "sales_restriction", "Pakari Energy", ["AU"]),
    ],
)
def test_company_side_events_of_companies_nobody_has_heard_of(analyze, text, event_type, actor, jurisdictions):
    """Invented names (no gazetteer entry): the article's own cues and what the name does make it a company."""
    result = analyze(text, published="2024-01-10")
    events = [e for e in result["events"] if e["type"] == event_type]
    assert events, f"no {event_type} in {[e['type'] for e in result['events']]}"
    assert events[0]["actor"] == actor
    assert events[0]["actor_kind"] == "company"
    assert events[0]["jurisdictions"] == jurisdictions
    assert actor in [c["name"] for c in result["companies"]]


def test_places_people_and_governments_that_withdraw_are_not_companies(analyze):
    result = analyze("Israel will withdraw from the city. Trump will end the tariffs. The army will leave Gaza.",
                     published="2025-03-01")
    assert result["companies"] == []
    assert not [e for e in result["events"] if e["actor_kind"] == "company"]


def test_a_law_entering_into_force_in_a_place_takes_effect_on_the_day_of_the_story(analyze):
    result = analyze("A ban on mobile phones in classrooms enters into force in Bolivia.", published="2026-02-02")
    ban = next(e for e in result["events"] if e["type"] == "ban")
    assert ban["effective_date"] == "2026-02-02"
    assert ban["status"] == "in_effect"
    later = analyze("The new rules take effect in March.", published="2026-02-02")
    assert all(e["effective_date"] != "2026-02-02" for e in later["events"])


@pytest.mark.parametrize(
    ("text", "event_type"),
    [
        ("U.S. President Donald Trump signs an executive order on federal hiring.", "law_or_regulation"),
        ("The government of Nepal lifts the curfew in Kathmandu.", "ban"),
        ("Nimbla will hire its riders in Spain as employees to comply with the country's new rider law.",
         "compliance_change"),
    ],
)
def test_cues_of_orders_curfews_and_compliance(analyze, text, event_type):
    result = analyze(text, published="2025-05-01")
    assert event_type in [e["type"] for e in result["events"]]


def test_plain_statement_needs_a_strong_named_lead_cue_about_now():
    strong = Candidate("ban", raw=0.9, strength=1.0, sentences=1, lead=True, named=True)
    assert plain_statement(strong)
    assert not plain_statement(None)
    for change in ({"strength": 0.6}, {"named": False}, {"lead": False}, {"background": True}, {"person": True}):
        assert not plain_statement(Candidate(**{**strong.__dict__, **change}))


def test_the_shipped_model_has_a_company_side_head_and_a_calibrated_floor():
    model = load_model()
    assert model.head is not None
    assert set(model.head.types) == {"market_exit", "market_entry", "sales_restriction", "service_restriction",
                                     "compliance_change"}
    assert model.threshold_for("market_exit") == model.head.threshold
    assert model.threshold_for("ban") == model.threshold
    assert 0.0 < model.rule_precision < 1.0
    assert model.blend is not None  # the fine-tuned text classifier's blend


def test_the_head_judges_only_types_whose_cue_matched():
    model = load_model()
    view = DocView("Kestrel will leave Peru.", {}, 5)
    assert model.type_probabilities(view)["market_exit"] == 0.0
    view.candidates["market_exit"] = Candidate("market_exit", raw=0.8, strength=1.0, sentences=1, lead=True,
                                               named=True)
    assert model.type_probabilities(view)["market_exit"] > 0.0


def test_head_round_trips_through_json():
    head = Head(("market_exit",), (0.5,) * 29, Calibration((0.0, 1.0), (0.1, 0.9)), 0.4)
    again = Head.from_json(head.to_json())
    assert again == head
    assert 0.1 <= again.probability([0.0] * 28) <= 0.9
