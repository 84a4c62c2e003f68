"""robots.txt for article pages, cached per origin (``scheme://host:port``).

What an answer means follows RFC 9309:

* 2xx: the rules apply to the ``regwatch`` token (or ``*``), kept for ``ROBOTS_TTL`` (a day).
  ``Crawl-delay`` is honoured as a lower request rate (capped at ``MAX_CRAWL_DELAY``).
* 4xx (404, 401, 403, 410 ...): no rules, everything allowed, kept for a day.
* 429/503 with ``Retry-After``: not cached; the host is held by the limiter and the page waits.
* 5xx, 429, timeouts and connection failures ("unreachable"): everything disallowed for
  ``UNREACHABLE_TTL`` (10 minutes), then asked again; a copy that was good before is used instead
  while it is no older than ``STALE_LIMIT`` (30 days).

Only the first ``MAX_ROBOTS_BYTES`` (500 KiB, the RFC's minimum) are parsed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from pipeline.errors import FetchError

logger = logging.getLogger(__name__)

AGENT = "regwatch"
ROBOTS_TTL = 24 * 3600.0
UNREACHABLE_TTL = 600.0
STALE_LIMIT = 30 * 24 * 3600.0
MAX_ROBOTS_BYTES = 500 * 1024
MAX_CRAWL_DELAY = 30.0


@dataclass
class RobotsRules:
    parser: RobotFileParser | None  # None: everything allowed (4xx)
    fetched: float  # monotonic time of the answer
    expires: float
    unreachable: str | None = None  # why everything is disallowed for now

    def allows(self, url: str) -> bool:
        if self.unreachable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(AGENT, url)

    @property
    def crawl_delay(self) -> float | None:
        if self.parser is None or self.unreachable is not None:
            return None
        delay = self.parser.crawl_delay(AGENT)
        if delay is None:
            return None
        try:
            return min(max(float(delay), 0.0), MAX_CRAWL_DELAY) or None
        except (TypeError, ValueError):
            return None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


def parse_robots(body: bytes) -> RobotFileParser:
    parser = RobotFileParser()
    text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    parser.parse(text.splitlines())
    return parser


class RobotsCache:
    """Per-origin robots.txt rules; ``fetch(robots_url)`` returns the body or raises ``FetchError``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, url: str, fetch: Callable[[str], bytes]) -> RobotsRules:
        """The rules for ``url``'s origin, fetched once per TTL (one fetch at a time per origin)."""
        key = robots_url(url)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            now = self._clock()
            cached = self._rules.get(key)
            if cached is not None and cached.expires > now:
                return cached
            rules = self._load(key, fetch, previous=cached)
            self._rules[key] = rules
            return rules

    def forget(self, url: str | None = None) -> None:
        with self._guard:
            if url is None:
                self._rules.clear()
            else:
                self._rules.pop(robots_url(url), None)

    def _load(self, key: str, fetch: Callable[[str], bytes], previous: RobotsRules | None) -> RobotsRules:
        now = self._clock()
        try:
            body = fetch(key)
        except FetchError as exc:
            status = getattr(exc, "status", None)
            if status is not None and 400 <= status < 500 and status != 429:
                logger.debug("%s: HTTP %s: no rules, everything allowed", key, status)
                return RobotsRules(None, now, now + ROBOTS_TTL)
            if exc.message == "interrupted" or exc.retry_after is not None:
                raise  # not an answer about robots.txt: the host asked us to wait (the limiter holds it)
            if previous is not None and previous.unreachable is None and now - previous.fetched < STALE_LIMIT:
                logger.info("%s: unreachable (%s); keeping the rules fetched before", key, exc.message)
                return RobotsRules(previous.parser, previous.fetched, now + UNREACHABLE_TTL)
            logger.info("%s: unreachable (%s); article pages of this site wait", key, exc.message)
            return RobotsRules(None, now, now + UNREACHABLE_TTL, unreachable=exc.message)
        return RobotsRules(parse_robots(body), now, now + ROBOTS_TTL)
