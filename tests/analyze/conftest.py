"""Fixtures for the analyze tests: the spaCy pipeline is loaded once per session."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.analyze import Analyzer, load_nlp
from pipeline.records import ArticleInput
from pipeline.settings import Settings

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
DEV_ARTICLES = CORPUS / "articles" / "dev.jsonl"


@pytest.fixture(scope="session")
def nlp() -> Language:
    return load_nlp()


@pytest.fixture(scope="session")
def analyzer(nlp: Language) -> Analyzer:
    return Analyzer(Settings(analyze_batch_size=8), nlp=nlp)


@pytest.fixture(scope="session")
def make_doc(nlp: Language) -> Callable[..., Doc]:
    """Runs the whole pipeline on a text, with the per-article context the Analyzer would set."""

    def run(
        text: str, published: date = date(2021, 8, 5), title: str | None = None, hint: str | None = None
    ) -> Doc:
        doc = nlp.make_doc(text)
        doc._.regwatch_published = published
        doc._.regwatch_title = title
        doc._.regwatch_hint = hint
        return nlp(doc)

    return run


@pytest.fixture(scope="session")
def analyze(analyzer: Analyzer) -> Callable[..., dict]:
    def run(text: str, published: str | None = "2021-08-05", title: str | None = None, **kwargs) -> dict:
        return analyzer.analyze(ArticleInput(id="t1", text=text, title=title, published=published, **kwargs))

    return run


@pytest.fixture(scope="session")
def dev_articles() -> list[dict]:
    if not DEV_ARTICLES.exists():
        pytest.fail(f"corpus not found at {DEV_ARTICLES}: ../shared must sit beside the checkout")
    with DEV_ARTICLES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
