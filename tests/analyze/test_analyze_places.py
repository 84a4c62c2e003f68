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
        ("Algerian", "DZ"),
        ("Kyrgyz", "KG"),
        ("Malagasy", "MG"),
        ("Papua New Guinean", "PG"),
        ("Holy See", "VA"),
        ("Ontario", "CA-ON"),
        ("Lombardy", "IT-25"),
        ("Cornwall", "GB"),
        ("Rawalpindi", "PK"),
    ],
)
def test_resolver(text: str, code: str):
    place = default_resolver().resolve(text)
    assert place is not None and place.code == code


def test_unknown_place():
    assert default_resolver().resolve("Narnia") is None


def test_europe_is_a_continent_not_the_union():
    assert default_resolver().resolve("Europe") is None
    assert default_resolver().resolve("European") is None


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


def test_countries_the_ner_calls_people_are_places(make_doc):
    counts = jurisdictions(make_doc("Burkina Faso and Mali impose travel bans on Americans."))
    assert {"BF", "ML", "US"} <= set(counts)


def test_a_nationality_before_a_generic_body_is_that_country(make_doc):
    counts = jurisdictions(make_doc("The South Korean data protection commission fined the retailer on Friday."))
    assert "KR" in counts and "IE" not in counts


def test_a_state_named_as_a_place_is_its_country(make_doc):
    passing = jurisdictions(make_doc("Lightning struck near a lake in the U.S. state of South Carolina."))
    assert "US-SC" not in passing and "US" in passing
    acting = jurisdictions(make_doc("The State of Texas sued the platform on Monday."))
    assert acting.get("US-TX") == 1


def test_provinces_of_federations_act_like_states(make_doc):
    acting = jurisdictions(make_doc("Ontario's government banned the app in schools."))
    assert "CA-ON" in acting and "CA" in acting
    passing = jurisdictions(make_doc("The factory is in Ontario and employs 300 people."))
    assert "CA-ON" not in passing and "CA" in passing


def test_national_bodies_carry_their_country(make_doc):
    counts = jurisdictions(make_doc("Tanzanian police arrested 130 people after the rallies were banned."))
    assert "TZ" in counts


def listed(doc) -> set[str]:
    from pipeline.analyze.summary import salient_jurisdictions

    return {r["code"] for r in salient_jurisdictions(doc, doc._.regwatch_entities, doc._.regwatch_events or [])}


def test_a_country_named_once_late_in_the_story_is_listed(make_doc):
    doc = make_doc(
        "The port of Valparaiso in Chile reopened on Monday after a week of storms. Dock workers cleared the "
        "quays. Shipping lines resumed their Chile schedules. Cranes were inspected overnight. "
        "Some of the cargo had been bound for Portugal."
    )
    assert "PT" in listed(doc)


def test_a_single_demonym_in_passing_is_not_listed(make_doc):
    doc = make_doc(
        "The port of Valparaiso in Chile reopened on Monday after a week of storms. Dock workers cleared the "
        "quays. Shipping lines resumed their Chile schedules. Cranes were inspected overnight. "
        "A Norwegian sailor helped with the repairs."
    )
    assert "NO" not in listed(doc)
