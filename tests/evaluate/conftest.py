"""Fixtures for the evaluation tests: small gold files written here, the real corpus read by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CORPUS


def gold_line(item_id: str, corpus: str = "briefs", **labels) -> str:
    from pipeline.evaluate.gold import split_of

    data = {"id": item_id, "corpus": corpus, "split": split_of(item_id), "relevant": False, "companies": [],
            "jurisdictions": [], "events": []}
    data.update(labels)
    return json.dumps(data)


# Our own labels for four real dev items (three tune, one test), read against the corpus text.
TINY_GOLD = [
    gold_line("ftc-approves-final-divestiture-order-synopsys-ansys-deal", "articles", relevant=True,
              companies=[{"name": "Synopsys"}, {"name": "Ansys"}, {"name": "Keysight Technologies"}],
              jurisdictions=["US"], events=[{"type": "merger_decision", "jurisdictions": ["US"],
                                             "effective_date": None, "actor": "FTC"}]),
    gold_line("wpce-2025-01-15-00279", relevant=True, jurisdictions=["US"],
              events=[{"type": "ban", "jurisdictions": ["US"], "effective_date": None}]),
    gold_line("wpce-2025-01-03-00056", relevant=True, jurisdictions=["EG", "SY"],
              events=[{"type": "ban", "jurisdictions": ["EG"], "effective_date": None}]),
    gold_line("wpce-2025-01-01-00001", jurisdictions=["IL", "PS"]),
]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def tiny_gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(TINY_GOLD) + "\n", encoding="utf-8")
    return path
