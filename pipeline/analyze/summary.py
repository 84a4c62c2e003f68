"""Relevance score, summary and the jurisdictions worth listing, from what the components found."""

from __future__ import annotations

from spacy.tokens import Doc

from pipeline.analyze.entities import DocEntities
from pipeline.analyze.events import Event, title_types
from pipeline.analyze.places import jurisdiction_name
from pipeline.analyze.sents import sentences as sentences_of

SUMMARY_SENTENCES = 3
SUMMARY_MAX_CHARS = 700
LEAD_SENTENCES = 3


def relevance_score(events: list[Event], title: str | None, calibrated: float | None = None) -> float:
    """The event model's calibrated probability that the article reports an event, when it ran; otherwise
    (rules alone) the best event confidence, nudged up when the title carries a cue too."""
    if calibrated is not None:
        return round(min(1.0, max(0.0, calibrated)), 3)
    title_support = 1.0 if title_types(title) else 0.0
    if not events:
        return round(0.25 if title_support else 0.05, 3)
    best = max(e.confidence for e in events)
    return round(min(1.0, 0.85 * best + 0.15 * title_support), 3)


def summarise(doc: Doc, events: list[Event], title: str | None = None) -> str:
    """At most three sentences: the main event's evidence first, then other evidence, then the lead."""
    title_text = " ".join(title.split()) if title else None
    sentences = [" ".join(s.text.split()) for s in sentences_of(doc)]
    sentences = [s for s in sentences if s and s != title_text] or [s for s in sentences if s]
    chosen: list[str] = []
    for event in events:  # sorted by confidence
        if event.evidence not in chosen:
            chosen.append(event.evidence)
        if len(chosen) >= SUMMARY_SENTENCES:
            break
    for sentence in sentences[: LEAD_SENTENCES + SUMMARY_SENTENCES]:
        if len(chosen) >= SUMMARY_SENTENCES:
            break
        if sentence not in chosen and len(sentence.split()) >= 4:
            chosen.append(sentence)
    if not chosen and sentences:
        chosen.append(sentences[0])
    summary = chosen[0] if chosen else ""
    for sentence in chosen[1:]:
        if len(summary) + len(sentence) + 1 > SUMMARY_MAX_CHARS:
            break
        summary = f"{summary} {sentence}"
    return summary


# How a mention names its place: a name, a capital or seat standing for its government, a city, a state, or a
# national authority. Demonyms ("Chinese investors") and regions are looser: they need a second mention or a role.
NAMING = frozenset({"name", "metonym", "city", "state", "gazetteer"})


def salient_jurisdictions(doc: Doc, entities: DocEntities, events: list[Event]) -> list[dict]:
    """Jurisdictions the text names (by name, capital, city, state or national authority), or mentions twice,
    in the lead or through an event; a single demonym or region in passing is left out."""
    lead_end = 0
    for i, sentence in enumerate(sentences_of(doc)):
        lead_end = sentence.end
        if i + 1 >= LEAD_SENTENCES:
            break
    # a place, an authority or a state body or leader that acts for its country ("the U.S. Embassy", "Trump")
    in_lead = {m.code for m in entities.mentions
               if m.code and m.start < lead_end and m.kind in ("place", "authority", "other")}
    named = {m.code for m in entities.mentions if m.code and m.kind in ("place", "authority") and m.how in NAMING}
    named |= {code.split("-")[0] for code in named if "-" in code}
    in_events = {code for e in events for code in e.jurisdictions}
    rows = []
    for code, count in entities.jurisdiction_counts.items():
        if count >= 2 or code in in_lead or code in named or code in in_events or code == entities.main_jurisdiction:
            rows.append({"code": code, "name": jurisdiction_name(code), "mentions": count})
    for code in in_events - set(entities.jurisdiction_counts):
        rows.append({"code": code, "name": jurisdiction_name(code), "mentions": 0})
    return sorted(rows, key=lambda r: (-r["mentions"], r["code"]))
