"""`regwatch scheduler`: decide what is due and queue it for the workers; one leader among any number.

Several schedulers may run (on several machines, for safety). One leads: on PostgreSQL it holds a session
advisory lock (``pg_try_advisory_lock``) on a connection of its own; on SQLite, an exclusive lock on the file
``<data_dir>/scheduler.lock`` (SQLite is one machine's store). The others try again every ``leader_check``
seconds. When the leader dies, its database session ends (or its process, for the file lock), the lock is
free, and a standby takes over within about ``leader_check`` seconds. A leader that finds its connection gone
stops leading at once: the lock went with the connection.

The leader runs APScheduler with its jobs in the database (``SQLAlchemyJobStore``, table
``apscheduler_jobs``), so a new leader, or a restarted one, goes on with the same schedules:

- ``polls``: every ``leader_check`` seconds, a ``poll`` task for each source whose next poll has come (the
  workers record each source's next poll, with its back-off after failures, in the store);
- ``resume``: every minute, an ``item`` task for each unfinished item that has none (after a crash, or for
  a store crawled by an older release);
- ``alerts``: every 30 seconds, one ``alerts`` task (with alert rules or channels configured);
- ``digest:<name>``: at each digest's local time, a ``digest`` task;
- ``tidy``: every hour, finished tasks older than a week and processes unseen for a day are forgotten.

Queueing is idempotent (one queued or running task per kind and key), so nothing is queued twice, even when
two schedulers briefly both believe they lead.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from pipeline.settings import Settings
from pipeline.sources import Source
from pipeline.store import Store
from pipeline.store.queue import TaskQueue, WorkerRegistry
from pipeline.tasks import ALERTS, DIGEST, POLL, due_sources, enqueue_pending, worker_id

logger = logging.getLogger(__name__)

#: The advisory lock's key: any 64-bit number no other application on the database uses ("regwatch").
LOCK_KEY = 0x7265677761746368
ALERT_INTERVAL = 30
RESUME_INTERVAL = 60
TIDY_INTERVAL = 3600
KEEP_DONE = timedelta(days=7)
FORGET_UNSEEN = timedelta(days=1)


class PostgresLock:
    """A session advisory lock held on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect()
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar())
            self._conn.commit()
        except Exception as exc:  # noqa: BLE001 - the database is unreachable: not the leader, try later
            logger.debug("leader lock: %s", exc)
            self._drop()
            return False
        return got

    def still_held(self) -> bool:
        """The lock lives as long as its session: a connection that answers still holds it."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
        except Exception as exc:  # noqa: BLE001
            logger.warning("leader lock: the connection holding it is gone (%s)", " ".join(str(exc).split())[:200])
            self._drop()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                self._conn.commit()
            except Exception:  # noqa: BLE001 - closing the session releases it anyway
                pass
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()  # never back to the pool: the session (and the lock) must end
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None


class FileLock:
    """An exclusive ``flock`` on a file: for a SQLite store, which lives on one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leader_lock(store: Store, settings: Settings) -> PostgresLock | FileLock:
    if store.engine.dialect.name == "postgresql":
        return PostgresLock(store.engine)
    return FileLock(settings.data_dir / "scheduler.lock")


# The jobs live in the database, pickled with a reference to these functions and their text arguments; they
# reach the running scheduler through this module-level slot, set while it leads.
_active: SchedulerRole | None = None


def queue_due_polls() -> None:
    if _active is not None:
        _active.queue_due_polls()


def queue_pending_items() -> None:
    if _active is not None:
        enqueue_pending(_active.store, _active.queue, list(_active.sources))


def tidy() -> None:
    """Forget finished tasks after a week and processes unseen for a day (dead tasks stay until retried)."""
    if _active is not None:
        done = _active.queue.purge_done(KEEP_DONE)
        gone = _active.registry.forget_unseen(FORGET_UNSEEN)
        if done or gone:
            logger.info("tidied: %d finished tasks, %d processes not seen for a day", done, gone)


def queue_alerts() -> None:
    if _active is not None:
        _active.queue.enqueue(ALERTS, "outbox")


def queue_digest(name: str) -> None:
    if _active is not None:
        _active.queue.enqueue(DIGEST, name)


class SchedulerRole:
    """One `regwatch scheduler` process: standby until it takes the lead, then queues the due work."""

    def __init__(self, settings: Settings, store: Store, sources: list[Source], *, digests=None,
                 alerts: bool = False, stop: threading.Event | None = None, lock=None,
                 identity: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self.sources = {source.id: source for source in sources}
        self.digests = list(digests or [])
        self.alerts = alerts
        self.stop = stop or threading.Event()
        self.queue = TaskQueue(store.engine, lease=settings.task_lease)
        self.registry = WorkerRegistry(store.engine)
        self.lock = lock or leader_lock(store, settings)
        self.id = identity or worker_id("scheduler")
        self.leading = False
        self._scheduler: BackgroundScheduler | None = None
        self._signalled: int | None = None

    def queue_due_polls(self) -> int:
        due = due_sources(self.store, list(self.sources.values()), datetime.now(UTC))
        queued = self.queue.enqueue_many(POLL, [source.id for source in due])
        if queued:
            logger.debug("queued %d polls", queued)
        return queued

    def run_forever(self) -> None:
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self._request_stop)
        self.registry.register(self.id, "scheduler", socket.gethostname(), os.getpid())
        logger.info("scheduler %s: %d sources; waiting to lead", self.id, len(self.sources))
        try:
            while self._signalled is None and not self.stop.is_set():
                self.step()
                self.stop.wait(self.settings.leader_check)
            if self._signalled is not None:
                logger.info("%s received: stopping", signal.Signals(self._signalled).name)
        finally:
            self.stop.set()
            self._stand_down()
            try:
                self.registry.leave(self.id)
            except Exception as exc:  # noqa: BLE001
                logger.debug("scheduler %s: could not sign off: %s", self.id, exc)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("scheduler %s: stopped", self.id)

    def step(self) -> None:
        """One look: take the lead if it is free, or check that we still hold it; say we are alive."""
        try:
            if not self.leading and self.lock.try_acquire():
                self._take_lead()
            elif self.leading and not self.lock.still_held():
                logger.warning("scheduler %s: lost the lead", self.id)
                self._stand_down()
            self.registry.beat(self.id, leading=self.leading)
        except Exception as exc:  # noqa: BLE001 - the database went away: stand by and try again
            logger.error("scheduler %s: %s", self.id, " ".join(str(exc).split())[:300])
            self._stand_down()

    def _request_stop(self, signum: int, _frame: object = None) -> None:
        self._signalled = signum

    def _take_lead(self) -> None:
        global _active
        self.store.sync_sources(list(self.sources.values()))
        self.registry.lead(self.id)
        _active = self
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.store.engine, tablename="apscheduler_jobs")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        jobs: list[tuple[str, Any, Any, list[str]]] = [
            ("polls", queue_due_polls, IntervalTrigger(seconds=self.settings.leader_check, timezone=UTC), []),
            ("resume", queue_pending_items, IntervalTrigger(seconds=RESUME_INTERVAL, timezone=UTC), []),
            ("tidy", tidy, IntervalTrigger(seconds=TIDY_INTERVAL, timezone=UTC), []),
        ]
        if self.alerts:
            jobs.append(("alerts", queue_alerts, IntervalTrigger(seconds=ALERT_INTERVAL, timezone=UTC), []))
        from pipeline.alerts.digest import cron_trigger

        jobs += [(f"digest:{d.name}", queue_digest, cron_trigger(d), [d.name]) for d in self.digests]
        wanted = {job_id for job_id, *_ in jobs}
        scheduler.start(paused=True)
        for job in scheduler.get_jobs():  # jobs of a configuration that changed since they were stored
            if job.id not in wanted:
                job.remove()
        for job_id, func, trigger, args in jobs:
            existing = scheduler.get_job(job_id)
            if existing is not None and str(existing.trigger) == str(trigger):
                continue  # keep its stored next run time: a new leader goes on with the schedule
            first = now if job_id in ("polls", "resume") else None
            scheduler.add_job(func, trigger, args=args, id=job_id, name=job_id, replace_existing=True,
                              **({"next_run_time": first} if first else {}))
        scheduler.resume()
        self._scheduler = scheduler
        self.leading = True
        logger.info("scheduler %s: leading (%d jobs)", self.id, len(jobs))

    def _stand_down(self) -> None:
        global _active
        if self._scheduler is not None:
            try:
                self._scheduler.pause()  # no job is handed to the executor while it shuts down
                self._scheduler.shutdown(wait=True)
            except Exception as exc:  # noqa: BLE001 - the database may be the reason we stand down
                logger.debug("scheduler shutdown: %s", exc)
            self._scheduler = None
        if _active is self:
            _active = None
        self.leading = False
        self.lock.release()
