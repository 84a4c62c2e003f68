from __future__ import annotations

import itertools

from pipeline.analyze.schema import Analysis
from pipeline.records import ArticleInput

REQUIRED = {
    "id",
    "relevant",
    "relevance",
    "summary",
    "companies",
    "authorities",
    "jurisdictions",
    "dates",
    "events",
}


def test_output_validates_against_the_spec_shape(analyze):
    result = analyze(
        "From 23 August, Zoom will move to a partner-only model in China. "
        "The FTC fined Quillbyte $5 million.",
        title="Zoom changes its China model",
    )
    assert set(result) >= REQUIRED
    Analysis.model_validate(result)


def test_analyze_many_keeps_order_and_matches_analyze(analyzer):
    articles = [
        ArticleInput(id=f"a{i}", text=text, published="2021-08-05")
        for i, text in enumerate(
            [
                "The FTC sued Harbour Mobile.",
                "Rain is expected tomorrow.",
                "India banned 40 apps.",
                "Hello there.",
            ]
            * 3
        )
    ]
    results = list(analyzer.analyze_many(articles))
    assert [r["id"] for r in results] == [a.id for a in articles]
    assert results[2] == analyzer.analyze(articles[2])


def test_without_published_the_default_anchors_relative_dates(analyzer):
    from datetime import date

    article = ArticleInput(id="x", text="The rules take effect next Monday.")
    result = analyzer.analyze(article, default_published=date(2024, 3, 1))
    assert result["dates"][0]["date"] == "2024-03-04"


def test_real_articles(analyzer, dev_articles):
    by_id = {a["id"]: a for a in dev_articles}
    article = by_id["ftc-approves-final-divestiture-order-synopsys-ansys-deal"]
    result = analyzer.analyze(
        ArticleInput(
            id=article["id"], text=article["text"], title=article["title"], published=article["published"]
        )
    )
    Analysis.model_validate(result)
    event = next(e for e in result["events"] if e["type"] == "merger_decision")
    assert event["actor"] == "US Federal Trade Commission" and event["jurisdictions"] == ["US"]
    names = {c["name"] for c in result["companies"]}
    assert {"Synopsys", "Ansys"} <= names


def test_unrelated_articles_are_mostly_not_relevant(analyzer, dev_articles):
    unrelated = [a for a in dev_articles if a.get("label") == "unrelated"][:40]
    articles = (
        ArticleInput(id=a["id"], text=a["text"], title=a["title"], published=a["published"])
        for a in unrelated
    )
    flagged = sum(r["relevant"] for r in itertools.islice(analyzer.analyze_many(articles), 40))
    assert flagged <= len(unrelated) * 0.2
