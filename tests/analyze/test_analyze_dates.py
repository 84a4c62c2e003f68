from __future__ import annotations

from datetime import date

import pytest

from pipeline.analyze.dates import parse_published, resolve_date_text

BASE = date(2021, 8, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23 August", ("2021-08-23", "day")),
        ("August 23, 2021", ("2021-08-23", "day")),
        ("August 2021", ("2021-08", "month")),
        ("2025", ("2025", "year")),
        ("next Monday", ("2021-08-09", "day")),
        ("yesterday", ("2021-08-04", "day")),
        ("two weeks ago", ("2021-07-22", "day")),
        ("fiscal year 2024", ("2024", "year")),
        ("1 July 2022", ("2022-07-01", "day")),
    ],
)
def test_resolves_with_precision(text: str, expected: tuple[str, str]):
    assert resolve_date_text(text, BASE) == expected


@pytest.mark.parametrize("text", ["three years", "90 days", "recent years", "the 1990s", "a few weeks"])
def test_durations_and_vague_spans_are_dropped(text: str):
    assert resolve_date_text(text, BASE) is None


def test_parse_published():
    assert parse_published("2021-08-05") == BASE
    assert parse_published("2021-08-05T10:30:00Z") == BASE
    assert parse_published("2021-08-05T10:30:00+02:00") == BASE
    assert parse_published("soon") is None
    assert parse_published(None) is None


def test_effective_and_announcement_cues(make_doc):
    doc = make_doc(
        "The rules will apply from 1 September. The ministry announced on 3 August that fees rise. "
        "A review is due in October."
    )
    kinds = {d.text: (d.date, d.kind) for d in doc._.regwatch_dates}
    assert kinds["1 September"] == ("2021-09-01", "effective")
    assert kinds["3 August"] == ("2021-08-03", "announcement")
    assert kinds["October"] == ("2021-10", "other")


def test_relative_dates_follow_the_published_date(make_doc):
    doc = make_doc("The ban takes effect next Monday.", published=date(2024, 3, 1))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2024-03-04", "effective")]
