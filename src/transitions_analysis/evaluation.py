"""Evaluation of the machine coders against human coding.

- :func:`scores_table` - per-code precision, recall, F1 and support of 0/1 matrices;
- :func:`evaluate_coder`, :func:`learning_curve` - the learning coder cross-validated
  (multi-label stratified folds) on a human coding, and its learning curve (with the rules'
  codes as ``baseline``: the learnt coder keeps their precision, and the combination is scored);
- :func:`evaluate_split` - every coder on one held-out split (below);
- :func:`score_codings`, :func:`score_expectations` - any set of machine codings (by coder name)
  against a human reference: per-code precision / recall, and the precision of ``to_role``;
- :func:`load_gold`, :func:`gold_codings` - the development gold set (real Grand Débat answers
  coded by hand, ``data/external/gdn2019_gold``) and every coder's codings of it: rules, semantic
  coder, learnt coder and their combination, each calibrated on the training folds only
  (``scripts/evaluate_gold.py`` prints the scores); :func:`coding_quality` - the same on the
  human coding of a user's own answers (run.json, the report).

The human-coded responses are split once (multi-label stratified) into a training part and a
test part. The learning coder is fitted on the training part only; the rules need no training.
On the test part, each coder's response-level labels (a response has a code when any of its
segments has it, negated rule matches excluded) are compared with the human reference
(:func:`transitions_analysis.coding.learn.human_labels`): per-code precision, recall and F1 of
``rules``, ``model`` and ``combined`` (rules or model), and, as a ceiling, of one human coder
against the other where two coded the same responses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support

from . import config
from .coding.engine import CodingResult, code_responses
from .coding.learn import LearningCoder, human_labels
from .core import schema
from .core.errors import InputError

log = logging.getLogger(__name__)

EVALUATED_CODES: tuple[str, ...] = schema.CONTRACT_CODES


def _fit(estimator, texts, labels: pd.DataFrame, baseline: pd.DataFrame | None):
    """``estimator.fit(texts, labels[, baseline=...])``: the baseline only to an estimator that takes one."""
    import inspect

    if baseline is not None and "baseline" in inspect.signature(estimator.fit).parameters:
        return estimator.fit(texts, labels, baseline=baseline)
    return estimator.fit(texts, labels)


def _oof_predictions(estimator, texts, labels: pd.DataFrame, *, n_splits: int, random_state,
                     baseline: pd.DataFrame | None = None) -> tuple[np.ndarray, list[str]]:
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    texts = np.asarray(texts, dtype=object)
    Y = labels.to_numpy(dtype=int)
    codes = list(labels.columns)
    pred = np.zeros_like(Y)
    folds = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for train, test in folds.split(texts, Y):
        model = clone(estimator).set_params(codes=codes, min_positives=1)
        _fit(model, texts[train], labels.iloc[train], None if baseline is None else baseline.iloc[train])
        learnt = [codes.index(c) for c in model.codes_]
        pred[np.ix_(test, learnt)] = model.predict(texts[test])
    return pred, codes


def _aligned(baseline: pd.DataFrame | None, labels: pd.DataFrame) -> pd.DataFrame | None:
    if baseline is None:
        return None
    return baseline.reindex(index=labels.index, columns=labels.columns, fill_value=0).fillna(0).astype(int)


def evaluate_coder(
    texts: Sequence[str],
    labels: pd.DataFrame,
    *,
    estimator: LearningCoder | None = None,
    baseline: pd.DataFrame | None = None,
    n_splits: int = 5,
    random_state=None,
) -> pd.DataFrame:
    """Cross-validated (multi-label stratified) per-code precision, recall, F1 and support.

    ``baseline`` (same index and codes as ``labels``, 0/1: the rules' codes) is given to the
    estimator's ``fit`` on each training part (the learnt coder then keeps the rules' precision).
    Returns one row per code plus ``__micro__`` and ``__macro__`` rows; columns
    ``code, precision, recall, f1, support``.
    """
    estimator = estimator if estimator is not None else LearningCoder(random_state=random_state)
    pred, codes = _oof_predictions(estimator, texts, labels, n_splits=n_splits, random_state=random_state,
                                   baseline=_aligned(baseline, labels))
    return scores_table(labels.to_numpy(dtype=int), pred, codes)


def scores_table(Y_true: np.ndarray, Y_pred: np.ndarray, codes: Sequence[str]) -> pd.DataFrame:
    """Per-code precision / recall / F1 / support of 0/1 matrices, plus micro and macro rows."""
    Y_true, Y_pred = np.asarray(Y_true, dtype=int), np.asarray(Y_pred, dtype=int)
    rows = []
    for j, code in enumerate(codes):  # column by column: a single code stays a binary problem
        p, r, f, _ = precision_recall_fscore_support(
            Y_true[:, j], Y_pred[:, j], average="binary", zero_division=0.0
        )
        rows.append([code, p, r, f, int(Y_true[:, j].sum())])
    table = pd.DataFrame(rows, columns=["code", "precision", "recall", "f1", "support"])
    mp, mr, mf, _ = precision_recall_fscore_support(Y_true.ravel(), Y_pred.ravel(), average="binary", zero_division=0.0)
    table.loc[len(table)] = ["__micro__", mp, mr, mf, int(Y_true.sum())]
    table.loc[len(table)] = ["__macro__", *table[["precision", "recall", "f1"]].iloc[: len(codes)].mean().tolist(), int(Y_true.sum())]
    table[["precision", "recall", "f1"]] = table[["precision", "recall", "f1"]].astype(float).round(4)
    table["support"] = table["support"].astype(int)
    return table


def _micro(Y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    p, r, f, _ = precision_recall_fscore_support(Y.ravel(), pred.ravel(), average="binary", zero_division=0.0)
    return round(float(p), 4), round(float(r), 4), round(float(f), 4)


def learning_curve(
    texts: Sequence[str],
    labels: pd.DataFrame,
    *,
    estimator: LearningCoder | None = None,
    baseline: pd.DataFrame | None = None,
    train_sizes: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 1.0),
    n_splits: int = 5,
    random_state=None,
) -> pd.DataFrame:
    """Micro and macro F1 on held-out folds when training on growing shares of each training fold.

    Columns ``train_size`` (share), ``n_train`` (mean units), ``micro_f1``, ``macro_f1`` (the
    learnt coder's own codes). With ``baseline`` (the rules' 0/1 codes, same index as
    ``labels``), the estimator learns with it (keeping the rules' precision) and the table adds
    the micro precision, recall and F1 of the rules (``rules_*``, the same on every row) and of
    the combination, rules or learnt coder (``combined_*``).
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    estimator = estimator if estimator is not None else LearningCoder(random_state=random_state)
    base = _aligned(baseline, labels)
    texts = np.asarray(texts, dtype=object)
    Y = labels.to_numpy(dtype=int)
    codes = list(labels.columns)
    rng = np.random.default_rng(random_state)
    folds = list(
        MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state).split(texts, Y)
    )
    orders = [rng.permutation(train) for train, _ in folds]
    rows = []
    for size in train_sizes:
        pred = np.zeros_like(Y)
        n_train = []
        for (train, test), order in zip(folds, orders):
            subset = np.sort(order[: max(2, int(round(size * len(train))))])
            n_train.append(len(subset))
            model = clone(estimator).set_params(codes=codes, min_positives=1)
            if labels.iloc[subset].to_numpy().sum() == 0:
                continue
            _fit(model, texts[subset], labels.iloc[subset], None if base is None else base.iloc[subset])
            learnt = [codes.index(c) for c in model.codes_]
            pred[np.ix_(test, learnt)] = model.predict(texts[test])
        row = {
            "train_size": float(size),
            "n_train": float(np.mean(n_train)),
            "micro_f1": round(float(f1_score(Y, pred, average="micro", zero_division=0.0)), 4),
            "macro_f1": round(float(f1_score(Y, pred, average="macro", zero_division=0.0)), 4),
        }
        if base is not None:
            B = base.to_numpy(dtype=int)
            row.update(zip(("rules_precision", "rules_recall", "rules_f1"), _micro(Y, B)))
            row.update(zip(("combined_precision", "combined_recall", "combined_f1"), _micro(Y, np.maximum(B, pred))))
        rows.append(row)
    return pd.DataFrame(rows)


def split_human_coding(
    labels: pd.DataFrame, *, test_size: float = 0.3, random_state=None
) -> tuple[pd.Index, pd.Index]:
    """Train and test unit ids: one multi-label stratified split of ``labels`` (units x codes)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit
    from sklearn.model_selection import StratifiedShuffleSplit

    Y = labels.to_numpy(dtype=int)
    if Y.shape[1] == 1:  # one code: ordinary stratification (the multi-label splitter needs two)
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
        Y = Y[:, 0]
    else:
        splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=test_size, random_state=random_state)
    train, test = next(splitter.split(np.zeros(len(labels)), Y))
    return labels.index[np.sort(train)], labels.index[np.sort(test)]


def response_labels(codings: pd.DataFrame, response_ids: Sequence[str], codes: Sequence[str]) -> pd.DataFrame:
    """0/1 table (responses x codes): a code is present when any non-negated coding has it."""
    negated = schema.parse_bool(codings["negated"])
    kept = codings[~negated & codings["code"].isin(codes)]
    present = kept.groupby(["response_id", "code"]).size().unstack(fill_value=0)
    present = present.reindex(index=list(response_ids), columns=list(codes), fill_value=0)
    return (present > 0).astype(int)


def evaluate_split(
    responses: pd.DataFrame,
    human_codings: pd.DataFrame,
    *,
    nlp=None,
    codebook=None,
    codes: Sequence[str] = EVALUATED_CODES,
    test_size: float = 0.3,
    random_state=None,
    estimator: LearningCoder | None = None,
) -> pd.DataFrame:
    """Per-code scores of each coder on the held-out test part (the learnt coder trained on the
    training part with the rules' codes there as its baseline and, by default, the pipeline's
    ``config.MIN_HUMAN_POSITIVES``: as the pipeline trains it).

    Returns columns ``coder`` (``rules``, ``model``, ``combined``, ``human:<A>_vs_<B>``),
    ``code`` (plus ``__micro__``/``__macro__``), ``precision``, ``recall``, ``f1``, ``support``,
    and the attribute ``attrs["split"]`` with the train/test sizes.
    """
    labels = human_labels(human_codings, codes=codes)
    labels = labels.loc[labels.index.intersection(responses["response_id"].astype(str))]
    train_ids, test_ids = split_human_coding(labels, test_size=test_size, random_state=random_state)
    by_id = responses.set_index("response_id")
    train_responses = by_id.loc[train_ids].reset_index()[list(schema.RESPONSES)]
    train_coded = code_responses(train_responses, nlp=nlp, codebook=codebook, cache_dir=None, progress=False)
    rules_train = response_labels(train_coded.codings[train_coded.codings["source"] == schema.SOURCE_RULE],
                                  list(train_ids), list(codes))
    if estimator is None:  # as the pipeline trains it: a code needs as many positive answers as in `code`
        estimator = LearningCoder(min_positives=config.MIN_HUMAN_POSITIVES, random_state=random_state)
    model = estimator.set_params(codes=list(codes))
    _fit(model, by_id.loc[train_ids, "text"].astype(str).tolist(), labels.loc[train_ids], rules_train)

    test_responses = by_id.loc[test_ids].reset_index()[list(schema.RESPONSES)]
    coded = code_responses(test_responses, nlp=nlp, codebook=codebook, model=model, cache_dir=None, progress=False)
    machine = coded.codings
    y_true = labels.loc[test_ids]
    predictions = {
        schema.RULE_CODER: response_labels(machine[machine["source"] == schema.SOURCE_RULE], test_ids, codes),
        schema.MODEL_CODER: response_labels(machine[machine["source"] == schema.SOURCE_MODEL], test_ids, codes),
        "combined": response_labels(machine, test_ids, codes),
    }
    tables = []
    for coder, pred in predictions.items():
        tables.append(scores_table(y_true.to_numpy(), pred.to_numpy(), codes).assign(coder=coder))
    coders = sorted(human_codings["coder"].dropna().unique())
    if len(coders) == 2:
        a, b = coders
        test_set = set(test_ids)
        one = human_labels(human_codings[human_codings["coder"] == a], codes=codes)
        two = human_labels(human_codings[human_codings["coder"] == b], codes=codes)
        common = [i for i in one.index.intersection(two.index) if i in test_set]
        tables.append(
            scores_table(one.loc[common].to_numpy(), two.loc[common].to_numpy(), codes).assign(coder=f"human:{b}_vs_{a}")
        )
    result = pd.concat(tables, ignore_index=True)[["coder", "code", "precision", "recall", "f1", "support"]]
    result.attrs["split"] = {"train": len(train_ids), "test": len(test_ids), "random_state": random_state}
    return result


# ---------------------------------------------------------------------------------------------
# Any coders against a human reference (the development gold set)

#: Groups of codes scored together (micro-averaged) besides each code.
FAMILIES: dict[str, tuple[str, ...]] = {
    "__principles__": schema.PRINCIPLES,
    "__actors__": schema.ACTOR_CODES,
}


def _prf(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return round(p, 4), round(r, 4), round(f, 4)


def score_codings(
    codings_by_coder: Mapping[str, pd.DataFrame],
    reference: pd.DataFrame,
    *,
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per-code precision, recall and F1 of machine codings against a human reference.

    ``codings_by_coder``: coder name -> codings table (at least ``response_id``, ``code``,
    ``negated``); a response has a code when any non-negated coding gives it (whatever the
    segment). ``reference``: the 0/1 table (responses x codes) of :func:`human_labels`; only its
    responses are scored. Returns one row per coder and code, plus the micro-averaged families
    ``__principles__`` and ``__actors__`` and ``__micro__`` over ``codes`` (default: the
    reference's columns). Columns: ``coder, code, precision, recall, f1, support`` (reference
    positives), ``predicted`` (machine positives), ``true_positives``.
    """
    codes = list(codes) if codes is not None else list(reference.columns)
    ref = reference.reindex(columns=codes, fill_value=0).astype(int)
    ids = list(ref.index)
    rows = []
    for coder, codings in codings_by_coder.items():
        pred = response_labels(codings, ids, codes)
        tp = (pred & ref).sum()
        n_pred, n_true = pred.sum(), ref.sum()
        for code in codes:
            rows.append([coder, code, *_prf(int(tp[code]), int(n_pred[code]), int(n_true[code])),
                         int(n_true[code]), int(n_pred[code]), int(tp[code])])
        groups = {name: [c for c in members if c in codes] for name, members in FAMILIES.items()}
        groups["__micro__"] = codes
        for name, members in groups.items():
            if not members:
                continue
            t, p_, n = int(tp[members].sum()), int(n_pred[members].sum()), int(n_true[members].sum())
            rows.append([coder, name, *_prf(t, p_, n), n, p_, t])
    return pd.DataFrame(rows, columns=["coder", "code", "precision", "recall", "f1", "support", "predicted",
                                       "true_positives"])


def score_expectations(
    expectations_by_coder: Mapping[str, pd.DataFrame],
    reference: pd.DataFrame,
    response_ids: Sequence[str],
) -> pd.DataFrame:
    """Precision and recall of ``to_role``: the category each answer expects to act.

    ``expectations_by_coder``: coder name -> expectations table (``response_id``, ``to_role``);
    ``reference``: the human ``(response_id, to_role)`` rows (an adjudication row wins over the
    coders of its answer; otherwise a category any coder gave counts). Only answers of
    ``response_ids`` are scored. A predicted pair is right when the reference has the same
    category for that answer. Returns one row per coder and category plus ``__all__``; columns
    ``coder, to_role, precision, recall, f1, support, predicted, true_positives``.
    """
    ids = set(map(str, response_ids))
    ref = reference.copy()
    ref["response_id"] = ref["response_id"].astype(str)
    if "coder" in ref.columns:
        adjudicated = set(ref.loc[ref["coder"] == "adjudication", "response_id"])
        ref = ref[(ref["coder"] == "adjudication") | ~ref["response_id"].isin(adjudicated)]
    gold = {(r, t) for r, t in zip(ref["response_id"], ref["to_role"].astype(str)) if r in ids}
    rows = []
    for coder, table in expectations_by_coder.items():
        pred = {(str(r), str(t)) for r, t in zip(table["response_id"], table["to_role"]) if str(r) in ids}
        for role in (*schema.ALL_ROLES, "__all__"):
            g = gold if role == "__all__" else {x for x in gold if x[1] == role}
            p = pred if role == "__all__" else {x for x in pred if x[1] == role}
            if role != "__all__" and not g and not p:
                continue
            tp = len(g & p)
            rows.append([coder, role, *_prf(tp, len(p), len(g)), len(g), len(p), tp])
    return pd.DataFrame(rows, columns=["coder", "to_role", "precision", "recall", "f1", "support", "predicted",
                                       "true_positives"])


@dataclass
class GoldSet:
    """A hand-coded evaluation set: answers as a responses table, the human codings and the
    reference they give (``labels``: responses x codes; ``expectations``: response_id, coder,
    to_role), and each answer's sampling ``stratum`` when known."""

    responses: pd.DataFrame
    human_codings: pd.DataFrame
    labels: pd.DataFrame
    expectations: pd.DataFrame
    strata: pd.Series = field(default_factory=lambda: pd.Series(dtype=str))
    path: Path | None = None


def load_gold(path: str | Path = config.GOLD_DIR, *, codes: Sequence[str] = EVALUATED_CODES) -> GoldSet:
    """Read a gold set folder: ``answers.csv`` (response_id, question_id, question, text[, stratum]),
    ``gold_codings.csv`` (human codings format) and ``gold_expectations.csv`` (response_id, coder,
    to_role). The reference labels are :func:`human_labels` of the codings (adjudication wins)."""
    from .core.io import read_human_codings, read_table

    path = Path(path)
    answers_path = path / "answers.csv"
    if not answers_path.is_file():
        raise InputError("jeu de référence introuvable (answers.csv attendu)", path=path)
    answers = read_table(answers_path)
    for column in ("response_id", "text"):
        if column not in answers.columns:
            raise InputError(f"colonne attendue absente : {column}", path=answers_path, row=1, column=column)
    n = len(answers)
    responses = pd.DataFrame(
        {
            "response_id": answers["response_id"].astype(str).to_numpy(),
            "source_file": answers_path.name,
            "source_row": range(2, n + 2),
            "session": "",
            "territory": "",
            "respondent_id": answers["response_id"].astype(str).to_numpy(),
            "role": schema.UNKNOWN_ROLE,
            "role_raw": "",
            "question_id": answers.get("question_id", pd.Series([""] * n)).fillna("").astype(str).to_numpy(),
            "question": answers.get("question", pd.Series([""] * n)).fillna("").astype(str).to_numpy(),
            "text": answers["text"].fillna("").astype(str).to_numpy(),
        }
    )[list(schema.RESPONSES)]
    human = read_human_codings(path / "gold_codings.csv")
    labels = human_labels(human, codes=codes)
    labels = labels.reindex(responses["response_id"], fill_value=0)
    exp_path = path / "gold_expectations.csv"
    expectations = read_table(exp_path) if exp_path.is_file() else pd.DataFrame(columns=["response_id", "coder", "to_role"])
    strata = answers.set_index(answers["response_id"].astype(str))["stratum"] if "stratum" in answers.columns else (
        pd.Series(dtype=str))
    return GoldSet(responses, human, labels, expectations, strata.astype(str), path)


@dataclass
class GoldFold:
    """What a coder sees on one fold of :func:`gold_codings`: the training answers, their
    reference and the rules' codes on them (``train_texts``, ``train_labels``, ``train_rules``:
    0/1 tables indexed by response id), the answers to code (``test_responses``) and their rule
    coding (``test_coded``: segments, codings, expectations of those answers only).
    ``with_semantic``: the combination includes the semantic coder. ``store`` is shared by the
    coders of one fold (a model fitted once, used twice; out-of-fold ``scores`` and the
    ``calibration`` of each coder, gathered by :func:`gold_codings`)."""

    index: int
    train_texts: list[str]
    train_labels: pd.DataFrame
    test_responses: pd.DataFrame
    test_coded: CodingResult
    random_state: int | None
    nlp: object = None
    codebook: object = None
    cache_dir: str | Path | None = None
    cues: object = None
    model_params: dict = field(default_factory=dict)
    store: dict = field(default_factory=dict)
    train_rules: pd.DataFrame | None = None
    semantic_params: dict = field(default_factory=dict)
    with_semantic: bool = False


#: A coder of the gold set: one fold in, the codings (schema.CODINGS) of ``fold.test_responses`` out.
GoldCoder = Callable[[GoldFold], pd.DataFrame]


def _baseline(fold: GoldFold, codes: Sequence[str], *extra: pd.DataFrame | None) -> pd.DataFrame:
    """The 0/1 codes already given on the fold's training answers: the rules', or'ed with ``extra``."""
    index = fold.train_labels.index
    base = (fold.train_rules if fold.train_rules is not None else pd.DataFrame(index=index))
    base = base.reindex(index=index, columns=list(codes), fill_value=0).fillna(0).astype(int)
    for more in extra:
        if more is not None:
            base = base | more.reindex(index=index, columns=list(codes), fill_value=0).fillna(0).astype(int)
    return base


def _fit_learner(fold: GoldFold, baseline: pd.DataFrame) -> LearningCoder | None:
    params = {"random_state": fold.random_state, **fold.model_params}
    model = LearningCoder(codes=list(fold.train_labels.columns), **params)
    try:
        model.fit(fold.train_texts, fold.train_labels, baseline=baseline)
    except ValueError as exc:
        log.warning("pli %d : modèle non entraîné (%s)", fold.index, exc)
        return None
    return model


def _fold_model(fold: GoldFold, *, chained: bool = False) -> LearningCoder | None:
    """The learning coder fitted on the fold's training answers as the pipeline fits it: codes
    with fewer than ``min_positives`` positive answers are not learnt, each code's threshold keeps
    the rules' precision on those answers (:mod:`.coding.calibration`); ``chained``: the baseline
    is the rules plus the semantic coder's codes (when the combination includes it). None when
    nothing can be learnt."""
    key = "model+semantic" if chained and fold.with_semantic else "model"
    if key not in fold.store:
        codes = list(fold.train_labels.columns)
        extra = None
        if key == "model+semantic":
            _fold_semantic(fold)
            extra = fold.store["semantic_train"]
        model = _fit_learner(fold, _baseline(fold, codes, extra))
        fold.store[key] = model
        if model is not None and key == "model":
            proba = model.predict_proba(fold.test_responses["text"].astype(str).tolist())
            fold.store.setdefault("scores", {})[schema.MODEL_CODER] = pd.DataFrame(
                proba, index=fold.test_responses["response_id"].astype(str), columns=model.codes_)
            fold.store.setdefault("calibration", {})[schema.MODEL_CODER] = dict(model.calibration_)
    return fold.store[key]


def _vectors_nlp(fold: GoldFold):
    from .core.errors import MSG_SEMANTIC_NO_VECTORS
    from .core.nlp import load_nlp

    nlp = fold.nlp if fold.nlp is not None else load_nlp(config.VECTORS_MODEL)
    if len(nlp.vocab.vectors.shape) < 2 or not nlp.vocab.vectors.shape[1]:
        raise InputError(MSG_SEMANTIC_NO_VECTORS.format(model=config.VECTORS_MODEL))
    return nlp


def _fold_semantic(fold: GoldFold):
    """The semantic coder calibrated on the fold's training answers with the rules as baseline
    (its codes in-sample on them are kept for the learnt coder's chained baseline)."""
    if "semantic" not in fold.store:
        from .coding.semantic import SemanticCoder, answer_units
        from .core.codebook import as_codebook
        from .core.nlp import parse_texts

        nlp = _vectors_nlp(fold)
        book = as_codebook(fold.codebook)
        template = SemanticCoder(codebook=book)
        codes = [c for c in template._default_codes(book) if c in fold.train_labels.columns]
        params = {"random_state": fold.random_state, **fold.semantic_params}
        model = SemanticCoder(codebook=book, codes=codes, **params)
        units = answer_units(parse_texts(fold.train_texts, nlp=nlp, cache_dir=fold.cache_dir, progress=False))
        model.fit(units, fold.train_labels[codes], baseline=_baseline(fold, codes))
        fold.store["semantic"] = model
        fold.store["semantic_train"] = pd.DataFrame(model.predict(units), index=fold.train_labels.index, columns=codes)
        test_units = answer_units(parse_texts(fold.test_responses["text"].astype(str).tolist(), nlp=nlp,
                                              cache_dir=fold.cache_dir, progress=False))
        fold.store.setdefault("scores", {})[schema.SEMANTIC_CODER] = pd.DataFrame(
            model.decision_function(test_units), index=fold.test_responses["response_id"].astype(str), columns=codes)
        fold.store.setdefault("calibration", {})[schema.SEMANTIC_CODER] = dict(model.calibration_)
    return fold.store["semantic"]


def rules_gold_coder(fold: GoldFold) -> pd.DataFrame:
    """The rule coder (nothing to learn): its codings of the fold's answers."""
    c = fold.test_coded.codings
    return c[c["source"] == schema.SOURCE_RULE]


def model_gold_coder(fold: GoldFold) -> pd.DataFrame:
    """The learning coder trained on the other folds (its own codes: those above its thresholds)."""
    model = _fold_model(fold)
    if model is None:
        return schema.empty(schema.Codings)
    return model.predict_codings(fold.test_coded.segments)


def semantic_gold_coder(fold: GoldFold) -> pd.DataFrame:
    """The semantic coder calibrated on the other folds (its own codes, through the engine)."""
    model = _fold_semantic(fold)
    coded = code_responses(fold.test_responses, nlp=_vectors_nlp(fold), codebook=fold.codebook, semantic=model,
                           cues=fold.cues, cache_dir=fold.cache_dir, progress=False)
    c = coded.codings
    return c[c["source"] == schema.SOURCE_SEMANTIC]


def combined_gold_coder(fold: GoldFold) -> pd.DataFrame:
    """What ``code`` writes with the rules, the learning coder trained on the other folds and,
    with ``fold.with_semantic``, the semantic coder calibrated on them (the learnt coder then
    calibrated beyond the rules' and the semantic coder's codes): every machine coding."""
    model = _fold_model(fold, chained=True)
    semantic = _fold_semantic(fold) if fold.with_semantic else None
    nlp = _vectors_nlp(fold) if semantic is not None else fold.nlp
    coded = code_responses(fold.test_responses, nlp=nlp, codebook=fold.codebook, model=model, semantic=semantic,
                           cues=fold.cues, cache_dir=fold.cache_dir, progress=False)
    c = coded.codings
    return c[c["source"].isin(schema.MACHINE_SOURCES)]


#: The coders :func:`gold_codings` runs by default, in report order. Another coder joins with one
#: entry: ``name -> function(fold) -> codings``. The semantic coder needs word vectors (``nlp`` =
#: ``fr_core_news_md``); with it among the coders, the combination includes it.
GOLD_CODERS: dict[str, GoldCoder] = {
    schema.RULE_CODER: rules_gold_coder,
    schema.SEMANTIC_CODER: semantic_gold_coder,
    schema.MODEL_CODER: model_gold_coder,
    "combined": combined_gold_coder,
}


@dataclass
class GoldRun:
    """Every coder's codings of a gold set (out-of-fold where it learns), the rules' expectations,
    the learning coders' out-of-fold ``scores`` (coder -> responses x codes) and their per-fold
    ``calibrations`` (coder -> one dict code -> calibration per fold)."""

    codings: dict[str, pd.DataFrame]
    expectations: dict[str, pd.DataFrame]
    n_splits: int
    random_state: int | None
    scores: dict[str, pd.DataFrame] = field(default_factory=dict)
    calibrations: dict[str, list[dict]] = field(default_factory=dict)


def gold_codings(
    gold: GoldSet,
    *,
    coders: Mapping[str, GoldCoder] | None = None,
    n_splits: int = 5,
    random_state: int | None = config.RANDOM_STATE,
    nlp=None,
    codebook=None,
    cues=None,
    cache_dir: str | Path | None = config.CACHE_DIR,
    model_params: Mapping[str, object] | None = None,
    semantic_params: Mapping[str, object] | None = None,
) -> GoldRun:
    """Code every answer of ``gold`` with each coder, out-of-fold: the answers are split once into
    ``n_splits`` multi-label stratified folds; each fold is coded by coders that saw only the
    other folds' reference and rule codes (the rules see none), every threshold calibrated on
    those training folds only. Returns the codings by coder name, and the expectations found by
    the rules on the whole set (``{"rules": table}``). ``model_params`` / ``semantic_params``:
    parameters of the learning / semantic coder (e.g. ``min_positives``). ``nlp`` parses for
    every coder (``fr_core_news_md`` when the semantic coder runs)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    coders = dict(coders if coders is not None else GOLD_CODERS)
    responses = gold.responses.reset_index(drop=True)
    labels = gold.labels.reindex(responses["response_id"], fill_value=0)
    rules = code_responses(responses, nlp=nlp, codebook=codebook, cues=cues, cache_dir=cache_dir, progress=False)
    rule_labels = response_labels(rules.codings[rules.codings["source"] == schema.SOURCE_RULE],
                                  list(labels.index), list(labels.columns))
    Y = labels.to_numpy(dtype=int)
    folds = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in coders}
    scores: dict[str, list[pd.DataFrame]] = {}
    calibrations: dict[str, list[dict]] = {}
    texts = responses["text"].astype(str).tolist()
    for i, (train, test) in enumerate(folds.split(np.zeros(len(responses)), Y)):
        test_ids = set(responses["response_id"].iloc[test])
        coded = CodingResult(
            rules.segments[rules.segments["response_id"].isin(test_ids)].reset_index(drop=True),
            rules.codings[rules.codings["response_id"].isin(test_ids)].reset_index(drop=True),
            rules.expectations[rules.expectations["response_id"].isin(test_ids)].reset_index(drop=True),
            rules.run_info,
        )
        fold = GoldFold(i, [texts[j] for j in train], labels.iloc[train], responses.iloc[test].reset_index(drop=True),
                        coded, random_state, nlp, codebook, cache_dir, cues, dict(model_params or {}),
                        train_rules=rule_labels.iloc[train], semantic_params=dict(semantic_params or {}),
                        with_semantic=schema.SEMANTIC_CODER in coders)
        for name, coder in coders.items():
            parts[name].append(coder(fold))
        for name, table in fold.store.get("scores", {}).items():
            scores.setdefault(name, []).append(table)
        for name, cal in fold.store.get("calibration", {}).items():
            calibrations.setdefault(name, []).append(cal)
    codings = {name: pd.concat(p, ignore_index=True) if p else schema.empty(schema.Codings) for name, p in parts.items()}
    oof = {name: pd.concat(t).reindex(labels.index) for name, t in scores.items()}
    return GoldRun(codings, {schema.RULE_CODER: rules.expectations}, n_splits, random_state, oof, calibrations)


def pattern_effects(
    gold: GoldSet,
    *,
    codebook=None,
    cues=None,
    nlp=None,
    cache_dir: str | Path | None = config.CACHE_DIR,
) -> pd.DataFrame:
    """What each pattern of the rule coder does on a gold set: for every (code, pattern) that
    matches (not negated) somewhere, the answers it codes (``answers``), how many of them the
    reference gives that code (``correct``) or not (``wrong``), and how many no other pattern of
    the code finds (``only``, ``only_correct``: what removing the pattern would lose). Sorted by
    code, then by ``wrong`` minus ``correct``: the patterns that break most come first."""
    from .coding.rules import RuleCoder
    from .core.codebook import as_codebook
    from .core.nlp import load_nlp, parse_texts
    from .segmentation import segment_bounds

    if isinstance(cues, (str, Path)):
        from .coding.cues import load_cues

        cues = load_cues(cues)
    coder = RuleCoder(as_codebook(codebook), cues=cues)
    nlp = nlp if nlp is not None else load_nlp()
    ids = gold.responses["response_id"].astype(str).tolist()
    docs = parse_texts(gold.responses["text"].astype(str).tolist(), nlp=nlp, cache_dir=cache_dir, progress=False)
    hits: dict[tuple[str, str], set[str]] = {}
    for rid, doc in zip(ids, docs):
        for m in coder.analyse(doc, segment_bounds(doc)).matches:
            if not m.negated and m.code in gold.labels.columns:
                hits.setdefault((m.code, m.pattern), set()).add(rid)
    rows = []
    for (code, pattern), found in hits.items():
        others = set().union(*(v for (c, p), v in hits.items() if c == code and p != pattern))
        ref = gold.labels[code]
        correct = sum(int(ref.get(r, 0)) for r in found)
        only = found - others
        rows.append([code, pattern, len(found), correct, len(found) - correct, len(only),
                     sum(int(ref.get(r, 0)) for r in only)])
    table = pd.DataFrame(rows, columns=["code", "pattern", "answers", "correct", "wrong", "only", "only_correct"])
    order = table["wrong"] - table["correct"]
    return table.assign(_o=order).sort_values(["code", "_o", "pattern"], ascending=[True, False, True]).drop(columns="_o").reset_index(drop=True)


def coding_quality(
    responses: pd.DataFrame,
    human_codings: pd.DataFrame,
    *,
    model=None,
    learn: bool = True,
    codes: Sequence[str] | None = None,
    model_params: Mapping[str, object] | None = None,
    n_splits: int = 5,
    random_state: int | None = config.RANDOM_STATE,
    nlp=None,
    codebook=None,
    cues=None,
    cache_dir: str | Path | None = config.CACHE_DIR,
) -> pd.DataFrame:
    """Machine against human on the answers people coded, per code (what the report shows).

    ``rules`` always; with ``learn`` the learning coder and the combination cross-validated
    (``n_splits`` folds: each answer coded by a model that never saw its human coding, trained
    with ``model_params`` as the pipeline trains it); with ``model`` (a model given as a file) that
    model and the combination as they are, not cross-validated (it may have learnt from these
    answers). Columns of :func:`score_codings`; ``attrs``: ``units`` (answers scored),
    ``cross_validated``, ``n_splits``.
    """
    coded_ids = set(human_codings["response_id"].dropna().astype(str)) if "response_id" in human_codings.columns else set()
    resp = responses[responses["response_id"].astype(str).isin(coded_ids)].reset_index(drop=True)
    if codes is None:
        used = set(human_codings["code"].fillna("").astype(str))
        codes = [c for c in schema.CONTRACT_CODES if c in used]
    codes = list(codes)
    empty = pd.DataFrame(columns=["coder", "code", "precision", "recall", "f1", "support", "predicted", "true_positives"])
    if resp.empty or not codes:
        empty.attrs.update(units=0, cross_validated=False, n_splits=0)
        return empty
    labels = human_labels(human_codings, codes=codes).reindex(resp["response_id"].astype(str), fill_value=0)
    cross = False
    if model is not None:
        coded = code_responses(resp, nlp=nlp, codebook=codebook, cues=cues, model=model, cache_dir=cache_dir,
                               progress=False)
        c = coded.codings
        by_coder = {schema.RULE_CODER: c[c["source"] == schema.SOURCE_RULE],
                    schema.MODEL_CODER: c[c["source"] == schema.SOURCE_MODEL],
                    "combined": c[c["source"].isin(schema.MACHINE_SOURCES)]}
    else:
        folds = min(n_splits, len(resp) // 10)  # at least 10 answers in each held-out fold
        learnable = learn and folds >= 2
        coders = ({name: GOLD_CODERS[name] for name in (schema.RULE_CODER, schema.MODEL_CODER, "combined")}
                  if learnable else {schema.RULE_CODER: rules_gold_coder})  # no semantic coder: no vectors needed
        gold = GoldSet(resp, human_codings, labels, pd.DataFrame(columns=["response_id", "coder", "to_role"]))
        run = gold_codings(gold, coders=coders, n_splits=max(folds, 2) if learnable else 2,
                           random_state=random_state, nlp=nlp, codebook=codebook, cues=cues,
                           cache_dir=cache_dir, model_params=model_params)
        by_coder, cross = run.codings, learnable
        n_splits = run.n_splits if learnable else 0
    table = score_codings(by_coder, labels, codes=codes)
    table.attrs.update(units=len(resp), cross_validated=cross, n_splits=n_splits if cross else 0)
    return table
