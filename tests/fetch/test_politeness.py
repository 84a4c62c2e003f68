"""Per-host politeness: spacing and concurrency shared by every job, Retry-After, back-off, robots.txt.

Real loopback servers (``tests.support.faults``) record what they saw; each server is one host.
Rates are high (10-20/s) to keep the suite fast; one test runs the default 1 request/s.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from pipeline.errors import FetchError
from pipeline.fetch import Fetcher
from pipeline.fetch.backoff import MAX_RETRY_AFTER, failure_delay, poll_delay
from pipeline.fetch.http import parse_retry_after
from pipeline.fetch.politeness import HostDeferred, HostLimiter, Interrupted, host_key
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from tests.support.faults import FaultServer, ok, sequence, slow, status

TOLERANCE = 0.06  # arrival at the server vs start at the client (the first request also connects)


@pytest.fixture
def server():
    with FaultServer() as srv:
        srv.add("/a", ok(b"a"))
        srv.add("/b", ok(b"b"))
        srv.add("/slow", slow(ok(b"slow"), 0.15))
        yield srv


@pytest.fixture
def other():
    with FaultServer() as srv:
        srv.add("/a", ok(b"a"))
        yield srv


def fetcher(limiter: HostLimiter | None = None, **settings) -> Fetcher:
    return Fetcher(Settings(**{"host_rate": 10.0, **settings}), limiter=limiter)


def test_requests_to_one_host_are_spaced_by_the_rate(server):
    with fetcher() as client:
        for _ in range(4):
            client.get(server.url("/a"), allow_private=True)
        starts = client.limiter.starts(server.host)
    assert len(server.hits) == 4 and len(starts) == 4
    assert all(gap >= 0.1 for gap in _gaps(starts))
    assert all(gap >= 0.1 - TOLERANCE for gap in server.gaps())


def test_default_is_one_request_per_second_per_host(server):
    started = time.monotonic()
    with Fetcher(Settings(host_rate=1.0)) as client:
        for path in ("/a", "/b", "/a"):
            client.get(server.url(path), allow_private=True)
    assert len(server.hits) == 3
    assert all(gap >= 1.0 - TOLERANCE for gap in server.gaps())
    assert time.monotonic() - started >= 2.0


def test_settings_defaults():
    names = ("host_concurrency", "host_rate", "total_timeout")
    defaults = {name: Settings.model_fields[name].default for name in names}
    assert defaults == {"host_concurrency": 1, "host_rate": 1.0, "total_timeout": 60.0}  # (the suite sets the env)
    limiter = Fetcher(Settings(host_concurrency=3, host_rate=2.5)).limiter
    assert (limiter.concurrency, limiter.rate) == (3, 2.5)


def test_hosts_are_limited_independently(server, other):
    started = time.monotonic()
    with fetcher(host_rate=2.0) as client:  # 0.5 s between starts on one host
        client.get(server.url("/a"), allow_private=True)
        client.get(other.url("/a"), allow_private=True)
    assert time.monotonic() - started < 0.4
    assert host_key(server.url("/x")) != host_key(other.url("/x"))


def test_per_call_rate_overrides_the_default(server):
    with fetcher(host_rate=100.0) as client:
        for _ in range(3):
            client.get(server.url("/a"), allow_private=True, rate=5.0)
    assert all(gap >= 0.2 - TOLERANCE for gap in server.gaps())
    assert all(gap >= 0.2 for gap in _gaps(client.limiter.starts(server.host)))


@pytest.mark.parametrize("concurrency", [1, 2])
def test_threads_never_exceed_the_host_concurrency(server, concurrency):
    limiter = HostLimiter(concurrency=concurrency, rate=200.0)
    with fetcher(limiter) as first, fetcher(limiter) as second:  # two jobs sharing the process limiter
        def job(client: Fetcher) -> None:
            for _ in range(3):
                client.get(server.url("/slow"), allow_private=True)

        threads = [threading.Thread(target=job, args=(client,)) for client in (first, second, first)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(server.hits) == 9
    assert server.peak_in_flight <= concurrency
    assert limiter.peak_concurrency(server.host) == concurrency  # reached, never passed


def test_shared_limiter_spaces_two_fetchers_in_two_threads(server):
    limiter = HostLimiter(concurrency=4, rate=10.0)
    barrier = threading.Barrier(2)

    def job() -> None:
        with fetcher(limiter) as client:
            barrier.wait()
            for _ in range(3):
                client.get(server.url("/a"), allow_private=True)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.hits) == 6
    assert all(gap >= 0.1 for gap in _gaps(limiter.starts(server.host)))
    assert all(gap >= 0.1 - TOLERANCE for gap in server.gaps())


# -- Retry-After --------------------------------------------------------------------------------------


def test_429_reports_retry_after_and_defers_the_host(server):
    server.add("/busy", sequence(status(429, retry_after=1), ok(b"fine")))
    with fetcher(host_rate=100.0) as client:
        with pytest.raises(FetchError) as caught:
            client.get(server.url("/busy"), allow_private=True)
        assert caught.value.message == "HTTP 429 Too Many Requests (retry after 1s)"
        assert caught.value.retry_after == 1.0 and caught.value.status == 429
        assert client.limiter.deferred_for(server.host) > 0.8
        assert client.get(server.url("/busy"), allow_private=True).body == b"fine"  # waits for it
    gaps = server.gaps()
    assert len(server.hits) == 2 and gaps[0] >= 1.0 - TOLERANCE


def test_long_retry_after_fails_fast_for_every_job_on_that_host(server, other):
    server.add("/down", status(503, retry_after=120))
    with fetcher(host_rate=100.0) as client:
        with pytest.raises(FetchError, match=r"^fetch: HTTP 503 Service Unavailable \(retry after 120s\)$"):
            client.get(server.url("/down"), allow_private=True)
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            client.get(server.url("/a"), allow_private=True)
        assert time.monotonic() - started < 0.5
        assert caught.value.message.startswith("127.0.0.1 asked regwatch to wait (retry after 1")
        assert 115 < caught.value.retry_after <= 120
        assert client.get(other.url("/a"), allow_private=True).body == b"a"  # other hosts are not held
    assert [hit.path for hit in server.hits] == ["/down"]


def test_retry_after_http_date_and_bad_values():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0.0
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("soon") is None and parse_retry_after("") is None and parse_retry_after("-5") is None


def test_503_without_retry_after_has_no_delay(server):
    server.add("/down", status(503))
    with fetcher() as client, pytest.raises(FetchError) as caught:
        client.get(server.url("/down"), allow_private=True)
    assert caught.value.message == "HTTP 503 Service Unavailable" and caught.value.retry_after is None
    assert client.limiter.deferred_for(server.host) == 0.0


def test_waiting_for_a_host_is_interrupted_by_the_stop_flag(server):
    stop = threading.Event()
    limiter = HostLimiter(rate=100.0, max_wait=60.0)
    limiter.defer(server.host, 30.0)
    with Fetcher(Settings(), limiter=limiter, stop=stop) as client:
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        with pytest.raises(FetchError, match="^fetch: interrupted$"):
            client.get(server.url("/a"), allow_private=True)
    assert time.monotonic() - started < 1.0
    assert server.hits == []


def test_limiter_unit_behaviour():
    limiter = HostLimiter(concurrency=1, rate=1000.0, max_wait=5.0)
    limiter.defer("h:80", 10_000)
    with pytest.raises(HostDeferred) as caught:
        limiter.acquire("h:80")
    assert caught.value.remaining <= 3600  # capped at MAX_DEFER
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted):
        limiter.acquire("other:80", stop=stop)
    with limiter.slot("x:443"):
        assert limiter.peak_concurrency("x:443") == 1
    assert host_key("https://Example.ORG/path") == "example.org:443"
    assert host_key("http://example.org:8080/") == "example.org:8080"
    with pytest.raises(ValueError):
        HostLimiter(rate=0)


# -- back-off -----------------------------------------------------------------------------------------


def test_failure_delay_doubles_with_jitter_and_caps():
    first, ceiling = timedelta(minutes=5), timedelta(hours=6)
    rng = random.Random(7)
    for failures in range(1, 12):
        top = min(first * 2 ** (failures - 1), ceiling)
        for _ in range(20):
            delay = failure_delay(failures, first, ceiling, rng=rng)
            assert first <= delay <= top
    assert failure_delay(1, first, ceiling) == first  # the first retry is exact
    draws = {failure_delay(5, first, ceiling, rng=rng) for _ in range(20)}
    assert len(draws) > 10  # jittered, so failing sources do not come back together


def test_failure_delay_honours_retry_after_and_floor():
    first, ceiling = timedelta(minutes=5), timedelta(hours=6)
    assert failure_delay(1, first, ceiling, retry_after=3600) == timedelta(hours=1)
    assert failure_delay(1, first, ceiling, retry_after=timedelta(hours=10)) == timedelta(hours=10)
    assert failure_delay(1, first, ceiling, retry_after=10**9) == MAX_RETRY_AFTER
    assert failure_delay(1, first, ceiling, retry_after=10) == first
    assert failure_delay(1, first, ceiling, floor=timedelta(hours=2)) == timedelta(hours=2)


def test_poll_delay_uses_interval_min_interval_and_settings():
    text = """sources:
  - {id: a, name: A, url: 'https://example.org/feed', interval: 2h, min_interval: 1h}
  - {id: b, name: B, url: 'https://example.org/feed', interval: 30m}
"""
    a, b = parse_sources(text, Path("s.yaml")).sources
    settings = Settings(retry_after_failure="5m", max_retry_interval="6h")
    assert poll_delay(a, settings, 0) == timedelta(hours=2)
    assert poll_delay(a, settings, 1) == timedelta(hours=1)  # the floor beats the 5m retry
    assert poll_delay(b, settings, 1) == timedelta(minutes=5)
    assert poll_delay(b, settings, 2, retry_after=900) == timedelta(minutes=15)


# -- robots.txt ---------------------------------------------------------------------------------------


ROBOTS = b"""User-agent: *
Disallow: /private/

User-agent: regwatch
Disallow: /no-bots/
Allow: /
"""


def test_robots_txt_disallow_is_enforced_and_cached_per_host(server):
    server.add("/robots.txt", ok(ROBOTS, "text/plain"))
    server.add("/no-bots/story", ok(b"secret"))
    server.add("/news/story", ok(b"story"))
    with fetcher(host_rate=200.0) as client:
        with pytest.raises(FetchError) as caught:
            client.get(server.url("/no-bots/story"), allow_private=True, check_robots=True)
        assert caught.value.message == "disallowed by robots.txt"
        assert client.get(server.url("/news/story"), allow_private=True, check_robots=True).body == b"story"
        with pytest.raises(FetchError, match="HTTP 404"):  # "*" rules do not apply: regwatch has its own group
            client.get(server.url("/private/x"), allow_private=True, check_robots=True)
        # without check_robots (feeds) nothing is asked
        assert client.get(server.url("/no-bots/story"), allow_private=True).body == b"secret"
    paths = [hit.path for hit in server.hits]
    assert paths.count("/robots.txt") == 1
    assert paths == ["/robots.txt", "/news/story", "/private/x", "/no-bots/story"]


def test_missing_robots_allows_and_unreachable_robots_disallows(server, other):
    server.add("/robots.txt", status(404))
    other.add("/robots.txt", status(503))
    with fetcher(host_rate=200.0) as client:
        assert client.get(server.url("/a"), allow_private=True, check_robots=True).body == b"a"
        with pytest.raises(FetchError) as caught:
            client.get(other.url("/a"), allow_private=True, check_robots=True)
        assert caught.value.message == (
            "disallowed by robots.txt (robots.txt unreachable: HTTP 503 Service Unavailable)"
        )
        with pytest.raises(FetchError, match="robots.txt unreachable"):
            client.get(other.url("/a"), allow_private=True, check_robots=True)
    assert [hit.path for hit in other.hits] == ["/robots.txt"]  # the answer is cached for a while


def test_robots_crawl_delay_slows_the_host_down(server):
    server.add("/robots.txt", ok(b"User-agent: *\nCrawl-delay: 1\n", "text/plain"))
    with fetcher(host_rate=200.0) as client:
        for _ in range(2):
            client.get(server.url("/a"), allow_private=True, check_robots=True)
    page_hits = sorted(hit.at for hit in server.hits if hit.path == "/a")
    assert _gaps(page_hits)[0] >= 1.0 - TOLERANCE  # (urllib.robotparser reads whole seconds only)


def _gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]
