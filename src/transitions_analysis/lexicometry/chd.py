"""Reinert's descending hierarchical classification (CHD) of segments, as rainette documents it.

What is implemented (Reinert 1983, 1990; rainette's vignette « Algorithms description » and its
``rainette()``/``rainette2()`` documentation, J. Barnier; no rainette code is reused):

**Units.** The input is a segments x lemmas matrix, turned into presence/absence (binary).
With ``min_segment_size`` > 0, consecutive segments of the same source (``segment_groups``, e.g.
one respondent's answer split in segments) are merged until each unit has at least that many
distinct lemmas; a short tail is merged with the previous unit of the same source (rainette's
``merge_segments`` rule). Units never cross sources. :func:`group_segments` returns that mapping.

**One split** of a group of units (rows) on its selected lemmas (columns):

1. rows and columns without any presence are set aside (such rows become unclassified, 0);
2. units are ordered by their coordinate on the first axis of the correspondence analysis of the
   group's table (first singular vector of the standardised residuals
   ``D_r^-1/2 (P - r c') D_c^-1/2``, computed by ARPACK ``svds`` on a sparse linear operator,
   with a fixed start vector from ``random_state``; sign fixed so that the largest |coordinate|
   is positive: deterministic);
3. every cut of that order into [first i units] vs [the rest] is scored by the chi-square of the
   2 x lemmas table of summed presences; the cut with the largest chi-square is kept;
4. units are then moved one at a time to the other group while the best single move raises the
   chi-square (the move with the largest gain first), until no move raises it;
5. lemma selection for the two children: a lemma is kept in a child if it has at least ``tsj``
   presences there and, when its contingency coefficient ``sqrt(chi2 / (chi2 + n))`` between the
   two children exceeds ``cc_test``, only in the child where it is over-represented.

The chi-square of a 2 x p table with rows ``a`` and ``s - a`` is computed in closed form,
``n^2 / (n1 n2) * (sum_j a_j^2 / s_j - n1^2 / n)``, and updated incrementally, so a split costs a
few sparse products (no dense matrix): 62,655 answers are classified in seconds.

**Hierarchy.** Starting from the whole corpus, the largest group (in units) is split, ``k - 1``
times. A group smaller than ``min_split_members`` stops the process (it is the largest); a group
whose table has fewer than 3 rows or 3 columns is left unsplit and the next largest is tried
(rainette stops there). Optional, not in rainette: with ``min_class_size`` > 0 a division that
would create a child smaller than that is not counted as a division: the small child is set aside
(unclassified) and its sibling replaces the group, which stays in the queue (at most 10 k such
steps). Classes are numbered 1..k in dendrogram order (a split replaces its parent
by its two children at the same position), as rainette does; ``levels[m]`` gives the partition in
``m`` classes for every m, which the double classification uses. 0 = unclassified.

**Double classification** (:func:`double_classification`, rainette2 « classical », i.e.
``full = FALSE``, the variant closest to Reinert): every class of the first classification (at
every level) is crossed with every class of the second; a crossed class keeps the segments in
both; it is retained if it has more than ``min_members`` segments, if the chi-square (2 x 2,
with Yates' correction as R's ``chisq.test``, signed) of the two classes' association exceeds
``min_chi2``, and if the two classes are each other's most associated class. Crossed classes with
identical members (a class unchanged from one level to the next) count once, under their most
associated pair (rainette keeps the first pair met, level by level, which can drop a class that
both classifications agree on before the « mutual » test). For every k the partition into k
disjoint crossed classes with the largest sum of chi-squares (then the largest size) is found
exhaustively. Segments outside the chosen crossed classes are unclassified (0), as in rainette;
no k-nearest-neighbour completion and no k-means-type reassignment (Reinert's own last step) are
done. rainette's ``full = TRUE`` search is not implemented. Unclassified segments do not enter
the crossing (rainette crosses them as an « NA » class).

**Short answers.** The method assumes segments of comparable, sufficient length. Very short
answers (two or three lemmas) share few lemmas, the first axis then opposes a small group of
near-identical answers to everything else, and the corpus tends to collapse into one large class
plus small satellites. The method's own remedy is the unit merging above, within one source
(``segment_groups`` = respondent, or respondent and question). It must not use the attribute the
classes are later compared with: merging answers of the same question makes every unit pure in
its question. When answers have no source to merge within (a one-question form, the Grand Débat
files), nothing can be merged; ``min_class_size`` (e.g. 1 % of the units) then keeps the small
satellites (« voir réponse précédente », copied answers) from using up the k - 1 divisions, at the
price of leaving them unclassified. See ``benchmarks/bench_lexicometry.py`` for the measured
effects on the Grand Débat.

**Class description.** :func:`characteristic_lemmas`: for each class and lemma, the 2 x 2 table
(segments of the class / of the other classified segments) x (with / without the lemma), its
Pearson chi-square (no continuity correction), signed + for over-representation, with the
frequencies Iramuteq shows. :func:`typical_segments`: segments of a class ranked by the sum of the
positive chi-squares of the class's lemmas they contain (Iramuteq's ranking of a class's
« segments de texte caractéristiques »; long segments are favoured, as there). :func:`crosstab_classes`: classes x any attribute (role, code...),
with expected counts, Pearson residuals and the chi-square test.

References: Reinert M. (1983), « Une méthode de classification descendante hiérarchique :
application à l'analyse lexicale par contexte », *Cahiers de l'analyse des données* 8(2);
Reinert M. (1990), « Alceste... », *Bulletin de méthodologie sociologique* 26; Barnier J.,
rainette (R package), vignettes « Algorithms description » and « Introduction to rainette »;
Ratinaud P., Iramuteq.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.linalg import ArpackError, LinearOperator, svds

from .lemmas import DocumentTermMatrix

_DENSE_CELLS = 1_000_000  # up to this many cells, the first axis comes from a dense SVD

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Units: merging short consecutive segments of one source
# ---------------------------------------------------------------------------------------------


def group_segments(sizes: Sequence[int], groups: Sequence[Any] | None, *, min_size: int) -> np.ndarray:
    """Unit index (0, 1, 2... in order) of each segment after merging short segments.

    ``sizes``: number of distinct lemmas of each segment; ``groups``: source of each segment
    (consecutive rows of one source are merged, never across sources; ``None``: each segment is
    its own source, so nothing is merged). A unit grows with the following segments of its source
    until it has ``min_size`` lemmas (sum of sizes); an incomplete last unit of a source is
    merged into the previous unit of that source, if any. ``min_size`` <= 1: one unit per segment.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    n = sizes.size
    if min_size <= 1 or groups is None or n == 0:
        return np.arange(n, dtype=np.int64)
    keys = pd.Series(list(groups)) if not isinstance(groups, pd.Series) else groups.reset_index(drop=True)
    if len(keys) != n:
        raise ValueError("segment_groups doit avoir une valeur par segment")
    codes = pd.factorize(keys, use_na_sentinel=False)[0]
    unit = np.empty(n, dtype=np.int64)
    next_unit = 0
    i = 0
    while i < n:
        start, total = i, int(sizes[i])
        unit[i] = next_unit
        while total < min_size and i + 1 < n and codes[i + 1] == codes[start]:
            i += 1
            total += int(sizes[i])
            unit[i] = next_unit
        if total < min_size and next_unit > 0 and start > 0 and codes[start - 1] == codes[start]:
            unit[start : i + 1] = next_unit - 1  # short tail: back into the previous unit
        else:
            next_unit += 1
        i += 1
    return unit


def _units_matrix(matrix: sparse.csr_matrix, unit: np.ndarray) -> sparse.csr_matrix:
    n_units = int(unit.max()) + 1 if unit.size else 0
    g = sparse.csr_matrix((np.ones(unit.size), (unit, np.arange(unit.size))), shape=(n_units, unit.size))
    out = (g @ matrix).tocsr()
    out.data[:] = 1
    out.eliminate_zeros()
    return out.astype(np.float64)


# ---------------------------------------------------------------------------------------------
# One split
# ---------------------------------------------------------------------------------------------


def _chi2_from_q(q: np.ndarray, n1: np.ndarray, n: float) -> np.ndarray:
    """Chi-square of the 2 x p table with rows a, s - a, given q = sum a_j^2 / s_j and n1 = sum a."""
    n2 = n - n1
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = n * n / (n1 * n2) * (q - n1 * n1 / n)
    return np.where((n1 > 0) & (n2 > 0), chi2, -np.inf)


def table_chi2(a: np.ndarray, s: np.ndarray) -> float:
    """Chi-square of the 2 x p table of rows ``a`` and ``s - a`` (``s`` > 0 everywhere)."""
    a = np.asarray(a, dtype=float)
    s = np.asarray(s, dtype=float)
    return float(_chi2_from_q(np.array([np.sum(a * a / s)]), np.array([a.sum()]), s.sum())[0])


def first_axis(x: sparse.csr_matrix, *, random_state: int | None = 0) -> np.ndarray:
    """Row coordinates on the first axis of the correspondence analysis of ``x`` (no empty row
    or column). Sparse: ARPACK on the standardised residuals as a linear operator."""
    x = x.tocsr().astype(np.float64)
    total = x.sum()
    r = np.asarray(x.sum(axis=1)).ravel() / total
    c = np.asarray(x.sum(axis=0)).ravel() / total
    sr, sc = np.sqrt(r), np.sqrt(c)
    p = (x / total).tocsr()
    pt = p.T.tocsr()

    # np.sum(a * b) rather than a BLAS dot: a threaded BLAS dot of a long vector is slow on a busy machine
    def matvec(v):
        v = np.asarray(v).ravel()
        return (p @ (v / sc)) / sr - sr * np.sum(sc * v)

    def rmatvec(u):
        u = np.asarray(u).ravel()
        return (pt @ (u / sr)) / sc - sc * np.sum(sr * u)

    op = LinearOperator(x.shape, matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    if x.shape[0] * x.shape[1] <= _DENSE_CELLS or min(x.shape) <= 2:
        # small table: a dense SVD is exact, fast, and has no starting-vector failure
        dense = op @ np.eye(x.shape[1])
        u, sv, _ = np.linalg.svd(dense, full_matrices=False)
    else:
        rng = np.random.default_rng(random_state)
        v0 = rng.standard_normal(min(x.shape))
        try:
            u, sv, _ = svds(op, k=1, v0=v0, random_state=random_state, solver="arpack")
        except ArpackError as exc:  # e.g. residuals all zero: every row has the same profile
            raise NoAxis(str(exc)) from exc
    if sv.size == 0 or float(np.max(sv)) <= 1e-12:
        raise NoAxis("profils identiques : pas d'axe")
    u1 = u[:, int(np.argmax(sv))]
    coord = u1 / sr
    if coord[int(np.argmax(np.abs(coord)))] < 0:  # deterministic sign: largest |coordinate| > 0
        coord = -coord
    return coord


class NoAxis(ValueError):
    """The table has no first axis: every row has the same profile (nothing to split)."""


@dataclass
class _SplitResult:
    left: np.ndarray  # positions (in the group's row list) of the first child
    right: np.ndarray
    dropped: np.ndarray  # positions of rows without any presence
    cols_left: np.ndarray  # global column ids kept for each child
    cols_right: np.ndarray
    chi2: float
    n_switched: int


def _split(x: sparse.csr_matrix, cols: np.ndarray, *, cc_test: float, tsj: int, random_state: int | None,
           max_switches: int | None) -> _SplitResult | None:
    """Split the rows of ``x`` (the group's units x its columns ``cols``) in two; None if too small."""
    row_n = np.asarray(x.sum(axis=1)).ravel()
    keep_rows = np.flatnonzero(row_n > 0)
    dropped = np.flatnonzero(row_n == 0)
    xs = x[keep_rows]
    col_n = np.asarray(xs.sum(axis=0)).ravel()
    keep_cols = np.flatnonzero(col_n > 0)
    if keep_rows.size < 3 or keep_cols.size < 3:
        return None
    xs = xs[:, keep_cols].tocsr()
    s = col_n[keep_cols].astype(float)
    n = float(s.sum())
    m = row_n[keep_rows].astype(float)
    n_rows = keep_rows.size

    # 1. order by the first CA axis, 2. best cut (incremental chi-square)
    try:
        coord = first_axis(xs, random_state=random_state)
    except NoAxis:
        return None
    order = np.argsort(coord, kind="stable")
    xo = xs[order].tocsr()
    xo.sort_indices()
    cols_nz = xo.indices
    rows_nz = np.repeat(np.arange(n_rows), np.diff(xo.indptr))
    perm = np.argsort(cols_nz, kind="stable")  # row order kept within each column
    sorted_cols = cols_nz[perm]
    rank = np.empty(cols_nz.size, dtype=np.float64)
    rank[perm] = np.arange(cols_nz.size) - np.searchsorted(sorted_cols, sorted_cols, side="left")
    dq = np.bincount(rows_nz, weights=(2.0 * rank + 1.0) / s[cols_nz], minlength=n_rows)
    chi2_cut = _chi2_from_q(np.cumsum(dq), np.cumsum(m[order]), n)
    cut = int(np.argmax(chi2_cut[:-1]))
    in_left = np.zeros(n_rows, dtype=bool)
    in_left[order[: cut + 1]] = True
    chi2 = float(chi2_cut[cut])

    # 3. move single units while the chi-square rises
    a = np.asarray(xs[in_left].sum(axis=0)).ravel().astype(float)
    q = float(np.sum(a * a / s))
    n1 = float(m[in_left].sum())
    inv_s = 1.0 / s
    x_inv_s = xs @ inv_s
    xcsr = xs.tocsr()
    xcsc = xs.tocsc()
    x_a = xs @ (a * inv_s)  # for each unit: sum of a_j / s_j over its lemmas, kept up to date
    sign = np.where(in_left, -1.0, 1.0)  # leaving the left child: a_j - 1; joining it: a_j + 1
    n_switched = 0
    limit = max_switches if max_switches is not None else 10 * n_rows
    while n_switched < limit:
        q_new = q + sign * 2.0 * x_a + x_inv_s
        n1_new = n1 + sign * m
        cand = _chi2_from_q(q_new, n1_new, n)
        best = int(np.argmax(cand))
        if not cand[best] > chi2 * (1.0 + 1e-12) + 1e-12:
            break
        idx = xcsr.indices[xcsr.indptr[best] : xcsr.indptr[best + 1]]
        a[idx] += sign[best]
        starts, ends = xcsc.indptr[idx], xcsc.indptr[idx + 1]
        rows = np.concatenate([xcsc.indices[b:e] for b, e in zip(starts, ends)])
        np.add.at(x_a, rows, np.repeat(sign[best] * inv_s[idx], ends - starts))
        q, n1, chi2 = float(q_new[best]), float(n1_new[best]), float(cand[best])
        in_left[best] = not in_left[best]
        sign[best] = -sign[best]
        n_switched += 1
    if n_switched >= limit:
        log.warning("classification : arrêt des réaffectations après %d déplacements", n_switched)

    # 4. lemma selection for each child
    b = s - a
    n1 = a.sum()
    n2 = b.sum()
    e1 = s * n1 / n
    e2 = s * n2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2_j = np.where(e1 > 0, (a - e1) ** 2 / e1, 0.0) + np.where(e2 > 0, (b - e2) ** 2 / e2, 0.0)
    cc = np.sqrt(chi2_j / (chi2_j + s))
    keep1 = (a >= tsj) & ((cc <= cc_test) | (a > e1))
    keep2 = (b >= tsj) & ((cc <= cc_test) | (b > e2))
    return _SplitResult(
        left=keep_rows[in_left],
        right=keep_rows[~in_left],
        dropped=dropped,
        cols_left=cols[keep_cols[keep1]],
        cols_right=cols[keep_cols[keep2]],
        chi2=chi2,
        n_switched=n_switched,
    )


# ---------------------------------------------------------------------------------------------
# Hierarchy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """One division of the hierarchy: ``parent`` node into ``children`` (node ids; root = 0)."""

    parent: int
    children: tuple[int, int]
    chi2: float
    sizes: tuple[int, int]  # units in each child
    n_unclassified: int  # units without lemma set aside at this split
    n_switched: int  # units moved by the reassignment step


@dataclass
class ReinertResult:
    """Result of :func:`reinert_classes`.

    ``classes``: class of each input segment (1..k, 0 = unclassified); ``levels``: {m: classes
    of each segment in the partition into m classes} for m = 1..k; ``units``: unit index of each
    segment (segments merged by ``min_segment_size``); ``unit_classes``: class of each unit;
    ``splits``: the divisions in order; ``leaves``: node id of each class (class i = leaves[i-1]);
    ``terms``: the lemmas (columns), when known; ``params``: the options used; ``set_aside``:
    (units, chi-square) of each small group set aside by ``min_class_size``.
    """

    classes: np.ndarray
    levels: dict[int, np.ndarray]
    units: np.ndarray
    unit_classes: np.ndarray
    splits: list[Split]
    leaves: list[int]
    terms: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)
    set_aside: list[tuple[int, float]] = field(default_factory=list)

    @property
    def k(self) -> int:
        """Number of classes obtained (may be lower than asked)."""
        return len(self.leaves)

    def classes_at(self, k: int) -> np.ndarray:
        """Class of each segment in the partition into ``k`` classes (1 <= k <= self.k)."""
        if k not in self.levels:
            raise ValueError(f"k doit être entre 1 et {self.k}")
        return self.levels[k]

    def sizes(self, k: int | None = None) -> pd.Series:
        """Number of segments per class (0 = unclassified) at level ``k`` (default: last)."""
        cl = self.classes if k is None else self.classes_at(k)
        return pd.Series(cl).value_counts().sort_index().rename("segments")


def _as_matrix(dtm: Any) -> tuple[sparse.csr_matrix, np.ndarray | None]:
    if isinstance(dtm, DocumentTermMatrix):
        return dtm.matrix.tocsr(), dtm.terms
    if sparse.issparse(dtm):
        return sparse.csr_matrix(dtm), None
    return sparse.csr_matrix(np.asarray(dtm)), None


def reinert_classes(
    dtm: Any,
    *,
    k: int = 10,
    min_segment_size: int = 0,
    segment_groups: Sequence[Any] | None = None,
    min_split_members: int = 5,
    cc_test: float = 0.3,
    tsj: int = 3,
    max_switches: int | None = None,
    min_class_size: int = 0,
    random_state: int | None = 0,
) -> ReinertResult:
    """Reinert's descending hierarchical classification of the rows of ``dtm`` into ``k`` classes.

    ``dtm``: segments x lemmas (scipy.sparse, array or :class:`DocumentTermMatrix`), made binary.
    ``min_segment_size`` / ``segment_groups``: merge consecutive segments of the same source into
    units of at least that many lemmas (see :func:`group_segments`). ``min_split_members``: groups
    smaller than this are not split (minimum 3). ``cc_test``, ``tsj``: lemma selection after each
    split (rainette's defaults 0.3 and 3). ``max_switches``: cap on the reassignment moves per split
    (default 10 x the group's units). ``min_class_size`` (0 = rainette's behaviour): a division
    that would create a class of fewer units is not counted; that small group is set aside as
    unclassified and the rest of the group goes on (see the module doc, « Short answers »).
    ``random_state``: start vector of the CA's ARPACK solver.
    Returns a :class:`ReinertResult` (segments' classes, levels, splits).
    """
    if k < 1:
        raise ValueError("k doit être >= 1")
    min_split_members = max(3, int(min_split_members))
    mat, terms = _as_matrix(dtm)
    mat = mat.astype(bool).astype(np.float64).tocsr()
    n_segments = mat.shape[0]
    sizes = np.asarray(mat.sum(axis=1)).ravel().astype(np.int64)
    unit = group_segments(sizes, segment_groups, min_size=min_segment_size)
    umat = _units_matrix(mat, unit) if min_segment_size > 1 and segment_groups is not None else mat
    n_units = umat.shape[0]
    log.info("classification de Reinert : %d segments, %d unités, %d lemmes, k=%d", n_segments, n_units, mat.shape[1], k)

    # node state: rows (unit ids), cols (term ids)
    node_rows: dict[int, np.ndarray] = {0: np.arange(n_units)}
    node_cols: dict[int, np.ndarray] = {0: np.arange(umat.shape[1])}
    leaves = [0]
    unsplittable: set[int] = set()
    unit_unclassified = np.zeros(n_units, dtype=bool)
    unit_unclassified[np.asarray(umat.sum(axis=1)).ravel() == 0] = True
    splits: list[Split] = []
    set_aside: list[tuple[int, float]] = []
    max_set_aside = 10 * k
    unit_levels: dict[int, np.ndarray] = {}

    def labels() -> np.ndarray:
        lab = np.zeros(n_units, dtype=np.int64)
        for pos, node in enumerate(leaves, start=1):
            lab[node_rows[node]] = pos
        lab[unit_unclassified] = 0
        return lab

    unit_levels[1] = labels()
    next_node = 1
    while len(leaves) < k:
        candidates = [nd for nd in leaves if nd not in unsplittable]
        if not candidates:
            log.info("classification : plus aucune classe divisible, arrêt à %d classes", len(leaves))
            break
        biggest = max(candidates, key=lambda nd: (node_rows[nd].size, -leaves.index(nd)))
        rows = node_rows[biggest]
        if rows.size < min_split_members:
            log.info("classification : plus de classe d'au moins %d unités, arrêt à %d classes", min_split_members, len(leaves))
            break
        cols = node_cols[biggest]
        res = _split(umat[rows][:, cols].tocsr(), cols, cc_test=cc_test, tsj=tsj, random_state=random_state,
                     max_switches=max_switches)
        if res is None:
            unsplittable.add(biggest)
            continue
        unit_unclassified[rows[res.dropped]] = True
        small = [idx for idx in (res.left, res.right) if idx.size < min_class_size]
        if small:
            if len(small) == 2:
                unsplittable.add(biggest)
                continue
            # set the small child aside (unclassified); the group goes on as the large child
            big_left = res.left.size >= min_class_size
            unit_unclassified[rows[small[0]]] = True
            node_rows[biggest] = rows[res.left if big_left else res.right]
            node_cols[biggest] = res.cols_left if big_left else res.cols_right
            set_aside.append((int(small[0].size), float(res.chi2)))
            if len(set_aside) > max_set_aside:
                log.info("classification : %d petits groupes écartés, arrêt à %d classes", len(set_aside), len(leaves))
                break
            continue
        left, right = next_node, next_node + 1
        next_node += 2
        node_rows[left], node_rows[right] = rows[res.left], rows[res.right]
        node_cols[left], node_cols[right] = res.cols_left, res.cols_right
        pos = leaves.index(biggest)
        leaves[pos : pos + 1] = [left, right]
        splits.append(
            Split(parent=biggest, children=(left, right), chi2=res.chi2, sizes=(res.left.size, res.right.size),
                  n_unclassified=int(res.dropped.size), n_switched=res.n_switched)
        )
        unit_levels[len(leaves)] = labels()
        log.debug("division %d : chi2=%.1f, %d / %d unités, %d déplacées", len(splits), res.chi2, res.left.size,
                  res.right.size, res.n_switched)

    unit_classes = unit_levels[len(leaves)]
    levels = {m: lab[unit] for m, lab in unit_levels.items()}
    params = {"k": k, "min_segment_size": min_segment_size, "min_split_members": min_split_members,
              "cc_test": cc_test, "tsj": tsj, "max_switches": max_switches, "min_class_size": min_class_size,
              "random_state": random_state}
    return ReinertResult(
        classes=levels[len(leaves)], levels=levels, units=unit, unit_classes=unit_classes, splits=splits,
        leaves=list(leaves), terms=terms, params=params, set_aside=set_aside,
    )


# ---------------------------------------------------------------------------------------------
# Double classification (rainette2, « classical »)
# ---------------------------------------------------------------------------------------------


def _yates_chi2(n_both: np.ndarray, n1: np.ndarray, n2: np.ndarray, n: int) -> np.ndarray:
    """Signed chi-square of the 2 x 2 table of membership in two classes, with Yates' correction
    as R's chisq.test (correction = min(0.5, |O - E|)); negative when under-associated."""
    a = n_both.astype(float)
    n1 = n1.astype(float)
    n2 = n2.astype(float)
    obs = np.stack([a, n1 - a, n2 - a, n - n1 - n2 + a])
    row = np.stack([n1, n1, n - n1, n - n1])
    col = np.stack([n2, n - n2, n2, n - n2])
    exp = row * col / n
    yates = np.minimum(0.5, np.abs(a - exp[0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = np.sum((np.abs(obs - exp) - yates) ** 2 / exp, axis=0)
    chi2 = np.nan_to_num(chi2, nan=0.0, posinf=0.0)
    return np.where(exp[0] > a, -chi2, chi2)


@dataclass
class DoubleResult:
    """Result of :func:`double_classification`.

    ``crossed``: the retained crossed classes (``level1``, ``class1``, ``level2``, ``class2``,
    ``n`` segments, ``chi2``); ``partitions``: for each k, the best partition (``k``,
    ``crossed`` = row numbers in ``crossed``, ``chi2`` sum, ``n`` classified segments);
    ``memberships``: {k: class of each segment (1..k, 0 = unclassified)}.
    """

    crossed: pd.DataFrame
    partitions: pd.DataFrame
    memberships: dict[int, np.ndarray]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def max_k(self) -> int:
        return max(self.memberships) if self.memberships else 0

    def classes(self, k: int | None = None) -> np.ndarray:
        """Class of each segment in the best partition into ``k`` crossed classes (default: max)."""
        k = self.max_k if k is None else k
        if k not in self.memberships:
            raise ValueError(f"pas de partition en {k} classes (disponibles : {sorted(self.memberships)})")
        return self.memberships[k]


def _cluster_indicator(levels: dict[int, np.ndarray], min_level: int = 2) -> tuple[sparse.csc_matrix, list[tuple[int, int]]]:
    cols, labels = [], []
    for m in sorted(levels):
        if m < min_level:
            continue
        cl = levels[m]
        for c in range(1, m + 1):
            cols.append(np.flatnonzero(cl == c))
            labels.append((m, c))
    n = next(iter(levels.values())).size
    indptr = np.cumsum([0] + [len(c) for c in cols])
    data = np.ones(indptr[-1])
    ind = sparse.csc_matrix((data, np.concatenate(cols) if cols else np.array([], int), indptr), shape=(n, len(cols)))
    return ind, labels


def double_classification(
    first: ReinertResult,
    second: ReinertResult,
    *,
    max_k: int = 5,
    min_members: int = 10,
    min_chi2: float = 3.84,
    max_candidates: int = 60,
) -> DoubleResult:
    """Cross two classifications of the same segments (rainette2, classical variant).

    ``first``/``second``: two :class:`ReinertResult` on the same segments (usually computed with
    two ``min_segment_size``). Crossed classes need more than ``min_members`` segments and a
    signed association chi-square above ``min_chi2``. Partitions of 2..``max_k`` crossed classes
    are searched exhaustively (at most ``max_candidates`` crossed classes). See the module doc.
    """
    n = first.classes.size
    if second.classes.size != n:
        raise ValueError("les deux classifications doivent porter sur les mêmes segments")
    max_k = min(max_k, first.k, second.k)
    ind1, lab1 = _cluster_indicator(first.levels)
    ind2, lab2 = _cluster_indicator(second.levels)
    both = (ind1.T @ ind2).toarray()
    n1 = np.asarray(ind1.sum(axis=0)).ravel()
    n2 = np.asarray(ind2.sum(axis=0)).ravel()
    i1, i2 = np.nonzero(both > min_members)
    chi2 = _yates_chi2(both[i1, i2], n1[i1], n2[i2], n)
    ok = chi2 > min_chi2
    i1, i2, chi2 = i1[ok], i2[ok], chi2[ok]
    # order of rainette: level1, level2, class1, class2
    key = np.lexsort(([lab2[j][1] for j in i2], [lab1[j][1] for j in i1], [lab2[j][0] for j in i2], [lab1[j][0] for j in i1]))
    i1, i2, chi2 = i1[key], i2[key], chi2[key]
    # identical member sets are one crossed class: keep its most associated pair (first on ties)
    kept: dict[bytes, int] = {}
    all_members, all_rows = [], []
    for a, b, c in zip(i1, i2, chi2):
        mem = np.intersect1d(ind1[:, a].indices, ind2[:, b].indices, assume_unique=True)
        sig = mem.tobytes()
        row = (lab1[a][0], lab1[a][1], lab2[b][0], lab2[b][1], mem.size, float(c))
        if sig in kept:
            if c > all_rows[kept[sig]][5]:
                all_rows[kept[sig]] = row
            continue
        kept[sig] = len(all_rows)
        all_members.append(mem)
        all_rows.append(row)
    members, rows = all_members, all_rows
    crossed = pd.DataFrame(rows, columns=["level1", "class1", "level2", "class2", "n", "chi2"])
    if len(crossed):
        g1 = crossed["level1"].astype(str) + "." + crossed["class1"].astype(str)
        g2 = crossed["level2"].astype(str) + "." + crossed["class2"].astype(str)
        best_for_g1 = crossed.groupby(g1, sort=False)["chi2"].transform(lambda s: s.index[np.argmax(s.to_numpy())])
        best_for_g2 = crossed.groupby(g2, sort=False)["chi2"].transform(lambda s: s.index[np.argmax(s.to_numpy())])
        mutual = (best_for_g1 == crossed.index) & (best_for_g2 == crossed.index)
        keep = np.flatnonzero(mutual.to_numpy())
        crossed = crossed.iloc[keep].reset_index(drop=True)
        members = [members[i] for i in keep]
    if len(crossed) > max_candidates:
        raise ValueError(f"{len(crossed)} classes croisées : recherche exhaustive trop longue (max_candidates={max_candidates})")
    m = len(crossed)
    disjoint = np.ones((m, m), dtype=bool)
    for i in range(m):
        for j in range(i + 1, m):
            disjoint[i, j] = disjoint[j, i] = np.intersect1d(members[i], members[j], assume_unique=True).size == 0
    chi2s = crossed["chi2"].to_numpy() if m else np.array([])
    sizes = crossed["n"].to_numpy() if m else np.array([])
    best: dict[int, tuple[float, int, tuple[int, ...]]] = {}

    def dfs(chosen: list[int], start: int, allowed: np.ndarray, sc: float, sz: int) -> None:
        kk = len(chosen)
        if kk >= 2:
            cur = best.get(kk)
            if cur is None or (sc, sz) > (cur[0], cur[1]):
                best[kk] = (sc, sz, tuple(chosen))
        if kk == max_k:
            return
        for j in range(start, m):
            if allowed[j]:
                dfs(chosen + [j], j + 1, allowed & disjoint[j], sc + chi2s[j], sz + int(sizes[j]))

    dfs([], 0, np.ones(m, dtype=bool), 0.0, 0)
    memberships: dict[int, np.ndarray] = {}
    parts = []
    for kk in sorted(best):
        sc, sz, chosen = best[kk]
        cl = np.zeros(n, dtype=np.int64)
        for pos, j in enumerate(chosen, start=1):
            cl[members[j]] = pos
        memberships[kk] = cl
        parts.append({"k": kk, "crossed": list(chosen), "chi2": sc, "n": sz})
    partitions = pd.DataFrame(parts, columns=["k", "crossed", "chi2", "n"])
    if not memberships:
        log.warning("classification double : aucune partition trouvée (essayez un min_members plus faible)")
    params = {"max_k": max_k, "min_members": min_members, "min_chi2": min_chi2}
    return DoubleResult(crossed=crossed, partitions=partitions, memberships=memberships, params=params)


def reinert_double(
    dtm: Any,
    *,
    k: int = 10,
    max_k: int = 5,
    min_segment_size1: int = 10,
    min_segment_size2: int = 15,
    segment_groups: Sequence[Any] | None = None,
    min_members: int = 10,
    min_chi2: float = 3.84,
    **options: Any,
) -> tuple[DoubleResult, ReinertResult, ReinertResult]:
    """Two classifications with units of ``min_segment_size1`` and ``min_segment_size2`` lemmas
    (merging within ``segment_groups``), then :func:`double_classification`. ``options`` go to
    :func:`reinert_classes` (``min_split_members``, ``cc_test``, ``tsj``, ``random_state``...).
    When both sizes give the same units (nothing to merge, e.g. ``segment_groups=None``), the
    second classification is the first one (not recomputed) and the crossing only re-selects
    classes of that one hierarchy. Returns (double result, first, second)."""
    first = reinert_classes(dtm, k=k, min_segment_size=min_segment_size1, segment_groups=segment_groups, **options)
    mat, _ = _as_matrix(dtm)
    sizes = np.asarray((mat != 0).sum(axis=1)).ravel()
    if np.array_equal(group_segments(sizes, segment_groups, min_size=min_segment_size2), first.units):
        # same units (e.g. no source to merge within): the second run would be identical
        log.info("classification double : mêmes unités pour les deux tailles, la seconde classification est la première")
        second = first
    else:
        second = reinert_classes(dtm, k=k, min_segment_size=min_segment_size2, segment_groups=segment_groups, **options)
    double = double_classification(first, second, max_k=max_k, min_members=min_members, min_chi2=min_chi2)
    return double, first, second


# ---------------------------------------------------------------------------------------------
# Describing classes
# ---------------------------------------------------------------------------------------------


def characteristic_lemmas(
    dtm: Any,
    classes: Sequence[int],
    *,
    terms: Sequence[str] | None = None,
    min_frequency: int = 1,
) -> pd.DataFrame:
    """Signed chi-square of each lemma's presence in each class vs the other classified segments.

    ``dtm``: segments x lemmas (presence is used); ``classes``: class per segment (0 is left out).
    Returns one row per (class, lemma) with ``n_class`` (segments of the class with the lemma),
    ``n_total`` (classified segments with it), ``class_size``, ``pct_of_lemma`` (share of the
    lemma's segments in the class, %), ``pct_of_class`` (%), ``chi2`` (signed, Pearson, no
    correction), ``p_value``; sorted by class then decreasing chi2. Lemmas present in fewer than
    ``min_frequency`` classified segments are left out.
    """
    mat, known_terms = _as_matrix(dtm)
    terms = np.asarray(terms if terms is not None else (known_terms if known_terms is not None else np.arange(mat.shape[1])), dtype=object)
    cl = np.asarray(classes)
    sel = cl > 0
    x = mat[sel].astype(bool).astype(np.float64)
    cl = cl[sel]
    labels = np.unique(cl)
    ind = sparse.csr_matrix((np.ones(cl.size), (np.searchsorted(labels, cl), np.arange(cl.size))), shape=(labels.size, cl.size))
    a = (ind @ x).toarray()  # classes x lemmas
    n_tot = a.sum(axis=0)
    size = np.bincount(np.searchsorted(labels, cl), minlength=labels.size).astype(float)
    n = float(cl.size)
    b = size[:, None] - a
    c = n_tot[None, :] - a
    d = n - size[:, None] - c
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = n * (a * d - b * c) ** 2 / (size[:, None] * (n - size[:, None]) * n_tot[None, :] * (n - n_tot[None, :]))
    chi2 = np.nan_to_num(chi2, nan=0.0, posinf=0.0)
    expected = size[:, None] * n_tot[None, :] / n
    signed = np.where(a >= expected, chi2, -chi2)
    keep = n_tot >= min_frequency
    rows = []
    for i, lab in enumerate(labels):
        df = pd.DataFrame(
            {
                "class": int(lab),
                "lemma": terms[keep],
                "n_class": a[i, keep].astype(np.int64),
                "n_total": n_tot[keep].astype(np.int64),
                "class_size": int(size[i]),
                "pct_of_lemma": np.where(n_tot[keep] > 0, 100 * a[i, keep] / np.maximum(n_tot[keep], 1), 0.0),
                "pct_of_class": 100 * a[i, keep] / size[i],
                "chi2": signed[i, keep],
                "p_value": stats.chi2.sf(chi2[i, keep], 1),
            }
        )
        rows.append(df.sort_values(["chi2", "lemma"], ascending=[False, True], kind="mergesort"))
    cols = ["class", "lemma", "n_class", "n_total", "class_size", "pct_of_lemma", "pct_of_class", "chi2", "p_value"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def typical_segments(
    dtm: Any,
    classes: Sequence[int],
    characteristic: pd.DataFrame,
    *,
    texts: Sequence[str] | None = None,
    n: int = 10,
    min_chi2: float = 3.84,
) -> pd.DataFrame:
    """The ``n`` most typical segments of each class: highest sum of the positive chi-squares
    (at least ``min_chi2``) of the class's lemmas present in the segment (Iramuteq's ranking).

    ``characteristic``: output of :func:`characteristic_lemmas` on the same ``dtm``; ``texts``:
    optional text of each segment. Returns ``class``, ``segment`` (row index), ``score``,
    ``n_lemmas`` (characteristic lemmas present) and ``text``; ties keep segment order.
    """
    mat, known_terms = _as_matrix(dtm)
    terms = known_terms if known_terms is not None else np.arange(mat.shape[1])
    term_index = {t: j for j, t in enumerate(terms)}
    cl = np.asarray(classes)
    x = mat.astype(bool).astype(np.float64).tocsr()
    out = []
    for lab in sorted(set(cl[cl > 0].tolist())):
        sub = characteristic.loc[(characteristic["class"] == lab) & (characteristic["chi2"] >= min_chi2)]
        w = np.zeros(mat.shape[1])
        for lemma, chi2 in zip(sub["lemma"], sub["chi2"]):
            j = term_index.get(lemma)
            if j is not None:
                w[j] = chi2
        members = np.flatnonzero(cl == lab)
        score = x[members] @ w
        count = x[members] @ (w > 0).astype(float)
        order = np.lexsort((members, -score))[:n]
        df = pd.DataFrame({"class": int(lab), "segment": members[order], "score": score[order], "n_lemmas": count[order].astype(int)})
        if texts is not None:
            df["text"] = [texts[i] for i in members[order]]
        out.append(df)
    cols = ["class", "segment", "score", "n_lemmas"] + (["text"] if texts is not None else [])
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)


@dataclass
class CrossTab:
    """Classes x attribute values: ``observed`` counts, ``expected`` counts under independence,
    Pearson ``residuals`` ((O - E) / sqrt(E)), the ``chi2`` statistic, ``dof`` and ``p_value``."""

    observed: pd.DataFrame
    expected: pd.DataFrame
    residuals: pd.DataFrame
    chi2: float
    dof: int
    p_value: float


def crosstab_classes(
    classes: Sequence[int],
    attribute: Sequence[Any] | pd.Series,
    *,
    include_unclassified: bool = False,
) -> CrossTab:
    """Cross the class of each segment with an attribute (role, session, code...).

    ``attribute``: one value per segment, or a list/set of values per segment (codes: the segment
    counts once under each of its codes; an empty list counts nowhere). Unclassified segments
    (class 0) are left out unless ``include_unclassified``. Rows: classes, columns: values.
    """
    cl = np.asarray(classes)
    values = pd.Series(list(attribute) if not isinstance(attribute, pd.Series) else attribute.to_list())
    if len(values) != cl.size:
        raise ValueError("l'attribut doit avoir une valeur par segment")
    frame = pd.DataFrame({"class": cl, "value": values})
    if not include_unclassified:
        frame = frame.loc[frame["class"] > 0]
    if frame["value"].map(lambda v: isinstance(v, (list, tuple, set, frozenset))).any():
        frame = frame.assign(value=frame["value"].map(lambda v: sorted(v) if isinstance(v, (set, frozenset)) else v))
        frame = frame.explode("value")
    frame = frame.dropna(subset=["value"])
    observed = pd.crosstab(frame["class"], frame["value"])
    observed = observed.reindex(sorted(observed.columns, key=str), axis=1)
    obs = observed.to_numpy(dtype=float)
    total = obs.sum()
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / total if total else np.zeros_like(obs)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(expected > 0, (obs - expected) / np.sqrt(expected), 0.0)
    chi2 = float(np.sum(resid**2))
    dof = int((obs.shape[0] - 1) * (obs.shape[1] - 1))
    p = float(stats.chi2.sf(chi2, dof)) if dof > 0 else 1.0
    mk = lambda arr: pd.DataFrame(arr, index=observed.index, columns=observed.columns)
    return CrossTab(observed=observed, expected=mk(expected), residuals=mk(resid), chi2=chi2, dof=dof, p_value=p)
