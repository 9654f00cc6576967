"""Learning coder: a scikit-learn estimator that learns the researchers' own coding.

Two estimators, both following scikit-learn's conventions (``__init__`` stores parameters,
``fit`` returns ``self``, fitted attributes end in ``_``, ``check_is_fitted`` guards prediction,
randomness only through ``random_state``):

- :class:`ThresholdedOneVsRest` - one binary classifier per code on a numeric feature matrix,
  each with its decision threshold chosen on out-of-fold probabilities: either to keep the
  precision of a baseline coder (``policy="keep_precision"``, :mod:`.calibration`: the codes it
  adds beyond the baseline must be at least as precise as the baseline, else it abstains) or to
  maximise F1 (``policy="f1"``, the learner alone, for benchmarks).
- :class:`LearningCoder` - French text in, codes out: TF-IDF on words and on character n-grams
  (accent- and case-folded, so « coopérer / coopération / coopérons » share features even where
  a lemmatiser fails) feeding a :class:`ThresholdedOneVsRest` of logistic regressions. By default
  it keeps the rules' precision: ``fit(texts, y, baseline=rules)``; what it would code below its
  threshold goes to the review queue (:meth:`LearningCoder.predict_suggestions`).

Models are saved with skops (:func:`save_model`) and loaded by :func:`load_model`, which refuses
any type a model of this module does not need (a ``.skops`` file from elsewhere is untrusted).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..core import schema
from ..core.errors import InputError
from ..core.io import refuse_raw
from ..core.text import fold_case
from .calibration import (MIN_HITS, MIN_PRECISION, PRIOR, REVIEW_RECALL, SOLO_PRECISION, Calibration, calibrate,
                          margins, precision_target)

log = logging.getLogger(__name__)

#: Candidate decision thresholds tried for each code (out-of-fold F1 picks one).
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


def _best_threshold(y_true: np.ndarray, proba: np.ndarray) -> float:
    """The grid threshold maximising F1 of ``proba >= t``; ties go to the one closest to 0.5."""
    scores = np.array([f1_score(y_true, proba >= t, zero_division=0.0) for t in THRESHOLD_GRID])
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return float(THRESHOLD_GRID[best[np.argmin(np.abs(THRESHOLD_GRID[best] - 0.5))]])


POLICIES = ("keep_precision", "f1")


class ThresholdedOneVsRest(ClassifierMixin, BaseEstimator):
    """One binary classifier per label, each with a threshold chosen on out-of-fold probabilities.

    Parameters
    ----------
    estimator : a classifier with ``predict_proba`` (default: balanced logistic regression).
    cv : folds of the out-of-fold probabilities each label's threshold is chosen on; a label
        with fewer than ``cv`` positives (or negatives) keeps 0.5 (``f1``) or abstains
        (``keep_precision``).
    policy : ``"f1"`` (the threshold maximising out-of-fold F1) or ``"keep_precision"`` (the
        lowest threshold whose codes added beyond ``baseline`` keep its precision, see
        :mod:`transitions_analysis.coding.calibration`; ``inf`` = abstains on the label).
    min_precision, solo_precision, min_hits, review_recall, prior : the ``keep_precision``
        policy's floor, target without baseline codes, fewest added true positives, review share
        and pseudo-counts shrinking the measured precision.
    random_state : seeds the fold shuffling.

    ``y`` is a multilabel indicator matrix (n_samples, n_labels), or a 1-D binary target (then
    the estimator behaves as an ordinary binary classifier with ``classes_``). ``fit`` takes an
    optional ``baseline`` of the same shape: 1 where another coder (the rules) gives the label.

    Fitted attributes: ``estimators_`` (one per label; ``None`` for a label that is constant in
    the training data), ``constant_`` (the constant probability of such labels, else NaN),
    ``thresholds_`` (array; ``inf`` where it abstains), ``precision_targets_``,
    ``baseline_precision_``, ``added_``, ``added_hits_``, ``review_thresholds_``, ``ceilings_``, ``scales_``
    (arrays: the calibration of each label, NaN / 0 with ``policy="f1"``), ``n_features_in_``,
    and ``classes_`` for a 1-D target.
    """

    def __init__(self, estimator=None, *, cv: int = 3, policy: str = "f1", min_precision: float = MIN_PRECISION,
                 solo_precision: float = SOLO_PRECISION, min_hits: int = MIN_HITS,
                 review_recall: float = REVIEW_RECALL, prior: float = PRIOR, random_state=None):
        self.estimator = estimator
        self.cv = cv
        self.policy = policy
        self.min_precision = min_precision
        self.solo_precision = solo_precision
        self.min_hits = min_hits
        self.review_recall = review_recall
        self.prior = prior
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    def _base_estimator(self):
        if self.estimator is not None:
            return self.estimator
        return LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)

    def fit(self, X, y, baseline=None):
        """Fit one classifier per column of ``y`` and choose its threshold; returns ``self``."""
        if self.policy not in POLICIES:
            raise ValueError(f"policy doit être l'un de {POLICIES} (reçu : {self.policy!r})")
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), multi_output=True)
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1 and not np.isin(y, (0, 1)).all()):
            y = y.ravel()
            check_classification_targets(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) > 2:
                raise ValueError(
                    "Only binary classification is supported (or a 0/1 multilabel matrix); "
                    f"got {len(self.classes_)} classes."
                )
            Y = (y == self.classes_[-1]).astype(int).reshape(-1, 1) if len(self.classes_) == 2 else (
                np.zeros((len(y), 1), dtype=int)
            )
            self._binary_target = True
        else:
            if not np.isin(y, (0, 1)).all():
                raise ValueError("la matrice multi-label doit contenir uniquement 0 et 1")
            Y = y.astype(int)
            self._binary_target = False
        n_labels = Y.shape[1]
        B = np.zeros_like(Y) if baseline is None else np.asarray(baseline, dtype=int).reshape(Y.shape[0], -1)
        if B.shape != Y.shape:
            raise ValueError(f"baseline de forme {B.shape}, attendu {Y.shape}")
        self.estimators_ = []
        self.constant_ = np.full(n_labels, np.nan)
        self.thresholds_ = np.full(n_labels, 0.5)
        keep = self.policy == "keep_precision"
        for name in ("precision_targets_", "baseline_precision_", "review_thresholds_", "ceilings_", "scales_"):
            setattr(self, name, np.full(n_labels, np.nan))
        self.added_ = np.zeros(n_labels, dtype=int)
        self.added_hits_ = np.zeros(n_labels, dtype=int)
        for j in range(n_labels):
            yj = Y[:, j]
            positives = int(yj.sum())
            if positives in (0, len(yj)):
                self.estimators_.append(None)
                self.constant_[j] = float(positives > 0)
                if keep:
                    self._set_calibration(j, calibrate(np.full(len(yj), float(positives > 0)), yj, B[:, j],
                                                       **self._policy_params()))
                continue
            oof = None
            if min(positives, len(yj) - positives) >= self.cv >= 2:
                folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
                oof = cross_val_predict(
                    clone(self._base_estimator()), X, yj, cv=folds, method="predict_proba"
                )[:, 1]
            if keep:
                if oof is None:  # too few examples to measure what its codes are worth: abstains, no queue
                    target, own = precision_target(yj, B[:, j], min_precision=self.min_precision,
                                                   solo_precision=self.solo_precision)
                    self._set_calibration(j, Calibration(math.inf, target, own, 0, 0, math.inf, math.inf, 1.0))
                else:
                    self._set_calibration(j, calibrate(oof, yj, B[:, j], **self._policy_params()))
            elif oof is not None:
                self.thresholds_[j] = _best_threshold(yj, oof)
            self.estimators_.append(clone(self._base_estimator()).fit(X, yj))
        return self

    def _policy_params(self) -> dict:
        return {"min_precision": self.min_precision, "solo_precision": self.solo_precision, "min_hits": self.min_hits,
                "review_recall": self.review_recall, "prior": self.prior}

    def _set_calibration(self, j: int, cal: Calibration) -> None:
        self.thresholds_[j] = cal.threshold
        self.precision_targets_[j] = cal.target
        self.baseline_precision_[j] = cal.baseline_precision
        self.added_[j] = cal.added
        self.added_hits_[j] = cal.added_hits
        self.review_thresholds_[j] = cal.review_threshold
        self.ceilings_[j] = cal.ceiling
        self.scales_[j] = cal.scale

    def calibrations(self) -> list[Calibration]:
        """Each label's :class:`~transitions_analysis.coding.calibration.Calibration`
        (``policy="keep_precision"``)."""
        check_is_fitted(self, "estimators_")
        return [Calibration(float(t), float(p), float(b), int(a), int(h), float(r), float(c), float(s))
                for t, p, b, a, h, r, c, s in zip(self.thresholds_, self.precision_targets_, self.baseline_precision_,
                                                  self.added_, self.added_hits_, self.review_thresholds_, self.ceilings_,
                                                  self.scales_)]

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities of presence: (n_samples, n_labels); (n_samples, 2) for a 1-D target."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        columns = []
        for est, const in zip(self.estimators_, self.constant_):
            columns.append(np.full(X.shape[0], const) if est is None else est.predict_proba(X)[:, 1])
        proba = np.column_stack(columns) if columns else np.zeros((X.shape[0], 0))
        if self._binary_target:
            if len(self.classes_) == 1:
                return np.ones((X.shape[0], 1))
            return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        return proba

    def predict(self, X) -> np.ndarray:
        """Labels: the indicator matrix ``proba >= thresholds_``, or class labels for 1-D."""
        proba = self.predict_proba(X)
        if self._binary_target:
            if len(self.classes_) == 1:
                return np.full(proba.shape[0], self.classes_[0])
            return self.classes_[(proba[:, 1] >= self.thresholds_[0]).astype(int)]
        return (proba >= self.thresholds_).astype(int)


class LearningCoder(BaseEstimator):
    """French texts in, codebook codes out (multi-label), learnt from human codings.

    Parameters (stored as given; see scikit-learn conventions)
    ----------
    codes : the code ids to learn (default: the columns of ``y`` in ``fit``).
    word_ngrams, char_ngrams : n-gram ranges of the word and character TF-IDF features.
    min_df : minimum document frequency of a feature.
    C : inverse regularisation of each code's logistic regression.
    cv : folds of the out-of-fold probabilities each code's threshold is calibrated on.
    min_positives : a code with fewer positive units is not learnt (listed in ``skipped_codes_``).
    policy : ``"keep_precision"`` (default: a code is given only where it keeps the precision of
        the ``baseline`` passed to ``fit``, the rules; see :mod:`.calibration`) or ``"f1"`` (the
        learner alone, thresholds maximising out-of-fold F1: for benchmarks without rules).
    min_precision, solo_precision, min_hits, review_recall, prior : the ``keep_precision`` policy.
    random_state : seeds every fold shuffling.

    Fitted attributes: ``codes_`` (learnt codes, in order), ``skipped_codes_``,
    ``vectorizer_``, ``classifier_``, ``thresholds_`` (dict code -> threshold, ``inf`` where it
    abstains), ``calibration_`` (dict code -> what the calibration measured, JSON-able),
    ``n_training_units_``.
    """

    def __init__(
        self,
        *,
        codes: Sequence[str] | None = None,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (3, 5),
        min_df: int = 2,
        C: float = 4.0,
        cv: int = 5,
        min_positives: int = 5,
        policy: str = "keep_precision",
        min_precision: float = MIN_PRECISION,
        solo_precision: float = SOLO_PRECISION,
        min_hits: int = MIN_HITS,
        review_recall: float = REVIEW_RECALL,
        prior: float = PRIOR,
        random_state=None,
    ):
        self.codes = codes
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.C = C
        self.cv = cv
        self.min_positives = min_positives
        self.policy = policy
        self.min_precision = min_precision
        self.solo_precision = solo_precision
        self.min_hits = min_hits
        self.review_recall = review_recall
        self.prior = prior
        self.random_state = random_state

    def _make_vectorizer(self) -> FeatureUnion:
        common = dict(strip_accents="unicode", lowercase=True, min_df=self.min_df, sublinear_tf=True)
        return FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=self.word_ngrams, preprocessor=fold_case, **common)),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, **common)),
            ]
        )

    def fit(self, texts: Iterable[str], y, baseline=None):
        """Learn from ``texts`` and ``y`` (DataFrame of 0/1 with code columns, or an array whose
        columns are ``codes``); ``baseline``: the same shape (a DataFrame's missing code columns
        are 0), 1 where the rules already give the code: the codes this coder adds elsewhere must
        keep the rules' precision on these texts. Returns ``self``."""
        texts = [str(t) for t in texts]
        if isinstance(y, pd.DataFrame):
            codes = list(self.codes) if self.codes is not None else [str(c) for c in y.columns]
            Y = y.reindex(columns=codes, fill_value=0).to_numpy(dtype=int)
        else:
            Y = np.asarray(y, dtype=int)
            if Y.ndim != 2:
                raise ValueError("y doit être une matrice (unités x codes)")
            if self.codes is None or len(self.codes) != Y.shape[1]:
                raise ValueError("avec un tableau numpy, `codes` doit nommer chaque colonne de y")
            codes = list(self.codes)
        if len(texts) != Y.shape[0]:
            raise ValueError(f"{len(texts)} textes mais {Y.shape[0]} lignes de codage")
        if baseline is None:
            B = np.zeros_like(Y)
        elif isinstance(baseline, pd.DataFrame):
            B = baseline.reindex(columns=codes, fill_value=0).to_numpy(dtype=int)
        else:
            B = np.asarray(baseline, dtype=int)
        if B.shape != Y.shape:
            raise ValueError(f"codes de référence (baseline) de forme {B.shape}, attendu {Y.shape}")
        support = Y.sum(axis=0)
        keep = support >= self.min_positives
        self.codes_ = [c for c, k in zip(codes, keep) if k]
        self.skipped_codes_ = {c: int(s) for c, s, k in zip(codes, support, keep) if not k}
        if self.skipped_codes_:
            log.info("codes non appris (moins de %d unités positives) : %s", self.min_positives, self.skipped_codes_)
        if not self.codes_:
            raise ValueError(
                f"aucun code n'a au moins {self.min_positives} unités positives : rien à apprendre"
            )
        self.vectorizer_ = self._make_vectorizer()
        X = self.vectorizer_.fit_transform(texts)
        base = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000)
        self.classifier_ = ThresholdedOneVsRest(
            base, cv=self.cv, policy=self.policy, min_precision=self.min_precision, solo_precision=self.solo_precision,
            min_hits=self.min_hits, review_recall=self.review_recall, prior=self.prior, random_state=self.random_state)
        self.classifier_.fit(X, Y[:, keep], baseline=B[:, keep])
        self.thresholds_ = dict(zip(self.codes_, self.classifier_.thresholds_.tolist()))
        self.calibration_ = ({c: cal.as_dict() for c, cal in zip(self.codes_, self.classifier_.calibrations())}
                             if self.policy == "keep_precision" else {})
        self.n_training_units_ = len(texts)
        return self

    def accepted_codes(self) -> list[str]:
        """The codes this coder gives itself (a finite threshold); it abstains on the others."""
        check_is_fitted(self, "classifier_")
        return [c for c in self.codes_ if math.isfinite(self.thresholds_[c])]

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """Probability of each code in ``codes_`` for each text: (n_texts, n_codes)."""
        check_is_fitted(self, "classifier_")
        X = self.vectorizer_.transform([str(t) for t in texts])
        return self.classifier_.predict_proba(X)

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        """0/1 matrix (n_texts, n_codes): each code's probability at or above its threshold."""
        proba = self.predict_proba(texts)
        return (proba >= self.classifier_.thresholds_).astype(int)

    def _answers(self, segments: pd.DataFrame):
        """Segments sorted, the answers' ids, answer and segment probabilities, segment owners."""
        seg = segments.sort_values(["response_id", "start"], kind="stable").reset_index(drop=True)
        response_ids = seg["response_id"].drop_duplicates().tolist()
        joined = seg.groupby("response_id", sort=False)["text"].agg(" ".join).reindex(response_ids)
        answer_proba = self.predict_proba(joined.tolist())
        segment_proba = self.predict_proba(seg["text"].tolist())
        position = {rid: i for i, rid in enumerate(response_ids)}
        owner = seg["response_id"].map(position).to_numpy()
        return seg, answer_proba, segment_proba, owner

    @staticmethod
    def _best_segments(rows, cols, segment_proba, owner) -> list[int]:
        chosen = []
        for r, c in zip(rows, cols):
            candidates = np.flatnonzero(owner == r)
            chosen.append(candidates[np.argmax(segment_proba[candidates, c])])
        return chosen

    def predict_codings(self, segments: pd.DataFrame) -> pd.DataFrame:
        """Codings (schema.CODINGS, ``source`` = ``model``) of the answers made of ``segments``.

        The model learnt from whole answers, so it decides at that level: an answer gets a code
        when the probability of its whole text (its segments joined) reaches the code's
        threshold; the coding is attached to the answer's segment with the highest probability
        for that code (``start``/``end`` are that segment's offsets in the answer, the evidence
        its text) and ``score`` is the answer's probability (4 decimals).
        ``segments`` has the schema.SEGMENTS columns.
        """
        check_is_fitted(self, "classifier_")
        if segments.empty:
            return schema.empty(schema.Codings)
        seg, answer_proba, segment_proba, owner = self._answers(segments)
        rows, cols = np.nonzero(answer_proba >= self.classifier_.thresholds_)
        out = pd.DataFrame(
            {**self._picked(seg, rows, cols, answer_proba, segment_proba, owner),
             "negated": False, "coder": schema.MODEL_CODER}
        )
        return out.sort_values(["response_id", "start", "code"], kind="stable").reset_index(drop=True)

    def predict_suggestions(self, segments: pd.DataFrame) -> pd.DataFrame:
        """The review queue's rows (schema.SUGGESTIONS, ``source`` = ``model``): each answer whose
        probability for a code is below the code's threshold but at or above its review
        threshold, on the answer's most likely segment (its text as evidence); ``margin`` is
        the distance to where the coder starts coding (:func:`.calibration.margins`) in
        standard deviations of the calibration probabilities. Empty with ``policy="f1"``."""
        check_is_fitted(self, "classifier_")
        if segments.empty or self.policy != "keep_precision":
            return schema.empty(schema.Suggestions)
        clf = self.classifier_
        seg, answer_proba, segment_proba, owner = self._answers(segments)
        rows, cols = np.nonzero((answer_proba >= clf.review_thresholds_) & (answer_proba < clf.thresholds_))
        if not len(rows):
            return schema.empty(schema.Suggestions)
        margin = margins(answer_proba, clf.calibrations())
        out = pd.DataFrame(self._picked(seg, rows, cols, answer_proba, segment_proba, owner))
        out.insert(out.columns.get_loc("score") + 1, "margin", np.round(margin[rows, cols], 4))
        return schema.validate(out, schema.Suggestions)

    def _picked(self, seg, rows, cols, answer_proba, segment_proba, owner) -> dict[str, Any]:
        """Columns shared by codings and suggestions for the (answer ``rows``, code ``cols``)
        pairs: each answer's most likely segment for the code, the code, source and score."""
        picked = seg.iloc[self._best_segments(rows, cols, segment_proba, owner)].reset_index(drop=True)
        return {
            "segment_id": picked["segment_id"].to_numpy(),
            "response_id": picked["response_id"].to_numpy(),
            "code": np.asarray(self.codes_, dtype=object)[cols],
            "source": schema.SOURCE_MODEL,
            "score": np.round(answer_proba[rows, cols], 4),
            "start": picked["start"].to_numpy(),
            "end": picked["end"].to_numpy(),
            "evidence": picked["text"].to_numpy(),
        }


# ---------------------------------------------------------------------------------------------
# Training data from human codings


def human_labels(
    human_codings: pd.DataFrame, *, codes: Sequence[str], unit: str = "response_id", min_share: float = 0.5
) -> pd.DataFrame:
    """Unit x code 0/1 table from human codings (columns ``unit``, ``coder``, ``code``).

    A code is present for a unit when at least ``min_share`` of the coders who saw the unit gave
    it (with two coders and the default 0.5: either one). A coder "saw" a unit when they have a
    row for it, even one with an empty code (unit seen, no code). When a coder named
    ``adjudication`` coded a unit, its decision alone defines that unit's labels.
    Returns a DataFrame indexed by unit id (sorted), one 0/1 column per code in ``codes``.
    """
    missing = {unit, "coder", "code"} - set(human_codings.columns)
    if missing:
        raise ValueError(f"codages humains : colonnes manquantes {sorted(missing)}")
    hc = human_codings[[unit, "coder", "code"]].copy()
    hc["code"] = hc["code"].fillna("").astype(str).str.strip()
    adjudicated = set(hc.loc[hc["coder"] == "adjudication", unit])
    hc = hc[(hc["coder"] == "adjudication") | ~hc[unit].isin(adjudicated)]
    n_coders = hc.groupby(unit)["coder"].nunique()
    given = hc[hc["code"].isin(codes)].drop_duplicates([unit, "coder", "code"])
    counts = given.groupby([unit, "code"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=n_coders.index, columns=list(codes), fill_value=0)
    share = counts.div(n_coders, axis=0)
    return (share >= min_share - 1e-12).astype(int).sort_index()


def training_table(
    responses: pd.DataFrame, human_codings: pd.DataFrame, *, codes: Sequence[str], min_share: float = 0.5
) -> tuple[list[str], pd.DataFrame]:
    """Texts and 0/1 labels of the human-coded responses (response-level units).

    Returns ``(texts, labels)`` aligned on ``labels.index`` (response ids, sorted). Coded ids
    absent from ``responses`` are logged and left out (they cannot be learnt without a text).
    """
    labels = human_labels(human_codings, codes=codes, unit="response_id", min_share=min_share)
    text_by_id = responses.set_index("response_id")["text"]
    unknown = labels.index.difference(text_by_id.index)
    if len(unknown):
        log.warning("%d réponses codées absentes des réponses lues (ignorées) : %s", len(unknown), list(unknown[:5]))
        labels = labels.drop(index=unknown)
    return text_by_id.loc[labels.index].astype(str).tolist(), labels


# ---------------------------------------------------------------------------------------------
# Safe persistence (skops)


@lru_cache(maxsize=1)
def _expected_types() -> frozenset[str]:
    """The exact set of non-default types a saved LearningCoder contains (found by saving one
    tiny model, once per process)."""
    import skops.io as sio

    demo = LearningCoder(codes=["a"], min_positives=1, cv=2, random_state=0)
    demo.fit(["un texte", "autre texte", "encore un", "dernier"], pd.DataFrame({"a": [1, 0, 1, 0]}))
    return frozenset(sio.get_untrusted_types(data=sio.dumps(demo)))


def save_model(model: LearningCoder, path: str | Path) -> Path:
    """Save a fitted :class:`LearningCoder` with skops (no pickle); returns the path."""
    import skops.io as sio

    check_is_fitted(model, "classifier_")
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


def load_model(path: str | Path) -> LearningCoder:
    """Load a model saved by :func:`save_model`, refusing any type such a model does not need.

    Raises :class:`InputError` naming the file and the unexpected types (a ``.skops`` file from
    elsewhere is untrusted: skops would otherwise need those types to be trusted explicitly).
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(path)
    if not path.is_file():
        raise InputError("modèle introuvable", path=path)
    try:
        found = set(sio.get_untrusted_types(file=path))
    except Exception as exc:  # a corrupt archive: zipfile/json errors from skops
        raise InputError(f"fichier de modèle illisible ({exc.__class__.__name__}: {exc})", path=path) from exc
    unexpected = sorted(found - _expected_types())
    if unexpected:
        raise InputError(f"types non attendus dans le modèle, refusés : {unexpected}", path=path)
    try:
        model = sio.load(path, trusted=sorted(found))
    except UntrustedTypesFoundException as exc:  # pragma: no cover - guarded above
        raise InputError(str(exc), path=path) from exc
    if not isinstance(model, LearningCoder):
        raise InputError(f"le fichier ne contient pas un LearningCoder mais {type(model).__name__}", path=path)
    return model


# ---------------------------------------------------------------------------------------------
# The default model: trained on a human coding of ingested responses (the sample's, by default)


def train_from_human_coding(
    responses: pd.DataFrame,
    human_codings: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
    baseline: pd.DataFrame | None = None,
    random_state=None,
    cache_dir: str | Path | None = None,
    codebook_hash: str = "",
    **params,
) -> LearningCoder | None:
    """Fit a :class:`LearningCoder` on the human-coded ``responses``; ``None`` if nothing to learn.

    ``codes`` defaults to every code of the contract (schema) that the coding uses. ``baseline``
    (response ids x codes, 0/1: what the rules give; missing = 0) makes each code's threshold
    keep the rules' precision (:mod:`.calibration`). ``params``: other :class:`LearningCoder`
    parameters. With ``cache_dir``, the fitted model is stored as ``models/<hash>.skops`` keyed
    by the hash of its training data (texts, labels, baseline), of the codebook
    (``codebook_hash``), of its parameters and of the package version, and reloaded on the next
    run with the same data and codebook.
    """
    from ..config import VERSION
    from ..core.ids import stable_hash

    if codes is None:
        used = set(human_codings["code"].dropna().astype(str))
        codes = [c for c in schema.CONTRACT_CODES if c in used]
    if not codes:
        return None
    texts, labels = training_table(responses, human_codings, codes=codes)
    if not texts:
        return None
    base = (baseline.reindex(index=labels.index, columns=list(codes), fill_value=0).fillna(0).astype(int)
            if baseline is not None else None)
    model = LearningCoder(codes=list(codes), random_state=random_state, **params)
    cache_path = None
    if cache_dir is not None:
        key = stable_hash(
            VERSION, repr(model.get_params()), codebook_hash, "\x1e".join(texts), labels.to_csv(),
            base.to_csv() if base is not None else "", length=20
        )
        cache_path = Path(cache_dir) / "models" / f"{key}.skops"
        if cache_path.is_file():
            try:
                return load_model(cache_path)
            except InputError as exc:  # a stale or corrupt cache entry is rebuilt
                log.warning("cache de modèle ignoré : %s", exc)
    try:
        model.fit(texts, labels, baseline=base)
    except ValueError as exc:
        log.warning("modèle non entraîné : %s", exc)
        return None
    if cache_path is not None:
        save_model(model, cache_path)
    return model
