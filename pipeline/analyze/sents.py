"""The sentences and the text of an analysed document, computed once.

``doc.sents`` walks every token each time it is read, and so does ``doc.text`` (it joins the tokens again);
the entity, date, event and summary steps read both several times per document. Sentences are listed on
first use, after the sentence-setting components (the sentencizer and the paragraph splitter) have run;
both are kept in ``doc.user_data``. The tokens never change after the tokenizer, so the text cannot go stale.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

_KEY = "regwatch_sentences"
_TEXT = "regwatch_text"


def sentences(doc: Doc) -> list[Span]:
    if _KEY not in doc.user_data:
        doc.user_data[_KEY] = list(doc.sents)
    return doc.user_data[_KEY]


def doc_text(doc: Doc) -> str:
    """``doc.text``, joined once per document."""
    text = doc.user_data.get(_TEXT)
    if text is None:
        text = doc.user_data[_TEXT] = doc.text
    return text
