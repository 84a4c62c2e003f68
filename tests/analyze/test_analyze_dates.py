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


def test_effective_cues_read_past_a_season_and_a_split_into(make_doc):
    doc = make_doc("The new tolls will come in to force in the autumn 2022, officials said.")
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2022", "effective")]
    doc = make_doc("Sales fell in the autumn 2014 quarter.", published=date(2014, 3, 1))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]


def test_relative_dates_follow_the_published_date(make_doc):
    doc = make_doc("The ban takes effect next Monday.", published=date(2024, 3, 1))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2024-03-04", "effective")]


def test_relative_and_partial_expressions_against_the_publication_date():
    from datetime import date

    from pipeline.analyze.dates import resolve_date_text

    base = date(2025, 3, 12)  # a Wednesday
    assert resolve_date_text("last May", base) == ("2024-05", "month")
    assert resolve_date_text("next month", base) == ("2025-04", "month")
    assert resolve_date_text("by the end of 2025", base) == ("2025", "year")
    assert resolve_date_text("from Monday", base, future=True) == ("2025-03-17", "day")
    assert resolve_date_text("Monday", base) == ("2025-03-10", "day")
    assert resolve_date_text("23 August", base) == ("2025-08-23", "day")
    assert resolve_date_text("11 December", date(2010, 1, 25)) == ("2009-12-11", "day")
    assert resolve_date_text("earlier today", base) == ("2025-03-12", "day")


def test_effective_dates_are_told_from_announcement_dates(make_doc):
    from datetime import date

    doc = make_doc(
        "The ministry announced on 3 March that the rules come into force on 1 July.", published=date(2025, 3, 12)
    )
    kinds = {d.text: d.kind for d in doc._.regwatch_dates}
    assert kinds["3 March"] == "announcement"
    assert kinds["1 July"] == "effective"
