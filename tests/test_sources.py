from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import ConfigError
from pipeline.sources import load_sources, parse_duration, parse_sources

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_sources(text, Path("sources.yaml"))
    return info.value.problems


def test_shipped_sources_file_is_valid_and_broad():
    sources = load_sources(REPO / "sources.yaml").sources
    assert len(sources) >= 20
    jurisdictions = {s.jurisdiction for s in sources}
    assert {"US", "EU", "GB", "CN", "IN", "JP", "AU"} <= jurisdictions
    assert all(s.url.startswith("https://") or s.url.startswith("http://") for s in sources)
    assert len({s.id for s in sources}) == len(sources)


def test_defaults():
    text = "sources:\n  - id: a\n    name: A\n    url: https://example.org/feed.xml\n"
    (source,) = parse_sources(text, Path("s.yaml")).sources
    assert source.kind == "feed"
    assert source.interval == timedelta(minutes=30)
    assert source.fetch_full_text is True
    assert source.allow_private is False
    assert source.tags == ()


def test_problems_name_file_line_and_field():
    text = """sources:
  - id: good
    name: Good
    url: https://example.org/a.xml
    interval: 2h
  - id: Bad Id
    name: B
    url: ftp://example.org/feed
    interval: soon
    jurisdiction: Narnia
    colour: blue
  - name: no id
    url: file:///tmp/feed.xml
  - id: good
    name: twice
    url: http://127.0.0.1:8000/feed
"""
    assert problems_of(text) == [
        "sources.yaml:6: id: use lower-case letters, digits, '-' and '_' (at most 64)",
        "sources.yaml:8: url: must be an http://, https:// or file:// URL",
        "sources.yaml:9: interval: 'soon' is not a duration like 90s, 30m, 2h or 1d",
        "sources.yaml:10: jurisdiction: 'Narnia' is not an ISO 3166 code (US, GB, CN, US-CA) or EU",
        "sources.yaml:11: colour: unknown field",
        "sources.yaml:12: id: required field is missing",
        "sources.yaml:14: id: duplicate id 'good' (first on line 2)",
    ]


def test_yaml_syntax_error_has_a_line():
    assert problems_of("sources:\n  - id: a\n   name: [unclosed\n")[0].startswith("sources.yaml:3: YAML syntax:")


@pytest.mark.parametrize("text", ["", "just a string\n", "sources: 3\n", "other: []\n"])
def test_wrong_shapes(text):
    assert problems_of(text)[0].startswith("sources.yaml:1: sources:")


def test_jurisdiction_codes_are_normalised():
    text = "sources:\n  - {id: a, name: A, url: 'https://x.org/f', jurisdiction: us-ca}\n"
    assert parse_sources(text, Path("s.yaml")).sources[0].jurisdiction == "US-CA"


def test_durations():
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1d") == timedelta(days=1)
    assert parse_duration(600) == timedelta(minutes=10)
    with pytest.raises(ValueError):
        parse_duration("0m")


def test_sources_check_command(tmp_path):
    good = runner.invoke(app, ["sources", "check", str(REPO / "sources.yaml")])
    assert good.exit_code == 0 and "all valid" in good.output
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("sources:\n  - id: a\n    name: A\n    url: gopher://x\n", encoding="utf-8")
    bad = runner.invoke(app, ["sources", "check", str(bad_file)])
    assert bad.exit_code == 2
    assert f"{bad_file}:4: url: must be an http://, https:// or file:// URL" in bad.output
    missing = runner.invoke(app, ["sources", "check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
