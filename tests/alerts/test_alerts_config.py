"""alerts.yaml: the issue's example is valid; every problem is FILE:LINE: field: problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.alerts.config import load_alerts, parse_alerts
from pipeline.cli import app
from pipeline.errors import ConfigError

EXAMPLE = """\
# alerts.yaml
channels:
  policy-mail: {type: email, to: [policy-team@example.org]}
  hook: {type: webhook, url: "https://hooks.example.org/regwatch", secret_env: REGWATCH_WEBHOOK_SECRET}
  chat: {type: slack, url_env: REGWATCH_SLACK_URL}
rules:
  - name: china-market-access
    match: {jurisdictions: [CN], event_types: [sales_restriction, market_exit, service_restriction]}
    query: ""                      # optional, the search query language
    channels: [hook, policy-mail]
digests:
  - name: daily
    to: [policy-team@example.org]
    at: "07:30"
    timezone: Europe/London
    filter: {jurisdictions: [CN, US, EU]}
"""

BROKEN = """\
channels:
  mail: {type: email, to: [not-an-address]}
  hook: {type: webhook, url: "ftp://x"}
  chat: {type: slack}
  odd: {type: pager}
rules:
  - name: r1
    match:
      jurisdictions: [XX]
      event_types: [nope]
      min_confidence: 2
    channels: [hook, missing]
  - name: r2
    query: '"unbalanced'
    channels: [hook]
  - name: r3
    channels: [hook]
    surprise: 1
  - name: Bad Name
    match: {companies: [Zoom]}
    channels: [hook]
digests:
  - name: d
    to: [a@b.org]
    at: "25:00"
    timezone: Mars/Base
"""


def test_the_issue_example_is_valid():
    alerts = parse_alerts(EXAMPLE, Path("alerts.yaml"))
    assert set(alerts.channels) == {"policy-mail", "hook", "chat"}
    (rule,) = alerts.rules
    assert rule.match.jurisdictions == ("CN",) and rule.query is None and rule.channels == ("hook", "policy-mail")
    (digest,) = alerts.digests
    assert (digest.at, digest.timezone, digest.filter.jurisdictions) == ("07:30", "Europe/London", ("CN", "US", "EU"))


def test_every_problem_names_file_line_and_field():
    with pytest.raises(ConfigError) as caught:
        parse_alerts(BROKEN, Path("alerts.yaml"))
    problems = caught.value.problems
    assert problems == [
        "alerts.yaml:2: channels.mail.to: 'not-an-address' is not an e-mail address",
        "alerts.yaml:3: channels.hook.url: must be an http:// or https:// URL",
        "alerts.yaml:4: channels.chat.url: give exactly one of url and url_env",
        "alerts.yaml:5: channels.odd.type: 'pager' is not email, webhook or slack",
        "alerts.yaml:9: rules.0.match.jurisdictions: 'XX' is not an ISO 3166 code (US, GB, CN, US-CA) or EU",
        problems[5],
        "alerts.yaml:11: rules.0.match.min_confidence: Input should be less than or equal to 1",
        "alerts.yaml:12: rules.0.channels: no channel named 'missing' (mail, hook, chat, odd)",
        "alerts.yaml:14: rules.1.query: not a search query: unbalanced quote: the \" at position 1 is never closed",
        "alerts.yaml:18: rules.2.surprise: unknown field",
        "alerts.yaml:19: rules.3.name: use lower-case letters, digits, '-' and '_' (at most 64)",
        "alerts.yaml:25: digests.0.at: '25:00' is not a time of day like 07:30",
        "alerts.yaml:26: digests.0.timezone: 'Mars/Base' is not a time zone like Europe/London",
    ]
    assert problems[5].startswith("alerts.yaml:10: rules.0.match.event_types: 'nope' is not an event type (ban,")


def test_a_rule_must_select_something_and_names_are_unique():
    text = """channels:
  hook: {type: webhook, url: "http://127.0.0.1:1/x"}
rules:
  - {name: all, channels: [hook]}
  - {name: zoom, match: {companies: Zoom}, channels: hook}
  - {name: zoom, query: zoom, channels: [hook]}
"""
    with pytest.raises(ConfigError) as caught:
        parse_alerts(text, Path("a.yaml"))
    assert caught.value.problems == [
        "a.yaml:4: rules.0.match: a rule needs a match or a query (it would match every article)",
        "a.yaml:6: rules.2.name: duplicate name 'zoom' (first is entry 1)",
    ]


def test_missing_file_is_no_alerts_and_yaml_errors_have_a_line(tmp_path):
    alerts = load_alerts(tmp_path / "absent.yaml")
    assert alerts.rules == [] and alerts.channels == {}
    with pytest.raises(ConfigError, match="cannot read"):
        load_alerts(tmp_path / "absent.yaml", missing_ok=False)
    bad = tmp_path / "alerts.yaml"
    bad.write_text("rules:\n  - name: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_alerts(bad)
    assert caught.value.problems[0].startswith(f"{bad}:3: YAML syntax:")


def test_alerts_check_command(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(EXAMPLE)
    bad.write_text(BROKEN)
    runner = CliRunner()
    result = runner.invoke(app, ["alerts", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "3 channels, 1 rules, 1 digests, all valid" in " ".join(result.output.split())
    result = runner.invoke(app, ["alerts", "check", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: channels.mail.to:" in result.output


def test_alerts_check_names_saved_searches_that_do_not_exist(tmp_path):
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(
        "channels:\n  hook:\n    type: webhook\n    url: https://example.org/hook\n"
        "rules:\n  - name: tariff-watch\n    search: tariffs-saved\n    channels: [hook]\n"
    )
    database = ["--database-url", f"sqlite:///{tmp_path / 'store.db'}"]
    runner = CliRunner()
    result = runner.invoke(app, [*database, "alerts", "check", str(alerts)])
    assert result.exit_code == 1
    assert f"{alerts}: rules.tariff-watch.search: no saved search 'tariffs-saved'" in " ".join(result.output.split())
    saved = runner.invoke(app, [*database, "searches", "save", "tariffs-saved", "tariffs jurisdiction:US"])
    assert saved.exit_code == 0, saved.output
    result = runner.invoke(app, [*database, "alerts", "check", str(alerts)])
    assert result.exit_code == 0, result.output
