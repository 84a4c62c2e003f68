from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.analyze.gazetteer import load_gazetteer, normalise_alias
from pipeline.errors import ConfigError


def hits(doc) -> list[tuple[str, str, str]]:
    return [(span.text, span.label_, span.kb_id_) for span in doc._.regwatch_gazetteer]


def test_builtin_gazetteer_has_the_main_bodies():
    gazetteer = load_gazetteer()
    assert gazetteer.lookup("FTC").jurisdiction == "US"
    assert gazetteer.lookup("the Competition and Markets Authority").jurisdiction == "GB"
    assert gazetteer.lookup("Cyberspace Administration of China").jurisdiction == "CN"
    assert gazetteer.lookup("European Commission").jurisdiction == "EU"
    assert gazetteer.lookup("ByteDance").kind == "company"
    assert gazetteer.lookup("Reuters").kind == "media"
    assert sum(1 for e in gazetteer.entries if e.kind == "company") >= 100


def test_matches_case_insensitively_but_acronyms_only_in_capitals(make_doc):
    doc = make_doc("The federal trade commission wrote to Huawei. The ftc did not. The FTC did.")
    found = hits(doc)
    assert ("federal trade commission", "authority", "US Federal Trade Commission") in found
    assert ("Huawei", "company", "Huawei") in found
    assert ("FTC", "authority", "US Federal Trade Commission") in found
    assert not any(text == "ftc" for text, _, _ in found)


def test_ambiguous_company_names_need_a_capital(make_doc):
    doc = make_doc("He ate an apple on the way to a meeting with Apple executives.")
    texts = [text for text, _, _ in hits(doc)]
    assert "Apple" in texts
    assert "apple" not in texts


def test_longest_alias_wins(make_doc):
    doc = make_doc("Lawyers for Zoom Video Communications filed papers on Monday.")
    assert ("Zoom Video Communications", "company", "Zoom") in hits(doc)


def test_extra_gazetteer_file_is_layered(tmp_path: Path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("companies:\n  - {name: Quillbyte Labs, aliases: [Quillbyte]}\n", encoding="utf-8")
    gazetteer = load_gazetteer([extra])
    assert gazetteer.lookup("quillbyte").name == "Quillbyte Labs"
    assert gazetteer.lookup("FTC") is not None


def test_broken_gazetteer_file_is_a_config_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("companies:\n  - {aliases: [x]}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_gazetteer([bad])


def test_normalise_alias():
    assert normalise_alias("The  White\u2019s House") == "white's house"
