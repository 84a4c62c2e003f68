"""A ban said in words beside a sanction cue is a ban of its own (the sanction cue used to hide it).

The candidates are read before the ranker's cut, so these tests hold whatever the trained model keeps.
All sentences are invented.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.analyze.events import Event, raw_candidates

PUBLISHED = date(2025, 3, 12)


@pytest.fixture
def candidates(make_doc):
    """The raw candidates of a short text, by type (the best of each)."""

    def run(text: str) -> dict[str, Event]:
        doc = make_doc(text, published=PUBLISHED)
        found = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates, PUBLISHED, None)
        best: dict[str, Event] = {}
        for event in sorted(found, key=lambda e: e.confidence_raw):
            best[event.type] = event
        return best

    return run


def test_ban_in_words_survives_a_sanction_cue(candidates):
    found = candidates("Peru imposes sanctions on the shipping firm and bans its vessels from its ports.")
    assert "sanction_or_export_control" in found
    assert "ban" in found


def test_ban_on_a_named_person_stays_part_of_the_sanction(candidates):
    found = candidates("Peru imposes sanctions on two generals and bans Juan Perez Soto from entering the country.")
    assert "sanction_or_export_control" in found
    assert "ban" not in found


def test_export_ban_stays_part_of_the_sanction(candidates):
    found = candidates("Peru imposes export bans and sanctions on the shipping firm.")
    assert "sanction_or_export_control" in found
    assert "ban" not in found
