"""One alert as text: the e-mail subject, plain-text and HTML bodies, the webhook JSON, the Slack message.

Every alert explains itself: the rule, the fields that matched, the event and its evidence sentence,
what changed (for an update), the story's sources and a link. Article-derived text is escaped for
HTML (``html.escape``) and for Slack (``&``, ``<``, ``>``); header values never carry CR or LF.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

WEBHOOK_SCHEMA_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(value: Any, limit: int = 200) -> str:
    """A header-safe single line: control characters (CR, LF included) become spaces."""
    text = " ".join(_CONTROL.sub(" ", str(value or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def subject(payload: dict[str, Any]) -> str:
    prefix = "updated" if payload.get("kind") == "updated" else "alert"
    return one_line(f"[regwatch {prefix}] {payload.get('rule')}: {payload.get('title') or '(no title)'}")


def _matched(payload: dict[str, Any]) -> str:
    return "; ".join(f"{name}: {', '.join(values)}" for name, values in (payload.get("matched") or {}).items())


def _event(event: dict[str, Any] | None) -> str:
    if not event:
        return ""
    parts = [str(event.get("type"))]
    if event.get("actor"):
        parts.append(f"by {event['actor']}")
    if event.get("jurisdictions"):
        parts.append(f"in {', '.join(map(str, event['jurisdictions']))}")
    if event.get("effective_date"):
        parts.append(f"effective {event['effective_date']}")
    extra = [str(event["status"])] if event.get("status") else []
    if event.get("confidence") is not None:
        extra.append(f"confidence {float(event['confidence']):.2f}")
    return " ".join(parts) + (f" ({', '.join(extra)})" if extra else "")


def _changes(changes: dict[str, Any] | None) -> list[str]:
    lines = []
    for key, label in (("event_types", "new event type"), ("jurisdictions", "new jurisdiction"),
                       ("effective_dates", "new effective date")):
        for value in (changes or {}).get(key, []):
            lines.append(f"{label}: {value}")
    for moved in (changes or {}).get("status", []):
        lines.append(f"status of {moved['event_type']}: {moved['from']} -> {moved['to']}")
    return lines


def facts_lines(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines, shared by every text format."""
    lines = [("Rule", str(payload.get("rule"))), ("Matched", _matched(payload))]
    if payload.get("kind") == "updated":
        lines.append(("What changed", "; ".join(_changes(payload.get("changes")))))
    if payload.get("event"):
        lines.append(("Event", _event(payload.get("event"))))
    if payload.get("evidence"):
        lines.append(("Evidence", str(payload["evidence"])))
    if payload.get("summary"):
        lines.append(("Summary", str(payload["summary"])))
    sources = payload.get("sources") or []
    lines.append((f"Sources ({len(sources)})", ", ".join(map(str, sources))))
    if payload.get("url"):
        lines.append(("Link", str(payload["url"])))
    return lines


def plain_text(payload: dict[str, Any]) -> str:
    heading = "Updated story" if payload.get("kind") == "updated" else "New story"
    body = [f"{heading}: {payload.get('title') or '(no title)'}", ""]
    body += [f"{label}: {value}" for label, value in facts_lines(payload)]
    return "\n".join(body) + "\n"


def html_body(payload: dict[str, Any]) -> str:
    e = html.escape
    heading = "Updated story" if payload.get("kind") == "updated" else "New story"
    url = payload.get("url") or ""
    title = e(str(payload.get("title") or "(no title)"))
    link = f'<a href="{e(url, quote=True)}" style="color:#1a4f8b">{title}</a>' if url.startswith("http") else title
    rows = "".join(
        f'<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;color:#555">{e(label)}</th>'
        f'<td style="padding:2px 0">{e(value)}</td></tr>'
        for label, value in facts_lines(payload)
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">'
        f'<p style="margin:0 0 4px;color:#777">{e(heading)}</p><h2 style="margin:0 0 12px;font-size:18px">{link}</h2>'
        f'<table style="border-collapse:collapse">{rows}</table></body></html>'
    )


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The webhook JSON (schema version 1, documented in the README), as the exact bytes signed."""
    keys = ("key", "rule", "kind", "story_id", "article_id", "title", "url", "source", "published", "summary", "event",
            "evidence", "matched", "changes", "sources")
    document = {"version": WEBHOOK_SCHEMA_VERSION, **{key: payload.get(key) for key in keys}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def slack_escape(text: Any) -> str:
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    heading = "Updated" if payload.get("kind") == "updated" else "New"
    title = slack_escape(one_line(payload.get("title") or "(no title)", 300))
    url = str(payload.get("url") or "")
    headline = f"<{slack_escape(url).replace('|', '%7C')}|{title}>" if url.startswith("http") else title
    details = "\n".join(f"*{slack_escape(label)}:* {slack_escape(value)}" for label, value in facts_lines(payload)
                        if label != "Link")
    return {
        "text": f"{heading} regwatch alert ({slack_escape(payload.get('rule'))}): {title}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{heading}:* {headline}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": details[:2900]}},
        ],
    }
