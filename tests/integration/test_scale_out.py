"""Scale-out on real PostgreSQL: `regwatch scheduler` and `regwatch worker` as separate processes.

A loopback site serves three feeds whose pages answer after a short delay, and one page that answers after
several seconds. A scheduler and two workers (`regwatch worker --concurrency 2`, or two `regwatch worker`) run as
subprocesses against a fresh PostgreSQL database:

- the worker holding the slow page's item is killed with SIGKILL in the middle of it; its lease expires,
  the other worker takes the item over, and every item is indexed exactly once;
- with two schedulers, the leader is killed with SIGKILL: the standby leads within seconds, and no feed is
  polled twice (the sources' interval is an hour, so each feed is read exactly once in the test);
- the README's example runs as written, and per-host spacing holds across its two workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pipeline.store import upgrade_db
from tests.support.server import LoopbackServer, Route

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
FEEDS = {"north": 6, "south": 6, "east": 5}
SLOW = ("north", 2)
LEASE = 3.0


def _page(feed: str, n: int) -> bytes:
    sentences = " ".join(f"The {feed} regulator issued notice {n}.{k} on platform conduct and licences."
                         for k in range(12))
    return (f"<html><head><title>{feed} {n}</title></head><body><article><h1>{feed} story {n}</h1>"
            f"<p>{sentences}</p></article></body></html>").encode()


def _rss(server: LoopbackServer, feed: str, count: int) -> bytes:
    items = "".join(f"<item><title>{feed} story {n}</title><link>{server.url(f'/{feed}/{n}')}</link>"
                    f"<description>Summary of {feed} story {n}.</description></item>" for n in range(count))
    channel = f"<title>{feed}</title><link>{server.base}</link>{items}"
    return f'<rss version="2.0"><channel>{channel}</channel></rss>'.encode()


class Site:
    """The loopback site, counting the requests of every path."""

    def __init__(self, server: LoopbackServer, slow_delay: float) -> None:
        self.server = server
        self.hits: Counter[str] = Counter()
        self.times: list[float] = []
        self._lock = threading.Lock()
        for feed, count in FEEDS.items():
            self._add(f"/{feed}.xml", Route(body=_rss(server, feed, count), content_type="application/rss+xml"))
            for n in range(count):
                delay = slow_delay if (feed, n) == SLOW else 0.05
                self._add(f"/{feed}/{n}", Route(body=_page(feed, n), delay=delay))

    def _add(self, path: str, route: Route) -> None:
        def counted() -> Route:
            with self._lock:
                self.hits[path] += 1
                self.times.append(time.monotonic())
            return route

        self.server.add(path, counted)

    def sources_file(self, directory: Path) -> Path:
        lines = ["sources:"]
        for feed in FEEDS:
            lines.append(f"  - {{id: {feed}, name: {feed}, url: '{self.server.url(f'/{feed}.xml')}', interval: 1h, "
                         "allow_private: true}")
        path = directory / "sources.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _env(db: str, tmp_path: Path, *, upgrade: bool = True, **extra: str) -> dict[str, str]:
    """The processes' settings; ``upgrade``: with the store's schema created first."""
    if upgrade:
        upgrade_db(db)
    return dict(os.environ, REGWATCH_DATABASE_URL=db, REGWATCH_DATA_DIR=str(tmp_path / "data"),
                REGWATCH_TASK_LEASE=str(LEASE), REGWATCH_LEADER_CHECK="0.3",
                REGWATCH_ALERTS_FILE=str(tmp_path / "none.yaml"), PYTHONUNBUFFERED="1", COLUMNS="200", **extra)


def _start(role: str, sources: Path, env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", role, "--sources", str(sources), *extra],
                            cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _query(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def _wait(condition, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(tmp_path.glob("*.log")))


def test_a_worker_killed_mid_item_loses_nothing_and_duplicates_nothing(tmp_path, pg_database_factory):
    with LoopbackServer() as server, pg_database_factory() as db:
        site = Site(server, slow_delay=5.0)
        sources = site.sources_file(tmp_path)
        env = _env(db, tmp_path)
        engine = create_engine(db)
        processes = [_start("scheduler", sources, env, tmp_path / "scheduler.log"),
                     _start("worker", sources, env, tmp_path / "workers.log", "--concurrency", "2")]
        try:
            slow_url = server.url(f"/{SLOW[0]}/{SLOW[1]}")

            def slow_owner():
                rows = _query(engine, "SELECT t.lease_owner FROM task t JOIN item i ON t.key = CAST(i.id AS TEXT) "
                                      "WHERE t.kind = 'item' AND t.state = 'running' AND i.identity = :u", u=slow_url)
                return rows[0][0] if rows and site.hits[f"/{SLOW[0]}/{SLOW[1]}"] >= 1 else None

            owner = _wait(slow_owner, 120, "a worker to start on the slow page")
            victim = int(owner.split(":")[1])  # host:pid:worker:random, a child of `worker --concurrency 2`
            assert victim not in (p.pid for p in processes)
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            total = sum(FEEDS.values())
            _wait(lambda: _query(engine, "SELECT COUNT(*) FROM item WHERE state = 'indexed'")[0][0] == total, 120,
                  "every item indexed")
            recovered = time.monotonic() - killed_at
            [(attempts, task_state, last_owner)] = _query(
                engine, "SELECT t.attempts, t.state, i.state FROM task t JOIN item i ON t.key = CAST(i.id AS TEXT) "
                        "WHERE t.kind = 'item' AND i.identity = :u", u=slow_url)
            articles, distinct = _query(engine, "SELECT COUNT(*), COUNT(DISTINCT canonical_url) FROM article")[0]
            per_item = _query(engine, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM item GROUP BY article_id) c")
            slow_articles = _query(engine, "SELECT COUNT(*) FROM article WHERE canonical_url = :u", u=slow_url)
            _wait(lambda: _query(engine, "SELECT COUNT(*) FROM task WHERE state IN ('queued', 'running')")[0][0] == 0,
                  30, "the last tasks to be marked done")  # an item is indexed a moment before its task is done
            live = _query(engine, "SELECT COUNT(*) FROM task WHERE state <> 'done'")
        finally:
            _stop(processes)
            engine.dispose()
        print(f"\nworker SIGKILLed mid-item: the other worker finished everything {recovered:.1f}s later "
              f"(lease {LEASE}s); slow page requested {site.hits[f'/{SLOW[0]}/{SLOW[1]}']} times")
        logs = _logs(tmp_path)
        assert "Traceback" not in logs, logs
        assert (attempts, task_state, last_owner) == (2, "done", "indexed"), logs
        assert site.hits[f"/{SLOW[0]}/{SLOW[1]}"] == 2  # fetched again by the worker that took it over
        assert articles == distinct == total and per_item[0][0] == 1 and slow_articles[0][0] == 1
        assert live[0][0] == 0
        assert all(site.hits[f"/{feed}.xml"] == 1 for feed in FEEDS)  # each feed polled once: nothing twice


def test_the_standby_scheduler_takes_over_within_seconds_and_schedules_nothing_twice(tmp_path, pg_database_factory):
    with LoopbackServer() as server, pg_database_factory() as db:
        site = Site(server, slow_delay=0.05)
        sources = site.sources_file(tmp_path)
        env = _env(db, tmp_path)
        engine = create_engine(db)
        first = _start("scheduler", sources, env, tmp_path / "scheduler-1.log")
        processes = [first]
        try:
            def leader():
                rows = _query(engine, "SELECT pid FROM worker WHERE role = 'scheduler' AND is_leader")
                return rows[0][0] if len(rows) == 1 else None

            assert _wait(leader, 60, "the first scheduler to lead") == first.pid
            second = _start("scheduler", sources, env, tmp_path / "scheduler-2.log")
            processes.append(second)
            _wait(lambda: len(_query(engine, "SELECT id FROM worker WHERE role = 'scheduler'")) == 2, 60,
                  "the standby to register")
            processes.append(_start("worker", sources, env, tmp_path / "worker.log"))
            _wait(lambda: _query(engine, "SELECT COUNT(*) FROM task WHERE kind = 'poll' AND state = 'done'")[0][0]
                  == len(FEEDS), 120, "every feed polled")
            jobs = {row[0] for row in _query(engine, "SELECT id FROM apscheduler_jobs")}
            assert leader() == first.pid  # the standby waited
            first.send_signal(signal.SIGKILL)
            first.wait()
            killed = time.monotonic()
            assert _wait(lambda: leader() == second.pid, 30, "the standby to lead")
            failover = time.monotonic() - killed
            time.sleep(3)  # the new leader's ticks: every source's next poll is an hour away
            polls = _query(engine, "SELECT key, COUNT(*) FROM task WHERE kind = 'poll' GROUP BY key")
            jobs_after = {row[0] for row in _query(engine, "SELECT id FROM apscheduler_jobs")}
        finally:
            _stop(processes)
            engine.dispose()
        print(f"\nleader SIGKILLed: the standby led {failover:.2f}s later (check every 0.3s)")
        logs = _logs(tmp_path)
        assert "Traceback" not in logs, logs
        assert failover < 10
        assert {"polls", "resume"} <= jobs and jobs_after == jobs  # the schedules live in the database
        assert dict(polls) == {feed: 1 for feed in FEEDS}
        assert all(site.hits[f"/{feed}.xml"] == 1 for feed in FEEDS)


def _readme_commands() -> list[list[str]]:
    """The `regwatch ...` lines of the README's "Running on several machines" block, comments dropped."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running on several machines", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("regwatch "):
            commands.append(line.split()[1:])
    return commands


def test_readme_example_runs(tmp_path, pg_database_factory):
    """The README's example, as written, with three processes on one host standing in for three machines; the
    host of every feed and page allows 4 requests a second, and the two workers together keep to it."""
    commands = _readme_commands()
    assert [c[0] for c in commands] == ["db", "scheduler", "worker", "worker", "status"]
    with LoopbackServer() as server, pg_database_factory() as db:
        site = Site(server, slow_delay=0.05)
        sources = site.sources_file(tmp_path)
        env = _env(db, tmp_path, upgrade=False, REGWATCH_HOST_RATE="4", REGWATCH_HOST_CONCURRENCY="4")

        def argv(command: list[str]) -> list[str]:
            return [sys.executable, "-m", "pipeline.cli", *[str(sources) if a == "sources.yaml" else a
                                                             for a in command]]

        subprocess.run(argv(commands[0]), cwd=REPO, env=env, check=True, capture_output=True)
        processes = []
        for number, command in enumerate(commands[1:4]):
            log = (tmp_path / f"{number}-{command[0]}.log").open("w")
            processes.append(subprocess.Popen(argv(command), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))
        engine = create_engine(db)
        try:
            total = sum(FEEDS.values())
            _wait(lambda: _query(engine, "SELECT COUNT(*) FROM item WHERE state = 'indexed'")[0][0] == total, 120,
                  "every item indexed")
            status = subprocess.run(argv(commands[4]), cwd=REPO, env=dict(env, COLUMNS="250"), capture_output=True,
                                    text=True, check=True).stdout
            done = [row[0] for row in _query(engine, "SELECT done FROM worker WHERE role = 'worker'")]
        finally:
            _stop(processes)
            engine.dispose()
        starts = sorted(site.times)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        print(f"\n{len(starts)} requests to one host from two workers: smallest gap {min(gaps):.3f}s, "
              f"{(starts[-1] - starts[0]) / (len(starts) - 1):.3f}s on average (spacing 0.25s); tasks done per "
              f"worker {done}")
        assert "Traceback" not in _logs(tmp_path)
        assert len(starts) >= total + len(FEEDS)
        # Every request starts at or after a slot reserved 0.25 s after the one before, so the i-th reaches the
        # site no sooner than 0.25 i after the first (less the first one's own way there); pairwise gaps would
        # also count a request that a busy machine delayed.
        early = [i for i, at in enumerate(starts) if at < starts[0] + 0.25 * i - 0.1]
        assert not early, [round(at - starts[0], 3) for at in starts]
        assert len(done) == 2 and all(n > 0 for n in done)  # both workers took part
        assert f":{processes[0].pid}:scheduler:" in status.split("leader:", 1)[1].splitlines()[0]
        assert status.count("worker") >= 2 and "0 queued, 0 running" in status
        assert f"{total} items" in status  # finished in the last 5 minutes
