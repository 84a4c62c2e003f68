"""Analyzer: ArticleInput -> the analysis object of the spec, one at a time or batched."""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from itertools import islice

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
    """Runs the analysis pipeline. The spaCy model is loaded on first use, not on construction.

    With ``processes`` > 1, ``analyze_many`` runs in that many worker processes, each with its own model
    (spaCy's ``nlp.pipe(n_process=...)`` would ship every Doc back through ``Doc.to_bytes``, which cannot
    carry the ``doc._.regwatch_*`` results). The workers start on first use and live until ``close()``;
    they load the default model, not an ``nlp`` passed here. Results keep the input order.
    """

    def __init__(self, settings: Settings | None = None, nlp: Language | None = None, processes: int = 1) -> None:
        self.settings = settings or Settings()
        self._nlp = nlp
        self.processes = max(1, processes)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_size = 0
        self._model_label: str | None = None  # nlp.meta builds a new dict on each read
        register_extensions()

    def __enter__(self) -> Analyzer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            self._nlp = load_nlp()
        return self._nlp

    @property
    def model_label(self) -> str:
        if self._model_label is None:
            self._model_label = model_label(self.nlp)
        return self._model_label

    def analyze(self, article: ArticleInput, *, default_published: date | None = None) -> dict:
        return next(self.analyze_many([article], default_published=default_published))

    def analyze_many(
        self, articles: Iterable[ArticleInput], *, default_published: date | None = None,
        n_process: int | None = None,
    ) -> Iterator[dict]:
        """Same order as the input, batched through ``nlp.pipe``; ``n_process`` overrides ``processes``."""
        fallback = default_published or date.today()
        if (n_process or self.processes) > 1:
            yield from self._analyze_parallel(articles, fallback, n_process or self.processes)
            return
        nlp = self.nlp
        prepared = ((self._prepare(article, fallback), article) for article in articles)
        batch_size = max(1, self.settings.analyze_batch_size)
        for doc, article in nlp.pipe(prepared, as_tuples=True, batch_size=batch_size):
            try:
                yield self._output(doc, article)
            except Exception as exc:  # one article's failure must name it
                raise AnalyzeError(f"article {article.id}: {exc}", source_id=article.source, url=article.url) from exc

    def _analyze_parallel(self, articles: Iterable[ArticleInput], fallback: date, processes: int) -> Iterator[dict]:
        """Chunks of ``batch_size`` to the workers, at most two per worker in flight; a window smaller than
        ``batch_size * processes`` is split evenly, so a short input still uses every worker."""
        if self._pool is None or self._pool_size != processes:
            self.close()
            self._pool_size = processes
            self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self.settings,))
        batch_size = max(1, self.settings.analyze_batch_size)
        iterator = iter(articles)
        pending: deque[Future] = deque()
        while True:
            window = list(islice(iterator, batch_size * processes))
            if window:
                size = -(-len(window) // processes)
                for start in range(0, len(window), size):
                    pending.append(self._pool.submit(_analyze_chunk, window[start : start + size], fallback))
            while pending and (not window or len(pending) > processes):
                yield from pending.popleft().result()
            if not window:
                return

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
            "relevance": relevance_score(events, article.title, doc._.regwatch_relevance),
            "summary": summarise(doc, events, article.title),
            "companies": entities.company_list(actors),
            "authorities": entities.authority_list(),
            "jurisdictions": salient_jurisdictions(doc, entities, events),
            "dates": dates,
            "events": [e.as_dict() for e in events],
            "model": self.model_label,
        }


_worker: Analyzer | None = None


def _init_worker(settings: Settings) -> None:
    global _worker
    _worker = Analyzer(settings)
    _worker.nlp  # noqa: B018  (load the model before the first chunk arrives)


def _analyze_chunk(articles: list[ArticleInput], fallback: date) -> list[dict]:
    if _worker is None:
        raise AnalyzeError("analysis worker process was not initialised")
    return list(_worker.analyze_many(articles, default_published=fallback))
