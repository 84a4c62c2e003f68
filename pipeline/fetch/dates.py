"""Feed dates -> timezone-aware UTC datetimes.

feedparser reads RFC 822 / ISO 8601 and many variants; what it cannot read
(Portuguese day names, "2020/1/10 14:33:00" in some versions) goes through
``email.utils``, ISO parsing and finally ``dateparser`` (imported on first
use: it costs ~0.1 s to import and ~2 s to load every language on its first
language-free call, so the feed language is passed as a hint when known).
"""

from __future__ import annotations

import calendar
import email.utils
import logging
import re
import time
from datetime import UTC, datetime

logger = logging.getLogger(__name__)

#: Tried before dateparser's all-language detection, which costs ~1.5 s on its first call.
COMMON_LANGUAGES = ["en", "pt", "es", "fr", "de", "it", "nl", "ru", "pl", "cs", "sk", "tr", "zh", "ja"]
#: "2020/1/10 14:33:00": feedparser reads it as 2020-11-01; such dates are parsed here instead.
_SLASHED_YMD = re.compile(r"^\s*\d{4}/\d{1,2}/\d{1,2}\b")
_DATEPARSER_SETTINGS = {"TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True}


def from_struct(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` tuples are UTC."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def feedparser_misreads(text: str | None) -> bool:
    return bool(text and _SLASHED_YMD.match(text))


def parse_date(text: str | None, language: str | None = None) -> datetime | None:
    """Best effort: a UTC-aware datetime, or None when the text is not a date."""
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    try:
        return _utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    return _dateparser(text, language)


def _dateparser(text: str, language: str | None) -> datetime | None:
    import dateparser  # noqa: PLC0415 - slow import, needed only for odd dates

    languages = list(COMMON_LANGUAGES)
    if language:
        code = language.strip().lower().replace("_", "-").split("-", 1)[0]
        if code and code not in languages:
            languages.insert(0, code)
    result = None
    for attempt in (languages, None):
        try:
            result = dateparser.parse(text, languages=attempt, settings=_DATEPARSER_SETTINGS)
        except (ValueError, OverflowError, TypeError) as exc:  # unknown language codes, odd inputs
            logger.debug("date %r not parsed with languages %s: %s", text, attempt, exc)
        if result is not None:
            break
    return _utc(result) if result else None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
