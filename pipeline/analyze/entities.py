"""Who and where an article talks about: companies, authorities and jurisdictions, with mentions.

Sources, strongest first: gazetteer hits, then NER entities (ORG, GPE, LOC, NORP, PERSON) sorted by
the name's shape ("... Commission" is an authority, "... University" is neither). A name that is a
company anywhere in the document is one everywhere: its mentions are counted over the whole text,
including spans the NER tagged PERSON ("Zoom").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from pipeline.analyze.gazetteer import Gazetteer
from pipeline.analyze.names import (
    clean_org_name,
    looks_like_authority,
    looks_like_media,
    looks_like_non_company,
    name_key,
    plausible_company_name,
)
from pipeline.analyze.places import PlaceResolver, country_of

PLACE_LABELS = {"GPE", "LOC", "NORP"}
_STATE_ACTS_AFTER = re.compile(
    r"^\s*(?:'s\s+)?(?:state\s+)?(?:attorney general|attorneys general|ag\b|governor|gov\.|legislature|"
    r"lawmakers|"
    r"legislators|senate|assembly|house|department|officials|regulators|law|statute|sued|sues|passed|bans?\b|"
    r"banned|fined|enacted|requires|government|public utilities commission|courts?\b)",
    re.IGNORECASE,
)
_STATE_ACTS_BEFORE = re.compile(r"\b(state of|governor of|attorney general of)\s*$", re.IGNORECASE)


@dataclass
class Mention:
    start: int  # token offsets
    end: int
    kind: str  # company, authority, place, media, other, person
    name: str  # canonical name; for places the code
    code: str | None = None  # jurisdiction of a place or authority
    how: str = ""  # gazetteer, ner, text; for places name / demonym / metonym / state


@dataclass
class CompanyInfo:
    name: str
    key: str
    surfaces: Counter = field(default_factory=Counter)
    mentions: int = 0
    media: bool = False
    from_gazetteer: bool = False


@dataclass
class AuthorityInfo:
    name: str
    jurisdiction: str | None
    mentions: int = 0


@dataclass
class DocEntities:
    mentions: list[Mention]
    companies: dict[str, CompanyInfo]
    authorities: dict[str, AuthorityInfo]
    jurisdiction_counts: Counter
    main_jurisdiction: str | None

    def within(self, start: int, end: int, kinds: tuple[str, ...] | None = None) -> list[Mention]:
        return [m for m in self.mentions if m.start >= start and m.end <= end and (not kinds or m.kind in kinds)]

    def company_list(self, actors: set[str] = frozenset()) -> list[dict]:
        rows = [
            {"name": c.name, "mentions": c.mentions} for c in self.companies.values() if not c.media or c.name in actors
        ]
        return sorted(rows, key=lambda r: (-r["mentions"], r["name"]))

    def authority_list(self) -> list[dict]:
        rows = sorted(self.authorities.values(), key=lambda a: (-a.mentions, a.name))
        return [{"name": a.name, "jurisdiction": a.jurisdiction or self.main_jurisdiction} for a in rows]


def extract_entities(
    doc: Doc, gazetteer: Gazetteer, resolver: PlaceResolver, hint: str | None = None, title_end: int = 0
) -> DocEntities:
    """``title_end``: the token where a title glued to the front of the text ends (0 when there is none)."""
    mentions: list[Mention] = []
    covered: set[int] = set()
    for span in doc._.regwatch_gazetteer:
        entry = gazetteer.lookup(span.kb_id_)
        if entry is None:
            continue
        covered.update(range(span.start, span.end))
        if entry.kind == "other" and entry.subkind == "place":
            place = resolver.resolve(entry.name)
            if place:
                mentions.append(Mention(span.start, span.end, "place", place.code, place.code, place.how))
            continue
        code = entry.jurisdiction
        if entry.kind == "authority" and code is None:
            code = _place_inside(_enclosing_entity(doc, span), resolver)
        mentions.append(Mention(span.start, span.end, entry.kind, entry.name, code, "gazetteer"))

    for ent in doc.ents:
        if any(i in covered for i in range(ent.start, ent.end)):
            continue
        mentions.extend(_classify_entity(doc, ent, gazetteer, resolver))

    _resolve_generic_authorities(doc, mentions)
    companies = _collect_companies(doc, mentions, gazetteer)
    mentions = [m for m in mentions if m.kind != "company"]
    mentions.extend(_company_mentions(doc, companies, mentions, title_end))
    mentions.sort(key=lambda m: (m.start, -m.end))

    authorities: dict[str, AuthorityInfo] = {}
    counts: Counter = Counter()
    for m in mentions:
        if m.kind == "authority":
            info = authorities.setdefault(m.name, AuthorityInfo(m.name, m.code))
            info.mentions += 1
            info.jurisdiction = info.jurisdiction or m.code
        if m.kind in ("place", "authority") and m.code:
            counts[m.code] += 1
            if "-" in m.code:
                counts[country_of(m.code)] += 1
    main = main_jurisdiction(counts, mentions, hint)
    return DocEntities(mentions, companies, authorities, counts, main)


def _resolve_generic_authorities(doc: Doc, mentions: list[Mention]) -> None:
    """ "the Commission" after "the Federal Trade Commission" is the same body."""
    named = [m for m in mentions if m.kind == "authority" and m.how == "gazetteer"]
    for m in mentions:
        if m.kind != "authority" or m.how != "ner" or len(m.name.split()) > 2:
            continue
        word = m.name.split()[-1].lower()
        match = next((n for n in named if word in n.name.lower().split()), None)
        if match is not None:
            m.name, m.code = match.name, match.code or m.code


def main_jurisdiction(counts: Counter, mentions: list[Mention], hint: str | None) -> str | None:
    """The most mentioned country-level code; the source's hint breaks ties, never invents one."""
    country_counts = Counter({c: n for c, n in counts.items() if "-" not in c})
    if not country_counts:
        return None
    best = max(country_counts.values())
    tied = [c for c, n in country_counts.items() if n == best]
    if hint and hint.upper() in tied:
        return hint.upper()
    first_seen = {}
    for m in mentions:
        if m.code and m.code not in first_seen:
            first_seen[m.code] = m.start
    return min(tied, key=lambda c: first_seen.get(c, 10**9))


def _enclosing_entity(doc: Doc, span: Span) -> Span:
    for ent in doc.ents:
        if ent.start <= span.start and ent.end >= span.end:
            return ent
    return span


def _place_inside(span: Span, resolver: PlaceResolver) -> str | None:
    """A jurisdiction named inside an organisation's name: "Japan Fair Trade Commission" -> JP."""
    tokens = [t.text for t in span]
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            text = " ".join(tokens[i : i + size])
            if not text[:1].isupper():
                continue
            place = resolver.resolve(text)
            if place:
                return place.code
            state = resolver.state_code(text)
            if state:
                return state
    return None


def _trim_possessive(span: Span) -> tuple[int, int]:
    end = span.end
    while end > span.start + 1 and span.doc[end - 1].text.lower() in ("'s", "\u2019s", "'", "\u2019"):
        end -= 1
    start = span.start
    while start < end - 1 and span.doc[start].lower_ == "the":
        start += 1
    return start, end


def _classify_entity(doc: Doc, ent: Span, gazetteer: Gazetteer, resolver: PlaceResolver) -> list[Mention]:
    start, end = _trim_possessive(ent)
    label = ent.label_
    text = doc[start:end].text
    if label in PLACE_LABELS:
        return _place_mentions(doc, start, end, text, resolver)
    if label == "PERSON":
        return [Mention(start, end, "person", text, how="ner")]
    if label != "ORG":
        return []
    name = clean_org_name(text)
    entry = gazetteer.lookup(name)
    if entry is not None:
        kind = "place" if entry.subkind == "place" else entry.kind
        return [Mention(start, end, kind, entry.name, entry.jurisdiction, "gazetteer")]
    place = resolver.resolve(name)
    if place and (place.how in ("name", "metonym") or name.lower().startswith("state of")):
        return _place_mentions(doc, start, end, name, resolver)
    if looks_like_authority(name):
        return [Mention(start, end, "authority", name, _place_inside(doc[start:end], resolver), "ner")]
    if looks_like_non_company(name):
        return [Mention(start, end, "other", name, how="ner")]
    if looks_like_media(name):
        return [Mention(start, end, "media", name, how="ner")]
    if plausible_company_name(name):
        return [Mention(start, end, "company", name, how="ner")]
    return []


def _place_mentions(doc: Doc, start: int, end: int, text: str, resolver: PlaceResolver) -> list[Mention]:
    place = resolver.resolve(text)
    while place is None and end - start > 1 and doc[end - 1].is_lower:
        end -= 1  # the NER sometimes swallows the verb: "the Congo bans"
        text = doc[start:end].text
        place = resolver.resolve(text)
    if place is None:
        return []
    code = place.code
    if place.how == "state" and not text.lower().startswith("state of"):
        after = doc[end : min(len(doc), end + 4)].text
        before = doc[max(0, start - 4) : start].text
        if not (_STATE_ACTS_AFTER.search(after) or _STATE_ACTS_BEFORE.search(before)):
            code = country_of(code)
    return [Mention(start, end, "place", code, code, place.how)]


def _collect_companies(doc: Doc, mentions: list[Mention], gazetteer: Gazetteer) -> dict[str, CompanyInfo]:
    blocked = {name_key(m.name) for m in mentions if m.kind in ("authority", "place", "other")}
    person_tails = {doc[i].text for m in mentions if m.kind == "person" for i in range(m.start, m.end)}
    companies: dict[str, CompanyInfo] = {}
    for m in mentions:
        if m.kind not in ("company", "media"):
            continue
        surface = clean_org_name(doc[m.start : m.end].text)
        entry = gazetteer.lookup(m.name) if m.how == "gazetteer" else None
        if entry is None and m.kind == "company" and (surface in person_tails or name_key(surface) in blocked):
            continue
        key = name_key(entry.name if entry else m.name)
        if not key:
            continue
        info = companies.get(key)
        if info is None:
            info = companies[key] = CompanyInfo(entry.name if entry else m.name, key, media=m.kind == "media")
        info.from_gazetteer = info.from_gazetteer or entry is not None
        info.surfaces[surface] += 1
        if entry is not None:
            for alias in entry.names:
                info.surfaces.setdefault(alias, 0)
    _merge_prefixes(companies)
    _merge_abbreviations(doc.text, companies)
    return companies


def _merge_abbreviations(text: str, companies: dict[str, CompanyInfo]) -> None:
    """ "Dun & Bradstreet (D&B)": the abbreviation is another surface of the same company."""
    for key, info in list(companies.items()):
        if key not in companies:
            continue
        for surface in [s for s in info.surfaces if len(s) > 3]:
            for match in re.finditer(
                re.escape(surface) + r"(?:,?\s+[A-Za-z]{2,4}\.?)?\s*\(([A-Z][\w&.\-]{1,12})\)", text
            ):
                abbreviation = match.group(1)
                info.surfaces[abbreviation] += 0
                other = name_key(abbreviation)
                if other != key and other in companies:
                    info.surfaces.update(companies.pop(other).surfaces)


def _merge_prefixes(companies: dict[str, CompanyInfo]) -> None:
    """ "Live Nation Entertainment" folds into "Live Nation" when both appear."""
    for key in sorted(companies, key=len, reverse=True):
        words = key.split()
        for size in range(len(words) - 1, 0, -1):
            shorter = " ".join(words[:size])
            if shorter in companies and shorter != key:
                target = companies[shorter]
                target.surfaces.update(companies[key].surfaces)
                target.from_gazetteer = target.from_gazetteer or companies[key].from_gazetteer
                del companies[key]
                break


def _company_mentions(
    doc: Doc, companies: dict[str, CompanyInfo], others: list[Mention], title_end: int = 0
) -> list[Mention]:
    """Counts every occurrence of each company's surface forms, whatever the NER called it.

    A name found only in a title-case headline ("... Scheme Operators Results") is dropped.
    """
    occupied = set()
    for m in others:
        if m.kind in ("authority", "place", "other"):
            occupied.update(range(m.start, m.end))
    text = doc.text
    found: list[Mention] = []
    for key, info in list(companies.items()):
        surfaces = sorted({s for s in info.surfaces if len(s) > 1}, key=len, reverse=True)
        if not surfaces:
            continue
        pattern = re.compile(r"(?<![\w&])(?:" + "|".join(re.escape(s) for s in surfaces) + r")(?![\w&])")
        seen: Counter = Counter()
        spans: list[Span] = []
        for match in pattern.finditer(text):
            span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is None or any(i in occupied for i in range(span.start, span.end)):
                continue
            seen[match.group(0)] += 1
            spans.append(span)
        if title_end and not info.from_gazetteer and spans and all(s.end <= title_end for s in spans):
            del companies[key]
            continue
        info.mentions = sum(seen.values()) or sum(info.surfaces.values())
        info.name = _display_name(info, seen)
        kind = "media" if info.media else "company"
        found.extend(Mention(s.start, s.end, kind, info.name, how="text") for s in spans)
    return found


def _display_name(info: CompanyInfo, seen: Counter) -> str:
    if info.from_gazetteer and (seen.get(info.name) or not seen):
        return info.name
    counts = seen or info.surfaces
    best = max(counts.items(), key=lambda kv: (info.surfaces.get(kv[0], 0) > 0, kv[1], len(kv[0])))[0]
    return clean_org_name(best)
