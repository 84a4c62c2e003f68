from __future__ import annotations

import pytest

SEED = (
    "Video-conferencing platform Zoom has announced that it will be halting direct sales to customers in "
    "mainland China in just a few weeks. From 23 August, Zoom will move to a partner-only model in China."
)


def events(result: dict) -> list[dict]:
    return result["events"]


def by_type(result: dict, event_type: str) -> dict:
    matches = [e for e in result["events"] if e["type"] == event_type]
    assert matches, f"no {event_type} event in {[e['type'] for e in result['events']]}"
    return matches[0]


def test_seed_example(analyze):
    result = analyze(SEED, published="2021-08-05")
    event = by_type(result, "sales_restriction")
    assert event["actor"] == "Zoom"
    assert event["actor_kind"] == "company"
    assert event["jurisdictions"] == ["CN"]
    assert event["effective_date"] == "2021-08-23"
    assert event["status"] == "announced"
    assert event["evidence"].startswith("Video-conferencing platform Zoom has announced")
    assert len([e for e in events(result) if e["type"] == "sales_restriction"]) == 1
    assert {"name": "Zoom", "mentions": 2} in result["companies"]
    assert [j["code"] for j in result["jurisdictions"]] == ["CN"]
    assert result["relevant"] is True
    assert result["summary"].startswith("Video-conferencing platform Zoom")


@pytest.mark.parametrize(
    ("text", "event_type", "actor", "kind", "jurisdictions"),
    [
        (
            "The CMA blocked the acquisition of Quillbyte by Harbour Mobile on Tuesday.",
            "merger_decision",
            "UK Competition and Markets Authority",
            "authority",
            ["GB"],
        ),
        (
            "The European Commission fined Quillbyte 120 million euros for abusing its dominance.",
            "fine_or_penalty",
            "European Commission",
            "authority",
            ["EU"],
        ),
        (
            "The FTC sued Harbour Mobile over hidden subscription fees.",
            "investigation",
            "US Federal Trade Commission",
            "authority",
            ["US"],
        ),
        (
            "India banned 40 mobile apps, including several games, citing security concerns.",
            "ban",
            "Government of India",
            "authority",
            ["IN"],
        ),
        (
            "The Commerce Department added Huawei to the Entity List last year.",
            "sanction_or_export_control",
            "US Department of Commerce",
            "authority",
            ["US"],
        ),
        (
            "Ofcom revoked the broadcasting licence of a satellite channel.",
            "license_or_approval",
            "Ofcom",
            "authority",
            ["GB"],
        ),
        (
            "France adopted a 3% digital services tax on large technology firms.",
            "trade_or_tax",
            "Government of France",
            "authority",
            ["FR"],
        ),
        (
            "Microsoft said it will shut down its local site in China later this year.",
            "market_exit",
            "Microsoft",
            "company",
            ["CN"],
        ),
        (
            "Huawei entered the Mexican market with its cloud service last week.",
            "market_entry",
            "Huawei",
            "company",
            ["MX"],
        ),
        (
            "Meta said it will not launch the new app in the European Union for now.",
            "service_restriction",
            "Meta",
            "company",
            ["EU"],
        ),
        (
            "TikTok will store the data of European users on servers in Ireland.",
            "compliance_change",
            "TikTok",
            "company",
            ["IE"],
        ),
    ],
)
def test_event_types(analyze, text, event_type, actor, kind, jurisdictions):
    event = by_type(analyze(text), event_type)
    assert (event["actor"], event["actor_kind"], event["jurisdictions"]) == (actor, kind, jurisdictions)
    assert 0.0 <= event["confidence"] <= 1.0


def test_law_taking_effect_has_its_date_and_status(analyze):
    result = analyze(
        "The Online Safety Rules, adopted by the Japanese government, take effect from 1 April 2022.",
        published="2021-12-01",
    )
    event = by_type(result, "law_or_regulation")
    assert event["jurisdictions"] == ["JP"]
    assert event["effective_date"] == "2022-04-01"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("The British government proposed a ban on disposable vapes.", "proposed"),
        ("Britain will ban disposable vapes from June.", "announced"),
        ("Britain has banned disposable vapes.", "in_effect"),
        ("Britain lifted its ban on disposable vapes.", "reversed"),
    ],
)
def test_status(analyze, text, status):
    assert by_type(analyze(text, published="2024-01-10"), "ban")["status"] == status


def test_unrelated_text_has_no_events(analyze):
    result = analyze(
        "The home side won the match 3-1 after a late goal. Fans celebrated in the streets of Madrid "
        "until the early hours, and the coach praised his players.",
        title="Late goal seals win",
    )
    assert result["events"] == []
    assert result["relevant"] is False
    assert result["relevance"] < 0.5


def test_same_event_twice_is_merged(analyze):
    result = analyze(
        "The FTC sued Harbour Mobile over hidden fees. "
        "In its lawsuit, the FTC said Harbour Mobile misled users."
    )
    assert len([e for e in result["events"] if e["type"] == "investigation"]) == 1


def test_several_events_in_one_article(analyze):
    result = analyze(
        "The European Commission fined Quillbyte 120 million euros for abusing its dominance. "
        "Separately, the FTC sued Harbour Mobile over hidden subscription fees.",
        published="2024-01-10",
    )
    pairs = {(e["type"], tuple(e["jurisdictions"])) for e in result["events"]}
    assert ("fine_or_penalty", ("EU",)) in pairs
    assert ("investigation", ("US",)) in pairs
    assert result["relevant"] is True
    # the blend's gate: P(the story reports any event), fitted apart from the per-type probabilities
    assert result["relevance"] > 0.5


def test_law_coming_into_force_later_is_announced_with_its_date(analyze):
    result = analyze("New rules on scooters come into force in Britain on 1 July.", published="2025-03-12")
    event = by_type(result, "law_or_regulation")
    assert event["effective_date"] == "2025-07-01"
    assert event["status"] == "announced"


def test_ban_from_monday_is_the_coming_monday(analyze):
    event = by_type(analyze("Japan will ban the sale of vapes from Monday.", published="2025-03-12"), "ban")
    assert event["effective_date"] == "2025-03-17"
    assert event["jurisdictions"] == ["JP"]


def test_an_effective_date_stated_sentences_away_is_the_events(analyze):
    text = (
        "Norway's parliament passed a new law on the labelling of e-scooters on Tuesday. "
        "Riders groups criticised the vote. Retailers had asked for more time. "
        "The requirements will apply from 1 September."
    )
    event = by_type(analyze(text, published="2025-03-12"), "law_or_regulation")
    assert event["effective_date"] == "2025-09-01"
    assert event["evidence"].startswith("Norway's parliament passed")


def test_events_as_confident_as_each_other_keep_the_text_order():
    """The classifier's last bits vary with what ran before it in the process: the order must not."""
    from pipeline.analyze.events import Event, _by_confidence

    def made(confidence: float, index: int) -> Event:
        return Event("trade_or_tax", "Freedonia", "authority", ["FD"], None, "announced", confidence, "x",
                     sentence_index=index)

    later, first = made(0.9339851251746819, 1), made(0.9339851251746817, 0)
    assert [e.sentence_index for e in sorted([later, first], key=_by_confidence)] == [0, 1]
    assert [e.sentence_index for e in sorted([made(0.5, 1), made(0.9, 2)], key=_by_confidence)] == [2, 1]
