"""Gold files: ids plus hand-written labels; the texts stay in the corpus and are read by id."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.analyze.schema import EventType
from pipeline.errors import ConfigError
from pipeline.records import ArticleInput

TEST_SHARE = 3  # tenths of the items held back as the `test` split


def split_of(item_id: str) -> str:
    """`test` for about 30% of ids (a stable hash), `tune` for the rest."""
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket < TEST_SHARE else "tune"


# --- gold files --------------------------------------------------------------------------------------------------

CORPORA = ("articles", "briefs")
SPLITS = ("tune", "test")
_TOP_FIELDS = {"id", "corpus", "split", "relevant", "companies", "jurisdictions", "events", "note"}
_COMPANY_FIELDS = {"name", "aliases"}
_EVENT_FIELDS = {"type", "jurisdictions", "effective_date", "actor", "status", "note"}
EVENT_TYPES: tuple[str, ...] = EventType.__args__
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class GoldCompany:
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoldEvent:
    type: str
    jurisdictions: tuple[str, ...] = ()
    effective_date: str | None = None


@dataclass(frozen=True)
class GoldItem:
    """One labelled item of a gold file; ``where`` is ``FILE:LINE`` for messages."""

    id: str
    corpus: str
    split: str
    relevant: bool
    companies: tuple[GoldCompany, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    events: tuple[GoldEvent, ...] = ()
    where: str = ""


def load_gold(paths: Iterable[Path | str]) -> list[GoldItem]:
    """Every item of the gold files, in file order; ConfigError lists every malformed line at once."""
    items: list[GoldItem] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in map(Path, paths):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{line_no}"
            item, line_problems = parse_gold_line(line, where)
            problems.extend(line_problems)
            if item is None:
                continue
            if item.id in seen:
                problems.append(f"{where}: id: duplicate id {item.id!r} (first at {seen[item.id]})")
                continue
            seen[item.id] = where
            items.append(item)
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in the gold files",
                          problems=problems)
    return items


def parse_gold_line(line: str, where: str) -> tuple[GoldItem | None, list[str]]:
    """A GoldItem, or None and the problems (``FILE:LINE: field: problem``) of a malformed line."""
    problems: list[str] = []

    def fail(field: str, problem: str) -> None:
        problems.append(f"{where}: {field}: {problem}")

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        fail("line", f"invalid JSON: {exc.msg} (column {exc.colno})")
        return None, problems
    if not isinstance(data, dict):
        fail("line", f"expected a JSON object, got {type(data).__name__}")
        return None, problems
    for key in sorted(set(data) - _TOP_FIELDS):
        fail(key, "unknown field")
    item_id = data.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        fail("id", "required: a non-empty string")
        return None, problems
    corpus = data.get("corpus")
    if corpus not in CORPORA:
        fail("corpus", f"must be one of {', '.join(CORPORA)} (got {corpus!r})")
    split = data.get("split", split_of(item_id))
    if split not in SPLITS:
        fail("split", f"must be one of {', '.join(SPLITS)} (got {split!r})")
    elif split != split_of(item_id):
        fail("split", f"is {split!r} but split_of({item_id!r}) is {split_of(item_id)!r}")
    relevant = data.get("relevant")
    if not isinstance(relevant, bool):
        fail("relevant", "required: true or false")
    companies = _companies(data.get("companies", _MISSING), fail)
    jurisdictions = _codes(data.get("jurisdictions", _MISSING), "jurisdictions", fail)
    events = _events(data.get("events", _MISSING), fail)
    if problems:
        return None, problems
    item = GoldItem(item_id, corpus, split, relevant, companies, jurisdictions, events, where)
    return item, problems


_MISSING = object()


def _companies(value, fail) -> tuple[GoldCompany, ...]:
    if value is _MISSING:
        fail("companies", "required: a list (may be empty)")
        return ()
    if not isinstance(value, list):
        fail("companies", "must be a list of {name, aliases}")
        return ()
    out = []
    for n, entry in enumerate(value):
        field = f"companies[{n}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            fail(field, "must be an object with a name")
            continue
        for key in sorted(set(entry) - _COMPANY_FIELDS):
            fail(f"{field}.{key}", "unknown field")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            fail(f"{field}.name", "required: a non-empty string")
            continue
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            fail(f"{field}.aliases", "must be a list of names")
            continue
        out.append(GoldCompany(name.strip(), tuple(a.strip() for a in aliases)))
    return tuple(out)


def _codes(value, field: str, fail) -> tuple[str, ...]:
    from pipeline.sources import valid_jurisdiction

    if value is _MISSING:
        fail(field, "required: a list of codes (may be empty)")
        return ()
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        fail(field, "must be a list of codes like US, EU, US-CA")
        return ()
    for code in value:
        if code != code.strip().upper() or not valid_jurisdiction(code):
            fail(field, f"{code!r} is not an ISO 3166 code (US, GB, CN, US-CA) or EU")
    return tuple(dict.fromkeys(value))


def _events(value, fail) -> tuple[GoldEvent, ...]:
    if value is _MISSING:
        fail("events", "required: a list (may be empty)")
        return ()
    if not isinstance(value, list):
        fail("events", "must be a list of {type, jurisdictions, effective_date}")
        return ()
    out = []
    for n, entry in enumerate(value):
        field = f"events[{n}]"
        if not isinstance(entry, dict):
            fail(field, "must be an object")
            continue
        for key in sorted(set(entry) - _EVENT_FIELDS):
            fail(f"{field}.{key}", "unknown field")
        kind = entry.get("type")
        if kind not in EVENT_TYPES:
            fail(f"{field}.type", f"{kind!r} is not a type of the taxonomy")
        codes = _codes(entry.get("jurisdictions", []), f"{field}.jurisdictions", fail)
        effective = entry.get("effective_date")
        if effective is not None and (not isinstance(effective, str) or not _ISO_DATE.match(effective)):
            fail(f"{field}.effective_date", f"{effective!r} is not an ISO date (2025-08-23, 2025-08, 2025) or null")
            effective = None
        if kind in EVENT_TYPES:
            out.append(GoldEvent(kind, codes, effective))
    return tuple(out)


# --- the texts, read from the corpus by id ----------------------------------------------------------------------

_CORPUS_FILES = {"articles": "articles/dev.jsonl", "briefs": "briefs/dev.jsonl"}
_HOLDOUT_FILES = {"articles": ("articles/holdout.jsonl",),
                  "briefs": ("briefs/holdout.jsonl", "briefs/holdout-company.jsonl")}
_ID_AT_START = re.compile(r'^\s*\{\s*"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


def default_corpus_dir() -> Path:
    """``../shared/corpus`` from the working directory, else the repository's sibling ``shared/corpus``."""
    here = Path.cwd().parent / "shared" / "corpus"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def resolve_inputs(items: Iterable[GoldItem], corpus_dir: Path | str | None = None) -> list[ArticleInput]:
    """The ArticleInput of every item, in order: articles give title + text + published, briefs text + date.

    Ids of a holdout file are refused (they are for the final measurement only); so is an id the dev file
    does not have. Only the ``id`` of holdout lines is looked at, to name the refusal.
    """
    items = list(items)
    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    if not root.is_dir():
        raise ConfigError(f"corpus directory not found: {root} (use --corpus DIR)")
    found: dict[tuple[str, str], ArticleInput] = {}
    for corpus in CORPORA:
        wanted = {item.id for item in items if item.corpus == corpus}
        if wanted:
            found.update({(corpus, a.id): a for a in _read_dev(root, corpus, wanted)})
    problems = []
    for item in items:
        if (item.corpus, item.id) in found:
            continue
        holdout = _holdout_file_of(root, item.corpus, item.id)
        if holdout:
            problems.append(f"{item.where}: id: {item.id!r} is in {holdout}: holdout items are never evaluated")
        else:
            problems.append(f"{item.where}: id: {item.id!r} is not in {_CORPUS_FILES[item.corpus]}")
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} gold ids not usable",
                          problems=problems)
    return [found[(item.corpus, item.id)] for item in items]


def _read_dev(root: Path, corpus: str, wanted: set[str]) -> Iterator[ArticleInput]:
    path = root / _CORPUS_FILES[corpus]
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        for line in handle:
            match = _ID_AT_START.match(line)
            if match and json.loads(f'"{match.group(1)}"') not in wanted:
                continue  # skip the JSON parse of lines we do not need
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(row, dict) or row.get("id") not in wanted:
                continue
            if corpus == "articles":
                yield ArticleInput(id=row["id"], text=row.get("text") or "", title=row.get("title"),
                                   published=row.get("published"), url=row.get("url"))
            else:
                yield ArticleInput(id=row["id"], text=row.get("text") or "", published=row.get("date"))


def _holdout_file_of(root: Path, corpus: str, item_id: str) -> str | None:
    for name in _HOLDOUT_FILES.get(corpus, ()):
        if item_id in _holdout_ids(root / name):
            return name
    return None


@lru_cache(maxsize=8)
def _holdout_ids(path: Path) -> frozenset[str]:
    """The ids of a holdout file, read from the start of each line only (nothing else is looked at)."""
    ids = set()
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                match = _ID_AT_START.match(line)
                if match:
                    ids.add(json.loads(f'"{match.group(1)}"'))
    except OSError:
        return frozenset()
    return frozenset(ids)
