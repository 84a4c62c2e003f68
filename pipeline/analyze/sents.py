"""The sentences of an analysed document, listed once.

``doc.sents`` walks every token each time it is read; the entity, event and summary steps read the
sentences several times per document. They are listed on first use, after the sentence-setting components
(the sentencizer and the paragraph splitter) have run, and kept in ``doc.user_data``.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

_KEY = "regwatch_sentences"


def sentences(doc: Doc) -> list[Span]:
    if _KEY not in doc.user_data:
        doc.user_data[_KEY] = list(doc.sents)
    return doc.user_data[_KEY]
