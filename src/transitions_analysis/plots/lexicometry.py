"""Lexicometry figures in the house style: specificities, class profiles, CA biplot, dendrogram.

Every ``plot_*`` function draws with matplotlib only, in French, and returns the ``Figure``; pass
``ax`` to draw into an existing axes (then the caller's style applies). Save with
:func:`~transitions_analysis.plots.save_figure` for deterministic SVG/PDF/PNG files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..lexicometry import CAResult, ReinertResult, top_specificities
from .style import COLUMN_WIDTH, DOUBLE_WIDTH, OKABE_ITO, house_style

log = logging.getLogger(__name__)

#: over-represented (blue) / under-represented (vermillion), and a cycle of Okabe-Ito colours.
POSITIVE = OKABE_ITO["blue"]
NEGATIVE = OKABE_ITO["vermillion"]
PALETTE = tuple(OKABE_ITO[k] for k in ("orange", "sky_blue", "bluish_green", "blue", "vermillion",
                                      "reddish_purple", "black", "yellow"))
NEUTRAL = "#999999"


def _fr(x: float, digits: int = 1) -> str:
    """French decimal comma: 12.34 -> « 12,3 »."""
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def _new_axes(ax, figsize, nrows: int = 1, ncols: int = 1):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, np.atleast_1d(ax)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    return fig, axes.ravel()


def plot_specificities(
    spec: pd.DataFrame,
    *,
    part: Any,
    n: int = 10,
    threshold: float = 2.0,
    ax: Any | None = None,
    title: str | None = None,
) -> Any:
    """Bar chart of the ``n`` most over- and under-represented lemmas of ``part`` (|score| >=
    ``threshold``) from the tidy table of :func:`~.specificities.specificities`."""
    top = top_specificities(spec, part=part, n=n, threshold=threshold).iloc[::-1]
    height = max(1.8, 0.16 * len(top) + 0.8)
    with house_style():
        fig, (axis,) = _new_axes(ax, (COLUMN_WIDTH, height))
        y = np.arange(len(top))
        colors = [POSITIVE if v > 0 else NEGATIVE for v in top["specificity"]]
        axis.barh(y, top["specificity"], color=colors, height=0.7)
        axis.set_yticks(y, [f"{lem} ({f})" for lem, f in zip(top["lemma"], top["frequency"])])
        axis.axvline(0, color="#333333", linewidth=0.6)
        for x in (-threshold, threshold):
            axis.axvline(x, color=NEUTRAL, linewidth=0.5, linestyle=":")
        axis.set_xlabel("Spécificité (score de Lafon : ±log10 p)")
        axis.set_title(title if title is not None else f"{part} : lemmes spécifiques")
        if top.empty:
            axis.text(0.5, 0.5, "aucun lemme au-delà du seuil", transform=axis.transAxes, ha="center", va="center")
    return fig


def plot_specificities_by_part(
    spec: pd.DataFrame,
    *,
    parts: Sequence[Any],
    labels: dict[Any, str] | None = None,
    n: int = 8,
    threshold: float = 2.0,
    ncols: int = 2,
    title: str | None = "Les mots propres à chaque catégorie (spécificités)",
) -> Any:
    """One :func:`plot_specificities` panel per part (roles...), in a grid of ``ncols`` columns;
    ``labels``: French name of each part for the panel titles."""
    import matplotlib.pyplot as plt

    parts = [p for p in parts if p in set(spec["part"])]
    nrows = max(1, int(np.ceil(len(parts) / ncols)))
    with house_style():
        fig, grid = plt.subplots(nrows, ncols, figsize=(DOUBLE_WIDTH, 2.1 * nrows + 0.3), squeeze=False)
        panels = list(grid.ravel())
        for axis, part in zip(panels, parts):
            plot_specificities(spec, part=part, n=n, threshold=threshold, ax=axis,
                               title=(labels or {}).get(part, str(part)))
        for axis in panels[len(parts):]:
            axis.set_axis_off()
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return fig


def plot_class_profiles(
    characteristic: pd.DataFrame,
    *,
    classes: Sequence[int] | None = None,
    n: int = 8,
    ncols: int = 3,
    sizes: pd.Series | None = None,
    axes: Sequence[Any] | None = None,
    title: str | None = "Profils des classes (lemmes caractéristiques)",
) -> Any:
    """One panel per class with its ``n`` most characteristic lemmas (positive chi-square).

    ``characteristic``: output of :func:`~.chd.characteristic_lemmas`; ``sizes``: segments per
    class (for the « % des segments classés » in each panel title); ``axes``: existing axes, one
    per class (default: a new figure with ``ncols`` columns)."""
    import matplotlib.pyplot as plt

    labels = sorted(characteristic["class"].unique()) if classes is None else list(classes)
    nrows = int(np.ceil(len(labels) / ncols))
    total = float(sizes.loc[[c for c in labels if c in sizes.index]].sum()) if sizes is not None else None
    with house_style():
        if axes is None:
            fig, grid = plt.subplots(nrows, ncols, figsize=(DOUBLE_WIDTH, 1.55 * nrows + 0.4), squeeze=False)
            panels = list(grid.ravel())
        else:
            panels = list(np.ravel(axes))
            if len(panels) < len(labels):
                raise ValueError(f"{len(labels)} classes pour {len(panels)} axes")
            fig = panels[0].figure
        for i, axis in enumerate(panels):
            if i >= len(labels):
                axis.set_axis_off()
                continue
            c = labels[i]
            sub = characteristic.loc[(characteristic["class"] == c) & (characteristic["chi2"] > 0)].head(n).iloc[::-1]
            color = PALETTE[i % len(PALETTE)]
            axis.barh(np.arange(len(sub)), sub["chi2"], color=color, height=0.7)
            axis.set_yticks(np.arange(len(sub)), sub["lemma"].astype(str))
            head = f"Classe {c}"
            if sizes is not None and c in sizes.index and total:
                head += f" ({_fr(100 * sizes.loc[c] / total)} %)"
            axis.set_title(head, fontsize=8)
            axis.tick_params(axis="y", labelsize=6.5)
            axis.set_xlabel("χ²", fontsize=7)
        if title and axes is None:
            fig.suptitle(title)
    return fig


def _hide_overlapping(fig: Any, texts: list[Any]) -> int:
    """Hide labels overlapping an earlier (more important) one; returns how many were hidden."""
    renderer = fig.canvas.get_renderer()
    placed, hidden = [], 0
    for t in texts:
        box = t.get_window_extent(renderer=renderer).expanded(1.02, 1.1)
        if any(box.overlaps(p) for p in placed):
            t.set_visible(False)
            hidden += 1
        else:
            placed.append(box)
    if hidden:
        log.debug("AFC : %d étiquettes masquées (chevauchement)", hidden)
    return hidden


def plot_ca_biplot(
    result: CAResult,
    *,
    dims: tuple[int, int] = (1, 2),
    n_row_labels: int = 20,
    n_column_labels: int | None = None,
    row_name: str = "lemmes",
    column_name: str = "modalités",
    column_labels: Mapping[Any, str] | None = None,
    ax: Any | None = None,
    title: str | None = "Analyse factorielle des correspondances",
) -> Any:
    """Symmetric biplot (principal coordinates of rows and columns) of a CA.

    ``column_labels``: the name shown for each column (e.g. a role's French label; default: the
    column itself).
    Only the ``n_row_labels`` rows (and ``n_column_labels`` columns; None = all) contributing most
    to the plotted plane are drawn in colour and labelled; the other rows are small grey points.
    A label overlapping a more contributive one is hidden (columns first, then rows by
    contribution). Axis labels give each axis' share of inertia."""
    i, j = dims[0] - 1, dims[1] - 1
    dim_i, dim_j = f"Dim {dims[0]}", f"Dim {dims[1]}"
    rows, cols = result.row_coordinates, result.column_coordinates
    if dim_j not in rows.columns:
        raise ValueError(f"l'AFC n'a pas d'axe {dims[1]} (n_components trop petit)")
    ev = result.eigenvalues

    def top(ctr: pd.DataFrame, k: int | None) -> pd.Index:
        score = ctr[dim_i] * ev[i] + ctr[dim_j] * ev[j]  # contribution to the plane
        return score.sort_values(ascending=False, kind="mergesort").index[: (len(score) if k is None else k)]

    rows_lab = top(result.row_contributions, n_row_labels)
    cols_lab = top(result.column_contributions, n_column_labels)
    with house_style():
        fig, (axis,) = _new_axes(ax, (DOUBLE_WIDTH * 0.75, DOUBLE_WIDTH * 0.6))
        axis.axhline(0, color="#bbbbbb", linewidth=0.5)
        axis.axvline(0, color="#bbbbbb", linewidth=0.5)
        other = rows.index.difference(rows_lab)
        axis.scatter(rows.loc[other, dim_i], rows.loc[other, dim_j], s=3, color="#cccccc", linewidths=0, label=None)
        axis.scatter(rows.loc[rows_lab, dim_i], rows.loc[rows_lab, dim_j], s=8, color=POSITIVE, linewidths=0,
                     label=f"{row_name} (les {len(rows_lab)} plus contributifs)")
        axis.scatter(cols[dim_i], cols[dim_j], s=22, marker="^", color=NEGATIVE, linewidths=0, label=column_name)
        texts = [axis.annotate((column_labels or {}).get(name, str(name)), (cols.at[name, dim_i], cols.at[name, dim_j]), fontsize=7.5,
                               color=NEGATIVE, fontweight="bold", xytext=(3, -8), textcoords="offset points")
                 for name in cols_lab]
        texts += [axis.annotate(str(name), (rows.at[name, dim_i], rows.at[name, dim_j]), fontsize=6,
                                color=POSITIVE, xytext=(2, 2), textcoords="offset points", gid=f"row:{name}")
                  for name in rows_lab]
        _hide_overlapping(fig, texts)
        axis.set_xlabel(f"Axe {dims[0]} ({_fr(100 * result.explained_inertia[i])} % de l'inertie)")
        axis.set_ylabel(f"Axe {dims[1]} ({_fr(100 * result.explained_inertia[j])} % de l'inertie)")
        axis.legend(loc="best")
        if title:
            axis.set_title(title)
    return fig


def plot_dendrogram(result: ReinertResult, *, ax: Any | None = None,
                    title: str | None = "Classification descendante hiérarchique (Reinert)") -> Any:
    """Dendrogram of a Reinert classification: one leaf per class (with its number of segments);
    a division is drawn at the height of its chi-square plus that of its tallest child (so
    heights grow toward the root, as in rainette's plots)."""
    children = {s.parent: s for s in result.splits}
    sizes = pd.Series(result.classes).value_counts()
    leaf_x = {node: float(i) for i, node in enumerate(result.leaves)}
    height: dict[int, float] = {}

    def h(node: int) -> float:
        if node not in children:
            return 0.0
        if node not in height:
            s = children[node]
            height[node] = s.chi2 + max(h(s.children[0]), h(s.children[1]))
        return height[node]

    def x(node: int) -> float:
        if node in leaf_x:
            return leaf_x[node]
        s = children[node]
        return (x(s.children[0]) + x(s.children[1])) / 2

    with house_style():
        fig, (axis,) = _new_axes(ax, (COLUMN_WIDTH * 1.3, 2.4))
        for s in result.splits:
            top = h(s.parent)
            xs = [x(c) for c in s.children]
            for xc, c in zip(xs, s.children):
                axis.plot([xc, xc], [h(c), top], color="#333333", linewidth=0.8)
            axis.plot(xs, [top, top], color="#333333", linewidth=0.8)
        axis.set_xticks(range(len(result.leaves)),
                        [f"{i + 1}\n({int(sizes.get(i + 1, 0))})" for i in range(len(result.leaves))])
        axis.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}".replace(",", "\u202f"))
        axis.set_xlabel("Classe (segments)")
        axis.set_ylabel("χ² cumulé des divisions")
        axis.spines["bottom"].set_visible(False)
        axis.tick_params(axis="x", length=0)
        if title:
            axis.set_title(title)
    return fig
