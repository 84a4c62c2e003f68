"""Daily digests: grouping, new vs updated, the 30-day section, escaping, one send per slot, scheduling."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.alerts.config import parse_alerts
from pipeline.alerts.digest import (
    build_digest,
    cron_trigger,
    digest_html,
    digest_text,
    latest_slot,
    next_slot,
    preview,
    send_digest,
)
from pipeline.settings import Settings
from pipeline.sources import parse_sources
from pipeline.store import Store
from pipeline.store.models import DigestRun
from pipeline.store.repo import NewArticle
from tests.alerts.conftest import SOURCES, marker_analysis
from tests.support.receivers import SmtpReceiver

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # yesterday morning
NOW = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)  # 07:30 in London (winter: UTC)

DIGESTS = """digests:
  - name: daily
    to: [policy-team@example.org]
    at: "07:30"
    timezone: Europe/London
    days: weekdays
    filter: {jurisdictions: [CN, US, EU]}
  - name: everything
    to: [all@example.org]
"""

BODY = ("Regulators and companies keep changing the rules for online services, and this report follows one "
        "such change in detail, with background on the market, the people involved and what comes next. ")


def digest_of(name: str = "daily"):
    return next(d for d in parse_alerts(DIGESTS, Path("alerts.yaml")).digests if d.name == name)


@pytest.fixture
def store(db_url):
    clock = [T0]
    store = Store.open(db_url)
    store._clock = lambda: clock[0]
    store.sync_sources(parse_sources(SOURCES, Path("s.yaml")).sources)
    store.clock = clock
    yield store
    store.close()


def add(store: Store, number: int, when: datetime, markers: str, *, title: str | None = None, source: str = "news",
        body: str | None = None, analysis: dict | None = None) -> int:
    store.clock[0] = when
    text = (body or f"Story {number}. " + BODY * 3) + " " + markers
    title = title or f"Story {number} headline"
    article = NewArticle(source_id=source, url=f"https://{source}.example/{number}",
                         canonical_url=f"https://{source}.example/{number}", title=title, text=text, fetched_at=when)
    article_id = store.add_article(article, analysis or marker_analysis(text, title))
    assert article_id is not None
    return article_id


def story_of(store: Store, article_id: int) -> int:
    return store.get_article(article_id)["story_id"]


def test_grouping_new_updated_and_upcoming(store):
    # Before the period (the previous day's digest covered it), then updated by a copy in the period.
    old = add(store, 1, T0 - timedelta(days=2), "EVENT sales_restriction CN 2026-12-10 announced")
    add(store, 2, T0 + timedelta(hours=1), "EVENT fine_or_penalty US 2027-03-01 announced")
    add(store, 3, T0 + timedelta(hours=2), "EVENT sales_restriction CN 2026-12-01 announced")
    add(store, 4, T0 + timedelta(hours=3), "EVENT investigation EU 2026-12-24 proposed")
    add(store, 5, T0 + timedelta(hours=4), "EVENT investigation DE 2026-12-05 proposed")  # not in the filter
    add(store, 6, T0 + timedelta(hours=5), "EVENT fine_or_penalty US 2027-03-01 announced")  # a second US fine
    # A syndicated copy of story 1 on the wire, in the period: story 1 is updated, not new, and listed once.
    copy = add(store, 7, T0 + timedelta(hours=6), "EVENT sales_restriction CN 2026-12-10 in_effect", source="wire",
               body=f"Story 1. {BODY * 3}", title="Story 1 headline (wire)")
    assert story_of(store, copy) == story_of(store, old)

    content = build_digest(store, digest_of(), T0, NOW)
    kinds = {s.title: s.kind for s in content.stories}
    assert kinds == {"Story 1 headline": "updated", "Story 2 headline": "new", "Story 3 headline": "new",
                     "Story 4 headline": "new", "Story 6 headline": "new"}
    new = content.grouped("new")
    assert list(new) == ["CN", "EU", "US"]
    assert {t: [s.title for s in stories] for t, stories in new["US"].items()} == {
        "fine_or_penalty": ["Story 2 headline", "Story 6 headline"]}
    updated = content.grouped("updated")
    (story,) = updated["CN"]["sales_restriction"]
    assert story.sources == 2 and story.actor == "Zoom" and story.effective_date == "2026-12-10"
    assert [source for source, _ in story.links] == ["news", "wire"]

    # Next 30 days from 27 Nov: 1 Dec (CN), 10 Dec (CN, once for two copies), 24 Dec (EU); not March, not DE.
    assert [(u.date, u.jurisdictions) for u in content.upcoming] == [
        ("2026-12-01", ["CN"]), ("2026-12-10", ["CN"]), ("2026-12-24", ["EU"])]

    text = digest_text(content)
    assert text.index("New since the last digest") < text.index("-- CN / sales restriction --") < \
        text.index("== Updated (1) ==") < text.index("Coming into effect in the next 30 days (3)")
    assert text.count("\n* Story 1 headline\n") == 1  # two articles, one story
    page = digest_html(content)
    assert "<script" not in page and "<style" not in page and "src=" not in page


def test_partial_dates_are_not_upcoming(store):
    analysis = marker_analysis("EVENT sales_restriction CN 2026-12-10 announced")
    analysis["events"][0]["effective_date"] = "2026-12"
    add(store, 1, T0 + timedelta(hours=1), "", analysis=analysis)
    content = build_digest(store, digest_of(), T0, NOW)
    assert len(content.stories) == 1 and content.upcoming == []


def test_article_text_is_escaped(store):
    add(store, 1, T0 + timedelta(hours=1), "EVENT sales_restriction CN 2026-12-10 announced",
        title='<script>alert("x")</script> & <b>bold</b>')
    content = build_digest(store, digest_of(), T0, NOW)
    page = digest_html(content)
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert '<script>alert("x")</script>' in digest_text(content)  # plain text carries it verbatim


def _settings(tmp_path, smtp: SmtpReceiver) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none",
                    smtp_from="regwatch@example.org", alert_timeout=5)


def test_one_email_per_slot_across_restarts(store, db_url, tmp_path):
    add(store, 1, T0 + timedelta(hours=1), "EVENT sales_restriction CN 2026-12-10 announced",
        title="Ban\r\nBcc: victim@example.org")
    with SmtpReceiver() as smtp:
        settings = _settings(tmp_path, smtp)
        first = send_digest(store, digest_of(), settings, now=NOW + timedelta(minutes=1))
        # "Restart": a fresh store on the same database, the same slot (07:30) a few minutes later.
        with Store.open(db_url) as again:
            second = send_digest(again, digest_of(), settings, now=NOW + timedelta(minutes=7))
        assert (first.state, second.state) == ("sent", "already")
        assert len(smtp.messages) == 1
        envelope, raw = smtp.messages[0]
    assert envelope.rcpt_tos == ["policy-team@example.org"]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"].strip().startswith("[regwatch digest] daily, 27 Nov 2026: 1 new, 0 updated")
    assert "victim" not in message["To"] and message["Bcc"] is None
    assert message.get_content_type() == "multipart/alternative"
    html_part = message.get_body(("html",)).get_content()
    assert "Ban" in html_part and "<script" not in html_part
    assert "* Ban Bcc: victim@example.org" in message.get_body(("plain",)).get_content()  # one line, in the body
    with store._read() as conn:
        (run,) = conn.execute(select(DigestRun.__table__)).all()
    assert run.subscription == "daily" and run.story_count == 1 and run.sent_at is not None
    assert run.slot.replace(tzinfo=UTC) == NOW and run.period_start.replace(tzinfo=UTC) == NOW + timedelta(
        minutes=1) - timedelta(hours=24)


def test_next_digest_starts_where_the_last_one_ended(store, tmp_path):
    add(store, 1, T0 + timedelta(hours=1), "EVENT sales_restriction CN 2026-12-10 announced")
    with SmtpReceiver() as smtp:
        settings = _settings(tmp_path, smtp)
        assert send_digest(store, digest_of(), settings, now=NOW).state == "sent"
        add(store, 2, NOW + timedelta(hours=3), "EVENT fine_or_penalty US 2027-03-01 announced")
        nxt = NOW + timedelta(days=3)  # Monday: Saturday and Sunday have no slot (weekdays)
        assert [s.title for s in preview(store, digest_of(), now=nxt).stories] == ["Story 2 headline"]
        assert send_digest(store, digest_of(), settings, now=nxt).stories == 1
        assert len(smtp.messages) == 2


def test_empty_digest_is_not_sent_unless_asked(store, tmp_path):
    add(store, 1, T0 + timedelta(hours=1), "EVENT investigation DE 2027-06-01 proposed")  # outside the filter
    with SmtpReceiver() as smtp:
        settings = _settings(tmp_path, smtp)
        assert send_digest(store, digest_of(), settings, now=NOW).state == "empty"
        assert smtp.messages == []
        forced = send_digest(store, digest_of(), settings, now=NOW, force_empty=True)
        assert forced.state == "sent" and forced.stories == 0
        assert len(smtp.messages) == 1
        message = email.message_from_bytes(smtp.messages[0][1], policy=policy.default)
        assert "Nothing." in message.get_body(("plain",)).get_content()


def test_failed_send_can_be_retried(store, tmp_path):
    add(store, 1, T0 + timedelta(hours=1), "EVENT sales_restriction CN 2026-12-10 announced")
    from pipeline.errors import AlertError

    with SmtpReceiver() as smtp:
        port = smtp.port
    dead = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none",
                    smtp_from="regwatch@example.org", alert_timeout=1)
    with pytest.raises(AlertError):
        send_digest(store, digest_of(), dead, now=NOW)
    with SmtpReceiver() as smtp:
        assert send_digest(store, digest_of(), _settings(tmp_path, smtp), now=NOW).state == "sent"
        assert len(smtp.messages) == 1


def test_schedule_weekdays_and_time_zones():
    daily = digest_of()  # 07:30 Europe/London, weekdays
    # Friday 27 Nov 2026 (GMT = UTC): before 07:30 the latest slot is Thursday's; after, Friday's.
    assert latest_slot(daily, datetime(2026, 11, 27, 7, 29, tzinfo=UTC)) == datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
    assert latest_slot(daily, NOW) == NOW
    # Saturday and Sunday: Friday's slot; the next one is Monday's.
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert latest_slot(daily, sunday) == NOW
    assert next_slot(daily, sunday) == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    # Summer time: 07:30 in London is 06:30 UTC.
    assert next_slot(daily, datetime(2026, 7, 1, 0, 0, tzinfo=UTC)) == datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    tokyo = digest_of("everything").model_copy(update={"timezone": "Asia/Tokyo", "at": "08:00"})
    # Daily in Tokyo (UTC+9): Saturday 08:00 JST is Friday 23:00 UTC.
    assert next_slot(tokyo, datetime(2026, 11, 27, 22, 0, tzinfo=UTC)) == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)

    trigger = cron_trigger(daily)
    fire = trigger.get_next_fire_time(None, datetime(2026, 11, 28, 0, 0, tzinfo=UTC))  # a Saturday
    assert fire == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert fire.astimezone(UTC) == next_slot(daily, datetime(2026, 11, 28, 0, 0, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2026, 7, 3, 7, 0, tzinfo=UTC))  # Friday, after 06:30 UTC
    assert summer.astimezone(UTC) == datetime(2026, 7, 6, 6, 30, tzinfo=UTC)
    assert cron_trigger(tokyo).get_next_fire_time(None, datetime(2026, 11, 27, 22, 0, tzinfo=UTC)) == \
        datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert date(2026, 11, 30).weekday() == 0


def test_runner_schedules_one_job_per_digest(store):
    import threading
    from types import SimpleNamespace

    from pipeline.scheduler import Runner

    runner = Runner(crawler=SimpleNamespace(resume=lambda sources: None), store=store, sources=[],
                    stop=threading.Event(), digests=[digest_of()], settings=Settings())
    runner.schedule()
    job = runner.scheduler.get_job("digest:daily")
    assert job is not None and str(job.trigger.timezone) == "Europe/London"
    assert "day_of_week='mon-fri'" in str(job.trigger)
