"""When to poll a source next: its interval after a success, a jittered back-off after failures.

The back-off doubles from ``first`` and is capped at ``ceiling``; the actual delay is drawn
uniformly between ``first`` and that value ("full jitter" with the first delay as its floor),
so sources that failed together (a network outage) do not all come back in the same second.
A server's ``Retry-After`` is a floor: regwatch never comes back sooner than it asked (up
to ``MAX_RETRY_AFTER``, even past ``ceiling``), and a source's ``min_interval`` is a floor too.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from pipeline.sources import parse_duration

if TYPE_CHECKING:
    from pipeline.settings import Settings
    from pipeline.sources import Source

#: Longest Retry-After honoured; a server asking for more is retried after a day.
MAX_RETRY_AFTER = timedelta(days=1)
#: Shortest delay ever returned.
MIN_DELAY = timedelta(seconds=1)


class _Uniform(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def failure_delay(
    consecutive_failures: int,
    first: timedelta,
    ceiling: timedelta,
    retry_after: float | timedelta | None = None,
    *,
    floor: timedelta | None = None,
    rng: _Uniform = random,  # type: ignore[assignment]
) -> timedelta:
    """The delay before retrying after ``consecutive_failures`` (>= 1) failures in a row.

    ``first * 2**(n-1)`` capped at ``ceiling``, jittered uniformly down to ``first``; never less
    than ``retry_after`` (seconds or a timedelta; capped at ``MAX_RETRY_AFTER``) nor ``floor``.
    """
    failures = max(consecutive_failures, 1)
    top = min(first * (2 ** min(failures - 1, 30)), ceiling)
    low = min(first, top)
    delay = timedelta(seconds=rng.uniform(low.total_seconds(), top.total_seconds()))
    if retry_after is not None:
        asked = retry_after if isinstance(retry_after, timedelta) else timedelta(seconds=max(retry_after, 0.0))
        delay = max(delay, min(asked, MAX_RETRY_AFTER))
    if floor is not None:
        delay = max(delay, floor)
    return max(delay, MIN_DELAY)


def poll_delay(
    source: Source,
    settings: Settings,
    consecutive_failures: int,
    retry_after: float | timedelta | None = None,
    *,
    rng: _Uniform = random,  # type: ignore[assignment]
) -> timedelta:
    """The delay before the next poll of ``source``: its ``interval`` after a success (0 failures),
    else ``failure_delay`` with the settings' back-off and the source's ``min_interval`` as a floor."""
    if consecutive_failures <= 0:
        return max(source.interval, source.min_interval or source.interval)
    return failure_delay(
        consecutive_failures,
        parse_duration(settings.retry_after_failure),
        parse_duration(settings.max_retry_interval),
        retry_after,
        floor=source.min_interval,
        rng=rng,
    )
