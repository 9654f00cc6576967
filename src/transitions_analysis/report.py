"""The report: from raw exports (or a coded folder) to a French one-page synthesis.

``transitions-analysis report INPUT... --out DIR`` runs ingest -> code -> synthesis -> figures
and writes under ``DIR``:

- ``synthese.html``: the one-pager for partners (figures embedded as PNG, no other file needed);
- ``synthese.xlsx``: every table, one sheet each (French sheet names and column headers);
- ``tables/*.csv``: every table (column names of ``docs/synthesis.md``);
- ``figures/*.svg|pdf|png``;
- with ``--notebooks``: every ``notebooks/NN-*.py`` executed headless (papermill, parameters
  pointing at the produced tables, kernel = the running Python) and exported as ``DIR/NN-*.html``.

The coded tables (responses, rejected, segments, codings, expectations .csv, run.json,
ingest_summary.json) go to ``DIR/data/code/``; when ``DIR`` is the default reports folder they go
to ``config.PROCESSED_DIR / "code"`` (``data/processed/code``) instead, where the notebooks look by
default (regenerable: ``make report`` rewrites it). What the notebooks write during a report run
(ingestion, learnt model, disagreements) goes beside it (``ingest/``, ``models/``, ``agreement/``). ``data/raw/`` is never written. When INPUT is a single coded folder
(responses.csv, segments.csv, codings.csv, expectations.csv), ingestion and coding are skipped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__, config
from .errors import InputError

log = logging.getLogger(__name__)

TEMPLATES_DIR = config.PACKAGE_DATA_DIR / "templates"
HTML_NAME = "synthese.html"
XLSX_NAME = "synthese.xlsx"
KERNEL_NAME = "transitions-analysis-python"
SCREEN_SCALE = 1.4  # figures are drawn at print size; on screen they are shown 1.4 times larger
AGREEMENT_FIGURE = "accord_codeurs"
AGREEMENT_TABLE = "accord_codeurs"
AGREEMENT_TITLE_FR = "Accord entre codeurs"

#: French column headers for the XLSX sheets and the HTML tables.
COLUMN_LABELS_FR: dict[str, str] = {
    "year": "Année", "sessions": "Sessions", "territories": "Territoires", "participants": "Participant·es",
    "responses": "Réponses", "mean_participants_per_session": "Participant·es par session (moyenne)",
    "session": "Session", "session_label": "Session", "roles": "Participant·es par rôle",
    "role": "Rôle", "role_label": "Catégorie", "group_label": "Groupe", "code": "Code", "label": "Libellé",
    "respondents": "Répondant·es", "mentioning": "Mentionnent", "share": "Part", "ci_low": "IC 95 % bas",
    "ci_high": "IC 95 % haut", "test": "Test", "table": "Table testée", "n": "Effectif", "rows": "Lignes",
    "cols": "Colonnes", "chi2": "Khi-deux", "dof": "ddl", "p_value": "p", "cramers_v": "V de Cramér",
    "min_expected": "Effectif attendu minimal", "share_small_expected": "Part des cases attendues < 5",
    "small_expected": "Effectifs faibles", "warning": "Avertissement", "from_role": "Rôle (qui attend)",
    "to_role": "Rôle (de qui)", "from_label": "Qui attend", "to_label": "De qui", "segments": "Passages",
    "principles": "Principes dominants (codes)", "principles_fr": "Principes dominants", "withheld": "Citations masquées",
    "quote_1": "Citation 1", "quote_2": "Citation 2", "quote_3": "Citation 3", "quote_segments": "Passages cités",
    "note": "Note", "questions": "Questions", "top_codes": "Codes les plus cités (codes)",
    "top_codes_fr": "Codes les plus cités", "code_a": "Code A", "code_b": "Code B", "label_a": "Libellé A",
    "label_b": "Libellé B", "n_both": "Réponses avec les deux", "n_a": "Réponses avec A", "n_b": "Réponses avec B",
    "jaccard": "Jaccard", "answers": "Réponses", "files": "Fichiers", "question_id": "Identifiant de question",
    "question": "Question", "reason": "Motif (code)", "reason_fr": "Motif", "rejected": "Écartées",
    "role_raw": "Libellé écrit", "n_units": "Unités", "n_coders": "Codeurs", "percent_agreement": "Accord observé",
    "krippendorff_alpha": "α de Krippendorff", "alpha_ci_low": "α IC bas", "alpha_ci_high": "α IC haut",
    "fleiss_kappa": "κ de Fleiss", "cohen_kappa": "κ de Cohen",
}


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


# --------------------------------------------------------------------------- formatting helpers


def _fmt_number(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not pd.notna(value)):
        return ""
    if isinstance(value, (bool,)):
        return "oui" if value else "non"
    if isinstance(value, float) and abs(value) < 0.5 * 10 ** -digits:
        value = 0.0  # no « -0,00 »
    if isinstance(value, (int,)) or (isinstance(value, float) and digits == 0):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def _fmt_cell(column: str, value: Any) -> str:
    from .synthesise import percent_fr

    if isinstance(value, bool) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")) == "bool"):
        return "oui" if bool(value) else "non"
    if column in ("share", "ci_low", "ci_high", "share_small_expected", "percent_agreement"):
        return percent_fr(float(value)) if pd.notna(value) else ""
    if column == "p_value":
        return "" if pd.isna(value) else ("< 0,001" if value < 0.001 else _fmt_number(float(value), 3))
    if column in ("chi2", "cramers_v", "min_expected", "jaccard", "krippendorff_alpha", "alpha_ci_low",
                  "alpha_ci_high", "fleiss_kappa", "cohen_kappa", "mean_participants_per_session"):
        return _fmt_number(float(value), 1 if column in ("mean_participants_per_session", "min_expected", "chi2") else 2) if pd.notna(value) else ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _fmt_number(value)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def html_table(df: pd.DataFrame, columns: Sequence[str], *, headers: Mapping[str, str] | None = None) -> str:
    """A small HTML table of ``columns`` of ``df`` with French headers and French number formats."""
    from markupsafe import Markup, escape

    if df is None or df.empty:
        return Markup("")
    headers = {**COLUMN_LABELS_FR, **(headers or {})}
    numeric = {c for c in columns if c in df.columns and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])}
    head = "".join(f'<th class="{"num" if c in numeric else ""}">{escape(headers.get(c, c))}</th>' for c in columns)
    rows = []
    for rec in df[list(columns)].itertuples(index=False):
        cells = "".join(f'<td class="{"num" if c in numeric else ""}">{escape(_fmt_cell(c, v))}</td>' for c, v in zip(columns, rec))
        rows.append(f"<tr>{cells}</tr>")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path, *, titles: Mapping[str, str]) -> Path:
    """One sheet per table, named by its French title (<= 31 characters), French column headers."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for stem, df in tables.items():
            name = _sheet_name(titles.get(stem, stem), used)
            df.rename(columns=COLUMN_LABELS_FR).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, col in enumerate(df.columns, start=1):
                width = min(60, max(10, len(COLUMN_LABELS_FR.get(col, col)) + 2,
                                    int(df[col].astype(str).str.len().quantile(0.9)) + 2 if len(df) else 0))
                sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width
            sheet.freeze_panes = "A2"
    _make_xlsx_deterministic(path)
    return path


_XLSX_FIXED_DATE = "2021-01-01T00:00:00Z"


def _make_xlsx_deterministic(path: Path) -> None:
    """Rewrite an openpyxl workbook so that the same tables give the same bytes: openpyxl stamps
    the save time into docProps/core.xml and into every zip entry."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = stamp.sub(rb"\g<1>" + _XLSX_FIXED_DATE.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31]
    base, i = name, 2
    while name in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# --------------------------------------------------------------------------- agreement


def agreement_section(human_codings: pd.DataFrame | str | Path | None, response_ids: Iterable[str] | None = None,
                      *, n_boot: int = 1000, labels: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, Any] | None:
    """Agreement table and alpha figure of the human double coding restricted to ``response_ids``;
    None when no coding, no agreement module or fewer than two coders on shared units."""
    if human_codings is None:
        return None
    try:
        from . import agree
    except ImportError:  # pragma: no cover - agreement ships with the package
        log.info("module d'accord indisponible : section « fiabilité » omise")
        return None
    codings = agree.read_codings(human_codings) if isinstance(human_codings, (str, Path)) else human_codings
    if response_ids is not None and "response_id" in codings.columns:
        codings = codings[codings["response_id"].astype(str).isin(set(map(str, response_ids)))]
    if codings.empty or codings["coder"].nunique() < 2:
        log.info("pas de double codage humain pour ces réponses : section « fiabilité » omise")
        return None
    table = agree.agreement_table(codings, n_boot=n_boot)
    if table.empty or int(table["n_units"].max() or 0) == 0:
        return None
    return table, agree.plot_alpha(table, labels=labels)


def _agreement_sentence(table: pd.DataFrame) -> str:
    overall = table[table["code"] == "__all__"]
    row = overall.iloc[0] if len(overall) else table.iloc[0]
    alpha = row["krippendorff_alpha"]
    verdict = ("codage fiable (α ≥ 0,80)" if alpha >= 0.80 else "conclusions provisoires (0,667 ≤ α < 0,80)"
               if alpha >= 0.667 else "codage à revoir (α < 0,667)") if pd.notna(alpha) else "α non défini"
    return (f"{int(row['n_units'])} réponses codées par {int(row['n_coders'])} codeur·euses ; sur l'ensemble des codes, "
            f"α de Krippendorff = {_fmt_cell('krippendorff_alpha', alpha)} "
            f"[{_fmt_cell('alpha_ci_low', row['alpha_ci_low'])} ; {_fmt_cell('alpha_ci_high', row['alpha_ci_high'])}] : {verdict}.")


# --------------------------------------------------------------------------- HTML


def _association_sentence(test: pd.DataFrame) -> str:
    if test.empty:
        return ""
    main = test.iloc[0]
    if pd.isna(main["chi2"]):
        return "Test impossible : trop peu de catégories ou de principes mentionnés."
    verdict = "une association entre catégorie et principes mentionnés" if main["p_value"] < 0.05 else \
        "pas d'association nette entre catégorie et principes mentionnés"
    return (f"Sur la table « {main['table']} », le khi-deux vaut {_fmt_cell('chi2', main['chi2'])} "
            f"({int(main['dof'])} ddl, p = {_fmt_cell('p_value', main['p_value'])}), V de Cramér = "
            f"{_fmt_cell('cramers_v', main['cramers_v'])} : {verdict}. Une même personne pouvant citer plusieurs "
            "principes, ce premier test est descriptif ; les lignes suivantes testent chaque principe séparément "
            "(mentionne / ne mentionne pas, par catégorie).")


def _quotes(row: Mapping[str, Any], n: int = 6) -> list[str]:
    out = []
    for i in range(1, n + 1):
        q = row.get(f"quote_{i}")
        if isinstance(q, str) and q.strip():
            q = q.strip()
            out.append(q if len(q) <= 400 else q[:399].rstrip() + "…")
    return [f"«\u00a0{q}\u00a0»" for q in out]


def render_html(
    synth: Mapping[str, pd.DataFrame],
    figures_dir: Path,
    *,
    k: int,
    agreement: tuple[pd.DataFrame, Any] | None = None,
    notebooks: Sequence[Mapping[str, Any]] = (),
    run_info: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    sessions: Sequence[str] | None = None,
    sample: bool = False,
    self_note: str = "",
    labels: Mapping[str, str] | None = None,
) -> str:
    """The French one-pager as an HTML string (figures read from ``figures_dir`` and embedded)."""
    from .synthesise import code_labels

    labels = dict(labels) if labels is not None else code_labels()
    import jinja2
    from markupsafe import Markup, escape

    from .figures import date_fr

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)

    def figure(name: str, caption: str = "", cls: str = "") -> Markup:
        png = figures_dir / f"{name}.png"
        if not png.is_file():
            return Markup("")
        data = png.read_bytes()
        width_px = int.from_bytes(data[16:20], "big")  # PNG IHDR; shown at print size (300 dpi -> 96 css px/in)
        css_width = round(width_px * 96 / 300 * SCREEN_SCALE)
        return Markup(
            f'<figure class="{cls}" style="max-width: {css_width + 2}px"><img src="{_png_data_uri(png)}" '
            f'style="width: {css_width}px" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)} "
            f'<a href="figures/{name}.svg">SVG</a> · <a href="figures/{name}.pdf">PDF</a> · '
            f'<a href="figures/{name}.png">PNG</a></figcaption></figure>'
        )

    shares = synth["principes_par_role"]
    prog = synth["indicateurs_programme"]
    total = prog[prog["year"] == "total"].iloc[0]
    dated = synth["indicateurs_sessions"]
    dated = dated[dated["session"] != ""]
    period = f"{date_fr(dated['session'].min())} – {date_fr(dated['session'].max())}" if len(dated) else "dates inconnues"
    kpis = [
        {"value": _fmt_number(int(total["sessions"])), "label": "sessions datées"},
        {"value": _fmt_number(int(total["territories"])), "label": "territoires"},
        {"value": _fmt_number(int(total["participants"])), "label": "participant·es (répondant·es distinct·es)"},
        {"value": _fmt_number(int(total["responses"])), "label": "réponses analysées"},
        {"value": _fmt_number(float(total["mean_participants_per_session"]), 1), "label": "participant·es par session (moyenne)"},
    ]
    best = shares[(shares["role"] != "ensemble") & (shares["respondents"] > 0)].sort_values(
        ["share", "respondents"], ascending=False, kind="stable")
    reading = ""
    if len(best):
        b = best.iloc[0]
        reading = (f"Lecture : « {_fmt_cell('share', b['share'])} — {int(b['mentioning'])}/{int(b['respondents'])} » : "
                   f"{int(b['mentioning'])} des {int(b['respondents'])} répondant·es de la catégorie « {b['group_label']} » "
                   f"mentionnent « {b['label']} ».")
    test = synth["test_role_principe"]
    warnings = sorted(set(w for w in test["warning"] if isinstance(w, str) and w))
    matrix = synth["matrice_attentes"]
    cells = [{**row, "quotes": _quotes(row)} for row in matrix.to_dict("records") if row["respondents"] > 0]
    stakes = synth["enjeux_strategies"]
    stakes_cells = [{**row, "quotes": _quotes(row)} for row in stakes.to_dict("records")]
    rb = synth["reponses_par_session"]
    rr = synth["reponses_par_role"]
    rej = synth["rejets_par_motif"]
    n_read = (summary or {}).get("read")
    ingest_sentence = (
        (f"{_fmt_number(n_read)} réponses lues, " if n_read is not None else "")
        + f"{_fmt_number(int(rb['answers'].sum()))} gardées et {_fmt_number(int(rej['rejected'].sum()) if len(rej) else 0)} écartées, "
        + f"de {_fmt_number(int(total['participants']))} répondant·es, sur {len(rb)} session(s)"
        + (" (dont des réponses sans date)" if (rb["session"] == "").any() else "") + "."
    )
    if sessions:
        ingest_sentence += " Sessions retenues pour ce rapport : " + ", ".join(sessions) + "."
    agreement_ctx = None
    if agreement is not None:
        table = agreement[0]
        agreement_ctx = {
            "sentence": _agreement_sentence(table),
            "table": html_table(table.assign(code=[("Ensemble des codes" if c == "__all__" else labels.get(c, c))
                                                   for c in table["code"]]),
                                ["code", "n_units", "n_coders", "percent_agreement", "krippendorff_alpha",
                                 "alpha_ci_low", "alpha_ci_high", "fleiss_kappa"]),
        }
    run_info = run_info or {}
    codebook = run_info.get("codebook", {})
    method = [
        "Unité de comptage : la personne (répondant·e), pas le passage : une personne qui cite deux fois la coopération compte une fois.",
        "Une mention niée (« pas de coopération ») n'est pas comptée comme une mention du principe.",
        "Intervalles de confiance : score de Wilson à 95 % (statsmodels).",
        "Association catégorie × principe : khi-deux de Pearson sans correction et V de Cramér (scipy) ; "
        "avertissement quand plus de 20 % des effectifs attendus sont inférieurs à 5.",
        f"Anonymat : citations masquées pour tout groupe de moins de {k} répondant·es ; les textes sont anonymisés dès l'ingestion (noms, courriels, téléphones).",
        "Citations : passages les plus proches du centre TF-IDF de leur case (mots, accents ignorés, mots vides retirés), "
        "une par personne, égalités départagées par identifiant ; passages avec un nom masqué en dernier.",
        "Cooccurrences : deux codes cooccurrent quand une même réponse porte les deux.",
    ]
    if codebook:
        method.append(f"Codebook « {codebook.get('name', '')} », version {codebook.get('version', '')}.")
    if run_info.get("model_used"):
        method.append("Codage : règles du codebook, complétées par un modèle appris sur le codage humain ; le codage humain l'emporte.")
    elif run_info:
        method.append("Codage : règles du codebook (motifs sur les lemmes).")
    context = {
        "title": "Synthèse des retours des ateliers « transitions »",
        "subtitle": f"Ateliers d'initiation au pilotage du changement systémique — {period}",
        "sample_notice": ("Données d'exemple fictives : ce rapport illustre la chaîne d'analyse et ne dit rien d'un territoire réel."
                          if sample else ""),
        "kpis": kpis,
        "tables": {
            "programme": html_table(prog.assign(year=prog["year"].replace({"total": "Total", "inconnue": "Inconnue"})),
                                    ["year", "sessions", "territories", "participants", "responses", "mean_participants_per_session"]),
            "shares": html_table(shares, ["group_label", "label", "mentioning", "respondents", "share", "ci_low", "ci_high"]),
            "association": html_table(test, ["test", "n", "chi2", "dof", "p_value", "cramers_v", "min_expected", "small_expected"]),
            "by_year": html_table(synth["principes_par_annee"], ["group_label", "label", "mentioning", "respondents", "share", "ci_low", "ci_high"]),
            "rejections": html_table(rej, ["reason_fr", "rejected", "files"]),
            "unmapped": html_table(synth["roles_non_reconnus"], ["role_raw", "answers", "respondents"]),
        },
        "figure": figure,
        "k": k,
        "association_sentence": _association_sentence(test),
        "shares_reading": reading,
        "association_warnings": warnings,
        "matrix_cells": cells,
        "self_note": self_note,
        "stakes_cells": stakes_cells,
        "stakes_questions": ", ".join(sorted(set(";".join(stakes["questions"]).split(";")) - {""})) if len(stakes) else "",
        "agreement": agreement_ctx,
        "ingest_sentence": ingest_sentence,
        "method": method,
        "n_tables": len([k_ for k_ in synth if not k_.startswith("_")]) + (1 if agreement is not None else 0),
        "notebooks": list(notebooks),
        "footer": f"Produit par transitions-analysis {__version__}. Tables : synthese.xlsx et tables/ ; figures : figures/.",
    }
    return env.get_template("synthese.html.j2").render(**context)


# --------------------------------------------------------------------------- notebooks


@contextlib.contextmanager
def current_python_kernel() -> Iterator[str]:
    """A kernelspec named :data:`KERNEL_NAME` that runs the current Python (``sys.executable``),
    visible through ``JUPYTER_PATH`` for the duration of the context; yields its name."""
    with tempfile.TemporaryDirectory(prefix="ta-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python (transitions-analysis)", "language": "python",
                "env": {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}}
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + old if old else "")
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def notebook_paths(notebooks_dir: str | Path = config.NOTEBOOKS_DIR) -> list[Path]:
    """Every numbered notebook source ``NN-*.py`` of ``notebooks_dir``, in order."""
    return sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]-*.py") if p.is_file())


def run_notebooks(
    out_dir: str | Path,
    parameters: Mapping[str, Any],
    *,
    notebooks_dir: str | Path = config.NOTEBOOKS_DIR,
    timeout: int = 600,
    only: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Execute each numbered notebook headless and export it to ``<out_dir>/NN-name.html``.

    Each ``notebooks/NN-*.py`` (jupytext py:percent) is converted to ``<out_dir>/notebooks/NN-name.ipynb``,
    executed by papermill with the entries of ``parameters`` that its ``parameters`` cell declares,
    in ``notebooks_dir`` as working directory, with the current Python as kernel; then exported by
    nbconvert (code shown, no In/Out prompts). A failing notebook is exported too (with its error)
    and reported, the others still run. Returns one dict per notebook: name, source, html, ipynb,
    status (``ok`` or ``échec``), error, seconds, href.
    """
    import jupytext
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    out = Path(out_dir)
    work = out / "notebooks"
    work.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # « alternative text is missing » on every figure
    results = []
    sources = [p for p in notebook_paths(notebooks_dir) if not only or p.stem in only or p.stem[:2] in only]
    with current_python_kernel() as kernel:
        for src in sources:
            nb = jupytext.read(src)
            nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python (transitions-analysis)", "language": "python"}
            ipynb_in = work / f"{src.stem}.source.ipynb"
            ipynb_out = work / f"{src.stem}.ipynb"
            nbformat.write(nb, ipynb_in)
            declared = pm.inspect_notebook(str(ipynb_in))
            params = {k: v for k, v in parameters.items() if k in declared}
            started = time.perf_counter()
            status, error = "ok", ""
            log.info("carnet %s : exécution (paramètres : %s)", src.name, ", ".join(sorted(params)) or "aucun")
            try:
                pm.execute_notebook(str(ipynb_in), str(ipynb_out), parameters=params, kernel_name=kernel,
                                    cwd=str(Path(notebooks_dir)), progress_bar=False, log_output=False,
                                    execution_timeout=timeout)
            except Exception as exc:  # a failed notebook is reported, the others still run
                status, error = "échec", f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
                log.error("carnet %s en échec : %s", src.name, error)
            seconds = time.perf_counter() - started
            log.info("carnet %s : %s en %.0f s", src.name, status, seconds)
            html_path = out / f"{src.stem}.html"
            if ipynb_out.is_file():
                body, _ = exporter.from_notebook_node(nbformat.read(ipynb_out, as_version=4))
                html_path.write_text(body, encoding="utf-8")
            ipynb_in.unlink(missing_ok=True)
            results.append({"name": src.stem, "source": str(src), "html": str(html_path), "ipynb": str(ipynb_out),
                            "status": status, "error": error, "seconds": round(seconds, 1), "href": html_path.name})
    return results


# --------------------------------------------------------------------------- the report


def build_report(
    tables: Any,
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

    ``tables``: a :class:`synthesise.CodedTables`. ``human_codings``: the human double coding
    (path or frame) for the agreement section. ``notebook_parameters``: values injected into the
    notebooks (only those a notebook declares).
    """
    import matplotlib.pyplot as plt

    from . import figures as figs
    from . import synthesise as syn

    out = Path(out_dir)
    _refuse_raw(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = syn.select_sessions(tables, sessions)
    labels = syn.code_labels(codebook)
    synth = syn.synthesise(tables, k=k, labels=labels)
    table_paths = syn.write_tables(synth, out / "tables")
    if "png" not in figure_formats:
        raise ValueError("le rapport HTML a besoin des figures PNG")
    fig_paths = figs.draw_figures(synth, out / "figures", k=k, formats=figure_formats)
    agreement = agreement_section(human_codings, tables.responses["response_id"], n_boot=n_boot, labels=labels)
    titles = dict(syn.TABLE_TITLES_FR)
    xlsx_tables = dict(synth)
    if agreement is not None:
        table, fig = agreement
        fig_paths[AGREEMENT_FIGURE] = figs.save_figure(fig, AGREEMENT_FIGURE, out / "figures", formats=figure_formats)
        plt.close(fig)
        table_paths.update(syn.write_tables({AGREEMENT_TABLE: table}, out / "tables"))
        xlsx_tables[AGREEMENT_TABLE] = table
        titles[AGREEMENT_TABLE] = AGREEMENT_TITLE_FR
    xlsx = write_xlsx(xlsx_tables, out / XLSX_NAME, titles=titles)
    nb_results: list[dict[str, Any]] = []
    if notebooks:
        params = {"TABLES_DIR": str((out / "tables").resolve()), "FIGURES_DIR": str((out / "figures").resolve()),
                  "REPORT_DIR": str(out.resolve()), "K": int(k), "SESSIONS": list(sessions or [])}
        params.update(notebook_parameters or {})
        nb_results = run_notebooks(out, params, notebooks_dir=notebooks_dir, only=notebooks_only)
    html = render_html(synth, out / "figures", k=k, agreement=agreement, notebooks=nb_results,
                       run_info=tables.run_info, summary=tables.summary, sessions=sessions, sample=sample,
                       self_note=_self_note(tables), labels=labels)
    html_path = out / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    log.info("rapport écrit : %s", html_path)
    return ReportResult(out, html_path, xlsx, table_paths, fig_paths, nb_results, synth)


def _self_note(tables: Any) -> str:
    """French note on the expectations of a role towards itself, left out of the matrix."""
    from .synthesise import respondent_roles

    e = tables.expectations.merge(tables.responses[["response_id", "respondent_id"]], on="response_id", how="inner")
    if e.empty:
        return ""
    e["from_role"] = e["respondent_id"].map(respondent_roles(tables.responses)).fillna(e["from_role"])
    own = e[e["from_role"] == e["to_role"]]
    if own.empty:
        return ""
    return (f"Hors matrice : {len(own)} passage(s) de {own['respondent_id'].nunique()} répondant·e(s) expriment une attente "
            "envers leur propre catégorie (table expectations.csv).")


def _refuse_raw(path: Path) -> None:
    resolved, raw = path.resolve(), config.RAW_DIR.resolve()
    parts = resolved.parts
    if resolved == raw or raw in resolved.parents or any(parts[i] == "data" and parts[i + 1] == "raw" for i in range(len(parts) - 1)):
        raise InputError("refus d'écrire dans data/raw/ : les données brutes ne sont jamais modifiées ; choisissez un autre dossier (--out)", path=path)


def work_dir_for(out_dir: str | Path) -> Path:
    """Where a report's intermediate data go: ``config.PROCESSED_DIR`` for the default reports
    folder, ``<out_dir>/data`` otherwise. The coded tables are in its ``code/`` subfolder; the
    notebooks write there too (``ingest/``, ``models/``, ``agreement/``)."""
    out = Path(out_dir)
    if out.resolve() == config.REPORTS_DIR.resolve():
        return config.PROCESSED_DIR
    return out / "data"


def find_human_codings(inputs: Sequence[str | Path]) -> Path | None:
    """``human_codings.csv`` beside an input folder or in its parent (the sample's layout), else None."""
    for p in map(Path, inputs):
        base = p if p.is_dir() else p.parent
        for candidate in (base / "human_codings.csv", base.parent / "human_codings.csv"):
            if candidate.is_file():
                return candidate
    return None


def code_inputs(
    inputs: Sequence[str | Path],
    data_dir: str | Path,
    *,
    codebook: Any = None,
    model_path: str | Path | None = None,
    use_model: bool = True,
    human_codings: str | Path | None = None,
    cache: bool = True,
    progress: bool = True,
):
    """Ingest and code ``inputs`` like ``transitions-analysis code`` (same model and human-coding
    defaults), write the coded folder to ``data_dir`` and return it as CodedTables."""
    from .codebook import load_codebook
    from .coding import code_responses, write_coding
    from .ingest import ingest, write_ingest
    from .synthesise import coded_tables

    cache_dir = config.CACHE_DIR if cache else None
    codebook = load_codebook(codebook)
    ingested = ingest(list(inputs), cache_dir=None if cache_dir is None else cache_dir / "ner")
    data_dir = Path(data_dir)
    write_ingest(ingested, data_dir)
    model, human = None, None
    if model_path:
        from .learn import load_model

        model = load_model(model_path)
    elif use_model:
        try:
            from .learn import default_model
        except ImportError:  # pragma: no cover
            default_model = None
        if default_model is not None:
            model, human = default_model(ingested.responses, human_codings_path=human_codings, cache_dir=cache_dir)
    if human is None and human_codings is not None and Path(human_codings).is_file():
        from .learn import read_human_codings

        human = read_human_codings(human_codings)
    result = code_responses(ingested.responses, codebook=codebook, model=model, human_codings=human,
                            cache_dir=None if cache_dir is None else cache_dir / "coding", progress=progress)
    write_coding(result, ingested.responses, ingested.rejected, data_dir)
    return coded_tables(ingested.responses, result.segments, result.codings, result.expectations,
                        ingested.rejected, result.run_info, ingested.summary)


# --------------------------------------------------------------------------- CLI


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis report``."""
    parser.add_argument("inputs", nargs="+", metavar="ENTRÉE",
                        help="fichiers ou dossiers d'exports bruts (comme pour ingest), ou un dossier déjà codé "
                             "(responses.csv, segments.csv, codings.csv, expectations.csv)")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DOSSIER",
                        help="dossier du rapport (défaut : reports/) ; jamais dans data/raw/")
    parser.add_argument("--sessions", nargs="*", default=None, metavar="SESSION",
                        help="sessions (AAAA-MM-JJ) ou années (AAAA) à inclure (défaut : toutes)")
    parser.add_argument("--notebooks", action="store_true",
                        help="exécuter aussi les carnets numérotés (notebooks/NN-*.py) et les exporter en HTML")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")
    parser.add_argument("--k", type=int, default=config.MIN_GROUP_SIZE, metavar="K",
                        help=f"effectif minimal d'un groupe pour montrer ses citations (défaut : {config.MIN_GROUP_SIZE})")
    parser.add_argument("--human-codings", metavar="FICHIER", default=None,
                        help="double codage humain (response_id, coder, code) pour la section « fiabilité » "
                             "(défaut : human_codings.csv à côté des entrées ou dans leur dossier parent)")
    parser.add_argument("--model", metavar="FICHIER", default=None, help="modèle appris (.skops) à utiliser pour le codage")
    parser.add_argument("--no-model", action="store_true", help="codage par les règles seulement")
    parser.add_argument("--no-cache", action="store_true", help="ne pas utiliser ni écrire le cache (.cache/)")


def run_report(args: argparse.Namespace) -> int:
    """Run the whole pipeline and write the report; returns 0, or 1 when a notebook failed."""
    from .synthesise import is_coded_folder, read_coded

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    out = Path(args.out)
    _refuse_raw(out)
    if args.k < 1:
        raise InputError(f"--k doit être au moins 1 (reçu : {args.k})")
    for p in args.inputs:
        if not Path(p).exists():
            raise InputError("fichier ou dossier introuvable", path=p)
    started = time.perf_counter()
    human_path = Path(args.human_codings) if args.human_codings else find_human_codings(args.inputs)
    if args.human_codings and not human_path.is_file():
        raise InputError("fichier de codage humain introuvable", path=human_path)
    coded_input = len(args.inputs) == 1 and is_coded_folder(args.inputs[0])
    if coded_input:
        data_dir = Path(args.inputs[0])
        tables = read_coded(data_dir)
        log.info("dossier déjà codé : %s (ingestion et codage sautés)", data_dir)
    else:
        data_dir = work_dir_for(out) / "code"
        _refuse_raw(data_dir)
        tables = code_inputs(args.inputs, data_dir, codebook=args.codebook, model_path=args.model,
                             use_model=not args.no_model, human_codings=human_path, cache=not args.no_cache,
                             progress=sys.stderr.isatty())
    sample = any(Path(p).resolve() == config.SAMPLE_FEEDBACK_DIR.resolve() or config.SAMPLE_DIR.resolve() in Path(p).resolve().parents
                 for p in args.inputs)
    work = work_dir_for(out).resolve()
    params = {
        "CODED_DIR": str(data_dir.resolve()),
        "INPUTS": [str(Path(p).resolve()) for p in args.inputs],
        "INGEST_OUT": str(work / "ingest"),
        "MACHINE_CODINGS": str((data_dir / "codings.csv").resolve()),
        "MODEL_OUT": str(work / "models" / "codeur_appris.skops"),
        "DISAGREEMENTS_OUT": str(work / "agreement" / "desaccords.xlsx"),
    }
    if human_path is not None:
        params["HUMAN_CODINGS"] = str(human_path.resolve())
    result = build_report(tables, out, k=args.k, sessions=args.sessions, human_codings=human_path,
                          codebook=args.codebook, notebooks=args.notebooks, notebook_parameters=params, sample=sample)
    failed = [nb["name"] for nb in result.notebooks if nb["status"] != "ok"]
    log.info("rapport : %s (%d tables, %d figures%s) en %.0f s", result.html, len(result.tables), len(result.figures),
             f", {len(result.notebooks)} carnets" if result.notebooks else "", time.perf_counter() - started)
    if failed:
        log.error("carnets en échec : %s (voir leurs pages HTML)", ", ".join(failed))
        return 1
    return 0
