"""Exports for dashboards and spreadsheets: events and stories as CSV or JSON Lines, streamed.

One generator per format serves both ``/api/export/...`` and ``regwatch export``; the matching ids are
sorted once and the rows read 500 at a time, so an export of any size holds one batch (and the ids) in
memory. JSON Lines carry the objects of /api/events and /api/stories unchanged. CSV has one row per
object with lists joined by ``;``, and is guarded against formula injection (CWE-1236): a text cell that
a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from pipeline.api import queries
from pipeline.api.filters import EventFilter, FilterError
from pipeline.store import Store

KINDS = ("events", "stories")
FORMATS = ("csv", "jsonl")
EVENT_COLUMNS = ("id", "story_id", "article_id", "published", "source", "type", "actor", "actor_kind",
                 "jurisdictions", "effective_date", "status", "confidence", "evidence", "title", "url")
STORY_COLUMNS = ("id", "title", "url", "published", "first_seen", "last_seen", "article_count", "source_count",
                 "sources", "companies", "jurisdictions", "event_types")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
CHUNK_CHARS = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str | int | float:
    """A CSV cell: numbers as they are, lists joined by ``;``, text that could start a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = ";".join(str(item) for item in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows(store: Store, kind: str, filters: EventFilter) -> Iterator[dict[str, Any]]:
    """Every event or story matching ``filters``, newest first."""
    if kind == "events":
        return queries.iter_events(store, filters)
    if kind == "stories":
        return queries.iter_stories(store, filters)
    raise FilterError(f"export: unknown kind {kind!r}; one of {', '.join(KINDS)}")


def csv_lines(objects: Iterator[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    for obj in objects:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(obj.get(column)) for column in columns])
        yield buffer.getvalue()


def jsonl_lines(objects: Iterator[dict[str, Any]]) -> Iterator[str]:
    for obj in objects:
        yield json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def export_lines(store: Store, kind: str, fmt: str, filters: EventFilter) -> Iterator[str]:
    """The export of ``kind`` (events, stories) as ``fmt`` (csv, jsonl), line by line."""
    if fmt not in FORMATS:
        raise FilterError(f"format: must be csv or jsonl, not {fmt!r}")
    objects = rows(store, kind, filters)
    if fmt == "csv":
        return csv_lines(objects, EVENT_COLUMNS if kind == "events" else STORY_COLUMNS)
    return jsonl_lines(objects)


def chunks(lines: Iterator[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """Lines joined into pieces of about ``size`` characters: a streamed response hands each piece to a worker
    thread, which costs far more than writing one line."""
    buffer: list[str] = []
    length = 0
    for line in lines:
        buffer.append(line)
        length += len(line)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)
