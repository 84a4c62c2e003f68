"""Curated names of authorities, companies, media and other bodies, matched with one PhraseMatcher.

The data lives in ``data/gazetteer.yaml``; more files with the same sections can be layered on top
(later files win on the same alias). Matching runs on lower-cased tokens, so thousands of aliases cost
about as much as a handful; case and ambiguity are then checked on the few hits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.errors import ConfigError

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_GAZETTEER = DATA_DIR / "gazetteer.yaml"

KINDS = ("authority", "company", "media", "other")
_SECTION_KIND = {"authorities": "authority", "companies": "company", "media": "media", "other_orgs": "other"}
_PLACE_LABELS = {"GPE", "LOC", "NORP", "FAC"}
_NAME_LABELS = {"ORG", "PERSON", "PRODUCT", "WORK_OF_ART", "FAC"}


@dataclass(frozen=True)
class Entry:
    """One named body. ``kind`` is authority, company, media or other."""

    name: str
    kind: str
    jurisdiction: str | None = None
    aliases: tuple[str, ...] = ()
    ambiguous: bool = False
    subkind: str | None = None  # for "other": university, ngo, party, international, ...

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class Gazetteer:
    entries: list[Entry] = field(default_factory=list)
    by_alias: dict[str, Entry] = field(default_factory=dict)
    given_names: set[str] = field(default_factory=set)  # "Scott Sheffield" is a person, not a company

    def is_given_name(self, word: str) -> bool:
        return word.lower() in self.given_names

    def lookup(self, name: str) -> Entry | None:
        return self.by_alias.get(normalise_alias(name))

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        for alias in entry.names:
            self.by_alias[normalise_alias(alias)] = entry


def normalise_alias(text: str) -> str:
    text = " ".join(text.lower().replace("\u2019", "'").split())
    if text.startswith("the "):
        text = text[4:]
    return text


def load_gazetteer(paths: Sequence[str | Path] = ()) -> Gazetteer:
    """The built-in gazetteer plus ``paths``, each a YAML file with the same sections."""
    return _load_cached(tuple(str(p) for p in (DEFAULT_GAZETTEER, *paths)))


@lru_cache(maxsize=8)
def _load_cached(paths: tuple[str, ...]) -> Gazetteer:
    gazetteer = Gazetteer()
    for path in paths:
        for entry in _read_entries(Path(path)):
            gazetteer.add(entry)
        gazetteer.given_names.update(_read_given_names(Path(path)))
    logger.debug("gazetteer: %d entries from %s", len(gazetteer.entries), ", ".join(paths))
    return gazetteer


def _read_entries(path: Path) -> Iterable[Entry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"gazetteer {path}: {exc}") from exc
    for section, kind in _SECTION_KIND.items():
        for i, item in enumerate(data.get(section) or []):
            if not isinstance(item, dict) or not item.get("name"):
                raise ConfigError(f"gazetteer {path}: {section}[{i}]: needs a name")
            yield Entry(
                name=str(item["name"]),
                kind=kind,
                jurisdiction=item.get("jurisdiction"),
                aliases=tuple(str(a) for a in item.get("aliases") or ()),
                ambiguous=bool(item.get("ambiguous", False)),
                subkind=item.get("kind"),
            )


def _read_given_names(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = data.get("given_names") or []
    if isinstance(names, str):
        names = names.split()
    return {str(n).lower() for n in names}


def _needs_exact_case(alias: str) -> bool:
    """Acronyms and camel-case names ("FTC", "DoT", "eBay") only match the same spelling."""
    return alias[:1].islower() or any(ch.isupper() for word in alias.split() for ch in word[1:])


def _title_words(text: str) -> int:
    return sum(1 for word in text.split() if word[:1].isupper())


def _after_nationality(span: Span) -> bool:
    """A lower-case generic name after a place or nationality describes that country's body."""
    return span.start > 0 and span.doc[span.start - 1].ent_type_ in _PLACE_LABELS


class GazetteerMatcher:
    """Finds gazetteer names in a Doc; sets ``doc._.regwatch_gazetteer`` to a list of Spans.

    Each span's label is the entry kind and its ``kb_id_`` the entry's canonical name.
    """

    def __init__(self, nlp: Language, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._alias_text: dict[str, tuple[str, Entry]] = {}
        patterns: dict[str, list[Doc]] = {}
        for alias_key, entry in gazetteer.by_alias.items():
            surface = next((a for a in entry.names if normalise_alias(a) == alias_key), alias_key)
            if surface.lower().startswith("the "):
                surface = surface[4:]
            key = f"{entry.kind}|{alias_key}"
            self._alias_text[key] = (surface, entry)
            patterns.setdefault(key, []).append(nlp.make_doc(surface))
        for key, docs in patterns.items():
            self.matcher.add(key, docs)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for match_id, start, end in self.matcher(doc):
            surface, entry = self._alias_text[doc.vocab.strings[match_id]]
            span = doc[start:end]
            if self._accept(span, surface, entry):
                spans.append(Span(doc, start, end, label=entry.kind, kb_id=entry.name))
        doc._.regwatch_gazetteer = filter_spans(spans)
        return doc

    @staticmethod
    def _accept(span: Span, surface: str, entry: Entry) -> bool:
        text = span.text
        if _needs_exact_case(surface):
            if text.replace("\u2019", "'") != surface:
                return False
        elif surface[:1].isupper() and not text[:1].isupper() and (len(span) == 1 or entry.ambiguous):
            return False
        elif len(span) > 1 and _title_words(surface) > _title_words(text) and _after_nationality(span):
            return False  # "the South Korean data protection commission" is not the Irish Data Protection Commission
        elif len(span) > 1 and entry.kind == "company" and _title_words(surface) > _title_words(text):
            return False  # "British steel" is the trade, "British Steel" the company
        if entry.ambiguous:
            ents = [t.ent_type_ for t in span if t.ent_type_]
            if any(label in _PLACE_LABELS for label in ents):
                return False
            if span.start == span.sent.start and not any(label in _NAME_LABELS for label in ents):
                return False
            if text.isupper() and len(text) > 3:
                return False
        return True
