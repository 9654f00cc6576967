"""``synthese.html``: the one-pager for partners, rendered from ``data/templates/synthese.html.j2``.

Python gathers the numbers (formatted the French way) and the tables; every sentence a reader
reads is written in the template.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from ..core.labels import ALL_CODES_FR, COLUMN_LABELS_FR, DECIMAL_COLUMNS, PERCENT_COLUMNS, date_fr, number_fr, percent_fr

TEMPLATES_DIR = config.PACKAGE_DATA_DIR / "templates"
SCREEN_SCALE = 1.4  # figures are drawn at print size; on screen they are shown 1.4 times larger
QUOTE_MAX_CHARS = 400


#: Columns and French headers of the « machine against human » table of the report.
QUALITY_COLUMNS = ("label", "support", "rules_precision", "rules_recall", "model_precision", "model_recall",
                   "combined_precision", "combined_recall")
QUALITY_HEADERS = {
    "label": "Code", "support": "Réponses codées (humain)", "rules_precision": "Règles : précision",
    "rules_recall": "Règles : rappel", "model_precision": "Modèle : précision", "model_recall": "Modèle : rappel",
    "combined_precision": "Ensemble : précision", "combined_recall": "Ensemble : rappel",
}
BASIS_HEADERS = {"label": "Code", "respondents": "Répondant·es comptés", "human": "dont codage humain",
                 "rules": "dont règles seules", "model_only": "dont modèle appris seul"}


def cell_fr(column: str, value: Any) -> str:
    """A table cell as a French reader reads it: percentages, p-values, decimals, oui/non."""
    if isinstance(value, bool) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")) == "bool"):
        return "oui" if bool(value) else "non"
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if column in PERCENT_COLUMNS:
        return percent_fr(float(value))
    if column == "p_value":
        return "< 0,001" if value < 0.001 else number_fr(float(value), 3)
    if column in DECIMAL_COLUMNS:
        return number_fr(float(value), DECIMAL_COLUMNS[column])
    if isinstance(value, (int, float)):
        return number_fr(value)
    return str(value)


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
        cells = "".join(f'<td class="{"num" if c in numeric else ""}">{escape(cell_fr(c, v))}</td>' for c, v in zip(columns, rec))
        rows.append(f"<tr>{cells}</tr>")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _residual_table(long: pd.DataFrame) -> str:
    """Classes x categories of Pearson residuals as a small HTML table (one decimal)."""
    if long is None or long.empty:
        return html_table(pd.DataFrame(), [])
    wide = long.pivot(index="class", columns="label", values="residual").round(1).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    wide["class"] = wide["class"].map(lambda c: f"Classe {c}")
    numbers = wide.drop(columns="class").apply(lambda col: col.map(lambda v: number_fr(float(v), 1)))
    return html_table(pd.concat([wide[["class"]], numbers], axis=1), list(wide.columns), headers={"class": "Classe"})


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _quotes(row: Mapping[str, Any], n: int = 6) -> list[str]:
    out = []
    for i in range(1, n + 1):
        q = row.get(f"quote_{i}")
        if isinstance(q, str) and q.strip():
            q = q.strip()
            out.append(q if len(q) <= QUOTE_MAX_CHARS else q[: QUOTE_MAX_CHARS - 1].rstrip() + "…")
    return out


def _figure_macro(figures_dir: Path):
    from markupsafe import Markup, escape

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

    return figure


def render_html(
    synth: Mapping[str, pd.DataFrame],
    figures_dir: Path,
    *,
    k: int,
    labels: Mapping[str, str],
    agreement: pd.DataFrame | None = None,
    quality: pd.DataFrame | None = None,
    basis: pd.DataFrame | None = None,
    notebooks: Sequence[Mapping[str, Any]] = (),
    run_info: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
    sessions: Sequence[str] | None = None,
    sample: bool = False,
    self_note: str = "",
    lexical: Any = None,
) -> str:
    """The French one-pager as an HTML string (figures read from ``figures_dir`` and embedded).

    ``synth``: the tables of :func:`transitions_analysis.synthesis.synthesise`; ``agreement``: the
    agreement table of the human double coding, when there is one; ``quality``: the machine
    against the human coding per code (run.json's ``quality``); ``basis``: for each code, how many
    of the respondents counted rest on a human coding, the rules or the learnt model alone.
    """
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["nb"] = number_fr
    env.filters["pct"] = percent_fr
    env.filters["date_fr"] = date_fr
    env.globals["cell"] = cell_fr

    shares = synth["principes_par_role"]
    prog = synth["indicateurs_programme"]
    total = prog[prog["year"] == "total"].iloc[0]
    dated = synth["indicateurs_sessions"]
    dated = dated[dated["session"] != ""]
    best = shares[(shares["role"] != "ensemble") & (shares["respondents"] > 0)].sort_values(
        ["share", "respondents"], ascending=False, kind="stable")
    test = synth["test_role_principe"]
    matrix = synth["matrice_attentes"]
    stakes = synth["enjeux_strategies"]
    rb = synth["reponses_par_session"]
    rej = synth["rejets_par_motif"]
    run_info = run_info or {}
    context = {
        "sample": sample,
        "first_session": dated["session"].min() if len(dated) else "",
        "last_session": dated["session"].max() if len(dated) else "",
        "total": total,
        "best": best.iloc[0] if len(best) else None,
        "main_test": test.iloc[0] if len(test) else None,
        "association_warnings": sorted(set(w for w in test["warning"] if isinstance(w, str) and w)),
        "matrix_cells": [{**row, "quotes": _quotes(row)} for row in matrix.to_dict("records") if row["respondents"] > 0],
        "self_note": self_note,
        "stakes_cells": [{**row, "quotes": _quotes(row)} for row in stakes.to_dict("records")],
        "stakes_questions": ", ".join(sorted(set(";".join(stakes["questions"]).split(";")) - {""})) if len(stakes) else "",
        "agreement": None if agreement is None else {
            "overall": (agreement[agreement["code"] == "__all__"].iloc[0] if (agreement["code"] == "__all__").any()
                        else agreement.iloc[0]),
            "table": html_table(agreement.assign(code=[(ALL_CODES_FR if c == "__all__" else labels.get(c, c))
                                                       for c in agreement["code"]]),
                                ["code", "n_units", "n_coders", "percent_agreement", "krippendorff_alpha",
                                 "alpha_ci_low", "alpha_ci_high", "fleiss_kappa"]),
        },
        "n_read": (summary or {}).get("read"),
        "no_role_given": bool(len(rb)) and (summary or {}).get("no_role_given") == int(rb["answers"].sum()),
        "n_kept": int(rb["answers"].sum()),
        "n_rejected": int(rej["rejected"].sum()) if len(rej) else 0,
        "n_sessions": len(rb),
        "undated": bool((rb["session"] == "").any()),
        "sessions": list(sessions or []),
        "codebook": run_info.get("codebook", {}),
        "model_used": bool(run_info.get("model_used")),
        "coders": run_info.get("coders") or {},
        "model_codes_fr": ", ".join(labels.get(c, c) for c in ((run_info.get("coders") or {}).get("model") or {}).get("codes", [])),
        "model_skipped_fr": ", ".join(labels.get(c, c) for c in ((run_info.get("coders") or {}).get("model") or {}).get("skipped_codes", {})),
        "model_calibrated": bool((run_info.get("model") or {}).get("calibration")),
        "model_adds_fr": ", ".join(labels.get(c, c) for c, cal in ((run_info.get("model") or {}).get("calibration") or {}).items()
                                   if cal.get("accepted")),
        "min_units": config.MIN_HUMAN_UNITS,
        "direction": run_info.get("expectation_direction", ""),
        "human_file": run_info.get("human_codings_file", ""),
        "human_used": bool(run_info.get("human_codings_used")),
        "quality": None if quality is None else {
            "units": int((run_info.get("quality") or {}).get("units", 0)),
            "cross_validated": bool((run_info.get("quality") or {}).get("cross_validated")),
            "n_splits": int((run_info.get("quality") or {}).get("n_splits", 0)),
            "has_model": any(c.startswith("model_") for c in quality.columns),
            "table": html_table(quality, [c for c in QUALITY_COLUMNS if c in quality.columns], headers=QUALITY_HEADERS),
        },
        "basis": None if basis is None or basis.empty else {
            "table": html_table(basis, ["label", "respondents", "human", "rules", "model_only"], headers=BASIS_HEADERS),
            "machine_share": float((basis["rules"] + basis["model_only"]).sum() / max(int(basis["respondents"].sum()), 1)),
            "model_only": int(basis["model_only"].sum()),
        },
        "coded_here": bool(run_info),
        "k": k,
        "figure": _figure_macro(figures_dir),
        "tables": {
            "programme": html_table(prog.assign(year=prog["year"].replace({"total": "Total", "inconnue": "Inconnue"})),
                                    ["year", "sessions", "territories", "participants", "responses", "mean_participants_per_session"]),
            "shares": html_table(shares, ["group_label", "label", "mentioning", "respondents", "share", "ci_low", "ci_high"]),
            "association": html_table(test, ["test", "n", "chi2", "dof", "p_value", "cramers_v", "min_expected", "small_expected"]),
            "by_year": html_table(synth["principes_par_annee"], ["group_label", "label", "mentioning", "respondents", "share", "ci_low", "ci_high"]),
            "rejections": html_table(rej, ["reason_fr", "rejected", "files"]),
            "unmapped": html_table(synth["roles_non_reconnus"], ["role_raw", "answers", "respondents"]),
        },
        "lexical": None if lexical is None else {
            "classes": [{**row, "quotes": _quotes(row)} for row in lexical.tables["classes_lexicales"].to_dict("records")],
            "params": lexical.params,
            "residuals": _residual_table(lexical.tables["classes_par_role"]),
            "inertia": [float(x) for x in (lexical.ca.explained_inertia[:2] if lexical.ca is not None else [])],
        },
        "n_tables": len([k_ for k_ in synth if not k_.startswith("_")]) + (1 if agreement is not None else 0)
        + (len(lexical.tables) if lexical is not None else 0) + (1 if quality is not None else 0),
        "notebooks": list(notebooks),
        "version": config.VERSION,
    }
    return env.get_template("synthese.html.j2").render(**context)
