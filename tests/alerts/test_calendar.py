"""`regwatch calendar --ics`: RFC 5545 text escaping, 75-octet folding and CRLF, parsed back; stable UIDs;
and the `digest` and `calendar` commands end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from typer.testing import CliRunner

from pipeline.alerts.calendar import calendar_text, escape_text, fold, upcoming
from pipeline.alerts.digest import Upcoming
from pipeline.cli import app
from tests.alerts.conftest import marker_analysis
from tests.alerts.test_digest import BODY, T0, add
from tests.alerts.test_digest import store as store  # noqa: F401 - the fixture

STAMP = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)


def parse(text: str) -> list[dict[str, str]]:
    """A small RFC 5545 reader: checks CRLF and the 75-octet limit, unfolds, returns the VEVENTs' properties."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    physical = text[:-2].split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR" and "VERSION:2.0" in lines
    events, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = unescape(value) if name in ("SUMMARY", "DESCRIPTION") else value
    return events


def item(**changes) -> Upcoming:
    values = dict(event_id=7, story_id=3, date="2026-12-10", event_type="sales_restriction", actor="Zoom",
                  jurisdictions=["CN"], title="Zoom halts sales", url="https://news.example/1",
                  evidence="Zoom stops selling in China.", status="announced")
    values.update(changes)
    return Upcoming(**values)


def test_escaping_and_folding_round_trip():
    evidence = "Back\\slash; semi, comma\nnew line\r\nand CRLF — " + "ünïcödé " * 30
    text = calendar_text([item(evidence=evidence, actor="A; B, C")], stamp=STAMP)
    assert "\\\\slash\\; semi\\, comma\\nnew line\\nand CRLF" in text.replace("\r\n ", "")
    (event,) = parse(text)
    assert event["DESCRIPTION"].startswith(evidence.replace("\r\n", "\n"))
    assert event["DESCRIPTION"].endswith("Article: Zoom halts sales\nhttps://news.example/1")
    assert event["SUMMARY"] == "sales restriction: A; B, C (CN)"
    assert event["DTSTART;VALUE=DATE"] == "20261210" and event["DTEND;VALUE=DATE"] == "20261211"
    assert event["UID"] == "regwatch-story-3-event-7@regwatch" and event["URL"] == "https://news.example/1"
    assert event["DTSTAMP"] == "20261127T070000Z"


def test_fold_never_splits_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    parts = folded[:-2].split("\r\n")
    assert [len(p.encode("utf-8")) for p in parts] == [74, 75, 65]  # 2-byte characters: 74, not 75 + half of one
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert fold("SHORT:x") == "SHORT:x\r\n"
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_upcoming_from_the_store(store):
    a = add(store, 1, T0, "EVENT sales_restriction CN 2026-12-10 announced EVENT market_exit CN 2026-12-20 proposed")
    add(store, 2, T0 + timedelta(hours=1), "EVENT sales_restriction CN 2026-12-10 in_effect", source="wire",
        body="Story 1. " + BODY * 3)  # a syndicated copy: the same story
    add(store, 3, T0 + timedelta(hours=2), "EVENT fine_or_penalty US 2020-01-01 announced")  # in the past
    partial = marker_analysis("EVENT investigation EU 2027-01-01 proposed")
    partial["events"][0]["effective_date"] = "2027"
    add(store, 4, T0 + timedelta(hours=3), "", analysis=partial)  # a year only: no calendar date
    items = upcoming(store, date(2026, 11, 27))
    assert [(i.date, i.event_type) for i in items] == [("2026-12-10", "sales_restriction"),
                                                       ("2026-12-20", "market_exit")]
    events = parse(calendar_text(items, stamp=STAMP))
    assert len(events) == 2
    story = store.get_article(a)["story_id"]
    assert all(e["UID"].startswith(f"regwatch-story-{story}-event-") for e in events)
    again = parse(calendar_text(upcoming(store, date(2026, 11, 27)), stamp=STAMP + timedelta(days=1)))
    assert [e["UID"] for e in again] == [e["UID"] for e in events]  # stable across exports
    assert events[0]["SUMMARY"] == "sales restriction: Zoom (CN)"
    assert "Zoom sales restriction in CN from 2026-12-10 <b>&</b>." in events[0]["DESCRIPTION"]


def test_digest_and_calendar_commands(store, db_url, tmp_path, monkeypatch):
    now = datetime.now(UTC)
    soon = (now + timedelta(days=10)).date().isoformat()
    add(store, 1, now - timedelta(hours=1), f"EVENT sales_restriction CN {soon} announced",
        title="<script>alert(1)</script> Zoom")
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text("digests:\n  - {name: daily, to: [team@example.org], filter: {jurisdictions: [CN]}}\n")
    monkeypatch.setenv("REGWATCH_ALERTS_FILE", str(alerts))
    base = ["--database-url", db_url, "--data-dir", str(tmp_path)]
    runner = CliRunner()
    out = tmp_path / "preview.html"
    result = runner.invoke(app, [*base, "digest", "--preview", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zoom" in page and "<script" not in page
    ics = tmp_path / "dates.ics"
    result = runner.invoke(app, [*base, "calendar", "--ics", str(ics)])
    assert result.exit_code == 0, result.output
    (event,) = parse(ics.read_bytes().decode("utf-8"))
    assert event["DTSTART;VALUE=DATE"] == soon.replace("-", "")
    result = runner.invoke(app, [*base, "digest", "--send", "--subscription", "nope"])
    assert result.exit_code == 2 and "no digest named 'nope'" in result.output
