from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def test_eval_end_to_end_with_baselines_and_meantime(tiny_gold, corpus_dir):
    result = runner.invoke(app, ["eval", str(tiny_gold), "--baselines", "--meantime", "--json",
                                 "--corpus", str(corpus_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["items"] == {"tune": 3, "test": 1, "total": 4}
    assert list(report["systems"]) == ["regwatch", "plain NER", "keywords"]
    for measures in report["systems"].values():
        assert measures["items"] == 4
        for name in ("relevance", "companies", "jurisdictions", "event_types", "events"):
            for part in ("precision", "recall", "f1"):
                assert measures[name][part] is None or 0.0 <= measures[name][part] <= 1.0
    ner = report["systems"]["plain NER"]
    assert ner["relevance"]["recall"] == 0.0 and ner["events"]["tp"] == 0
    assert report["systems"]["regwatch"]["jurisdictions"]["tp"] >= 2  # US twice at least: easy cases
    assert report["meantime"]["cases"] > 100 and 0 < report["meantime"]["regwatch"]["accuracy"] <= 1


def test_eval_table_and_tune_split(tiny_gold, corpus_dir):
    result = runner.invoke(app, ["eval", str(tiny_gold), "--split", "tune", "--corpus", str(corpus_dir)])
    assert result.exit_code == 0, result.output
    assert "split tune: 3 items (tune 3, test 0)" in result.stdout
    for row in ("relevance F1", "company P", "jurisdiction R", "event type F1", "event (type, jurisdiction) F1",
                "effective-date accuracy"):
        assert row in result.stdout
    assert "plain NER" not in result.stdout


def test_errors_list_tune_items_only(tiny_gold, corpus_dir):
    result = runner.invoke(app, ["eval", str(tiny_gold), "--errors", "--json", "--corpus", str(corpus_dir)])
    assert result.exit_code == 0, result.output
    listed = {e["id"] for e in json.loads(result.stdout)["errors"]}
    assert "ftc-approves-final-divestiture-order-synopsys-ansys-deal" not in listed  # a test item


def test_errors_refused_on_the_test_split(tiny_gold):
    result = runner.invoke(app, ["eval", str(tiny_gold), "--errors", "--split", "test"])
    assert result.exit_code == 2
    assert "not for the test split" in result.output


def test_malformed_gold_is_reported_by_line(tmp_path, corpus_dir):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "wpce-2025-01-15-00279", "corpus": "briefs"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path), "--corpus", str(corpus_dir)])
    assert result.exit_code == 2
    assert f"{path}:1: relevant: required: true or false" in result.output


def test_articles_and_briefs_are_also_scored_apart(tiny_gold, corpus_dir):
    """The pooled scores are micro-averaged over every item; --by-corpus shows each corpus on its own, and
    the two together add up to the pooled counts."""
    result = runner.invoke(app, ["eval", str(tiny_gold), "--by-corpus", "--baselines", "--json",
                                 "--corpus", str(corpus_dir)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    parts = report["by_corpus"]
    assert {corpus: part["items"] for corpus, part in parts.items()} == {"articles": 1, "briefs": 3}
    for system, pooled in report["systems"].items():
        for measure in ("relevance", "jurisdictions", "events"):
            for count in ("tp", "fp", "fn"):
                assert sum(part["systems"][system][measure][count] for part in parts.values()) == \
                    pooled[measure][count]
    table = runner.invoke(app, ["eval", str(tiny_gold), "--by-corpus", "--corpus", str(corpus_dir)])
    assert table.exit_code == 0, table.output
    assert "F1 by corpus" in table.stdout and "articles (1)" in table.stdout and "briefs (3)" in table.stdout
