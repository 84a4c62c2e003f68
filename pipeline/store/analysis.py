"""Rows of the entity and event tables from one analysis dict (``shared/spec/analysis.md``).

The analysis is stored whole in ``article.analysis``; these rows are its
queryable part. Entries that do not have the expected shape are skipped and
logged rather than failing the article.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def entity_rows(article_id: int, analysis: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for item in _entries(analysis, "companies", "name"):
        rows.append(_entity(article_id, "company", item["name"], None, item.get("mentions")))
    for item in _entries(analysis, "authorities", "name"):
        rows.append(
            _entity(article_id, "authority", item["name"], item.get("jurisdiction"), item.get("mentions"))
        )
    for item in _entries(analysis, "jurisdictions", "code"):
        rows.append(
            _entity(
                article_id,
                "jurisdiction",
                item.get("name") or item["code"],
                item["code"],
                item.get("mentions"),
            )
        )
    for item in _entries(analysis, "dates", "date"):
        rows.append(_entity(article_id, "date", item.get("text") or item["date"], item["date"], None))
    return rows


def event_rows(article_id: int, analysis: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in _entries(analysis, "events", "type"):
        jurisdictions = item.get("jurisdictions") or []
        if isinstance(jurisdictions, str):
            jurisdictions = [jurisdictions]
        rows.append(
            {
                "article_id": article_id,
                "type": str(item["type"]),
                "actor": _str_or_none(item.get("actor")),
                "actor_kind": _str_or_none(item.get("actor_kind")),
                "jurisdictions": [str(code) for code in jurisdictions],
                "effective_date": _str_or_none(item.get("effective_date")),
                "status": _str_or_none(item.get("status")),
                "confidence": float_or_none(item.get("confidence")),
                "evidence": _str_or_none(item.get("evidence")),
            }
        )
    return rows


def _entries(analysis: dict[str, Any], key: str, required: str) -> list[dict[str, Any]]:
    value = analysis.get(key) or []
    if not isinstance(value, list):
        log.warning("analysis %r is not a list: ignored", key)
        return []
    entries = []
    for item in value:
        if isinstance(item, dict) and item.get(required):
            entries.append(item)
        else:
            log.warning("analysis %r entry without %r ignored: %.80r", key, required, item)
    return entries


def _entity(article_id: int, kind: str, name: Any, code: Any, mentions: Any) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "kind": kind,
        "name": str(name),
        "code": _str_or_none(code),
        "mentions": _int_or_none(mentions),
    }


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def float_or_none(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
