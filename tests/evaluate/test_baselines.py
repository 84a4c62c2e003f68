from __future__ import annotations

import pytest

from pipeline.analyze.schema import Analysis
from pipeline.evaluate.baselines import KeywordBaseline, NerBaseline, gpe_code
from pipeline.records import ArticleInput

TEXTS = [
    ArticleInput(id="k1", title="EU fines Google", published="2018-07-18",
                 text="EU fines Google\nThe European Commission fined Alphabet Inc. 4.34 billion euros. "
                      "German and French officials welcomed the decision."),
    ArticleInput(id="k2", text="Zoom Video Communications Inc will halt direct sales in China from 23 August."),
    ArticleInput(id="k3", text="The team won the cup in Madrid on Sunday."),
]


@pytest.fixture(scope="module")
def ner_baseline() -> NerBaseline:
    return NerBaseline()


def test_keyword_baseline_gives_the_spec_shape():
    rows = list(KeywordBaseline().analyze_many(TEXTS))
    for row in rows:
        Analysis.model_validate(row)
    fine, zoom, sport = rows
    assert fine["relevant"] and "fine_or_penalty" in {e["type"] for e in fine["events"]}
    assert {j["code"] for j in fine["jurisdictions"]} == {"EU", "DE", "FR"}
    assert {c["name"] for c in fine["companies"]} == {"Alphabet"}
    fine_event = next(e for e in fine["events"] if e["type"] == "fine_or_penalty")
    assert fine_event["actor_kind"] == "authority" and set(fine_event["jurisdictions"]) == {"EU", "DE", "FR"}
    assert fine_event["evidence"] == "EU fines Google"  # the sentence of the first hit
    assert {e["type"] for e in zoom["events"]} == {"sales_restriction"}
    assert [c["name"] for c in zoom["companies"]] == ["Zoom Video Communications"]
    assert [j["code"] for j in zoom["jurisdictions"]] == ["CN"]
    assert not sport["relevant"] and sport["events"] == []


def test_ner_baseline_gives_orgs_and_mapped_gpes_and_no_events(ner_baseline):
    rows = list(ner_baseline.analyze_many(TEXTS))
    for row in rows:
        Analysis.model_validate(row)
        assert row["relevant"] is False and row["events"] == []
    assert [r["id"] for r in rows] == ["k1", "k2", "k3"]
    assert "CN" in {j["code"] for j in rows[1]["jurisdictions"]}
    assert any("Zoom" in c["name"] for c in rows[1]["companies"])
    assert all(j["code"] != "ES" for j in rows[2]["jurisdictions"])  # Madrid is no country name: dropped


def test_gpe_lookup_is_exact_only():
    assert gpe_code("China") == "CN"
    assert gpe_code("the United States") == "US"
    assert gpe_code("South Korea") == "KR"
    assert gpe_code("Brussels") is None
    assert gpe_code("U.S.") is None
