"""Company recall and precision: the classes of misses and false alarms the entity rules repair.

Every sentence is invented. The candidates are read before the trained cut (``company_model=None``), so the
tests pin the rules, not the shipped model's weights.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from pipeline.analyze.company_model import FEATURES, CompanyModel, candidate_features, load_company_model
from pipeline.analyze.components import title_end
from pipeline.analyze.entities import extract_entities
from pipeline.analyze.gazetteer import load_gazetteer
from pipeline.analyze.names import clean_org_name, looks_like_business, looks_like_non_company
from pipeline.analyze.places import default_resolver


@pytest.fixture(scope="module")
def companies(make_doc):
    """Company names (before the trained cut) the rules find in a text."""
    gazetteer, resolver = load_gazetteer(), default_resolver()

    def run(text: str, title: str | None = None) -> set[str]:
        doc = make_doc(text, title=title)
        entities = extract_entities(doc, gazetteer, resolver, None, title_end(doc), None)
        return {info.name for info in entities.companies.values() if not info.media}

    return run


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("The Halvorsen Motor Company", "Halvorsen Motor Company"),  # the scorer keeps "Company" ...
        ("Brisa Tinta Company, Inc.", "Brisa Tinta Company"),
        ("The Quellin Company", "Quellin"),  # ... but one word before it is a plain legal form
        ("The Tarsen Group of Companies, Inc.", "Tarsen Group"),
        ("Velmora S.p", "Velmora"),  # the tokenizer's cut of "S.p.A"
    ],
)
def test_clean_org_name_keeps_the_name_people_write(raw: str, clean: str):
    assert clean_org_name(raw) == clean


def test_street_names_and_banks_in_business_names():
    assert not looks_like_non_company("Elm Street Manufacturing")
    assert looks_like_non_company("Elm Street")
    assert looks_like_business("Corvan Bank") and looks_like_business("Pellmar Associates")
    assert not looks_like_business("Bank of Norland")  # central banks are named so
    assert looks_like_non_company("Southern Development Bank")
    assert looks_like_business("Veltrabank") and looks_like_business("Orsk Energies")  # a bank in one word
    assert not looks_like_business("Riverbend")
    assert looks_like_non_company("Norland Aerospace Force") and looks_like_non_company("Space Force")
    assert not looks_like_non_company("Force Motors")


def test_a_business_named_after_a_street(companies):
    found = companies("The agency wrote to footwear maker Elm Street Manufacturing, LLC about its labels.")
    assert "Elm Street Manufacturing" in found


def test_the_description_outweighs_the_ner_label(companies):
    found = companies("Canadian apparel company Norvale completes its purchase of American company Brintex.")
    assert {"Norvale", "Brintex"} <= found


def test_social_media_company_x(companies):
    assert "X" in companies("Social media company X files a lawsuit against the government of Peru.")


def test_a_name_described_after_it(companies):
    found = companies("Savers lost deposits at the Pellane savings bank, and the Brennor insurance company closed.")
    assert {"Pellane", "Brennor"} <= found
    assert not companies("He stepped down as CEO of the company on Monday.") & {"CEO"}


def test_an_ambiguous_company_inside_a_longer_name(companies):
    found = companies("The ministry published its Target Unit figures and the Diversity Immigrant Visa rules.")
    assert not found & {"Target", "Visa"}


def test_a_source_is_no_participant_beside_others(companies):
    found = companies("Velmont Motors will close its plant in Chile, according to PwC.")
    assert "Velmont Motors" in found and "PwC" not in found
    alone = companies("Garrow Bank analysts expect copper prices to fall next year.")
    assert "Garrow Bank" in alone


def test_a_division_beside_its_company_is_that_company(companies):
    found = companies("EDF Renewables opened a wind farm in Kent. EDF said the farm would power 80,000 homes.")
    assert "EDF" in found and "EDF Renewables" not in found


def test_a_former_name_is_the_same_company(companies):
    found = companies(
        "Quastor Inc., a Dutch software firm formerly known as Brellin, will stop selling licences in Peru. "
        "Quastor, formerly known as Brellin, said the change takes effect in May."
    )
    assert "Quastor" in found and "Brellin" not in found


def test_the_gazetteer_spelling_when_the_text_only_spaces_it_apart(companies):
    assert "Gazprombank" in companies("The loans will go through Gazprom Bank, a state-run lender.")


def test_a_lower_case_word_is_not_a_company(companies):
    found = companies("The grains are about a micron in size. Cheap british steel flooded the market.")
    assert not found & {"Micron", "micron", "British Steel", "British steel"}


def test_the_abbreviation_of_a_public_body(companies):
    found = companies(
        "The Royal Norland Air Force (RNAF) ordered six tankers from Boeing. RNAF officials praised the price."
    )
    assert "RNAF" not in found and "Boeing" in found


@pytest.mark.parametrize(
    ("text", "authority", "code"),
    [
        ("ICE agents detained 40 workers at the Orvane battery plant.", "US Immigration and Customs Enforcement", "US"),
        ("The CDC drops its advice on the Brellin vaccine.", "US Centers for Disease Control and Prevention", "US"),
        ("USAID halts its grants to Tovarin Health.", "US Agency for International Development", "US"),
        ("The IRGC seizes a tanker owned by Kestrel Shipping.", "Islamic Revolutionary Guard Corps", "IR"),
    ],
)
def test_agencies_known_by_their_initials_are_authorities(make_doc, text, authority, code):
    doc = make_doc(text)
    entities = extract_entities(doc, load_gazetteer(), default_resolver(), None, title_end(doc), None)
    assert entities.authorities[authority].jurisdiction == code
    assert not {info.name for info in entities.companies.values()} & {"ICE", "CDC", "USAID", "IRGC"}


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("ICE agents detained 40 workers at the Orvane battery plant in Georgia.", {"US"}),
        ("The president visited Atlanta. Georgia passes a law banning Zindo on state devices.", {"US", "US-GA"}),
        ("Georgian police detained 40 protesters in Tbilisi; Georgia rejects the EU criticism.", {"GE", "EU"}),
        ("Russia and Georgia agree to restore direct flights.", {"GE", "RU"}),
    ],
)
def test_georgia_is_the_us_state_only_in_a_story_set_in_the_us(make_doc, text, codes):
    doc = make_doc(text)
    entities = extract_entities(doc, load_gazetteer(), default_resolver(), None, title_end(doc), None)
    assert set(entities.jurisdiction_counts) == codes


def test_a_party_is_no_company_but_the_fintech_of_that_name_is(companies):
    assert "Plaid" not in companies("Plaid Cymru wins the Caerphilly by-election.")
    assert "Plaid" in companies("Fintech firm Plaid raises $575 million from investors.")


def test_a_demonym_before_a_plain_word_stays_in_the_name(companies):
    found = companies(
        "The state sued American Tax Solutions LLC and Bryce Tax Group LLC, which sold tax relief to debtors."
    )
    assert "American Tax Solutions" in found and "Tax Solutions" not in found


def test_the_place_after_a_business_is_not_its_name(companies):
    found = companies("He worked for the Quinta Verde Farm in Cabral. The Quinta Verde Farm company denied it.")
    assert "Quinta Verde Farm" in found and "Quinta Verde Farm in Cabral" not in found


def test_industry_end_feature(make_doc):
    doc = make_doc("Norland Airlines and Gharvi Group signed a deal.")
    named = {}
    for name, span in (("Norland Airlines", doc[0:2]), ("Gharvi Group", doc[3:5])):
        values = candidate_features(doc, doc.text, name, Counter({"ner": 1}), {"name"}, [span], 2, 2, 0)
        named[name] = dict(zip(FEATURES, values, strict=True))
    assert named["Norland Airlines"]["industry_end"] == 1.0
    assert named["Gharvi Group"]["industry_end"] == 0.0


def test_a_trained_model_from_before_a_new_feature_still_loads(tmp_path):
    data = CompanyModel([0.5] * len(FEATURES) + [0.25]).to_json()
    data["features"], data["weights"] = data["features"][:-1], data["weights"][:-2] + [0.25]
    data["meta"] = {"command": "python -m pipeline.analyze.train"}
    path = tmp_path / "company_model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    model = load_company_model(str(path))
    assert model is not None and len(model.weights) == len(FEATURES) + 1
    assert model.weights[-2] == 0.0 and model.weights[-1] == 0.25


def test_a_media_outlet_that_is_itself_the_subject(companies):
    sued = companies("The governor files a lawsuit against the newspaper The New York Times over a column.")
    assert "The New York Times" in sued
    quoted = companies("Harrow Mining will close two mines in Peru, The New York Times reported.")
    assert "The New York Times" not in quoted


@pytest.mark.parametrize("text, outlets", [
    ("Protesters stormed the offices of the Italian newspaper La Stampa in Turin.", {"La Stampa"}),
    ("The order tells the corporation to stop funding NPR and PBS.", {"NPR", "PBS"}),
    ("A drone strike killed two journalists from Russia's Izvestia newspaper and Zvezda state media network.",
     {"Izvestia", "Zvezda"}),
    ("The junta expels representatives of Portuguese news agency Lusa from the country.", {"Lusa"}),
    ("The Director-General of the BBC resigns over the edited speech.", {"BBC"}),
])
def test_an_outlet_whose_people_premises_or_money_are_the_story(companies, text, outlets):
    assert outlets <= companies(text)


@pytest.mark.parametrize("text", [
    "La Stampa reported that the ministry will ban the app from Monday.",
    "A BBC correspondent said the ban starts on Monday.",
    "The Independent Office for Police Conduct opened an inquiry into the arrest.",
    "Izvestia and Zvezda reported that the court fined the bank.",
])
def test_an_outlet_that_only_reports_or_names_something_else(companies, text):
    assert not {"La Stampa", "BBC", "The Independent", "Izvestia", "Zvezda"} & companies(text)


@pytest.mark.parametrize("text, names", [
    ("Kestrel Air flights to Oman will resume next week.", {"Kestrel Air"}),
    ("The search for the wreck of Norvane Air Flight 370 resumes.", {"Norvane Air"}),
    ("Drones also hit Brannock logistics hubs in two cities.", {"Brannock"}),
    ("An Iranian missile hit the Haldor chemical plant in the south.", {"Haldor"}),
    ("The regulator fined luxury brands Corvale, Ondessa and Marrith for fixing prices.",
     {"Corvale", "Ondessa", "Marrith"}),
    ("The ministry allows mobile operators Telvana and Quorix to offer 5G.", {"Telvana", "Quorix"}),
])
def test_a_business_known_by_its_flights_premises_or_a_plural_description(companies, text, names):
    assert names <= companies(text)


@pytest.mark.parametrize("text, names", [
    ("A court sentences seven former Dravona executives to prison for financing an armed group.", {"Dravona"}),
    ("Police seek an arrest warrant for Korvel founder and chairperson Ara Mendel.", {"Korvel"}),  # NER: ORG
    ("Two thousand Lorvent employees walk out over pay.", {"Lorvent"}),
    ("Norland-based shipping line Brask Feeders refuses to pay the damages.", {"Brask Feeders"}),
])
def test_a_business_known_by_its_people_or_called_a_shipping_line(companies, text, names):
    assert names <= companies(text)


@pytest.mark.parametrize("text, name", [
    ("The Islamic Republic of Iran Air Force lost a tanker aircraft.", "Iran Air"),
    ("Inspectors returned to the Zaporizhzhia nuclear power plant.", "Zaporizhzhia"),
])
def test_no_business_in_an_air_force_or_a_power_station(companies, text, name):
    assert name not in companies(text)


def test_a_means_of_payment_is_no_participant(companies):
    found = companies("The agency sends checks and PayPal payments to 4,000 people. PayPal recipients have 30 days.")
    assert "PayPal" not in found


def test_the_maker_named_in_a_product_name(companies):
    assert "Boeing" in companies("The airline grounded its Boeing 787 fleet after the crash.")


def test_owned_and_based_before_a_name(make_doc):
    gazetteer, resolver = load_gazetteer(), default_resolver()
    doc = make_doc("Officials approved a supply deal with state-owned Velkor Aerostructures last week.")
    entities = extract_entities(doc, gazetteer, resolver, None, 0, None)
    reasons = {name for name, *_ in entities.company_candidates}
    assert "Velkor Aerostructures" in reasons


def test_military_corps_are_no_businesses(companies):
    assert not companies("The ministry designated the Northern Volunteer Corps a terrorist group.")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The singer waved to a crowd at the Capital One Arena that some on social media called rude.", "Capital One"),
        ("The governor pauses $30 billion of funding allocated in the Inflation Reduction Act and Infrastructure "
         "Investment and Jobs Act.", "Infrastructure Investment"),
        ("Water levels in the Brazilian Amazon rose again this year.", "Amazon"),
        ("Smoke hung over the Amazon rainforest for weeks.", "Amazon"),
        ("Opposition lawmaker Dario Co resigned from parliament on Monday.", "Dario"),
    ],
)
def test_a_business_name_inside_a_venue_law_or_region_is_no_participant(companies, text, name):
    assert name not in companies(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Halvorsen Arena Holdings, the stadium operator, was fined by the regulator.", "Halvorsen Arena Holdings"),
        ("Amazon will close its warehouses in Quebec, the company said.", "Amazon"),
        ("The Brazilian Amazon burned while Amazon opened a data centre in Sao Paulo.", "Amazon"),
        ("Quellin Trading Co was fined $2 million by the securities regulator.", "Quellin Trading"),
    ],
)
def test_a_business_named_as_itself_beside_those_stays(companies, text, name):
    assert name in companies(text)


def test_an_airline_s_flight_number_is_not_part_of_its_name(companies):
    found = companies("American Airlines Flight 292, flying from New York to New Delhi, is forced to divert to Rome.")
    assert "American Airlines" in found and "American Airlines Flight" not in found


def test_a_cloud_product_after_its_maker_is_not_another_company(companies):
    found = companies("Microsoft Azure services are disrupted by cuts to undersea cables in the Red Sea.")
    assert "Microsoft" in found and "Microsoft Azure" not in found


@pytest.mark.parametrize("text, name", [
    # people after a word that names no business
    ("Party founder Ara Mendel resigns.", "Party"),
    ("Ministry employees walk out over pay.", "Ministry"),
    # a known company's name as a person's surname, then alone: the person again
    ("Former president Edvin Meta is charged with corruption. Meta denies the charges.", "Meta"),
    ("Businessmen Raul Gorran and Aldo Saab are arrested in Caracas. Saab was extradited in 2021.", "Saab"),
    # the end of a place's hyphenated name
    ("A light aircraft crashes after taking off from an airport in Southend-on-Sea, England.", "Sea"),
    # a known company's name extended into a public body or a region
    ("A car bomb explodes in a house in San Jorge, Meta Department, Colombia.", "Meta Department"),
])
def test_names_that_are_no_company_of_the_story(companies, text, name):
    assert name not in companies(text)


@pytest.mark.parametrize("text, name", [
    ("Meta fined 200 million euros. Meta said it would appeal.", "Meta"),
    ("The Renault-Nissan alliance names a new chief; Nissan shares rose 3%.", "Nissan"),
    ("Meta-owned WhatsApp changes its terms; Meta said users must accept them.", "Meta"),
])
def test_a_known_company_named_alone_or_in_a_joint_name_stays(companies, text, name):
    assert name in companies(text)
