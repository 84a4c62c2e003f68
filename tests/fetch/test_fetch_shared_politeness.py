"""Per-host spacing held across processes through the store (pipeline.fetch.shared), on both backends."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.fetch.politeness import HostDeferred
from pipeline.fetch.shared import SharedHostLimiter
from pipeline.store import make_engine, upgrade_db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engines(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'regwatch.db'}"
        upgrade_db(url)
        made = [make_engine(url) for _ in range(3)]
        yield made
    else:
        with request.getfixturevalue("pg_database_factory")() as url:
            upgrade_db(url)
            made = [make_engine(url) for _ in range(3)]
            yield made
    for engine in made:
        engine.dispose()


def test_starts_are_spaced_across_limiters_as_if_one(engines):
    """Three limiters (three worker processes) with their own engines: every start 0.2 s from the next."""
    limiters = [SharedHostLimiter(engine, concurrency=4, rate=5.0) for engine in engines]
    starts: list[float] = []
    lock = threading.Lock()

    def worker(limiter: SharedHostLimiter) -> None:
        for _ in range(4):
            limiter.acquire("news.example:443")
            with lock:
                starts.append(time.time())
            limiter.release("news.example:443")

    threads = [threading.Thread(target=worker, args=(limiter,)) for limiter in limiters]
    began = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    starts.sort()
    assert len(starts) == 12
    # Each start comes at or after its reserved slot, and the slots are 0.2 s apart from the first, so the i-th
    # start cannot come before began + 0.2 i, however late a busy machine runs the threads (each limiter alone
    # would start its 4 requests at once, all 12 within a few milliseconds).
    early = [(i, round(at - began, 3)) for i, at in enumerate(starts) if at < began + 0.2 * i]
    assert not early, early
    assert starts[-1] - began < 2.2 + 2.0  # and no slower than the spacing asks, give or take a busy machine
    other = limiters[0]
    began = time.time()
    other.acquire("other.example:443")  # another host is not held up
    assert time.time() - began < 0.15


def test_a_retry_after_seen_by_one_worker_holds_back_the_others(engines):
    first = SharedHostLimiter(engines[0], rate=100.0, max_wait=1.0)
    second = SharedHostLimiter(engines[1], rate=100.0, max_wait=1.0)
    first.defer("busy.example:443", 30)
    with pytest.raises(HostDeferred) as caught:
        second.acquire("busy.example:443")
    assert 25 < caught.value.remaining <= 30
    second.acquire("calm.example:443")  # its slot was given back, and other hosts go on
    second.release("calm.example:443")
    first.defer("soon.example:443", 0.3)
    began = time.time()
    second.acquire("soon.example:443")
    assert 0.2 < time.time() - began < 1.0
