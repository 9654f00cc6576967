"""The policy that turns machine scores into codes (coding/calibration.py), on hand-built scores:
the threshold, abstention, and the guarantee that the codes a machine adds keep the rules' precision."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transitions_analysis.coding import LearningCoder
from transitions_analysis.coding.calibration import calibrate, margins, precision_target
from transitions_analysis.coding.combine import suggestions_table


def test_threshold_is_the_lowest_score_whose_added_codes_reach_the_target():
    # sorted by score: hits 1,1,1,0,1,0 -> precision at each cut 1, 1, 1, .75, .8, .67
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    y = np.array([1, 1, 1, 0, 1, 0])
    cal = calibrate(scores, y, min_precision=0.5, solo_precision=0.8, min_hits=3, prior=0)
    assert cal.target == 0.8 and math.isnan(cal.baseline_precision)  # no rule code: the solo target
    assert cal.threshold == 0.5 and cal.accepted
    assert (cal.added, cal.added_hits) == (5, 4) and cal.added_precision == pytest.approx(0.8)
    # a stricter target stops earlier; fewer hits than asked: no threshold at all
    assert calibrate(scores, y, solo_precision=0.9, min_hits=3, prior=0).threshold == 0.7
    assert calibrate(scores, y, solo_precision=0.9, min_hits=4, prior=0).threshold == math.inf
    # by default the measured precision is shrunk towards 1/2 by one pseudo-count each way:
    # 4 right out of 5 counts as 5/7 (< .8), 3 out of 3 as 4/5; 3 out of 3 is not worth .85
    assert calibrate(scores, y, min_precision=0.5, solo_precision=0.8, min_hits=3).threshold == 0.7
    assert calibrate(scores, y, solo_precision=0.85, min_hits=3, prior=0).threshold == 0.7
    assert calibrate(scores, y, solo_precision=0.85, min_hits=3).threshold == math.inf


def test_units_the_rules_code_are_set_aside_and_their_precision_is_the_target():
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    y = np.array([1, 0, 1, 1, 1, 0, 1, 0])
    rules = np.array([1, 1, 0, 0, 0, 0, 0, 1])  # the rules code 3 units, 1 of them right: precision 1/3
    target, own = precision_target(y, rules, min_precision=0.5)
    assert own == pytest.approx(1 / 3) and target == 0.5  # never below the floor
    cal = calibrate(scores, y, rules, min_precision=0.5, min_hits=2)
    # outside the rules, by score: .8+ .7+ .6+ .5- .4+ -> the lowest cut at precision >= .5 keeps all five
    assert cal.threshold == 0.4 and (cal.added, cal.added_hits) == (5, 4)
    assert cal.ceiling == 0.8  # the highest score outside the rules
    precise_rules = np.array([1, 0, 0, 0, 0, 0, 0, 0])  # one right rule code: precision 1.0 to keep
    strict = calibrate(scores, y, precise_rules, min_hits=2)
    assert strict.target == 1.0 and strict.baseline_precision == 1.0
    assert strict.threshold == math.inf and not strict.accepted  # .9 is wrong: nothing reaches 1.0


def test_tied_scores_go_together():
    scores = np.array([0.9, 0.8, 0.8, 0.8, 0.1])
    y = np.array([1, 1, 0, 0, 0])
    # cutting inside the tie at .8 would count one .8 without the others: not allowed
    cal = calibrate(scores, y, solo_precision=0.6, min_hits=1)
    assert cal.threshold == 0.9 and cal.added == 1


def test_abstaining_coder_sends_its_scores_to_review_ordered_by_distance_to_its_ceiling():
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    y = np.array([0, 0, 1, 1, 0])
    cal = calibrate(scores, y, solo_precision=0.8, min_hits=1, review_recall=1.0)
    assert not cal.accepted and cal.reference == cal.ceiling == 0.9
    assert cal.review_threshold == 0.2  # keeps every positive (review_recall=1)
    m = margins(np.array([[0.9], [0.5], [0.2]]), [cal])[:, 0]
    assert m[0] == 0 and m[0] > m[1] > m[2]
    assert cal.as_dict()["threshold"] is None and cal.as_dict()["accepted"] is False


def test_review_threshold_never_above_the_threshold():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    y = np.array([1, 1, 1, 1])
    cal = calibrate(scores, y, min_hits=1, review_recall=0.25)
    assert cal.threshold == 0.6 and cal.review_threshold <= cal.threshold


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.booleans(), st.booleans()), min_size=1, max_size=60),
       st.floats(0.3, 0.95), st.integers(1, 4))
def test_the_union_never_costs_the_rules_precision_on_the_calibration_units(rows, floor, min_hits):
    scores = np.array([r[0] / 20 for r in rows])
    y = np.array([int(r[1]) for r in rows])
    rules = np.array([int(r[2]) for r in rows])
    cal = calibrate(scores, y, rules, min_precision=floor, solo_precision=floor, min_hits=min_hits)
    added = (rules == 0) & (scores >= cal.threshold)
    assert added.sum() == cal.added and (y[added] == 1).sum() == cal.added_hits
    if cal.accepted:
        assert cal.added_hits >= min_hits and cal.added_precision >= cal.target - 1e-9
        if rules.any():
            union = (rules == 1) | added
            assert y[union].mean() >= y[rules == 1].mean() - 1e-9
        # the lowest such threshold: one step lower breaks the target or the hits
        lower = scores[(rules == 0) & (scores < cal.threshold)]
        if len(lower):
            below = (rules == 0) & (scores >= lower.max())
            hits, n = (y[below] == 1).sum(), below.sum()
            assert hits / n < cal.target - 1e-12 or (hits + 1) / (n + 2) < cal.target - 1e-12 or hits < min_hits
    else:
        assert cal.added == 0 and cal.reference == cal.ceiling
    assert cal.review_threshold <= cal.threshold


def test_learning_coder_abstains_where_it_cannot_beat_perfect_rules():
    texts = ([f"coopérer ensemble avec la commune numéro {i}" for i in range(12)]
             + [f"le vélo et le train numéro {i}" for i in range(12)])
    labels = pd.DataFrame({"principle.cooperation": [1] * 12 + [0] * 12})
    perfect = labels.copy()  # the rules already find every positive, without error
    model = LearningCoder(cv=3, min_hits=2, random_state=0).fit(texts, labels, baseline=perfect)
    assert model.accepted_codes() == []  # nothing left to add: abstains
    assert model.calibration_["principle.cooperation"]["baseline_precision"] == 1.0
    blind = pd.DataFrame({"principle.cooperation": [0] * 24})  # rules that find nothing
    learnt = LearningCoder(cv=3, min_hits=2, random_state=0).fit(texts, labels, baseline=blind)
    assert learnt.accepted_codes() == ["principle.cooperation"]
    assert learnt.calibration_["principle.cooperation"]["added_precision"] >= 0.8  # the solo target
    assert (learnt.predict(["coopérer ensemble avec la commune numéro 99"]) == 1).all()


def test_review_queue_closest_to_becoming_a_code_first_and_without_settled_pairs():
    rows = {"segment_id": ["S1", "S2", "S3"], "response_id": ["R1", "R2", "R3"], "code": ["actor.elu"] * 3,
            "source": ["semantic"] * 3, "score": [0.5, 0.6, 0.7], "margin": [-2.0, -0.1, -1.0],
            "start": [0, 0, 0], "end": [3, 3, 3], "evidence": ["a", "b", "c"]}
    queue = suggestions_table(rows)
    assert queue["response_id"].tolist() == ["R2", "R3", "R1"]
    coded = pd.DataFrame({"response_id": ["R3"], "code": ["actor.elu"], "negated": [False]})
    assert suggestions_table(rows, coded=coded)["response_id"].tolist() == ["R2", "R1"]
