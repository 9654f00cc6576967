"""Adjudication: :func:`disagreements` lists the units where coders differ,
:func:`write_disagreements_xlsx` writes them for an adjudicator who fills the ``décision``
column, :func:`read_adjudication` reads it back, :func:`reference_codings` builds the human
reference (agreed units + decisions) and :func:`compare_machine` measures the machine against it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import MSG_AGREE_EMPTY_VALUE, MSG_AGREE_UNKNOWN_CODE, MSG_FILE_NOT_FOUND, MSG_MISSING_COLUMN, InputError
from ..core.io import make_xlsx_deterministic, read_table, refuse_raw
from .io import _as_text, _normalise, _tidy, _unit_column
from .statistics import ALL_CODES, _alpha_from_counts, _codes_of

log = logging.getLogger(__name__)

#: Coder names given to the reference built by :func:`reference_codings`.
ADJUDICATION_CODER = "adjudication"
CONSENSUS_CODER = "consensus"
#: French headers of the disagreement table (and of the adjudication file read back).
COL_UNIT = "unité"
COL_TEXT = "texte"
COL_N_CODERS = "codeurs"
COL_DISPUTED = "codes en désaccord"
COL_ALL_CODINGS = "codages par codeur"
COL_DECISION = "décision"
NO_CODE_LABEL = "(aucun code)"
#: What an adjudicator may write for "this unit gets no code".
NO_CODE_WORDS = frozenset({"aucun", "(aucun)", "aucun code", "(aucun code)", "-", "—", "rien", "none"})


def _texts_map(texts: Any) -> dict[str, str]:
    if texts is None:
        return {}
    if isinstance(texts, pd.DataFrame):
        key = next((c for c in ("unit", "response_id", "segment_id") if c in texts.columns), None)
        if key is None or "text" not in texts.columns:
            raise ValueError("texts : un DataFrame doit avoir une colonne response_id (ou segment_id) et text")
        return dict(zip(texts[key].astype(str), texts["text"].astype(str)))
    return {str(k): str(v) for k, v in dict(texts).items()}


def disagreements(
    codings: pd.DataFrame,
    texts: pd.DataFrame | pd.Series | Mapping[str, str] | None = None,
    *,
    unit: str | None = None,
    max_coder_columns: int = 12,
) -> pd.DataFrame:
    """The units where coders who saw them differ on at least one code, for adjudication.

    One row per unit, French headers: ``unité``, ``texte`` (when ``texts`` maps unit -> text),
    ``codeurs`` (how many saw it), ``codes en désaccord`` (« code (k/m) »: k of m coders gave it),
    then each coder's codes (``(aucun code)`` = seen, no code; empty = not seen) - one column per
    coder, or a single ``codages par codeur`` column beyond ``max_coder_columns`` coders - and an
    empty ``décision`` column for the adjudicator (codes separated by « ; », or « aucun »).
    """
    norm = _normalise(codings, unit)
    text_of = _texts_map(texts)
    seen = norm[["unit", "coder"]].drop_duplicates()
    m = seen.groupby("unit").size()
    coders = sorted(seen["coder"].unique())
    given = norm[norm["code"] != ""].groupby(["unit", "code"]).size()
    codes_of = norm[norm["code"] != ""].groupby(["unit", "coder"])["code"].agg(lambda s: "; ".join(sorted(s)))
    wide_cols = len(coders) <= max_coder_columns
    rows = []
    for unit_id in sorted(m.index[m >= 2]):
        n = int(m[unit_id])
        per_code = given.loc[unit_id] if unit_id in given.index.get_level_values(0) else pd.Series(dtype=int)
        disputed = [f"{code} ({int(k)}/{n})" for code, k in per_code.items() if 0 < k < n]
        if not disputed:
            continue
        row: dict[str, Any] = {COL_UNIT: unit_id}
        if texts is not None:
            row[COL_TEXT] = text_of.get(unit_id, "")
        row[COL_N_CODERS] = n
        row[COL_DISPUTED] = "; ".join(disputed)
        unit_coders = seen.loc[seen["unit"] == unit_id, "coder"]
        cells = {c: codes_of.get((unit_id, c), NO_CODE_LABEL) for c in unit_coders}
        if wide_cols:
            for c in coders:
                row[c] = cells.get(c, "")
        else:
            row[COL_ALL_CODINGS] = "\n".join(f"{c} : {v}" for c, v in cells.items())
        row[COL_DECISION] = ""
        rows.append(row)
    columns = [COL_UNIT] + ([COL_TEXT] if texts is not None else []) + [COL_N_CODERS, COL_DISPUTED]
    columns += coders if wide_cols else [COL_ALL_CODINGS]
    columns.append(COL_DECISION)
    return pd.DataFrame(rows, columns=columns)


def write_disagreements_xlsx(df: pd.DataFrame, path: str | Path) -> Path:
    """Write the disagreement table to an XLSX for the adjudicator (sheet « désaccords », with a
    sheet « mode d'emploi »); returns the path."""
    from openpyxl.styles import Alignment, Font

    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    guide = pd.DataFrame(
        {
            "mode d'emploi": [
                "Une ligne par unité sur laquelle les codeurs ne sont pas d'accord.",
                "« codes en désaccord » : code (k/m) = k codeurs sur les m qui ont vu l'unité l'ont attribué.",
                f"Cellule d'un codeur : ses codes ; « {NO_CODE_LABEL} » = unité vue sans code ; vide = unité non vue.",
                "Remplir la colonne « décision » : les codes retenus séparés par « ; », ou « aucun ».",
                "Une décision laissée vide = unité non encore arbitrée (elle est ignorée à la relecture).",
                "Relire ensuite avec agree.read_adjudication(chemin).",
            ]
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="désaccords", index=False)
        guide.to_excel(writer, sheet_name="mode d'emploi", index=False)
        for written in writer.sheets.values():  # text stays text, even « =... »: never a live formula
            for row in written.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
        sheet = writer.sheets["désaccords"]
        sheet.freeze_panes = "B2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        for idx, name in enumerate(df.columns, start=1):
            letter = sheet.cell(row=1, column=idx).column_letter
            sheet.column_dimensions[letter].width = 60 if name == COL_TEXT else (40 if name in (COL_DISPUTED, COL_ALL_CODINGS) else 22)
            for row in sheet.iter_rows(min_row=2, min_col=idx, max_col=idx):
                row[0].alignment = wrap
        writer.sheets["mode d'emploi"].column_dimensions["A"].width = 110
    make_xlsx_deterministic(path)
    return path


def read_adjudication(
    path: str | Path, *, unit: str = "response", codes: Iterable[str] | None = None
) -> pd.DataFrame:
    """Read a filled disagreement table (XLSX from :func:`write_disagreements_xlsx`, or a CSV with
    ``unité``/``response_id``/``segment_id`` and ``décision``/``decision`` columns) back into
    codings with ``coder="adjudication"``. Empty decisions are skipped (not yet adjudicated);
    « aucun » means no code. ``codes`` (e.g. the codebook's) rejects unknown codes."""
    path = Path(path)
    col = _unit_column(unit)
    if not path.exists():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    raw = read_table(path)
    raw = raw.rename(columns=lambda c: str(c).strip())
    unit_col = next((c for c in (COL_UNIT, col, "unit", "unite") if c in raw.columns), None)
    decision_col = next((c for c in (COL_DECISION, "decision") if c in raw.columns), None)
    if unit_col is None:
        raise InputError(MSG_MISSING_COLUMN.format(column=COL_UNIT), path=path, column=COL_UNIT)
    if decision_col is None:
        raise InputError(MSG_MISSING_COLUMN.format(column=COL_DECISION), path=path, column=COL_DECISION)
    known = set(codes) if codes is not None else None
    rows = []
    for i, (unit_id, decision) in enumerate(zip(_as_text(raw[unit_col]), _as_text(raw[decision_col]))):
        if not decision:
            continue
        if not unit_id:
            raise InputError(MSG_AGREE_EMPTY_VALUE, path=path, row=i + 2, column=unit_col)
        if decision.lower() in NO_CODE_WORDS:
            rows.append((unit_id, ADJUDICATION_CODER, ""))
            continue
        for code in (c.strip() for c in decision.replace(",", ";").replace("\n", ";").split(";")):
            if not code:
                continue
            if known is not None and code not in known:
                raise InputError(MSG_AGREE_UNKNOWN_CODE.format(code=code), path=path, row=i + 2, column=decision_col)
            rows.append((unit_id, ADJUDICATION_CODER, code))
    skipped = int((_as_text(raw[decision_col]) == "").sum())
    if skipped:
        log.info("%s : %d unités sans décision (pas encore arbitrées)", path.name, skipped)
    return _tidy(pd.DataFrame(rows, columns=[col, "coder", "code"]), col)


def reference_codings(
    codings: pd.DataFrame,
    adjudication: pd.DataFrame | None = None,
    *,
    unit: str | None = None,
    min_coders: int = 2,
) -> pd.DataFrame:
    """The human reference: units seen by at least ``min_coders`` coders who all agree on every
    code (``coder="consensus"``), plus the adjudicated units (``coder="adjudication"``; a decision
    replaces the coders' codes). Units in disagreement and not adjudicated are left out (logged).
    Returns ``<unit column>, coder, code``."""
    norm = _normalise(codings, unit)
    col = _unit_col_for(codings, unit)
    seen = norm[["unit", "coder"]].drop_duplicates()
    m = seen.groupby("unit").size()
    given = norm[norm["code"] != ""].groupby(["unit", "code"]).size().rename("k").reset_index()
    given["m"] = given["unit"].map(m)
    split = set(given.loc[given["k"] < given["m"], "unit"])
    agreed = [u for u in m.index[m >= min_coders] if u not in split]
    ref = given[given["unit"].isin(agreed)][["unit", "code"]]
    ref = pd.concat([ref, pd.DataFrame({"unit": agreed, "code": ""})], ignore_index=True)
    ref["coder"] = CONSENSUS_CODER
    if adjudication is not None:
        adj = _normalise(adjudication, unit if unit else ("unit" if "unit" in adjudication.columns else None))
        adj = adj.assign(coder=ADJUDICATION_CODER)
        ref = pd.concat([ref[~ref["unit"].isin(set(adj["unit"]))], adj], ignore_index=True)
        pending = split - set(adj["unit"])
    else:
        pending = split
    if pending:
        log.info("%d unités en désaccord non arbitrées : hors de la référence", len(pending))
    ref = ref.rename(columns={"unit": col})[[col, "coder", "code"]]
    return _tidy(ref, col)


def _unit_col_for(codings: pd.DataFrame, unit: str | None) -> str:
    if unit is not None:
        return _unit_column(unit)
    for c in ("response_id", "segment_id", "unit"):
        if c in codings.columns:
            return c
    return "response_id"


def compare_machine(
    reference: pd.DataFrame,
    machine: pd.DataFrame,
    *,
    unit: str | None = None,
    codes: Sequence[str] | None = None,
    missing_as_absent: bool = True,
) -> pd.DataFrame:
    """Machine coders against the human reference, per code and ``__all__`` (micro-average).

    The reference (all its rows, whatever the coder) is one coder; each coder of ``machine``
    (``rules``, ``model``...) is compared with it on the reference's units. A reference unit the
    machine frame does not mention counts as « no code » when ``missing_as_absent`` (a codings.csv
    lists only what the machine found), otherwise it is left out. Columns: ``coder, code, n_units,
    n_reference, n_machine, precision, recall, f1, krippendorff_alpha``.
    """
    from sklearn.metrics import precision_recall_fscore_support

    ref = _normalise(reference, unit)
    mach = _normalise(machine, unit)
    code_list = _codes_of(pd.concat([ref, mach]), codes)
    ref_units = sorted(ref["unit"].unique())
    ref_wide = _presence(ref, ref_units, code_list)
    rows = []
    for coder in sorted(mach["coder"].unique()):
        m = mach[mach["coder"] == coder]
        units = ref_units if missing_as_absent else sorted(set(ref_units) & set(m["unit"]))
        y_true = ref_wide.reindex(units).to_numpy()
        y_pred = _presence(m, units, code_list).to_numpy()
        for k, code in enumerate(code_list + [ALL_CODES]):
            t = y_true[:, k] if code != ALL_CODES else y_true.ravel()
            p = y_pred[:, k] if code != ALL_CODES else y_pred.ravel()
            if len(t):
                prec, rec, f1, _ = precision_recall_fscore_support(t, p, average="binary", zero_division=np.nan)
            else:
                prec = rec = f1 = math.nan
            counts = np.stack([2 - t - p, t + p], axis=1) if len(t) else np.zeros((0, 2))
            rows.append(
                {
                    "coder": coder,
                    "code": code,
                    "n_units": len(units),
                    "n_reference": int(t.sum()),
                    "n_machine": int(p.sum()),
                    "precision": float(prec),
                    "recall": float(rec),
                    "f1": float(f1),
                    "krippendorff_alpha": _alpha_from_counts(counts),
                }
            )
    return pd.DataFrame(
        rows, columns=["coder", "code", "n_units", "n_reference", "n_machine", "precision", "recall", "f1", "krippendorff_alpha"]
    )


def _presence(norm: pd.DataFrame, units: list[str], code_list: list[str]) -> pd.DataFrame:
    """units x codes 0/1: whether any row of ``norm`` gives the code to the unit."""
    coded = norm[(norm["code"] != "") & norm["unit"].isin(units)]
    wide = pd.crosstab(coded["unit"], coded["code"]).clip(upper=1) if len(coded) else pd.DataFrame()
    return wide.reindex(index=units, columns=code_list, fill_value=0).fillna(0).astype(int)
