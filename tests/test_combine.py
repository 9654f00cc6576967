"""Combining machine and human codings; the review table of machine suggestions."""

from __future__ import annotations

import pandas as pd

from transitions_analysis.core import schema
from transitions_analysis.coding.combine import combine_codings, review_table


def _coding(rid, code, source, score, start=0, end=5, negated=False, seg=None):
    return {
        "segment_id": seg if seg is not None else f"{rid}-0-10", "response_id": rid, "code": code,
        "source": source, "score": score, "start": start, "end": end, "evidence": "texte",
        "negated": negated, "coder": {"rule": "rules", "model": "model"}.get(source, "ana"),
    }


RULES = pd.DataFrame([
    _coding("R1", "principle.value", "rule", 0.8),
    _coding("R2", "principle.cooperation", "rule", 1.0),
    _coding("R2", "principle.value", "rule", 0.8, negated=True),
    _coding("R3", "actor.etat", "rule", 1.0),
])[list(schema.CODINGS)]
MODEL = pd.DataFrame([
    _coding("R2", "principle.cooperation", "model", 0.91),
    _coding("R2", "principle.engagement", "model", 0.55),
    _coding("R3", "principle.systemic", "model", 0.62),
])[list(schema.CODINGS)]
HUMAN = pd.DataFrame([_coding("R3", "principle.systemic", "human", 1.0, seg="")])[list(schema.CODINGS)]


def test_human_seen_response_keeps_only_human_codings():
    combined = combine_codings(RULES, MODEL, HUMAN, human_seen={"R3"})
    r3 = combined[combined["response_id"] == "R3"]
    assert list(r3["source"]) == ["human"] and list(r3["code"]) == ["principle.systemic"]
    assert len(combined[combined["response_id"] == "R2"]) == 4  # untouched suggestions


def test_without_seen_set_only_the_same_code_is_replaced():
    combined = combine_codings(RULES, MODEL, HUMAN)
    r3 = combined[combined["response_id"] == "R3"].set_index("code")["source"].to_dict()
    assert r3 == {"actor.etat": "rule", "principle.systemic": "human"}


def test_review_table_least_certain_first_and_sources_merged():
    combined = combine_codings(RULES, MODEL, HUMAN, human_seen={"R3"})
    table = review_table(combined)
    assert "R3" not in set(table["response_id"])  # a human already decided
    assert list(table["certainty"]) == sorted(table["certainty"])
    row = table[(table["response_id"] == "R2") & (table["code"] == "principle.cooperation")].iloc[0]
    assert row["sources"] == "model+rule" and row["rule_score"] == 1.0 and row["model_score"] == 0.91
    assert row["certainty"] == 1.0  # both agree: the higher score
    negated = table[(table["response_id"] == "R2") & (table["code"] == "principle.value")].iloc[0]
    assert negated["certainty"] == round(0.8 * 0.5 - 0.25, 4)  # negated and rules alone
    assert table.iloc[0]["code"] == "principle.value"  # the least certain first
    assert set(table["decision"]) == {""}
