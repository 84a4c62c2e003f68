"""`regwatch worker`: take tasks from the store's queue and do them, on as many machines as you like.

Task kinds (``pipeline.store.queue``; the scheduler, ``pipeline.leader``, queues them):

- ``poll:<source>``: fetch the source's feed and record its new items (``Crawler.crawl_source`` without the
  items), then queue an ``item`` task for every unfinished item of the source;
- ``item:<id>``: carry one item on from its recorded state: fetch, extract, analyse, index. A worker takes
  up to ``analyze_batch_size`` of them at once, so analysis runs in batches as in `regwatch run`;
- ``alerts``: deliver the alert outbox once (one worker at a time: the task is unique);
- ``digest:<name>``: send that digest's latest slot (recorded per slot: never twice).

A worker holds its tasks under a lease, renewed by a heartbeat thread. Killed mid-item (SIGKILL, a lost
machine), it stops renewing; once the lease expires another worker takes the item over from the state it had
reached (a page fetched before the kill is fetched again; nothing is indexed twice). SIGINT/SIGTERM finish the
batch in hand (the analysed items are indexed), give the untouched tasks back and exit.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections import defaultdict
from collections.abc import Callable

from pipeline.crawl import Crawler, SourceReport
from pipeline.settings import Settings
from pipeline.sources import Source
from pipeline.store import Store
from pipeline.store.items import ItemRow
from pipeline.store.models import FINAL_STATES
from pipeline.store.queue import QueuedTask, TaskQueue, WorkerRegistry
from pipeline.tasks import ALERTS, DIGEST, ITEM, POLL, worker_id

logger = logging.getLogger(__name__)

#: Seconds an item put off by its host (politeness, Retry-After) waits before another try.
DEFERRED_RETRY = 5.0
#: Seconds an idle worker sleeps between looks at the queue.
IDLE_SLEEP = 0.5


class Worker:
    """Claims tasks and runs them; ``run_once`` does one claim (tests drive it), ``run_forever`` loops."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        crawler: Crawler,
        sources: list[Source],
        *,
        queue: TaskQueue | None = None,
        stop: threading.Event | None = None,
        sender=None,
        digests=None,
        send_digest: Callable | None = None,
        identity: str | None = None,
        idle_sleep: float = IDLE_SLEEP,
    ) -> None:
        self.settings = settings
        self.store = store
        self.crawler = crawler
        self.sources = {source.id: source for source in sources}
        self.queue = queue or TaskQueue(store.engine, lease=settings.task_lease)
        self.registry = WorkerRegistry(store.engine)
        self.stop = stop or crawler.stop
        self.sender = sender
        self.digests = {digest.name: digest for digest in (digests or [])}
        self._send_digest = send_digest
        self.id = identity or worker_id("worker")
        self.idle_sleep = idle_sleep
        self.done = 0
        self._in_hand: set[int] = set()
        self._current: str | None = None
        self._lock = threading.Lock()
        self._signalled: int | None = None

    # -- the loop --------------------------------------------------------------------------------

    def run_forever(self) -> None:
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self._request_stop)
        self.registry.register(self.id, "worker", socket.gethostname(), os.getpid())
        beating = threading.Thread(target=self._heartbeat, name="lease-renewal", daemon=True)
        beating.start()
        logger.info("worker %s: taking tasks (%d sources known)", self.id, len(self.sources))
        try:
            while not self.stop.is_set():
                if self._signalled is not None:
                    logger.info("%s received: finishing the batch in hand, then stopping",
                                signal.Signals(self._signalled).name)
                    self.stop.set()
                    break
                if not self.run_once():
                    self.stop.wait(self.idle_sleep)
        finally:
            self.stop.set()
            beating.join(timeout=5)
            try:
                self.registry.leave(self.id)
            except Exception as exc:  # noqa: BLE001 - the store may be gone; the row then just ages out
                logger.debug("worker %s: could not sign off: %s", self.id, exc)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("worker %s: stopped after %d tasks", self.id, self.done)

    def _request_stop(self, signum: int, _frame: object = None) -> None:
        self._signalled = signum  # the loop acts on it (see scheduler.Runner.request_stop for why)

    def run_once(self) -> int:
        """Claim and run one task, or one batch of item tasks; returns how many tasks were claimed."""
        batch = max(1, self.settings.analyze_batch_size)
        claimed = self.queue.claim(self.id, limit=1)
        if not claimed:
            return 0
        first = claimed[0]
        if first.kind == ITEM and batch > 1:  # items go through analysis together
            claimed += self.queue.claim(self.id, kinds=[ITEM], limit=batch - 1)
        with self._lock:
            self._in_hand = {task.id for task in claimed}
            self._current = first.label
        try:
            if first.kind == ITEM:
                self._items([task for task in claimed if task.kind == ITEM])
            else:
                self._run_one(first)
        finally:
            with self._lock:
                self._in_hand = set()
                self._current = None
        return len(claimed)

    def _heartbeat(self) -> None:
        every = max(0.2, self.queue.lease / 3)
        while not self.stop.wait(every):
            with self._lock:
                held, current = set(self._in_hand), self._current
            try:
                if held:
                    lost = held - self.queue.renew(self.id, held)
                    if lost:
                        logger.warning("worker %s: lost the lease of %d task(s) to another worker", self.id,
                                       len(lost))
                self.registry.beat(self.id, task=current, done=self.done)
            except Exception as exc:  # noqa: BLE001 - a database hiccup: try again next beat
                logger.warning("worker %s: heartbeat failed: %s", self.id, exc)

    # -- task kinds ------------------------------------------------------------------------------

    def _run_one(self, task: QueuedTask) -> None:
        try:
            if task.kind == POLL:
                self._poll(task)
            elif task.kind == ALERTS:
                if self.sender is not None:
                    self.sender.send_due()
            elif task.kind == DIGEST:
                self._digest(task)
            else:
                self._fail(task, f"unknown task kind {task.kind!r}", retry_in=3600)
                return
        except Exception as exc:  # noqa: BLE001 - one task failing must not stop the worker
            state = self._fail(task, f"{task.label}: {exc}")
            logger.error("%s: %s (%s)", task.label, exc, state or "taken over")
            return
        self._finished(task)

    def _poll(self, task: QueuedTask) -> None:
        source = self.sources.get(task.key)
        if source is None:
            raise LookupError(f"source {task.key!r} is not in this worker's sources file")
        report = self.crawler.crawl_source(source, process=False)
        queued = self.queue.enqueue_many(ITEM, [str(item.id) for item in self.store.pending_items(source.id)])
        if report.ok:
            logger.info("[%s] %d items in the feed, %d item tasks queued", source.id, report.seen, queued)
        else:  # recorded on the source, with its back-off: the scheduler polls again at next_poll
            logger.warning("[%s] %s", source.id, report.reason)

    def _digest(self, task: QueuedTask) -> None:
        digest = self.digests.get(task.key)
        if digest is None or self._send_digest is None:
            raise LookupError(f"digest {task.key!r} is not in this worker's alerts file")
        self._send_digest(self.store, digest, self.settings)

    def _items(self, tasks: list[QueuedTask]) -> None:
        by_source: dict[str, list[tuple[QueuedTask, ItemRow]]] = defaultdict(list)
        items = self.store.get_items(int(task.key) for task in tasks if task.key.isdigit())
        settled: list[QueuedTask] = []
        for task in tasks:
            item = items.get(int(task.key)) if task.key.isdigit() else None
            if item is None or item.state in FINAL_STATES:
                settled.append(task)  # gone, or finished by a worker whose lease had expired
                continue
            if item.source_id not in self.sources:
                self._fail(task, f"item {task.key}: source {item.source_id!r} is not in this worker's sources file")
                continue
            by_source[item.source_id].append((task, item))
        self._finished(*settled)
        for source_id, pairs in by_source.items():
            source = self.sources[source_id]
            report = SourceReport(source_id)
            try:
                self.crawler.process_items(source, [item for _, item in pairs], report)
            except Exception as exc:  # noqa: BLE001 - the store or analysis failed: retry these later
                for task, _ in pairs:
                    self._fail(task, f"item {task.key}: {exc}")
                logger.error("[%s] %d items: %s", source_id, len(pairs), exc)
                continue
            if report.new or report.linked:
                logger.info("[%s] %d new, %d linked, %d failed", source_id, report.new, report.linked,
                            report.failed)
            states = self.store.item_states(item.id for _, item in pairs)
            self._finished(*(task for task, item in pairs if states.get(item.id, "failed") in FINAL_STATES))
            for task, item in pairs:
                if states.get(item.id, "failed") in FINAL_STATES:
                    continue
                if self.stop.is_set():
                    self._let_go(task.id)
                    self.queue.release(self.id, task.id)
                else:  # put off by its host (politeness, Retry-After): not a failure of the item
                    self._fail(task, f"item {task.key}: put off by its host", retry_in=DEFERRED_RETRY, count=False)

    def _fail(self, task: QueuedTask, error: str, **how) -> str | None:
        self._let_go(task.id)
        return self.queue.fail(self.id, task.id, error, **how)

    def _let_go(self, task_id: int) -> None:
        """The task is no longer in hand (done, failed or given back): the heartbeat stops renewing it."""
        with self._lock:
            self._in_hand.discard(task_id)

    def _finished(self, *tasks: QueuedTask) -> None:
        """Mark these tasks done, in one transaction."""
        if not tasks:
            return
        for task in tasks:
            self._let_go(task.id)
        completed = self.queue.complete_many(self.id, [task.id for task in tasks])
        self.done += len(completed)
        for task in tasks:
            if task.id not in completed:
                logger.info("%s: finished, but another worker had taken it over", task.label)

