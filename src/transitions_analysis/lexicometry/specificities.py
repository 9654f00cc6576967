"""Lafon's specificities (hypergeometric model), as TXM and Iramuteq compute them.

Model (Lafon 1980): the corpus has ``T`` occurrences (all lemmas, all parts), the lemma has
``F`` occurrences in the corpus, the part has ``t`` occurrences, and ``f`` of the lemma's fall in
the part. Under the null hypothesis the lemma's occurrences are spread at random over the corpus,
so ``f`` follows the hypergeometric law

    P(X = k) = C(F, k) * C(T - F, t - k) / C(T, t),

whose mean is the expected frequency ``F * t / T``. The signed specificity score is the one of
TXM's R package *textometry* (``specificities``, ``specificities.probabilities``):

- if ``f >= F t / T`` (over-use, or exactly expected): ``score = -log10 P(X >= f)`` (>= 0);
- if ``f <  F t / T`` (under-use): ``score = +log10 P(X <= f)`` (< 0).

So +3 means « a frequency at least this high has a probability of 1/1000 » and -3 « at least this
low, 1/1000 ». A |score| of 2 (p = 0.01) is the usual reading threshold; TXM's
``specificities.banals`` calls lemmas under a threshold in every part « banal ».

Differences with TXM, stated: TXM sums ``dhyper`` terms in double precision and returns
+/-Inf when the tail probability underflows (below ~1e-308); here the tails come from
``scipy.stats.hypergeom`` (``sf``/``cdf``) and, when they underflow, from an exact log-space sum
of the tail's log-probabilities (``logsumexp`` of ``gammaln`` terms), so scores stay finite and
exact (e.g. 512.3 instead of Inf). ``cap`` clips |score| for display if wanted. TXM rounds to 4
decimals; scores are not rounded here. Checked in the tests against a hand computation and
against the published output of *textometry* on Lafon's (1980) Robespierre table.

References: Lafon P. (1980), « Sur la variabilité de la fréquence des formes dans un corpus »,
*Mots* 1, 127-165; textometry R package (S. Loiseau, L. Vaudor, M. Decorde, S. Heiden; the R
code TXM runs), ``R/specificities.R`` and its ``tests/specificities.Rout``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln, logsumexp

from .lemmas import lexical_table

log = logging.getLogger(__name__)

LN10 = np.log(10.0)
#: Columns of the tidy specificity table.
COLUMNS = ("lemma", "part", "frequency", "total_frequency", "part_size", "expected", "specificity")
#: Probabilities below this are recomputed in log space (sf/cdf lose relative precision there).
_TINY = 1e-280


def _log_pmf(k: np.ndarray, T: int, F: int, t: int) -> np.ndarray:
    """log P(X = k) for the hypergeometric law (population T, F successes, t draws)."""
    return (
        gammaln(F + 1) - gammaln(k + 1) - gammaln(F - k + 1)
        + gammaln(T - F + 1) - gammaln(t - k + 1) - gammaln(T - F - t + k + 1)
        - (gammaln(T + 1) - gammaln(t + 1) - gammaln(T - t + 1))
    )


def _log_tail(f: int, T: int, F: int, t: int, *, upper: bool) -> float:
    """Exact natural log of P(X >= f) (``upper``) or P(X <= f), summing the tail in log space."""
    lo, hi = max(0, t - (T - F)), min(F, t)
    ks = np.arange(f, hi + 1) if upper else np.arange(lo, f + 1)
    if ks.size == 0:
        return -np.inf
    return float(logsumexp(_log_pmf(ks.astype(float), T, F, t)))


def specificity_scores(f: np.ndarray, F: np.ndarray, t: np.ndarray, T: int) -> np.ndarray:
    """Signed Lafon scores for arrays of cell frequency ``f``, lemma total ``F``, part size ``t``.

    Broadcasts ``f``, ``F``, ``t``; ``T`` is the corpus size. Returns float scores (see module doc).
    """
    f, F, t = np.broadcast_arrays(np.asarray(f, dtype=np.int64), np.asarray(F, dtype=np.int64), np.asarray(t, dtype=np.int64))
    T = int(T)
    expected = F * t / T
    upper = f >= expected
    prob = np.where(
        upper,
        stats.hypergeom.sf(f - 1, T, F, t),  # P(X >= f) = P(X > f - 1)
        stats.hypergeom.cdf(f, T, F, t),  # P(X <= f)
    )
    prob = np.clip(prob, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        logp = np.log(prob)
    tiny = prob < _TINY
    for idx in zip(*np.nonzero(tiny)):
        logp[idx] = _log_tail(int(f[idx]), T, int(F[idx]), int(t[idx]), upper=bool(upper[idx]))
    score = np.where(upper, -logp, logp) / LN10
    return score + 0.0  # no negative zero


def specificities(
    table: pd.DataFrame,
    *,
    min_frequency: int = 1,
    cap: float | None = None,
    wide: bool = False,
) -> pd.DataFrame:
    """Specificities of every lemma in every part of a lemmas x parts table of counts.

    ``table``: non-negative integer counts, index = lemmas, columns = parts (the corpus is the
    whole table: every lemma and part that count, as in TXM; include an « others » row if the
    table holds only some lemmas). Lemmas with a total below ``min_frequency`` are dropped from
    the output (not from the margins). ``cap``: clip |score| to this value.
    Returns the tidy table (columns :data:`COLUMNS`, sorted by part then decreasing specificity),
    or with ``wide=True`` the lemmas x parts matrix of scores.
    """
    counts = table.to_numpy()
    if counts.size == 0:
        raise ValueError("table lexicale vide")
    if (counts < 0).any() or not np.allclose(counts, np.round(counts)):
        raise ValueError("la table lexicale doit contenir des effectifs entiers positifs")
    counts = np.round(counts).astype(np.int64)
    F = counts.sum(axis=1)
    t = counts.sum(axis=0)
    T = int(counts.sum())
    scores = specificity_scores(counts, F[:, None], t[None, :], T)
    if cap is not None:
        scores = np.clip(scores, -cap, cap)
    keep = F >= min_frequency
    if wide:
        return pd.DataFrame(scores[keep], index=table.index[keep], columns=table.columns)
    n_rows, n_cols = int(keep.sum()), counts.shape[1]
    tidy = pd.DataFrame(
        {
            "lemma": np.repeat(np.asarray(table.index[keep], dtype=object), n_cols),
            "part": np.tile(np.asarray(table.columns, dtype=object), n_rows),
            "frequency": counts[keep].ravel(),
            "total_frequency": np.repeat(F[keep], n_cols),
            "part_size": np.tile(t, n_rows),
            "expected": (F[keep, None] * t[None, :] / T).ravel(),
            "specificity": scores[keep].ravel(),
        }
    )
    part_order = {p: i for i, p in enumerate(table.columns)}
    tidy["_p"] = tidy["part"].map(part_order)
    tidy = tidy.sort_values(["_p", "specificity", "lemma"], ascending=[True, False, True], kind="mergesort")
    return tidy.drop(columns="_p").reset_index(drop=True)


def specificities_by(
    frame: pd.DataFrame,
    *,
    by: str,
    lemmas: str = "lemmas",
    min_frequency: int = 1,
    cap: float | None = None,
) -> pd.DataFrame:
    """Specificities of lemmas by attribute ``by`` from a long frame (one row per segment).

    ``frame`` holds a column ``lemmas`` (list of lemmas per segment, see
    :func:`~transitions_analysis.lexicometry.lemmas.lemmatise`) and the attribute ``by`` (role,
    session, territory, class...). All lemmas make the margins; lemmas with a total frequency below
    ``min_frequency`` are left out of the result. Returns the tidy table of :func:`specificities`.

    Multi-valued attributes (codes: a list or set of values per segment) do not partition the
    corpus, so each value is then compared with the rest of the corpus (a two-part table: the
    segments with that value, and all the others; TXM's sub-corpus specificities), and the rows of
    each value are stacked.
    """
    if by not in frame.columns:
        raise KeyError(f"colonne absente : {by!r}")
    multi = frame[by].map(lambda v: isinstance(v, (list, tuple, set, frozenset))).any()
    if not multi:
        table = lexical_table(frame, by=by, lemmas=lemmas)
        if table.empty:
            raise ValueError(f"aucun lemme à compter par « {by} »")
        out = specificities(table, min_frequency=min_frequency, cap=cap)
    else:
        values = frame[by].map(lambda v: set(v) if isinstance(v, (list, tuple, set, frozenset)) else ({v} if pd.notna(v) else set()))
        parts = []
        for value in sorted(set().union(*values), key=str):
            inside = values.map(lambda vs, value=value: value in vs)
            sub = frame[[lemmas]].assign(_part=np.where(inside, "_in", "_out"))
            table = lexical_table(sub, by="_part", lemmas=lemmas).reindex(columns=["_in", "_out"], fill_value=0)
            spec = specificities(table, min_frequency=min_frequency, cap=cap)
            parts.append(spec.loc[spec["part"] == "_in"].assign(part=value))
        if not parts:
            raise ValueError(f"aucune valeur de « {by} »")
        out = pd.concat(parts, ignore_index=True)
    out.attrs["by"] = by
    return out


def top_specificities(spec: pd.DataFrame, *, part: object, n: int = 10, threshold: float = 2.0) -> pd.DataFrame:
    """The ``n`` most over-represented and ``n`` most under-represented lemmas of ``part`` whose
    |specificity| reaches ``threshold``, from the tidy table; sorted by decreasing specificity."""
    sub = spec.loc[spec["part"] == part]
    if sub.empty:
        raise KeyError(f"partie inconnue : {part!r}")
    pos = sub.loc[sub["specificity"] >= threshold].nlargest(n, "specificity")
    neg = sub.loc[sub["specificity"] <= -threshold].nsmallest(n, "specificity")
    out = pd.concat([pos, neg]).sort_values(["specificity", "lemma"], ascending=[False, True], kind="mergesort")
    return out.reset_index(drop=True)
