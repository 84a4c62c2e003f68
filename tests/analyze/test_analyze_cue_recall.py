"""Cue recall: news phrasings of policy changes that once had no cue of their type (invented sentences).

Without a cue the ranker can hardly report a type, and the event's effective date is lost with it.
"""

from __future__ import annotations

import pytest

from pipeline.analyze.cues import CUES
from pipeline.analyze.events import raw_candidates


def cue_types(sentence: str, min_strength: float = 0.0) -> set[str]:
    """Types whose patterns match the sentence (the conditions such as ``place`` are left to the pipeline)."""
    return {cue.type for cue in CUES if cue.strength >= min_strength and cue.pattern.search(sentence)}


@pytest.mark.parametrize(
    ("sentence", "event_type"),
    [
        ("The trade ministry will limit sales of imported laptops starting 3 March 2026.", "law_or_regulation"),
        ("Norland will let visitors from five states enter without a visa from July 1.", "law_or_regulation"),
        ("Visitors from the region will be allowed visa-free entry for 30 days.", "law_or_regulation"),
        ("Emigrants will be permitted to own farmland under the new scheme.", "law_or_regulation"),
        ("The lower house votes 92–40 to decriminalise the possession of small amounts of cannabis.",
         "law_or_regulation"),
        ("The government decided to scrap its diesel fuel subsidy.", "law_or_regulation"),
        ("The regulator raises household electricity tariffs by 12% for large users.", "law_or_regulation"),
        ("The minister halts planned fuel price hikes after a week of protests.", "law_or_regulation"),
        ("Federal judge Ana M. Ortiz rules that the city cannot enforce its curfew.", "law_or_regulation"),
        ("The cabinet suspends a water-sharing treaty with its upstream neighbour.", "law_or_regulation"),
        ("The cabinet tightens residency requirements for foreign students from next year.", "law_or_regulation"),
        ("The energy minister says the country will join OPEC+ in January.", "law_or_regulation"),
        ("The island state introduces a four-day workweek for civil servants.", "law_or_regulation"),
        ("Voters backed a process to draft a new constitution.", "law_or_regulation"),
        ("Trading on the city's two exchanges has been suspended by the market watchdog.", "ban"),
        ("Both airports remain closed after drones were seen over the runways.", "ban"),
        ("The army will not open the northern crossing to aid convoys this week.", "ban"),
        ("The postal service is refusing inbound parcels from three countries.", "ban"),
        ("Users regain access to the messaging app after a two-year block.", "ban"),
        ("The navy says the blockade of the harbour has been lifted.", "ban"),
        ("The finance task force adds Ruritania to its grey list.", "sanction_or_export_control"),
        ("The president will take Ruritania off the state sponsors of terrorism list.", "sanction_or_export_control"),
        ("The state department imposes visa restrictions on twelve officials.", "sanction_or_export_control"),
        ("The foreign ministry revoked the visas of two visiting lawmakers.", "sanction_or_export_control"),
        ("The government bars the opposition leader of a neighbouring country and his aides from entering "
         "its territory.", "sanction_or_export_control"),
        ("The government will suspend gas deliveries to its neighbour until the debt is paid.",
         "sanction_or_export_control"),
        ("The federation suspends financial transactions with the neighbouring state.",
         "sanction_or_export_control"),
        ("Minsk will halt the transit of crude oil to Poland starting 1 June.", "trade_or_tax"),
        ("The bloc agrees a partial suspension of trade with the neighbouring country.", "trade_or_tax"),
        ("Kenya restricts imports of used cars older than five years.", "trade_or_tax"),
        ("The province strengthens carbon pricing for heavy industry.", "trade_or_tax"),
        ("The parliament passes a bill temporarily cutting petrol and diesel taxes.", "trade_or_tax"),
        ("A rights group files a legal challenge against the deportation order.", "investigation"),
        ("Chile initiates arbitration proceedings against Peru over the fishing quota.", "investigation"),
        ("The agency is sending refunds worth $2.1 million to customers of the scheme.", "fine_or_penalty"),
        ("Northwind Air resumes flights to Caracas beginning on 7 March.", "market_entry"),
        ("The first Decathlon store in Ghana opens in Accra.", "market_entry"),
        ("The video app suspends most of its services in Canada.", "market_exit"),
        ("The carmaker pauses vehicle exports to the United States for a month.", "sales_restriction"),
        ("The retailer announces a shipping pause to the United States.", "sales_restriction"),
        ("Acme Steel finalizes its $14.9 billion acquisition of Bolt Metals.", "merger_decision"),
    ],
)
def test_cue_of_the_type_matches(sentence: str, event_type: str) -> None:
    assert event_type in cue_types(sentence)


@pytest.mark.parametrize(
    ("sentence", "event_type"),
    [
        ("The museum opens in the morning on weekdays.", "market_entry"),
        ("She returned to work after the holiday.", "market_entry"),
        ("Analysts expect fuel prices to rise over the winter.", "law_or_regulation"),
        ("The blockade of 1962 is still studied by historians.", "ban"),
        ("The committee vote to publish the annual report was 3-0.", "law_or_regulation"),
        ("The company resumes flights from the capital after the storm.", "market_entry"),
        ("The crisis continues to restrict fuel shipments to the region.", "sanction_or_export_control"),
        ("Customers complained that the shop refused to give refunds of $20.", "fine_or_penalty"),
    ],
)
def test_new_cues_stay_quiet_on_near_misses(sentence: str, event_type: str) -> None:
    """No cue of medium strength or more: a weak one may remain for the ranker to weigh."""
    assert event_type not in cue_types(sentence, min_strength=0.6)


@pytest.mark.parametrize(
    ("text", "event_type", "effective"),
    [
        ("Russia's trade ministry will restrict supplies of imported laptops starting 27 May 2026.",
         "law_or_regulation", "2026-05-27"),
        ("China will allow citizens of Peru and Chile to enter without a visa starting June 1.",
         "law_or_regulation", "2022-06-01"),
        ("Belarus will halt the transit of crude oil to Poland starting 1 September.", "trade_or_tax",
         "2021-09-01"),
    ],
)
def test_candidate_keeps_the_effective_date(make_doc, text: str, event_type: str, effective: str) -> None:
    doc = make_doc(text)
    raw = raw_candidates(doc, doc._.regwatch_entities, doc._.regwatch_dates or [], doc._.regwatch_published, None)
    dates = [e.effective_date for e in raw if e.type == event_type]
    assert effective in dates, [(e.type, e.effective_date) for e in raw]
