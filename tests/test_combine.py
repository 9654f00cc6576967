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


def _suggestion(rid, code, margin, score=0.3, words="mot, autre"):
    return {"segment_id": f"{rid}-0-10", "response_id": rid, "code": code, "source": "semantic", "score": score,
            "margin": margin, "start": 0, "end": 3, "evidence": words}


def test_review_queue_holds_what_the_machine_did_not_decide_least_certain_first():
    combined = combine_codings(RULES, MODEL, HUMAN, human_seen={"R3"})
    suggestions = pd.DataFrame([_suggestion("R1", "actor.elu", -2.5), _suggestion("R2", "actor.etat", -0.4),
                                _suggestion("R3", "actor.elu", -0.1)])
    responses = pd.DataFrame({"response_id": ["R1", "R2", "R3"], "text": ["Un texte assez long ici"] * 3})
    table = review_table(combined, responses, suggestions=suggestions)
    assert "R3" not in set(table["response_id"])  # a human already decided
    # codes above their thresholds are codes, not questions: only the negated match and the suggestions
    assert list(zip(table["response_id"], table["code"])) == [
        ("R2", "principle.value"), ("R2", "actor.etat"), ("R1", "actor.elu")]
    assert list(table["certainty"]) == [0.0, -0.4, -2.5]  # |margin| ascending: the least certain first
    assert table.iloc[1]["evidence"] == "mot, autre" and table.iloc[1]["segment"] == "Un texte a"
    assert set(table["decision"]) == {""}


def test_review_queue_is_empty_without_doubt():
    assert review_table(combine_codings(RULES.iloc[[0, 1, 3]], MODEL)).empty
