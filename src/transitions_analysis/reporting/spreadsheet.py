"""The tables as a researcher's spreadsheet shows them (``synthese.xlsx`` and ``tableur/*.csv``).

``tables/*.csv`` stay the machine-readable contract (English column names, ``,``, decimal point,
UTF-8 without BOM) the notebooks and scripts read. For people, :func:`spreadsheet_view` gives
each table French headers (:data:`~transitions_analysis.core.labels.COLUMN_LABELS_FR`, all
distinct), one column per key of a column of mappings (Cohen's kappa: one column per pair of
coders) and ``oui``/``non`` for booleans; :func:`write_french_csvs` writes it for a French Excel
or LibreOffice (UTF-8 with BOM, ``;``, decimal comma, CRLF: :func:`~transitions_analysis.core.io.write_table_fr`,
formulas neutralised), and :mod:`.xlsx` as the sheets of ``synthese.xlsx``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.io import refuse_raw, write_table_fr
from ..core.labels import COLUMN_LABELS_FR

FRENCH_CSV_DIR = "tableur"


def _yes_no(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return "oui" if value else "non"
    return value


def spreadsheet_view(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """``df`` for a spreadsheet, and for each of its columns the column of ``df`` it comes from
    (to choose its number format). A column of mappings (``{'A|B': 0.9}``) becomes one column per
    key, headed « label (A / B) »; booleans become ``oui``/``non``; headers are French and distinct
    (``ValueError`` otherwise: a label is missing or shared)."""
    columns: dict[str, pd.Series] = {}
    sources: list[str] = []

    def add(header: str, values: pd.Series, source: str) -> None:
        if header in columns:
            raise ValueError(f"en-tête « {header} » en double (colonnes {sources[list(columns).index(header)]} et {source})")
        columns[header] = values
        sources.append(source)

    for column in df.columns:
        values = df[column]
        label = COLUMN_LABELS_FR.get(column, column)
        if values.map(lambda v: isinstance(v, Mapping)).any():
            keys = sorted({str(k) for v in values if isinstance(v, Mapping) for k in v})
            for key in keys:
                cells = values.map(lambda v, key=key: v.get(key, np.nan) if isinstance(v, Mapping) else np.nan)
                add(f"{label} ({key.replace('|', ' / ')})", cells.astype(float), column)
            continue
        if pd.api.types.is_bool_dtype(values) or values.dtype == object:
            values = values.map(_yes_no)
        add(label, values, column)
    return pd.DataFrame(columns, index=df.index), sources


def write_french_csvs(tables: Mapping[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    """Each table as ``<out_dir>/<stem>.csv`` for a French spreadsheet (see module docstring)."""
    out = refuse_raw(out_dir)
    paths = {}
    for stem, df in tables.items():
        view, _ = spreadsheet_view(df)
        paths[stem] = write_table_fr(view, out / f"{stem}.csv")
    return paths


