from __future__ import annotations

from collections import Counter
from datetime import date

from pipeline.evaluate.meantime import (
    TimexCase,
    matches_at_gold_precision,
    meantime_dir,
    read_document,
    score_cases,
)

DOC = "corpus_gm/1007169_Mary_Barra_appointed_as_General_Motors_chief.xml"


def test_reads_date_timexes_of_one_real_file(corpus_dir):
    skipped: Counter = Counter()
    cases = read_document(meantime_dir(corpus_dir) / DOC, skipped)
    assert TimexCase("1007169_Mary_Barra_appointed_as_General_Motors_chief", "today", "2013-12-10",
                     date(2013, 12, 10)) in cases
    assert all(c.anchor == date(2013, 12, 10) for c in cases)
    assert skipped["document creation time"] == 1
    assert skipped["reference (PRESENT_REF, PAST_REF, FUTURE_REF)"] >= 1
    assert skipped["unspecified (XXXX)"] >= 1
    assert skipped["no tokens"] >= 1  # the "1980" TIMEX3 without a token span


def test_comparison_at_gold_precision():
    assert matches_at_gold_precision("2009-06-01", "2009-06")
    assert matches_at_gold_precision("2009", "2009")
    assert not matches_at_gold_precision("2009-06", "2009-06-03")  # coarser than the gold
    assert not matches_at_gold_precision(None, "2009")


def test_score_cases_counts_both_resolvers(corpus_dir):
    cases = read_document(meantime_dir(corpus_dir) / DOC)
    result = score_cases(cases)
    assert result.cases == len(cases) > 0
    assert 0 <= result.regwatch_correct <= result.cases and 0 <= result.dateparser_correct <= result.cases
    stub = score_cases([TimexCase("d", "next year", "2010", date(2009, 5, 1))],
                       resolver=lambda text, anchor: "2010", baseline=lambda text, anchor: "2009-05-01")
    assert (stub.regwatch_correct, stub.dateparser_correct, stub.regwatch_accuracy) == (1, 0, 1.0)
