"""``synthese.xlsx``: every table on a sheet named by its French title, French headers,
byte-identical for the same tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..core.io import make_xlsx_deterministic, refuse_raw
from ..core.labels import COLUMN_LABELS_FR


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path, *, titles: Mapping[str, str]) -> Path:
    """One sheet per table, named by its French title (<= 31 characters), French column headers."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for stem, df in tables.items():
            name = _sheet_name(titles.get(stem, stem), used)
            df.rename(columns=COLUMN_LABELS_FR).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for i, col in enumerate(df.columns, start=1):
                # 90th percentile of the written lengths (empty cells left out)
                lengths = df[col].astype("object").map(lambda v: None if v is None or v != v else len(str(v)))
                typical = pd.to_numeric(lengths, errors="coerce").quantile(0.9) if len(df) else 0
                width = min(60, max(10, len(COLUMN_LABELS_FR.get(col, col)) + 2,
                                    int(typical) + 2 if typical == typical else 0))
                sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width
            sheet.freeze_panes = "A2"
    make_xlsx_deterministic(path)
    return path


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31]
    base, i = name, 2
    while name in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name
