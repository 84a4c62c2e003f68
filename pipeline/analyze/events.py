"""Policy-change events: cue patterns per sentence, then actor, jurisdictions, date and status.

Light on syntax on purpose (no parser in the pipeline): the actor is the company or authority named
nearest before the cue (a company must precede it; an authority may follow, as in the passive),
else a pronoun or "the government" resolved to the article's main company or authority.
"""

from __future__ import annotations

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
from pipeline.analyze.dates import ResolvedDate
from pipeline.analyze.entities import DocEntities, Mention
from pipeline.analyze.places import jurisdiction_name

MIN_CONFIDENCE = 0.5
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


def title_types(title: str | None) -> set[str]:
    """Event types whose cues appear in the title: support for the same type in the body."""
    if not title:
        return set()
    return {cue.type for cue in CUES if cue.strength >= 0.6 and cue.pattern.search(title)}


def find_cues(sentence: Span, entities: DocEntities) -> list[tuple[Cue, int]]:
    """The strongest matching cue per type, with the token index where it starts."""
    text = sentence.text
    has_money = bool(MONEY.search(text)) or any(e.label_ == "MONEY" for e in sentence.ents)
    places = entities.within(sentence.start, sentence.end, ("place",))
    best: dict[str, tuple[Cue, int]] = {}
    for cue in CUES:
        match = cue.pattern.search(text)
        if match is None:
            continue
        token = _token_at(sentence, match.start())
        cue_end = _token_at(sentence, max(match.start(), match.end() - 1))
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
                best.pop(other, None)
    return list(best.values())


def extract_events(
    doc: Doc,
    entities: DocEntities,
    dates: list[ResolvedDate],
    published: date,
    title: str | None = None,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Event]:
    supported = title_types(title)
    main_company = _main(entities, "company")
    main_authority = _main(entities, "authority")
    title_text = " ".join(title.split()) if title else None
    events: list[Event] = []
    for index, sentence in enumerate(doc.sents):
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
    return sorted(merged.values(), key=lambda e: (-e.confidence, e.sentence_index))


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
) -> Event | None:
    kind = EVENT_TYPES[cue.type]
    actor = _find_actor(kind, cue_token, sentence, entities, main_company, main_authority)
    if actor is None or (not actor.in_sentence and cue.strength < 1.0):
        return None
    jurisdictions = _event_jurisdictions(kind, actor, cue_token, sentence, entities)
    effective = next(
        (d.date for d in dates if d.kind == "effective" and sentence.start <= d.start < sentence.end), None
    )
    status = _status(sentence, cue_token, kind, effective, published)
    confidence = 0.25 + 0.35 * cue.strength
    confidence -= 0.15 if QUOTE_START.search(sentence.text) else 0.0
    confidence += 0.15 if actor.in_sentence else 0.0
    confidence += 0.1 if cue.type in supported else 0.0
    confidence += 0.05 if effective else 0.0
    confidence += 0.05 if index < 3 else 0.0
    confidence += 0.05 if any(m.kind == "place" for m in entities.within(sentence.start, sentence.end)) else 0.0
    return Event(
        type=cue.type,
        actor=actor.name,
        actor_kind=kind,
        jurisdictions=jurisdictions,
        effective_date=effective,
        status=status,
        confidence=min(0.99, confidence),
        evidence=" ".join(sentence.text.split()),
        sentence_index=index,
        cue_strength=cue.strength,
    )


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
    authorities = [m for m in in_sentence if m.kind == "authority"]
    before = [m for m in authorities if m.end <= cue_token]
    chosen = before[-1] if before else (authorities[0] if authorities else None)
    if chosen is not None:
        code = (
            chosen.code
            or entities.authorities.get(chosen.name, None)
            and entities.authorities[chosen.name].jurisdiction
        )
        return _Actor(chosen.name, "authority", code or entities.main_jurisdiction, chosen.start, chosen.end, True)
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


def _place_government(sentence: Span, cue_token: int, in_sentence: list[Mention]) -> _Actor | None:
    """A place acting as its government: "India bans ...", "Chinese regulators ...", "Beijing ordered ..."."""
    doc = sentence.doc
    for m in reversed([m for m in in_sentence if m.kind == "place" and m.end <= cue_token]):
        gap = doc[m.end : cue_token].text
        subject = m.start - sentence.start <= 1 and cue_token - m.end <= 2 * _PLACE_ACTOR_GAP
        if cue_token - m.end <= _PLACE_ACTOR_GAP or subject or GOVERNMENT_WORDS.match(gap.lstrip("'s ").strip()):
            if m.how == "demonym" and not GOVERNMENT_WORDS.search(gap):
                continue
            return _Actor(_government_name(m.code), "authority", m.code, m.start, m.end, True)
    return None


def _government_name(code: str) -> str:
    if code == "EU":
        return "European Union"
    return f"Government of {jurisdiction_name(code)}"


def _event_jurisdictions(kind: str, actor: _Actor, cue_token: int, sentence: Span, entities: DocEntities) -> list[str]:
    if kind == "authority" and actor.code:
        return [actor.code]
    places = [
        m for m in entities.within(sentence.start, sentence.end, ("place",)) if not (actor.start <= m.start < actor.end)
    ]
    doc = sentence.doc
    introduced = [m for m in places if m.start > 0 and doc[m.start - 1].lower_ in _PREPOSITIONS]
    named = [m for m in places if m.how != "demonym"]
    after = [m for m in places if m.start >= cue_token]
    chosen = [m for m in after if m in introduced] or [m for m in after if m in named] or introduced or named or places
    codes = list(dict.fromkeys(m.code for m in chosen if m.code))
    if codes:
        return codes
    if actor.code:
        return [actor.code]
    return [entities.main_jurisdiction] if entities.main_jurisdiction else []


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
    if kind == "authority" or STATUS_IN_EFFECT.search(f"{near} {at}"):
        return "in_effect"
    return "announced"


def _token_at(sentence: Span, char_offset: int) -> int:
    target = sentence.start_char + char_offset
    span = sentence.doc.char_span(target, target + 1, alignment_mode="expand")
    return span.start if span is not None and len(span) else sentence.end
