"""Where an event applies and when it takes effect: the acting place, not the one a measure is aimed at;
every party of a deal or a list; states and provinces that act; dates of changes, not of conduct or records.

The candidates are read before the ranker's cut, so these tests hold whatever the trained model keeps.
"""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.analyze.events import raw_candidates

PUBLISHED = date(2025, 3, 12)  # a Wednesday


@pytest.fixture
def places_of(make_doc):
    """The jurisdictions of the best candidate of one type in a one-sentence text."""

    def run(text: str, event_type: str) -> list[str]:
        doc = make_doc(text, published=PUBLISHED)
        found = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates, PUBLISHED, None)
        of_type = sorted((e for e in found if e.type == event_type), key=lambda e: -e.confidence_raw)
        assert of_type, f"no {event_type} candidate in {[e.type for e in found]}"
        return sorted(of_type[0].jurisdictions)

    return run


@pytest.fixture
def kinds_of(make_doc):
    def run(text: str, published: date = PUBLISHED) -> dict[str, tuple[str, str]]:
        return {d.text: (d.date, d.kind) for d in make_doc(text, published=published)._.regwatch_dates}

    return run


@pytest.mark.parametrize(
    ("text", "event_type", "expected"),
    [
        # the place a measure targets is not the one that acts
        ("Japan announces a package of measures targeting Canada, including closing its main border crossing.",
         "ban", ["JP"]),
        ("The European Union announces a pause on its countermeasures against the U.S. tariffs on European steel.",
         "trade_or_tax", ["EU"]),
        ("Chile imposes a 10% tariff on goods from Canada and Norway under its new customs rules.",
         "trade_or_tax", ["CL"]),
        # the doer of a passive
        ("Three Peruvian banks are sanctioned by the United States government over money laundering.",
         "sanction_or_export_control", ["US"]),
        # the object right after a measure's verb; a body named only after the cue that is no passive's doer
        ("The president says the United States will remove Cuba from its state sponsors of terrorism list.",
         "sanction_or_export_control", ["US"]),
        ("The United States blocks Palestinian Authority officials from attending the assembly.", "ban", ["US"]),
    ],
)
def test_the_acting_place_not_the_target(places_of, text, event_type, expected):
    assert places_of(text, event_type) == expected


def test_places_listed_together_all_act(places_of):
    text = "Brazil, Chile and Peru formally withdraw from the regional fisheries treaty."
    assert places_of(text, "law_or_regulation") == ["BR", "CL", "PE"]


def test_a_list_of_places_named_after_a_stand_in_actor(places_of):
    text = "A court confirms in a statement that Mali, Niger and Chad have begun a process to withdraw from the bloc."
    assert places_of(text, "law_or_regulation") == ["ML", "NE", "TD"]


def test_a_body_named_without_its_country_takes_the_sentence_place(places_of):
    assert places_of("The Senate in Uruguay approves a law legalising assisted dying.", "law_or_regulation") == [
        "UY"]


@pytest.mark.parametrize("text, event_type, expected", [
    ("The Philippine Department of Transportation orders Kestrel Air to halt ticket sales.", "ban", ["PH"]),
    ("Kenya's Department of Health bans flavoured vapes.", "ban", ["KE"]),
    ("Nigeria's Securities and Exchange Commission fines Brannock Capital $2 million.", "fine_or_penalty", ["NG"]),
    ("The California Department of Justice sues Brannock over its fees.", "investigation", ["US-CA"]),
    ("The Department of Justice sues Brannock over its fees.", "investigation", ["US"]),
])
def test_an_agency_generic_name_after_another_place_is_that_place_s(places_of, text, event_type, expected):
    assert places_of(text, event_type) == expected


def test_an_agency_after_another_place_is_named_for_it(make_doc):
    doc = make_doc("The Philippine Department of Transportation orders Kestrel Air to halt ticket sales.")
    assert set(doc._.regwatch_entities.authorities) == {"Philippines Department of Transportation"}


@pytest.mark.parametrize(
    "text",
    [
        "The national prosecutor's office sues a mining firm and the state of Pará over pollution.",
        "The national prosecutor's office files a lawsuit against a mining firm and the state of Pará.",
    ],
)
def test_a_state_that_is_sued_does_not_act(places_of, text):
    assert places_of(text, "investigation") == ["BR"]


def test_a_company_leaving_several_listed_countries(places_of):
    assert places_of("Acme Retail closes all of its stores in Norway and Sweden.", "market_exit") == ["NO", "SE"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Japan and Peru sign a trade agreement that cuts duties on farm goods.", ["JP", "PE"]),
        ("The Kenyan and Indian trade ministers said they had signed a trade pact on tea exports.", ["IN", "KE"]),
        # a tariff under a deal, or a deal suspended: its counterparts are no party to the measure
        ("Chile imposes a 10% tariff on goods from Canada and Norway, which have no trade agreement with it.",
         ["CL"]),
        ("Japan suspends its trade agreement after a dispute over a ship seized by Norway.", ["JP"]),
    ],
)
def test_trade_deal_parties(places_of, text, expected):
    assert places_of(text, "trade_or_tax") == expected


@pytest.mark.parametrize(
    ("text", "event_type", "expected"),
    [
        # a named federal body and a state acting together: both
        ("The Federal Trade Commission and the state of Oregon are suing the makers of a lending app over hidden "
         "fees.", "investigation", ["US", "US-OR"]),
        # a province acting alone: the province, not its country
        ("In the Canadian province of Alberta, premier Jane Roe says legislation has been passed to end the strike.",
         "law_or_regulation", ["CA-AB"]),
        # a state's government only mentioned as the reason: not where the measure applies
        ("The US will raise its tariffs on Canada in retaliation for an advert paid for by the Ontario government.",
         "trade_or_tax", ["US"]),
    ],
)
def test_states_and_provinces_that_act(places_of, text, event_type, expected):
    assert places_of(text, event_type) == expected


def test_a_range_of_past_conduct_is_no_effective_date(kinds_of):
    kinds = kinds_of("The regulator fined Acme for abusing its position from April 2021 to April 2024.")
    assert kinds["April 2021 to April 2024"] == ("2021-04", "other")


def test_a_future_range_starts_on_its_first_day(kinds_of):
    assert kinds_of("The levy applies from 1 July to 31 December.")["1 July to 31 December"] == (
        "2025-07-01", "effective")


def test_a_record_dated_with_from_is_no_effective_date(kinds_of):
    assert kinds_of("The agency withdrew a memo from Monday that had frozen grants.")["Monday"][1] == "other"


def test_the_effect_told_after_the_date(kinds_of):
    assert kinds_of("On 1 July, the new privacy law takes effect.")["1 July"] == ("2025-07-01", "effective")
    # a date of the report, with the effect told later by someone: not the effective date
    kinds = kinds_of("On Monday, the minister said the ban takes effect in June.")
    assert kinds["Monday"][1] == "other"
    assert kinds["June"] == ("2025-06", "effective")


def test_a_past_clause_before_the_effect_does_not_turn_the_weekday_back(kinds_of):
    kinds = kinds_of("The law, which was passed in May, takes effect on Friday.")
    assert kinds["Friday"] == ("2025-03-14", "effective")


def test_measures_imposed_or_lifted_on_a_day(kinds_of):
    assert kinds_of("Tariffs of 25% will be imposed on 1 August.")["1 August"] == ("2025-08-01", "effective")
    assert kinds_of("The curfew will be lifted on 5 April.")["5 April"] == ("2025-04-05", "effective")


def test_a_season_year_the_ner_misses(make_doc):
    doc = make_doc("The new driving rules will come in to force in the autumn 2027.", published=PUBLISHED)
    assert [(d.date, d.kind) for d in doc._.regwatch_dates] == [("2027", "effective")]


def test_a_stale_effective_date_is_not_lent_to_other_events(make_doc):
    published = date(2016, 2, 18)
    doc = make_doc(
        "The chemicals regime entered into force on 1 June 2007. "
        "Regulators in Norway now ban four more solvents in paints.",
        published=published,
    )
    found = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates, published, None)
    bans = [e for e in found if e.type == "ban"]
    assert bans and all(e.effective_date is None for e in bans)


def test_begins_on_is_a_start(kinds_of):
    assert kinds_of("The new levy will begin on 1 July.")["1 July"] == ("2025-07-01", "effective")


def test_a_comparison_with_an_earlier_year_is_no_start(kinds_of):
    assert kinds_of("Sales of the drug are down 30% from 2019.")["2019"] == ("2019", "other")


def test_immediate_effect_is_the_day_of_the_story(make_doc):
    doc = make_doc("Norway bans the sale of disposable vapes with immediate effect.", published=PUBLISHED)
    found = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates, PUBLISHED, None)
    assert [e.effective_date for e in found if e.type == "ban"] == ["2025-03-12"]


@pytest.mark.parametrize(
    ("text", "event_type", "places"),
    [
        # the NER tags nothing in the first two, and calls "Ugandan" an organisation
        ("Nepal orders its telecoms regulator to block three foreign messaging apps.", "ban", ["NP"]),
        ("Uruguay becomes the second country in the region to ban single-use vapes.", "ban", ["UY"]),
        ("The Ugandan parliament passes a bill that caps interest rates on mobile loans.", "law_or_regulation",
         ["UG"]),
    ],
)
def test_a_country_the_ner_left_untagged_still_acts(places_of, text: str, event_type: str, places: list[str]):
    assert places_of(text, event_type) == places


@pytest.mark.parametrize(
    "text",
    [
        "Nepal Telecom raises its data prices by a tenth.",  # a business named after its country
        "Jordan Vance said the plan would fail.",  # a person's name
        "Chad Morris, a trader, bought the shares.",
    ],
)
def test_untagged_country_names_inside_other_names_are_no_places(make_doc, text: str):
    entities = make_doc(text, published=PUBLISHED)._.regwatch_entities
    assert not [m for m in entities.mentions if m.kind == "place"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The Holy See excommunicates the clergy of a breakaway society.", "VA"),
        ("Trinidad and Tobago's finance ministry raises the fuel levy by a fifth.", "TT"),  # NER: GPE + ORG
        ("Moldovan police raid the offices of two banks.", "MD"),  # "Moldovan" tagged PERSON
        ("Officials of the Somaliland administration reopen the port.", "SO"),  # a breakaway region: its state
    ],
)
def test_places_the_ner_splits_or_mislabels_are_found(analyze, text: str, code: str):
    assert [j["code"] for j in analyze(text)["jurisdictions"]] == [code]


def test_a_state_body_named_after_its_country_counts_for_it(make_doc):
    """ "the Ghana Armed Forces" is no authority of the gazetteer, but it is Ghana's."""
    entities = make_doc("Soldiers of the Ghana Armed Forces guard the northern border post.")._.regwatch_entities
    assert entities.jurisdiction_counts["GH"] >= 1


@pytest.mark.parametrize(
    ("text", "event_type", "expected"),
    [
        # people of a list of countries are what a visa measure is aimed at
        ("Norway says it will stop issuing work visas to nationals of Ghana, Peru and Laos and suspend study "
         "permits for Laotian citizens.", "license_or_approval", ["NO"]),
        # a body named as the object of a designation, behind its owner's name
        ("Canada announces that it will designate Iran's Revolutionary Guard a terrorist entity and will ban "
         "support for it.", "ban", ["CA"]),
        # "EU" only says what kind of country Slovenia is
        ("Slovenia becomes the first EU country to cap the price of heating oil.", "law_or_regulation", ["SI"]),
        # the cue is the government word itself (a guard: the rule it goes through changed)
        ("The Moldovan parliament votes to shut a Russian-funded cultural club.", "law_or_regulation", ["MD"]),
    ],
)
def test_the_acting_place_not_the_target_nor_a_kind(places_of, text, event_type, expected):
    assert places_of(text, event_type) == expected


@pytest.mark.parametrize(
    ("text", "event_type", "actor", "places"),
    [
        # a body's country written next to it, before or after, wins over the gazetteer's or the article's
        ("A British High Court judge rules that the Kenyan mining firm Tarvo is liable for a dam collapse in Brazil.",
         "investigation", "High Court", ["GB"]),
        ("The House of Representatives of Libya approves a new election law.", "law_or_regulation",
         "Libya House of Representatives", ["LY"]),
        ("The Knesset passes a bill that lets police hold Palestinian suspects longer.", "law_or_regulation",
         "Knesset", ["IL"]),
        # a parliament's name inside a person's is none: the president's country acts
        ("Kenyan president Duma Okello announces a tax on betting firms.", "trade_or_tax", "Government of Kenya",
         ["KE"]),
    ],
)
def test_the_home_of_a_body(make_doc, text, event_type, actor, places):
    doc = make_doc(text, published=PUBLISHED)
    found = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates, PUBLISHED, None)
    best = max((e for e in found if e.type == event_type), key=lambda e: e.confidence_raw)
    assert (best.actor, best.jurisdictions) == (actor, places)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Guinea-Bissau halts a foreign-funded vaccine trial.", "GW"),  # the NER tags "Guinea" alone
        ("Bosnia-Herzegovina raises the excise on tobacco.", "BA"),
        ("Ontario Premier Jane Roe says the province will charge more for power it sells abroad.", "CA-ON"),
    ],
)
def test_places_the_ner_cuts_short_or_leaves_before_a_title(make_doc, text: str, code: str):
    entities = make_doc(text, published=PUBLISHED)._.regwatch_entities
    assert [m.code for m in entities.mentions if m.kind == "place"] == [code]


@pytest.mark.parametrize(
    ("text", "raw_type", "actor", "places"),
    [
        # the classifier reads a law where the cues read a ban: the ban's actor, not the article's main place
        ("France suspends its scheme for resettling Palestinian refugees from Gaza.", "ban", "Government of France",
         ["FR"]),
        # no cue at all: the place that opens the lead as its subject, not the places named more often
        ("The Bahamas announces health checks for travellers from Liberia, after Liberia reports new cases.", None,
         "Government of Bahamas", ["BS"]),
    ],
)
def test_an_event_no_cue_of_its_type_found_takes_the_lead_s_actor(make_doc, text, raw_type, actor, places):
    from pipeline.analyze.events import fallback_event

    doc = make_doc(text, published=PUBLISHED)
    entities, dates = doc._.regwatch_entities, doc._.regwatch_dates
    raw = raw_candidates(doc, entities, dates, PUBLISHED, None)
    assert [e.type for e in raw if e.type == "law_or_regulation"] == []
    assert raw_type is None or raw_type in {e.type for e in raw}
    made = fallback_event("law_or_regulation", doc, entities, dates, PUBLISHED, None, raw)
    assert (made.actor, made.jurisdictions) == (actor, places)


def test_a_candidate_of_the_story_is_chosen_over_a_background_one():
    """Of two candidates of the kept type, one dated years before the story (a past approval) is not the event."""
    from pipeline.analyze.events import Event, select_events

    class Model:
        blend = None
        secondary = 0.99

        def threshold_for(self, event_type: str) -> float:
            return 0.5

    def candidate(actor: str, raw: float, background: bool, index: int) -> Event:
        return Event("license_or_approval", actor, "authority", [actor[:2]], None, "in_effect", raw, "...", index,
                     confidence_raw=raw, background=background)

    past, now = candidate("US regulator", 0.8, True, 1), candidate("EU commission", 0.6, False, 0)
    kept = select_events([past, now], {"license_or_approval": 0.9}, Model(), lambda t: None)
    assert [e.actor for e in kept] == ["EU commission"]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # a region of a country that is no federation, named among another country's places, is not that region
        ("Protests are held in New York City, Philadelphia, Portland and Seattle.", ["US"]),  # not Jamaica's parish
        ("A Korean tanker crosses the Red Sea to bring crude oil home to South Korea.", ["KR"]),  # a sea
        ("Floods hit Cornwall as the EU pledges aid.", ["EU", "GB"]),  # a guard: the region stands alone
        # peoples the NER calls persons, in two words or in the plural; a country the NER calls a building
        ("Sri Lankan police arrest 37 people in a raid on a fraud centre.", ["LK"]),
        ("Belizeans vote to elect the members of the House of Representatives.", ["BZ"]),
        ("The Vatican announces the date of the conclave.", ["VA"]),
        # state bodies named after their country count for it
        ("Activists protest outside the U.S. Embassy in Tel Aviv.", ["IL", "US"]),
        ("The United States Central Command denies the claims of the navy.", ["US"]),
        # a breakaway region counts for its state, a territory with its own ISO code for itself
        ("The authorities of Puntland close the main port.", ["SO"]),
        ("A new seed vault opens on Svalbard.", ["SJ"]),
        # a place without an ISO 3166-1 code of its own is left out (bench/gold/GUIDELINES.md)
        ("The Kosovan legislature fails to elect a president.", []),
        # a head of government acts for the country; not when the name is a building's
        ("Mexico's economy minister answers Trump's tariffs with a plan of her own.", ["MX", "US"]),
        ("Serbia's parliament passes a law to speed up work on Trump Tower Belgrade.", ["RS"]),
    ],
)
def test_the_places_of_a_story(analyze, text: str, codes: list[str]):
    assert sorted(j["code"] for j in analyze(text)["jurisdictions"]) == codes


def test_a_body_many_countries_name_alike_belongs_to_the_story_s_country(make_doc):
    """ "House of Representatives" is the US Congress in the gazetteer, but not in a story set only in Japan; a
    body with its country written before it keeps it."""
    doc = make_doc("Japanese citizens vote to elect all the seats in the House of Representatives.")
    entities = doc._.regwatch_entities
    assert [(m.name, m.code) for m in entities.mentions if m.kind == "authority"] == [
        ("Japan House of Representatives", "JP")]
    entities = make_doc("The United States House of Representatives passes aid for Ukraine.")._.regwatch_entities
    assert [(m.name, m.code) for m in entities.mentions if m.kind == "authority"] == [("US Congress", "US")]
