"""HTML fragments of feed summaries and contents -> plain text with paragraphs kept.

lxml does the parsing; block elements become line breaks, paragraphs are
separated by one blank line, scripts and styles are dropped.
"""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre", "section", "table",
    "tr", "ul", "details", "summary",
})
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head")
_LOOKS_LIKE_HTML = re.compile(
    r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(fragment: str | None) -> str | None:
    """Plain text of an HTML fragment; None or whitespace gives None."""
    if fragment is None or not fragment.strip():
        return None
    if not _LOOKS_LIKE_HTML.search(fragment):
        return normalize_text(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return normalize_text(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    for element in list(root.iter(*_DROP_TAGS)):
        element.drop_tree()
    for element in root.iter(lxml.etree.Element):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif tag in ("td", "th"):
            element.tail = " " + (element.tail or "")
        elif tag in _BLOCK_TAGS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return normalize_text(root.text_content())


def normalize_text(text: str) -> str | None:
    """Collapse spaces inside lines, keep single line breaks and one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return joined or None
