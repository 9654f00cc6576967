"""The learning coder: scikit-learn conventions, thresholds, evaluation, safe persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from french_examples import COOPERATION, OFF_TOPIC, VALUE

from transitions_analysis import evaluation
from transitions_analysis.coding import learn
from transitions_analysis.core.errors import InputError
from transitions_analysis.coding.learn import LearningCoder, ThresholdedOneVsRest

# Tuned per-label thresholds make predict() differ from predict_proba() >= 0.5 by design; these
# two checks assert exactly that equality, everything else of scikit-learn's contract must hold.
THRESHOLD_BY_DESIGN = "predict uses per-label thresholds tuned by cross-validation, not 0.5"


@parametrize_with_checks(
    [ThresholdedOneVsRest(random_state=0), ThresholdedOneVsRest(policy="keep_precision", random_state=0)],
    expected_failed_checks=lambda est: {
        "check_classifiers_train": THRESHOLD_BY_DESIGN,
        "check_classifier_multioutput": THRESHOLD_BY_DESIGN,
    },
)
def test_sklearn_contract(estimator, check):
    check(estimator)


# Small hand-written French corpus: cooperation vs evaluation vs neither.
COOP = COOPERATION[:8]
EVAL = VALUE
OTHER = OFF_TOPIC[:6]


def _corpus():
    texts = COOP + EVAL + OTHER
    y = pd.DataFrame(
        {
            "principle.cooperation": [1] * len(COOP) + [0] * (len(EVAL) + len(OTHER)),
            "principle.value": [0] * len(COOP) + [1] * len(EVAL) + [0] * len(OTHER),
            "outcome.financial": [0] * len(texts),
        }
    )
    return texts, y


def test_fit_returns_self_and_sets_fitted_attributes():
    texts, y = _corpus()
    model = LearningCoder(random_state=0)
    assert model.fit(texts, y) is model
    assert model.codes_ == ["principle.cooperation", "principle.value"]
    assert model.skipped_codes_ == {"outcome.financial": 0}
    assert set(model.thresholds_) == set(model.codes_)
    assert model.n_training_units_ == len(texts)


def test_predict_before_fit_is_refused():
    with pytest.raises(NotFittedError):
        LearningCoder().predict(["texte"])


def test_learns_unseen_inflections():
    texts, y = _corpus()
    model = LearningCoder(random_state=0).fit(texts, y)
    pred = model.predict(["Coopération entre élus et associations.", "Quels indicateurs pour évaluer ?"])
    coop, value = model.codes_.index("principle.cooperation"), model.codes_.index("principle.value")
    assert pred[0, coop] == 1 and pred[0, value] == 0
    assert pred[1, value] == 1 and pred[1, coop] == 0


def test_same_random_state_same_model():
    texts, y = _corpus()
    a = LearningCoder(random_state=3).fit(texts, y)
    b = LearningCoder(random_state=3).fit(texts, y)
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))
    assert a.thresholds_ == b.thresholds_


def test_predict_codings_rows_follow_schema():
    from transitions_analysis.core import schema

    texts, y = _corpus()
    model = LearningCoder(random_state=0).fit(texts, y)
    segments = pd.DataFrame(
        {
            "segment_id": ["R1-0-33", "R1-34-60"],
            "response_id": ["R1", "R1"],
            "start": [0, 34],
            "end": [33, 60],
            "text": ["Coopérer entre communes voisines.", "Le café était froid."],
        }
    )
    codings = model.predict_codings(segments)
    assert list(codings.columns) == list(schema.CODINGS)
    assert set(codings["source"]) == {"model"}
    assert "principle.cooperation" in set(codings.loc[codings["segment_id"] == "R1-0-33", "code"])
    assert (codings["score"] >= 0).all() and (codings["score"] <= 1).all()
    assert codings.empty or (codings["evidence"] == segments.set_index("segment_id").loc[codings["segment_id"], "text"].to_numpy()).all()


def test_human_labels_blank_and_adjudication():
    hc = pd.DataFrame(
        {
            "response_id": ["A", "A", "B", "B", "C", "C", "C"],
            "coder": ["c1", "c2", "c1", "c2", "c1", "c2", "adjudication"],
            "code": ["principle.value", "", "", "", "principle.value", "principle.value", ""],
        }
    )
    labels = learn.human_labels(hc, codes=["principle.value"])
    # A: one coder of two -> present (min_share 0.5); B: both saw it, none gave it; C: adjudicated away.
    assert labels["principle.value"].to_dict() == {"A": 1, "B": 0, "C": 0}
    strict = learn.human_labels(hc, codes=["principle.value"], min_share=1.0)
    assert strict["principle.value"].to_dict() == {"A": 0, "B": 0, "C": 0}


class _Memoriser(BaseEstimator):
    """Predicts a code only for a text it was trained on with that code: perfect on its training
    texts, blind on any other. Scored without a split it would reach F1 = 1."""

    def __init__(self, *, codes=None, min_positives=1):
        self.codes = codes
        self.min_positives = min_positives

    def fit(self, texts, labels):
        self.codes_ = list(self.codes if self.codes is not None else labels.columns)
        self.seen_ = {t: row for t, row in zip(texts, labels[self.codes_].to_numpy())}
        return self

    def predict(self, texts):
        zero = np.zeros(len(self.codes_), dtype=int)
        return np.array([self.seen_.get(t, zero) for t in texts])


def test_evaluate_and_learning_curve_score_only_unseen_texts():
    texts, y = _corpus()
    y = y.drop(columns="outcome.financial")
    resubstitution = _Memoriser().fit(texts, y).predict(texts)
    assert (resubstitution == y.to_numpy()).all()  # without a split the memoriser is perfect
    table = evaluation.evaluate_coder(texts, y, estimator=_Memoriser(), n_splits=3, random_state=0)
    assert list(table["code"]) == ["principle.cooperation", "principle.value", "__micro__", "__macro__"]
    assert table.set_index("code").loc["principle.cooperation", "support"] == len(COOP)
    assert (table["f1"] == 0).all() and (table["recall"] == 0).all()  # every text was scored by a model that never saw it
    curve = evaluation.learning_curve(texts, y, estimator=_Memoriser(), train_sizes=(0.5, 1.0), n_splits=3, random_state=0)
    assert list(curve["train_size"]) == [0.5, 1.0]
    assert (curve[["micro_f1", "macro_f1"]] == 0).all().all()
    fold = len(texts) * 2 / 3  # training part of a 3-fold split
    assert curve["n_train"].iloc[0] == pytest.approx(fold / 2, abs=1) and curve["n_train"].iloc[1] == pytest.approx(fold, abs=1)
    # the real coder does learn something (its thresholds maximising F1: the learner alone, no rules to keep)
    real = evaluation.evaluate_coder(texts, y, estimator=LearningCoder(policy="f1"), n_splits=3, random_state=0)
    assert real.set_index("code").loc["__micro__", "f1"] > 0.5


def test_save_and_load_round_trip(tmp_path):
    texts, y = _corpus()
    model = LearningCoder(random_state=0).fit(texts, y)
    path = learn.save_model(model, tmp_path / "modele.skops")
    loaded = learn.load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.thresholds_ == model.thresholds_


def test_load_refuses_foreign_types(tmp_path):
    import skops.io as sio
    from sklearn.ensemble import RandomForestClassifier

    path = tmp_path / "autre.skops"
    sio.dump(RandomForestClassifier(n_estimators=2).fit([[0], [1]], [0, 1]), path)
    with pytest.raises(InputError, match="autre.skops"):
        learn.load_model(path)


def test_load_reports_corrupt_file(tmp_path):
    path = tmp_path / "casse.skops"
    path.write_bytes(b"pas un zip")
    with pytest.raises(InputError, match="illisible"):
        learn.load_model(path)


def test_train_from_human_coding_uses_cache(tmp_path):
    texts, y = _corpus()
    responses = pd.DataFrame({"response_id": [f"R{i:02d}" for i in range(len(texts))], "text": texts})
    rows = []
    for rid, (_, labels) in zip(responses["response_id"], y.iterrows()):
        given = [c for c, v in labels.items() if v] or [""]
        rows += [{"response_id": rid, "coder": coder, "code": c} for coder in ("c1", "c2") for c in given]
    human = pd.DataFrame(rows)
    first = learn.train_from_human_coding(responses, human, random_state=0, cache_dir=tmp_path)
    assert first.codes_ == ["principle.cooperation", "principle.value"]
    cached = list((tmp_path / "models").glob("*.skops"))
    assert len(cached) == 1

    def no_training(self, *args, **kwargs):
        raise AssertionError("le modèle aurait dû être relu depuis le cache")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(learn.LearningCoder, "fit", no_training)
        second = learn.train_from_human_coding(responses, human, random_state=0, cache_dir=tmp_path)
    np.testing.assert_array_equal(second.predict_proba(texts), first.predict_proba(texts))
    # another codebook: another cache entry (the key hashes the training data and the codebook)
    learn.train_from_human_coding(responses, human, random_state=0, cache_dir=tmp_path, codebook_hash="autre")
    assert len(list((tmp_path / "models").glob("*.skops"))) == 2
    assert learn.train_from_human_coding(responses, human.assign(code=""), random_state=0) is None


def test_model_decides_per_answer_and_points_at_the_best_segment():
    texts, y = _corpus()
    model = LearningCoder(random_state=0).fit(texts, y)
    answer = "Le café était froid. Il faut coopérer entre communes voisines."
    segments = pd.DataFrame({
        "segment_id": ["R9-0-20", "R9-21-62"], "response_id": ["R9", "R9"], "start": [0, 21], "end": [20, 62],
        "text": [answer[0:20], answer[21:62]],
    })
    codings = model.predict_codings(segments)
    coop = codings[codings["code"] == "principle.cooperation"]
    assert len(coop) == 1  # one coding per answer and code, not per segment
    assert coop["segment_id"].iloc[0] == "R9-21-62" and coop["evidence"].iloc[0] == answer[21:62]
    whole = model.predict_proba([answer[0:20] + " " + answer[21:62]])[0, model.codes_.index("principle.cooperation")]
    assert coop["score"].iloc[0] == round(whole, 4)
