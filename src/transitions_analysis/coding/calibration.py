"""When a machine score becomes a code: per-code thresholds that never cost the rules' precision.

One policy for every machine coder (the learnt coder, the semantic coder), calibrated per code on
human-coded units (answers) with scores that are **out-of-fold** (each unit scored by a coder that
did not learn from its label):

- the units where the rules (the ``baseline``) already give the code are set aside: a machine
  code can only **add** to the rules, on the other units;
- the **target** is the baseline's own precision on the code, measured on the same units, and at
  least ``min_precision``; where the baseline never gives the code, ``solo_precision`` (and at
  least ``min_precision``);
- the **threshold** is the lowest score whose added codes (units outside the baseline scoring at
  or above it) reach the target precision with at least ``min_hits`` true positives, the
  precision being counted twice: as measured (``hits / added``) and shrunk towards one half by
  ``prior`` pseudo-counts (``(hits + prior) / (added + 2 * prior)``), so that 3 right out of 3
  does not pass for a precision of 1 (held-out, a few lucky top scores are the common way to
  lose precision). When no score does, the threshold is ``inf``: the coder **abstains** on the
  code and its scores only feed the review queue;
- the **review threshold** is the score above which ``review_recall`` of the positives outside the
  baseline lie (never above the threshold): the queue's floor;
- the **margin** of a score is its distance to where the coder starts coding, in standard
  deviations of the scores (the ``scale``): ``(score - threshold) / scale``, or, where it
  abstains, to the ``ceiling`` (the highest score outside the baseline on the calibration
  units). Comparable across codes and coders, it orders the review queue: the closest to
  becoming a code first.

On the calibration units, the union « baseline + added codes » then has a precision at least the
baseline's on every code (the added units are disjoint from the baseline's, with a precision at
least the baseline's). Held-out, it is measured (``scripts/evaluate_gold.py``). Chaining keeps
the guarantee: a second machine coder calibrated with the first one's codes in its baseline.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

#: Default floor of the precision a machine code must reach (a code more often right than wrong).
MIN_PRECISION = 0.5
#: Default precision target of a code the baseline (the rules) never gives on the calibration units.
SOLO_PRECISION = 0.8
#: Default fewest true positives among the added codes for a threshold to count.
MIN_HITS = 3
#: Default share of the positives outside the baseline that the review queue keeps.
REVIEW_RECALL = 0.8
#: Default pseudo-counts (one right, one wrong each) that shrink a measured precision towards 1/2.
PRIOR = 1.0


@dataclass(frozen=True)
class Calibration:
    """One code's calibration: ``threshold`` (``inf``: abstains), the precision ``target``, the
    baseline's own precision (``nan`` when it never gives the code), what the threshold adds on
    the calibration units (``added`` units, ``added_hits`` of them right), ``review_threshold``,
    ``ceiling`` (the highest score outside the baseline; ``-inf`` without any) and ``scale``."""

    threshold: float
    target: float
    baseline_precision: float
    added: int
    added_hits: int
    review_threshold: float
    ceiling: float
    scale: float

    @property
    def accepted(self) -> bool:
        """True when the coder gives the code itself (a finite threshold)."""
        return math.isfinite(self.threshold)

    @property
    def reference(self) -> float:
        """Where the coder starts coding: the threshold, or the ceiling where it abstains."""
        return self.threshold if self.accepted else self.ceiling

    @property
    def added_precision(self) -> float:
        """Precision of the added codes on the calibration units (``nan`` when it abstains)."""
        return self.added_hits / self.added if self.added else math.nan

    def as_dict(self) -> dict:
        """JSON-able (``inf``/``nan`` as None), rounded to 4 decimals: what run.json records."""
        out = {}
        for key, value in {**asdict(self), "accepted": self.accepted, "added_precision": self.added_precision}.items():
            if isinstance(value, float):
                value = round(value, 4) if math.isfinite(value) else None
            out[key] = value
        return out


def precision_target(y: np.ndarray, baseline: np.ndarray, *, min_precision: float = MIN_PRECISION,
                     solo_precision: float = SOLO_PRECISION) -> tuple[float, float]:
    """``(target, baseline precision)``: the baseline's precision on the code (``nan`` when it
    never gives it), the target being the larger of it and ``min_precision`` (of
    ``solo_precision`` and ``min_precision`` without a baseline code)."""
    given = np.asarray(baseline) == 1
    if not given.any():
        return max(float(min_precision), float(solo_precision)), math.nan
    own = float(np.asarray(y)[given].mean())
    return max(float(min_precision), own), own


def calibrate(
    scores: np.ndarray,
    y: np.ndarray,
    baseline: np.ndarray | None = None,
    *,
    min_precision: float = MIN_PRECISION,
    solo_precision: float = SOLO_PRECISION,
    min_hits: int = MIN_HITS,
    review_recall: float = REVIEW_RECALL,
    prior: float = PRIOR,
) -> Calibration:
    """The :class:`Calibration` of one code from out-of-fold ``scores``, the human labels ``y``
    (0/1) and the ``baseline`` (0/1: the rules give the code), all of one length (module doc)."""
    scores = np.asarray(scores, dtype=float)
    y = np.asarray(y, dtype=int)
    base = np.zeros_like(y) if baseline is None else np.asarray(baseline, dtype=int)
    if not (len(scores) == len(y) == len(base)):
        raise ValueError("scores, étiquettes et codes de référence de longueurs différentes")
    target, own = precision_target(y, base, min_precision=min_precision, solo_precision=solo_precision)
    free = base == 0
    s, t = scores[free], y[free]
    threshold, added, hits = math.inf, 0, 0
    if t.any():
        order = np.argsort(-s, kind="stable")
        s_sorted, t_sorted = s[order], t[order]
        cum_hits = np.cumsum(t_sorted)
        n = np.arange(1, len(s_sorted) + 1)
        last_of_tie = np.append(s_sorted[1:] != s_sorted[:-1], True)  # a threshold keeps every equal score
        shrunk = (cum_hits + prior) / (n + 2 * prior)
        ok = (last_of_tie & (cum_hits >= min_hits) & (cum_hits >= (target - 1e-12) * n)
              & (shrunk >= target - 1e-12))
        if ok.any():
            i = int(np.flatnonzero(ok)[-1])
            threshold, added, hits = float(s_sorted[i]), int(n[i]), int(cum_hits[i])
    review = _review_threshold(s, t, review_recall, threshold)
    ceiling = float(s.max()) if len(s) else -math.inf
    spread = float(np.std(scores)) if len(scores) > 1 else 0.0
    return Calibration(threshold, target, own, added, hits, review, ceiling, spread if spread > 1e-6 else 1.0)


def _review_threshold(scores: np.ndarray, y: np.ndarray, recall: float, accept: float) -> float:
    """The score above which ``recall`` of the positives lie (the 99th percentile of the scores
    when there is no positive); never above the accept threshold."""
    pos = np.sort(scores[y == 1])
    if len(pos):
        value = float(pos[int(math.floor((1.0 - recall) * len(pos)))])
    else:
        value = float(np.percentile(scores, 99)) if len(scores) else 0.0
    return min(value, accept)


def margins(scores: np.ndarray, calibrations: list[Calibration]) -> np.ndarray:
    """``(score - reference) / scale`` per code (columns of ``scores`` in ``calibrations`` order):
    the review queue's order, the largest (closest to becoming a code) first."""
    ref = np.array([c.reference for c in calibrations])
    scale = np.array([c.scale for c in calibrations])
    return (np.asarray(scores, dtype=float) - ref) / scale
