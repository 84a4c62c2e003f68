from __future__ import annotations

import json

import pytest

from pipeline.errors import ConfigError
from pipeline.evaluate.gold import _holdout_ids, load_gold, resolve_inputs, split_of
from tests.evaluate.conftest import gold_line


def write(tmp_path, lines: list[str], name: str = "gold.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(paths) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_gold(paths)
    return info.value.problems


def test_loads_items_with_labels_in_order(tiny_gold):
    items = load_gold([tiny_gold])
    assert [i.id for i in items][:2] == ["ftc-approves-final-divestiture-order-synopsys-ansys-deal",
                                         "wpce-2025-01-15-00279"]
    first = items[0]
    assert first.corpus == "articles" and first.relevant and first.split == split_of(first.id)
    assert [c.name for c in first.companies] == ["Synopsys", "Ansys", "Keysight Technologies"]
    assert first.events[0].type == "merger_decision" and first.events[0].jurisdictions == ("US",)
    assert first.where.endswith("gold.jsonl:1")


def test_malformed_lines_are_reported_with_file_line_and_field(tmp_path):
    path = write(tmp_path, [
        gold_line("wpce-2025-01-15-00279"),
        "",
        "{not json",
        json.dumps({"id": "wpce-2025-01-03-00056", "corpus": "news", "relevant": "yes", "companies": [],
                    "jurisdictions": ["USA"], "events": [{"type": "takeover", "jurisdictions": ["US"]}]}),
        gold_line("wpce-2025-01-01-00001", events=[{"type": "ban", "jurisdictions": [], "effective_date": "23/08"}],
                  jurisdiction=["US"]),
        gold_line("wpce-2025-01-15-00279"),
        json.dumps({"id": "wpce-2025-03-07-01123", "corpus": "briefs", "split": "test", "relevant": True,
                    "companies": [{"aliases": ["X"]}], "jurisdictions": [], "events": []}),
    ])
    problems = problems_of([path])
    assert f"{path}:3: line: invalid JSON: Expecting property name enclosed in double quotes (column 2)" in problems
    assert f"{path}:4: corpus: must be one of articles, briefs (got 'news')" in problems
    assert f"{path}:4: relevant: required: true or false" in problems
    assert f"{path}:4: jurisdictions: 'USA' is not an ISO 3166 code (US, GB, CN, US-CA) or EU" in problems
    assert f"{path}:4: events[0].type: 'takeover' is not a type of the taxonomy" in problems
    assert f"{path}:5: jurisdiction: unknown field" in problems
    assert any(p.startswith(f"{path}:5: events[0].effective_date: '23/08' is not an ISO date") for p in problems)
    assert f"{path}:6: id: duplicate id 'wpce-2025-01-15-00279' (first at {path}:1)" in problems
    assert f"{path}:7: split: is 'test' but split_of('wpce-2025-03-07-01123') is 'tune'" in problems
    assert f"{path}:7: companies[0].name: required: a non-empty string" in problems
    assert not any(f"{path}:1:" in p or f"{path}:2:" in p for p in problems)


def test_missing_label_fields_and_unreadable_file(tmp_path):
    path = write(tmp_path, [json.dumps({"id": "wpce-2025-01-15-00279", "corpus": "briefs"})])
    problems = problems_of([path, tmp_path / "missing.jsonl"])
    assert f"{path}:1: companies: required: a list (may be empty)" in problems
    assert f"{path}:1: events: required: a list (may be empty)" in problems
    assert any(p.startswith(f"{tmp_path / 'missing.jsonl'}: cannot read") for p in problems)


def test_texts_are_read_from_the_corpus_by_id(tiny_gold, corpus_dir):
    inputs = resolve_inputs(load_gold([tiny_gold]), corpus_dir)
    article, brief = inputs[0], inputs[1]
    assert article.title == "FTC Approves Final Divestiture Order in Synopsys and Ansys Deal"
    assert article.published == "2025-10-17" and article.text.startswith(article.title)
    assert brief.id == "wpce-2025-01-15-00279" and brief.published == "2025-01-15" and "Red No. 3" in brief.text
    assert brief.title is None


def test_holdout_ids_are_refused(tmp_path, corpus_dir):
    holdout_id = min(_holdout_ids(corpus_dir / "briefs" / "holdout.jsonl"))
    path = write(tmp_path, [gold_line("wpce-2025-01-15-00279"), gold_line(holdout_id), gold_line("no-such-id")])
    with pytest.raises(ConfigError) as info:
        resolve_inputs(load_gold([path]), corpus_dir)
    assert info.value.problems == [
        f"{path}:2: id: {holdout_id!r} is in briefs/holdout.jsonl: holdout items are never evaluated",
        f"{path}:3: id: 'no-such-id' is not in briefs/dev.jsonl",
    ]


def test_missing_corpus_directory(tiny_gold, tmp_path):
    with pytest.raises(ConfigError, match="corpus directory not found"):
        resolve_inputs(load_gold([tiny_gold]), tmp_path / "nowhere")
