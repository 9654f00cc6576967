"""The house style of every figure: DejaVu Sans, 7-9 pt text, Okabe-Ito colours, widths of a
journal column (8.5 cm or 17.5 cm), French number formats; :func:`save_figure` writes SVG, PDF
and 300 dpi PNG deterministically (no date in the files, fixed SVG ids)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import config
from ..core.io import refuse_raw
from ..core.labels import ROLE_LABELS_FR

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


def pyplot():
    import matplotlib.pyplot as plt

    return plt


def role_label(role: str, short: bool = False) -> str:
    """French label of a role for an axis or a node (``ensemble`` -> « Ensemble »)."""
    if role == "ensemble":
        return "Ensemble"
    return (ROLE_SHORT_FR if short else ROLE_LABELS_FR).get(role, role)


def save_figure(fig: Any, name: str, out_dir: str | Path, *, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Write ``fig`` as ``<out_dir>/<name>.<fmt>`` for each format (SVG, PDF, 300 dpi PNG by default).

    Deterministic: fixed SVG hash salt and no dates in the metadata (the same figure gives the same
    bytes). Returns {format: path}.
    """
    out = refuse_raw(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}, "png": {}}
    paths = {}
    with house_style():
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, metadata=metadata.get(fmt, {}))
            paths[fmt] = path
    return paths


def text_color(value: float, vmax: float) -> str:
    return "white" if vmax > 0 and value / vmax > 0.6 else "#222222"


def heatmap(ax, data: np.ndarray, *, vmax: float | None = None, cmap: str = SEQUENTIAL_CMAP, bad: str = "#eeeeee"):
    plt = pyplot()
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


def colorbar(fig, im, ax, label: str, shrink: float = 0.8):
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
