from __future__ import annotations

import pytest

from pipeline.analyze.places import default_resolver, jurisdiction_name


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("China", "CN"),
        ("mainland China", "CN"),
        ("Hong Kong", "HK"),
        ("the European Union", "EU"),
        ("EU", "EU"),
        ("Brussels", "EU"),
        ("Beijing", "CN"),
        ("Washington", "US"),
        ("U.S.", "US"),
        ("Britain", "GB"),
        ("Chinese", "CN"),
        ("French", "FR"),
        ("British", "GB"),
        ("South Korea", "KR"),
        ("Germany", "DE"),
        ("California", "US-CA"),
        ("State of Nevada", "US-NV"),
    ],
)
def test_resolver(text: str, code: str):
    place = default_resolver().resolve(text)
    assert place is not None and place.code == code


def test_unknown_place():
    assert default_resolver().resolve("Narnia") is None


def test_names():
    assert jurisdiction_name("CN") == "China"
    assert jurisdiction_name("US") == "United States"
    assert jurisdiction_name("EU") == "European Union"
    assert jurisdiction_name("US-CA") == "California"


def jurisdictions(doc) -> dict[str, int]:
    return dict(doc._.regwatch_entities.jurisdiction_counts)


def test_demonyms_capitals_and_authorities_count(make_doc):
    doc = make_doc(
        "Chinese regulators met in Beijing on Monday. The FTC said American firms were worried. "
        "Brussels has not commented."
    )
    counts = jurisdictions(doc)
    assert counts["CN"] == 2
    assert counts["US"] == 2  # American + FTC
    assert counts["EU"] == 1


def test_state_code_only_when_the_state_government_acts(make_doc):
    acting = jurisdictions(make_doc("The California attorney general sued the company on Tuesday."))
    assert acting.get("US-CA") == 1 and acting.get("US") == 1
    passing = jurisdictions(make_doc("The company is based in Texas and employs 300 people."))
    assert "US-TX" not in passing and passing.get("US") == 1


def test_hint_breaks_ties_but_never_invents(make_doc):
    doc = make_doc("Officials in France and Germany discussed the plan.", hint="DE")
    assert doc._.regwatch_entities.main_jurisdiction == "DE"
    doc = make_doc("Officials discussed the plan.", hint="DE")
    assert doc._.regwatch_entities.main_jurisdiction is None
