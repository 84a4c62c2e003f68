"""Daily digests: one e-mail per subscription (alerts.yaml ``digests:``) at its local time.

A digest covers the stories seen since the subscription's last recorded run (the first run: the last 24
hours) that match its filter (rule-style fields AND an optional query, like a watch rule, tried on every
article of the story). Stories first seen in the period are *new*; stories first seen earlier with a
newer article are *updated*. Each story appears once, grouped by jurisdiction, then event type. A section
lists the events coming into effect in the next 30 days (full ``YYYY-MM-DD`` effective dates only).

A run is recorded in ``digest_run`` *before* the message goes out, unique per subscription and scheduled
slot (the latest send time at or before now), so a restart or a second sender never sends the same digest
twice; a failed send removes its row so that it can be tried again. An empty digest is not sent (nor
recorded) unless asked.
"""

from __future__ import annotations

import html
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.alerts.channels import address, email_sender, send_message
from pipeline.alerts.config import Digest, DigestFilter
from pipeline.alerts.match import ArticleView, match_article
from pipeline.alerts.render import one_line
from pipeline.settings import Settings
from pipeline.store import Store
from pipeline.store.models import Article, DigestRun, Event, Source, Story
from pipeline.store.types import utc_now

log = logging.getLogger(__name__)

article_table = Article.__table__
event_table = Event.__table__
run_table = DigestRun.__table__
source_table = Source.__table__
story_table = Story.__table__

FIRST_PERIOD = timedelta(hours=24)
UPCOMING_DAYS = 30
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_LINKS = 5


# -- schedule ------------------------------------------------------------------------------------------------


def _days(digest: Digest) -> set[int]:
    return set(range(5)) if digest.days == "weekdays" else set(range(7))


def _local_slot(digest: Digest, day: date, zone: ZoneInfo) -> datetime:
    hour, minute = (int(part) for part in digest.at.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def latest_slot(digest: Digest, now: datetime) -> datetime:
    """The latest scheduled send time at or before ``now`` (UTC)."""
    zone = ZoneInfo(digest.timezone)
    today = now.astimezone(zone).date()
    for back in range(8):
        day = today - timedelta(days=back)
        slot = _local_slot(digest, day, zone)
        if day.weekday() in _days(digest) and slot <= now:
            return slot.astimezone(UTC)
    raise AssertionError("a digest is sent at least once a week")


def next_slot(digest: Digest, now: datetime) -> datetime:
    """The next scheduled send time after ``now`` (UTC)."""
    zone = ZoneInfo(digest.timezone)
    today = now.astimezone(zone).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        slot = _local_slot(digest, day, zone)
        if day.weekday() in _days(digest) and slot > now:
            return slot.astimezone(UTC)
    raise AssertionError("a digest is sent at least once a week")


def cron_trigger(digest: Digest):
    """The APScheduler trigger of a subscription: its local time, in its time zone, on its days."""
    from apscheduler.triggers.cron import CronTrigger

    hour, minute = digest.at.split(":")
    return CronTrigger(day_of_week="mon-fri" if digest.days == "weekdays" else "*", hour=int(hour),
                       minute=int(minute), timezone=ZoneInfo(digest.timezone))


# -- content -------------------------------------------------------------------------------------------------


@dataclass
class DigestStory:
    story_id: int
    kind: str  # "new" or "updated"
    title: str
    summary: str
    actor: str
    event_type: str
    jurisdictions: list[str]
    effective_date: str
    sources: int
    links: list[tuple[str, str]]  # (source id, url)
    jurisdiction: str  # the group

    @property
    def first_link(self) -> str:
        return self.links[0][1] if self.links else ""


@dataclass
class Upcoming:
    event_id: int
    story_id: int | None
    date: str
    event_type: str
    actor: str
    jurisdictions: list[str]
    title: str
    url: str
    evidence: str
    status: str


@dataclass
class DigestContent:
    name: str
    period_start: datetime
    period_end: datetime
    timezone: str
    stories: list[DigestStory] = field(default_factory=list)
    upcoming: list[Upcoming] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.stories and not self.upcoming

    def grouped(self, kind: str) -> dict[str, dict[str, list[DigestStory]]]:
        """jurisdiction -> event type -> stories of ``kind``, in display order."""
        groups: dict[str, dict[str, list[DigestStory]]] = defaultdict(lambda: defaultdict(list))
        for story in self.stories:
            if story.kind == kind:
                groups[story.jurisdiction][story.event_type].append(story)
        order = sorted(groups, key=lambda j: (j == "Other", j))
        return {j: {t: groups[j][t] for t in sorted(groups[j], key=lambda t: (t == "other news", t))} for j in order}


def _filter_parts(criteria: DigestFilter, store: Store | None = None):
    """The filter and its query: ``query`` AND the saved search named by ``search`` (looked up now)."""
    from pipeline.search import combine, parse

    query = parse(criteria.query) if criteria.query else None
    if criteria.search:
        if store is None:
            raise ValueError("a digest filter with a saved search needs the store")
        from pipeline.search.saved import get

        query = combine(query, parse(get(store, criteria.search)))
    return criteria, query


def _matches(criteria: DigestFilter, query: Any, view: ArticleView):
    if criteria.empty and query is None:
        events = [e for e in (view.analysis or {}).get("events") or [] if isinstance(e, dict) and e.get("type")]
        events.sort(key=lambda e: -float(e.get("confidence") or 0.0))
        from pipeline.alerts.match import MatchResult

        return MatchResult(matched={}, events=events)
    return match_article(criteria, query, view)


def _source_tags(conn) -> dict[str, tuple[str, ...]]:
    return {row.id: tuple(row.tags or ()) for row in conn.execute(select(source_table.c.id, source_table.c.tags))}


def _view(row: Any, tags: dict[str, tuple[str, ...]]) -> ArticleView:
    return ArticleView(title=row.title, text=row.text or "", source_id=row.source_id,
                       source_tags=tags.get(row.source_id, ()), analysis=row.analysis,
                       published=getattr(row, "published", None))


def build_digest(store: Store, digest: Digest, start: datetime, end: datetime) -> DigestContent:
    """The digest of ``digest`` for stories seen in [start, end)."""
    criteria, query = _filter_parts(digest.filter, store)
    content = DigestContent(digest.name, start, end, digest.timezone)
    with store._read() as conn:
        tags = _source_tags(conn)
        stories = conn.execute(
            select(story_table).where(story_table.c.last_seen >= start, story_table.c.first_seen < end)
            .order_by(story_table.c.first_seen, story_table.c.id)
        ).all()
        by_story: dict[int, list[Any]] = defaultdict(list)
        ids = [s.id for s in stories]
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            rows = conn.execute(
                select(article_table.c.id, article_table.c.story_id, article_table.c.source_id, article_table.c.url,
                       article_table.c.title, article_table.c.text, article_table.c.summary,
                       article_table.c.analysis, article_table.c.published)
                .where(article_table.c.story_id.in_(chunk)).order_by(article_table.c.id)
            ).all()
            for row in rows:
                by_story[row.story_id].append(row)
        for story in stories:
            item = _story(story, by_story.get(story.id, []), criteria, query, tags, start)
            if item is not None:
                content.stories.append(item)
        today = end.astimezone(ZoneInfo(digest.timezone)).date()
        content.upcoming = upcoming_events(conn, today, today + timedelta(days=UPCOMING_DAYS), criteria, query, tags)
    return content


def _story(story: Any, articles: list[Any], criteria: DigestFilter, query: Any,
           tags: dict[str, tuple[str, ...]], start: datetime) -> DigestStory | None:
    best = None
    for row in reversed(articles):  # the latest matching article speaks for the story
        result = _matches(criteria, query, _view(row, tags))
        if result is not None:
            best = (row, result)
            break
    if best is None:
        return None
    row, result = best
    event = result.event or {}
    codes = [str(c) for c in (event.get("jurisdictions") or [])]
    if not codes:
        codes = [str(j.get("code")) for j in (row.analysis or {}).get("jurisdictions") or []
                 if isinstance(j, dict) and j.get("code")]
    wanted = criteria.jurisdictions
    group = next((w for w in wanted if any(c == w or c.startswith(w + "-") for c in codes)), None)
    links = list(dict.fromkeys((a.source_id, a.url) for a in articles))
    return DigestStory(
        story_id=story.id,
        kind="new" if story.first_seen >= start else "updated",
        title=story.title or row.title or "(no title)",
        summary=row.summary or (row.analysis or {}).get("summary") or "",
        actor=str(event.get("actor") or ""),
        event_type=str(event.get("type") or "other news"),
        jurisdictions=codes,
        effective_date=str(event.get("effective_date") or ""),
        sources=len({a.source_id for a in articles}),
        links=links[:_MAX_LINKS],
        jurisdiction=group or (codes[0] if codes else "Other"),
    )


def upcoming_events(conn: Any, first: date, last: date | None, criteria: DigestFilter | None = None,
                    query: Any = None, tags: dict[str, tuple[str, ...]] | None = None) -> list[Upcoming]:
    """Events with a full effective date in [first, last] (no upper bound without ``last``), one per story,
    event type and date, soonest first; with ``criteria``, only events of articles that match them."""
    criteria = criteria or DigestFilter()
    tags = _source_tags(conn) if tags is None else tags
    where = [event_table.c.effective_date >= first.isoformat()]
    if last is not None:
        where.append(event_table.c.effective_date <= last.isoformat())
    rows = conn.execute(
        select(event_table.c.id.label("event_id"), event_table.c.type, event_table.c.actor,
               event_table.c.jurisdictions.label("event_jurisdictions"), event_table.c.effective_date,
               event_table.c.status, event_table.c.evidence, article_table.c.story_id, article_table.c.source_id,
               article_table.c.url, article_table.c.title, article_table.c.text, article_table.c.analysis,
               article_table.c.published)
        .join(article_table, article_table.c.id == event_table.c.article_id)
        .where(*where).order_by(event_table.c.effective_date, event_table.c.id)
    ).all()
    seen: set[tuple[Any, ...]] = set()
    result = []
    for row in rows:
        if not _FULL_DATE.match(row.effective_date or ""):
            continue
        key = (row.story_id if row.story_id is not None else f"a{row.url}", row.type, row.effective_date)
        if key in seen:
            continue
        if _matches(criteria, query, _view(row, tags)) is None:
            continue
        seen.add(key)
        result.append(Upcoming(
            event_id=row.event_id, story_id=row.story_id, date=row.effective_date, event_type=row.type,
            actor=row.actor or "", jurisdictions=[str(c) for c in (row.event_jurisdictions or [])],
            title=row.title or "(no title)", url=row.url or "", evidence=row.evidence or "", status=row.status or "",
        ))
    return result


# -- rendering -----------------------------------------------------------------------------------------------

_FONT = "font-family:Arial,Helvetica,sans-serif"
_LINK = "color:#1a4f8b;text-decoration:none"


def _label(kind: str) -> str:
    return kind.replace("_", " ")


def _period(content: DigestContent) -> str:
    zone = ZoneInfo(content.timezone)
    start, end = (moment.astimezone(zone) for moment in (content.period_start, content.period_end))
    return f"{start:%d %b %Y %H:%M} – {end:%d %b %Y %H:%M} ({content.timezone})"


def digest_subject(content: DigestContent) -> str:
    new = sum(1 for s in content.stories if s.kind == "new")
    updated = len(content.stories) - new
    day = content.period_end.astimezone(ZoneInfo(content.timezone))
    return one_line(f"[regwatch digest] {content.name}, {day:%d %b %Y}: {new} new, {updated} updated, "
                    f"{len(content.upcoming)} coming into effect")


def _facts(story: DigestStory) -> list[str]:
    parts = []
    if story.actor:
        parts.append(story.actor)
    if story.jurisdictions:
        parts.append(", ".join(story.jurisdictions))
    if story.effective_date:
        parts.append(f"effective {story.effective_date}")
    parts.append(f"{story.sources} source{'s' if story.sources != 1 else ''}")
    return parts


def digest_text(content: DigestContent) -> str:
    lines = [f"regwatch digest: {content.name}", _period(content), ""]
    for kind, heading in (("new", "New since the last digest"), ("updated", "Updated")):
        groups = content.grouped(kind)
        count = sum(len(s) for types in groups.values() for s in types.values())
        lines += [f"== {heading} ({count}) ==", ""]
        if not groups:
            lines += ["Nothing.", ""]
        for jurisdiction, types in groups.items():
            for kind_name, stories in types.items():
                lines.append(f"-- {jurisdiction} / {_label(kind_name)} --")
                for story in stories:
                    lines.append(f"* {one_line(story.title, 300)}")
                    lines.append(f"  {' | '.join(_facts(story))}")
                    if story.summary:
                        lines.append(f"  {one_line(story.summary, 600)}")
                    lines += [f"  {source}: {url}" for source, url in story.links]
                lines.append("")
    lines += [f"== Coming into effect in the next {UPCOMING_DAYS} days ({len(content.upcoming)}) ==", ""]
    if not content.upcoming:
        lines.append("Nothing.")
    for item in content.upcoming:
        where = f" ({', '.join(item.jurisdictions)})" if item.jurisdictions else ""
        lines.append(f"* {item.date}: {_label(item.event_type)}: {item.actor or '?'}{where} - {one_line(item.title)}")
        if item.url:
            lines.append(f"  {item.url}")
    return "\n".join(lines).rstrip() + "\n"


def _a(url: str, text: str) -> str:
    e = html.escape
    if url.startswith(("http://", "https://")):
        return f'<a href="{e(url, quote=True)}" style="{_LINK}">{e(text)}</a>'
    return e(text)


def _story_html(story: DigestStory) -> str:
    e = html.escape
    facts = " · ".join(e(part) for part in _facts(story))
    links = " · ".join(_a(url, source) for source, url in story.links)
    summary = (f'<p style="margin:4px 0;font-size:14px;line-height:1.4;color:#333">{e(story.summary)}</p>'
               if story.summary else "")
    return (
        '<tr><td style="padding:8px 0 10px;border-bottom:1px solid #eee">'
        f'<div style="font-size:15px;font-weight:bold">{_a(story.first_link, story.title)}</div>'
        f'<div style="font-size:12px;color:#666;margin-top:2px">{facts}</div>{summary}'
        f'<div style="font-size:12px;color:#666">{links}</div></td></tr>'
    )


def digest_html(content: DigestContent) -> str:
    e = html.escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<title>{e(digest_subject(content))}</title></head>'
        f'<body style="margin:0;padding:0;background:#f4f5f7;{_FONT};font-size:14px;color:#222">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7">'
        '<tr><td align="center" style="padding:16px">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" '
        'style="max-width:640px;width:100%;background:#ffffff;border:1px solid #dde1e6">'
        '<tr><td style="background:#1a4f8b;color:#ffffff;padding:14px 20px">'
        f'<div style="font-size:20px;font-weight:bold">regwatch digest: {e(content.name)}</div>'
        f'<div style="font-size:12px;margin-top:4px;color:#dce6f2">{e(_period(content))}</div></td></tr>'
    ]
    for kind, heading in (("new", "New since the last digest"), ("updated", "Updated")):
        groups = content.grouped(kind)
        count = sum(len(s) for types in groups.values() for s in types.values())
        parts.append(f'<tr><td style="padding:16px 20px 0"><h2 style="margin:0;font-size:17px;color:#1a4f8b;'
                     f'border-bottom:2px solid #1a4f8b;padding-bottom:4px">{e(heading)} ({count})</h2>')
        if not groups:
            parts.append('<p style="color:#777;font-size:13px">Nothing.</p>')
        for jurisdiction, types in groups.items():
            parts.append('<h3 style="margin:14px 0 0;padding:3px 8px;font-size:15px;color:#222;background:#eef2f7">'
                         f'{e(jurisdiction)}</h3>')
            for kind_name, stories in types.items():
                parts.append(f'<div style="margin:6px 0 0;font-size:12px;font-weight:bold;color:#8a5a00;'
                             f'text-transform:uppercase;letter-spacing:0.5px">{e(_label(kind_name))}</div>'
                             '<table role="presentation" width="100%" cellpadding="0" cellspacing="0">')
                parts += [_story_html(story) for story in stories]
                parts.append('</table>')
        parts.append('</td></tr>')
    parts.append('<tr><td style="padding:16px 20px 20px"><h2 style="margin:0;font-size:17px;color:#1a4f8b;'
                 'border-bottom:2px solid #1a4f8b;padding-bottom:4px">'
                 f'Coming into effect in the next {UPCOMING_DAYS} days ({len(content.upcoming)})</h2>')
    if not content.upcoming:
        parts.append('<p style="color:#777;font-size:13px">Nothing.</p>')
    else:
        parts.append('<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
                     'style="font-size:13px;margin-top:6px">')
        for item in content.upcoming:
            where = f" ({', '.join(item.jurisdictions)})" if item.jurisdictions else ""
            parts.append(
                '<tr><td style="padding:5px 12px 5px 0;vertical-align:top;white-space:nowrap;font-weight:bold">'
                f'{e(item.date)}</td><td style="padding:5px 0;border-bottom:1px solid #eee">'
                f'{e(_label(item.event_type))}: {e(item.actor or "?")}{e(where)}<br>'
                f'<span style="color:#666">{_a(item.url, item.title)}</span></td></tr>'
            )
        parts.append('</table>')
    parts.append('</td></tr><tr><td style="padding:10px 20px;font-size:11px;color:#888;border-top:1px solid #eee">'
                 'Sent by regwatch. Article text is quoted from the sources linked above.</td></tr>'
                 '</table></td></tr></table></body></html>')
    return "".join(parts)


def digest_message(content: DigestContent, sender: str, to: tuple[str, ...]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = digest_subject(content)
    message["From"] = address(sender)
    message["To"] = [address(value) for value in to]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="regwatch.invalid")
    message["X-Regwatch-Digest"] = one_line(content.name)
    message.set_content(digest_text(content))
    message.add_alternative(digest_html(content), subtype="html")
    return message


# -- runs ----------------------------------------------------------------------------------------------------


@dataclass
class DigestOutcome:
    name: str
    state: str  # "sent", "empty" (not sent), "already" (this slot was sent before)
    stories: int = 0
    slot: datetime | None = None


def period_start(store: Store, name: str, now: datetime) -> datetime:
    with store._read() as conn:
        last = conn.execute(select(func.max(run_table.c.period_end)).where(run_table.c.subscription == name)).scalar()
    if last is None:
        return now - FIRST_PERIOD
    return last if last.tzinfo else last.replace(tzinfo=UTC)


def send_digest(store: Store, digest: Digest, settings: Settings, *, now: datetime | None = None,
                force_empty: bool = False) -> DigestOutcome:
    """Send the digest of the latest scheduled slot at or before ``now``, once."""
    now = now or utc_now()
    slot = latest_slot(digest, now)
    with store._read() as conn:
        done = conn.execute(select(run_table.c.id).where(run_table.c.subscription == digest.name,
                                                          run_table.c.slot == slot)).first()
    if done is not None:
        log.info("digest %s: the digest of %s was sent already", digest.name, slot.isoformat())
        return DigestOutcome(digest.name, "already", slot=slot)
    start = period_start(store, digest.name, now)
    content = build_digest(store, digest, start, now)
    if content.empty and not force_empty:
        log.info("digest %s: nothing since %s, not sent", digest.name, start.isoformat())
        return DigestOutcome(digest.name, "empty", slot=slot)
    message = digest_message(content, email_sender(settings), digest.to)
    try:
        with store._write() as conn:
            run_id = conn.execute(insert(run_table).values(
                subscription=digest.name, slot=slot, period_start=start, period_end=now, sent_at=None,
                story_count=len(content.stories)).returning(run_table.c.id)).scalar_one()
    except IntegrityError:
        log.info("digest %s: the digest of %s is sent by someone else", digest.name, slot.isoformat())
        return DigestOutcome(digest.name, "already", slot=slot)
    try:
        send_message(message, settings)
    except BaseException:
        with store._write() as conn:
            conn.execute(delete(run_table).where(run_table.c.id == run_id))
        raise
    with store._write() as conn:
        conn.execute(update(run_table).where(run_table.c.id == run_id).values(sent_at=utc_now()))
    log.info("digest %s: sent %d stories, %d upcoming to %d recipients", digest.name, len(content.stories),
             len(content.upcoming), len(digest.to))
    return DigestOutcome(digest.name, "sent", len(content.stories), slot)


def preview(store: Store, digest: Digest, *, now: datetime | None = None) -> DigestContent:
    """What ``send_digest`` would send now (nothing is recorded)."""
    now = now or utc_now()
    return build_digest(store, digest, period_start(store, digest.name, now), now)
