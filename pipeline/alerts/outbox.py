"""The outbox: rule matches queued in the transaction that stores an article's analysis.

``AlertQueue.on_article`` is called by the store (``Store.alert_queue``) inside that transaction, for
each newly stored article. For each rule the article matches:

- the story has no alert for the rule yet: one ``new`` alert, key ``new:RULE:STORY``;
- it has: the article's facts (matched events' types, jurisdictions, effective dates, statuses) are
  compared with the facts already alerted; when they add something, one ``updated`` alert saying what
  changed, key ``updated:RULE:STORY:HASH`` of the facts known after it. Otherwise nothing.

The keys are unique in the table, so a syndicated copy, an edit, a reprocessed article or a restart
never queues the same alert twice. Each alert gets one ``alert_delivery`` row per channel of its rule.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from pipeline.alerts.config import AlertsFile, Rule
from pipeline.alerts.match import ArticleView, changes, facts, match_article, merge_facts
from pipeline.search import Query, combine, parse
from pipeline.store.models import Alert, AlertDelivery, SavedSearch, Source

if TYPE_CHECKING:
    from pipeline.store.stories import Stored

log = logging.getLogger(__name__)

alert_table = Alert.__table__
delivery_table = AlertDelivery.__table__
source_table = Source.__table__
saved_table = SavedSearch.__table__


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    query: Query | None


class AlertQueue:
    """The rules of an alerts file, ready to match each stored article."""

    def __init__(self, alerts: AlertsFile) -> None:
        self.alerts = alerts
        self.rules = [CompiledRule(rule, parse(rule.query) if rule.query else None) for rule in alerts.rules]

    def on_article(self, conn: Connection, stored: Stored, row: dict[str, Any], analysis: dict[str, Any] | None,
                   now: datetime, story_sources: Any) -> list[int]:
        """Queue the alerts of one newly stored article; returns the new alert ids."""
        if not self.rules or stored.story_id is None:
            return []
        tags = conn.execute(select(source_table.c.tags).where(source_table.c.id == row["source_id"])).scalar()
        view = ArticleView(title=row.get("title"), text=row.get("text") or "", source_id=row["source_id"],
                           source_tags=tuple(tags or ()), analysis=analysis, published=row.get("published"))
        queued = []
        for compiled in self.rules:
            query = compiled.query
            if compiled.rule.search:  # a saved search: looked up now, so editing it changes the rule from now on
                saved = self._saved_query(conn, compiled.rule)
                if saved is None:
                    continue
                query = combine(query, saved)
            try:
                result = match_article(compiled.rule.match, query, view)
            except Exception:  # a malformed analysis must not keep the article out of the store
                log.exception("[%s] %s: rule %s could not be matched", row["source_id"], row.get("url"),
                              compiled.rule.name)
                continue
            if result is None:
                continue
            alert_id = self._queue(conn, compiled.rule, stored, row, result, now, story_sources)
            if alert_id is not None:
                queued.append(alert_id)
        return queued

    def _saved_query(self, conn: Connection, rule: Rule) -> Query | None:
        text = conn.execute(select(saved_table.c.query).where(saved_table.c.name == rule.search)).scalar()
        if text is None:
            log.error("rule %s: no saved search named %r (regwatch searches save ...): the rule is skipped",
                      rule.name, rule.search)
            return None
        try:
            return parse(text)
        except Exception as exc:  # saved before a change of the language: say so, keep storing articles
            log.error("rule %s: saved search %r no longer parses (%s): the rule is skipped", rule.name,
                      rule.search, exc)
            return None

    def _queue(self, conn: Connection, rule: Rule, stored: Stored, row: dict[str, Any], result: Any,
               now: datetime, story_sources: Any) -> int | None:
        story_id = int(stored.story_id or 0)
        new_facts = facts(result)
        known = conn.execute(
            select(alert_table.c.facts).where(alert_table.c.rule == rule.name, alert_table.c.story_id == story_id)
            .order_by(alert_table.c.id.desc()).limit(1)
        ).scalar()
        if known is None:
            kind, key, what_changed, after = "new", f"new:{rule.name}:{story_id}", None, new_facts
        else:
            what_changed = changes(known, new_facts)
            if not what_changed:
                return None
            after = merge_facts(known, new_facts)
            digest = hashlib.sha256(json.dumps(after, sort_keys=True).encode()).hexdigest()[:16]
            kind, key = "updated", f"updated:{rule.name}:{story_id}:{digest}"
        sources = story_sources(conn, [story_id]).get(story_id) or [row["source_id"]]
        event = result.event
        payload = {
            "rule": rule.name,
            "kind": kind,
            "story_id": story_id,
            "article_id": stored.article_id,
            "title": row.get("title") or "",
            "url": row.get("url"),
            "source": row["source_id"],
            "published": row["published"].isoformat() if row.get("published") else None,
            "summary": row.get("summary"),
            "event": event,
            "evidence": (event or {}).get("evidence"),
            "matched": result.matched,
            "changes": what_changed,
            "sources": sources,
        }
        from pipeline.store.repo import _dialect_insert

        statement = _dialect_insert(conn)(alert_table).values(
            rule=rule.name, story_id=story_id, article_id=stored.article_id, kind=kind, dedup_key=key,
            facts=after, payload=payload, created_at=now,
        ).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(alert_table.c.id)
        alert_id = conn.execute(statement).scalar()
        if alert_id is None:  # queued already (a concurrent writer)
            return None
        conn.execute(delivery_table.insert(), [
            {"alert_id": alert_id, "channel": channel, "state": "queued", "attempts": 0, "next_attempt": now,
             "created_at": now}
            for channel in rule.channels
        ])
        log.info("[%s] alert %s queued: rule %s, story %d (%s)", row["source_id"], kind, rule.name, story_id,
                 row.get("url"))
        return int(alert_id)
