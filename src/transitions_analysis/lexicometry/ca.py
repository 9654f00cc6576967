"""Correspondence analysis (CA) of a contingency table, e.g. lemmas x parts (role, session, class).

Classical CA (Benzécri 1973; Greenacre 2007, *Correspondence Analysis in Practice*, ch. 4-8),
computed as the singular value decomposition of the standardised residuals

    S = D_r^-1/2 (P - r c') D_c^-1/2,   P = N / n,   r, c = row and column masses,

S = U diag(sv) V'. Principal inertias (eigenvalues) are sv^2, their sum the total inertia
(chi-square / n). Principal coordinates: rows F = D_r^-1/2 U diag(sv), columns
G = D_c^-1/2 V diag(sv). Contribution of a row to an axis: r_i f_ik^2 / sv_k^2 (sums to 1 over
rows); quality (cos2): f_ik^2 / d_i^2, d_i^2 the squared chi-square distance of the row profile
to the centroid. Each axis' sign is fixed so that the column with the largest absolute
coordinate is positive (deterministic; a CA axis has no intrinsic sign). Checked in the tests
against the published analysis of Greenacre's smoking table (R package ``ca``, ``data(smoke)``).

The table is dense here (attributes x lemmas tables have a few thousand cells per part); for the
first axis of a large sparse matrix see :func:`transitions_analysis.lexicometry.chd.first_axis`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


@dataclass
class CAResult:
    """Result of :func:`correspondence_analysis`; coordinates are principal coordinates.

    ``eigenvalues``: all principal inertias (descending); ``explained_inertia``: their share of
    ``total_inertia``; ``row_*`` / ``column_*``: DataFrames indexed like the table, one column per
    kept axis (``Dim 1``, ``Dim 2``...); masses are Series.
    """

    eigenvalues: np.ndarray
    explained_inertia: np.ndarray
    total_inertia: float
    row_coordinates: pd.DataFrame
    column_coordinates: pd.DataFrame
    row_contributions: pd.DataFrame
    column_contributions: pd.DataFrame
    row_cos2: pd.DataFrame
    column_cos2: pd.DataFrame
    row_masses: pd.Series
    column_masses: pd.Series

    def summary(self) -> pd.DataFrame:
        """Axes with eigenvalue, % of inertia and cumulative % (French column labels)."""
        pct = 100 * self.explained_inertia
        return pd.DataFrame(
            {"valeur propre": self.eigenvalues, "% d'inertie": pct, "% cumulé": np.cumsum(pct)},
            index=pd.Index([f"Axe {i + 1}" for i in range(len(self.eigenvalues))], name="axe"),
        )


def correspondence_analysis(table: pd.DataFrame, *, n_components: int = 2) -> CAResult:
    """CA of a table of non-negative counts (rows x columns); keeps ``n_components`` axes.

    Empty rows or columns are dropped (logged). Raises ValueError if fewer than 2 rows or columns
    remain. See the module doc for the formulas.
    """
    data = table.astype(float)
    empty_r = data.sum(axis=1) <= 0
    empty_c = data.sum(axis=0) <= 0
    if empty_r.any() or empty_c.any():
        log.info("AFC : %d lignes et %d colonnes vides ignorées", int(empty_r.sum()), int(empty_c.sum()))
        data = data.loc[~empty_r, ~empty_c]
    if data.shape[0] < 2 or data.shape[1] < 2:
        raise ValueError("l'AFC demande au moins 2 lignes et 2 colonnes non vides")
    if (data.to_numpy() < 0).any():
        raise ValueError("l'AFC demande des effectifs positifs")
    n = data.to_numpy().sum()
    p = data.to_numpy() / n
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    s = (p - np.outer(r, c)) / np.sqrt(np.outer(r, c))
    u, sv, vt = np.linalg.svd(s, full_matrices=False)
    rank = min(data.shape) - 1
    u, sv, v = u[:, :rank], sv[:rank], vt[:rank].T
    eig = sv**2
    total = float(np.sum(s**2))
    k = max(1, min(n_components, rank))
    rows_f = (u / np.sqrt(r)[:, None]) * sv
    cols_g = (v / np.sqrt(c)[:, None]) * sv
    for j in range(rank):  # deterministic signs
        if cols_g[int(np.argmax(np.abs(cols_g[:, j]))), j] < 0:
            rows_f[:, j] *= -1
            cols_g[:, j] *= -1
    d2_rows = np.sum(rows_f**2, axis=1)
    d2_cols = np.sum(cols_g**2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ctr_rows = r[:, None] * rows_f[:, :k] ** 2 / eig[:k]
        ctr_cols = c[:, None] * cols_g[:, :k] ** 2 / eig[:k]
        cos2_rows = np.where(d2_rows[:, None] > 0, rows_f[:, :k] ** 2 / d2_rows[:, None], 0.0)
        cos2_cols = np.where(d2_cols[:, None] > 0, cols_g[:, :k] ** 2 / d2_cols[:, None], 0.0)
    dims = [f"Dim {i + 1}" for i in range(k)]
    mk_r = lambda arr: pd.DataFrame(arr, index=data.index, columns=dims)
    mk_c = lambda arr: pd.DataFrame(arr, index=data.columns, columns=dims)
    return CAResult(
        eigenvalues=eig,
        explained_inertia=eig / total if total > 0 else np.zeros_like(eig),
        total_inertia=total,
        row_coordinates=mk_r(rows_f[:, :k]),
        column_coordinates=mk_c(cols_g[:, :k]),
        row_contributions=mk_r(np.nan_to_num(ctr_rows)),
        column_contributions=mk_c(np.nan_to_num(ctr_cols)),
        row_cos2=mk_r(cos2_rows),
        column_cos2=mk_c(cos2_cols),
        row_masses=pd.Series(r, index=data.index, name="masse"),
        column_masses=pd.Series(c, index=data.columns, name="masse"),
    )
