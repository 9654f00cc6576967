"""Report stage: coded tables -> synthesis tables, figures, ``synthese.html``, ``synthese.xlsx``.

:func:`build_report` writes under its output folder:

- ``synthese.html``: the one-pager for partners (figures embedded as PNG, no other file needed;
  :mod:`.html`);
- ``synthese.xlsx``: every table, one sheet each (French sheet names and headers; :mod:`.xlsx`);
- ``tables/*.csv``: every table (column names of ``docs/synthesis.md``);
- ``figures/*.svg|pdf|png``;
- with ``notebooks=True``: every ``notebooks/NN-*.py`` executed headless and exported as
  ``NN-*.html`` (:mod:`.notebooks`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..agreement import agreement_table, read_codings
from ..core.io import CodedTables, refuse_raw
from ..plots import draw_figures, plot_alpha, save_figure
from ..synthesis import TABLE_TITLES_FR, code_labels, select_sessions, self_expectations_note, synthesise, write_tables
from .html import html_table, render_html
from .notebooks import current_python_kernel, notebook_paths, run_notebooks
from .xlsx import write_xlsx

log = logging.getLogger(__name__)

HTML_NAME = "synthese.html"
XLSX_NAME = "synthese.xlsx"
AGREEMENT_FIGURE = "accord_codeurs"
AGREEMENT_TABLE = "accord_codeurs"
AGREEMENT_TITLE_FR = "Accord entre codeurs"

__all__ = [
    "HTML_NAME",
    "XLSX_NAME",
    "ReportResult",
    "agreement_section",
    "build_report",
    "current_python_kernel",
    "html_table",
    "notebook_paths",
    "render_html",
    "run_notebooks",
    "write_xlsx",
]


@dataclass
class ReportResult:
    """Paths written by :func:`build_report` and the synthesis tables."""

    out_dir: Path
    html: Path
    xlsx: Path
    tables: dict[str, Path]
    figures: dict[str, dict[str, Path]]
    notebooks: list[dict[str, Any]] = field(default_factory=list)
    synthesis: dict[str, pd.DataFrame] = field(default_factory=dict)


def agreement_section(
    human_codings: pd.DataFrame | str | Path | None,
    response_ids: Iterable[str] | None = None,
    *,
    n_boot: int = 1000,
) -> pd.DataFrame | None:
    """Agreement table of the human double coding restricted to ``response_ids``; None when there
    is no coding or fewer than two coders on shared units."""
    if human_codings is None:
        return None
    codings = read_codings(human_codings) if isinstance(human_codings, (str, Path)) else human_codings
    if response_ids is not None and "response_id" in codings.columns:
        codings = codings[codings["response_id"].astype(str).isin(set(map(str, response_ids)))]
    if codings.empty or codings["coder"].nunique() < 2:
        log.info("pas de double codage humain pour ces réponses : section « fiabilité » omise")
        return None
    table = agreement_table(codings, n_boot=n_boot)
    if table.empty or int(table["n_units"].max() or 0) == 0:
        return None
    return table


def _xlsx_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` without the control characters a spreadsheet cell cannot hold (openpyxl refuses
    them): a text imported from another tool, or a coded folder written elsewhere, may have some."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text:
        return df
    out = df.copy()
    for c in text:
        out[c] = out[c].map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
    return out


def build_report(
    tables: CodedTables,
    out_dir: str | Path,
    *,
    k: int = config.MIN_GROUP_SIZE,
    sessions: Sequence[str] | None = None,
    human_codings: pd.DataFrame | str | Path | None = None,
    codebook: Any = None,
    notebooks: bool = False,
    notebook_parameters: Mapping[str, Any] | None = None,
    notebooks_dir: str | Path = config.NOTEBOOKS_DIR,
    notebooks_only: Sequence[str] | None = None,
    n_boot: int = 1000,
    sample: bool = False,
    figure_formats: Sequence[str] = ("svg", "pdf", "png"),
) -> ReportResult:
    """Synthesis, tables, XLSX, figures, HTML (and notebooks) of coded ``tables`` under ``out_dir``.

    ``human_codings``: the human double coding (path or frame) for the agreement section.
    ``notebook_parameters``: values injected into the notebooks (only those a notebook declares).
    """
    import matplotlib.pyplot as plt

    out = refuse_raw(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if "png" not in figure_formats:
        raise ValueError("le rapport HTML a besoin des figures PNG")
    tables = select_sessions(tables.validated(), sessions)
    labels = code_labels(codebook)
    synth = synthesise(tables, k=k, labels=labels)
    table_paths = write_tables(synth, out / "tables")
    fig_paths = draw_figures(synth, out / "figures", k=k, formats=figure_formats)
    agreement = agreement_section(human_codings, tables.responses["response_id"], n_boot=n_boot)
    titles = dict(TABLE_TITLES_FR)
    xlsx_tables = dict(synth)
    if agreement is not None:
        fig = plot_alpha(agreement, labels=labels)
        fig_paths[AGREEMENT_FIGURE] = save_figure(fig, AGREEMENT_FIGURE, out / "figures", formats=figure_formats)
        plt.close(fig)
        table_paths.update(write_tables({AGREEMENT_TABLE: agreement}, out / "tables"))
        xlsx_tables[AGREEMENT_TABLE] = agreement
        titles[AGREEMENT_TABLE] = AGREEMENT_TITLE_FR
    xlsx = write_xlsx({name: _xlsx_safe(df) for name, df in xlsx_tables.items()}, out / XLSX_NAME, titles=titles)
    nb_results: list[dict[str, Any]] = []
    if notebooks:
        params = {"TABLES_DIR": str((out / "tables").resolve()), "FIGURES_DIR": str((out / "figures").resolve()),
                  "REPORT_DIR": str(out.resolve()), "K": int(k), "SESSIONS": list(sessions or [])}
        params.update(notebook_parameters or {})
        nb_results = run_notebooks(out, params, notebooks_dir=notebooks_dir, only=notebooks_only)
    html = render_html(synth, out / "figures", k=k, agreement=agreement, notebooks=nb_results,
                       run_info=tables.run_info, summary=tables.summary, sessions=sessions, sample=sample,
                       self_note=self_expectations_note(tables.expectations, tables.responses), labels=labels)
    html_path = out / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    log.info("rapport écrit : %s", html_path)
    return ReportResult(out, html_path, xlsx, table_paths, fig_paths, nb_results, synth)
