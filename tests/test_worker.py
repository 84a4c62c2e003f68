"""The worker role in-process (pipeline.worker, pipeline.leader): tasks through a real SQLite store, HTTP through
httpx.MockTransport and the stand-in analyzer of the crawl tests. The multi-process tests on PostgreSQL are in
tests/integration/test_scale_out.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.crawl import Crawler
from pipeline.fetch import Fetcher
from pipeline.leader import FileLock, SchedulerRole
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store
from pipeline.store.queue import TaskQueue, queue_report
from pipeline.tasks import ITEM, POLL
from pipeline.worker import Worker
from tests.test_crawl import FEED_URL, Site, StubAnalyzer


@pytest.fixture
def env(tmp_path):
    settings = Settings(data_dir=tmp_path, analyze_batch_size=8, task_lease=30)
    (source,) = parse_sources(
        f"sources:\n  - {{id: news, name: News, url: '{FEED_URL}', interval: 30m}}\n", Path("s.yaml")
    ).sources
    store = Store.open(settings.resolved_database_url)
    store.sync_sources([source])
    site = Site()
    fetcher = Fetcher(settings, transport=httpx.MockTransport(site.handler), resolver=lambda host: ["93.184.216.34"])
    crawler = Crawler(settings, store, fetcher, StubAnalyzer(), stop=threading.Event())
    worker = Worker(settings, store, crawler, [source], identity="test:1:worker", idle_sleep=0.01)
    yield settings, store, site, worker, source
    fetcher.close()
    store.close()


def drain(worker: Worker, limit: int = 50) -> int:
    claimed = 0
    for _ in range(limit):
        got = worker.run_once()
        if not got:
            return claimed
        claimed += got
    raise AssertionError("the queue never drained")


def test_a_poll_queues_its_items_and_workers_index_them_once(env):
    settings, store, site, worker, source = env
    queue = worker.queue
    assert queue.enqueue(POLL, "news")
    assert worker.run_once() == 1  # the poll: the feed read, its items recorded and queued
    assert store.item_counts() == {"discovered": 2}
    assert [t.kind for t in queue.tasks(state="queued")] == [ITEM, ITEM]
    assert worker.run_once() == 2  # both items in one batch through analysis
    assert store.item_counts() == {"indexed": 2}
    assert queue.counts() == {"queued": 0, "running": 0, "done": 3, "dead": 0}
    assert worker.done == 3
    assert store.source_state("news").next_poll > datetime.now(UTC) + timedelta(minutes=25)
    queue.enqueue(ITEM, "1")  # item 1 again (queued twice by a restarted scheduler, say)
    assert drain(worker) == 1  # indexed already: done at once, not redone
    assert store.count_articles() == 2


def test_a_task_that_keeps_failing_is_dead_with_its_error_and_can_be_retried(env, tmp_path):
    settings, store, site, worker, source = env
    queue = TaskQueue(store.engine, max_attempts=2)
    worker.queue = queue
    queue.enqueue(POLL, "gone")  # a source this worker's file does not have
    for _ in range(2):
        assert worker.run_once() == 1
        with store.engine.begin() as conn:  # due again now, instead of after its back-off
            conn.exec_driver_sql("UPDATE task SET run_after = '2000-01-01 00:00:00.000000'")
    [dead] = queue.tasks(state="dead")
    assert "source 'gone' is not in this worker's sources file" in dead.last_error
    report = queue_report(store.engine)
    assert report["tasks"]["dead"] == 1 and report["dead"][0]["task"] == "poll:gone"
    runner = CliRunner()
    shown = runner.invoke(app, ["--data-dir", str(tmp_path), "status"])
    assert "dead tasks" in shown.output and "poll:gone" in shown.output
    retried = runner.invoke(app, ["--data-dir", str(tmp_path), "queue", "retry"])
    assert retried.exit_code == 0 and "1 dead tasks queued again" in retried.output
    assert queue.counts()["queued"] == 1


def test_a_failing_source_is_recorded_on_the_source_not_retried_by_the_queue(env):
    settings, store, site, worker, source = env
    site.feed_status = 500
    worker.queue.enqueue(POLL, "news")
    assert worker.run_once() == 1
    state = store.source_state("news")
    assert state.consecutive_failures == 1 and "500" in state.last_error
    assert worker.queue.counts()["done"] == 1  # the source's own back-off decides the next poll


def test_the_scheduler_leads_queues_due_polls_once_and_a_second_one_stands_by(env, tmp_path):
    settings, store, site, worker, source = env
    settings = Settings(data_dir=tmp_path, leader_check=0.2)
    first = SchedulerRole(settings, store, [source], identity="host:1:scheduler")
    second = SchedulerRole(settings, store, [source], identity="host:2:scheduler",
                           lock=FileLock(tmp_path / "scheduler.lock"))
    first.registry.register(first.id, "scheduler", "host", 1)
    second.registry.register(second.id, "scheduler", "host", 2)
    try:
        first.step()
        second.step()
        assert first.leading and not second.leading
        assert queue_report(store.engine)["leader"]["id"] == "host:1:scheduler"
        first.queue_due_polls()  # again, beside the leader's own first tick (run by APScheduler's thread)
        assert [t.label for t in first.queue.tasks(kind=POLL)] == ["poll:news"]  # queued once
        first._stand_down()  # the leader goes away: its file lock with it
        second.step()
        assert second.leading
        assert second.queue_due_polls() == 0  # still queued: not twice
    finally:
        first._stand_down()
        second._stand_down()


def test_alert_and_digest_tasks_deliver_through_the_worker(env):
    settings, store, site, worker, source = env

    class Sender:
        passes = 0

        def send_due(self):
            Sender.passes += 1

    sent = []

    class Digest:
        name = "morning"

    worker.sender = Sender()
    worker.digests = {"morning": Digest()}
    worker._send_digest = lambda store_, digest, settings_: sent.append(digest.name)
    worker.queue.enqueue("alerts", "outbox")
    worker.queue.enqueue("digest", "morning")
    worker.queue.enqueue("digest", "evening")  # not in this worker's alerts file
    assert drain(worker) == 3
    assert Sender.passes == 1 and sent == ["morning"]
    counts = worker.queue.counts()
    assert counts["done"] == 2 and counts["queued"] == 1  # the unknown digest waits for its retry
    [failed] = worker.queue.tasks(kind="digest", state="queued")
    assert failed.key == "evening" and "is not in this worker's alerts file" in failed.last_error
