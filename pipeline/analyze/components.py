"""The analyze stage's spaCy components, registered as factories with default configs.

Order in the pipeline (see ``model.build_pipeline``)::

    ner -> sentencizer -> regwatch_paragraphs -> regwatch_gazetteer -> regwatch_entities
        -> regwatch_dates -> regwatch_events

Per-article context is set on the Doc before the pipeline runs: ``doc._.regwatch_published`` (a date
that anchors relative dates), ``doc._.regwatch_title`` and ``doc._.regwatch_hint`` (the source's
jurisdiction). Each component leaves its result on a ``doc._.regwatch_*`` attribute.
"""

from __future__ import annotations

import re
from datetime import date

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.analyze.company_model import load_company_model
from pipeline.analyze.dates import resolve_dates
from pipeline.analyze.encoder import load_encoder
from pipeline.analyze.entities import extract_entities
from pipeline.analyze.events import MIN_CONFIDENCE, extract_events, rank_events
from pipeline.analyze.gazetteer import GazetteerMatcher, load_gazetteer
from pipeline.analyze.places import DEFAULT_PLACES, PlaceResolver, default_resolver
from pipeline.analyze.ranker import load_model
from pipeline.analyze.sents import doc_text

_LINE_BREAK = re.compile(r"\s*\n\s*")
_EXTENSIONS = (
    "regwatch_published",
    "regwatch_title",
    "regwatch_hint",
    "regwatch_gazetteer",
    "regwatch_entities",
    "regwatch_dates",
    "regwatch_events",
    "regwatch_relevance",
)


def register_extensions() -> None:
    for name in _EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def anchor_date(doc: Doc) -> date:
    return doc._.regwatch_published or date.today()


@Language.factory("regwatch_paragraphs")
def make_paragraphs(nlp: Language, name: str) -> ParagraphBreaks:
    return ParagraphBreaks()


class ParagraphBreaks:
    """A line break always ends a sentence: titles and list items are not glued to the next line."""

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        for match in _LINE_BREAK.finditer(text):
            if match.end() >= len(text):
                break
            span = doc.char_span(match.end(), match.end() + 1, alignment_mode="expand")
            if span is not None and len(span) and span.start > 0 and not span[0].is_space:
                span[0].is_sent_start = True
        return doc


@Language.factory("regwatch_gazetteer", default_config={"extra_paths": []})
def make_gazetteer(nlp: Language, name: str, extra_paths: list[str]) -> GazetteerMatcher:
    register_extensions()
    return GazetteerMatcher(nlp, load_gazetteer(extra_paths))


@Language.factory("regwatch_entities", default_config={"extra_paths": [], "places_path": None, "use_model": True})
def make_entities(
    nlp: Language, name: str, extra_paths: list[str], places_path: str | None, use_model: bool
) -> EntityLinker:
    register_extensions()
    resolver = PlaceResolver(places_path) if places_path and places_path != str(DEFAULT_PLACES) else None
    return EntityLinker(extra_paths, resolver or default_resolver(), use_model)


class EntityLinker:
    """Entities of the document; the company model (``data/company_model.json``) makes the last cut."""

    def __init__(self, extra_paths: list[str], resolver: PlaceResolver, use_model: bool = True) -> None:
        self.gazetteer = load_gazetteer(extra_paths)
        self.resolver = resolver
        self.company_model = load_company_model() if use_model else None

    def __call__(self, doc: Doc) -> Doc:
        if doc._.regwatch_gazetteer is None:
            doc._.regwatch_gazetteer = []
        doc._.regwatch_entities = extract_entities(
            doc, self.gazetteer, self.resolver, doc._.regwatch_hint, title_end(doc), self.company_model
        )
        return doc


def title_end(doc: Doc) -> int:
    """The token index where the title ends, when the text starts with it."""
    title = (doc._.regwatch_title or "").strip()
    if not title:
        return 0
    text = doc_text(doc)
    if not text.lstrip().startswith(title):
        return 0
    offset = len(text) - len(text.lstrip()) + len(title)
    span = doc.char_span(0, offset, alignment_mode="expand")
    return span.end if span is not None else 0


@Language.factory("regwatch_dates")
def make_dates(nlp: Language, name: str) -> DateResolver:
    register_extensions()
    return DateResolver()


class DateResolver:
    def __call__(self, doc: Doc) -> Doc:
        doc._.regwatch_dates = resolve_dates(doc, anchor_date(doc))
        return doc


@Language.factory("regwatch_events", default_config={"min_confidence": MIN_CONFIDENCE, "use_model": True})
def make_events(nlp: Language, name: str, min_confidence: float, use_model: bool) -> EventFinder:
    register_extensions()
    return EventFinder(min_confidence, use_model)


class EventFinder:
    """Cue candidates, then the trained ranker (``data/event_model.json``) when shipped and ``use_model``."""

    def __init__(self, min_confidence: float, use_model: bool = True) -> None:
        self.min_confidence = min_confidence
        self.model = load_model() if use_model else None
        self.encoder = load_encoder() if self.model is not None and self.model.blend is not None else None

    def __call__(self, doc: Doc) -> Doc:
        if self.model is not None:
            doc._.regwatch_events, doc._.regwatch_relevance = rank_events(
                doc,
                doc._.regwatch_entities,
                doc._.regwatch_dates or [],
                anchor_date(doc),
                doc._.regwatch_title,
                self.model,
                self.encoder,
            )
            return doc
        doc._.regwatch_events = extract_events(
            doc,
            doc._.regwatch_entities,
            doc._.regwatch_dates or [],
            anchor_date(doc),
            doc._.regwatch_title,
            self.min_confidence,
        )
        return doc
