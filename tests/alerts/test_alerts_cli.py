"""`regwatch crawl --once` delivers what it queues, end to end on loopback with the real analyzer:
a feed item -> page -> analysis -> outbox -> signed webhook; a second pass and `alerts send` add nothing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app
from tests.alerts.test_alerts_delivery import verify
from tests.support.receivers import HookReceiver
from tests.support.server import LoopbackServer, Route
from tests.test_crawl_stories import page, rss

ZOOM_TEXT = (
    "Zoom Video Communications will stop selling its services directly to customers in mainland China from "
    "23 August 2021, the company said on Friday. Zoom will move to a partner-only model in China, under which "
    "local partners sell and operate the service. The decision follows a review of the regulatory environment "
    "in China, the company said in a statement."
)


def test_crawl_once_queues_and_delivers_and_never_repeats(tmp_path, monkeypatch):
    with LoopbackServer() as site, HookReceiver() as hook:
        site.add("/story", Route(body=page("Zoom halts direct sales in mainland China", ZOOM_TEXT)))
        site.add("/feed.xml", Route(body=rss(("Zoom halts direct sales in mainland China", site.url("/story"), "z1")),
                                    content_type="application/rss+xml"))
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"sources:\n  - {{id: news, name: News, url: '{site.url('/feed.xml')}', "
                           "allow_private: true}\n")
        alerts = tmp_path / "alerts.yaml"
        alerts.write_text(f"""channels:
  hook: {{type: webhook, url: "{hook.url}", secret_env: REGWATCH_TEST_HOOK_SECRET}}
rules:
  - name: china-market-access
    match: {{jurisdictions: [CN], event_types: [sales_restriction, market_exit, service_restriction]}}
    query: zoom
    channels: [hook]
""")
        monkeypatch.setenv("REGWATCH_ALERTS_FILE", str(alerts))
        monkeypatch.setenv("REGWATCH_TEST_HOOK_SECRET", "s3cret")
        database = f"sqlite:///{tmp_path / 'regwatch.db'}"
        base = ["--database-url", database, "--data-dir", str(tmp_path)]
        runner = CliRunner()
        result = runner.invoke(app, [*base, "crawl", "--once", "--sources", str(sources)])
        assert result.exit_code == 0, result.output
        assert "alerts: 1 sent, 0 to retry, 0 dead" in result.output
        (received,) = hook.delivered
        body = verify(received)
        assert body["rule"] == "china-market-access" and body["kind"] == "new"
        assert body["event"]["type"] == "sales_restriction" and body["event"]["effective_date"] == "2021-08-23"
        assert body["matched"] == {"event_types": ["sales_restriction"], "jurisdictions": ["CN"], "query": ["zoom"]}
        assert body["url"] == site.url("/story") and body["sources"] == ["news"]
        assert body["evidence"].startswith("Zoom Video Communications will stop selling")

        result = runner.invoke(app, [*base, "crawl", "--once", "--sources", str(sources)])
        assert "alerts: 0 sent" in result.output
        result = runner.invoke(app, [*base, "alerts", "send"])
        assert result.exit_code == 0 and "outbox: 0 queued, 1 sent, 0 dead" in " ".join(result.output.split())
        status = json.loads(runner.invoke(app, [*base, "alerts", "status", "--json"]).output)
        assert status["counts"] == {"sent": 1}
        assert len(hook.requests) == 1  # sent alerts: 1, duplicates: 0


def test_run_schedules_the_sender_and_wakes_it_after_new_articles():
    import threading
    from types import SimpleNamespace

    from pipeline.scheduler import ALERT_INTERVAL, Runner

    calls = []
    sender = SimpleNamespace(send_due=lambda: calls.append("sent"))
    runner = Runner(SimpleNamespace(resume=lambda sources: 0), SimpleNamespace(), [], threading.Event(), sender=sender)
    runner.schedule()
    job = runner.scheduler.get_job("alerts")
    assert job is not None and job.executor == "alerts"
    assert job.trigger.interval.total_seconds() == ALERT_INTERVAL == 30
    runner._send_alerts()
    assert calls == ["sent"]

    from datetime import UTC, datetime, timedelta

    from pipeline.crawl import SourceReport

    later = datetime.now(UTC) + timedelta(hours=1)
    runner.scheduler.modify_job("alerts", next_run_time=later)
    runner.crawler.crawl_source = lambda source: SourceReport(source.id, new=1)
    runner.store = SimpleNamespace(source_state=lambda _id: SimpleNamespace(next_poll=None, consecutive_failures=0))
    runner._poll(SimpleNamespace(id="news"))
    assert runner.scheduler.get_job("alerts").next_run_time < later  # woken: new articles may have alerts


def test_the_example_alerts_file_is_valid():
    from pathlib import Path

    from pipeline.alerts import load_alerts

    example = load_alerts(Path(__file__).resolve().parents[2] / "alerts.example.yaml", missing_ok=False)
    assert example.rules and example.digests and set(example.channels) == {"policy-mail", "hook", "chat"}


def test_alerts_send_without_channels_refuses_rather_than_failing_every_delivery(tmp_path, monkeypatch):
    monkeypatch.setenv("REGWATCH_ALERTS_FILE", str(tmp_path / "absent.yaml"))
    result = CliRunner().invoke(app, ["--database-url", f"sqlite:///{tmp_path / 'r.db'}", "alerts", "send"])
    assert result.exit_code == 2
    assert "no channels defined (or no such file): nothing can be delivered" in " ".join(result.output.split())
