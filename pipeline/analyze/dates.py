"""DATE entities to ISO dates that keep their precision, tagged by the words before them.

"23 August" with the article published 2021-08-05 is ``2021-08-23``; "August 2021" is ``2021-08``;
"2025" is ``2025``. Durations ("three years") and vague spans ("recent years") are dropped: only
spans naming a month, a weekday, a year or a relative day survive.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dateparser.date import DateDataParser
from spacy.tokens import Doc, Span

logger = logging.getLogger(__name__)

_MONTH = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|"
    r"nov(ember)?|dec(ember)?"
)
_WEEKDAY = r"mon(day)?|tue(s(day)?)?|wed(nesday)?|thu(rs(day)?)?|fri(day)?|sat(urday)?|sun(day)?"
_ANCHORED = re.compile(
    rf"\b({_MONTH}|{_WEEKDAY})\b\.?|\b(1[6-9]|20)\d\d\b|\b(today|tomorrow|yesterday|ago)\b|"
    r"\b(next|last|this|coming|previous)\s+(week|month|year|quarter)\b",
    re.IGNORECASE,
)
_DECADE = re.compile(r"\b\d{2,4}'?s\b")
_YEAR = re.compile(r"\b((?:1[6-9]|20)\d\d)\b")
_LEADING = re.compile(r"^(the|on|by|from|until|since|in|of|early|late|mid|mid-|end of|beginning of)\s+", re.I)

# Words right before a date that say when something takes effect, or when it was announced.
EFFECTIVE_CUE = re.compile(
    r"\b(from|starting( on| from)?|start(s|ing)? on|effective( from| on| as of)?|as of|as from|"
    r"beginning( on)?|"
    r"by|no later than|takes? effect( on| from)?|took effect( on)?|goes into effect( on)?|"
    r"went into effect( on)?|"
    r"comes? into (force|effect)( on)?|came into (force|effect)( on)?|enters? into force( on)?|"
    r"entered into force( on)?|in force (from|on)|appl(y|ies|ied) from|will apply( from| on)?|"
    r"kicks? in( on)?|go(es)? live( on)?)\s*(the\s+)?$",
    re.IGNORECASE,
)
ANNOUNCEMENT_CUE = re.compile(
    r"\b(announced|said|stated|declared|published|issued|released|confirmed|reported|unveiled)"
    r"(\s+\w+){0,2}\s+(on|in)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResolvedDate:
    text: str
    date: str  # YYYY-MM-DD, YYYY-MM or YYYY
    precision: str  # day, month, year
    kind: str  # effective, announcement, other
    start: int  # token offsets in the doc
    end: int

    def as_dict(self) -> dict:
        return {"text": self.text, "date": self.date, "kind": self.kind, "precision": self.precision}


def parse_published(value: str | date | datetime | None) -> date | None:
    """An ISO date or datetime string (or object) as a date; None when missing or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        logger.debug("unreadable published date %r", value)
        return None


@lru_cache(maxsize=64)
def _parser(base: date) -> DateDataParser:
    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime(base.year, base.month, base.day),
            "PREFER_DATES_FROM": "current_period",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


@lru_cache(maxsize=4096)
def resolve_date_text(text: str, base: date) -> tuple[str, str] | None:
    """``(iso, precision)`` for a date expression, or None when it names no point in time."""
    cleaned = " ".join(text.replace("\u2019", "'").split()).strip(" ,.;:()")
    if not cleaned or _DECADE.search(cleaned) or not _ANCHORED.search(cleaned):
        return None
    previous = None
    while previous != cleaned:
        previous, cleaned = cleaned, _LEADING.sub("", cleaned)
    try:
        data = _parser(base).get_date_data(cleaned)
    except Exception:  # dateparser raises a variety of errors on odd input
        logger.debug("dateparser failed on %r", cleaned, exc_info=True)
        data = None
    if data is None or data.date_obj is None:
        years = _YEAR.findall(cleaned)
        return (years[0], "year") if years else None
    value = data.date_obj.date()
    period = data.period or "day"
    if period == "year":
        return f"{value.year:04d}", "year"
    if period in ("month", "quarter"):
        return f"{value.year:04d}-{value.month:02d}", "month"
    return value.isoformat(), "day"


def date_kind(doc: Doc, span: Span) -> str:
    """``effective`` / ``announcement`` / ``other`` from the few words before the date."""
    window_start = max(span.sent.start, span.start - 6)
    before = doc[window_start : span.start].text
    if EFFECTIVE_CUE.search(before):
        return "effective"
    if ANNOUNCEMENT_CUE.search(before):
        return "announcement"
    return "other"


def resolve_dates(doc: Doc, published: date) -> list[ResolvedDate]:
    found = []
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        resolved = resolve_date_text(ent.text, published)
        if resolved is None:
            continue
        iso, precision = resolved
        found.append(ResolvedDate(ent.text, iso, precision, date_kind(doc, ent), ent.start, ent.end))
    return found
