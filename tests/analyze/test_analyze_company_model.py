from __future__ import annotations

import json
from collections import Counter

from pipeline.analyze.company_model import FEATURES, CompanyModel, candidate_features, load_company_model


def test_shipped_company_model_loads_and_matches_the_features():
    model = load_company_model()
    assert model is not None
    assert len(model.weights) == len(FEATURES) + 1
    assert 0.0 <= model.threshold < 1.0
    assert model.meta["candidates"] > 100


def test_a_model_with_other_features_is_refused(tmp_path):
    data = CompanyModel([0.0] * (len(FEATURES) + 1)).to_json()
    data["features"] = data["features"][:-1]
    path = tmp_path / "company_model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        load_company_model(str(path))
    except ValueError as exc:
        assert "rebuild it" in str(exc)
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a model with other features loaded")


def test_features_describe_the_evidence_and_the_name(make_doc):
    doc = make_doc("Acme Corp, a Dutch chipmaker, said Acme would stop selling in Peru.")
    spans = [doc[0:1], doc[8:9]]
    features = candidate_features(doc, doc.text, "Acme", Counter({"ner": 2}), {"cue", "ner"}, spans, 2, 1, 0)
    assert len(features) == len(FEATURES)
    named = dict(zip(FEATURES, features, strict=True))
    assert named["reason=cue"] == 1.0 and named["reason=ner"] == 1.0 and named["reason=gazetteer"] == 0.0
    assert named["one_word"] == 1.0
    assert named["share"] == 1.0
    assert named["first"] == 0.0


def test_the_model_cuts_weak_candidates_and_keeps_strong_ones(make_doc):
    """With the shipped weights: a common word that only the NER backs is less likely than a name the
    gazetteer knows and the text calls a company."""
    model = load_company_model()
    doc = make_doc("Strategy was discussed. Microsoft, the software company, said its Strategy unit grew.")
    weak = candidate_features(doc, doc.text, "Strategy", Counter({"ner": 2}), {"ner"}, [doc[0:1], doc[11:12]],
                              3, 2, 0)
    strong = candidate_features(doc, doc.text, "Microsoft", Counter({"gazetteer": 1}), {"gazetteer", "cue"},
                                [doc[4:5]], 3, 2, 0)
    assert model.probability(strong) > model.probability(weak)
    assert model.probability(strong) >= model.threshold


def test_entities_keep_every_candidate_with_its_features(make_doc):
    doc = make_doc("Video-conferencing platform Zoom will halt direct sales in China. Zoom said so.")
    entities = doc._.regwatch_entities
    names = [name for name, *_ in entities.company_candidates]
    assert "Zoom" in names
    assert all(len(features) == len(FEATURES) for _, features, _ in entities.company_candidates)
    assert "zoom" in entities.companies


def test_tentative_candidates_need_a_model_with_lexical_weights(make_doc):
    """A name with no evidence but itself (a capitalised run the NER left: "The Velmora Energies refinery ...")
    is a tentative candidate: the rules alone and a model without lexical weights drop it; a model whose words
    favour it keeps it."""
    from pipeline.analyze.entities import extract_entities
    from pipeline.analyze.gazetteer import load_gazetteer
    from pipeline.analyze.places import default_resolver

    doc = make_doc("The Velmora Energies refinery halts output after a fire.")
    gazetteer, resolver = load_gazetteer(), default_resolver()
    rules = extract_entities(doc, gazetteer, resolver, None, 0, None)
    name, features, words = next(c for c in rules.company_candidates if c[0] == "Velmora Energies")
    assert dict(zip(FEATURES, features, strict=True))["tentative"] == 1.0
    assert {"last:energies", "after:refinery"} <= set(words)
    assert "velmora energies" not in rules.companies
    plain = CompanyModel([0.0] * (len(FEATURES) + 1), threshold=0.4)
    assert "velmora energies" not in extract_entities(doc, gazetteer, resolver, None, 0, plain).companies
    lexical = CompanyModel([0.0] * (len(FEATURES) + 1), threshold=0.4, lexical={"last:energies": 3.0})
    assert lexical.judges_tentative and not plain.judges_tentative
    assert "velmora energies" in extract_entities(doc, gazetteer, resolver, None, 0, lexical).companies
    against = CompanyModel([0.0] * (len(FEATURES) + 1), threshold=0.4, lexical={"last:energies": -3.0})
    assert "velmora energies" not in extract_entities(doc, gazetteer, resolver, None, 0, against).companies


def test_capitalised_runs_the_ner_left_are_candidates_without_titles_or_sentence_openers():
    import spacy

    from pipeline.analyze.entities import _capitalised_names
    from pipeline.analyze.gazetteer import load_gazetteer
    from pipeline.analyze.places import default_resolver

    nlp = spacy.blank("en")  # no NER: every capitalised word is left to the rule
    nlp.add_pipe("sentencizer")
    doc = nlp("The deal with Dunmore Aviation and KV Lifts closed. Minister Ana Lopes spoke in Kenya. Later it "
              "rained.")
    found = {m.name: m.how for m in _capitalised_names(doc, [], set(), load_gazetteer(), default_resolver())}
    assert found == {"Dunmore Aviation": "caps", "KV Lifts": "caps", "Ana Lopes": "caps"}


def test_the_model_file_keeps_the_lexical_weights(tmp_path):
    model = CompanyModel([0.5] * (len(FEATURES) + 1), 0.45, {"command": "x"}, {"last:labs": 1.25})
    path = tmp_path / "company_model.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = load_company_model(str(path))
    assert again.lexical == {"last:labs": 1.25} and again.threshold == 0.45
    assert again.probability([0.0] * len(FEATURES), ["last:labs"]) > again.probability([0.0] * len(FEATURES))
