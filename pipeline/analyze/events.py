"""Policy-change events: cue patterns per sentence, then actor, jurisdictions, date and status.

Light on syntax on purpose (no parser in the pipeline): the actor is the company or authority named
nearest before the cue (a company must precede it; an authority may follow, as in the passive),
else a pronoun or "the government" resolved to the article's main company or authority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc, Span

from pipeline.analyze.cues import (
    COMPANY_PRONOUNS,
    CUES,
    EVENT_TYPES,
    GOVERNMENT_WORDS,
    MERGER_WORDS,
    MONEY,
    QUOTE_START,
    SKIP_SENTENCE,
    STATUS_ANNOUNCED,
    STATUS_IN_EFFECT,
    STATUS_MODAL,
    STATUS_PROPOSED,
    STATUS_REVERSED,
    SUPPRESSES,
    Cue,
)
from pipeline.analyze.dates import EFFECT_TODAY, ResolvedDate, names_a_text
from pipeline.analyze.encoder import TextEncoder
from pipeline.analyze.entities import LEADER_TITLES, DocEntities, Mention
from pipeline.analyze.places import country_of, default_resolver, jurisdiction_name
from pipeline.analyze.ranker import Candidate, DocView, EventModel
from pipeline.analyze.sents import doc_text
from pipeline.analyze.sents import sentences as sentences_of

MIN_CONFIDENCE = 0.5
RAW_FLOOR = 0.3  # with a trained model every cue is a candidate; the model decides
_LEAD_SENTENCES = 3
_PLACE_ACTOR_GAP = 3  # tokens between "India" and "bans"
_PREPOSITIONS = {"in", "into", "from", "across", "throughout", "to", "within", "mainland"}


@dataclass
class Event:
    type: str
    actor: str
    actor_kind: str
    jurisdictions: list[str]
    effective_date: str | None
    status: str
    confidence: float
    evidence: str
    sentence_index: int = 0
    cue_strength: float = 0.0
    support: int = 1
    in_title: bool = False
    confidence_raw: float = 0.0  # the rules' own score, before the model
    actor_named: bool = False  # the actor is named in the evidence sentence
    company_named: bool = False  # a company is named in the evidence sentence
    person_named: bool = False  # a person is named there (the target of charges, often: not a policy change)
    background: bool = False  # the sentence dates itself well before publication ("In 2022, the FTC sued ...")

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "actor": self.actor,
            "actor_kind": self.actor_kind,
            "jurisdictions": self.jurisdictions,
            "effective_date": self.effective_date,
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
        }


@dataclass
class _Actor:
    name: str
    kind: str
    code: str | None
    start: int
    end: int
    in_sentence: bool
    place: bool = False  # a place standing for its government ("India bans ..."), not a named body


def title_types(title: str | None) -> set[str]:
    """Event types whose cues appear in the title: support for the same type in the body."""
    if not title:
        return set()
    folded = title.casefold()
    return {cue.type for cue in CUES if cue.strength >= 0.6 and cue.search(title, folded)}


def find_cues(sentence: Span, entities: DocEntities) -> list[tuple[Cue, int]]:
    """The strongest matching cue per type, with the token index where it starts."""
    text = sentence.text
    folded = text.casefold()
    best: dict[str, tuple[Cue, int]] = {}
    has_money = places = None  # read when a cue that needs them matches
    for cue in CUES:
        match = cue.search(text, folded)
        if match is None:
            continue
        if has_money is None:
            has_money = bool(MONEY.search(text)) or any(e.label_ == "MONEY" for e in sentence.ents)
            places = entities.within(sentence.start, sentence.end, ("place",))
        token = _token_at(sentence, match.start())
        cue_end = _token_at(sentence, max(match.start(), match.start() + len(match.group(0).rstrip()) - 1))
        if "money" in cue.requires and not has_money:
            continue
        if "merger" in cue.requires and not MERGER_WORDS.search(text):
            continue
        if "place" in cue.requires and not places:
            continue
        if "place_after" in cue.requires and not any(p.start > cue_end for p in places):
            continue
        current = best.get(cue.type)
        if current is None or cue.strength > current[0].strength:
            best[cue.type] = (cue, token)
    for strong_type, weaker in SUPPRESSES.items():
        if strong_type in best:
            for other in weaker:
                if other == "ban" and strong_type == "sanction_or_export_control" and _own_ban(sentence, entities):
                    continue  # "travel bans on tourists", "banned from entering": a ban of its own beside the sanction
                best.pop(other, None)
    return list(best.values())


# The word "ban" itself, not as an export or import ban (the sanction's own wording): a sanction cue beside it
# does not make it part of the sanction ("imposes sanctions and bans its officials from entering").
_EXPLICIT_BAN = re.compile(r"(?<!\bexport )(?<!\bexports )(?<!\bimport )(?<!\bexport-)\bban(s|ned|ning)?\b",
                           re.IGNORECASE)


def _own_ban(sentence: Span, entities: DocEntities) -> bool:
    """Does the sentence say "ban" in words, aimed at no named person? A ban on named people beside a sanction
    cue ("bans minister X from entering") is the sanction itself, as the labelling rules have it."""
    match = _EXPLICIT_BAN.search(sentence.text)
    if match is None:
        return False
    at = _token_at(sentence, match.start())
    people = [m.start for m in entities.within(sentence.start, sentence.end, ("person",))]
    people += [e.start for e in sentence.ents if e.label_ == "PERSON"]
    return not any(start > at for start in people)


def extract_events(
    doc: Doc,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    title: str | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    model: EventModel | None = None,
) -> list[Event]:
    """Events of the article. With ``model``, every cue is a candidate and the model keeps the types it
    believes, with calibrated confidences; without it, cues above ``min_confidence`` are kept."""
    if model is None:
        return candidate_events(doc, entities, dates, published, title, min_confidence)
    return rank_events(doc, entities, dates, published, title, model)[0]


def rank_events(
    doc: Doc,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    title: str | None,
    model: EventModel,
    encoder: TextEncoder | None = None,
) -> tuple[list[Event], float]:
    """(kept events, relevance): relevance is the blend's gate, P(any event), or without the fine-tuned text
    classifier (``encoder``, blended in when the model has a blend) the highest calibrated type probability."""
    raw = raw_candidates(doc, entities, dates, published, title)
    view = doc_view(doc, raw, title)
    classified = encoder.probabilities(view.text) if encoder is not None and model.blend is not None else None
    probs, relevance = model.judge(view, encoder=classified)
    kept = select_events(raw, probs, model, lambda t: fallback_event(t, doc, entities, dates, published, title, raw),
                         relevance)
    return kept, max(probs.values(), default=0.0) if relevance is None else relevance


def raw_candidates(
    doc: Doc, entities: DocEntities, dates: list[ResolvedDate], published: date, title: str | None
) -> list[Event]:
    """What the model chooses from: every cue, with a stand-in actor when none is named."""
    return candidate_events(doc, entities, dates, published, title, RAW_FLOOR, loose=True)


def view_text(text: str, title: str | None) -> str:
    """What the text classifiers read: the title, unless the text opens with it, then the text."""
    if title and not text.lstrip().startswith(title.strip()):
        return f"{title}\n{text}"
    return text


def doc_view(doc: Doc, events: list[Event], title: str | None) -> DocView:
    text = view_text(doc_text(doc), title)
    in_title = title_types(title)
    view = DocView(text=text, words=len(text.split()))
    for event in events:
        c = view.candidates.setdefault(event.type, Candidate(event.type))
        c.raw = max(c.raw, event.confidence_raw)
        c.strength = max(c.strength, event.cue_strength)
        c.named = c.named or event.actor_named
        c.company = c.company or event.company_named
        c.person = c.person and event.person_named if c.sentences else event.person_named
        c.background = c.background and event.background if c.sentences else event.background
        c.sentences += event.support
        c.lead = c.lead or event.sentence_index < _LEAD_SENTENCES
        c.title = c.title or event.in_title or event.type in in_title
    return view


def _by_confidence(event: Event) -> tuple[float, int]:
    """Most confident first, then in text order. Confidences equal to 9 places count as equal: the classifier's
    last bits vary with what ran before it in the process, and the order must not."""
    return -round(event.confidence, 9), event.sentence_index


def select_events(
    raw: list[Event], probs: dict[str, float], model: EventModel, fallback, relevance: float | None = None
) -> list[Event]:
    """The types the model keeps: the best candidate of each (a made-up one from the lead when no cue
    matched), plus candidates of the same type for other places when their raw confidence is high. With the
    blend's ``relevance`` (``EventModel.judge``): nothing below its gate, and at least the most probable
    type above it."""
    if relevance is not None and model.blend is not None:
        if relevance < model.blend.gate_threshold:
            return []
        top = max(probs, key=lambda t: (probs[t], t)) if probs else None
        if top is not None and 0.0 < probs[top] < model.threshold_for(top):
            kept = select_events(raw, {**probs, top: model.threshold_for(top)}, model, fallback)
            for event in kept:
                if event.type == top:  # kept by the gate: its confidence stays its own probability
                    event.confidence = probs[top] * event.confidence / model.threshold_for(top)
            return sorted(kept, key=_by_confidence)
    kept: list[Event] = []
    for event_type, p in probs.items():
        if p <= 0.0 or p < model.threshold_for(event_type):
            continue
        of_type = sorted((e for e in raw if e.type == event_type),
                         key=lambda e: (e.background, -e.confidence_raw, e.sentence_index))
        if not of_type:
            made = fallback(event_type)
            if made is not None:
                made.confidence = p
                kept.append(made)
            continue
        best = of_type[0]
        best.confidence = p
        kept.append(best)
        places = set(best.jurisdictions)
        for other in of_type[1:]:
            if other.confidence_raw >= model.secondary and not set(other.jurisdictions) <= places:
                places.update(other.jurisdictions)
                other.confidence = p * other.confidence_raw / max(best.confidence_raw, 1e-6)
                kept.append(other)
    return sorted(kept, key=_by_confidence)


def fallback_event(
    event_type: str,
    doc: Doc,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    title: str | None,
    raw: list[Event] | None = None,
) -> Event | None:
    """An event the text classifier is sure of but no cue of its type matched: the actor, places and sentence
    of the strongest cue of another type in the lead (what the classifier reads) with the same kind of actor
    ("France suspends its programme for Palestinian refugees", read as a law by the classifier and as a ban by
    the cues, is France's); else the lead sentence, with the body or subject place that acts in it or the
    article's main actor."""
    kind = EVENT_TYPES[event_type]
    like = sorted((e for e in raw or () if e.actor_kind == kind and e.sentence_index < _LEAD_SENTENCES),
                  key=lambda e: (-e.confidence_raw, e.sentence_index))
    if like:
        best = like[0]
        return Event(
            type=event_type,
            actor=best.actor,
            actor_kind=kind,
            jurisdictions=list(best.jurisdictions),
            effective_date=best.effective_date,
            status=best.status,
            confidence=0.0,
            evidence=best.evidence,
            sentence_index=best.sentence_index,
        )
    sentences = [s for s in sentences_of(doc) if len(s) >= 4]
    if not sentences:
        return None
    sentence = sentences[0]
    if kind == "company":
        name = _main(entities, "company")
        if name is None:
            return None
        code = entities.main_jurisdiction
    else:
        authority = _main(entities, "authority")
        info = entities.authorities.get(authority.name) if authority is not None else None
        code = (info.jurisdiction if info else None) or entities.main_jurisdiction
        if authority is not None:
            name = authority.name
        elif code:
            name = _government_name(code)
        else:
            return None
        lead = _lead_actor(sentence, entities)
        if lead is not None:
            name, code = lead.name, lead.code
    effective = _effective_date(dates, sentence, published)
    return Event(
        type=event_type,
        actor=name,
        actor_kind=kind,
        jurisdictions=[code] if code else [],
        effective_date=effective or _document_effective_date(dates, published),
        status=_status(sentence, sentence.start, kind, effective, published),
        confidence=0.0,
        evidence=" ".join(sentence.text.split()),
        sentence_index=0,
    )


def _lead_actor(sentence: Span, entities: DocEntities) -> _Actor | None:
    """Who acts in the lead sentence when no cue says: a body named there that nothing is aimed at, else the
    place that opens it as its subject ("The Bahamas announces screening for travellers from ...")."""
    doc = sentence.doc
    in_sentence = entities.within(sentence.start, sentence.end)
    body = next((m for m in in_sentence if m.kind == "authority" and not _aimed_at(doc, m, sentence)), None)
    if body is not None:
        code = _body_home(body, sentence, in_sentence, entities)
        return _Actor(body.name, "authority", code, body.start, body.end, True) if code else None
    opener = _subject_place(sentence, [m for m in in_sentence if m.kind == "place" and m.code])
    return _place_actor(opener) if opener is not None else None


def candidate_events(
    doc: Doc,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    title: str | None = None,
    min_confidence: float = MIN_CONFIDENCE,
    loose: bool = False,
) -> list[Event]:
    """Every cue match whose rule-based confidence reaches ``min_confidence``, merged per actor and place.
    ``loose``: a cue without a named actor still counts, with the place's or the article's government."""
    supported = title_types(title)
    main_company = _main(entities, "company")
    main_authority = _main(entities, "authority")
    title_text = " ".join(title.split()) if title else None
    events: list[Event] = []
    for index, sentence in enumerate(sentences_of(doc)):
        if len(sentence) < 4 or sentence.text.rstrip().endswith("?") or SKIP_SENTENCE.search(sentence.text):
            continue
        for cue, cue_token in find_cues(sentence, entities):
            event = _build_event(
                cue,
                cue_token,
                sentence,
                index,
                entities,
                dates,
                published,
                supported,
                main_company,
                main_authority,
                loose,
            )
            if event is not None and event.confidence >= min_confidence:
                event.in_title = event.evidence == title_text
                events.append(event)
    return merge_events(events)


def merge_events(events: list[Event]) -> list[Event]:
    """One event per (type, actor, jurisdictions): first evidence, best confidence, any stated date."""
    merged: dict[tuple, Event] = {}
    for event in events:
        key = (event.type, event.actor, tuple(event.jurisdictions))
        kept = merged.get(key)
        if kept is None:
            merged[key] = event
            continue
        kept.support += 1
        kept.effective_date = kept.effective_date or event.effective_date
        if event.cue_strength > kept.cue_strength or (kept.in_title and event.cue_strength >= kept.cue_strength):
            kept.evidence, kept.status, kept.cue_strength = event.evidence, event.status, event.cue_strength
            kept.in_title, kept.sentence_index = event.in_title, event.sentence_index
        kept.confidence = min(0.99, max(kept.confidence, event.confidence) + 0.03)
        kept.confidence_raw = kept.confidence
    return sorted(merged.values(), key=_by_confidence)


def _build_event(
    cue: Cue,
    cue_token: int,
    sentence: Span,
    index: int,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    supported: set[str],
    main_company: str | None,
    main_authority: Mention | None,
    loose: bool = False,
) -> Event | None:
    kind = EVENT_TYPES[cue.type]
    actor = _find_actor(kind, cue_token, sentence, entities, main_company, main_authority)
    if loose and actor is None:
        actor = _loose_actor(kind, sentence, entities)
    if actor is None or (not loose and not actor.in_sentence and cue.strength < 1.0):
        return None
    jurisdictions = _event_jurisdictions(kind, actor, cue_token, sentence, entities)
    if cue.type == "trade_or_tax" and _AGREEMENT.search(sentence.text):
        jurisdictions = _parties(sentence, entities, jurisdictions, actor)
    effective = _effective_date(dates, sentence, published)
    status = _status(sentence, cue_token, kind, effective, published)
    confidence = 0.25 + 0.35 * cue.strength
    confidence -= 0.15 if QUOTE_START.search(sentence.text) else 0.0
    confidence += 0.15 if actor.in_sentence else 0.0
    confidence += 0.1 if cue.type in supported else 0.0
    confidence += 0.05 if effective else 0.0
    confidence += 0.05 if index < 3 else 0.0
    confidence += 0.05 if any(m.kind == "place" for m in entities.within(sentence.start, sentence.end)) else 0.0
    named = {m.kind for m in entities.within(sentence.start, sentence.end)}
    return Event(
        type=cue.type,
        actor=actor.name,
        actor_kind=kind,
        jurisdictions=jurisdictions,
        effective_date=effective or _document_effective_date(dates, published),
        status=status,
        confidence=min(0.99, confidence),
        evidence=" ".join(sentence.text.split()),
        sentence_index=index,
        cue_strength=cue.strength,
        confidence_raw=min(0.99, confidence),
        actor_named=actor.in_sentence,
        company_named="company" in named,
        person_named=_person_targeted(sentence, cue_token, entities),
        background=_background(dates, sentence, published),
    )


_PASSIVE = re.compile(r"\b(is|are|was|were|been|being|be)\b(\s+\w+)?\s*$", re.IGNORECASE)


def _person_targeted(sentence: Span, cue_token: int, entities: DocEntities) -> bool:
    """Is a person what the cue acts on ("a court indicts X", "X is charged"), not who acts ("Biden blocks")?"""
    people = [m.start for m in entities.within(sentence.start, sentence.end, ("person",))]
    people += [e.start for e in sentence.ents if e.label_ == "PERSON"]
    if any(start > cue_token for start in people):
        return True
    before = sentence.doc[max(sentence.start, cue_token - 3) : cue_token].text
    return bool(people) and bool(_PASSIVE.search(before))


def _background(dates: list[ResolvedDate], sentence: Span, published: date) -> bool:
    """Does the sentence place what it says in an earlier year than the article's (a past step, not news)?"""
    years = [int(d.date[:4]) for d in dates if d.start >= sentence.start and d.end <= sentence.end]
    return bool(years) and max(years) < published.year


def _main(entities: DocEntities, kind: str):
    if kind == "company":
        rows = [c for c in entities.companies.values() if not c.media]
        return max(rows, key=lambda c: c.mentions).name if rows else None
    counts: dict[str, int] = {}
    first: dict[str, Mention] = {}
    for m in entities.mentions:
        if m.kind == "authority":
            counts[m.name] = counts.get(m.name, 0) + 1
            first.setdefault(m.name, m)
    if not counts:
        return None
    name = max(counts, key=lambda n: (counts[n], -first[n].start))
    return first[name]


def _find_actor(
    kind: str,
    cue_token: int,
    sentence: Span,
    entities: DocEntities,
    main_company: str | None,
    main_authority: Mention | None,
) -> _Actor | None:
    in_sentence = entities.within(sentence.start, sentence.end)
    if kind == "company":
        before = [m for m in in_sentence if m.kind in ("company", "media") and m.end <= cue_token]
        if before:
            m = before[-1]
            return _Actor(m.name, "company", None, m.start, m.end, True)
        prefix = sentence.doc[sentence.start : cue_token].text
        if main_company and COMPANY_PRONOUNS.search(prefix):
            return _Actor(main_company, "company", None, -1, -1, False)
        return None
    # a body a measure is aimed at ("designates the Revolutionary Guard a terrorist group") is not its actor
    authorities = [m for m in in_sentence if m.kind == "authority" and not _aimed_at(sentence.doc, m, sentence)]
    before = [m for m in authorities if m.end <= cue_token]
    chosen = before[-1] if before else None
    if chosen is None and authorities:
        # a body named only after the cue acts when the cue is passive ("fined by the FTC") or no place
        # before the cue does; else it is what the measure is aimed at ("the US blocks Palestinian
        # Authority officials")
        first = authorities[0]
        passive = _PASSIVE_AGENT.match(sentence.doc[cue_token : first.start].text)
        government = None if passive else _place_government(sentence, cue_token, in_sentence)
        if government is not None and government.start >= 0 and government.end <= cue_token:
            return government
        chosen = first
    if chosen is not None:
        code = _body_home(chosen, sentence, in_sentence, entities) or entities.main_jurisdiction
        return _Actor(chosen.name, "authority", code, chosen.start, chosen.end, True)
    government = _place_government(sentence, cue_token, in_sentence)
    if government is not None:
        return government
    if main_authority is not None:
        info = entities.authorities.get(main_authority.name)
        code = (info.jurisdiction if info else None) or entities.main_jurisdiction
        return _Actor(main_authority.name, "authority", code, -1, -1, False)
    government_word = GOVERNMENT_WORDS.search(sentence.text)
    if government_word is not None:
        code = entities.main_jurisdiction
        name = _government_name(code) if code else government_word.group(0).capitalize()
        return _Actor(name, "authority", code, -1, -1, False)
    return None


def _body_home(body: Mention, sentence: Span, in_sentence: list[Mention], entities: DocEntities) -> str | None:
    """The jurisdiction a body acts for: its own, the one the article gives it elsewhere, or its sentence's."""
    info = entities.authorities.get(body.name)
    return body.code or (info.jurisdiction if info else None) or _sentence_country(sentence, body, in_sentence)


def _loose_actor(kind: str, sentence: Span, entities: DocEntities) -> _Actor | None:
    """Someone to hang a cue on when no actor is named: a company named in the sentence, else the government
    of the first place in the sentence or of the article."""
    in_sentence = entities.within(sentence.start, sentence.end)
    if kind == "company":
        companies = [m for m in in_sentence if m.kind in ("company", "media")]
        if companies:
            return _Actor(companies[0].name, "company", None, companies[0].start, companies[0].end, False)
        return None
    places = [m for m in in_sentence if m.kind == "place" and m.code]
    if places:
        first = places[0]
        return _Actor(_government_name(first.code), "authority", first.code, first.start, first.end, False, True)
    code = entities.main_jurisdiction
    if code is None:
        return None
    return _Actor(_government_name(code), "authority", code, -1, -1, False)


def _place_government(sentence: Span, cue_token: int, in_sentence: list[Mention]) -> _Actor | None:
    """A place acting as its government: "India bans ...", "Chinese regulators ...", "Beijing ordered ...";
    "... are sanctioned by the United States". A place the measure is aimed at ("tariffs on Canada",
    "measures targeting Pakistan", "goods from Mexico") is not its actor; failing a place right before the
    cue, the place that opens the sentence as its subject acts ("Japan announces ..., including a ban")."""
    doc = sentence.doc
    places = [m for m in in_sentence if m.kind == "place" and m.code]
    agent = next((m for m in places if m.start > cue_token and _PASSIVE_AGENT.match(doc[cue_token : m.start].text)),
                 None)
    if agent is not None and agent.how != "demonym":
        return _place_actor(agent)
    for m in reversed([m for m in places if m.end <= cue_token]):
        if _aimed_at(doc, m, sentence, places) or _KIND_NOUN.match(doc[m.end : m.end + 2].text):
            continue
        gap = doc[m.end : cue_token].text
        subject = m.start - sentence.start <= 1 and cue_token - m.end <= 2 * _PLACE_ACTOR_GAP
        if cue_token - m.end <= _PLACE_ACTOR_GAP or subject or GOVERNMENT_WORDS.match(gap.lstrip("'s ").strip()):
            if m.how == "demonym" and not GOVERNMENT_WORDS.search(doc[m.end : cue_token + 1].text):
                continue  # "Russian officials ban", "the Moldovan parliament votes": not "Russian banks ban"
            return _place_actor(m)
    opener = _subject_place(sentence, places)
    if opener is not None and opener.end <= cue_token:
        return _place_actor(opener)
    return None


# A place naming the kind of a country, not acting: "Slovenia becomes the first EU country to introduce ...".
_KIND_NOUN = re.compile(r"^(country|countries|nation|nations|member states?|members?)\b", re.IGNORECASE)
# The words between a cue and a place that make the place its doer: "sanctioned by the", "imposed on X by".
_PASSIVE_AGENT = re.compile(r"^\S+(\s+\S+){0,2}?\s+by(\s+the)?\s*$", re.IGNORECASE)
# Words right before a place that make it what a measure is aimed at, or a counterpart, not who acts.
_AIMED_AT = re.compile(
    r"\b(against|on|targeting|targets|at|from|to|with|toward|towards|over|versus|vs\.?|unless|if|"
    # a measure's object right after its verb: "will remove Cuba from the list", "designates Iran a ..."
    r"removes?|removed|removing|adds?|added|adding|designates?|designated|designating|blacklists?|blacklisted|"
    r"sanctions|sanctioned|sanctioning|bans|banned|banning|blocks|blocked|blocking|punish(?:es|ed|ing)?|"
    r"expels?|expelled|expelling|suspends?|suspended|suspending|"
    # people of a place, and places visited: "visas to nationals of A, B and C", "travellers who visited X"
    r"(?:nationals|citizens|residents|natives|passport holders) of|visited|visiting|travell?ed to)"
    # with the target's owner between: "designate Iran's Revolutionary Guard", "sanctions Russia's central bank"
    r"(\s+the)?(\s+\S+['\u2019]s)?\s*$",
    re.IGNORECASE,
)
_LIST_GAP = re.compile(r"^\s*(,|,?\s*and|&|-|\u2013|/)\s*$", re.IGNORECASE)


def _place_actor(m: Mention) -> _Actor:
    return _Actor(_government_name(m.code), "authority", m.code, m.start, m.end, True, place=True)


def _aimed_at(doc: Doc, m: Mention, sentence: Span, places: list[Mention] | None = None) -> bool:
    """Is the place introduced as a target or counterpart ("tariffs on Canada"), directly or as a later
    member of such a list ("goods from Canada and Mexico")?"""
    chain = _chain(places, m, doc) if places else [m]
    first = chain[0] if chain else m
    return bool(_AIMED_AT.search(doc[max(sentence.start, first.start - 3) : first.start].text))


def _subject_place(sentence: Span, places: list[Mention]) -> Mention | None:
    """The place that opens the sentence and is followed by its verb or its leader's title ("Peru announces",
    "Peru will", "Peru President X says"): the sentence's subject. A demonym ("Peruvian banks") is none."""
    doc = sentence.doc
    chain = _chain([m for m in places if m.how != "demonym"], next(iter(places), None), doc)
    if not chain or chain[0].start - sentence.start > 1 or chain[0].how == "demonym":
        return None
    if chain[0].start > sentence.start and doc[sentence.start].lower_ != "the":
        return None
    last = chain[-1]
    if last.end >= sentence.end:
        return None
    follower = doc[last.end]
    if follower.text in LEADER_TITLES:
        return chain[0]  # "Ontario Premier Jane Roe announces ..."
    if not follower.is_alpha or not follower.is_lower or follower.lower_ in ("and", "or", "of", "in", "for", "to"):
        return None
    return chain[0]


def _chain(places: list[Mention], head: Mention | None, doc: Doc) -> list[Mention]:
    """``head`` and the places listed with it: "Brazil, Chile and Peru", "the US-Japan deal"."""
    if head is None or head not in places:
        return []
    ordered = sorted(places, key=lambda m: m.start)
    at = ordered.index(head)
    chain = [head]
    for m in ordered[at + 1 :]:
        if not _listed(doc[chain[-1].end : m.start].text):
            break
        chain.append(m)
    for m in reversed(ordered[:at]):
        if not _listed(doc[m.end : chain[0].start].text):
            break
        chain.insert(0, m)
    return chain


def _listed(gap: str) -> bool:
    """Do the words between two places join them in a list ("," "and" "the")?"""
    return bool(_LIST_GAP.match(gap) or _LIST_GAP.match(gap.replace(" the", "").replace("the ", "")))


def _sentence_country(sentence: Span, body: Mention, in_sentence: list[Mention]) -> str | None:
    """The home of a court, senate or parliament named without its country: the place right after it ("the
    Senate in Peru", "the High Court of Kenya"), else the nearest place named before it that is no target
    ("Peru's Senate", "In Peru, the Senate ..."). A place after its verb is more often what it acts on, and
    a demonym more often the speaker's ("the Kyrgyz ministry says the EU body ...")."""
    doc = sentence.doc
    adjacent = next((m for m in in_sentence if m.kind == "place" and m.code and m.end == body.start), None)
    if adjacent is not None:
        return country_of(adjacent.code)  # "the British High Court", "the Moldovan parliament"
    places = [m for m in in_sentence if m.kind == "place" and m.code and m.how != "demonym"]
    for m in places:
        if 0 <= m.start - body.end <= 2 and doc[m.start - 1].lower_ in ("in", "of", "for"):
            return country_of(m.code)
    before = [m for m in places if m.end <= body.start and not _aimed_at(doc, m, sentence, places)]
    return country_of(before[-1].code) if before else None


def _government_name(code: str) -> str:
    if code == "EU":
        return "European Union"
    return f"Government of {jurisdiction_name(code)}"


_AGREEMENT = re.compile(r"\b(deals?|agreements?|pacts?|accords?|truce|framework)\b", re.IGNORECASE)
# A deal being made: every place of its sentence that is no target is a party ("the British and Indian leaders
# signed a trade pact", "the U.S. and China agree to a deal").
_CONCLUDED = re.compile(r"\b(sign|signs|signed|signing|agree|agrees|agreed|reach|reaches|reached|conclude|concludes|"
                        r"concluded|strike|strikes|struck|seal|seals|sealed|finalise[sd]?|finalize[sd]?)\b",
                        re.IGNORECASE)
_PARTY_BEFORE = re.compile(r"\b(with|between)(\s+the)?\s*$", re.IGNORECASE)


def _parties(sentence: Span, entities: DocEntities, codes: list[str], actor: _Actor | None = None) -> list[str]:
    """A trade deal applies to every country that is party to it. When the sentence says the deal is made,
    every place it names but those a measure is aimed at ("tariffs on goods from Chile"); otherwise (a deal
    suspended, a tariff under a deal) the places listed with the actor and the counterparts ("with Peru")."""
    doc = sentence.doc
    places = [m for m in entities.within(sentence.start, sentence.end, ("place",)) if m.code]
    if _CONCLUDED.search(sentence.text):
        party = [m for m in places if not _aimed_at(doc, m, sentence, places)]
        found = list(dict.fromkeys([*codes, *(country_of(m.code) for m in party)]))
        return found if len(found) >= 2 else codes
    party: list[Mention] = []
    for m in places:
        if _PARTY_BEFORE.search(doc[max(sentence.start, m.start - 2) : m.start].text):
            party.extend(_chain(places, m, doc))
    if actor is not None and actor.place:
        head = next((m for m in places if m.start == actor.start), None)
        party.extend(_chain(places, head, doc))
    found = list(dict.fromkeys([*codes, *(country_of(m.code) for m in party)]))
    return found if len(found) >= 2 else codes


def _event_jurisdictions(kind: str, actor: _Actor, cue_token: int, sentence: Span, entities: DocEntities) -> list[str]:
    if kind == "authority" and actor.code:
        return _authority_jurisdictions(actor, cue_token, sentence, entities)
    places = [
        m for m in entities.within(sentence.start, sentence.end, ("place",)) if not (actor.start <= m.start < actor.end)
    ]
    doc = sentence.doc
    introduced = [m for m in places if m.start > 0 and doc[m.start - 1].lower_ in _PREPOSITIONS]
    introduced = list({id(m): m for head in introduced for m in _chain(places, head, doc)}.values())
    named = [m for m in places if m.how != "demonym"]
    after = [m for m in places if m.start >= cue_token]
    chosen = [m for m in after if m in introduced] or [m for m in after if m in named] or introduced or named or places
    codes = list(dict.fromkeys(m.code for m in chosen if m.code))
    if codes:
        return codes
    if actor.code:
        return [actor.code]
    return [entities.main_jurisdiction] if entities.main_jurisdiction else []


# Words around a US state, a province or a Land that make its own government a party to the measure.
_STATE_BEFORE = re.compile(r"\b(state|province|commonwealth|land|canton|territory) of\s*$", re.IGNORECASE)
_STATE_AFTER = re.compile(
    r"^\s*('s\s+)?(state\s+|provincial\s+)?(premier|governor|attorneys? general|legislature|government|"
    r"assembly|parliament)\b",
    re.IGNORECASE,
)


def _authority_jurisdictions(actor: _Actor, cue_token: int, sentence: Span, entities: DocEntities) -> list[str]:
    """The actor's code; the places listed with a place that acts ("Mali, Niger and Chad withdraw"); and
    sub-national governments that act beside it ("the FTC and the state of Utah sue"). Where a state or
    province named before the cue acts for a country that is only the stand-in actor, the change applies in
    the state alone; one named after it is, more often, what the measure acts on ("sues the state of Para")."""
    doc = sentence.doc
    places = [m for m in entities.within(sentence.start, sentence.end, ("place",)) if m.code]
    codes = [actor.code]
    if actor.place or actor.start < 0:
        # the place that stands for the actor, or, for an actor not located in the sentence, the first place
        # of the sentence with the actor's code that no measure is aimed at
        head = next((m for m in places if m.start == actor.start), None) if actor.start >= 0 else next(
            (m for m in places if m.code == actor.code and not _aimed_at(doc, m, sentence, places)), None)
        codes += [m.code for m in _chain(places, head, doc)]
    states = []
    for m, code in _acting_states(sentence, places):
        if actor.start >= 0 and _STATE_JOINED.match(doc[actor.end : m.start].text):
            states.append(code)  # "the FTC and the state of Utah sue"
        elif (
            (actor.place or not actor.in_sentence)
            and m.start < cue_token
            and country_of(code) == country_of(actor.code)
            and not _aimed_at(doc, m, sentence, places)
            and not _AIMED_EARLIER.search(doc[max(sentence.start, m.start - 8) : m.start].text)
        ):
            states.append(code)  # the province acts, its country only stood in
    if states and (actor.place or not actor.in_sentence):
        codes = [c for c in codes if c not in {country_of(s) for s in states}]
    return list(dict.fromkeys([*codes, *states]))


# A target named a few words before a state: "a lawsuit against a mining firm and the state of Para".
_AIMED_EARLIER = re.compile(r"\b(against|targeting)\b", re.IGNORECASE)
# The words between a named actor and a state that act together: "the FTC and the state of Utah".
_STATE_JOINED = re.compile(r"^\s*(,|and|&|together with|along with|joined by)(\s+the)?(\s+(state|province|"
                           r"commonwealth) of)?\s*$", re.IGNORECASE)


def _acting_states(sentence: Span, places: list[Mention]) -> list[tuple[Mention, str]]:
    """The states or provinces whose own government acts in the sentence, with their ISO 3166-2 codes."""
    doc = sentence.doc
    resolver = default_resolver()
    found = []
    for m in places:
        code = m.code
        if "-" not in code:
            place = resolver.resolve(doc[m.start : m.end].text)
            if place is None or "-" not in place.code or place.how != "state":
                continue
            before = doc[max(sentence.start, m.start - 3) : m.start].text
            after = doc[m.end : min(sentence.end, m.end + 4)].text
            if not (_STATE_BEFORE.search(before) or _STATE_AFTER.match(after)):
                continue
            code = place.code
        found.append((m, code))
    return found


def _effective_date(dates: list[ResolvedDate], sentence: Span, published: date | None = None) -> str | None:
    """The first effective date ("from 1 July", "comes into force on ...") in the sentence, else in the next
    sentence; "the law takes effect" with no date at all is the story's own day."""
    found = next((d.date for d in dates if d.kind == "effective" and sentence.start <= d.start < sentence.end), None)
    if found:
        return found
    if (
        published is not None
        and EFFECT_TODAY.search(sentence.text)
        and not STATUS_MODAL.search(sentence.text)
        and not any(sentence.start <= d.start < sentence.end and not names_a_text(sentence.doc[d.start : d.end])
                    for d in dates)
    ):
        return published.isoformat()
    doc = sentence.doc
    if sentence.end < len(doc):
        following = doc[sentence.end].sent
        return next(
            (d.date for d in dates if d.kind == "effective" and following.start <= d.start < following.end), None
        )
    return None


def _document_effective_date(dates: list[ResolvedDate], published: date | None = None) -> str | None:
    """When the event's own sentences give no date: the first date the article says something takes effect
    on ("the rules apply from 1 March"), as reports often state the change and its start in different
    sentences. Only for the event's field: status and confidence stay with the evidence sentence."""
    return next((d.date for d in dates if d.kind == "effective" and not _stale(d, published)), None)


_STALE_YEARS = 1


def _stale(resolved: ResolvedDate, published: date | None) -> bool:
    """A date in force years before the story ("the rules came into force in 2007") is background: it is no
    date to lend to an event stated elsewhere in the text."""
    return published is not None and int(resolved.date[:4]) < published.year - _STALE_YEARS


def _status(sentence: Span, cue_token: int, kind: str, effective: str | None, published: date) -> str:
    """Tense and modality from the words just before and at the cue, then the kind's default."""
    doc = sentence.doc
    before = doc[max(sentence.start, cue_token - 8) : cue_token].text
    near = doc[max(sentence.start, cue_token - 3) : cue_token].text
    at = doc[cue_token : min(sentence.end, cue_token + 4)].text
    if STATUS_REVERSED.search(f"{before} {at}"):
        return "reversed"
    if STATUS_PROPOSED.search(sentence.text) or STATUS_MODAL.search(near):
        return "proposed"
    if STATUS_ANNOUNCED.search(before):
        if effective and len(effective) == 10 and effective <= published.isoformat():
            return "in_effect"
        return "announced"
    if effective and effective > published.isoformat()[: len(effective)]:
        return "announced"  # takes effect later than the story's day
    if kind == "authority" or STATUS_IN_EFFECT.search(f"{near} {at}"):
        return "in_effect"
    return "announced"


def _token_at(sentence: Span, char_offset: int) -> int:
    target = sentence.start_char + char_offset
    span = sentence.doc.char_span(target, target + 1, alignment_mode="expand")
    return span.start if span is not None and len(span) else sentence.end
