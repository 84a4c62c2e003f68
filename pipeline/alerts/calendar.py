"""`regwatch calendar --ics FILE`: upcoming effective dates as an iCalendar file (RFC 5545), written by hand.

One all-day VEVENT per event (one per story, event type and date: syndicated copies count once), with
SUMMARY ``type: actor (jurisdictions)``, the evidence and link in DESCRIPTION, URL, and a UID built
from the story and event ids so that a calendar that subscribes sees the same event, not a new one.
Text values escape ``\\ ; ,`` and newlines; lines end in CRLF and are folded at 75 octets.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pipeline import __version__
from pipeline.alerts.digest import Upcoming, upcoming_events
from pipeline.store import Store
from pipeline.store.types import utc_now

PRODID = f"-//regwatch//regwatch {__version__}//EN"


def escape_text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line folded at 75 octets (UTF-8, never inside a character), CRLF-terminated."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with one space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out) + "\r\n"


def _summary(item: Upcoming) -> str:
    where = f" ({', '.join(item.jurisdictions)})" if item.jurisdictions else ""
    return f"{item.event_type.replace('_', ' ')}: {item.actor or '?'}{where}"


def vevent(item: Upcoming, stamp: datetime) -> list[str]:
    day = date.fromisoformat(item.date)
    description = "\n".join(part for part in (
        item.evidence, f"Status: {item.status}" if item.status else "", f"Article: {item.title}", item.url) if part)
    lines = [
        "BEGIN:VEVENT",
        f"UID:regwatch-story-{item.story_id if item.story_id is not None else 0}-event-{item.event_id}@regwatch",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(_summary(item))}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    if item.url.startswith(("http://", "https://")):
        lines.append(f"URL:{item.url.replace(chr(13), '').replace(chr(10), '')}")
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def calendar_text(items: list[Upcoming], *, stamp: datetime | None = None) -> str:
    stamp = stamp or utc_now()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:regwatch effective dates"]
    for item in items:
        lines += vevent(item, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)


def upcoming(store: Store, today: date | None = None) -> list[Upcoming]:
    """Every event with a full effective date from ``today`` on (UTC), soonest first."""
    today = today or utc_now().date()
    with store._read() as conn:
        return upcoming_events(conn, today, None)
