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
from ..core import schema
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


QUALITY_TABLE = "qualite_codage"
QUALITY_TITLE_FR = "Machine contre codage humain"
_QUALITY_CODERS = ("rules", "model", "combined")


def quality_section(run_info: Mapping[str, Any] | None, labels: Mapping[str, str]) -> pd.DataFrame | None:
    """run.json's measured quality as one row per code: reference positives, then precision and
    recall of the rules, the learnt model and their combination (None when nothing was measured)."""
    quality = (run_info or {}).get("quality") or {}
    scores = pd.DataFrame(quality.get("scores") or [])
    if scores.empty:
        return None
    scores = scores[~scores["code"].isin(["__micro__"])]
    wide = scores.pivot_table(index="code", columns="coder", values=["precision", "recall"], aggfunc="first")
    out = pd.DataFrame(index=wide.index)
    support = scores.drop_duplicates("code").set_index("code")["support"]
    out["support"] = support.reindex(out.index).astype(int)
    for coder in _QUALITY_CODERS:
        for metric in ("precision", "recall"):
            if (metric, coder) in wide.columns:
                out[f"{coder}_{metric}"] = wide[(metric, coder)].astype(float)
    order = list(dict.fromkeys(scores["code"]))
    out = out.loc[[c for c in order if c in out.index]].reset_index()
    family = {"__principles__": "Principes (ensemble)", "__actors__": "Acteurs (ensemble)"}
    out.insert(1, "label", [family.get(c, labels.get(c, c)) for c in out["code"]])
    return out


def machine_basis(codings: pd.DataFrame, responses: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """For each code: the respondents it is counted for (non-negated codings) and how many of them
    rest on a human coding, on the rules, or on the learnt model alone."""
    c = codings[~schema.parse_bool(codings["negated"])]
    c = c[c["code"].isin(schema.PRINCIPLES + schema.ACTOR_CODES + schema.OUTCOME_CODES)]
    who = responses.set_index("response_id")["respondent_id"]
    c = c.assign(respondent=c["response_id"].map(who))
    rows = []
    for code in [x for x in schema.PRINCIPLES + schema.ACTOR_CODES + schema.OUTCOME_CODES if x in set(c["code"])]:
        g = c[c["code"] == code].groupby("respondent")["source"].agg(set)
        human = int(sum(schema.SOURCE_HUMAN in s for s in g))
        rules = int(sum(schema.SOURCE_HUMAN not in s and schema.SOURCE_RULE in s for s in g))
        rows.append({"code": code, "label": labels.get(code, code), "respondents": int(len(g)), "human": human,
                     "rules": rules, "model_only": int(len(g)) - human - rules})
    return pd.DataFrame(rows, columns=["code", "label", "respondents", "human", "rules", "model_only"])


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
    quality = quality_section(tables.run_info, labels)
    basis = machine_basis(tables.codings, tables.responses, labels)
    titles = dict(TABLE_TITLES_FR)
    xlsx_tables = dict(synth)
    if quality is not None:
        table_paths.update(write_tables({QUALITY_TABLE: quality}, out / "tables"))
        xlsx_tables[QUALITY_TABLE] = quality
        titles[QUALITY_TABLE] = QUALITY_TITLE_FR
    if agreement is not None:
        fig = plot_alpha(agreement, labels=labels)
        fig_paths[AGREEMENT_FIGURE] = save_figure(fig, AGREEMENT_FIGURE, out / "figures", formats=figure_formats)
        plt.close(fig)
        table_paths.update(write_tables({AGREEMENT_TABLE: agreement}, out / "tables"))
        xlsx_tables[AGREEMENT_TABLE] = agreement
        titles[AGREEMENT_TABLE] = AGREEMENT_TITLE_FR
    xlsx = write_xlsx(xlsx_tables, out / XLSX_NAME, titles=titles)
    nb_results: list[dict[str, Any]] = []
    if notebooks:
        params = {"TABLES_DIR": str((out / "tables").resolve()), "FIGURES_DIR": str((out / "figures").resolve()),
                  "REPORT_DIR": str(out.resolve()), "K": int(k), "SESSIONS": list(sessions or [])}
        params.update(notebook_parameters or {})
        nb_results = run_notebooks(out, params, notebooks_dir=notebooks_dir, only=notebooks_only)
    html = render_html(synth, out / "figures", k=k, agreement=agreement, quality=quality, basis=basis,
                       notebooks=nb_results,
                       run_info=tables.run_info, summary=tables.summary, sessions=sessions, sample=sample,
                       self_note=self_expectations_note(tables.expectations, tables.responses), labels=labels)
    html_path = out / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    log.info("rapport écrit : %s", html_path)
    return ReportResult(out, html_path, xlsx, table_paths, fig_paths, nb_results, synth)
