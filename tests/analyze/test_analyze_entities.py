from __future__ import annotations

import pytest

from pipeline.analyze.names import clean_org_name, name_key


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Synopsys, Inc.", "Synopsys"),
        ("Alphabet's", "Alphabet"),
        ("Alphabet\u2019s", "Alphabet"),
        ("the Quillbyte Corporation", "Quillbyte"),
        ("Brightwater Foods Ltd", "Brightwater Foods"),
        ("Nordhaus GmbH", "Nordhaus"),
        ("Harbour Mobile plc", "Harbour Mobile"),
        ("Tarnwell Holdings LLC", "Tarnwell Holdings"),
    ],
)
def test_clean_org_name(raw: str, clean: str):
    assert clean_org_name(raw) == clean


def test_name_key_drops_group_and_punctuation():
    assert name_key("Tarnwell Holdings, LLC") == name_key("Tarnwell") == "tarnwell"


def companies(result: dict) -> dict[str, int]:
    return {c["name"]: c["mentions"] for c in result["companies"]}


def test_company_found_everywhere_even_where_ner_says_person(analyze):
    result = analyze(
        "Zoom said on Monday it would change its prices. Analysts expect Zoom to grow. "
        "Zoom declined to comment further."
    )
    assert companies(result).get("Zoom") == 3


def test_suffix_and_possessive_collapse_to_one_company(analyze):
    result = analyze(
        "Brightwater Foods Ltd reported higher profits. Brightwater Foods's chief executive said "
        "Brightwater Foods would open new stores."
    )
    assert companies(result) == {"Brightwater Foods": 3}


def test_people_authorities_and_universities_are_not_companies(analyze):
    result = analyze(
        "Maria Keller, a professor at Stanford University, said the Federal Trade Commission "
        "should look again at Microsoft. Keller spoke to Reuters."
    )
    names = companies(result)
    assert "Microsoft" in names
    for not_company in (
        "Maria Keller",
        "Keller",
        "Stanford University",
        "Stanford",
        "Reuters",
        "Federal Trade Commission",
    ):
        assert not_company not in names
    assert {"name": "US Federal Trade Commission", "jurisdiction": "US"} in result["authorities"]


def test_abbreviation_in_brackets_is_the_same_company(analyze):
    result = analyze("Harbour Mobile plc (HMP) raised prices. HMP said demand was strong.")
    assert set(companies(result)) == {"Harbour Mobile"}
    assert companies(result)["Harbour Mobile"] >= 2


def test_gazetteer_alias_keeps_the_surface_the_article_uses(analyze):
    result = analyze("Facebook said it would stop the feature. Facebook users were told on Friday.")
    assert "Facebook" in companies(result)
