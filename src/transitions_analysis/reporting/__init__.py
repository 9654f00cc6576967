"""Report stage: coded tables -> synthesis tables, figures, ``synthese.html``, ``synthese.xlsx``.

:func:`build_report` writes under its output folder:

- ``synthese.html``: the one-pager for partners (figures embedded as PNG, no other file needed;
  :mod:`.html`);
- ``synthese.xlsx``: every table, one sheet each (French sheet names and headers, number formats;
  :mod:`.xlsx`);
- ``tables/*.csv``: every table, machine-readable (column names of ``docs/synthesis.md``, ``,``,
  decimal point): what notebooks and scripts read;
- ``tableur/*.csv``: the same tables for a French spreadsheet opened by double-click (French
  headers, ``;``, decimal comma, UTF-8 with BOM; :mod:`.spreadsheet`);
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
from ..agreement import ALL_CODES, agreement_table, read_codings
from ..core import schema
from ..core.io import CodedTables, refuse_raw
from ..core.labels import ALL_CODES_FR, ROLE_LABELS_FR
from ..core.schema import ALL_ROLES
from ..lexicometry import lemmas_of_segments
from ..lexicometry.synthesis import TABLE_TITLES_FR as LEXICAL_TITLES_FR
from ..lexicometry.synthesis import LexicalSynthesis, lexical_synthesis
from ..plots import (
    draw_figures,
    plot_alpha,
    plot_ca_biplot,
    plot_class_profiles,
    plot_specificities_by_part,
    save_figure,
)
from ..synthesis import TABLE_TITLES_FR, code_labels, select_sessions, self_expectations_note, synthesise, write_tables
from .html import html_table, render_html
from .notebooks import current_python_kernel, notebook_paths, run_notebooks
from .spreadsheet import FRENCH_CSV_DIR, spreadsheet_view, write_french_csvs
from .xlsx import write_xlsx

log = logging.getLogger(__name__)

HTML_NAME = "synthese.html"
XLSX_NAME = "synthese.xlsx"
AGREEMENT_FIGURE = "accord_codeurs"
AGREEMENT_TABLE = "accord_codeurs"
AGREEMENT_TITLE_FR = "Accord entre codeurs"
LEXICAL_FIGURES = ("lexique_specificites", "lexique_classes", "lexique_afc")

__all__ = [
    "FRENCH_CSV_DIR",
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
    "spreadsheet_view",
    "write_french_csvs",
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
    french_tables: dict[str, Path] = field(default_factory=dict)


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


QUALITY_TABLE = "qualite_codage"
QUALITY_TITLE_FR = "Machine contre codage humain"
_QUALITY_CODERS = ("rules", "model", "combined")


def quality_section(run_info: Mapping[str, Any] | None, labels: Mapping[str, str]) -> pd.DataFrame | None:
    """run.json's measured quality as one row per code: reference positives, then precision and
    recall of the rules, the learnt model and their combination (None when nothing was measured);
    no precision (NaN, an empty cell) where a coder never gave the code."""
    quality = (run_info or {}).get("quality") or {}
    scores = pd.DataFrame(quality.get("scores") or [])
    if scores.empty:
        return None
    scores = scores[~scores["code"].isin(["__micro__"])]
    if "predicted" in scores.columns:  # a coder that never gives the code (abstains) has no precision
        scores = scores.assign(precision=scores["precision"].where(scores["predicted"] > 0))
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
    lexicometry: bool = True,
    cache_dir: str | Path | None = config.CACHE_DIR,
) -> ReportResult:
    """Synthesis, tables, XLSX, figures, HTML (and notebooks) of coded ``tables`` under ``out_dir``.

    ``human_codings``: the human double coding (path or frame) for the agreement section.
    ``notebook_parameters``: values injected into the notebooks (only those a notebook declares).
    ``lexicometry``: add the lexicometry section (lemmas from the parse cache under ``cache_dir``).
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
        # people read « Ensemble des codes » where the machine-readable table has its code ALL_CODES
        xlsx_tables[AGREEMENT_TABLE] = agreement.assign(
            code=agreement["code"].replace({ALL_CODES: ALL_CODES_FR}))
        titles[AGREEMENT_TABLE] = AGREEMENT_TITLE_FR
    lexical = None
    if lexicometry:
        lexical = lexical_section(tables, k=k, cache_dir=cache_dir)
        table_paths.update(write_tables(lexical.tables, out / "tables"))
        xlsx_tables.update(lexical.tables)
        titles.update(LEXICAL_TITLES_FR)
        fig_paths.update(lexical_figures(lexical, out / "figures", formats=figure_formats))
    xlsx = write_xlsx({name: _xlsx_safe(df) for name, df in xlsx_tables.items()}, out / XLSX_NAME, titles=titles)
    french_tables = write_french_csvs(xlsx_tables, out / FRENCH_CSV_DIR)
    nb_results: list[dict[str, Any]] = []
    if notebooks:
        params = {"TABLES_DIR": str((out / "tables").resolve()), "FIGURES_DIR": str((out / "figures").resolve()),
                  "REPORT_DIR": str(out.resolve()), "K": int(k), "SESSIONS": list(sessions or [])}
        params.update(notebook_parameters or {})
        nb_results = run_notebooks(out, params, notebooks_dir=notebooks_dir, only=notebooks_only)
    html = render_html(synth, out / "figures", k=k, agreement=agreement, quality=quality, basis=basis,
                       notebooks=nb_results,
                       run_info=tables.run_info, summary=tables.summary, sessions=sessions, sample=sample,
                       self_note=self_expectations_note(tables.expectations, tables.responses), labels=labels,
                       lexical=lexical)
    html_path = out / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    log.debug("rapport écrit : %s", html_path)  # report_inputs logs the final path
    return ReportResult(out, html_path, xlsx, table_paths, fig_paths, nb_results, synth, french_tables)


def lexical_section(tables: CodedTables, *, k: int, cache_dir: str | Path | None = config.CACHE_DIR) -> LexicalSynthesis:
    """The lexicometry of the report: lemmas of the segments (from the parse cache), then
    :func:`~transitions_analysis.lexicometry.synthesis.lexical_synthesis`."""
    lemmas = lemmas_of_segments(tables.responses, tables.segments, cache_dir=cache_dir)
    return lexical_synthesis(tables.responses, tables.segments, tables.codings, lemmas, k=k)


def lexical_figures(lexical: LexicalSynthesis, out_dir: Path, *, formats: Sequence[str]) -> dict[str, dict[str, Path]]:
    """The lexicometry figures that the data allow (specificities by role, class profiles, CA)."""
    import matplotlib.pyplot as plt

    figures = {}
    if lexical.specificities is not None:
        figures["lexique_specificites"] = plot_specificities_by_part(
            lexical.specificities, parts=list(ALL_ROLES), labels=ROLE_LABELS_FR, n=6)
    if lexical.reinert is not None and lexical.characteristic is not None and len(lexical.tables["classes_lexicales"]):
        import pandas as pd

        figures["lexique_classes"] = plot_class_profiles(lexical.characteristic,
                                                         sizes=pd.Series(lexical.reinert.classes).value_counts(), n=6)
    if lexical.ca is not None:
        figures["lexique_afc"] = plot_ca_biplot(lexical.ca, n_row_labels=25, column_name="catégories",
                                                  column_labels=ROLE_LABELS_FR)
    paths = {}
    for name, fig in figures.items():
        paths[name] = save_figure(fig, name, out_dir, formats=formats)
        plt.close(fig)
    return paths
