"""Per-host politeness shared by every job of the process.

One ``HostLimiter`` lives in the process (the ``Fetcher`` makes one, or is handed
a shared one). Before each request the fetcher takes a slot for the request's
host (``host:port``): at most ``concurrency`` requests in flight to that host,
and request *starts* at least ``1 / rate`` seconds apart. A host that answered
429/503 with ``Retry-After`` is deferred: nobody starts a request there before
that time; a caller that would have to wait longer than ``max_wait`` is told so
at once (``HostDeferred``) instead of stalling its job.

Waiting is interruptible: pass a ``threading.Event`` (the crawl's stop flag) and
``Interrupted`` is raised within a fraction of a second of it being set.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Longest deferral a ``Retry-After`` header can impose on a host.
MAX_DEFER = 3600.0
#: Request starts remembered per host (for tests and status).
_HISTORY = 1000
#: Longest single sleep while waiting, so a stop flag is noticed quickly.
_POLL = 0.1


class HostDeferred(Exception):
    """The host asked not to be contacted for ``remaining`` more seconds (longer than the caller may wait)."""

    def __init__(self, host: str, remaining: float) -> None:
        super().__init__(f"{host} deferred for {remaining:.0f}s")
        self.host = host
        self.remaining = remaining


class Interrupted(Exception):
    """The stop flag was set while waiting for a slot."""


def host_key(url: str) -> str:
    """``host:port`` of an http(s) URL, lower case, default port filled in: the unit of politeness."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme.lower() == "https" else 80
    return f"{host}:{port}"


@dataclass
class _Host:
    active: int = 0
    last_start: float | None = None
    deferred_until: float = 0.0
    peak: int = 0
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=_HISTORY))


class HostLimiter:
    """Thread-safe per-host concurrency and spacing of request starts."""

    def __init__(
        self,
        concurrency: int = 1,
        rate: float = 1.0,
        *,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1 or rate <= 0:
            raise ValueError("concurrency must be >= 1 and rate > 0")
        self.concurrency = concurrency
        self.rate = rate
        self.max_wait = max_wait
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._cond = threading.Condition()

    # -- taking and giving back slots --------------------------------------------------------------

    def acquire(
        self,
        host: str,
        *,
        rate: float | None = None,
        concurrency: int | None = None,
        stop: threading.Event | None = None,
    ) -> float:
        """Block until a request to ``host`` may start; return the seconds waited.

        ``rate``/``concurrency`` override the defaults for this caller (a source's own limits).
        Raises ``HostDeferred`` when the host is deferred for longer than ``max_wait``, and
        ``Interrupted`` when ``stop`` is set while waiting.
        """
        spacing = 1.0 / (rate if rate and rate > 0 else self.rate)
        limit = concurrency if concurrency and concurrency >= 1 else self.concurrency
        began = self._clock()
        with self._cond:
            state = self._hosts.setdefault(host, _Host())
            while True:
                if stop is not None and stop.is_set():
                    raise Interrupted
                now = self._clock()
                if state.deferred_until - now > self.max_wait:
                    raise HostDeferred(host, state.deferred_until - now)
                ready_at = max(state.deferred_until,
                               state.last_start + spacing if state.last_start is not None else now)
                if state.active < limit and ready_at <= now:
                    state.active += 1
                    state.peak = max(state.peak, state.active)
                    state.last_start = now
                    state.starts.append(now)
                    return now - began
                # Either a slot frees up (notify) or the spacing elapses (timeout).
                timeout = ready_at - now if state.active < limit else _POLL
                self._cond.wait(min(max(timeout, 0.001), _POLL))

    def release(self, host: str) -> None:
        with self._cond:
            state = self._hosts.get(host)
            if state is not None and state.active > 0:
                state.active -= 1
            self._cond.notify_all()

    @contextmanager
    def slot(
        self,
        host: str,
        *,
        rate: float | None = None,
        concurrency: int | None = None,
        stop: threading.Event | None = None,
    ) -> Iterator[None]:
        self.acquire(host, rate=rate, concurrency=concurrency, stop=stop)
        try:
            yield
        finally:
            self.release(host)

    def defer(self, host: str, seconds: float) -> None:
        """Start no request to ``host`` for ``seconds`` (capped at ``MAX_DEFER``): it said Retry-After."""
        seconds = min(max(seconds, 0.0), MAX_DEFER)
        with self._cond:
            state = self._hosts.setdefault(host, _Host())
            state.deferred_until = max(state.deferred_until, self._clock() + seconds)
            self._cond.notify_all()

    def wake(self) -> None:
        """Make waiting callers re-check their stop flags now."""
        with self._cond:
            self._cond.notify_all()

    # -- observation -------------------------------------------------------------------------------

    def starts(self, host: str) -> list[float]:
        """Monotonic times at which requests to ``host`` started (the latest ``_HISTORY``)."""
        with self._cond:
            state = self._hosts.get(host)
            return list(state.starts) if state else []

    def peak_concurrency(self, host: str) -> int:
        """The most requests ever in flight at once to ``host``."""
        with self._cond:
            state = self._hosts.get(host)
            return state.peak if state else 0

    def deferred_for(self, host: str) -> float:
        """Seconds until ``host`` may be contacted again after a Retry-After (0 when it may now)."""
        with self._cond:
            state = self._hosts.get(host)
            return max(0.0, state.deferred_until - self._clock()) if state else 0.0

    def hosts(self) -> list[str]:
        with self._cond:
            return sorted(self._hosts)
