"""The I/O of ``regwatch analyze``: JSON Lines in, one JSON line out per input line, same order.

A line that is not JSON, is not an object, or lacks ``id`` / ``text`` gives an error line
``{"id": ..., "error": "..."}`` and the run goes on. Input is read in batches of
``settings.analyze_batch_size`` lines, so memory stays flat whatever the input size.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import TextIO

from pipeline.analyze.analyzer import Analyzer
from pipeline.records import ArticleInput

logger = logging.getLogger(__name__)

_FIELDS = ("title", "published", "url", "source", "jurisdiction_hint")


def run_jsonl(
    lines: Iterable[str], out: TextIO, analyzer: Analyzer, *, default_published: date | None = None
) -> tuple[int, int]:
    """Analyses JSON Lines; returns (analysed, failed). Blank lines are skipped without output."""
    analysed = failed = 0
    batch_size = max(1, analyzer.settings.analyze_batch_size)
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    while True:
        chunk = list(islice(numbered, batch_size))
        if not chunk:
            break
        for result in _run_chunk(chunk, analyzer, default_published):
            if "error" in result:
                failed += 1
            else:
                analysed += 1
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return analysed, failed


def parse_line(line_no: int, line: str) -> ArticleInput | dict:
    """An ArticleInput, or the error object to print for that line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"line {line_no}: invalid JSON: {exc.msg} (column {exc.colno})"}
    if not isinstance(data, dict):
        return {"id": None, "error": f"line {line_no}: expected a JSON object, got {type(data).__name__}"}
    article_id = data.get("id")
    if article_id is None or article_id == "":
        return {"id": None, "error": f"line {line_no}: missing 'id'"}
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return {"id": article_id, "error": f"line {line_no}: missing or empty 'text'"}
    values = {}
    for name in _FIELDS:
        value = data.get(name)
        values[name] = None if value is None else str(value)
    return ArticleInput(id=str(article_id), text=text, **values)


def _run_chunk(chunk: list[tuple[int, str]], analyzer: Analyzer, default_published: date | None) -> Iterator[dict]:
    parsed = [(n, parse_line(n, line)) for n, line in chunk]
    articles = [a for _, a in parsed if isinstance(a, ArticleInput)]
    try:
        results = iter(list(analyzer.analyze_many(articles, default_published=default_published)))
    except Exception:
        logger.warning("analyze: a batch failed; retrying its %d articles one by one", len(articles), exc_info=True)
        results = iter([_one(n, a, analyzer, default_published) for n, a in parsed if isinstance(a, ArticleInput)])
    for _, item in parsed:
        yield next(results) if isinstance(item, ArticleInput) else item


def _one(line_no: int, article: ArticleInput, analyzer: Analyzer, default_published: date | None) -> dict:
    try:
        return analyzer.analyze(article, default_published=default_published)
    except Exception as exc:
        logger.warning("analyze: line %d, article %s failed: %s", line_no, article.id, exc)
        return {"id": article.id, "error": f"line {line_no}: analysis failed: {exc}"}
