"""Held-out evaluation of the machine coders against a human coding."""

from __future__ import annotations

import pandas as pd

from french_examples import COOPERATION, OFF_TOPIC

from transitions_analysis import schema
from transitions_analysis.evaluate import evaluate_split, response_labels, split_human_coding

COOP = COOPERATION
OTHER = OFF_TOPIC


def _data():
    texts = COOP + OTHER
    n = len(texts)
    responses = pd.DataFrame({
        "response_id": [f"R{i:02d}" for i in range(n)], "source_file": "f.csv", "source_row": range(2, 2 + n),
        "session": "", "territory": "", "respondent_id": [f"P{i}" for i in range(n)], "role": "agent",
        "role_raw": "", "question_id": "q1", "question": "Qu'avez-vous retenu ?", "text": texts,
    })[list(schema.RESPONSES)]
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


def test_evaluate_split_scores_every_coder(blank_nlp):
    responses, human = _data()
    table = evaluate_split(responses, human, nlp=blank_nlp, codes=["principle.cooperation"], test_size=0.4,
                           random_state=0, estimator=None)
    assert set(table["coder"]) == {"rules", "model", "combined", "human:B_vs_A"}
    split = table.attrs["split"]
    assert split["train"] + split["test"] == len(responses)
    rules = table[(table["coder"] == "rules") & (table["code"] == "principle.cooperation")].iloc[0]
    assert rules["support"] == table[(table["coder"] == "model") & (table["code"] == "principle.cooperation")]["support"].iloc[0]
    assert table["f1"].between(0, 1).all()
    # the combination can only add positives: its recall is at least each coder's
    recall = table[table["code"] == "principle.cooperation"].set_index("coder")["recall"]
    assert recall["combined"] >= max(recall["rules"], recall["model"])
