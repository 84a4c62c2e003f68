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

from pipeline.analyze.sents import doc_text

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
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The reporting day itself: "today", "earlier today", "now", "on the day" (of a market report), "tonight".
_SAME_DAY = re.compile(
    r"^((earlier|later|late|early) )?(today|tonight|now|this (morning|afternoon|evening)|"
    r"(late |early )?(in |on )?the day)$",
    re.IGNORECASE,
)
_REL_MONTH = re.compile(rf"^(?P<which>last|next|this|coming|past|previous)\s+(?P<month>{_MONTH})$", re.IGNORECASE)
_BARE_MONTH = re.compile(rf"^({_MONTH})\.?$", re.IGNORECASE)
_DAY_MONTH = re.compile(
    rf"^(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH})|(?P<m2>{_MONTH})\.?\s+"
    rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)$",
    re.IGNORECASE,
)
_WEEKDAY_ONLY = re.compile(rf"^((?P<which>last|next|this|coming|past|previous)\s+)?(?P<day>{_WEEKDAY})$", re.IGNORECASE)
_SHORT_YEAR = re.compile(r"^['\u2019](\d\d)$")
_NUMERIC = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_YEAR_PART = re.compile(
    r"^(the )?(start|beginning|end|middle|rest|remainder|course|whole|entire) of (the|this|that|next|last) year$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b((?:1[6-9]|20)\d\d)\b")
WEEKDAY_AHEAD = 2  # a bare weekday up to two days ahead is the coming one ("Wednesday" said on a Monday)
_LEADING = re.compile(r"^(the|on|by|from|until|since|in|of|early|late|mid|mid-|end of|beginning of)\s+", re.I)

# Words right before a date that say when something takes effect, or when it was announced.
_WHEN = r"( on| in| from| at)?"
EFFECTIVE_CUE = re.compile(
    r"\b(from|starting( on| from| in)?|start(s|ing)? on|effective( from| on| as of| in)?|as of|as from|"
    r"beginning( on| in)?|begins? on|began on|will begin( on| in)?|"
    rf"by|no later than|(takes?|taking) effect{_WHEN}|took effect{_WHEN}|(goes|going) into effect{_WHEN}|"
    rf"went into effect{_WHEN}|(go|goes|went|come|comes|came|coming) in ?to (force|effect){_WHEN}|"
    rf"(enters?|entering)( into)? force{_WHEN}|entered( into)? force{_WHEN}|in force (from|on|in)|"
    rf"appl(y|ies|ied) from|"
    # a change put off to a later day: "postpones the tariffs until July 9", "delayed to 1 March"
    rf"(postpon|delay|defer)\w*\b([^.;]{{0,60}}\s)?(until|till|to)|"
    rf"will apply{_WHEN}|kicks? in{_WHEN}|go(es)? live{_WHEN}|"
    rf"will be (introduced|implemented|banned|phased out|in place|enforced|required|imposed|lifted|levied|"
    rf"applied|abolished|scrapped|prohibited|mandatory|restricted|blocked|suspended){_WHEN})\s*(the\s+)?$",
    re.IGNORECASE,
)
# The same with a few words between: "comes into force in Britain on 1 July", "will apply to all firms from".
EFFECTIVE_NEAR = re.compile(
    r"\b(effect|force|apply|applies|effective|kicks? in|go(es)? live)\b(\s+[\w'-]+){1,4}?\s+(on|from|in|by)\s*"
    r"(the\s+)?$",
    re.IGNORECASE,
)
# An effect stated without a date ("the law takes effect") happens on the day of the story.
EFFECT_TODAY = re.compile(
    r"\b(takes effect|take effect|comes into (force|effect)|come into (force|effect)|enters( into)? force|"
    r"enter( into)? force|goes into effect|go into effect|kicks in|implements|(is|are) implemented|"
    r"with immediate effect|effective immediately|expires|lapses|"
    # a change in force from the story's day: "begins enforcing a curfew", "is formally decriminalised", "becomes
    # the 38th country to legalise ...", "becomes the eleventh member state of ..."
    r"begins? (enforcing|implementing|applying)|began (enforcing|implementing|applying)|"
    r"(is|are) (formally |officially )?(decriminali[sz]ed|legali[sz]ed|abolished)|"
    r"becomes? the (first|second|third|\w+th|\d+(st|nd|rd|th))\s+(\w+\s+){0,3}?(country|state|nation|member))\b"
    r"(?!\s+(on|from|at|by|next|later|after|when|once|within|\d))"
    # "in Bolivia" is a place, "in March" or "in 30 days" a later time
    r"(?!\s+in\s+(\d{4}\b|\d+\s+(days?|weeks?|months?|years?)\b|a |an |the (coming|next|new|first|second|third|fourth)|"
    r"early|late|mid|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|spring|summer|autumn|fall|winter))",
    re.IGNORECASE,
)
# A season the NER leaves out of the date ("in the autumn 2014" tags only "2014"): read past it.
_SEASON_BEFORE = re.compile(
    r"\s*\b(the\s+)?((early|late|mid-?)\s*)?(spring|summer|autumn|fall|winter)( of)?\s*$", re.IGNORECASE
)
# The effect told after the date: "On 1 July, the new law takes effect", "2026 is when the tax kicks in".
EFFECTIVE_AFTER = re.compile(
    r"^[\s,]*((is|was)\s+when\s+)?(the\s+)?([\w'-]+\s+){0,5}?(will\s+)?(takes? effect|took effect|"
    r"(comes?|came|goes|went|enters?|entered) in ?to (force|effect)|enters?( into)? force|entered( into)? force|"
    r"kicks? in|becomes? effective|became effective)\b",
    re.IGNORECASE,
)
# Words after a date that make it the start of a period of conduct ("from April 2021 to May 2023"), not the
# day a change starts.
_RANGE_AFTER = re.compile(r"^\s*(to|until|till|through|thru|and)\b|^\s*[-\u2013]\s*\w", re.IGNORECASE)
_RANGE_INSIDE = re.compile(r"\w\s+(to|until|till|through|thru)\s+\w|\w\s*[-\u2013]\s*(\d|[A-Z])", re.IGNORECASE)
_RANGE_SPLIT = re.compile(r"\s+(?:to|until|till|through)\s+(?=\S)|\s*\u2013\s*", re.IGNORECASE)
_BARE_FROM = re.compile(r"(from|between)(\s+the)?", re.IGNORECASE)
_BARE_BY = re.compile(r"by(\s+the)?", re.IGNORECASE)
# "a memo from Monday", "figures from March": a bare "from" after a record's noun dates the record.
_RECORD_FROM = re.compile(
    r"\b(memo|memorandum|letter|report|statement|order|ruling|decision|data|figures|email|message|post|speech|"
    r"meeting|remarks|comments|call|interview|video|filing|document|documents|note|notice|poll|survey)s?\s+"
    r"from(\s+the)?\s*$"
    # a change measured against an earlier time: "down 30% from 2019", "recovered from"
    r"|(%|\bpercent|\bper cent|\bdown|\bup|\brose|\bfell|\bdropped|\bclimbed|\brecovered|\brebounded|"
    r"\b(reduction|increase|decrease|cut|rise|drop|fall|decline|jump|hike)s?)\s+from"
    r"(\s+the)?\s*$",
    re.IGNORECASE,
)
_REPORTING = re.compile(r"\b(said|says|announced|announces|told|reported|added)\b", re.IGNORECASE)
# A season with a year that the NER leaves untagged ("in the autumn 2014", "by spring 2027").
_SEASON_YEAR = re.compile(
    r"\b(?:the\s+)?(?:(?:early|late|mid-?)\s*)?(?:spring|summer|autumn|fall|winter)(?:\s+of)?\s+((?:19|20)\d\d)\b",
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
def resolve_date_text(text: str, base: date, future: bool = False) -> tuple[str, str] | None:
    """``(iso, precision)`` for a date expression, or None when it names no point in time. ``future``: the
    words around it say it is still to come ("from Monday", "effective 1 July"), so a weekday or a month
    named without a year is the next one, not the last."""
    cleaned = " ".join(text.replace("\u2019", "'").split()).strip(" ,.;:()")
    cleaned = _RANGE_SPLIT.split(cleaned, maxsplit=1)[0]  # "1 July to 31 December": the start
    special = _special_date(cleaned, base, future)
    if special is not None:
        return special
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


# A stretch of time counted from the story's day, read only where the words say it is still to come: "in 30
# days" after "takes effect" is a day; "30 days" after "jailed for" or "from 90 days to 30" is no date at all.
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18,
                 "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90}
_COUNT = r"(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s+(?P<unit>day|week|month|year)s?(?:'s|')?"
_AHEAD = re.compile(
    rf"^(?:(?:in|within|after)\s+{_COUNT}(?:\s+(?:time|later|from now))?"
    r"|the (?:following|next) (?P<next>day)|the following (?P<following>week|month|year))$"
)
_COUNTED = re.compile(rf"^{_COUNT}", re.IGNORECASE)  # "30 days", whose "in" the NER leaves out


def _ahead(base: date, match: re.Match) -> tuple[str, str] | None:
    unit = match.group("unit") or match.group("next") or match.group("following")
    n = int(_NUMBER_WORDS.get(match.group("n"), match.group("n"))) if match.group("n") else 1
    if unit in ("day", "week"):
        return date.fromordinal(base.toordinal() + n * (7 if unit == "week" else 1)).isoformat(), "day"
    if unit == "month":
        months = base.year * 12 + base.month - 1 + n
        return f"{months // 12:04d}-{months % 12 + 1:02d}", "month"
    return f"{base.year + n:04d}", "year"


def _month_number(word: str) -> int:
    return _MONTHS.index(word[:3].lower()) + 1


def _nearest_year(base: date, month: int) -> int:
    """The year of a month named without one: the story's own year, unless that puts it more than six months
    ahead (then last year: "11 December" in a January story) or ten months back (then next year)."""
    delta = month - base.month
    if delta > 6:
        return base.year - 1
    if delta <= -10:
        return base.year + 1
    return base.year


def _special_date(text: str, base: date, future: bool = False) -> tuple[str, str] | None:
    """The expressions dateparser gets wrong or misses, resolved against ``base``."""
    lowered = text.lower()
    if future and (match := _AHEAD.match(lowered)):  # "take effect in 30 days", "the following day"
        return _ahead(base, match)
    while lowered.startswith(("on ", "from ", "by ", "since ", "until ", "in ")):
        lowered = lowered.split(" ", 1)[1]
    if _SAME_DAY.match(lowered):
        return base.isoformat(), "day"
    if _YEAR_PART.match(lowered):
        word = lowered.split()[-2]
        year = base.year + {"next": 1, "last": -1}.get(word, 0)
        return f"{year:04d}", "year"
    if match := _SHORT_YEAR.match(lowered):
        two = int(match.group(1))
        year = 1900 + two if 1900 + two <= base.year - 10 + 100 and two > base.year % 100 else 2000 + two
        return f"{year:04d}", "year"
    if match := _NUMERIC.match(lowered):
        month, day, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        year += 2000 if year < 100 and year <= base.year % 100 + 1 else (1900 if year < 100 else 0)
        try:
            return date(year, month, day).isoformat(), "day"
        except ValueError:
            return None
    if match := _REL_MONTH.match(lowered):
        which, month = match.group("which"), _month_number(match.group("month"))
        if which in ("last", "past", "previous"):
            year = base.year if month < base.month else base.year - 1
        elif which in ("next", "coming"):
            year = base.year if month > base.month else base.year + 1
        else:
            year = base.year
        return f"{year:04d}-{month:02d}", "month"
    if _BARE_MONTH.match(lowered) and lowered not in ("may", "mar"):
        month = _month_number(lowered)
        year = base.year + (month < base.month) if future else _nearest_year(base, month)
        return f"{year:04d}-{month:02d}", "month"
    if match := _DAY_MONTH.match(lowered):
        day = int(match.group("d1") or match.group("d2"))
        month = _month_number(match.group("m1") or match.group("m2"))
        year = base.year + ((month, day) < (base.month, base.day)) if future else _nearest_year(base, month)
        try:
            return date(year, month, day).isoformat(), "day"
        except ValueError:
            return None
    if match := _WEEKDAY_ONLY.match(lowered):
        which, weekday = match.group("which"), _WEEKDAYS.index(match.group("day")[:3])
        ahead = (weekday - base.weekday()) % 7
        if which in ("next", "coming"):
            offset = ahead or 7
        elif which in ("last", "past", "previous"):
            offset = -((base.weekday() - weekday) % 7 or 7)
        elif which == "this" or future:
            offset = ahead
        else:  # a bare weekday: the nearest one, the day itself included
            offset = ahead if ahead <= WEEKDAY_AHEAD else ahead - 7
        return date.fromordinal(base.toordinal() + offset).isoformat(), "day"
    return None


def date_kind(doc: Doc, span: Span, published: date | None = None) -> str:
    """``effective`` / ``announcement`` / ``other`` from the few words before the date (and, for a date that
    opens its clause, the words after it). A bare "from" before a range that began before ``published`` is a
    period of conduct ("abused its position from 2019 to 2023"), not the start of a change, and a bare "by" before
    a day already past is a deadline that was missed."""
    if names_a_text(span):
        return "other"
    window_start = max(span.sent.start, span.start - 8)
    before = _SEASON_BEFORE.sub("", doc[window_start : span.start].text)
    cue = EFFECTIVE_CUE.search(before)
    if cue or EFFECTIVE_NEAR.search(before):
        bare = cue is not None and _BARE_FROM.fullmatch(cue.group(0).strip()) and not EFFECTIVE_NEAR.search(before)
        if bare and (_RECORD_FROM.search(before) or (_is_range(doc, span) and _began_before(span.text, published))):
            return "other"
        if (cue is not None and _BARE_BY.fullmatch(cue.group(0).strip()) and not EFFECTIVE_NEAR.search(before)
                and _began_before(span.text, published)):
            return "other"  # a deadline already past ("failed to adopt the law by 2021") starts nothing
        return "effective"
    if ANNOUNCEMENT_CUE.search(before):
        return "announcement"
    opening = doc[span.sent.start : span.start].text
    if _PUT_OFF.search(opening) or _CHANGE_OF.search(opening):
        return "effective"
    if _effect_follows(doc, span) or _future_change(doc, span):
        return "effective"
    return "other"


# A change put off, with its object described at length before the day: "postpones sanctions on X, of which ...
# hold a majority of shares, until October 8".
_PUT_OFF = re.compile(r"\b(postpone[sd]?|postponing|delay(s|ed|ing)?|defer(s|red|ring)?)\b[^.;]{0,200}?,?\s"
                      r"(until|till)\s*(the\s+)?$", re.IGNORECASE)
# A change announced as a noun, then its time: "announces the end of protected status for 4,000 nationals in
# January", "announces the reopening of the border post with Somalia in April".
_CHANGE_OF = re.compile(r"\b(announce[sd]?|announcing|confirms?|confirmed|orders?|ordered)\s+(the\s+)?(reopening|"
                        r"closure|closing|end|ending|introduction|lifting|suspension|resumption|abolition|removal|"
                        r"withdrawal|expansion|extension)\s+of\b[^.;]{0,120}?\s(in|on|from)\s*(the\s+)?$",
                        re.IGNORECASE)


# "will replace the lev as the official currency on 1 January", "will officially join the bloc in October": a
# change still to come, dated. Not the day of a step on the way ("will vote on", "will meet in").
_FUTURE_CHANGE = re.compile(
    r"\bwill\s+(?:\w+ly\s+)?(?!(?:announce|decide|vote|meet|hold|discuss|consider|publish|review|debate|hear|rule|"
    r"visit|travel|host|sign|talk|speak|present|release|report|respond|appear|testify|say|tell|make|"
    r"be\s+(?:held|announced|published|decided|discussed|reviewed|heard|signed|released))\b)[a-z]+\b"
    r"[^,;:]*\s(?:on|in|from|at)(?:\s+the)?\s*$",
    re.IGNORECASE,
)


# "Samsung Messages is being discontinued in the US on July 6": a change under way, dated.
_BEING_CHANGED = re.compile(
    r"\b(?:is|are)\s+being\s+(?!(?:held|announced|published|decided|discussed|reviewed|heard|signed|released|"
    r"investigated|tried|debated|considered|prepared|planned)\b)[a-z]+ed\b[^,;:]*\s(?:on|in|from)(?:\s+the)?\s*$",
    re.IGNORECASE,
)


def _future_change(doc: Doc, span: Span) -> bool:
    before = doc[max(span.sent.start, span.start - 14) : span.start].text
    return bool(_FUTURE_CHANGE.search(before) or _BEING_CHANGED.search(before)) and not _REPORTING.search(before)


# The year in the title of a law or a treaty ("the Renters' Rights Act 2025") dates the text, not the change.
_BARE_YEAR = re.compile(r"(19|20)\d\d")
_TITLE_WORDS = frozenset({"act", "law", "bill", "treaty", "regulation", "regulations", "directive", "code", "order",
                          "agreement", "accord", "convention", "protocol", "ordinance", "decree", "amendment"})


def names_a_text(span: Span) -> bool:
    """A bare year right after a title-case "Act", "Treaty", "Directive" ...: part of the text's name."""
    before = span.doc[span.start - 1] if span.start > 0 else None
    return (before is not None and before.is_title and before.lower_ in _TITLE_WORDS
            and bool(_BARE_YEAR.fullmatch(span.text.strip())))


def _is_range(doc: Doc, span: Span) -> bool:
    """ "April 2021 to May 2023" (one entity or two): the span opens a period."""
    after = doc[span.end : min(span.sent.end, span.end + 2)].text
    return bool(_RANGE_INSIDE.search(span.text) or _RANGE_AFTER.search(after))


def _began_before(text: str, published: date | None) -> bool:
    if published is None:
        return True
    resolved = resolve_date_text(text, published)
    return resolved is not None and resolved[0] < published.isoformat()[: len(resolved[0])]


def _effect_follows(doc: Doc, span: Span) -> bool:
    """ "On 1 July, the rules take effect": the effect comes a few words after the date, with no other date
    and no reporting verb ("said") between them, as then the date belongs to the report."""
    window = doc[span.end : min(span.sent.end, span.end + 9)]
    if any(ent.label_ == "DATE" for ent in window.ents):
        return False
    match = EFFECTIVE_AFTER.search(window.text)
    return match is not None and not _REPORTING.search(window.text[: match.end()])


_PAST_CONTEXT = re.compile(r"\b(took|went|came|entered|was|were|had|has been|have been|since)\b", re.IGNORECASE)


def _future_context(doc: Doc, span: Span) -> bool:
    """An effective date not told in the past tense ("took effect on Monday") is still to come. Only the
    date's own clause counts: in "the law, which was passed in May, takes effect on Friday" Friday is ahead."""
    before = doc[max(span.sent.start, span.start - 8) : span.start].text
    before = re.split(r"[,;:]", before)[-1]
    return not _PAST_CONTEXT.search(before)


def resolve_dates(doc: Doc, published: date) -> list[ResolvedDate]:
    found = []
    for ent in [*(e for e in doc.ents if e.label_ == "DATE"), *_untagged_seasons(doc)]:
        kind = date_kind(doc, ent, published)
        text = ent.text
        if ent.start > 0 and doc[ent.start - 1].lower_ in ("in", "within", "after") and _COUNTED.match(text):
            text = f"{doc[ent.start - 1].lower_} {text}"
        resolved = resolve_date_text(text, published, kind == "effective" and _future_context(doc, ent))
        if resolved is None:
            continue
        iso, precision = resolved
        found.append(ResolvedDate(ent.text, iso, precision, kind, ent.start, ent.end))
    return sorted(found, key=lambda d: d.start)


def _untagged_seasons(doc: Doc) -> list[Span]:
    """The year of "in the autumn 2014" when the NER tagged no date there: small models miss such years."""
    tagged = {i for ent in doc.ents if ent.label_ == "DATE" for i in range(ent.start, ent.end)}
    spans = []
    for match in _SEASON_YEAR.finditer(doc_text(doc)):
        span = doc.char_span(match.start(1), match.end(1), alignment_mode="expand")
        if span is not None and len(span) and not any(i in tagged for i in range(span.start, span.end)):
            spans.append(span)
    return spans
