"""Who and where an article talks about: companies, authorities and jurisdictions, with mentions.

Candidates, strongest first: gazetteer hits; NER entities (ORG, PRODUCT, PERSON, GPE, LOC, NORP) sorted by
the name's shape ("... Commission" is an authority, "... University" is neither, "iPod" is a product);
names followed by a legal form ("Click Profit, LLC"); names the article calls a business ("e-commerce
company Coupang"). The NER's errors are repaired on the way: two names it merged are split ("A and B"),
a leading demonym is a place of its own ("Japanese Nippon Steel"), a country it calls a person is a place,
a known company inside a person's name is that person ("Jacqueline Ford"), a longer name of a known company
is another company ("Apple Corps"), a maker before its product is the company ("Mozilla Firefox").

A candidate is kept only with evidence that it is a business (see ``_company_evidence``), and a name that
is a company anywhere in the document is one everywhere: its mentions are counted over the whole text,
including spans the NER tagged PERSON ("Zoom").
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from pipeline.analyze.company_model import CompanyModel
from pipeline.analyze.company_model import candidate_features as company_features
from pipeline.analyze.company_model import candidate_words as company_words
from pipeline.analyze.gazetteer import Gazetteer
from pipeline.analyze.names import (
    CORPORATE_WORDS,
    LEGAL_SUFFIX_WORDS,
    balanced,
    clean_org_name,
    looks_like_authority,
    looks_like_business,
    looks_like_media,
    looks_like_non_company,
    looks_like_product,
    name_key,
    plausible_company_name,
)
from pipeline.analyze.places import Place, PlaceResolver, country_of, jurisdiction_name
from pipeline.analyze.sents import doc_text
from pipeline.analyze.sents import sentences as sentences_of

PLACE_LABELS = {"GPE", "LOC", "NORP"}
_STATE_ACTS_AFTER = re.compile(
    r"^\s*(?:'s\s+)?(?:state\s+)?(?:attorney general|attorneys general|ag\b|governor|gov\.|legislature|"
    r"lawmakers|"
    r"legislators|senate|assembly|house|department|officials|regulators|law|statute|sued|sues|passed|passes|bans?\b|"
    r"banned|fined|enacted|requires|government|public utilities commission|courts?\b|premier|provincial|"
    r"parliament|regional government|state government|ministry|minister)",
    re.IGNORECASE,
)
_GOVERNMENT_IN_NAME = re.compile(r"\s(government|legislature|parliament|assembly)$", re.IGNORECASE)
# "the State of Texas sued" is the state acting; "the U.S. state of South Carolina" only says where.
_STATE_ACTS_BEFORE = re.compile(r"(\bState of|\b[Gg]overnor of|\b[Aa]ttorney [Gg]eneral of|\b[Pp]remier of)\s*$")


@dataclass
class Mention:
    start: int  # token offsets
    end: int
    kind: str  # company, authority, place, media, other, person
    name: str  # canonical name; for places the code
    code: str | None = None  # jurisdiction of a place or authority
    how: str = ""  # gazetteer, ner, text; for places name / demonym / metonym / state
    key: str = ""  # for company mentions: the key of the company in DocEntities.companies


@dataclass
class CompanyInfo:
    name: str
    key: str
    surfaces: Counter = field(default_factory=Counter)
    mentions: int = 0
    media: bool = False
    from_gazetteer: bool = False
    hows: Counter = field(default_factory=Counter)  # where the candidate came from: gazetteer, ner, suffix, maker, ...


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
    # every candidate, tentative ones too, before the company model's cut: (name, features, words), for training
    company_candidates: list[tuple[str, list[float], list[str]]] = field(default_factory=list)

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
    doc: Doc,
    gazetteer: Gazetteer,
    resolver: PlaceResolver,
    hint: str | None = None,
    title_end: int = 0,
    company_model: CompanyModel | None = None,
) -> DocEntities:
    """``title_end``: the token where a title glued to the front of the text ends (0 when there is none).
    ``company_model``: the trained cut over candidates with evidence (none: the evidence alone decides)."""
    mentions: list[Mention] = []
    covered: set[int] = set()
    surnames: set[str] = set()  # known companies named as a person's surname ("Ilir Meta")
    ents = doc.ents
    headline_case = bool(title_end) and _title_case(doc, title_end)
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
        maker = _maker_of_product(doc, span, entry, gazetteer)
        if maker is not None:  # "Boeing 787", "Mozilla Firefox": the maker named in the product's name
            mentions.append(Mention(span.start, maker, "company", gazetteer.lookup(doc[span.start : maker].text).name,
                                    how="gazetteer"))
            mentions.append(Mention(maker, span.end, "other", entry.name, how="product"))
            continue
        code = entry.jurisdiction
        host = _enclosing_entity(doc, span, ents)
        if entry.kind == "authority" and code is None:
            code = _place_inside(host, resolver)
        if entry.subkind == "person" and host.label_ in _NAMED_THINGS and len(host) > len(span):
            code = None  # "Trump Tower Belgrade" is no US place
        if entry.kind == "authority" and host.label_ == "PERSON" and len(host) > len(span) and not span.text.isupper():
            covered.difference_update(range(span.start, span.end))
            continue  # "president Duma Boko" names no parliament
        if entry.kind == "company" and _hyphen_joined(doc, span):
            covered.difference_update(range(span.start, span.end))
            continue  # "Southend-on-Sea" names no Sea, "Stratford-upon-Avon" no Avon
        if entry.kind == "company" and host is not span:
            if host.label_ == "PERSON" and host.start < span.start:  # "Jacqueline Ford" is not Ford
                covered.difference_update(range(span.start, span.end))
                surnames.add(entry.name)
                continue
            longer = _longer_company(doc, span, host, gazetteer)
            if longer is not None:
                covered.update(range(longer.start, longer.end))
                name = clean_org_name(longer.text)
                mentions.append(Mention(longer.start, longer.end, "company", name, how="extended"))
                continue
        if (
            entry.kind == "company"
            and entry.ambiguous
            and (span.start >= title_end or not headline_case)
            and _inside_longer_name(doc, span)
        ):
            covered.difference_update(range(span.start, span.end))
            continue  # "Target Unit", "Server Message Block": a common word inside another name
        if entry.kind == "authority" and code is not None:
            lead = _foreign_lead(doc, span, resolver, code)
            if lead is not None:  # "the Philippine Department of Transportation" is no US agency
                mentions.append(Mention(span.start, span.end, "authority", f"{jurisdiction_name(lead)} {span.text}",
                                        lead, "gazetteer"))
                continue
        if entry.kind == "company" and span.end < len(doc) and doc[span.end].lower_ in ("force", "forces"):
            covered.difference_update(range(span.start, span.end))
            continue  # "the Iran Air Force" is no airline
        mentions.append(Mention(span.start, span.end, entry.kind, entry.name, code, "gazetteer"))
        if entry.kind == "company" and host.start < span.start:  # "Japanese Nippon Steel"
            lead = resolver.resolve(doc[span.start - 1].text)
            if lead is not None and lead.how == "demonym":
                mentions.append(Mention(span.start - 1, span.start, "place", lead.code, lead.code, lead.how))

    for ent in ents:
        if any(i in covered for i in range(ent.start, ent.end)):
            continue
        mentions.extend(_classify_entity(doc, ent, gazetteer, resolver))
    mentions.extend(_unseen_countries(doc, mentions, covered, resolver))
    text = doc_text(doc)
    mentions.extend(_suffixed_names(doc, text, mentions, covered))
    mentions.extend(_cued_names(doc, text, mentions, covered, gazetteer, resolver))
    mentions.extend(_described_after(doc, text, mentions, covered, gazetteer, resolver))
    mentions.extend(_acting_names(doc, mentions, covered, gazetteer, resolver))
    mentions.extend(_capitalised_names(doc, mentions, covered, gazetteer, resolver))

    _resolve_generic_authorities(doc, mentions)
    companies = _collect_companies(doc, text, mentions, gazetteer)
    mentions = [m for m in mentions if m.kind != "company"]
    found = _company_mentions(doc, text, companies, mentions, title_end)
    _media_as_participants(doc, text, companies, found)
    evidence, tentative = _company_evidence(doc, text, companies, found)
    for key in [k for k, info in companies.items() if info.name in surnames and evidence.get(k, set()) <= _BARE]:
        evidence.pop(key, None)  # "Ilir Meta ... Meta denies": the person again, not the company
        tentative.pop(key, None)
    for key in [k for k in companies if k not in evidence and k not in tentative]:
        del companies[key]
    candidates = _score_companies(doc, text, companies, found, evidence, tentative, title_end, company_model)
    mentions.extend(m for m in found if m.key in companies)
    mentions.sort(key=lambda m: (m.start, -m.end))

    _us_states_named_like_countries(doc, mentions, resolver)
    mentions = _drop_stray_regions(doc, mentions)
    _generic_bodies_elsewhere(doc, mentions, resolver)
    authorities: dict[str, AuthorityInfo] = {}
    counts: Counter = Counter()
    for m in mentions:
        if m.kind == "authority":
            info = authorities.setdefault(m.name, AuthorityInfo(m.name, m.code))
            info.mentions += 1
            info.jurisdiction = info.jurisdiction or m.code
        if m.kind in ("place", "authority", "other") and m.code:
            counts[m.code] += 1
            if "-" in m.code:
                counts[country_of(m.code)] += 1
    main = main_jurisdiction(counts, mentions, hint)
    return DocEntities(mentions, companies, authorities, counts, main, candidates)


def _score_companies(
    doc: Doc,
    text: str,
    companies: dict[str, CompanyInfo],
    found: list[Mention],
    evidence: dict[str, set[str]],
    tentative: dict[str, set[str]],
    title_end: int,
    model: CompanyModel | None,
) -> list[tuple[str, list[float], list[str]]]:
    """Features of every business candidate (media outlets aside), tentative ones too; drops those the model
    finds unlikely, and the tentative ones unless a model with lexical weights keeps them."""
    spans: dict[str, list[Span]] = {}
    for m in found:
        spans.setdefault(m.key, []).append(doc[m.start : m.end])
    keys = [k for k, info in companies.items() if not info.media]
    total = sum(len(spans.get(k, [])) for k in keys)
    scored = []
    for key in keys:
        info = companies[key]
        unsure = key in tentative
        features = company_features(doc, text, info.name, info.hows, evidence.get(key) or tentative.get(key, set()),
                                    spans.get(key, []), total, len(keys), title_end, unsure)
        words = company_words(doc, info.name, spans.get(key, []))
        scored.append((info.name, features, words))
        if unsure and (model is None or not model.judges_tentative):
            keep = False  # the rules alone never keep a tentative candidate
        else:
            keep = model is None or model.probability(features, words) >= model.threshold
        if not keep:
            del companies[key]
    return scored


def _written_before(doc: Doc, start: int, resolver: PlaceResolver) -> Iterator[tuple[int, Place]]:
    """The places written just before token ``start`` (past a possessive "'s"), longest first, with the token
    each begins at."""
    end = start - 1 if start and doc[start - 1].text in ("'s", "\u2019s") else start
    for width in (3, 2, 1):
        if end - width >= 0 and (place := resolver.resolve(doc[end - width : end].text)) is not None:
            yield end - width, place


def _foreign_lead(doc: Doc, span: Span, resolver: PlaceResolver, code: str) -> str | None:
    """The place written just before an agency's generic name when it is not the agency's own: "Kenya's
    Department of Health", "the Philippine Department of Transportation", "California Department of Justice"."""
    for begin, place in _written_before(doc, span.start, resolver):
        if begin > 0 and doc[begin - 1].text[:1].isupper():
            continue  # part of a longer name
        if place.how in ("name", "demonym", "state"):
            return place.code if place.code != code else None
    # or just after it: "the House of Representatives of Libya"
    start = span.end + 1 if span.end < len(doc) and doc[span.end].lower_ == "of" else None
    if start is not None and start < len(doc) and doc[start].lower_ == "the":
        start += 1
    for width in (3, 2, 1) if start is not None else ():
        if start + width > len(doc) or (start + width < len(doc) and doc[start + width].text[:1].isupper()):
            continue
        place = resolver.resolve(doc[start : start + width].text)
        if place is not None and place.how in ("name", "state"):
            return place.code if place.code != code else None
    return None


def _us_states_named_like_countries(doc: Doc, mentions: list[Mention], resolver: PlaceResolver) -> None:
    """A country whose name is also a US state's ("Georgia") is the country, unless the story is otherwise set in
    the United States (a US place, state or authority) and nothing else in it points to the country (Tbilisi,
    "Georgian"): then it is the state ("a Hyundai plant in Georgia", "ICE agents in Georgia")."""
    named = [(m, state) for m in mentions if m.kind == "place" and m.code and country_of(m.code) != "US"
             and (state := resolver.state_code(doc[m.start:m.end].text))]
    if not named:
        return
    others = [m for m in mentions if m.code and m.kind in ("place", "authority") and all(m is not n for n, _ in named)]
    if not any(country_of(m.code) == "US" for m in others):
        return
    for m, state in named:
        if not any(o.code == m.code for o in others):
            code = _state_or_country(doc, m.start, m.end, doc[m.start:m.end].text, state)
            m.name, m.code, m.how = code, code, "state"


# Names that many countries give their bodies: the gazetteer's one (the US Congress for "House of Representatives")
# only when the story is set there too.
_GENERIC_BODIES = frozenset({
    "congress", "house of representatives", "department of justice", "justice department", "department of commerce",
    "commerce department", "treasury department", "department of the treasury", "department of state",
    "state department", "department of defense", "defense department", "department of homeland security",
    "department of telecommunications", "financial services commission", "competition bureau",
    "commerce commission", "data protection commission", "general court",
})


def _generic_bodies_elsewhere(doc: Doc, mentions: list[Mention], resolver: PlaceResolver) -> None:
    """A body known by a name many countries use, in a story whose places are all elsewhere, is not the
    gazetteer's: "Japanese voters elect the House of Representatives" is Japan's house, not the US Congress.
    With one country named it is that country's; with several, nobody's in particular. A body whose country
    is written just before it ("the United States Department of State") keeps it."""
    countries = {country_of(m.code) for m in mentions if m.kind == "place" and m.code and m.code != "EU"}
    if not countries:
        return
    for m in mentions:
        if m.kind != "authority" or m.how != "gazetteer" or not m.code or country_of(m.code) in countries:
            continue
        surface = doc[m.start : m.end].text
        if surface.lower().removeprefix("the ") not in _GENERIC_BODIES:
            continue
        if next(_written_before(doc, m.start, resolver), None) is not None:
            continue
        m.code = next(iter(countries)) if len(countries) == 1 else None
        m.name = f"{jurisdiction_name(m.code)} {surface}" if m.code else surface


# Entities that can carry a person's name without being the person: "Trump Tower", "the Trump Organization".
_NAMED_THINGS = frozenset({"ORG", "FAC", "PRODUCT", "WORK_OF_ART"})


def _drop_stray_regions(doc: Doc, mentions: list[Mention]) -> list[Mention]:
    """A province or region of a country that is no federation (ISO 3166-2, counted as its country) is a place of
    the story only when it is a place the NER saw as one, and its country is named elsewhere in the story or no
    other country is: "Portland" among US cities is no Jamaican parish, "the Red Sea" (a sea) no Sudanese state."""
    regions = [m for m in mentions if m.kind == "place" and m.how == "region"]
    if not regions:
        return mentions
    others = [m for m in mentions
              if m.code and m.code != "EU" and m.kind in ("place", "authority") and m.how != "region"]
    drop = [m for m in regions
            if doc[m.start].ent_type_ == "LOC" or (others and not any(country_of(o.code) == m.code for o in others))]
    return [m for m in mentions if all(m is not d for d in drop)]


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


def _maker_of_product(doc: Doc, span: Span, entry, gazetteer: Gazetteer) -> int | None:
    """Where the product's own name starts after a known company's name ("Boeing | 787"), if it does."""
    if entry.kind != "other" or entry.subkind != "product":
        return None
    for i in range(span.end - 1, span.start, -1):
        maker = gazetteer.lookup(doc[span.start : i].text)
        if maker is not None and maker.kind == "company" and doc[span.start].text[:1].isupper():
            return i
    return None


def _common_word(doc: Doc, token) -> bool:
    """Does the article also write this capitalised word in lower case (a plain word, not a name)?"""
    word = token.lower_
    return word.isalpha() and any(t.text == word for t in doc)


def _title_case(doc: Doc, end: int) -> bool:
    """Is the title (tokens before ``end``) written in Title Case, so capitals say nothing about names?"""
    words = [t for t in doc[:end] if t.is_alpha and len(t) > 3]
    return bool(words) and sum(t.text[:1].isupper() for t in words) >= 0.7 * len(words)


# Evidence that a known company is meant which a person's surname also has: the gazetteer and the NER.
_BARE = frozenset({"gazetteer", "ner"})


def _hyphen_joined(doc: Doc, span: Span) -> bool:
    """Is the name the end of a place's hyphenated name, glued to a lower-case word before it
    ("Southend-on-Sea", "Stratford-upon-Avon")? Not "Renault-Nissan" or "Google-owned"."""
    if span.start < 2:
        return False
    hyphen, word = doc[span.start - 1], doc[span.start - 2]
    return hyphen.text == "-" and not hyphen.whitespace_ and not word.whitespace_ and word.is_lower


def _inside_longer_name(doc: Doc, span: Span) -> bool:
    """Is a one-word ambiguous company name ("Target", "Visa", "Block") glued to other capitalised words
    that are not a legal form, a product or a role ("Target Unit", "Diversity Immigrant Visa")?"""
    if len(span) != 1:
        return False
    before = doc[span.start - 1] if span.start > 0 else None
    if (
        before is not None
        and before.is_alpha
        and before.text[:1].isupper()
        and not before.is_sent_start
        and before.ent_type_ not in PLACE_LABELS
        and before.lower_ not in _NOT_A_NAME
    ):
        return True
    after = doc[span.end] if span.end < len(doc) else None
    if after is None or not after.is_alpha or not after.text[:1].isupper() or after.is_sent_start:
        return False
    word = after.lower_
    return not (
        word in _GENERIC_EXTENSIONS
        or word in _SUFFIX_KEYS
        or word in _PRODUCT_WORDS
        or (word in _ROLE_WORDS and word != "unit")  # "Target Unit" names a unit, "Target Chief" a person
        or after.text.isupper()
        or after.ent_type_ in PLACE_LABELS
    )


def _enclosing_entity(doc: Doc, span: Span, ents: tuple[Span, ...] | None = None) -> Span:
    for ent in ents if ents is not None else doc.ents:
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
    if label == "FAC" and (place := resolver.resolve(text)) is not None and place.how in ("name", "demonym"):
        return _place_mentions(doc, start, end, text, resolver)  # "The Vatican announces ..." (tagged a building)
    if label == "FAC" and _PUBLIC_BODY.search(text) and (code := _place_inside(doc[start:end], resolver)):
        return [Mention(start, end, "other", text, code, how="ner")]  # "the U.S. Embassy in Tel Aviv"
    if label in ("PERSON", "ORG"):
        place = resolver.resolve(text)  # the NER calls "Burkina Faso" and "Mali" people now and then
        if (
            place
            and place.how in ("name", "metonym", "state")
            and not resolver.also_given_name(text)
            and (label == "ORG" or place.how != "metonym")
        ):
            return _place_mentions(doc, start, end, text, resolver)
        if place and place.how == "demonym" and (end - start == 1 or all(t.is_title for t in doc[start:end])):
            # "the Ugandan parliament" (ORG), "Moldovan police" (PERSON): a people's name alone is its country's
            return [Mention(start, end, "place", place.code, place.code, place.how)]
    if label == "PERSON" and not (looks_like_business(text) and not looks_like_non_company(text)):
        return [Mention(start, end, "person", text, how="ner")]  # but "Velesk Holdings" is a business
    if label not in ("ORG", "PRODUCT", "PERSON"):
        return []
    return _classify_org(doc, start, end, gazetteer, resolver, label)


def _classify_org(
    doc: Doc, start: int, end: int, gazetteer: Gazetteer, resolver: PlaceResolver, label: str = "ORG"
) -> list[Mention]:
    for i in range(end - 2, start - 1, -1):  # "Crypto exchange Tesserine": the name follows the description
        if _DESCRIPTION.fullmatch(doc[i].text) and doc[i + 1].text[:1].isupper():
            start = i + 1
            break
    for i in range(start + 1, end - 1):  # "the Vantor Farm in Cabixi": where it is, not part of the name
        if doc[i].text in ("in", "at") and all(t.text[:1].isupper() for t in doc[i + 1 : end]):
            end = i
            break
    name = balanced(clean_org_name(doc[start:end].text))
    if not name:
        return []
    entry = gazetteer.lookup(name)
    if entry is not None and name.islower() and not any(a.islower() for a in entry.names):
        return []  # "micron" the unit is not Micron, "british steel" not British Steel
    if entry is not None:
        kind = "place" if entry.subkind == "place" else entry.kind
        return [Mention(start, end, kind, entry.name, entry.jurisdiction, "gazetteer")]
    if label == "PRODUCT" or looks_like_product(name):
        return [Mention(start, end, "other", name, how="product")]
    place = resolver.resolve(name)
    if place and (place.how in ("name", "metonym", "state") or name.lower().startswith("state of")):
        return _place_mentions(doc, start, end, name, resolver)
    if looks_like_authority(name):
        return [Mention(start, end, "authority", name, _place_inside(doc[start:end], resolver), "ner")]
    lead = resolver.resolve(doc[start].text) if end - start > 1 else None
    if (
        lead is not None
        and lead.how == "demonym"
        and not CORPORATE_WORDS.fullmatch(doc[start + 1 : end].text)
        and not _common_word(doc, doc[start + 1])  # "American Tax Solutions" is one name, "tax" a word
    ):
        # "Japanese Nippon Steel": the demonym is a place of its own, the rest the name
        rest = _classify_org(doc, start + 1, end, gazetteer, resolver)
        return [Mention(start, start + 1, "place", lead.code, lead.code, lead.how), *rest]
    if looks_like_non_company(name):
        code = _place_inside(doc[start:end], resolver) if _PUBLIC_BODY.search(name) else None
        return [Mention(start, end, "other", name, code, how="ner")]
    if looks_like_media(name):
        return [Mention(start, end, "media", name, how="ner")]
    parts = _coordinated_parts(doc, start, end, gazetteer)
    if parts:
        return [m for a, b in parts for m in _classify_org(doc, a, b, gazetteer, resolver)]
    product = _maker_and_product(doc, start, end, gazetteer)
    if product is not None:
        return [Mention(start, product, "company", clean_org_name(doc[start:product].text), how="maker"),
                Mention(product, end, "other", doc[product:end].text, how="product")]
    if plausible_company_name(name):
        return [Mention(start, end, "company", name, how="ner")]
    return []


# Public bodies whose nationality is a jurisdiction that acts: "Royal Australian Navy", "Tanzanian police".
_PUBLIC_BODY = re.compile(
    r"\b(army|navy|air force|military|armed forces|forces|guard|police|coast guard|command|embassy|consulate|"
    r"mep|mp|minister|president|"
    r"prime minister|parliament|government|cabinet|taoiseach|senator|governor|mayor|judge)\b",
    re.IGNORECASE,
)
_PRODUCT_WORDS = frozenset(
    {
        "search", "store", "music", "maps", "prime", "office", "pay", "cloud", "drive", "play", "tv", "video", "mail",
        "messenger", "chat", "assistant", "browser", "phone", "watch", "pro", "plus", "max", "mini", "air", "touch",
        "app", "apps", "os", "windows", "explorer", "firefox", "chrome", "android", "ios", "kindle", "echo", "alexa",
        "xbox", "playstation", "galaxy", "pixel", "copilot", "gemini", "bard", "siri", "photos", "news", "books",
        "translate", "ads", "adwords", "marketplace", "live", "analytics", "azure", "aws", "teams", "outlook", "bing",
        "flight", "flights",  # not products, but no longer company either: "American Airlines Flight 292"
    }
)
_SUFFIX_KEYS = frozenset(w.replace(".", "") for w in LEGAL_SUFFIX_WORDS)
_ROLE_WORDS = frozenset(
    {
        "executive", "executives", "vice", "president", "chief", "director", "directors", "spokesman", "spokeswoman",
        "spokesperson", "analyst", "analysts", "shares", "stock", "board", "ceo", "chairman", "founder", "employees",
        "workers", "users", "customers", "chair", "manager", "engineer", "engineers", "staff", "unit", "investors",
    }
)
_GENERIC_EXTENSIONS = frozenset(
    {
        "group", "holding", "holdings", "company", "co", "corporation", "corp", "inc", "international", "technologies",
        "technology", "motor", "motors", "electronics", "platforms", "communications", "systems", "networks",
        "industries", "enterprises", "services", "worldwide", "global", "entertainment", "partners"
    }
)


def _coordinated_parts(doc: Doc, start: int, end: int, gazetteer: Gazetteer) -> list[tuple[int, int]]:
    """ "Suirui Zhumu Video Conference and Systec Umeet": two names the NER merged into one.

    Split at "and", "&" or commas when every part starts with a capital, and either each part has two
    words or more (so "Procter and Gamble" stays whole) or a one-word part is a known name.
    """
    cuts = [i for i in range(start + 1, end - 1) if doc[i].lower_ in ("and", ",", "&", "or")]
    if not cuts:
        return []
    parts, left = [], start
    for i in cuts:
        if i > left:
            parts.append((left, i))
        left = i + 1
    parts.append((left, end))
    if len(parts) < 2:
        return []
    for a, b in parts:
        if b <= a or not doc[a].text[:1].isupper():
            return []
        if b - a == 1 and gazetteer.lookup(doc[a].text) is None:
            return []
    return parts


def _maker_and_product(doc: Doc, start: int, end: int, gazetteer: Gazetteer) -> int | None:
    """ "Mozilla Firefox", "Rolls-Royce Trent 900": a maker's name then its product (returns where it starts)."""
    for i in range(start + 1, end):
        entry = gazetteer.lookup(doc[i:end].text)
        if entry is not None and entry.kind == "other" and entry.subkind == "product":
            return i
        if doc[i].like_num and i > start + 1:  # a model number: "Trent 900"
            return i - 1
    return None


def _longer_company(doc: Doc, span: Span, host: Span, gazetteer: Gazetteer) -> Span | None:
    """ "Daimler Truck", "Apple Corps": an ORG the NER found that extends a known company's name is another company.

    Not when the extension is a legal form or generic word ("Toyota Motor Corp"), or a product ("Google Maps").
    """
    if host.label_ != "ORG" or host.end <= span.end:
        return None
    start = host.start + (1 if host[0].lower_ == "the" else 0)
    if start != span.start:
        return None
    tail = [t for t in doc[span.end : host.end] if t.text not in ("'s", "\u2019s")]
    if not tail or any(not (t.text[:1].isupper() or t.like_num) for t in tail):
        return None
    words = [t.lower_.replace(".", "") for t in tail]
    if all(w in _GENERIC_EXTENSIONS or w in _SUFFIX_KEYS for w in words):
        return None
    if any(w in _PRODUCT_WORDS or w in _ROLE_WORDS for w in words) or looks_like_product(tail[0].text):
        return None
    if any(t.like_num or any(ch.isdigit() for ch in t.text) for t in tail):  # a model: "Trent 900"
        return None
    rest = gazetteer.lookup(" ".join(t.text for t in tail))
    if rest is not None:
        return None
    longer = doc[span.start : span.start + (host.end - span.start) - (len(doc[span.end : host.end]) - len(tail))]
    if looks_like_authority(longer.text) or looks_like_non_company(longer.text):
        return None  # "Meta Department" is a Colombian region, "Ford Foundation" no business
    return longer


_SUFFIXED = re.compile(
    r"(?<![\w&.'\-])((?:[A-Z0-9][\w&'.\-]*)(?: (?:[A-Z0-9][\w&'.\-]*|of|&|de|du|la|van|von|der|for)){0,5}?)"
    r",? (Inc|Incorporated|Corp|Corporation|Ltd|Limited|LLC|L\.L\.C|LLP|PLC|plc|GmbH|S\.A|N\.V|B\.V|Pty|Pte|"
    r"S\.p\.A|SpA|K\.K|Co)(?![\w\-])\.?"
)


# Nouns an article puts before a business's name: "e-commerce company Coupang", "crypto exchange Tesserine".
_DESCRIPTION_NOUNS = (
    r"company|firm|maker|manufacturer|retailer|carrier|airline|bank|lender|insurer|startup|start-up|studio|"
    r"competitor|social network|shipping line|"
    r"conglomerate|giant|chipmaker|carmaker|automaker|platform|marketplace|subsidiary|operator|developer|provider|"
    r"supplier|brand|group|rival|miner|shipbuilder|planemaker|fintech|exchange|courier|streamer|chain|telco|"
    r"broadcaster|publisher|lessor|brewer|distributor|wholesaler|app|service|wallet"
)
_CUED = re.compile(
    r"\b(?:" + _DESCRIPTION_NOUNS + r") "
    r"((?:[A-Z][\w&'\-]*|[0-9][\w&\-]*[A-Za-z][\w&\-]*)(?: [A-Z][\w&'\-]*){0,3})"
)
_DESCRIPTION = re.compile(_DESCRIPTION_NOUNS)
# Names listed after a plural description: "luxury brands Gucci, Chloé and Loewe", "mobile operators X and Y".
_LISTED_NAME = r"[A-Z][\w&'\-]*(?: (?:[A-Z][\w&'\-]*|de|del|da|do))*"
_CUED_LIST = re.compile(
    r"\b(?:companies|firms|makers|manufacturers|retailers|carriers|airlines|banks|lenders|insurers|start-?ups|"
    r"studios|competitors|rivals|brands|operators|providers|suppliers|platforms|chipmakers|carmakers|automakers|"
    r"miners|shipbuilders|fintechs|exchanges|couriers|streamers|chains|telcos|broadcasters|publishers|brewers|"
    r"distributors|wholesalers|conglomerates) "
    r"(" + _LISTED_NAME + r"(?:(?:,| and|, and) " + _LISTED_NAME + r")+)"
)
_LIST_PART = re.compile(_LISTED_NAME)


def _cued_spans(doc: Doc, text: str, taken: set[int]) -> Iterator[tuple[re.Match, Span]]:
    """The names after a description (``_CUED``), then each name of a list after a plural one (``_CUED_LIST``)."""
    yield from _free_spans(doc, text, _CUED, taken)
    for match in _CUED_LIST.finditer(text):
        for part in _LIST_PART.finditer(text, match.start(1), match.end(1)):
            span = doc.char_span(part.start(), part.end(), alignment_mode="contract")
            if span is not None and len(span) and not any(i in taken for i in range(span.start, span.end)):
                yield match, span


def _free_spans(doc: Doc, text: str, pattern: re.Pattern, taken: set[int]) -> Iterator[tuple[re.Match, Span]]:
    """Each match of ``pattern`` with the tokens of its first group, unless they overlap ``taken`` (read as the
    caller adds to it)."""
    for match in pattern.finditer(text):
        span = doc.char_span(match.start(1), match.end(1), alignment_mode="contract")
        if span is not None and len(span) and not any(i in taken for i in range(span.start, span.end)):
            yield match, span


def _cued_names(
    doc: Doc, text: str, mentions: list[Mention], covered: set[int], gazetteer: Gazetteer,
    resolver: PlaceResolver | None = None,
) -> list[Mention]:
    """ "e-commerce company Coupang", "elevator maker Kone": a name the article itself calls a business.

    The description outweighs the NER's label: "clothing company Gildan" is no place even when the NER
    says so, "security company Quorvane Logic" no product; a name that is a known place still is one.
    "Social media company X" is the one case where a single capital letter is a name.
    """
    taken = set(covered)
    products = {}
    for m in mentions:
        if m.kind == "other" and m.how == "product":
            products[(m.start, m.end)] = m
        elif m.kind != "person":
            taken.update(range(m.start, m.end))
    found = []
    for match, span in _cued_spans(doc, text, taken):
        while len(span) > 1 and (
            span[-1].text in ("'s", "\u2019s")
            or not span[-1].text[:1].isupper()
            or (span[-1].ent_type_ in PLACE_LABELS and resolver is not None and resolver.resolve(span[-1].text))
        ):
            span = span[:-1]  # "the company Hitwise UK's": the place after the name is not part of it
        name = clean_org_name(span.text)
        letter = len(name) == 1 and name.isupper() and len(span) == 1
        if (
            not (plausible_company_name(name) or letter)
            or looks_like_authority(name)
            or looks_like_non_company(name)
            or _looks_like_person(span, gazetteer)
            or any(t.ent_type_ in ("DATE", "MONEY", "CARDINAL") for t in span)
            or (
                any(t.ent_type_ in ("GPE", "NORP", "LOC") for t in span)
                and (resolver is None or resolver.resolve(name) or resolver.state_code(name))
            )
            or text[max(0, match.start() - 9) : match.start()].lower() == "aircraft "
            or gazetteer.lookup(name) is not None
        ):
            continue
        for key in [k for k in products if k[0] < span.end and k[1] > span.start]:
            mentions.remove(products.pop(key))  # the NER's "product" is the business the text describes
        taken.update(range(span.start, span.end))
        found.append(Mention(span.start, span.end, "company", name, how="cue"))
    return found


# A business's premises named after it: "a Wildberries warehouse", "the Makhteshim chemical plant"; power
# stations are named after their sites.
_PREMISES = (
    r"warehouses?|(?:logistics |distribution )(?:hubs?|cent(?:re|er)s?)|factory|factories|"
    r"(?<!nuclear )(?<!power )(?<!treatment )plants?|refinery|"  # not "the Fukushima Daiichi nuclear plant"
    r"refineries|department stores?|supermarkets?|servers|data cent(?:re|er)s?"
)
# Nouns an article puts after a business's name: "the Vantor insurance company", "a Brellin pension fund".
# Up to two describing words between name and noun, not "of the" ("CEO of the company" describes nobody).
_NOUNS_AFTER = (
    r"company|firm|bank|insurer|lender|airline|carrier|studio|conglomerate|manufacturer|retailer|brewer|"
    r"pension fund|hedge fund|" + _PREMISES
)
_DESCRIBING_WORD = r"(?!(?:of|the|a|an|and|or|for|to|in|at|on|with|by|from|its|their|his|her|that|this|as)\b)"
# The people of a business after its name: "seven former Chiquita executives", "Hybe founder Bang Si-hyuk".
_ROLES_AFTER = (
    r"(?i:co-?founder|founder|ceo|chief executive|executives|employees|shareholders|chair(?:man|woman|person))"
)
_DESCRIBED_AFTER = re.compile(
    r"(?<![\w&.'\-])((?:[A-Z][\w&'\-]*)(?: (?:[A-Z][\w&'\-]*|&)){0,3}) (?:" + _DESCRIBING_WORD
    + r"[a-z][a-z\-]+ ){0,2}?(?:" + _NOUNS_AFTER + r"|" + _ROLES_AFTER + r")\b"
)
_NAME_JOINERS = frozenset({"of", "de", "do", "da", "du", "von", "van", "and", "&", "la", "le", "del", "der"})


def _described_after(
    doc: Doc, text: str, mentions: list[Mention], covered: set[int], gazetteer: Gazetteer, resolver: PlaceResolver
) -> list[Mention]:
    """ "the Vantor insurance company": a name the article calls a business with the noun after it."""
    taken = set(covered)
    for m in mentions:
        if m.kind != "person":
            taken.update(range(m.start, m.end))
    found = []
    for _match, span in _free_spans(doc, text, _DESCRIBED_AFTER, taken):
        first = span[0]
        if first.is_sent_start or first.lower_ in _NOT_A_NAME or any(t.lower_ in _ROLE_WORDS for t in span):
            continue  # "Investment bank ..." opening a sentence is no name, nor "CEO"
        if span.start > 0 and doc[span.start - 1].lower_ in _NAME_JOINERS:
            continue  # the tail of a longer name: "Vale do Rio Doce company"
        name = clean_org_name(span.text)
        if (
            not plausible_company_name(name)
            or looks_like_authority(name)
            or looks_like_non_company(name)
            or _looks_like_person(span, gazetteer)
            or any(t.ent_type_ in ("GPE", "LOC", "FAC", "NORP", "DATE", "MONEY", "CARDINAL", "ORDINAL")
                   for t in span)
            or resolver.resolve(name) is not None
            or gazetteer.lookup(name) is not None
        ):
            continue
        taken.update(range(span.start, span.end))
        found.append(Mention(span.start, span.end, "company", name, how="cue"))
    return found



# What businesses do to a market, right after their name: "Ubiqo Scooters has ended its service in Spain",
# "Tesserine will wind down ...". A name doing it is a candidate (the company model still has the last word).
_ACTING_AFTER = re.compile(
    r"^(?:(?:has|have|had|will|would|is to|is set to|are to|plans to|said it will|says it will|said it would|"
    r"to|also|now|quietly|formally) )*(?:stop(?:s|ped|ping)? (?:selling|offering|accepting|shipping|running|"
    r"operating|providing)|suspend(?:s|ed)?|halt(?:s|ed)?|leav(?:e|es)|left|exit(?:s|ed)?|withdr(?:aw|aws|ew|awn)|"
    r"pull(?:s|ed)? (?:out|its|the|\w+ out)|shut(?:s)? (?:down|its)|clos(?:e|es|ed) (?:its|all)|"
    r"wind(?:s)? down|wound down|launch(?:es|ed)?|open(?:s|ed)? its|enter(?:s|ed)?|expand(?:s|ed)? (?:into|to)|"
    r"roll(?:s|ed)? out|geo-?block(?:s|ed)?|restrict(?:s|ed)?|limit(?:s|ed)?|disabl(?:e|es|ed)|"
    r"cease(?:s|d)?|end(?:s|ed)? (?:its|all|sales|service)|quit(?:s)?|no longer|remov(?:e|es|ed)|hid(?:e|es)|"
    r"switch(?:es|ed)? (?:off|on|to)|turn(?:s|ed)? off|disabl(?:e|es|ed)|block(?:s|ed)|cut(?:s)?|"
    r"go(?:es)? live|went live|start(?:s|ed)? (?:selling|taking|offering|registering)|relaunch(?:es|ed)?|"
    r"(?:will|would) not (?:launch|release|offer)|move(?:s|d)? (?:all|its)|require(?:s)? (?:players|users|customers)|"
    r"install(?:s)?|adds?|changes? (?:its|how)|classify|hire|employ|relabel\w*|fit(?:s)?)\b"
)
_NOT_A_NAME = frozenset({"the", "a", "an", "it", "its", "they", "this", "that", "these", "those", "he", "she",
                         "we", "i", "you", "there", "but", "and", "or", "in", "on", "after", "before", "meanwhile",
                         "also", "now", "then", "however", "still"})


def _acting_names(
    doc: Doc, mentions: list[Mention], covered: set[int], gazetteer: Gazetteer, resolver: PlaceResolver
) -> list[Mention]:
    """Capitalised names (not places, authorities, people or known non-companies) that do what businesses do
    to a market ("X will wind down its operations in Poland")."""
    taken = set(covered)
    for m in mentions:
        if m.kind != "person" or m.end - m.start > 1:
            taken.update(range(m.start, m.end))
    found = []
    i, n = 0, len(doc)
    while i < n:
        token = doc[i]
        if not (token.text[:1].isupper() and token.is_alpha) or token.lower_ in _NOT_A_NAME or i in taken:
            i += 1
            continue
        end = i + 1
        while end < n and end - i < 4 and (doc[end].text[:1].isupper() or doc[end].text == "&") and end not in taken:
            end += 1
        span = doc[i:end]
        after = doc[end : min(n, end + 8)].text
        i = end
        if not _ACTING_AFTER.match(after):
            continue
        name = clean_org_name(span.text)
        if (
            not plausible_company_name(name)
            or looks_like_authority(name)
            or looks_like_non_company(name)
            or resolver.resolve(name) is not None
            or _looks_like_person(span, gazetteer)
            or all(t.ent_type_ in ("GPE", "NORP", "LOC") for t in span)  # "Andes Pay" is not the Andes
            or any(t.ent_type_ in ("DATE", "TIME", "MONEY", "CARDINAL", "ORDINAL") for t in span)
            or gazetteer.lookup(name) is not None
        ):
            continue
        found.append(Mention(span.start, span.end, "company", name, how="acting"))
    return found


def _capitalised_runs(
    doc: Doc, mentions: list[Mention], covered: set[int], ampersand: bool = False
) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of capitalised words that no mention, gazetteer match or NER entity covers;
    with ``ampersand``, "&" between two capitalised words joins them ("Ostrel & Vane")."""
    taken = set(covered)
    for m in mentions:
        taken.update(range(m.start, m.end))
    i = 0
    while i < len(doc):
        if i in taken or doc[i].ent_type_ or not _capital_word(doc[i]):
            i += 1
            continue
        j = i + 1
        while j < len(doc) and j not in taken and not doc[j].ent_type_ and (
            _capital_word(doc[j])
            or (ampersand and doc[j].text == "&" and j + 1 < len(doc) and _capital_word(doc[j + 1]))
        ):
            j += 1
        yield i, j
        i = j


def _unseen_countries(
    doc: Doc, mentions: list[Mention], covered: set[int], resolver: PlaceResolver
) -> list[Mention]:
    """Country names and demonyms the NER left untagged, as it often does with a brief's first word ("Nepal
    orders its telecoms authority to block ...", "Uruguay becomes the first country ..."). Only a whole
    capitalised run that names a country or its people counts (not "Nepal Telecom", not the people's names
    "Jordan" or "Chad"); capitals and regions are left to the NER, as they name other things as often."""
    found = []
    for start, end in _capitalised_runs(doc, mentions, covered):
        if doc[start].lower_ == "the" and end - start > 1:
            start += 1
        if end - start > 4:
            continue
        name = doc[start:end].text
        place = resolver.resolve(name)
        if place is None or place.how not in ("name", "demonym") or resolver.also_given_name(name):
            found.extend(_place_before_title(doc, start, end, resolver))
            continue
        found.append(Mention(start, end, "place", place.code, place.code, place.how))
    return found


def _place_before_title(doc: Doc, start: int, end: int, resolver: PlaceResolver) -> list[Mention]:
    """A country, state or province that opens a run before its leader's title: "Ontario Premier", "Texas
    Governor", "Nepal Prime Minister"."""
    for width in (3, 2, 1):
        if start + width >= end or doc[start + width].text not in LEADER_TITLES:
            continue
        name = doc[start : start + width].text
        place = resolver.resolve(name)
        if place is None or place.how not in ("name", "demonym", "state") or resolver.also_given_name(name):
            continue
        code = _state_or_country(doc, start, start + width, name, place.code) if place.how == "state" else place.code
        return [Mention(start, start + width, "place", code, code, place.how)]
    return []


# Titles of a government's head that follow its place's name: "Ontario Premier", "Peru President".
LEADER_TITLES = frozenset({"President", "Premier", "Governor", "Prime", "Chancellor", "Minister", "Government",
                           "Parliament", "Mayor"})


def _capitalised_names(
    doc: Doc, mentions: list[Mention], covered: set[int], gazetteer: Gazetteer, resolver: PlaceResolver
) -> list[Mention]:
    """Runs of capitalised words that neither the NER nor a rule placed ("Kestrava Energies declares ...", "the
    Ostrel Lifts deal"). Many are nothing (a sentence's first words, titles, slogans), so they are tentative
    candidates: only a company model with lexical weights may keep them, on what the name is made of and how
    the sentence uses it."""
    found = []
    for start, end in _capitalised_runs(doc, mentions, covered, ampersand=True):
        while start < end and (doc[start].is_stop or doc[start].lower_ in _TITLE_WORDS
                               or doc[start].is_sent_start and end - start == 1):
            start += 1  # "The", "After", "Minister" before a name; one capitalised word opening a sentence
        if end - start > 5 or start >= end or doc[end - 1].text == "&":
            continue
        name = clean_org_name(doc[start:end].text)
        if (
            not plausible_company_name(name)
            or looks_like_authority(name)
            or looks_like_non_company(name)
            or looks_like_media(name)
            or looks_like_product(name)
            or resolver.resolve(name) is not None
            or gazetteer.lookup(name) is not None
        ):
            continue
        found.append(Mention(start, end, "company", name, how="caps"))
    return found


def _capital_word(token) -> bool:
    return token.text[:1].isupper() and any(ch.isalpha() for ch in token.text) and not token.is_punct


# Words that open a capitalised run as a title or a form of address, not a name.
_TITLE_WORDS = frozenset({"mr", "mrs", "ms", "dr", "sir", "president", "minister", "prime", "king", "queen", "prince",
                          "chancellor", "senator", "governor", "mayor", "general", "judge", "pope", "premier"})


def _suffixed_names(doc: Doc, text: str, mentions: list[Mention], covered: set[int]) -> list[Mention]:
    """Names followed by a legal form ("Click Profit, LLC", "SL Finance LLC"), whatever the NER called them."""
    taken = set(covered)
    for m in mentions:
        if m.kind in ("authority", "place", "other", "company", "media"):
            taken.update(range(m.start, m.end))
    found = []
    for match in _SUFFIXED.finditer(text):
        words = match.group(1).split()
        while words and words[0] in ("The", "A", "An"):
            words = words[1:]
        if not words:
            continue
        begin = match.start(1) + match.group(1).index(words[0])
        span = doc.char_span(begin, match.end(), alignment_mode="expand")
        if span is None or any(i in taken for i in range(span.start, span.end)):
            continue
        name = clean_org_name(span.text)
        if not plausible_company_name(name) or looks_like_authority(name) or looks_like_non_company(name):
            continue
        if name.split()[-1] in ("&", "of", "and"):
            continue
        surname = match.group(2) == "Co" and not match.group(0).endswith(".")
        if surname and _enclosing_entity(doc, span).label_ == "PERSON":
            continue  # "representative Zaldy Co": a surname, not "& Co"
        taken.update(range(span.start, span.end))
        found.append(Mention(span.start, span.end, "company", name, how="suffix"))
    return found


def _place_mentions(doc: Doc, start: int, end: int, text: str, resolver: PlaceResolver) -> list[Mention]:
    if end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_ and doc[end + 1].is_title:
        joined = resolver.resolve(doc[start : end + 2].text)  # the NER stops at the hyphen of "Guinea-Bissau"
        if joined is not None and joined.how == "name":
            end += 2
            text = doc[start:end].text
    place = resolver.resolve(text)
    while place is None and end - start > 1 and doc[end - 1].is_lower:
        end -= 1  # the NER sometimes swallows the verb: "the Congo bans"
        text = doc[start:end].text
        place = resolver.resolve(text)
    if place is None:
        return []
    code = _state_or_country(doc, start, end, text, place.code) if place.how == "state" else place.code
    return [Mention(start, end, "place", code, code, place.how)]


def _state_or_country(doc: Doc, start: int, end: int, text: str, code: str) -> str:
    """A state named in passing counts as its country; as itself only where its government acts."""
    if text.startswith("State of") or _GOVERNMENT_IN_NAME.search(text):
        return code
    after = doc[end : min(len(doc), end + 4)].text
    before = doc[max(0, start - 4) : start].text
    return code if _STATE_ACTS_AFTER.search(after) or _STATE_ACTS_BEFORE.search(before) else country_of(code)


def _collect_companies(
    doc: Doc, text: str, mentions: list[Mention], gazetteer: Gazetteer
) -> dict[str, CompanyInfo]:
    blocked = {name_key(m.name) for m in mentions if m.kind in ("authority", "place", "other")}
    blocked.update(_public_abbreviations(text))
    # Words of people's longer names: "Keller" after "Maria Keller" is her, not a company. A name the NER
    # calls a person as a whole ("Zoom") is not blocked: it is a company when it shows a company's evidence.
    person_words = {doc[i].text for m in mentions if m.kind == "person" and m.end - m.start > 1
                    for i in range(m.start, m.end)}
    for m in mentions:  # "Scott Sheffield" tagged ORG: a first name says it is a person
        if m.kind == "company" and m.how == "ner" and _looks_like_person(doc[m.start : m.end], gazetteer):
            m.kind = "person"
            person_words.update(t.text for t in doc[m.start : m.end])
    companies: dict[str, CompanyInfo] = {}
    for m in mentions:
        if m.kind not in ("company", "media"):
            continue
        surface = balanced(clean_org_name(doc[m.start : m.end].text))
        entry = gazetteer.lookup(m.name) if m.how == "gazetteer" else None
        if entry is None and m.kind == "company" and (
            (m.how not in ("suffix", "cue") and all(w in person_words for w in surface.split()))
            or name_key(surface) in blocked
        ):
            continue
        key = name_key(entry.name if entry else m.name)
        if not key:
            continue
        info = companies.get(key)
        if info is None:
            info = companies[key] = CompanyInfo(entry.name if entry else m.name, key, media=m.kind == "media")
        info.from_gazetteer = info.from_gazetteer or entry is not None
        info.hows[m.how] += 1
        info.surfaces[surface] += 0 if m.how == "caps" else 1  # a capitalised run never names what it joins
        if entry is not None:
            for alias in entry.names:
                info.surfaces.setdefault(alias, 0)
    _merge_prefixes(companies)
    _merge_abbreviations(text, companies)
    _merge_extended(text, companies, gazetteer)
    _merge_former_names(text, companies)
    for info in companies.values():
        if len(info.hows) > 1:
            info.hows.pop("caps", None)  # "HMP" after "Harbour Mobile plc (HMP)": found otherwise, not tentative
    return companies


def _merge_extended(text: str, companies: dict[str, CompanyInfo], gazetteer: Gazetteer) -> None:
    """ "Vantor Energy" beside "Vantor" on its own is the same business: one of its divisions or products.

    Only where the short name stands alone in the text; beside another longer name of the known company
    ("Apple Corps" against "Apple Computer") the longer names are two businesses."""
    for key, info in list(companies.items()):
        if set(info.hows) != {"extended"}:
            continue
        words = info.name.split()
        for size in range(len(words) - 1, 0, -1):
            prefix = " ".join(words[:size])
            if not re.search(r"(?<![\w&])" + re.escape(prefix) + r"(?![\w&]|\s+[A-Z0-9])", text):
                continue
            entry = gazetteer.lookup(prefix)
            base = companies.get(name_key(entry.name)) if entry is not None and entry.kind == "company" else None
            if base is not None and base is not info:
                base.surfaces.update(info.surfaces)
                base.hows.update(info.hows)
                del companies[key]
                break


_FORMER_NAME = re.compile(
    r"(?:formerly known as|formerly called|previously known as|formerly|doing business as|did business as|"
    r"d/b/a|trading as|also known as)\s+$",
    re.IGNORECASE,
)
_FORMER_NAME_ANYWHERE = re.compile(_FORMER_NAME.pattern.removesuffix("$"), re.IGNORECASE)
_ABBREVIATION = re.compile(r"\(([A-Z][\w&.\-]{1,12})\)")


def _merge_former_names(text: str, companies: dict[str, CompanyInfo]) -> None:
    """ "Brellin, formerly known as Quastor, ..." and "Brellin LLC, which did business as quastor.com": one business
    under two names; the first name stays."""
    if not _FORMER_NAME_ANYWHERE.search(text):
        return  # no such words in the text: no name to search for (each search compiles a pattern)
    for key, info in list(companies.items()):
        if key not in companies:
            continue
        for surface in [s for s in info.surfaces if len(s) > 2]:
            for match in re.finditer(r"(?<![\w&])" + re.escape(surface) + r"(?![\w&])", text):
                lead = text[max(0, match.start() - 40) : match.start()]
                if not _FORMER_NAME.search(lead):
                    continue
                window = text[max(0, match.start() - 120) : match.start()]
                owner, at = None, -1
                for other_key, other in companies.items():
                    if other_key == key:
                        continue
                    for name in (n for n in other.surfaces if len(n) > 2):
                        pos = window.rfind(name)
                        if pos > at:
                            owner, at = other_key, pos
                if owner is not None:
                    target = companies[owner]
                    for name in info.surfaces:  # counted as mentions, never shown as the name
                        target.surfaces.setdefault(name, 0)
                    target.hows.update(info.hows)
                    target.from_gazetteer = target.from_gazetteer or info.from_gazetteer
                    del companies[key]
                    break
            if key not in companies:
                break


_DEFINED_ABBREVIATION = re.compile(r"((?:[A-Z][\w\-]*\s+(?:(?:of|the|and|for|&)\s+)*){1,6})\(([A-Z]{2,6})\)")


def _public_abbreviations(text: str) -> set[str]:
    """ "the United States Air Force (USAF)": an abbreviation defined for a body that is no business."""
    found = set()
    for match in _DEFINED_ABBREVIATION.finditer(text):
        expansion, abbreviation = match.group(1).strip(), match.group(2)
        initials = "".join(w[0] for w in expansion.split() if w[0].isupper())
        if abbreviation[0] in initials and (looks_like_authority(expansion) or looks_like_non_company(expansion)):
            found.add(name_key(abbreviation))
    return found


def _looks_like_person(span: Span, gazetteer: Gazetteer) -> bool:
    words = [t for t in span if t.text not in ("'s", "\u2019s")]
    return (
        1 < len(words) <= 3
        and gazetteer.is_given_name(words[0].text)
        and all(t.text[:1].isupper() for t in words)
        and not looks_like_business(span.text)
    )


def _merge_abbreviations(text: str, companies: dict[str, CompanyInfo]) -> None:
    """ "Dun & Bradstreet (D&B)": the abbreviation is another surface of the same company."""
    if not _ABBREVIATION.search(text):
        return  # no "(ABC)" in the text
    for key, info in list(companies.items()):
        if key not in companies:
            continue
        for surface in [s for s in info.surfaces if len(s) > 3]:
            for match in re.finditer(
                re.escape(surface) + r"(?:,?\s+[A-Za-z]{2,4}\.?)?\s*" + _ABBREVIATION.pattern, text
            ):
                abbreviation = match.group(1)
                info.surfaces[abbreviation] += 0
                other = name_key(abbreviation)
                if other != key and other in companies:
                    merged = companies.pop(other)
                    info.surfaces.update(merged.surfaces)
                    info.hows.update(merged.hows)


def _merge_prefixes(companies: dict[str, CompanyInfo]) -> None:
    """ "Live Nation Entertainment" folds into "Live Nation" when both appear."""
    for key in sorted(companies, key=len, reverse=True):
        words = key.split()
        for size in range(len(words) - 1, 0, -1):
            shorter = " ".join(words[:size])
            if shorter in companies and shorter != key and all(w in _GENERIC_EXTENSIONS for w in words[size:]):
                target = companies[shorter]
                target.surfaces.update(companies[key].surfaces)
                target.from_gazetteer = target.from_gazetteer or companies[key].from_gazetteer
                target.hows.update(companies[key].hows)
                del companies[key]
                break


def _company_mentions(
    doc: Doc, text: str, companies: dict[str, CompanyInfo], others: list[Mention], title_end: int = 0
) -> list[Mention]:
    """Counts every occurrence of each company's surface forms, whatever the NER called it.

    Longer names win where two overlap ("Apple Corps" over "Apple"). A name found only in a title-case
    headline ("... Scheme Operators Results") is dropped, and so is one whose every occurrence is part of
    another's longer name.
    """
    occupied = set()
    for m in others:
        if m.kind in ("authority", "place", "other"):
            occupied.update(range(m.start, m.end))
    hits: list[tuple[int, int, str, str]] = []  # (-length, start, key, surface) of every occurrence
    for key, info in companies.items():
        surfaces = sorted({s for s in info.surfaces if len(s) > 1}, key=len, reverse=True)
        if not surfaces:
            continue
        pattern = re.compile(r"(?<![\w&])(?:" + "|".join(re.escape(s) for s in surfaces) + r")(?![\w&])")
        hits.extend((m.start() - m.end(), m.start(), key, m.group(0)) for m in pattern.finditer(text))
    spans: dict[str, list[Span]] = {key: [] for key in companies}
    seen: dict[str, Counter] = {key: Counter() for key in companies}
    inside_others: Counter = Counter()
    for negative_length, begin, key, surface in sorted(hits):
        span = doc.char_span(begin, begin - negative_length, alignment_mode="expand")
        if span is None:
            continue
        if any(i in occupied for i in range(span.start, span.end)):
            inside_others[key] += 1
            continue
        occupied.update(range(span.start, span.end))
        seen[key][surface] += 1
        spans[key].append(span)
    found: list[Mention] = []
    for key, info in list(companies.items()):
        own = sorted(spans[key], key=lambda s: s.start)
        if title_end and not info.from_gazetteer and own and all(s.end <= title_end for s in own):
            del companies[key]
            continue
        if not own and inside_others[key]:
            del companies[key]  # every occurrence is part of a longer name: "Daimler" in "Daimler Truck"
            continue
        info.mentions = sum(seen[key].values()) or sum(info.surfaces.values())
        info.name = _display_name(info, seen[key])
        kind = "media" if info.media else "company"
        found.extend(Mention(s.start, s.end, kind, info.name, how="text", key=key) for s in own)
    return found


def _display_name(info: CompanyInfo, seen: Counter) -> str:
    if info.from_gazetteer and (seen.get(info.name) or not seen):
        return info.name
    squashed = re.sub(r"[\W_]", "", info.name).casefold()
    if info.from_gazetteer and all(re.sub(r"[\W_]", "", s).casefold() == squashed for s in seen):
        return info.name  # "Gazprom Bank" in the text, "Gazprombank" the name
    counts = seen or info.surfaces
    best = max(counts.items(), key=lambda kv: (info.surfaces.get(kv[0], 0) > 0, kv[1], len(kv[0])))[0]
    return clean_org_name(best)


# --- evidence that a candidate name is a business ------------------------------------------------------------
_BUSINESS_NOUNS = (
    r"company|companies|firm|maker|manufacturer|retailer|carrier|airline|bank|lender|insurer|provider|operator|"
    r"developer|start-?up|business|conglomerate|giant|brand|platform|chain|subsidiary|owner|supplier|producer|"
    r"distributor|publisher|studio|automaker|carmaker|chipmaker|brewer|miner|utility|corporation|marketplace|"
    r"website|app|service|exchange|outlet|vendor|contractor|shipbuilder|planemaker|broker|fund|investor|"
    r"seller|reseller|merchant|processor|manufacturers|rival|competitor|unicorn|multinational|partner|arm|"
    r"airline|chain|insurer|lender|shipper|telco|network operator|wholesaler|trader|refiner|dealer|fintech|"
    r"courier|streamer|broadcaster|lessor|brewer|shipping line"
)
_CUE_AFTER = re.compile(
    r"^(?:\s*[,\u2013\u2014-]\s*(?:an?|the|which is an?|its|their)\s+(?:[\w\-\u2019'.$]+\s+){0,5}?"
    r"(?:" + _BUSINESS_NOUNS + r")s?\b"
    r"|(?:'s|\u2019s)\s+(?:[\w\-]+\s+)?(?:chief executive|ceo|chief|shares|stock|board|founder|co-founder|chairman|"
    r"subsidiary|unit|division|acquisition|takeover|merger|revenue|profits?|earnings|sales|customers|employees|"
    r"workers|products|stores|shareholders|investors|parent|owner|executives|headquarters|factory|plants?|"
    r"business|operations|market share|app|platform|website|services|brand)\b"
    r"|\s+(?:" + _ROLES_AFTER + r"|shares|stock|investors|stores|customers|subscribers|"
    r"workers|headquarters|dealers|dealerships|franchisees|filed for bankruptcy|went bankrupt|"
    r"merged|acquired|agreed to (?:buy|acquire|sell|pay|merge)|bought|sold|announced a|posted|reported (?:a|its|"
    r"higher|lower|record|net|quarterly)|shut down|laid off|cut \d|"
    r"complete[sd]? (?:its|the) (?:acquisition|purchase|takeover|merger))\b"
    r"|\s+(?:" + _DESCRIBING_WORD + r"[a-z][a-z\-]+\s+){0,2}?(?:" + _NOUNS_AFTER + r")\b"
    r"|\s*\((?:NYSE|NASDAQ|Nasdaq|LSE|TSX|HKEX|SEHK|TSE|OTC|ASX|NSE|BSE|FWB|Euronext)\s*:)"
    # an operator before its flight or aircraft: "X Flight 847", "X flights to Oman", "an X Airbus A321"
    r"|\s+(?:flight\s+\d|flights?\s+(?:to|from|between|out of|into)\b|(?:Airbus|Boeing|Embraer|Bombardier|ATR|"
    r"Fokker|Antonov|Tupolev|Ilyushin|Comac|Cessna|de Havilland)\s+[A-Z]{0,3}-?\d)",
    re.IGNORECASE,
)
_CUE_BEFORE = re.compile(
    r"(?:\b(?:" + _BUSINESS_NOUNS + r")s?(?:\s+(?:called|named))?|"
    r"\b(?:ceo|chief executive|chairman|founder|co-founder|owner|shareholders|employees?|subsidiary|unit|head|boss|"
    r"division|parent|acquisition|takeover|purchase|merger|shares|stake|executives|customers|stores) (?:of|in|at)"
    r"(?: the)?|\b(?:acquires?|acquired|acquiring|buys|bought|buying|merges? with|merged with|merging with|"
    r"takeover of|stakes? in|sells? to|sold to|invest(?:s|ed)? in|spun off|spins off|rivals?|competitors?|"
    r"partners? with|partnered with|owned by|run by|operated by|formerly(?: known as| called)?|"
    r"doing business as|did business as|trading as|d/b/a|dba)|\bsuch as|\bincluding|\brivals? like|"
    r"-owned|-based|\bstate owned|\bprivately held)\s+$",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(r"\b(?:the|this|that) (?:" + _BUSINESS_NOUNS + r")\b(?! of)", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"\b(?:follow us|like us|find us|stay in touch with us|subscribe|press office|switchboard|out of hours|"
    r"connect with us|on (?:twitter|facebook|linkedin|instagram|youtube) at|@\w)",
    re.IGNORECASE,
)


def _company_evidence(
    doc: Doc, text: str, companies: dict[str, CompanyInfo], found: list[Mention]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Why each candidate is a business, and the tentative candidates: those with too little evidence for
    the rules (no reason, or the NER or "the company" alone), which only a company model with lexical
    weights may keep.

    Reasons: the gazetteer; a legal form ("Inc", "LLC"); a business word in the name ("Labs", "Steel");
    a known company's longer name or a product's maker; the article's own cues around a mention ("X, a
    Dutch chipmaker", "X's chief executive", "shares of X", "X shares", "the company" in the same or
    next sentence); the NER calling the name an organisation in two places or more. Against: a name
    mentioned only in boilerplate ("follow us on Twitter"); an all-capital abbreviation or a single common
    word ("Operations") with nothing but the NER for it.
    """
    by_key: dict[str, list[Mention]] = {}
    for m in found:
        by_key.setdefault(m.key, []).append(m)
    sentences = sentences_of(doc)
    sentence_of = _sentence_index(doc, sentences)
    evidence: dict[str, set[str]] = {}
    tentative: dict[str, set[str]] = {}
    sources = {k for k, info in companies.items() if not info.media and by_key.get(k)
               and all(_only_a_source(doc, text, m) for m in by_key[k])}
    if not any(k not in sources and not info.media for k, info in companies.items()):
        # the only business named is the one quoted: it is what the story is about (a means of payment never is)
        sources = {k for k in sources if all(_means_of_payment(doc, text, m) for m in by_key[k])}
    for key, info in companies.items():
        spans = by_key.get(key, [])
        reasons: set[str] = set()
        if spans and all(_BOILERPLATE.search(sentences[sentence_of[m.start]].text) for m in spans):
            continue
        if key in sources:
            continue  # "according to Kestrel Advisory", "Vantor analyst Jo Bell said": a source, no participant
        if info.media:
            evidence[key] = {"media"}
            continue
        if info.from_gazetteer:
            reasons.add("gazetteer")
        if info.hows.get("suffix") or info.hows.get("extended") or info.hows.get("maker"):
            reasons.add("form")
        if info.hows.get("cue"):
            reasons.add("cue")
        if info.hows.get("acting"):
            reasons.add("acting")
        if any(looks_like_business(s) for s in info.surfaces):
            reasons.add("name")
        for m in spans:
            begin, end = doc[m.start].idx, doc[m.end - 1].idx + len(doc[m.end - 1])
            after = text[end : end + 90]
            if _SUFFIX_AFTER.match(after):
                reasons.add("form")
            if _CUE_AFTER.match(after) or _CUE_BEFORE.search(text[max(0, begin - 60) : begin]):
                reasons.add("cue")
            if _ACTING_AFTER.match(after.lstrip()):
                reasons.add("acting")
            index = sentence_of[m.start]
            window = text[end : sentences[index].end_char]
            if index + 1 < len(sentences):
                window += " " + sentences[index + 1].text
            if _ANAPHOR.search(window):
                reasons.add("anaphor")
        if info.hows.get("ner", 0) >= 2:
            reasons.add("ner")
        if spans and all(_inside_other_name(doc, text, m) for m in spans):
            continue  # "the Capital One Arena", "the Infrastructure Investment and Jobs Act", "the Brazilian Amazon"
        (tentative if _too_little(info.name, reasons, text) else evidence)[key] = reasons
    _coordinated_companies(doc, companies, by_key, evidence)
    for key in [k for k in evidence if set(companies[k].hows) == {"caps"}]:
        tentative[key] = evidence.pop(key)  # a capitalised run alone is never enough for the rules
    for key in evidence:
        tentative.pop(key, None)
    return evidence, tentative


def _too_little(name: str, reasons: set[str], text: str) -> bool:
    """Evidence the rules alone do not accept (the company model may still judge the candidate): none; the NER
    alone or "the company" alone; or both, for an abbreviation ("CSAM", "NIC": mostly laws and programmes) or a
    single word the text also writes in lower case ("Operations", "Target")."""
    if not reasons:
        return True
    if not reasons <= {"ner", "anaphor"}:
        return False  # a reason of its own: the gazetteer, a legal form, a cue ...
    if reasons != {"ner", "anaphor"}:
        return True
    if name.replace(".", "").replace("&", "").isupper() and len(name) <= 6:
        return True
    return len(name.split()) == 1 and bool(re.search(r"(?<!\w)" + re.escape(name.lower()) + r"(?!\w)", text))


# A business's name as the first words of another thing's name: a venue ("the Capital One Arena"), a law ("the
# Infrastructure Investment and Jobs Act"), or a region ("the Amazon rainforest", "the Brazilian Amazon").
_VENUE_OR_LAW_AFTER = re.compile(
    r"^(?:\s+(?:Arena|Stadium|Center|Centre|Field|Tower|Towers|Plaza|Hall|Theatre|Theater|Building|Dome|Ballpark|"
    r"Coliseum|Pavilion|Gardens?)\b"
    r"|(?:\s+(?:and|&|of|for|on|[A-Z][\w'\-]*)){0,4}?\s+(?:Act|Bill)\b"
    r"|\s+(?:rainforest|basin|river|region|forest|delta|jungle)\b)"
)


def _inside_other_name(doc: Doc, text: str, m: Mention) -> bool:
    end = doc[m.start : m.end].end_char
    if _VENUE_OR_LAW_AFTER.match(text[end : end + 80]):
        return True
    # "the Brazilian Amazon" (a business is "Brazil's X" or "the Brazilian company X")
    return m.start >= 2 and doc[m.start - 2].lower_ == "the" and doc[m.start - 1].ent_type_ == "NORP"


# A media outlet acting or acted on as a business, not reporting: "Xtra News files a lawsuit", "a suit against
# the newspaper the Ledger", "five Ledger journalists were killed", "the Ledger's licence was revoked", "the
# offices of the newspaper the Ledger were stormed", "journalists from the Ledger were killed" (not "a Ledger
# correspondent said": a correspondent, reporter or editor is most often the outlet reporting).
_MEDIA_ACTS_AFTER = re.compile(
    r"^(?:'s|\u2019s)?\s*(?:(?:has|have|had|will|would|is|was|has been|have been|is to)\s+)?"
    r"(?:files?|filed|sues?|sued|announces?|announced|apologi[sz]es|apologi[sz]ed|agrees?|agreed|settles?|settled|"
    r"appeals?|appealed|challenges?|challenged|refuses?|refused|rejects?|rejected|banned|blocked|fined|suspended|"
    r"shut|raided|sanctioned|charged|lost|loses|wins|won|returns?|returned|resumes?|resumed|suspends?|"
    r"shuts?|lays off|laid off|will return|journalists?|staff|headquarters|crews?|"
    r"employees|licen[cs]e|director general|chief executive|owners?|parent company|"
    r"(?-i:offices?|bureaus?|newsroom|(?:full\s+)?access|broadcasting rights))\b",  # lower case: not "X Office for"
    re.IGNORECASE,
)
_MEDIA_ACTED_ON = re.compile(
    r"(?:against|sue|sued|sues|suing|banned|bans|banning|blocked|blocks|blocking|fined|fines|raided|raids|"
    r"suspended|suspends|acquired|acquires|acquisition of|purchase of|takeover of|licen[cs]e of|stake in|"
    r"owner of|buy|sell)\s+(?:the\s+)?(?:(?:[\w\-]+\s+)?(?:newspaper|broadcaster|outlet|channel|network|"
    r"agency|magazine|station)\s+)?$"
    # the outlet's people, premises or money: "journalists from Russia's ...", "the offices of the Italian
    # newspaper ...", "Director-General of the ...", "stop directly funding ...", "expels representatives of ..."
    r"|(?:(?:journalists?|staff|employees|offices?|bureaus?|"
    r"headquarters|representatives|crews?|chief executive|ceo|director[- ]general|chair(?:man|woman)?|"
    r"owners?|funding)\s+(?:of|from|for|at|to)|funding|defund(?:s|ed|ing)?|expels?|expelled|expelling)\s+"
    r"(?:the\s+)?(?:[\w\-.]+(?:'s|\u2019s)?\s+){0,3}$",
    re.IGNORECASE,
)

# between two outlets of one list: "X and Y", "X, Y", "Russia's X newspaper and Y state media network"
_MEDIA_LISTED = re.compile(
    r"^(?:\s+(?:newspaper|daily|agency|broadcaster|network|channel|station))?\s*(?:,|and|,\s*and)"
    r"\s+(?:(?:the|public|state|state-run|state-owned|news|media|broadcaster|agency|"
    r"newspaper|radio|television|TV)\s+){0,3}$",
    re.IGNORECASE,
)


def _media_as_participants(doc: Doc, text: str, companies: dict[str, CompanyInfo], found: list[Mention]) -> None:
    """A media outlet that itself acts or is acted on is a business of the story (the guidelines' "a media
    company that is itself the subject"); reporting, being quoted or interviewed leaves it a source."""
    for m in found:
        info = companies.get(m.key)
        if info is None or not info.media:
            continue
        begin, end = doc[m.start].idx, doc[m.end - 1].idx + len(doc[m.end - 1])
        if _MEDIA_ACTS_AFTER.match(text[end : end + 60].lstrip(" ")) or _MEDIA_ACTED_ON.search(
            text[max(0, begin - 60) : begin]
        ):
            info.media = False
    # outlets listed with one that takes part take part too: "journalists from the Ledger and the Courier"
    outlets = sorted((m for m in found if m.kind == "media" and m.key in companies), key=lambda m: m.start)
    for left, right in itertools.pairwise(outlets):
        gap = text[doc[left.end - 1].idx + len(doc[left.end - 1]) : doc[right.start].idx]
        if _MEDIA_LISTED.match(gap) and companies[left.key].media != companies[right.key].media:
            companies[left.key].media = companies[right.key].media = False


_SOURCE_BEFORE = re.compile(r"\baccording to(?: the| a)?\s*$", re.IGNORECASE)
_SOURCE_AFTER = re.compile(r"^(?:'s|\u2019s)?\s*(?:senior |chief |lead )?(?:analysts?|economists?|strategists?)\b")


# A payment product rather than the business: "checks and Quickpay payments", "Quickpay recipients should ...".
_MEANS_OF_PAYMENT = re.compile(r"^\s*(?:payments?|recipients|gift cards?|vouchers?|transfers?)\b", re.IGNORECASE)


def _means_of_payment(doc: Doc, text: str, m: Mention) -> bool:
    end = doc[m.end - 1].idx + len(doc[m.end - 1])
    return bool(_MEANS_OF_PAYMENT.match(text[end : end + 20]))


def _only_a_source(doc: Doc, text: str, m: Mention) -> bool:
    """Is this mention only where a figure or an opinion comes from, or a means of payment?"""
    begin, end = doc[m.start].idx, doc[m.end - 1].idx + len(doc[m.end - 1])
    if _means_of_payment(doc, text, m):
        return True
    return bool(_SOURCE_BEFORE.search(text[max(0, begin - 30) : begin]) or _SOURCE_AFTER.match(text[end : end + 30]
                                                                                                .lstrip()))


_LIST_GLUE = frozenset({",", "and", "or", "&", "as", "well"})


def _coordinated_companies(
    doc: Doc, companies: dict[str, CompanyInfo], by_key: dict[str, list[Mention]], evidence: dict[str, set[str]]
) -> None:
    """ "Verizon, SBC and BellSouth": a name listed beside a company is a company too (unless shown otherwise)."""
    pending = {k for k in companies if k not in evidence and not companies[k].media}
    changed = True
    while pending and changed:
        changed = False
        ends = {m.end: k for k, ms in by_key.items() if k in evidence for m in ms}
        starts = {m.start: k for k, ms in by_key.items() if k in evidence for m in ms}
        for key in list(pending):
            name = companies[key].name
            if name.replace(".", "").isupper() and len(name) <= 4:
                continue
            for m in by_key.get(key, []):
                if _glued(doc, ends, m.start, before=True) or _glued(doc, starts, m.end, before=False):
                    evidence[key] = {"list"}
                    pending.discard(key)
                    changed = True
                    break


def _glued(doc: Doc, edges: dict[int, str], at: int, before: bool) -> bool:
    """Is there a company one or two list words (", ", "and", ", and") before/after token ``at``?"""
    for gap in (1, 2):
        edge = at - gap if before else at + gap
        words = doc[edge:at] if before else doc[at:edge]
        if edge in edges and len(words) == gap and all(t.lower_ in _LIST_GLUE for t in words):
            return any(t.lower_ in (",", "and", "or", "&") for t in words)
    return False


_SUFFIX_AFTER = re.compile(
    r"^,? (?:Inc|Incorporated|Corp|Corporation|Ltd|Limited|LLC|L\.L\.C|LLP|PLC|plc|GmbH|AG|S\.A|SA|N\.V|B\.V|"
    r"Pty|Pte|S\.p\.A|SpA|K\.K|Co|Company)(?![\w\-])"
)


def _sentence_index(doc: Doc, sentences: list[Span]) -> list[int]:
    index = [0] * len(doc)
    for i, sentence in enumerate(sentences):
        for t in range(sentence.start, sentence.end):
            index[t] = i
    return index
