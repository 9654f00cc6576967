"""Figures stage: publication figures in one house style, French labels, SVG, PDF and 300 dpi PNG.

Every ``plot_*`` function takes a synthesis table (see :mod:`transitions_analysis.synthesis`)
and returns a matplotlib ``Figure``; notebooks, tests and the report call the same functions.

- :mod:`.style` - the house style, palettes, :func:`save_figure`;
- :mod:`.charts` - the synthesis figures and :func:`draw_figures`;
- :mod:`.agreement` - the reliability figure;
- :mod:`.lexicometry` - specificities, class profiles, CA biplot, dendrogram.
"""

from .agreement import plot_alpha
from .charts import (
    FIGURES,
    draw_figures,
    plot_answers,
    plot_cooccurrence,
    plot_expectations_diagram,
    plot_expectations_heatmap,
    plot_outcomes_by_role,
    plot_principles_by_group,
    plot_principles_by_role,
    plot_programme_timeline,
)
from .lexicometry import (
    plot_ca_biplot,
    plot_class_profiles,
    plot_dendrogram,
    plot_specificities,
    plot_specificities_by_part,
)
from .style import COLUMN_WIDTH, DOUBLE_WIDTH, FORMATS, house_style, save_figure

__all__ = [
    "COLUMN_WIDTH",
    "DOUBLE_WIDTH",
    "FIGURES",
    "FORMATS",
    "draw_figures",
    "house_style",
    "plot_alpha",
    "plot_answers",
    "plot_ca_biplot",
    "plot_class_profiles",
    "plot_dendrogram",
    "plot_specificities",
    "plot_specificities_by_part",
    "plot_cooccurrence",
    "plot_expectations_diagram",
    "plot_expectations_heatmap",
    "plot_outcomes_by_role",
    "plot_principles_by_group",
    "plot_principles_by_role",
    "plot_programme_timeline",
    "save_figure",
]
