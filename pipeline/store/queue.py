"""The work queue of `regwatch worker`: tasks in the store, claimed with a lease.

A task is one unit of work (``kind`` and ``key``: poll source ``gov-uk``, carry item 42 through). It moves

    queued -> running (claimed: ``lease_owner`` holds it until ``lease_expires``) -> done
                 ^                                                                   |
                 +---- failed, retried after a growing, jittered back-off  <---------+--> dead (too many)

Workers claim due tasks with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers on
any number of machines never wait for each other or take the same task; on SQLite the claim is one
``BEGIN IMMEDIATE`` transaction (one writer at a time does the same). A worker renews its leases while it
works; a worker that dies (SIGKILL, a lost machine) stops renewing, and once the lease has expired any worker
takes the task over. The work itself must then be safe to do again from where it stopped: the crawl's items
move through recorded states (``pipeline.store.items``), so the new owner resumes an item, never repeats it.

Every change is guarded by the lease: a worker whose lease was taken over cannot complete or fail the task
any more (``complete`` and ``fail`` return False), so a slow worker never undoes its successor's work.

At most one task per (kind, key) is queued or running (a partial unique index): ``enqueue`` is idempotent, so
two schedulers, or a scheduler restarted mid-tick, never queue the same work twice.

Times come from the workers' clocks: keep the machines' clocks in step (NTP); a lease (60 s by default)
renewed every third of itself tolerates a skew of tens of seconds.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from pipeline.store.db import WRITE
from pipeline.store.models import LIVE_TASK_STATES, TASK_STATES, Task, WorkerSeen
from pipeline.store.repo import _Transaction
from pipeline.store.types import utc_now

task_table = Task.__table__
worker_table = WorkerSeen.__table__

#: Seconds a claim lasts unless renewed.
DEFAULT_LEASE = 60.0
#: Attempts (claims) before a task is dead: failures and expired leases alike count.
DEFAULT_MAX_ATTEMPTS = 5
#: Back-off after the n-th failure: BASE * 2**(n-1) seconds, capped, times a jitter of +-20%.
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class QueuedTask:
    """A claimed or listed task."""

    id: int
    kind: str
    key: str
    state: str
    attempts: int
    run_after: datetime
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    last_error: str | None = None
    finished_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.key}"



def backoff_seconds(attempts: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP,
                    rng: Any = random) -> float:
    """How long a task failed ``attempts`` times waits before its next try."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * rng.uniform(0.8, 1.2)


class TaskQueue:
    """Tasks in the store's database (SQLite or PostgreSQL); every method is one committed transaction."""

    def __init__(self, engine: Engine, *, lease: float = DEFAULT_LEASE, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 clock: Callable[[], datetime] = utc_now, rng: Any = random) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self.lease = lease
        self.max_attempts = max_attempts
        self._clock = clock
        self._rng = rng

    # -- producing -----------------------------------------------------------------------------

    def enqueue(self, kind: str, key: str, *, run_after: datetime | None = None) -> bool:
        """Queue a task unless one of the same kind and key is queued or running; True when queued now."""
        return self.enqueue_many(kind, [key], run_after=run_after) == 1

    def enqueue_many(self, kind: str, keys: Iterable[str], *, run_after: datetime | None = None) -> int:
        """Queue a task for each key that has no queued or running one, in one transaction; returns how many
        were queued now."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return 0
        now = self._clock()
        try:
            with _Transaction(self._writer) as conn:
                live = set(conn.execute(select(task_table.c.key).where(
                    task_table.c.kind == kind, task_table.c.key.in_(wanted),
                    task_table.c.state.in_(LIVE_TASK_STATES))).scalars())
                rows = [{"kind": kind, "key": key, "state": "queued", "run_after": run_after or now, "attempts": 0,
                         "created_at": now, "updated_at": now} for key in wanted if key not in live]
                if rows:
                    conn.execute(task_table.insert(), rows)
                return len(rows)
        except IntegrityError:  # another process queued some of them between our look and our insert
            if len(wanted) == 1:
                return 0
            return sum(self.enqueue_many(kind, [key], run_after=run_after) for key in wanted)

    # -- consuming -----------------------------------------------------------------------------

    def claim(self, owner: str, *, kinds: Sequence[str] | None = None, limit: int = 1) -> list[QueuedTask]:
        """Take up to ``limit`` due tasks (queued and due, or running with an expired lease), oldest first.

        A task taken over from an expired lease that has used up its attempts is marked dead instead.
        """
        now = self._clock()
        due = or_(
            and_(task_table.c.state == "queued", task_table.c.run_after <= now),
            and_(task_table.c.state == "running", task_table.c.lease_expires < now),
        )
        query = select(task_table.c.id, task_table.c.state, task_table.c.attempts).where(due)
        if kinds:
            query = query.where(task_table.c.kind.in_(list(kinds)))
        query = query.order_by(task_table.c.run_after, task_table.c.id).limit(limit)
        query = query.with_for_update(skip_locked=True)
        claimed: list[QueuedTask] = []
        with _Transaction(self._writer) as conn:
            candidates = conn.execute(query).all()
            for candidate in candidates:
                if candidate.state == "running" and candidate.attempts >= self.max_attempts:
                    conn.execute(update(task_table).where(task_table.c.id == candidate.id).values(
                        state="dead", lease_owner=None, lease_expires=None, updated_at=now, finished_at=now,
                        last_error=f"gave up: the lease expired {candidate.attempts} times (the worker stopped "
                                   f"or died mid-task)"))
                    continue
                row = conn.execute(
                    update(task_table).where(task_table.c.id == candidate.id)
                    .values(state="running", lease_owner=owner, attempts=task_table.c.attempts + 1,
                            lease_expires=now + timedelta(seconds=self.lease), updated_at=now)
                    .returning(*task_table.c)
                ).mappings().one()
                claimed.append(_task(row))
        return claimed

    def renew(self, owner: str, task_ids: Iterable[int]) -> set[int]:
        """Extend the leases ``owner`` still holds; returns the ids it holds (the others were taken over)."""
        ids = list(task_ids)
        if not ids:
            return set()
        now = self._clock()
        with _Transaction(self._writer) as conn:
            rows = conn.execute(
                update(task_table)
                .where(task_table.c.id.in_(ids), task_table.c.state == "running", task_table.c.lease_owner == owner)
                .values(lease_expires=now + timedelta(seconds=self.lease), updated_at=now)
                .returning(task_table.c.id)
            ).scalars().all()
        return set(rows)

    def complete(self, owner: str, task_id: int) -> bool:
        """``done``; False when ``owner`` no longer holds the task."""
        return task_id in self.complete_many(owner, [task_id])

    def complete_many(self, owner: str, task_ids: Iterable[int]) -> set[int]:
        """``done`` for each of these tasks ``owner`` still holds, in one transaction; returns their ids."""
        ids = list(task_ids)
        if not ids:
            return set()
        now = self._clock()
        with _Transaction(self._writer) as conn:
            return set(conn.execute(
                update(task_table)
                .where(task_table.c.id.in_(ids), task_table.c.state == "running", task_table.c.lease_owner == owner)
                .values(state="done", lease_owner=None, lease_expires=None, last_error=None, updated_at=now,
                        finished_at=now)
                .returning(task_table.c.id)
            ).scalars())

    def fail(self, owner: str, task_id: int, error: str, *, retry_in: float | None = None,
             count: bool = True) -> str | None:
        """Record a failure: queued again after a back-off (or ``retry_in`` seconds), or dead once the task has
        used its attempts. ``count`` False gives the attempt back (the work was put off, not tried: a host
        asked to wait, the worker is stopping). Returns the new state, None when ``owner`` lost the task."""
        now = self._clock()
        with _Transaction(self._writer) as conn:
            row = conn.execute(
                select(task_table.c.attempts).where(task_table.c.id == task_id, task_table.c.state == "running",
                                                    task_table.c.lease_owner == owner).with_for_update()
            ).first()
            if row is None:
                return None
            attempts = int(row.attempts) - (0 if count else 1)
            message = " ".join(error.split())[:MAX_ERROR_LENGTH]
            if count and attempts >= self.max_attempts:
                values: dict[str, Any] = {"state": "dead", "finished_at": now}
            else:
                delay = retry_in if retry_in is not None else backoff_seconds(attempts, rng=self._rng)
                values = {"state": "queued", "run_after": now + timedelta(seconds=max(0.0, delay))}
            conn.execute(update(task_table).where(task_table.c.id == task_id).values(
                attempts=attempts, lease_owner=None, lease_expires=None, last_error=message, updated_at=now,
                **values))
        return str(values["state"])

    def release(self, owner: str, task_id: int) -> bool:
        """Give a claimed task back untried (the worker is stopping): queued, due now, its attempt not counted."""
        return self.fail(owner, task_id, "released by a stopping worker", retry_in=0.0, count=False) is not None

    # -- the dead ------------------------------------------------------------------------------

    def requeue_dead(self, task_ids: Iterable[int] | None = None) -> int:
        """Queue dead tasks again with fresh attempts (all of them, or those ids); returns how many.
        A dead task whose kind and key are queued or running again is left as it is."""
        now = self._clock()
        requeued = 0
        with _Transaction(self._writer) as conn:
            query = select(task_table.c.id, task_table.c.kind, task_table.c.key).where(task_table.c.state == "dead")
            if task_ids is not None:
                query = query.where(task_table.c.id.in_(list(task_ids)))
            for row in conn.execute(query).all():
                if _live(conn, row.kind, row.key):
                    continue
                conn.execute(update(task_table).where(task_table.c.id == row.id).values(
                    state="queued", attempts=0, run_after=now, updated_at=now, finished_at=None))
                requeued += 1
        return requeued

    # -- reading -------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Tasks per state (every state present, zero included)."""
        with _Transaction(self.engine) as conn:
            found = dict(conn.execute(select(task_table.c.state, func.count()).group_by(task_table.c.state)).all())
        return {state: int(found.get(state, 0)) for state in TASK_STATES}

    def tasks(self, *, state: str | None = None, kind: str | None = None, limit: int = 100) -> list[QueuedTask]:
        query = select(task_table).order_by(task_table.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(task_table.c.state == state)
        if kind is not None:
            query = query.where(task_table.c.kind == kind)
        with _Transaction(self.engine) as conn:
            return [_task(row) for row in conn.execute(query).mappings()]

    def done_since(self, moment: datetime, *, kind: str | None = None) -> int:
        query = select(func.count()).select_from(task_table).where(
            task_table.c.state == "done", task_table.c.finished_at >= moment)
        if kind is not None:
            query = query.where(task_table.c.kind == kind)
        with _Transaction(self.engine) as conn:
            return int(conn.execute(query).scalar_one())

    def purge_done(self, older_than: timedelta) -> int:
        """Delete finished (done) tasks older than ``older_than``; dead ones stay until requeued or purged
        by hand."""
        cutoff = self._clock() - older_than
        with _Transaction(self._writer) as conn:
            return int(conn.execute(delete(task_table).where(
                task_table.c.state == "done", task_table.c.finished_at < cutoff)).rowcount or 0)


class WorkerRegistry:
    """The ``worker`` rows: each worker or scheduler process says it is alive (``beat``) as it works."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._clock = clock

    def register(self, worker_id: str, role: str, host: str, pid: int) -> None:
        now = self._clock()
        with _Transaction(self._writer) as conn:
            conn.execute(delete(worker_table).where(worker_table.c.id == worker_id))
            conn.execute(worker_table.insert().values(id=worker_id, role=role, host=host, pid=pid, started_at=now,
                                                      last_seen=now, is_leader=False, done=0, task=None))

    def beat(self, worker_id: str, *, task: str | None = None, done: int | None = None,
             leading: bool | None = None) -> None:
        values: dict[str, Any] = {"last_seen": self._clock(), "task": task}
        if done is not None:
            values["done"] = done
        if leading is not None:
            values["is_leader"] = leading
        with _Transaction(self._writer) as conn:
            conn.execute(update(worker_table).where(worker_table.c.id == worker_id).values(**values))

    def lead(self, worker_id: str) -> None:
        """Mark ``worker_id`` the leading scheduler (and no other)."""
        now = self._clock()
        with _Transaction(self._writer) as conn:
            conn.execute(update(worker_table).where(worker_table.c.role == "scheduler",
                                                    worker_table.c.id != worker_id).values(is_leader=False))
            conn.execute(update(worker_table).where(worker_table.c.id == worker_id)
                         .values(is_leader=True, last_seen=now))

    def leave(self, worker_id: str) -> None:
        with _Transaction(self._writer) as conn:
            conn.execute(delete(worker_table).where(worker_table.c.id == worker_id))

    def forget_unseen(self, older_than: timedelta) -> int:
        """Delete the rows of processes not seen for ``older_than`` (killed ones never sign off)."""
        cutoff = self._clock() - older_than
        with _Transaction(self._writer) as conn:
            return int(conn.execute(delete(worker_table).where(worker_table.c.last_seen < cutoff)).rowcount or 0)

    def seen_since(self, moment: datetime) -> list[dict[str, Any]]:
        with _Transaction(self.engine) as conn:
            rows = conn.execute(select(worker_table).where(worker_table.c.last_seen >= moment)
                                .order_by(worker_table.c.role, worker_table.c.id)).mappings().all()
        return [dict(row) for row in rows]

    def leader(self) -> dict[str, Any] | None:
        with _Transaction(self.engine) as conn:
            row = conn.execute(select(worker_table).where(worker_table.c.role == "scheduler",
                                                          worker_table.c.is_leader.is_(True))
                               .order_by(worker_table.c.last_seen.desc())).mappings().first()
        return dict(row) if row else None


def _live(conn: Connection, kind: str, key: str) -> bool:
    return conn.execute(select(task_table.c.id).where(
        task_table.c.kind == kind, task_table.c.key == key, task_table.c.state.in_(LIVE_TASK_STATES))
    ).first() is not None


def _task(row: Any) -> QueuedTask:
    return QueuedTask(id=int(row["id"]), kind=row["kind"], key=row["key"], state=row["state"],
                 attempts=int(row["attempts"]), run_after=row["run_after"], lease_owner=row["lease_owner"],
                 lease_expires=row["lease_expires"], last_error=row["last_error"], finished_at=row["finished_at"])


def queue_report(engine: Engine, *, now: datetime | None = None, dead_limit: int = 20) -> dict[str, Any]:
    """What `regwatch status` shows of the workers: tasks per state, workers seen in the last minute, the
    leading scheduler, tasks finished per minute over the last 5 minutes (items apart), and the dead tasks."""
    now = now or utc_now()
    queue = TaskQueue(engine, clock=lambda: now)
    registry = WorkerRegistry(engine)
    window = now - timedelta(minutes=5)
    return {
        "tasks": queue.counts(),
        "workers": [_seen(row, now) for row in registry.seen_since(now - timedelta(minutes=1))],
        "leader": _seen(leader, now) if (leader := registry.leader()) else None,
        "last_5_minutes": {"tasks_done": queue.done_since(window), "items_done": queue.done_since(window, kind="item")},
        "dead": [{"id": t.id, "task": t.label, "attempts": t.attempts, "last_error": t.last_error,
                  "finished_at": t.finished_at.isoformat() if t.finished_at else None}
                 for t in queue.tasks(state="dead", limit=dead_limit)],
    }


def _seen(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"id": row["id"], "role": row["role"], "host": row["host"], "pid": row["pid"],
            "leading": bool(row["is_leader"]), "task": row["task"], "done": row["done"],
            "seconds_since_seen": round((now - row["last_seen"]).total_seconds(), 1)}
