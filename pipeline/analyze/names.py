"""Organisation names: canonical forms and the kind of body a name suggests."""

from __future__ import annotations

import re

_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+|\s*,\s*)(?:inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|llp|lp|plc|"
    r"gmbh|ag|sa|s\.a|se|nv|n\.v|bv|b\.v|pty|pte|s\.p\.a|s\.p|spa|kk|k\.k|oy|ab|asa|of companies)\.?$",
    re.IGNORECASE,
)
# "Ford Motor Company", "Walt Disney Company": after two words or more "Company" is part of the name people
# write (and the scorer keeps it); "Coca-Cola Company" and "Acme Co." drop it.
_NAMED_COMPANY = re.compile(r"^\S+\s+\S+.*\sCompany$")
_KEY_SUFFIX = re.compile(r"\s+(?:group|holdings?)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*['\u2019]s?$")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w\s&+]")

AUTHORITY_WORDS = re.compile(
    r"\b(department|ministry|minister|commission|commissioner|agency|authority|court|tribunal|parliament|"
    r"senate|congress|government|council|regulator|bureau|office of|administration|police|"
    r"attorney general|attorneys general|legislature|assembly|cabinet|treasury|customs|inspectorate|"
    r"ombudsman|supervisor|prosecutor|prosecutors|judiciary|state duma|secretariat|directorate|"
    r"federal reserve|central bank|reserve bank|senators?|regional office|field office|division|state of)\b",
    re.IGNORECASE,
)
NON_COMPANY_WORDS = re.compile(
    r"\b(university|college|school|academy of sciences|institute of technology|foundation|association|union|"
    r"party|club|f\.?c\.?|united nations|church|hospital|museum|society|charity|trust|institute|"
    r"coalition|federation|league|team|army|navy|air force|military|forces|guard|brigade|militia|"
    r"(?:aerospace|space|task|reaction|defen[cs]e|security|police|border|naval|ground) force|"
    r"movement|front|council|committee|alliance|campaign|network for|organi[sz]ation|nations|olympics?|"
    r"games|festival|awards?|cup|championship|conference|summit|forum|programme|program|project|initiative|"
    r"act|bill|law|treaty|agreement|convention|directive|regulations?|rule|order|scheme|comments?|"
    r"funds?|benefits?|allowance|pension|wage|budget|statistics|enquiries|advice|regime|laboratory|observatory|"
    r"panel|command|band|regiment|squadron|monument|memorial|bridge|airport|station|power plant|canal|avenue|"
    r"street|road|hill|palace|cathedral|stadium|facility|operation|storm|hurricane|typhoon|cyclone|crude|index|"
    r"single market|markets|shadow|mep|mp|taoiseach|secretary|chancellor|president|mayor|governor|senator|judge|"
    r"prize|medal|census|survey|strategy|plan|review|report|update|volume|guidance|consultation|"
    r"development bank|investment bank|task force|registry|partnership|board)\b",
    re.IGNORECASE,
)
# Names whose shape says vessel, spacecraft or event rather than business: "MV Hondius", "HMS Victory".
NON_COMPANY_PREFIX = re.compile(r"^(?:MV|MS|MT|HMS|HMAS|HMCS|USS|RMS|SS|INS|Operation|Storm|Hurricane|Typhoon)\s")
MEDIA_WORDS = re.compile(
    r"\b(news|times|post|journal|daily|herald|tribune|gazette|magazine|radio|tv|television|press|"
    r"broadcasting|chronicle|observer|telegraph|newspaper|wire|mail|courier|gazette|tabloid|podcast)\b",
    re.IGNORECASE,
)


def clean_org_name(text: str) -> str:
    """Strips a leading "the", a possessive and legal suffixes: "Synopsys, Inc.'s" -> "Synopsys"."""
    name = " ".join(text.replace("\u2019", "'").split())
    name = _LEADING_THE.sub("", name)
    name = re.sub(r"\.{2,}$", ".", name)
    previous = None
    while previous != name:
        previous = name
        name = _POSSESSIVE.sub("", name)
        if _NAMED_COMPANY.match(name) and "," not in name:
            break
        name = _LEGAL_SUFFIX.sub("", name).strip(" ,(-:;&")
    return name


def name_key(text: str) -> str:
    """Comparison key: case-folded, punctuation and corporate suffixes dropped."""
    name = clean_org_name(text)
    name = _KEY_SUFFIX.sub("", name)
    return " ".join(_PUNCT.sub(" ", name).casefold().split())


def looks_like_authority(name: str) -> bool:
    return bool(AUTHORITY_WORDS.search(name))


# Street and landmark words name places, but a business is often named after one: "Oak Street Manufacturing".
_LANDMARK_WORDS = frozenset({"street", "road", "avenue", "hill", "bridge", "canal", "station"})


def looks_like_non_company(name: str) -> bool:
    if NON_COMPANY_PREFIX.match(name):
        return True
    words = {m.group(0).lower() for m in NON_COMPANY_WORDS.finditer(name)}
    if words and words <= _LANDMARK_WORDS and looks_like_business(name):
        return False
    return bool(words)


def looks_like_media(name: str) -> bool:
    return bool(MEDIA_WORDS.search(name))


_GENERIC_NAMES = {
    "state",
    "states",
    "city",
    "county",
    "province",
    "republic",
    "kingdom",
    "government",
    "court",
    "news",
    "group",
    "company",
    "council",
    "ministry",
    "board",
    "media",
    "union",
    "army",
    "police",
    "sim",
    "internet",
}


def plausible_company_name(name: str) -> bool:
    """Rejects fragments the NER tags as ORG but no one would list as a company."""
    if len(name) < 2 or not any(ch.isalpha() for ch in name) or name.lower() in _GENERIC_NAMES:
        return False
    if not name[:1].isupper() and not name[:1].isdigit() and not (len(name) > 1 and name[1].isupper()):
        return False
    if len(name) > 60 or len(name.split()) > 6:
        return False
    if name.isupper() and len(name) <= 2:
        return False
    return bool(_LEGAL_SUFFIX.sub("", " " + name).strip())


# Words that make a name a business's: "Roca Labs", "Nippon Steel", "Click Profit Distribution".
CORPORATE_WORDS = re.compile(
    r"\b(holdings?|group|technolog(?:y|ies)|systems|motors?|airlines?|airways|labs?|laboratories|pharma(?:ceuticals?)?|"
    r"capital|partners|ventures|enterprises?|industries|investments?|solutions|software|entertainment|energy|"
    r"communications|telecom(?:munications)?|networks|brothers|bros|foods?|steel|oil|petroleum|mining|financial|"
    r"energies|biosciences|genomics|"
    r"finance|securities|consulting|studios|games|logistics|retail|stores|automotive|electronics|semiconductors?|"
    r"biotech|therapeutics|robotics|aerospace|shipping|distribution|marketing|media|brands|trading|bancorp|"
    r"banking|insurance company|realty|properties|resources|chemicals?|apparel|cosmetics|motor company|"
    r"health(?:care)? (?:inc|corp)|ecom|e-commerce|dot ?com|truck|trucks|associates|aircraft|minerals|"
    r"manufacturing|farms|bank(?! of\b| for\b)|banco|banque)\b",
    re.IGNORECASE,
)
LEGAL_SUFFIX_WORDS = frozenset(
    {
        "inc", "inc.", "incorporated", "corp", "corp.", "corporation", "ltd", "ltd.", "limited", "llc", "l.l.c.",
        "llp", "lp", "plc", "gmbh", "ag", "s.a.", "sa", "se", "n.v.", "nv", "b.v.", "bv", "pty", "pte", "s.p.a.",
        "spa", "k.k.", "oy", "ab", "asa", "co.", "s.a.s.", "sarl", "s.r.l.", "srl"
    }
)
_PRODUCT_SHAPE = re.compile(r"^[ie][A-Z][a-z]")  # iPhone, iTunes, eReader; eBay is in the gazetteer


def looks_like_product(name: str) -> bool:
    """ "iPod", "iTunes Music Store": Apple-style product names (the maker is the company, not the product)."""
    return bool(_PRODUCT_SHAPE.match(name))


# A bank named in one word: "Sberbank", "Oschadbank", "Rabobank".
_COMPOUND_BANK = re.compile(r"\b[A-Z][a-z]{2,}bank\b")


def looks_like_business(name: str) -> bool:
    return bool(CORPORATE_WORDS.search(name) or _COMPOUND_BANK.search(name))


def balanced(name: str) -> str:
    """Cuts a name at an unclosed bracket the NER left in: "National Insurance (NI" -> "National Insurance"."""
    for open_, close in (("(", ")"), ("[", "]")):
        if name.count(open_) > name.count(close):
            name = name[: name.rfind(open_)].rstrip(" ,-")
    return name
