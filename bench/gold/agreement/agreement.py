"""How far two labellers agree: the second, blind labels of 160 tune briefs scored against the first.

    .venv/bin/python bench/gold/agreement/agreement.py

``second_labels.jsonl`` holds labels (ids only, no text) written a second time, without sight of
``bench/gold/briefs.jsonl``, by another labeller following ``GUIDELINES.md``. They are scored with the scorer of
``regwatch eval`` as if they were an analysis, the first labels being the gold. The figures bound what a
system can be expected to reach on these labels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from pipeline.evaluate.gold import load_gold  # noqa: E402
from pipeline.evaluate.score import score  # noqa: E402


def main() -> None:
    first = {item.id: item for item in load_gold([HERE.parent / "briefs.jsonl"])}
    second = [json.loads(line) for line in (HERE / "second_labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    missing = [row["id"] for row in second if row["id"] not in first]
    if missing:
        raise SystemExit(f"second_labels.jsonl: ids not in briefs.jsonl: {', '.join(missing[:5])}")
    predictions = [{
        "id": row["id"], "relevant": row["relevant"], "companies": row["companies"],
        "jurisdictions": [{"code": code} for code in row["jurisdictions"]],
        "events": [{"type": e["type"], "jurisdictions": e["jurisdictions"], "effective_date": e.get("effective_date")}
                   for e in row["events"]],
    } for row in second]
    scores = score([first[row["id"]] for row in second], predictions)
    print(f"{len(second)} briefs labelled twice (split: {sorted({first[r['id']].split for r in second})})")
    for measure in ("relevance", "companies", "jurisdictions", "event_types", "events"):
        c = scores.counts[measure]
        print(f"{measure:14s} P {c.precision:.3f}  R {c.recall:.3f}  F1 {c.f1:.3f}")


if __name__ == "__main__":
    main()
