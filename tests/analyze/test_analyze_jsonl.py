from __future__ import annotations

import io
import json
from datetime import date

from pipeline.analyze import run_jsonl
from pipeline.analyze.schema import Analysis, ErrorLine


def run(analyzer, lines: list[str], **kwargs) -> tuple[list[dict], tuple[int, int]]:
    out = io.StringIO()
    counts = run_jsonl(lines, out, analyzer, **kwargs)
    return [json.loads(line) for line in out.getvalue().splitlines()], counts


def test_one_line_per_input_in_order_with_errors(analyzer):
    lines = [
        json.dumps({"id": "a1", "text": "The FTC sued Harbour Mobile.", "published": "2021-08-05"}),
        "{not json",
        json.dumps({"id": "a3", "title": "no text"}),
        "",
        json.dumps({"id": "a4", "text": "Ofcom fined a broadcaster \u00a3200,000.", "source": "x"}) + "\n",
        json.dumps(["a", "list"]),
        json.dumps({"text": "no id"}),
    ]
    rows, counts = run(analyzer, lines)
    assert counts == (2, 4)
    assert [r.get("id") for r in rows] == ["a1", None, "a3", "a4", None, None]
    Analysis.model_validate(rows[0])
    Analysis.model_validate(rows[3])
    for row in (rows[1], rows[2], rows[4], rows[5]):
        ErrorLine.model_validate(row)
    assert "line 2" in rows[1]["error"]
    assert "line 3" in rows[2]["error"] and "text" in rows[2]["error"]


def test_order_is_kept_across_batches(analyzer):
    ids = [f"n{i}" for i in range(21)]  # batch size 8 in the fixture: three batches
    lines = [json.dumps({"id": i, "text": f"Report number {i} was published."}) for i in ids]
    lines.insert(9, "oops")
    rows, counts = run(analyzer, lines)
    assert counts == (21, 1)
    assert [r["id"] for r in rows] == ids[:9] + [None] + ids[9:]


def test_non_ascii_is_written_as_is_and_default_date_anchors(analyzer):
    lines = [
        json.dumps(
            {"id": "u", "text": "Die Regeln gelten ab nächsten Montag. The ban takes effect next Monday."}
        )
    ]
    rows, _ = run(analyzer, lines, default_published=date(2024, 3, 1))
    out = io.StringIO()
    run_jsonl(lines, out, analyzer, default_published=date(2024, 3, 1))
    assert "nächsten" in out.getvalue()
    assert {"text": "next Monday", "date": "2024-03-04"}.items() <= rows[0]["dates"][-1].items()


def test_reads_lazily(analyzer):
    consumed = []

    def source():
        for i in range(30):
            consumed.append(i)
            yield json.dumps({"id": str(i), "text": "Nothing happened today."})

    out = io.StringIO()

    class Watch(io.StringIO):
        def write(self, s: str) -> int:
            if not hasattr(self, "first"):
                self.first = len(consumed)
            return super().write(s)

    out = Watch()
    run_jsonl(source(), out, analyzer)
    assert out.first <= 9  # the first batch (8 lines) was written before the rest was read
