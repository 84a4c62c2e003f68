"""Analyzer: ArticleInput -> the analysis object of the spec, one at a time or batched."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.analyze.components import register_extensions
from pipeline.analyze.dates import parse_published
from pipeline.analyze.model import load_nlp, model_label
from pipeline.analyze.summary import relevance_score, salient_jurisdictions, summarise
from pipeline.errors import AnalyzeError
from pipeline.records import ArticleInput
from pipeline.settings import Settings

logger = logging.getLogger(__name__)


class Analyzer:
    """Runs the analysis pipeline. The spaCy model is loaded on first use, not on construction."""

    def __init__(self, settings: Settings | None = None, nlp: Language | None = None) -> None:
        self.settings = settings or Settings()
        self._nlp = nlp
        register_extensions()

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            self._nlp = load_nlp()
        return self._nlp

    def analyze(self, article: ArticleInput, *, default_published: date | None = None) -> dict:
        return next(self.analyze_many([article], default_published=default_published))

    def analyze_many(
        self, articles: Iterable[ArticleInput], *, default_published: date | None = None
    ) -> Iterator[dict]:
        """Same order as the input, batched through ``nlp.pipe``."""
        nlp = self.nlp
        fallback = default_published or date.today()
        prepared = ((self._prepare(article, fallback), article) for article in articles)
        batch_size = max(1, self.settings.analyze_batch_size)
        for doc, article in nlp.pipe(prepared, as_tuples=True, batch_size=batch_size):
            try:
                yield self._output(doc, article)
            except Exception as exc:  # one article's failure must name it
                raise AnalyzeError(f"article {article.id}: {exc}", source_id=article.source, url=article.url) from exc

    def _prepare(self, article: ArticleInput, fallback: date) -> Doc:
        doc = self.nlp.make_doc(article.text or "")
        doc._.regwatch_published = parse_published(article.published) or fallback
        doc._.regwatch_title = article.title
        doc._.regwatch_hint = article.jurisdiction_hint
        return doc

    def _output(self, doc: Doc, article: ArticleInput) -> dict:
        entities = doc._.regwatch_entities
        events = doc._.regwatch_events or []
        actors = {e.actor for e in events}
        dates, seen = [], set()
        for d in doc._.regwatch_dates or []:
            if (d.text, d.date) not in seen:
                seen.add((d.text, d.date))
                dates.append(d.as_dict())
        return {
            "id": article.id,
            "relevant": bool(events),
            "relevance": relevance_score(events, article.title),
            "summary": summarise(doc, events, article.title),
            "companies": entities.company_list(actors),
            "authorities": entities.authority_list(),
            "jurisdictions": salient_jurisdictions(doc, entities, events),
            "dates": dates,
            "events": [e.as_dict() for e in events],
            "model": model_label(self.nlp),
        }
