"""The work queue (pipeline.store.queue) on SQLite and PostgreSQL: claims, leases, retries, the dead."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.store import make_engine
from pipeline.store.queue import TaskQueue, WorkerRegistry, backoff_seconds


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def queue(engine, clock) -> TaskQueue:
    return TaskQueue(engine, lease=60, max_attempts=3, clock=clock, rng=random.Random(1))


def test_enqueue_is_idempotent_while_the_task_is_live(queue):
    assert queue.enqueue("poll", "gov-uk") is True
    assert queue.enqueue("poll", "gov-uk") is False  # queued already
    [task] = queue.claim("w1")
    assert queue.enqueue("poll", "gov-uk") is False  # running
    assert queue.enqueue("poll", "ftc") is True  # another key
    assert queue.complete("w1", task.id) is True
    assert queue.enqueue("poll", "gov-uk") is True  # done: the next poll may be queued
    assert queue.counts() == {"queued": 2, "running": 0, "done": 1, "dead": 0}


def test_claims_due_tasks_oldest_first_and_not_future_ones(queue, clock):
    queue.enqueue("item", "2")
    clock.advance(1)
    queue.enqueue("item", "1")
    queue.enqueue("poll", "later", run_after=clock.now + timedelta(minutes=5))
    claimed = queue.claim("w1", limit=10)
    assert [t.key for t in claimed] == ["2", "1"]
    assert all(t.state == "running" and t.lease_owner == "w1" and t.attempts == 1 for t in claimed)
    assert claimed[0].lease_expires == clock.now + timedelta(seconds=60)
    assert queue.claim("w2") == []
    for task in claimed:
        queue.complete("w1", task.id)
    clock.advance(301)
    assert [t.key for t in queue.claim("w2")] == ["later"]


def test_claim_by_kind(queue):
    queue.enqueue("poll", "a")
    queue.enqueue("item", "7")
    assert [t.label for t in queue.claim("w1", kinds=["item"], limit=5)] == ["item:7"]


def test_concurrent_workers_never_take_the_same_task(db_url, clock):
    engines = [make_engine(db_url) for _ in range(4)]
    try:
        TaskQueue(engines[0], clock=clock).enqueue_many("item", [str(n) for n in range(60)])
        taken: dict[str, list[str]] = {}
        barrier = threading.Barrier(len(engines))

        def work(number: int) -> None:
            queue = TaskQueue(engines[number], clock=clock)
            owner = f"w{number}"
            mine = taken.setdefault(owner, [])
            barrier.wait()
            while claimed := queue.claim(owner, limit=3):
                for task in claimed:
                    mine.append(task.key)
                    assert queue.complete(owner, task.id)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(engines))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        keys = [key for mine in taken.values() for key in mine]
        assert sorted(keys, key=int) == [str(n) for n in range(60)]  # each once, none lost
        assert TaskQueue(engines[0], clock=clock).counts()["done"] == 60
    finally:
        for engine in engines:
            engine.dispose()


def test_an_expired_lease_is_taken_over_and_the_old_owner_can_no_longer_finish(queue, clock):
    queue.enqueue("item", "42")
    [first] = queue.claim("dead-worker")
    clock.advance(30)
    assert queue.claim("w2") == []  # still leased
    assert queue.renew("dead-worker", [first.id]) == {first.id}  # renewed: now expires at 30 + 60
    clock.advance(59)
    assert queue.claim("w2") == []  # 89 s: the lease would have expired without the renewal
    clock.advance(2)  # the owner stopped renewing: expired
    [second] = queue.claim("w2")
    assert (second.id, second.attempts, second.lease_owner) == (first.id, 2, "w2")
    assert queue.renew("dead-worker", [first.id]) == set()
    assert queue.complete("dead-worker", first.id) is False
    assert queue.fail("dead-worker", first.id, "late") is None
    assert queue.complete("w2", second.id) is True


def test_failures_back_off_then_the_task_is_dead_with_its_error(queue, clock):
    queue.enqueue("poll", "broken")
    waits = []
    for attempt in (1, 2):
        [task] = queue.claim("w1")
        assert queue.fail("w1", task.id, f"fetch: HTTP 500 (attempt {attempt})\nTraceback ...") == "queued"
        [listed] = queue.tasks(kind="poll")
        waits.append((listed.run_after - clock.now).total_seconds())
        assert listed.last_error == f"fetch: HTTP 500 (attempt {attempt}) Traceback ..."  # one line
        assert queue.claim("w1") == []  # not before its back-off
        clock.advance(waits[-1])
    assert 24 <= waits[0] <= 36 and 48 <= waits[1] <= 72  # 30 s, then 60 s, +-20%
    [task] = queue.claim("w1")
    assert queue.fail("w1", task.id, "fetch: HTTP 500 (attempt 3)") == "dead"
    [dead] = queue.tasks(state="dead")
    assert (dead.attempts, dead.last_error) == (3, "fetch: HTTP 500 (attempt 3)")
    clock.advance(10_000)
    assert queue.claim("w1") == []
    assert queue.enqueue("poll", "broken") is True  # a dead task does not block new work
    assert queue.requeue_dead() == 0  # ... and is not requeued beside it
    [fresh] = queue.claim("w1")
    queue.complete("w1", fresh.id)
    assert queue.requeue_dead() == 1
    [again] = queue.claim("w1")
    assert (again.key, again.attempts) == ("broken", 1)


def test_a_task_whose_workers_keep_dying_ends_dead(queue, clock):
    queue.enqueue("item", "poison")
    for owner in ("w1", "w2", "w3"):
        assert [t.key for t in queue.claim(owner)] == ["poison"]
        clock.advance(61)
    assert queue.claim("w4") == []
    [dead] = queue.tasks(state="dead")
    assert "lease expired 3 times" in dead.last_error


def test_release_and_put_off_do_not_count_an_attempt(queue, clock):
    queue.enqueue("item", "1")
    [task] = queue.claim("w1")
    assert queue.release("w1", task.id) is True
    [task] = queue.claim("w2")
    assert task.attempts == 1
    assert queue.fail("w2", task.id, "host asked to wait", retry_in=120, count=False) == "queued"
    clock.advance(121)
    [task] = queue.claim("w3")
    assert task.attempts == 1


def test_done_since_and_purge(queue, clock):
    for key in "abc":
        queue.enqueue("item", key)
    for task in queue.claim("w1", limit=3):
        queue.complete("w1", task.id)
        clock.advance(60)
    assert queue.done_since(clock.now - timedelta(seconds=150)) == 2
    assert queue.purge_done(timedelta(seconds=100)) == 2
    assert queue.counts()["done"] == 1


def test_backoff_is_capped():
    rng = random.Random(0)
    assert 2880 <= backoff_seconds(50, rng=rng) <= 4320


def test_registry_knows_who_is_alive_and_who_leads(engine, clock):
    registry = WorkerRegistry(engine, clock=clock)
    registry.register("host-a:1", "scheduler", "host-a", 1)
    registry.register("host-b:2", "scheduler", "host-b", 2)
    registry.register("host-b:3", "worker", "host-b", 3)
    registry.lead("host-a:1")
    assert registry.leader()["id"] == "host-a:1"
    registry.lead("host-b:2")
    assert registry.leader()["id"] == "host-b:2"
    clock.advance(90)
    registry.beat("host-b:3", task="item:9", done=4)
    seen = registry.seen_since(clock.now - timedelta(minutes=1))
    assert [(w["id"], w["task"], w["done"]) for w in seen] == [("host-b:3", "item:9", 4)]
    registry.leave("host-b:3")
    assert registry.seen_since(clock.now - timedelta(minutes=5))[-1]["id"] != "host-b:3"


def test_processes_unseen_for_long_are_forgotten(engine, clock):
    registry = WorkerRegistry(engine, clock=clock)
    registry.register("killed:1", "worker", "h", 1)
    clock.advance(3 * 3600)
    registry.register("alive:2", "worker", "h", 2)
    assert registry.forget_unseen(timedelta(hours=1)) == 1
    assert [w["id"] for w in registry.seen_since(clock.now - timedelta(days=1))] == ["alive:2"]


def test_enqueue_many_skips_the_live_ones_and_repeats(queue):
    queue.enqueue("item", "1")
    assert queue.enqueue_many("item", ["1", "2", "2", "3"]) == 2
    assert queue.enqueue_many("item", ["3"]) == 0
    assert sorted(t.key for t in queue.tasks(kind="item")) == ["1", "2", "3"]
    claimed = queue.claim("w1", limit=3)
    assert queue.complete_many("w1", [t.id for t in claimed]) == {t.id for t in claimed}
    assert queue.complete_many("w2", [claimed[0].id]) == set()  # done already: nothing to finish twice
