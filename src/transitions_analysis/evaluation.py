"""Honest evaluation of the machine coders against a human coding, on a held-out split.

The human-coded responses are split once (multi-label stratified) into a training part and a
test part. The learning coder is fitted on the training part only; the rules need no training.
On the test part, each coder's response-level labels (a response has a code when any of its
segments has it, negated rule matches excluded) are compared with the human reference
(:func:`transitions_analysis.learn.human_labels`): per-code precision, recall and F1 of
``rules``, ``model`` and ``combined`` (rules or model), and, as a ceiling, of one human coder
against the other where two coded the same responses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import schema
from .learn import LearningCoder, human_labels, scores_table

log = logging.getLogger(__name__)

EVALUATED_CODES: tuple[str, ...] = schema.CONTRACT_CODES


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
    negated = codings["negated"].astype(str).str.lower().isin(("true", "1"))
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
    from .coding import code_responses

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
        "rules": response_labels(machine[machine["source"] == "rule"], test_ids, codes),
        "model": response_labels(machine[machine["source"] == "model"], test_ids, codes),
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
