"""Text helpers of the web pages: highlighted segments and query-string edits for facet links.

Article text is untrusted. Nothing here builds HTML: it cuts text into ``Segment``s (plain text plus a
kind, or no kind), and the templates, with autoescaping on, print each segment's text escaped and wrap
the marked ones in ``<mark>``. So "escape first, then wrap" holds by construction: no offset is ever
applied to escaped text, and no markup can come from the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: The field of the query language that a facet of ``run_search`` filters on.
FACET_FIELDS = {"jurisdiction": "jurisdiction", "event_type": "type", "company": "company", "source": "source"}
FILTER_FIELDS = ("company", "jurisdiction", "type", "source", "tag", "status", "since", "until")
_PLAIN_VALUE = re.compile(r"^[^\s\"]+$")


@dataclass(frozen=True)
class Segment:
    text: str
    kind: str | None = None  # None: plain text; otherwise the CSS class suffix of the <mark>
    title: str | None = None  # shown on hover, e.g. the entity kind


def marked_segments(text: str, spans: Iterable[tuple[int, int]], kind: str = "hit") -> list[Segment]:
    """``text`` cut at ``spans`` (start, end offsets; out-of-range, empty and overlapping ones tolerated)."""
    clean: list[tuple[int, int]] = []
    for start, end in sorted((max(0, int(s)), min(len(text), int(e))) for s, e in spans):
        if end <= start:
            continue
        if clean and start <= clean[-1][1]:
            clean[-1] = (clean[-1][0], max(clean[-1][1], end))
        else:
            clean.append((start, end))
    segments: list[Segment] = []
    position = 0
    for start, end in clean:
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], kind))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def entity_segments(text: str, names: dict[str, str]) -> list[Segment]:
    """``text`` with every whole-word occurrence of each name marked by its kind.

    ``names`` maps a surface form to its kind (company, authority, jurisdiction, date). A name of several
    words matches in any case; a single word only as written ("US" is not "us", "Apple" not "apple").
    Longer names win where two overlap ("Bank of China" over "China").
    """
    wanted = sorted({name.strip() for name in names if name and name.strip()}, key=len, reverse=True)
    if not wanted or not text:
        return [Segment(text)] if text else []
    alternatives = [
        f"(?i:{re.escape(name)})" if " " in name else re.escape(name) for name in wanted
    ]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
    kinds = {name.strip().casefold(): kind for name, kind in names.items() if name and name.strip()}
    segments: list[Segment] = []
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            segments.append(Segment(text[position : match.start()]))
        kind = kinds.get(match.group(0).casefold(), "entity")
        segments.append(Segment(match.group(0), kind, kind))
        position = match.end()
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def paragraphs(text: str) -> list[str]:
    """The article text's paragraphs (blank-line or line separated), without empty ones."""
    return [part.strip() for part in re.split(r"\n\s*\n|\n", text or "") if part.strip()]


def filter_token(field: str, value: str) -> str:
    """``field:value`` in the query language, quoting a value with spaces (``company:"Bank of China"``)."""
    value = " ".join(value.split()).replace('"', "")
    return f"{field}:{value}" if _PLAIN_VALUE.match(value) else f'{field}:"{value}"'


def split_tokens(query: str) -> list[str]:
    """The query's tokens as typed (quoted parts kept whole); tolerant of malformed input.

    Only for editing the query text (facet links, removable filter chips); the meaning of the query is
    ``pipeline.search``'s parser's alone.
    """
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in query:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def is_filter(token: str) -> bool:
    field, sep, value = token.partition(":")
    return bool(sep and value) and field.lower() in FILTER_FIELDS


def add_filter(query: str, field: str, value: str) -> str:
    """``query`` with the filter ``field:value`` added (once)."""
    token = filter_token(field, value)
    tokens = split_tokens(query)
    if token.casefold() in (t.casefold() for t in tokens):
        return " ".join(tokens)
    return " ".join([*tokens, token])


def remove_token(query: str, token: str) -> str:
    """``query`` without ``token`` (as returned by ``split_tokens``)."""
    return " ".join(t for t in split_tokens(query) if t != token)


def month_filter(query: str, month: str) -> str:
    """``query`` restricted to one month (``YYYY-MM``): since the month's first day, until its last."""
    tokens = [t for t in split_tokens(query) if not t.lower().startswith(("since:", "until:"))]
    return " ".join([*tokens, f"since:{month}", f"until:{month}"])
