"""The reliability figure: Krippendorff's alpha per code with its bootstrap interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..agreement import ALL_CODES, ALPHA_THRESHOLDS
from ..core.labels import PRINCIPLE_LABELS_FR, number_fr
from ..synthesis import code_labels
from .style import DOUBLE_WIDTH, OKABE_ITO, house_style, pyplot


def plot_alpha(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = "Fiabilité du codage : accord entre codeurs par code",
) -> Any:
    """Krippendorff's alpha per code (:func:`~transitions_analysis.agreement.agreement_table`)
    with its bootstrap interval (error bars) and reference lines at 0.667 and 0.80; codes whose
    alpha is undefined are marked « non défini ». ``labels``: code -> French label (default: the
    shipped codebook's). Returns the Figure (house style)."""
    plt = pyplot()
    labels = labels if labels is not None else code_labels()
    data = table.iloc[::-1].reset_index(drop=True)
    names = [
        "Ensemble" if c == ALL_CODES else labels.get(c, PRINCIPLE_LABELS_FR.get(c, c))
        for c in data["code"]
    ]
    y = np.arange(len(data))
    alpha = data["krippendorff_alpha"].to_numpy(dtype=float)
    low = data["alpha_ci_low"].to_numpy(dtype=float)
    high = data["alpha_ci_high"].to_numpy(dtype=float)
    err = np.vstack([np.where(np.isfinite(low), alpha - low, 0), np.where(np.isfinite(high), high - alpha, 0)])
    ok = np.isfinite(alpha)
    with house_style():
        fig, ax = plt.subplots(figsize=(DOUBLE_WIDTH * 0.8, 0.26 * len(data) + 1.5))
        ax.errorbar(alpha[ok], y[ok], xerr=err[:, ok], fmt="o", color=OKABE_ITO["blue"],
                    ecolor=OKABE_ITO["sky_blue"], capsize=2, markersize=4, label="α (IC à 95 %)")
        for yi in y[~ok]:
            ax.text(0.02, yi, "non défini (aucune variation)", va="center", fontsize=7, color="#666666",
                    transform=ax.get_yaxis_transform())
        ax.axvline(ALPHA_THRESHOLDS[0], color=OKABE_ITO["orange"], ls="--", lw=1,
                   label=f"{number_fr(ALPHA_THRESHOLDS[0], 3)} : conclusions provisoires")
        ax.axvline(ALPHA_THRESHOLDS[1], color=OKABE_ITO["bluish_green"], ls="--", lw=1,
                   label=f"{number_fr(ALPHA_THRESHOLDS[1], 2)} : codage fiable")
        ax.axvline(0, color="#999999", lw=0.8)
        ax.set_yticks(y, names)
        lo = np.nanmin(np.r_[low[np.isfinite(low)], alpha[ok], 0.0]) if ok.any() else 0.0
        ax.set_xlim(min(-0.05, lo - 0.05), 1.02)
        ax.xaxis.set_major_formatter(lambda v, _: number_fr(v, 1))
        ax.set_xlabel("α de Krippendorff (nominal), intervalle de confiance bootstrap")
        if title:
            fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=3, frameon=False)
    return fig
