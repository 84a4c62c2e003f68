"""The sender: delivers queued outbox rows with retries, exponential back-off and a limit.

At-least-once: a delivery is claimed (its next attempt moved a lease ahead, so a second sender leaves it
alone), sent, then its outcome and the attempt are recorded in one transaction. A process killed
between sending and recording sends that one alert again after the lease; nothing else repeats.

A failed attempt is retried after ``alert_retry_base`` seconds, doubling each time up to
``alert_retry_max``; after ``alert_max_attempts`` attempts the delivery is ``dead``, logged as one
error line, and listed by ``regwatch alerts status``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from pipeline.alerts import channels as channel_senders
from pipeline.alerts.config import AlertsFile
from pipeline.errors import AlertError
from pipeline.settings import Settings
from pipeline.store import Store
from pipeline.store.models import Alert, AlertAttempt, AlertDelivery
from pipeline.store.types import utc_now

log = logging.getLogger(__name__)

alert_table = Alert.__table__
delivery_table = AlertDelivery.__table__
attempt_table = AlertAttempt.__table__

#: How long a claimed delivery is left to its sender before another may try it.
LEASE = timedelta(minutes=5)
MAX_ERROR_LENGTH = 500


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0  # attempts that failed and will be retried
    dead: int = 0  # deliveries that failed for the last time
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int, settings: Settings) -> float:
    """Seconds after the ``attempts``-th failed attempt: base, 2 x base, 4 x base ... capped."""
    return min(settings.alert_retry_base * 2 ** max(attempts - 1, 0), settings.alert_retry_max)


class Sender:
    def __init__(self, store: Store, alerts: AlertsFile, settings: Settings, *,
                 clock: Callable[[], datetime] = utc_now, transport: httpx.BaseTransport | None = None,
                 stop: threading.Event | None = None) -> None:
        self.store = store
        self.alerts = alerts
        self.settings = settings
        self.clock = clock
        self.transport = transport
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()

    def send_due(self, limit: int | None = None) -> SendReport:
        """One pass: every delivery whose next attempt is due (at most ``limit``), oldest first."""
        report = SendReport()
        with self._lock:
            for delivery in self._due(limit):
                if self.stop.is_set():
                    break
                if not self._claim(delivery["id"]):
                    continue
                self._attempt(delivery, report)
        return report

    def drain(self, timeout: float, poll: float = 0.05) -> SendReport:
        """Passes until nothing is queued or ``timeout`` seconds have passed (tests, `alerts send --wait`)."""
        total = SendReport()
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            report = self.send_due()
            total.sent += report.sent
            total.failed += report.failed
            total.dead += report.dead
            total.errors += report.errors
            if self.store_counts().get("queued", 0) == 0 or time.monotonic() >= deadline:
                break
            time.sleep(poll)
        return total

    def store_counts(self) -> dict[str, int]:
        return delivery_counts(self.store)

    # -- internals ---------------------------------------------------------------------------------

    def _due(self, limit: int | None) -> list[dict[str, Any]]:
        statement = (
            select(delivery_table.c.id, delivery_table.c.channel, delivery_table.c.attempts, alert_table.c.payload,
                   alert_table.c.rule, alert_table.c.story_id, alert_table.c.kind, alert_table.c.dedup_key)
            .join(alert_table, alert_table.c.id == delivery_table.c.alert_id)
            .where(delivery_table.c.state == "queued", delivery_table.c.next_attempt <= self.clock())
            .order_by(delivery_table.c.id)
        )
        if limit is not None:
            statement = statement.limit(limit)
        with self.store._read() as conn:
            return [dict(row) for row in conn.execute(statement).mappings()]

    def _claim(self, delivery_id: int) -> bool:
        now = self.clock()
        with self.store._write() as conn:
            result = conn.execute(
                update(delivery_table)
                .where(delivery_table.c.id == delivery_id, delivery_table.c.state == "queued",
                       delivery_table.c.next_attempt <= now)
                .values(next_attempt=now + LEASE)
            )
        return result.rowcount == 1

    def _attempt(self, delivery: dict[str, Any], report: SendReport) -> None:
        started = time.monotonic()
        error = None
        channel = self.alerts.channels.get(delivery["channel"])
        try:
            if channel is None:
                raise AlertError(f"channel {delivery['channel']!r} is no longer in {self.alerts.path}")
            payload = {**delivery["payload"], "key": delivery["dedup_key"]}
            channel_senders.send(channel, payload, self.settings, self.transport)
        except AlertError as exc:
            error = _one_line(exc.message)
        except Exception as exc:  # a bug in one channel must not stop the others
            log.debug("alert delivery %d failed", delivery["id"], exc_info=True)
            error = _one_line(f"{type(exc).__name__}: {exc}")
        self._record(delivery, error, time.monotonic() - started, report)

    def _record(self, delivery: dict[str, Any], error: str | None, seconds: float, report: SendReport) -> None:
        now = self.clock()
        attempts = int(delivery["attempts"]) + 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error}
        where = (f"alert {delivery['kind']} rule {delivery['rule']} story {delivery['story_id']} "
                 f"-> {delivery['channel']}")
        if error is None:
            values.update(state="sent", sent_at=now)
            report.sent += 1
            log.info("%s: sent (attempt %d)", where, attempts)
        elif attempts >= self.settings.alert_max_attempts:
            values.update(state="dead")
            report.dead += 1
            report.errors.append(f"{where}: {error}")
            log.error("%s: dead after %d attempts; last error: %s", where, attempts, error)
        else:
            delay = retry_delay(attempts, self.settings)
            values.update(next_attempt=now + timedelta(seconds=delay))
            report.failed += 1
            report.errors.append(f"{where}: {error}")
            log.warning("%s: attempt %d failed (%s); retry in %.3gs", where, attempts, error, delay)
        with self.store._write() as conn:
            conn.execute(update(delivery_table).where(delivery_table.c.id == delivery["id"]).values(**values))
            conn.execute(attempt_table.insert().values(delivery_id=delivery["id"], at=now, ok=error is None,
                                                       error=error, seconds=round(seconds, 4)))


def delivery_counts(store: Store) -> dict[str, int]:
    with store._read() as conn:
        rows = conn.execute(select(delivery_table.c.state, func.count()).group_by(delivery_table.c.state)).all()
    return {state: int(count) for state, count in rows}


def delivery_rows(store: Store, *, states: tuple[str, ...] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Deliveries, newest first, with their alert: for `regwatch alerts status`."""
    statement = (
        select(delivery_table.c.id, delivery_table.c.channel, delivery_table.c.state, delivery_table.c.attempts,
               delivery_table.c.next_attempt, delivery_table.c.last_error, delivery_table.c.sent_at,
               alert_table.c.rule, alert_table.c.kind, alert_table.c.story_id, alert_table.c.created_at,
               alert_table.c.payload["title"].as_string().label("title"))
        .join(alert_table, alert_table.c.id == delivery_table.c.alert_id)
        .order_by(delivery_table.c.id.desc()).limit(limit)
    )
    if states:
        statement = statement.where(delivery_table.c.state.in_(states))
    with store._read() as conn:
        return [dict(row) for row in conn.execute(statement).mappings()]


def _one_line(message: str) -> str:
    line = " ".join(str(message).split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"
