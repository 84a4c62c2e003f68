from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def test_two_processes_give_the_same_output_as_one(tmp_path, corpus_dir):
    lines = []
    with (corpus_dir / "briefs" / "dev.jsonl").open(encoding="utf-8") as handle:
        for _, line in zip(range(7), handle, strict=False):
            row = json.loads(line)
            lines.append(json.dumps({"id": row["id"], "text": row["text"], "published": row["date"]}))
    lines.insert(3, "{not json")
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outputs = []
    for processes in ("1", "2"):
        out = tmp_path / f"out{processes}.jsonl"
        result = runner.invoke(app, ["analyze", "--input", str(source), "--output", str(out),
                                     "--processes", processes])
        assert result.exit_code == 1  # the one bad line
        outputs.append(out.read_text(encoding="utf-8").splitlines())
    assert len(outputs[0]) == 8
    assert outputs[0] == outputs[1]
