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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 30 days", ("2021-09-04", "day")),
        ("within two weeks", ("2021-08-19", "day")),
        ("in six months", ("2022-02", "month")),
        ("after a year", ("2022", "year")),
        ("the following day", ("2021-08-06", "day")),
    ],
)
def test_a_stretch_of_time_still_to_come_counts_from_the_story(text: str, expected: tuple[str, str]):
    assert resolve_date_text(text, BASE, future=True) == expected
    assert resolve_date_text(text, BASE) is None  # not said to be ahead: no date


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        # "enters force", without "into"
        ("A ban on the sale of disposable vapes enters force in Norway.", "2026-05-01", "2026-05-01"),
        ("Farland's parliament passed the vape bill. The age limits will enter force on January 1, 2027.",
         "2026-04-21", "2027-01-01"),
        # "taking effect", a month named without a year after the story's month: the next one
        ("Japan approves new election rules, with the measures taking effect in March.", "2026-07-14", "2027-03"),
        # a stretch of time in the next sentence
        ("Canada signs an order imposing 25% tariffs on Sylvanian steel. The duties take effect in 30 days.",
         "2026-07-20", "2026-08-19"),
        # a change put off to a later day
        ("The finance minister says the 50% tariffs on Sylvanian goods will be postponed until July 9.",
         "2025-05-26", "2025-07-09"),
        # the year in a law's title is not a date of the change
        ("The Tenancy Act 2025 formally enters force in Norway, banning no-fault evictions.", "2026-05-01",
         "2026-05-01"),
    ],
)
def test_effective_dates_of_events(analyze, text: str, published: str, expected: str):
    result = analyze(text, published=published)
    assert expected in {e["effective_date"] for e in result["events"]}, result["events"]


def test_a_missed_deadline_and_a_span_of_days_are_no_effective_dates(make_doc):
    doc = make_doc("The court fined Farland 34 million euros for failing to adopt the whistleblower law by 2021.",
                   published=date(2025, 3, 6))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2021", "other")]
    doc = make_doc("Farland shortens the permitted stay for visitors from 90 days to 30 days.",
                   published=date(2025, 12, 23))
    assert doc._.regwatch_dates == []
    doc = make_doc("The rules must be adopted by the end of 2025, the ministry said.", published=date(2025, 3, 6))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2025", "effective")]


def test_a_dated_change_still_to_come_is_effective_but_not_a_dated_step_on_the_way(make_doc):
    doc = make_doc("Parliament approves the request; the euro will replace the krona as the official currency on "
                   "1 January 2027.", published=date(2026, 7, 8))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2027-01-01", "effective")]
    doc = make_doc("Farland will officially join the customs union in October.", published=date(2026, 5, 27))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2026-10", "effective")]
    doc = make_doc("The committee will vote on the bill on 12 June.", published=date(2026, 5, 27))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]
    doc = make_doc("The ministers will meet in Brussels in October to discuss the tariffs.",
                   published=date(2026, 5, 27))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Farland begins enforcing a curfew from 11 p.m. to 5 a.m. in three provinces.",
        "Rough sleeping is formally decriminalised in Farland following the repeal of the old act.",
        "Farland becomes the 38th country to legalise same-sex marriage.",
        "Farland becomes the eleventh member state of the regional bloc.",
    ],
)
def test_a_change_in_force_from_the_story_s_day(sentence: str):
    from pipeline.analyze.dates import EFFECT_TODAY

    assert EFFECT_TODAY.search(sentence)


def test_a_change_under_way_is_dated_and_a_comparison_is_not(make_doc):
    doc = make_doc("The messaging app is being discontinued in Farland on July 6, the maker says.",
                   published=date(2026, 6, 20))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2026-07-06", "effective")]
    doc = make_doc("The summit is being held in Farland on July 6.", published=date(2026, 6, 20))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]
    doc = make_doc("The ministry sets a limit of 400,000 study permits, a 10% reduction from 2024.",
                   published=date(2025, 1, 24))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]


def test_a_change_put_off_or_announced_as_a_noun_is_dated(make_doc):
    """The day after "postpones ... until" counts however long the description of what is put off; so does the time
    of a change announced as a noun ("announces the end of ... in January"); not that of any other noun."""
    doc = make_doc("The Treasury postpones sanctions on Velmar Oil, a refiner in which two state-owned groups from "
                   "abroad hold a majority of its shares, until October 8.", published=date(2025, 10, 1))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2025-10-08", "effective")]
    doc = make_doc("The ministry announces the end of protected status for about 3,000 Laotian nationals in January.",
                   published=date(2025, 11, 24))
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2026-01", "effective")]
    doc = make_doc("The ministry announces the winners of its design contest in January.", published=date(2025, 11, 24))
    assert [d.kind for d in doc._.regwatch_dates] == ["other"]


def test_entering_into_force_in_many_states_is_the_day_of_the_story():
    from pipeline.analyze.dates import EFFECT_TODAY

    assert EFFECT_TODAY.search("The ocean treaty enters into force in 60 member states.")
    assert not EFFECT_TODAY.search("The ocean treaty enters into force in 60 days.")
    assert not EFFECT_TODAY.search("The ocean treaty enters into force in 2027.")
