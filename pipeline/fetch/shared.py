"""Per-host politeness across processes and machines: request starts spaced through the store.

``HostLimiter`` spaces the requests of one process. Workers on several machines each have their own, so
together they would start ``workers x rate`` requests a second at a host. ``SharedHostLimiter`` keeps the
process's limiter (its concurrency per host) and also reserves each request's start in the ``host_slot`` row
of the host: in one transaction (the row locked on PostgreSQL, the database on SQLite) it takes the later of
now, the host's next free start and its Retry-After deferral, and moves the next free start on by
``1 / rate``. Every worker then waits for its own reserved start, so the starts of all of them stay at least
``1 / rate`` apart. A start further away than ``max_wait`` is not reserved: ``HostDeferred`` tells the caller
to put the item off (the worker gives its task back for later). Times are wall-clock (the machines' clocks
must agree, as for the queue's leases).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from pipeline.fetch.politeness import MAX_DEFER, HostDeferred, HostLimiter, Interrupted
from pipeline.store.db import WRITE
from pipeline.store.models import HostSlot

slot_table = HostSlot.__table__
_POLL = 0.1


class SharedHostLimiter(HostLimiter):
    """A ``HostLimiter`` whose spacing and deferrals hold across every process sharing ``engine``."""

    def __init__(self, engine: Engine, concurrency: int = 1, rate: float = 1.0, *, max_wait: float = 60.0,
                 wall: Callable[[], float] = time.time) -> None:
        super().__init__(concurrency, rate, max_wait=max_wait)
        self._writer = engine.execution_options(**{WRITE: True})
        self._wall = wall
        self._known: set[str] = set()  # hosts whose row exists

    def acquire(self, host: str, *, rate: float | None = None, concurrency: int | None = None,
                stop: threading.Event | None = None) -> float:
        waited = super().acquire(host, rate=rate, concurrency=concurrency, stop=stop)
        spacing = 1.0 / (rate if rate and rate > 0 else self.rate)
        try:
            start = self._reserve(host, spacing)
            while (delay := start - self._wall()) > 0:
                if stop is not None and stop.is_set():
                    raise Interrupted
                time.sleep(min(delay, _POLL))
        except BaseException:
            super().release(host)
            raise
        return waited + max(0.0, start - self._wall())

    def defer(self, host: str, seconds: float) -> None:
        super().defer(host, seconds)
        until = _at(self._wall() + min(max(seconds, 0.0), MAX_DEFER))
        self._ensure(host)
        with self._writer.begin() as conn:
            row = conn.execute(select(slot_table.c.deferred_until).where(slot_table.c.host == host)
                               .with_for_update()).first()
            if row is None or row.deferred_until is None or row.deferred_until < until:
                conn.execute(update(slot_table).where(slot_table.c.host == host).values(deferred_until=until))

    def _reserve(self, host: str, spacing: float) -> float:
        """The wall-clock second at which this request may start, reserved; HostDeferred when too far."""
        self._ensure(host)
        now = self._wall()
        with self._writer.begin() as conn:
            row = conn.execute(select(slot_table.c.next_start, slot_table.c.deferred_until)
                               .where(slot_table.c.host == host).with_for_update()).first()
            if row is None:  # the row went (a store emptied by hand): start it again
                conn.execute(slot_table.insert().values(host=host, next_start=_at(now + spacing)))
                return now
            deferred = row.deferred_until.timestamp() if row.deferred_until is not None else 0.0
            if deferred - now > self.max_wait:
                raise HostDeferred(host, deferred - now)
            start = max(now, row.next_start.timestamp(), deferred)
            conn.execute(update(slot_table).where(slot_table.c.host == host)
                         .values(next_start=_at(start + spacing)))
        return start

    def _ensure(self, host: str) -> None:
        if host in self._known:
            return
        with self._writer.begin() as conn:
            exists = conn.execute(select(slot_table.c.host).where(slot_table.c.host == host)).first() is not None
        if not exists:
            try:
                with self._writer.begin() as conn:
                    conn.execute(slot_table.insert().values(host=host, next_start=_at(0.0), deferred_until=None))
            except IntegrityError:
                pass  # another worker added it first
        self._known.add(host)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(0, UTC) + timedelta(seconds=seconds)
