"""The words every cue needs (``Cue.keys``): a sentence without any of them is not searched. The shortcut must
never change which cues match."""

from __future__ import annotations

import re

import pytest

from pipeline.analyze.cues import CUES, required_keys
from pipeline.analyze.events import title_types


@pytest.mark.parametrize(
    ("pattern", "keys"),
    [
        (r"\bban(s|ned)?\b", {"ban"}),
        (r"\bfined\b|\boutlaws?\b", {"fined", "outlaw"}),
        (r"\b(pays?|paid) (a )?fine\b", {"fine"}),  # the longest fixed text of the sequence
        (r"\bLicen[cs]e\b", {"licen"}),  # case-folded
        (r"\b(suspend|halt)(s|ed)? [^.;]{0,40}\bsales\b", {"sales"}),
        (r"\bcharg(e|es)? (the )?\w+ with\b", {"charg"}),  # of two as long, the first
        (r"\w+ed\b", {"ed"}),
    ],
)
def test_keys_are_read_off_the_pattern(pattern: str, keys: set[str]):
    assert required_keys(re.compile(pattern, re.IGNORECASE)) == keys


@pytest.mark.parametrize("pattern", [r"\w+\b", r"(a|b)?c?", r"\bban\b|\w{3}", r"[^.;]{2,}"])
def test_a_pattern_that_needs_no_fixed_text_is_always_searched(pattern: str):
    assert required_keys(re.compile(pattern, re.IGNORECASE)) is None


def test_every_cue_has_keys_and_they_never_hide_a_match(dev_articles):
    assert all(cue.keys for cue in CUES)
    sentences = [s for article in dev_articles[:120] for s in re.split(r"(?<=[.!?])\s+", article["text"])]
    sentences += ["The Commission FINED the bank.", "Regulators ban TikTok.", "La CNIL inflige une amende."]
    assert len(sentences) > 2000
    for sentence in sentences:
        folded = sentence.casefold()
        for cue in CUES:
            assert bool(cue.search(sentence, folded)) == bool(cue.pattern.search(sentence)), (cue.pattern, sentence)


def test_title_types_use_the_same_cues():
    assert "ban" in title_types("Farland bans disposable vapes")
    assert title_types("Farland wins the cup") == set()
