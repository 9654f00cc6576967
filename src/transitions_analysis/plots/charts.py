"""Publication figures: one house style, French labels, saved as SVG, PDF and 300 dpi PNG.

Every ``plot_*`` function takes a synthesis table (see :mod:`transitions_analysis.synthesis`)
and returns a matplotlib ``Figure`` drawn in the house style (``data/transitions.mplstyle``:
DejaVu Sans, 7-9 pt text, Okabe-Ito colours, widths of a journal column: 8.5 cm or 17.5 cm).
Notebooks, tests and the report call the same functions. :func:`save_figure` writes
``<out_dir>/<name>.svg|.pdf|.png`` deterministically (no date in the files, fixed SVG ids).

Artists that tests and readers may look for carry a ``gid``: ``node:<role>``,
``arrow:<from>-><to>`` and ``label:<from>-><to>`` in the expectations diagram,
``withheld:<from>-><to>`` for the hatched cells of the expectations heatmap.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import config
from ..core import schema
from ..core.labels import date_fr, percent_fr
from ..synthesis import ALL_RESPONDENTS, UNKNOWN_YEAR, matrix_wide
from .style import (
    DIAGRAM_POSITIONS,
    DOUBLE_WIDTH,
    COLUMN_WIDTH,
    FORMATS,
    OKABE_ITO,
    PRINCIPLE_COLORS,
    PRINCIPLE_MARKERS,
    ROLE_COLORS,
    ROLE_NODE_FR,
    colorbar,
    heatmap,
    house_style,
    pyplot,
    role_label,
    save_figure,
    text_color,
)

log = logging.getLogger(__name__)




def plot_principles_by_role(
    shares: pd.DataFrame,
    *,
    title: str | None = "Ce que chaque catégorie retient",
    xlabel: str = "Principe mentionné",
) -> Any:
    """Heatmap roles x principles of the share of respondents mentioning each principle
    (:func:`~transitions_analysis.synthesis.principle_shares` by role). Cells: « 60 % » and « 3/5 »; the ``ensemble``
    row, when present, comes last below a line."""
    plt = pyplot()
    codes = list(dict.fromkeys(shares["code"]))
    roles = list(dict.fromkeys(shares["role"]))
    share = shares.pivot(index="role", columns="code", values="share").reindex(index=roles, columns=codes)
    k = shares.pivot(index="role", columns="code", values="mentioning").reindex(index=roles, columns=codes)
    n = shares.groupby("role")["respondents"].first().reindex(roles)
    labels = shares.drop_duplicates("code").set_index("code")["label"].reindex(codes)
    with house_style():
        fig, ax = plt.subplots(figsize=(DOUBLE_WIDTH * 0.72, 0.42 * len(roles) + 1.3))
        data = share.to_numpy(dtype=float) * 100
        vmax = max(10.0, float(np.ceil(np.nanmax(data) / 10) * 10)) if np.isfinite(data).any() else 100.0
        im = heatmap(ax, data, vmax=vmax)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, f"{percent_fr(data[i, j] / 100)}\n{int(k.iat[i, j])}/{int(n.iat[i])}", ha="center",
                            va="center", fontsize=6.5, color=text_color(data[i, j], vmax))
        ax.set_xticklabels([textwrap.fill(str(lbl), 12, break_long_words=False) for lbl in labels])
        ax.set_yticklabels([f"{role_label(r)}\n(n = {int(n[r])})" for r in roles])
        if ALL_RESPONDENTS in roles and len(roles) > 1:
            ax.axhline(roles.index(ALL_RESPONDENTS) - 0.5, color="#222222", linewidth=1.0)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Catégorie d'acteurs")
        colorbar(fig, im, ax, "Part des répondant·es (%)", shrink=0.8)
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return fig


def plot_principles_by_group(
    shares: pd.DataFrame,
    *,
    by: str = "session",
    title: str | None = "Principes mentionnés au fil des sessions",
) -> Any:
    """Share of respondents mentioning each principle across sessions or years
    (:func:`~transitions_analysis.synthesis.principle_shares` with ``by``): one panel per principle (shared axes), the
    share as a line and its Wilson 95 % interval as a band. Undated groups are left out; None
    when no group is dated (an export without session dates)."""
    plt = pyplot()
    data = shares[~shares[by].isin(["", UNKNOWN_YEAR, ALL_RESPONDENTS])]
    groups = sorted(data[by].unique())
    codes = list(dict.fromkeys(data["code"]))
    if not groups or not codes:
        return None
    n = data.groupby(by)["respondents"].first().reindex(groups)
    top = float(np.nanmax(data["ci_high"].to_numpy(dtype=float))) * 100 if len(data) else 100.0
    top = min(100.0, max(10.0, np.ceil(top / 10) * 10))
    with house_style():
        fig, axes = plt.subplots(len(codes), 1, sharex=True, sharey=True, squeeze=False,
                                 figsize=(DOUBLE_WIDTH, 1.1 * len(codes) + 1.1))
        x = np.arange(len(groups))
        for ax, code in zip(axes[:, 0], codes):
            d = data[data["code"] == code].set_index(by).reindex(groups)
            color = PRINCIPLE_COLORS.get(code, OKABE_ITO["blue"])
            label = d["label"].dropna().iloc[0] if d["label"].notna().any() else code
            ax.fill_between(x, d["ci_low"] * 100, d["ci_high"] * 100, color=color, alpha=0.18, linewidth=0)
            ax.plot(x, d["share"] * 100, marker=PRINCIPLE_MARKERS.get(code, "o"), color=color)
            ax.set_ylim(0, top)
            ax.grid(axis="y")
            # above the panel, not inside it: a share near 100 % would sit under the label
            ax.set_title(label, loc="left", fontsize=7.5, fontweight="bold", color="#222222", pad=2)
        if by == "session":
            ticks = [f"{date_fr(g)[:5]}\n{g[:4]}\n(n = {int(n[g])})" for g in groups]
        else:
            ticks = [f"{g}\n(n = {int(n[g])})" for g in groups]
        axes[-1, 0].set_xticks(x, ticks)
        axes[-1, 0].set_xlabel("Session (n : répondant·es)" if by == "session" else "Année (n : répondant·es)")
        fig.supylabel("Part des répondant·es (%)", fontsize=8)
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return fig


def plot_outcomes_by_role(outcomes: pd.DataFrame, *, title: str | None = "Effets observés, par catégorie") -> Any:
    """Heatmap roles x outcomes (:func:`~transitions_analysis.synthesis.outcomes_by_role`): share and number of each
    role's respondents who report each outcome (same layout as :func:`plot_principles_by_role`)."""
    return plot_principles_by_role(outcomes, title=title, xlabel="Effet observé")


# --------------------------------------------------------------------------- expectations


def _arc_midpoint(a: tuple[float, float], b: tuple[float, float], rad: float) -> tuple[float, float]:
    """Midpoint of matplotlib's ``arc3`` quadratic Bézier from ``a`` to ``b`` (equal-aspect axes)."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    return (x1 + x2) / 2 + 0.5 * rad * dy, (y1 + y2) / 2 - 0.5 * rad * dx


def plot_expectations_diagram(
    matrix: pd.DataFrame,
    *,
    roles: Sequence[str] = schema.ROLES,
    rad: float = 0.22,
    title: str | None = "Qui attend quoi de qui ?",
) -> Any:
    """The « 4 fantastiques » diagram: the four categories at the corners of a square, one arrow
    A -> B per cell of the expectations matrix with respondents (what A expects of B), its width
    proportional to the respondents and labelled with their number. Arrows are arcs, so A -> B
    and B -> A never overlap. Cells of ``inconnu`` are not drawn (see the heatmap)."""
    from matplotlib.patches import Circle, FancyArrowPatch

    plt = pyplot()
    cells = matrix[matrix["from_role"].isin(roles) & matrix["to_role"].isin(roles)
                   & (matrix["from_role"] != matrix["to_role"]) & (matrix["respondents"] > 0)]
    nmax = max(int(cells["respondents"].max()) if len(cells) else 1, 1)
    with house_style():
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, COLUMN_WIDTH * 1.02), layout="constrained")
        ax.set_xlim(-0.38, 1.38)
        ax.set_ylim(-0.4, 1.36)
        ax.set_aspect("equal")
        ax.axis("off")
        nodes = {}
        for role in roles:
            xy = DIAGRAM_POSITIONS[role]
            node = Circle(xy, 0.2, facecolor="white", edgecolor=ROLE_COLORS[role], linewidth=1.6, zorder=3, gid=f"node:{role}")
            ax.add_patch(node)
            name = ROLE_NODE_FR.get(role, role)
            ax.text(*xy, name, ha="center", va="center", fontsize=7 if name.count("\n") < 2 else 6.2, fontweight="bold",
                    color="#222222", zorder=4, linespacing=1.05)
            nodes[role] = node
        for row in cells.sort_values(["from_role", "to_role"], key=lambda s: s.map({r: i for i, r in enumerate(roles)})).itertuples():
            a, b = DIAGRAM_POSITIONS[row.from_role], DIAGRAM_POSITIONS[row.to_role]
            n = int(row.respondents)
            width = 0.6 + 3.4 * n / nmax
            arrow = FancyArrowPatch(
                a, b, patchA=nodes[row.from_role], patchB=nodes[row.to_role], shrinkA=1.5, shrinkB=2.5,
                connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>", mutation_scale=7 + 1.2 * width,
                linewidth=width, color=ROLE_COLORS[row.from_role], alpha=0.85, zorder=2,
                gid=f"arrow:{row.from_role}->{row.to_role}",
            )
            ax.add_patch(arrow)
            mx, my = _arc_midpoint(a, b, rad)
            ax.text(mx, my, str(n), ha="center", va="center", fontsize=7, zorder=5, color="#111111",
                    bbox={"boxstyle": "round,pad=0.18", "facecolor": "white", "edgecolor": ROLE_COLORS[row.from_role],
                          "linewidth": 0.6},
                    gid=f"label:{row.from_role}->{row.to_role}")
        ax.text(0.5, -0.36, "Flèche A → B : ce que A attend de B.\nNombre et épaisseur : répondant·es.",
                ha="center", va="bottom", fontsize=6.5, color="#444444", transform=ax.transData)
        if title:
            ax.set_title(title, loc="center")
    return fig


def plot_expectations_heatmap(
    matrix: pd.DataFrame,
    *,
    k: int = config.MIN_GROUP_SIZE,
    title: str | None = "Attentes envers les autres catégories",
) -> Any:
    """The expectations matrix as an annotated heatmap of respondents (rows: who expects; columns:
    of whom). Cells whose quotes are withheld (fewer than ``k`` respondents) are hatched; the
    diagonal (not computed) is grey with « — »."""
    from matplotlib.patches import Rectangle

    plt = pyplot()
    wide = matrix_wide(matrix, "respondents")
    withheld = matrix_wide(matrix, "withheld")
    segs = matrix_wide(matrix, "segments")
    data = wide.to_numpy(dtype=float)
    with house_style():
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.3, 0.5 * len(wide) + 1.5))
        im = heatmap(ax, data)
        vmax = np.nanmax(data) if np.isfinite(data).any() else 1
        for i, fr in enumerate(wide.index):
            for j, to in enumerate(wide.columns):
                v = data[i, j]
                if not np.isfinite(v):
                    ax.text(j, i, "—", ha="center", va="center", color="#888888")
                    continue
                hidden = bool(withheld.iat[i, j])
                ax.text(j, i, f"{int(v)}\n({int(segs.iat[i, j])} seg.)", ha="center", va="center", fontsize=6.5,
                        color="#222222" if hidden else text_color(v, vmax),
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85} if hidden else None)
                if hidden:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="////", edgecolor="#999999",
                                           linewidth=0, gid=f"withheld:{fr}->{to}"))
        ax.set_xticklabels([role_label(r, short=True) for r in wide.columns])
        ax.set_yticklabels([role_label(r, short=True) for r in wide.index])
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("… attendent quelque chose de")
        ax.set_ylabel("Les répondant·es de la catégorie…")
        colorbar(fig, im, ax, "Répondant·es", shrink=0.8)
        fig.supxlabel(f"Hachuré : moins de {k} répondant·es, citations masquées. « seg. » : segments. « — » : non calculé.",
                      fontsize=6, color="#444444", x=0.02, ha="left")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return fig


# --------------------------------------------------------------------------- programme


def plot_programme_timeline(sessions: pd.DataFrame, *, title: str | None = "Le programme : sessions et participant·es") -> Any:
    """Sessions on a time axis (:func:`~transitions_analysis.synthesis.session_indicators`), one bar per dated session
    with its number of participants and territories written above; None when no session is dated."""
    import matplotlib.dates as mdates

    plt = pyplot()
    d = sessions[sessions["session"] != ""].copy()
    d["date"] = pd.to_datetime(d["session"], errors="coerce")
    d = d.dropna(subset=["date"]).sort_values("date")
    if d.empty:
        return None
    years = sorted(d["year"].unique())
    colors = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"]]
    with house_style():
        fig, ax = plt.subplots(figsize=(DOUBLE_WIDTH, 2.3))
        for i, year in enumerate(years):
            part = d[d["year"] == year]
            ax.bar(part["date"], part["participants"], width=14, color=colors[i % len(colors)], label=year)
        top = float(d["participants"].max()) if len(d) else 1.0
        for row in d.itertuples():
            ax.text(row.date, row.participants + top * 0.03, f"{int(row.participants)}", ha="center", va="bottom", fontsize=6.5)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: date_fr(mdates.num2date(x).strftime("%Y-%m-%d"), short=True)))
        if len(d):
            ax.set_xlim(d["date"].min() - pd.Timedelta(days=30), d["date"].max() + pd.Timedelta(days=30))
        ax.set_ylabel("Participant·es")
        ax.set_xlabel("Date de la session")
        ax.legend(title="Année", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        if title:
            ax.set_title(title)
    return fig


def plot_cooccurrence(cooc: pd.DataFrame, *, title: str | None = "Codes cités dans une même réponse") -> Any:
    """Lower-triangle heatmap of code co-occurrence within responses
    (:func:`~transitions_analysis.synthesis.code_cooccurrence`): number of responses with both codes, the diagonal
    holding the responses with the code."""
    from matplotlib.patches import Rectangle

    plt = pyplot()
    codes = list(dict.fromkeys(cooc["code_a"]))
    labels = cooc.drop_duplicates("code_a").set_index("code_a")["label_a"].reindex(codes)
    wide = cooc.pivot(index="code_a", columns="code_b", values="n_both").reindex(index=codes, columns=codes)
    data = wide.to_numpy(dtype=float).copy()
    data[np.triu_indices_from(data, k=1)] = np.nan
    with house_style():
        size = max(COLUMN_WIDTH, 0.42 * len(codes) + 1.6)
        fig, ax = plt.subplots(figsize=(min(size, DOUBLE_WIDTH), min(size, DOUBLE_WIDTH) * 0.9))
        diagonal = np.diag(data).copy()
        data[np.diag_indices_from(data)] = np.nan  # the diagonal is a count, not a co-occurrence: not coloured
        vmax = np.nanmax(data) if np.isfinite(data).any() else 1
        im = heatmap(ax, data, vmax=max(vmax, 1), bad="white")
        for i in range(len(codes)):
            ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, facecolor="#e6e6e6", edgecolor="white", linewidth=1.2))
            ax.text(i, i, f"{int(diagonal[i])}", ha="center", va="center", fontsize=6.5, color="#222222", fontweight="bold")
            for j in range(i):
                ax.text(j, i, f"{int(data[i, j])}", ha="center", va="center", fontsize=6.5, color=text_color(data[i, j], vmax))
        ax.set_xticklabels([textwrap.fill(str(lbl), 14, break_long_words=False) for lbl in labels], rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticklabels([str(lbl) for lbl in labels])
        colorbar(fig, im, ax, "Réponses avec les deux codes", shrink=0.7)
        fig.supxlabel("Diagonale (gris) : réponses portant le code.", fontsize=6, color="#444444", x=0.02, ha="left")
        if title:
            ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- ingestion (issue 2)


def plot_answers(table: pd.DataFrame, *, by: str = "session", title: str | None = None) -> Any:
    """Horizontal bars of answers (and respondents written beside) by ``session``, ``role`` or
    ``question`` (tables :func:`~transitions_analysis.synthesis.answers_by_session`, ``answers_by_role``,
    ``answers_by_question``)."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    if by == "session":
        labels = [date_fr(s) for s in table["session"]]
        default_title, ylabel = "Réponses par session", "Session"
    elif by == "role":
        labels = [role_label(r) for r in table["role"]]
        default_title, ylabel = "Réponses par catégorie d'acteurs", "Catégorie"
    elif by == "question":
        labels = [textwrap.fill(q if q else f"(sans intitulé) [{qid or 'sans identifiant'}]", 52)
                  for q, qid in zip(table["question"], table["question_id"])]
        default_title, ylabel = "Réponses par question", "Question"
    else:
        raise ValueError(f"regroupement inconnu : {by!r} (session, role ou question)")
    n_lines = sum(lbl.count("\n") + 1 for lbl in labels)
    with house_style():
        fig, ax = plt.subplots(figsize=(DOUBLE_WIDTH * (0.8 if by == "question" else 0.6), 0.8 + 0.17 * max(n_lines, len(labels)) + 0.08 * len(labels)))
        y = np.arange(len(table))
        colors = [ROLE_COLORS.get(r, OKABE_ITO["blue"]) for r in table["role"]] if by == "role" else OKABE_ITO["blue"]
        ax.barh(y, table["answers"], color=colors, height=0.7)
        top = float(table["answers"].max()) if len(table) else 1.0
        for yi, a, r in zip(y, table["answers"], table["respondents"]):
            ax.text(a + top * 0.01, yi, f"{int(a)} ({int(r)} pers.)", va="center", fontsize=6.5)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.25 if top > 0 else 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Réponses gardées (entre parenthèses : répondant·es)")
        ax.set_ylabel(ylabel)
        ax.set_title(title if title is not None else default_title)
    return fig


# --------------------------------------------------------------------------- all


#: figure name -> (function, synthesis table, keyword arguments) drawn by :func:`draw_figures`.
FIGURES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "principes_par_role": ("plot_principles_by_role", "principes_par_role", {}),
    "attentes_diagramme": ("plot_expectations_diagram", "matrice_attentes", {}),
    "attentes_matrice": ("plot_expectations_heatmap", "matrice_attentes", {}),
    "principes_par_session": ("plot_principles_by_group", "principes_par_session", {"by": "session"}),
    "programme_chronologie": ("plot_programme_timeline", "indicateurs_sessions", {}),
    "cooccurrences": ("plot_cooccurrence", "cooccurrences", {}),
    "effets_par_role": ("plot_outcomes_by_role", "effets_par_role", {}),
    "reponses_par_session": ("plot_answers", "reponses_par_session", {"by": "session"}),
    "reponses_par_role": ("plot_answers", "reponses_par_role", {"by": "role"}),
    "reponses_par_question": ("plot_answers", "reponses_par_question", {"by": "question"}),
}


def draw_figures(tables: dict[str, pd.DataFrame], out_dir: str | Path | None = None, *, k: int = config.MIN_GROUP_SIZE,
                 close: bool = True, formats: Sequence[str] = FORMATS) -> dict[str, Any]:
    """Draw every figure of :data:`FIGURES` from the synthesis ``tables``; save each under
    ``out_dir`` when given. Returns {name: {format: path}} when saving (figures closed unless
    ``close=False``), else {name: Figure}. A figure whose table is empty, or with nothing to draw
    (no dated session for the figures over time), is skipped (logged)."""
    plt = pyplot()
    out: dict[str, Any] = {}
    for name, (func, table, kwargs) in FIGURES.items():
        df = tables.get(table)
        if df is None or df.empty:
            log.info("figure %s non dessinée : table %s vide", name, table)
            continue
        if func == "plot_expectations_heatmap":
            kwargs = {**kwargs, "k": k}
        fig = globals()[func](df, **kwargs)
        if fig is None:
            log.info("figure %s non dessinée : rien à montrer dans %s", name, table)
            continue
        if out_dir is None:
            out[name] = fig
            continue
        out[name] = save_figure(fig, name, out_dir, formats=formats)
        if close:
            plt.close(fig)
    return out
