"""`regwatch run`: poll every source on its own interval with APScheduler.

Each source is one interval job. After a failure the job's next run moves to a
growing, capped back-off (see ``crawl.next_poll_after``); the next poll time is
kept in the store, so a restart resumes the schedule instead of hammering every
source at once. SIGINT/SIGTERM set a stop event: the crawler finishes or
abandons the item in hand (nothing is stored half-way) and the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from pipeline.alerts.config import Digest
from pipeline.alerts.deliver import Sender
from pipeline.alerts.digest import cron_trigger, send_digest
from pipeline.crawl import Crawler
from pipeline.settings import Settings
from pipeline.sources import Source
from pipeline.store import Store

logger = logging.getLogger(__name__)

#: Seconds between passes of the alert sender (it also runs right after a poll that stored new articles).
ALERT_INTERVAL = 30
#: Seconds between the main loop's looks at the stop request.
_TICK = 0.2


class Runner:
    def __init__(self, crawler: Crawler, store: Store, sources: list[Source], stop: threading.Event,
                 sender: Sender | None = None, digests: list[Digest] | None = None,
                 settings: Settings | None = None) -> None:
        self.crawler = crawler
        self.digests = digests or []
        self.settings = settings
        self.store = store
        self.sources = sources
        self.stop = stop
        self.sender = sender
        self._signalled: int | None = None
        # One worker: spaCy analysis is CPU-bound and the SQLite store has one writer. Alert delivery has
        # its own worker, so a slow endpoint never holds up the crawl (and the reverse).
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1), "alerts": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def schedule(self) -> None:
        now = datetime.now(UTC)
        # Items a killed or stopped run left unfinished are finished first, whether or not their source is due.
        self.scheduler.add_job(self.crawler.resume, args=[self.sources], id="resume", name="resume unfinished items",
                               next_run_time=now)
        if self.sender is not None:
            self.scheduler.add_job(self._send_alerts, IntervalTrigger(seconds=ALERT_INTERVAL, timezone=UTC),
                                   id="alerts", name="deliver queued alerts", executor="alerts", next_run_time=now)
        for entry in self.digests:  # each digest at its local time, in its time zone
            self.scheduler.add_job(self._send_digest, cron_trigger(entry), args=[entry], id=f"digest:{entry.name}",
                                   name=f"digest {entry.name}", executor="alerts", replace_existing=True)
        for source in self.sources:
            state = self.store.source_state(source.id)
            first = state.next_poll if state.next_poll and state.next_poll > now else now
            self.scheduler.add_job(
                self._poll, IntervalTrigger(seconds=int(source.interval.total_seconds()), timezone=UTC),
                args=[source], id=source.id, name=source.name, next_run_time=first, replace_existing=True,
            )

    def _poll(self, source: Source) -> None:
        if self.stop.is_set():
            return
        report = self.crawler.crawl_source(source)
        state = self.store.source_state(source.id)
        if report.ok:
            logger.info("[%s] %d items, %d new, %d failed in %.1fs", source.id, report.seen, report.new,
                        report.failed, report.elapsed)
        else:
            logger.warning("[%s] %s; retry at %s (failure %d)", source.id, report.reason,
                           _clock(state.next_poll), state.consecutive_failures)
        if state.next_poll and not self.stop.is_set():
            self.scheduler.modify_job(source.id, next_run_time=state.next_poll)
        if self.sender is not None and report.new and not self.stop.is_set():
            self.scheduler.modify_job("alerts", next_run_time=datetime.now(UTC))  # new articles: deliver now

    def _send_alerts(self) -> None:
        if self.sender is not None and not self.stop.is_set():
            self.sender.send_due()

    def _send_digest(self, entry: Digest) -> None:
        if self.stop.is_set() or self.settings is None:
            return
        try:
            send_digest(self.store, entry, self.settings)  # recorded per slot: a restart never sends it twice
        except Exception as exc:  # noqa: BLE001 - one digest failing must not stop the scheduler
            logger.error("digest %s: not sent: %s", entry.name, exc)

    def request_stop(self, signum: int, _frame: object = None) -> None:
        """The SIGINT/SIGTERM handler. It only records the signal: Python runs handlers in the main thread
        between two bytecodes, possibly while that thread holds ``stop``'s internal lock inside
        ``Event.wait``, so calling ``stop.set()`` here could wait on itself for ever. The main loop sets
        ``stop`` (and logs) within ``_TICK`` seconds instead."""
        self._signalled = signum

    def run_forever(self) -> None:
        """Run until SIGINT/SIGTERM (or ``stop`` is set by someone else)."""
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        self._signalled = None
        for sig in previous:
            signal.signal(sig, self.request_stop)
        self.schedule()
        self.scheduler.start()
        logger.info("watching %d sources; Ctrl-C stops", len(self.sources))
        try:
            while self._signalled is None and not self.stop.is_set():  # is_set takes no lock
                time.sleep(_TICK)
            if self._signalled is not None:
                logger.info("%s received: finishing the item in hand, then stopping",
                            signal.Signals(self._signalled).name)
        finally:
            self.stop.set()
            self.scheduler.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("stopped")


def _clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "?"
