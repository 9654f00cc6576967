"""Publication figures: one house style, French labels, saved as SVG, PDF and 300 dpi PNG.

Every ``plot_*`` function takes a synthesis table (see :mod:`transitions_analysis.synthesise`)
and returns a matplotlib ``Figure`` drawn in the house style (``data/transitions.mplstyle``:
DejaVu Sans, 7-9 pt text, Okabe-Ito colours, widths of a journal column: 8.5 cm or 17.5 cm).
Notebooks, tests and the report call the same functions. :func:`save_figure` writes
``<out_dir>/<name>.svg|.pdf|.png`` deterministically (no date in the files, fixed SVG ids).

Artists that tests and readers may look for carry a ``gid``: ``node:<role>``,
``arrow:<from>-><to>`` and ``label:<from>-><to>`` in the expectations diagram,
``withheld:<from>-><to>`` for the hatched cells of the expectations heatmap.
"""

from __future__ import annotations

import contextlib
import logging
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, schema
from .synthesise import ALL_RESPONDENTS, NO_SESSION_FR, UNKNOWN_YEAR, matrix_wide, percent_fr

log = logging.getLogger(__name__)

CM = 1 / 2.54
COLUMN_WIDTH = 8.5 * CM  # inches
DOUBLE_WIDTH = 17.5 * CM
FORMATS: tuple[str, ...] = ("svg", "pdf", "png")

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}
#: Principle colours (those of the codebook).
PRINCIPLE_COLORS: dict[str, str] = {
    "principle.engagement": "#E69F00",
    "principle.cooperation": "#56B4E9",
    "principle.systemic": "#009E73",
    "principle.value": "#CC79A7",
}
PRINCIPLE_MARKERS: dict[str, str] = {
    "principle.engagement": "o", "principle.cooperation": "s", "principle.systemic": "^", "principle.value": "D",
}
#: Role colours (Okabe-Ito; yellow avoided for lines and arrows on white).
ROLE_COLORS: dict[str, str] = {
    "elu": "#0072B2", "agent": "#D55E00", "socio_eco": "#009E73", "etat": "#000000", "inconnu": "#999999",
}
#: Short French role labels for crowded axes and diagram nodes.
ROLE_SHORT_FR: dict[str, str] = {
    "elu": "Élu·es",
    "agent": "Agent·es",
    "socio_eco": "Socio-éco.",
    "etat": "État",
    "inconnu": "Inconnu",
}
ROLE_NODE_FR: dict[str, str] = {
    "elu": "Élu·es",
    "agent": "Agent·es",
    "socio_eco": "Acteurs\nsocio-\néconomiques",
    "etat": "Services\nde l'État",
}
#: Positions of the four categories in the « 4 fantastiques » diagram (a square).
DIAGRAM_POSITIONS: dict[str, tuple[float, float]] = {
    "elu": (0.0, 1.0), "agent": (1.0, 1.0), "socio_eco": (0.0, 0.0), "etat": (1.0, 0.0),
}
SEQUENTIAL_CMAP = "Blues"
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Context in which figures are drawn and saved with the package's style sheet."""
    import matplotlib.pyplot as plt

    with plt.style.context(str(config.MPL_STYLE)):
        yield


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def date_fr(session: str, *, short: bool = False) -> str:
    """``2022-09-21`` -> ``21/09/2022`` (``sept. 2022`` when ``short``); empty -> ``sans date``."""
    if not session:
        return NO_SESSION_FR
    try:
        ts = pd.Timestamp(session)
    except (ValueError, TypeError):
        return str(session)
    return f"{MONTHS_FR[ts.month - 1]} {ts.year}" if short else ts.strftime("%d/%m/%Y")


def _role_label(role: str, short: bool = False) -> str:
    if role == ALL_RESPONDENTS:
        return "Ensemble"
    return (ROLE_SHORT_FR if short else schema.ROLE_LABELS_FR).get(role, role)


def save_figure(fig: Any, name: str, out_dir: str | Path, *, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Write ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format (SVG, PDF, 300 dpi PNG by default).

    Deterministic: fixed SVG hash salt and no dates in the metadata (the same figure gives the same
    bytes). Returns {format: path}.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {}}
    paths = {}
    with house_style():
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, metadata=metadata.get(fmt, {}))
            paths[fmt] = path
    return paths


def _text_color(value: float, vmax: float) -> str:
    return "white" if vmax > 0 and value / vmax > 0.6 else "#222222"


def _heatmap(ax, data: np.ndarray, *, vmax: float | None = None, cmap: str = SEQUENTIAL_CMAP, bad: str = "#eeeeee"):
    plt = _pyplot()
    masked = np.ma.masked_invalid(data.astype(float))
    cm = plt.get_cmap(cmap).with_extremes(bad=bad)
    vmax = vmax if vmax is not None else (np.nanmax(data) if np.isfinite(data).any() else 1.0)
    im = ax.imshow(masked, cmap=cm, vmin=0, vmax=vmax if vmax > 0 else 1.0, aspect="auto")
    ax.set_xticks(np.arange(data.shape[1]))
    ax.set_yticks(np.arange(data.shape[0]))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, data.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, data.shape[0]), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="minor", length=0)
    return im


def _colorbar(fig, im, ax, label: str, shrink: float = 0.8):
    """A colorbar with integer ticks written the French way (no decimal point)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    cb = fig.colorbar(im, ax=ax, shrink=shrink, pad=0.02)
    cb.set_label(label)
    cb.outline.set_visible(False)
    cb.locator = MaxNLocator(integer=True)
    cb.formatter = FuncFormatter(lambda v, _: f"{v:g}".replace(".", ","))
    cb.update_ticks()
    return cb


# --------------------------------------------------------------------------- what each role retains


def plot_principles_by_role(
    shares: pd.DataFrame,
    *,
    title: str | None = "Ce que chaque catégorie retient",
    xlabel: str = "Principe mentionné",
) -> Any:
    """Heatmap roles x principles of the share of respondents mentioning each principle
    (:func:`synthesise.principle_shares` by role). Cells: « 60 % » and « 3/5 »; the ``ensemble``
    row, when present, comes last below a line."""
    plt = _pyplot()
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
        im = _heatmap(ax, data, vmax=vmax)
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, f"{percent_fr(data[i, j] / 100)}\n{int(k.iat[i, j])}/{int(n.iat[i])}", ha="center",
                            va="center", fontsize=6.5, color=_text_color(data[i, j], vmax))
        ax.set_xticklabels([textwrap.fill(str(lbl), 12, break_long_words=False) for lbl in labels])
        ax.set_yticklabels([f"{_role_label(r)}\n(n = {int(n[r])})" for r in roles])
        if ALL_RESPONDENTS in roles and len(roles) > 1:
            ax.axhline(roles.index(ALL_RESPONDENTS) - 0.5, color="#222222", linewidth=1.0)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Catégorie d'acteurs")
        _colorbar(fig, im, ax, "Part des répondant·es (%)", shrink=0.8)
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
    (:func:`synthesise.principle_shares` with ``by``): one panel per principle (shared axes), the
    share as a line and its Wilson 95 % interval as a band. Undated groups are left out."""
    plt = _pyplot()
    data = shares[~shares[by].isin(["", UNKNOWN_YEAR, ALL_RESPONDENTS])]
    groups = sorted(data[by].unique())
    codes = list(dict.fromkeys(data["code"]))
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
    """Heatmap roles x outcomes (:func:`synthesise.outcomes_by_role`): share and number of each
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

    plt = _pyplot()
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

    plt = _pyplot()
    wide = matrix_wide(matrix, "respondents")
    withheld = matrix_wide(matrix, "withheld")
    segs = matrix_wide(matrix, "segments")
    data = wide.to_numpy(dtype=float)
    with house_style():
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.3, 0.5 * len(wide) + 1.5))
        im = _heatmap(ax, data)
        vmax = np.nanmax(data) if np.isfinite(data).any() else 1
        for i, fr in enumerate(wide.index):
            for j, to in enumerate(wide.columns):
                v = data[i, j]
                if not np.isfinite(v):
                    ax.text(j, i, "—", ha="center", va="center", color="#888888")
                    continue
                hidden = bool(withheld.iat[i, j])
                ax.text(j, i, f"{int(v)}\n({int(segs.iat[i, j])} seg.)", ha="center", va="center", fontsize=6.5,
                        color="#222222" if hidden else _text_color(v, vmax),
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85} if hidden else None)
                if hidden:
                    ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="////", edgecolor="#999999",
                                           linewidth=0, gid=f"withheld:{fr}->{to}"))
        ax.set_xticklabels([_role_label(r, short=True) for r in wide.columns])
        ax.set_yticklabels([_role_label(r, short=True) for r in wide.index])
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("… attendent quelque chose de")
        ax.set_ylabel("Les répondant·es de la catégorie…")
        _colorbar(fig, im, ax, "Répondant·es", shrink=0.8)
        fig.supxlabel(f"Hachuré : moins de {k} répondant·es, citations masquées. « seg. » : segments. « — » : non calculé.",
                      fontsize=6, color="#444444", x=0.02, ha="left")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
    return fig


# --------------------------------------------------------------------------- programme


def plot_programme_timeline(sessions: pd.DataFrame, *, title: str | None = "Le programme : sessions et participant·es") -> Any:
    """Sessions on a time axis (:func:`synthesise.session_indicators`), one bar per dated session
    with its number of participants and territories written above."""
    import matplotlib.dates as mdates

    plt = _pyplot()
    d = sessions[sessions["session"] != ""].copy()
    d["date"] = pd.to_datetime(d["session"], errors="coerce")
    d = d.dropna(subset=["date"]).sort_values("date")
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
    (:func:`synthesise.code_cooccurrence`): number of responses with both codes, the diagonal
    holding the responses with the code."""
    from matplotlib.patches import Rectangle

    plt = _pyplot()
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
        im = _heatmap(ax, data, vmax=max(vmax, 1), bad="white")
        for i in range(len(codes)):
            ax.add_patch(Rectangle((i - 0.5, i - 0.5), 1, 1, facecolor="#e6e6e6", edgecolor="white", linewidth=1.2))
            ax.text(i, i, f"{int(diagonal[i])}", ha="center", va="center", fontsize=6.5, color="#222222", fontweight="bold")
            for j in range(i):
                ax.text(j, i, f"{int(data[i, j])}", ha="center", va="center", fontsize=6.5, color=_text_color(data[i, j], vmax))
        ax.set_xticklabels([textwrap.fill(str(lbl), 14, break_long_words=False) for lbl in labels], rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticklabels([str(lbl) for lbl in labels])
        _colorbar(fig, im, ax, "Réponses avec les deux codes", shrink=0.7)
        fig.supxlabel("Diagonale (gris) : réponses portant le code.", fontsize=6, color="#444444", x=0.02, ha="left")
        if title:
            ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- ingestion (issue 2)


def plot_answers(table: pd.DataFrame, *, by: str = "session", title: str | None = None) -> Any:
    """Horizontal bars of answers (and respondents written beside) by ``session``, ``role`` or
    ``question`` (tables :func:`synthesise.answers_by_session`, ``answers_by_role``,
    ``answers_by_question``)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    if by == "session":
        labels = [date_fr(s) for s in table["session"]]
        default_title, ylabel = "Réponses par session", "Session"
    elif by == "role":
        labels = [_role_label(r) for r in table["role"]]
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
    ``close=False``), else {name: Figure}. A figure whose table is empty is skipped (logged)."""
    plt = _pyplot()
    out: dict[str, Any] = {}
    for name, (func, table, kwargs) in FIGURES.items():
        df = tables.get(table)
        if df is None or df.empty:
            log.info("figure %s non dessinée : table %s vide", name, table)
            continue
        if func == "plot_expectations_heatmap":
            kwargs = {**kwargs, "k": k}
        fig = globals()[func](df, **kwargs)
        if out_dir is None:
            out[name] = fig
            continue
        out[name] = save_figure(fig, name, out_dir, formats=formats)
        if close:
            plt.close(fig)
    return out
