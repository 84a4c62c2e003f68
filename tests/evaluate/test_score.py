from __future__ import annotations

import pytest

from pipeline.evaluate.gold import GoldCompany, GoldEvent, GoldItem
from pipeline.evaluate.score import company_key, decision_counts, match_companies, score


def item(item_id: str = "x1", relevant: bool = True, companies=(), jurisdictions=(), events=()) -> GoldItem:
    return GoldItem(item_id, "briefs", "tune", relevant, tuple(companies), tuple(jurisdictions), tuple(events),
                    f"gold.jsonl:{item_id}")


def pred(item_id: str = "x1", relevant: bool = True, companies=(), jurisdictions=(), events=()) -> dict:
    return {"id": item_id, "relevant": relevant, "companies": [{"name": n, "mentions": 1} for n in companies],
            "jurisdictions": [{"code": c, "name": c, "mentions": 1} for c in jurisdictions],
            "events": [{"type": t, "jurisdictions": list(j), "effective_date": d} for t, j, d in events]}


@pytest.mark.parametrize(("name", "key"), [
    ("Apple Inc.", "apple"),
    ("APPLE", "apple"),
    ("Synopsys, Inc.", "synopsys"),
    ("Alibaba Group Holdings Ltd", "alibaba"),
    ("Siemens AG", "siemens"),
    ("Volkswagen GmbH", "volkswagen"),
    ("Banco Santander S.A.", "banco santander"),
    ("BP plc", "bp"),
    ("Meta Platforms, LLC", "meta platforms"),
    ("Procter & Gamble Co.", "procter gamble"),
    ("Google's", "google"),
    ("Group", "group"),  # never emptied by its own suffix
])
def test_company_key_drops_case_punctuation_and_suffixes(name, key):
    assert company_key(name) == key


def test_companies_match_by_suffix_and_alias_one_to_one():
    gold = [GoldCompany("Alphabet", ("Google",)), GoldCompany("Synopsys"), GoldCompany("Ansys")]
    matched, false_pos, false_neg = match_companies(gold, ["Google LLC", "Synopsys, Inc.", "SYNOPSYS", "Acme Corp"])
    assert matched == ["Google LLC", "Synopsys, Inc."]
    assert false_pos == ["Acme Corp"]  # the duplicate "SYNOPSYS" counts once, not as a false positive
    assert false_neg == ["Ansys"]


def test_shared_alias_does_not_steal_a_match():
    # "Meta" could be either gold company by alias; the matching gives each prediction its own gold company.
    gold = [GoldCompany("Meta Platforms", ("Meta", "Facebook")), GoldCompany("Facebook")]
    matched, false_pos, false_neg = match_companies(gold, ["Facebook", "Meta"])
    assert sorted(matched) == ["Facebook", "Meta"] and not false_pos and not false_neg


def test_micro_averaging_sums_counts_over_items():
    gold = [
        item("a", True, [GoldCompany("Zoom")], ["CN", "US"], [GoldEvent("sales_restriction", ("CN",))]),
        item("b", False, [], ["GB"], []),
        item("c", True, [], ["EU"], [GoldEvent("fine_or_penalty", ("EU",)), GoldEvent("investigation", ("EU",))]),
    ]
    preds = [
        pred("a", True, ["Zoom Video Communications", "Zoom"], ["CN"], [("sales_restriction", ["CN", "US"], None)]),
        pred("b", True, [], ["GB", "FR"], [("ban", ["GB"], None)]),
        pred("c", False, [], ["EU"], []),
    ]
    scores = score(gold, preds).counts
    assert (scores["relevance"].tp, scores["relevance"].fp, scores["relevance"].fn) == (1, 1, 1)
    assert scores["relevance"].precision == 0.5 and scores["relevance"].f1 == 0.5
    assert (scores["companies"].tp, scores["companies"].fp, scores["companies"].fn) == (1, 1, 0)
    assert (scores["jurisdictions"].tp, scores["jurisdictions"].fp, scores["jurisdictions"].fn) == (3, 1, 1)
    assert scores["jurisdictions"].precision == 0.75 and scores["jurisdictions"].recall == 0.75
    assert (scores["event_types"].tp, scores["event_types"].fp, scores["event_types"].fn) == (1, 1, 2)
    # an event with two jurisdictions gives two pairs
    assert (scores["events"].tp, scores["events"].fp, scores["events"].fn) == (1, 2, 2)
    assert scores["events"].f1 == pytest.approx(1 / 3)


def test_the_counts_thresholds_are_chosen_on_are_the_full_scorer_s():
    gold = [
        item("a", True, [GoldCompany("Zoom")], ["CN"], [GoldEvent("sales_restriction", ("CN",))]),
        item("b", False, [], ["GB"], []),
        item("c", True, [], ["EU"], [GoldEvent("fine_or_penalty", ("EU",)), GoldEvent("investigation", ())]),
    ]
    preds = [
        pred("a", True, ["Zoom"], ["CN"], [("sales_restriction", ["CN", "US"], None), ("ban", [], None)]),
        pred("b", True, [], ["GB"], [("ban", ["GB"], None)]),
        pred("c", True, [], ["EU"], [("investigation", [], None), ("fine_or_penalty", ["FR"], None)]),
    ]
    full, lean = score(gold, preds).counts, decision_counts(gold, preds)
    assert set(lean) == {"relevance", "event_types", "events"}
    for measure, counts in lean.items():
        assert (counts.tp, counts.fp, counts.fn) == (full[measure].tp, full[measure].fp, full[measure].fn)
    assert (lean["events"].tp, lean["events"].fp, lean["events"].fn) == (2, 4, 1)


def test_nothing_predicted_gives_no_precision_and_zero_recall():
    scores = score([item(relevant=True)], [pred(relevant=False)]).counts["relevance"]
    assert scores.precision is None and scores.recall == 0.0 and scores.f1 == 0.0
    empty = score([item(relevant=False)], [pred(relevant=False)]).counts["relevance"]
    assert empty.precision is None and empty.recall is None and empty.f1 is None


def test_effective_date_accuracy_edge_cases():
    gold = [
        item("a", events=[GoldEvent("law_or_regulation", ("EU",), "2023-05-02"),  # found
                          GoldEvent("ban", ("EU",), "2023-06"),  # wrong precision predicted: miss
                          GoldEvent("investigation", ("EU",), None)]),  # no date: not counted
        item("b", events=[GoldEvent("fine_or_penalty", ("US",), "2025")]),  # same date, other type: miss
        item("c", events=[GoldEvent("market_exit", ("CN",), "2021-08-23")]),  # other jurisdiction: still found
    ]
    preds = [
        pred("a", events=[("law_or_regulation", ["EU"], "2023-05-02"), ("ban", ["EU"], "2023-06-01"),
                          ("investigation", ["EU"], "2024-01-01")]),
        pred("b", events=[("investigation", ["US"], "2025")]),
        pred("c", events=[("market_exit", ["HK"], "2021-08-23")]),
    ]
    result = score(gold, preds)
    assert (result.dates_found, result.dated_events) == (2, 4)
    assert result.effective_date_accuracy == 0.5
    assert score([item()], [pred()]).effective_date_accuracy is None


def test_item_errors_list_false_positives_and_negatives():
    gold = [item("a", True, [GoldCompany("Zoom")], ["CN"], [GoldEvent("sales_restriction", ("CN",), "2021-08-23")])]
    preds = [pred("a", True, ["Zoom", "Bizconf"], ["CN", "US"], [("sales_restriction", ["CN"], None)])]
    (errors,) = score(gold, preds).item_errors
    assert errors.errors["companies"] == (["Bizconf"], [])
    assert errors.errors["jurisdictions"] == (["US"], [])
    assert errors.errors["effective_date"] == ([], ["sales_restriction 2021-08-23"])
    assert "relevance" not in errors.errors and "events" not in errors.errors


def test_predictions_must_line_up_with_gold():
    with pytest.raises(ValueError, match="expected"):
        score([item("a")], [pred("b")])
