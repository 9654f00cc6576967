"""Held-out evaluation of the machine coders against a human coding."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from french_examples import COOPERATION, OFF_TOPIC

from transitions_analysis.core import schema

from conftest import _make_responses
from transitions_analysis.coding.learn import human_labels
from transitions_analysis.evaluation import evaluate_split, response_labels, split_human_coding

COOP = COOPERATION
OTHER = OFF_TOPIC


def _data():
    texts = COOP + OTHER
    n = len(texts)
    responses = _make_responses(texts, response_id=[f"R{i:02d}" for i in range(n)], role="agent",
                                question="Qu'avez-vous retenu ?")
    rows = []
    for i, rid in enumerate(responses["response_id"]):
        coop = i < len(COOP)
        rows.append({"response_id": rid, "coder": "A", "code": "principle.cooperation" if coop else ""})
        # coder B misses two cooperation answers: a real disagreement
        rows.append({"response_id": rid, "coder": "B", "code": "principle.cooperation" if coop and i not in (3, 7) else ""})
    return responses, pd.DataFrame(rows)


def test_split_is_disjoint_and_seeded():
    labels = pd.DataFrame({"a": [1, 0] * 10}, index=[f"u{i}" for i in range(20)])
    train, test = split_human_coding(labels, test_size=0.3, random_state=1)
    assert not set(train) & set(test) and len(train) + len(test) == 20
    assert list(split_human_coding(labels, test_size=0.3, random_state=1)[1]) == list(test)


def test_response_labels_ignore_negated_matches():
    codings = pd.DataFrame({"response_id": ["R1", "R1", "R2"], "code": ["principle.value"] * 3,
                            "negated": [True, False, True]})
    labels = response_labels(codings, ["R1", "R2", "R3"], ["principle.value"])
    assert labels["principle.value"].tolist() == [1, 0, 0]


class _Memoriser(BaseEstimator):
    """A learnt coder that codes only the texts it was trained on: blind on a held-out part."""

    def __init__(self, *, codes=None, random_state=None):
        self.codes = codes
        self.random_state = random_state

    def fit(self, texts, labels):
        self.codes_ = list(self.codes)
        self.seen_ = {t: [c for c in self.codes_ if row[c]] for t, (_, row) in zip(texts, labels.iterrows())}
        return self

    def predict_codings(self, segments):
        rows = [{"segment_id": s.segment_id, "response_id": s.response_id, "code": c, "source": "model", "score": 1.0,
                 "start": s.start, "end": s.end, "evidence": s.text, "negated": False, "coder": "model"}
                for s in segments.itertuples() for c in self.seen_.get(s.text, [])]
        return pd.DataFrame(rows, columns=list(schema.CODINGS))


def test_evaluate_split_scores_every_coder_on_the_held_out_part_only(blank_nlp):
    responses, human = _data()
    code = "principle.cooperation"
    table = evaluate_split(responses, human, nlp=blank_nlp, codes=[code], test_size=0.4,
                           random_state=0, estimator=_Memoriser())
    assert set(table["coder"]) == {"rules", "model", "combined", "human:B_vs_A"}
    split = table.attrs["split"]
    assert split["train"] + split["test"] == len(responses) and split["test"] == round(0.4 * len(responses))
    rows = table[table["code"] == code].set_index("coder")
    # the model only knows its training answers: on the test part it finds nothing
    assert rows.loc["model", "recall"] == 0 and rows.loc["model", "support"] > 0
    # the same split, recomputed: support and the human ceiling by hand (B misses answers 3 and 7)
    labels = human_labels(human, codes=[code])
    _, test_ids = split_human_coding(labels, test_size=0.4, random_state=0)
    positives = [rid for rid in test_ids if labels.loc[rid, code]]
    assert rows.loc["rules", "support"] == len(positives)
    missed = sum(rid in positives for rid in ("R03", "R07"))
    assert rows.loc["human:B_vs_A", "recall"] == pytest.approx((len(positives) - missed) / len(positives))
    # the rules find cooperation in these answers; the combination adds the model's (none here)
    assert rows.loc["rules", "recall"] > 0 and rows.loc["combined", "recall"] == rows.loc["rules", "recall"]
