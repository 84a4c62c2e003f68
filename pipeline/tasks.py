"""The task kinds of the workers' queue and the scheduler's helpers, apart from the worker itself, so that
`regwatch scheduler` never imports the crawl, extraction or analysis code (spaCy, trafilatura)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

from pipeline.sources import Source
from pipeline.store import Store
from pipeline.store.queue import TaskQueue

POLL = "poll"
ITEM = "item"
ALERTS = "alerts"
DIGEST = "digest"


def worker_id(role: str) -> str:
    """``host:pid:role:random``: unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}:{uuid.uuid4().hex[:6]}"


def enqueue_pending(store: Store, queue: TaskQueue, source_ids: list[str]) -> int:
    """Queue an item task for every unfinished item of these sources (after a crash, or for a new worker
    fleet on an old store); returns how many were queued now."""
    return sum(queue.enqueue_many(ITEM, [str(item.id) for item in store.pending_items(source_id)])
               for source_id in source_ids)


def due_sources(store: Store, sources: list[Source], now: datetime) -> list[Source]:
    """Sources whose next poll has come (or that were never polled)."""
    states = {state.id: state for state in store.source_states()}
    due = []
    for source in sources:
        state = states.get(source.id)
        if state is None or state.next_poll is None or state.next_poll <= now:
            due.append(source)
    return due

