"""Date normalisation measured on MEANTIME (NewsReader, English Wikinews, CAT XML).

Every TIMEX3 of ``type="DATE"`` whose normalised ``value`` is a calendar day, month or year
(``2009-05-14``, ``2009-06``, ``2011``) is one case: its token span is resolved by regwatch's
``resolve_date_text`` anchored at the document creation time (the TIMEX3 with
``functionInDocument="CREATION_TIME"``), and counts as correct when it equals the gold value at the gold
precision (a day-precision answer "2009-06-01" for the gold month "2009-06" counts; a coarser answer
than the gold never does). The creation-time TIMEX3 itself is not a case (its anchor is its answer).
Everything else is skipped and counted by reason: reference values (PRESENT_REF, PAST_REF, FUTURE_REF),
quarters, weeks and weekends, seasons, fiscal years, decades, unspecified (XXXX), times of day, values
that are not ISO, and TIMEX3s without tokens.

The baseline is dateparser alone (``dateparser.parse`` with ``RELATIVE_BASE`` at the creation time, its
other settings default) on the same texts; it returns a full date, compared at the gold precision.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipeline.errors import ConfigError

MEANTIME_DIR = "annotated/meantime_newsreader_english_oct15/intra-doc_annotation"
_CALENDAR = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_SKIP_REASONS = (
    (re.compile(r"^(PRESENT|PAST|FUTURE)_REF$"), "reference (PRESENT_REF, PAST_REF, FUTURE_REF)"),
    (re.compile(r"^\d{4}-Q\d$"), "quarter"),
    (re.compile(r"^\d{4}-W\d\d"), "week or weekend"),
    (re.compile(r"^\d{4}-(SP|SU|FA|WI)$"), "season"),
    (re.compile(r"^FY"), "fiscal year"),
    (re.compile(r"^\d{3}$"), "decade"),
    (re.compile(r"X"), "unspecified (XXXX)"),
    (re.compile(r"T"), "time of day"),
    (re.compile(r"^P"), "duration value"),
)
_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?%)]|'s\b|n't\b)")


@dataclass(frozen=True)
class TimexCase:
    doc: str
    text: str
    value: str  # the gold normalised value
    anchor: date  # the document creation time


@dataclass
class MeantimeResult:
    cases: int = 0
    documents: int = 0
    regwatch_correct: int = 0
    regwatch_exact: int = 0  # same value and same precision
    dateparser_correct: int = 0
    skipped: Counter = field(default_factory=Counter)
    misses: list[tuple[TimexCase, str | None]] = field(default_factory=list)

    @property
    def regwatch_accuracy(self) -> float | None:
        return self.regwatch_correct / self.cases if self.cases else None

    @property
    def dateparser_accuracy(self) -> float | None:
        return self.dateparser_correct / self.cases if self.cases else None

    def as_dict(self) -> dict:
        return {
            "documents": self.documents, "cases": self.cases,
            "regwatch": {"accuracy": self.regwatch_accuracy, "correct": self.regwatch_correct,
                         "exact_precision": self.regwatch_exact},
            "dateparser": {"accuracy": self.dateparser_accuracy, "correct": self.dateparser_correct},
            "skipped": dict(self.skipped.most_common()),
        }


def meantime_dir(corpus_dir: Path) -> Path:
    return Path(corpus_dir) / MEANTIME_DIR


def read_document(path: Path, skipped: Counter | None = None) -> list[TimexCase]:
    """The scorable DATE cases of one CAT XML file; ``skipped`` counts the rest by reason."""
    skipped = skipped if skipped is not None else Counter()
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ConfigError(f"{path}: cannot read MEANTIME XML: {exc}") from exc
    tokens = {t.get("t_id"): t.text or "" for t in root.iter("token")}
    timexes = list(root.iter("TIMEX3"))
    anchor = None
    for timex in timexes:
        if timex.get("functionInDocument") == "CREATION_TIME":
            try:
                anchor = date.fromisoformat((timex.get("value") or "")[:10])
            except ValueError:
                anchor = None
    cases = []
    for timex in timexes:
        if timex.get("type") != "DATE":
            continue
        if timex.get("functionInDocument") == "CREATION_TIME":
            skipped["document creation time"] += 1
            continue
        value = (timex.get("value") or "").strip()
        text = _span_text([tokens.get(a.get("t_id"), "") for a in timex.iter("token_anchor")])
        reason = _skip_reason(value)
        if reason is None and not text:
            reason = "no tokens"
        if reason is None and anchor is None:
            reason = "document without creation time"
        if reason:
            skipped[reason] += 1
            continue
        cases.append(TimexCase(path.stem, text, value, anchor))
    return cases


def read_meantime(root: Path) -> tuple[list[TimexCase], Counter, int]:
    """(cases, skipped by reason, number of documents) of every CAT file under ``root``."""
    files = sorted(Path(root).rglob("*.xml"))
    if not files:
        raise ConfigError(f"no MEANTIME XML files under {root}")
    skipped: Counter = Counter()
    cases: list[TimexCase] = []
    for path in files:
        cases.extend(read_document(path, skipped))
    return cases, skipped, len(files)


def matches_at_gold_precision(predicted: str | None, gold: str) -> bool:
    return predicted is not None and len(predicted) >= len(gold) and predicted[: len(gold)] == gold


def regwatch_resolve(text: str, anchor: date) -> str | None:
    from pipeline.analyze.dates import resolve_date_text

    resolved = resolve_date_text(text, anchor)
    return resolved[0] if resolved else None


def dateparser_resolve(text: str, anchor: date) -> str | None:
    import dateparser

    base = datetime(anchor.year, anchor.month, anchor.day)
    try:
        value = dateparser.parse(text, languages=["en"], settings={"RELATIVE_BASE": base})
    except Exception:  # dateparser raises a variety of errors on odd input
        return None
    return value.date().isoformat() if value else None


def score_cases(
    cases: Iterable[TimexCase],
    resolver: Callable[[str, date], str | None] = regwatch_resolve,
    baseline: Callable[[str, date], str | None] = dateparser_resolve,
) -> MeantimeResult:
    result = MeantimeResult()
    for case in cases:
        result.cases += 1
        predicted = resolver(case.text, case.anchor)
        if matches_at_gold_precision(predicted, case.value):
            result.regwatch_correct += 1
            result.regwatch_exact += predicted == case.value
        else:
            result.misses.append((case, predicted))
        if matches_at_gold_precision(baseline(case.text, case.anchor), case.value):
            result.dateparser_correct += 1
    return result


def evaluate_meantime(corpus_dir: Path | str) -> MeantimeResult:
    """regwatch's and dateparser's DATE accuracy over the English MEANTIME documents of the corpus."""
    root = meantime_dir(Path(corpus_dir))
    if not root.is_dir():
        raise ConfigError(f"MEANTIME not found at {root}")
    cases, skipped, documents = read_meantime(root)
    result = score_cases(cases)
    result.skipped = skipped
    result.documents = documents
    return result


def _span_text(words: list[str]) -> str:
    return _NO_SPACE_BEFORE.sub(r"\1", " ".join(w for w in words if w)).strip()


def _skip_reason(value: str) -> str | None:
    if _CALENDAR.match(value):
        return None
    for pattern, reason in _SKIP_REASONS:
        if pattern.search(value):
            return reason
    return "not an ISO calendar value"
