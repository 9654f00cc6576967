"""Codings for agreement, from any source, in one layout: ``unit, coder, code``.

Inputs are *codings* in the human-codings layout (:data:`~transitions_analysis.core.schema.HUMAN_CODINGS`):
one row per (unit, coder, code), the unit being a response (``response_id``, default) or a segment
(``segment_id``). A row with an empty ``code`` means the coder saw the unit and gave it no code;
a unit with no row for a coder was never seen by that coder (missing). The machine
(``rules``/``model`` in a ``codings.csv`` of the ``code`` stage) is read as one more coder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import MSG_AGREE_EMPTY_VALUE, MSG_AGREE_UNIT_COLUMN, MSG_FILE_NOT_FOUND, MSG_MISSING_COLUMN, MSG_UNSUPPORTED_FORMAT, InputError
from ..core.io import read_table
from ..core.schema import MACHINE_CODERS, SOURCE_HUMAN

log = logging.getLogger(__name__)

#: unit kind -> column naming it in a codings table.
UNIT_COLUMNS: dict[str, str] = {"response": "response_id", "segment": "segment_id"}
#: ``source`` of a codings.csv -> coder name (machine coders keep their name; a human coding its coder's).
_SOURCE_CODERS = {**MACHINE_CODERS, **{c: c for c in MACHINE_CODERS.values()}, SOURCE_HUMAN: SOURCE_HUMAN}


def _unit_column(unit: str) -> str:
    if unit not in UNIT_COLUMNS:
        raise ValueError(f"unit doit valoir 'response' ou 'segment', pas {unit!r}")
    return UNIT_COLUMNS[unit]


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "").astype(str).str.strip()


def detect_unit(path: str | Path) -> str:
    """The unit of a codings file: ``segment`` when its only unit column is ``segment_id``, else
    ``response`` (a ``.qdpx`` holds responses)."""
    path = Path(path)
    if path.suffix.lower() == ".qdpx" or not path.is_file():
        return "response"
    columns = {str(c).strip() for c in read_table(path).columns}
    if "segment_id" in columns and "response_id" not in columns:
        log.info("%s : colonne d'unité segment_id, accord calculé par segment", path.name)
        return "segment"
    return "response"


def read_codings(path: str | Path, *, unit: str = "response") -> pd.DataFrame:
    """Read codings from a CSV/XLSX (``response_id`` or ``segment_id``, ``coder``, ``code``), a
    ``codings.csv`` of the ``code`` stage (schema.CODINGS) or a REFI-QDA ``.qdpx`` project.

    Returns a frame with the columns ``<unit column>, coder, code`` (``code`` empty = unit seen,
    no code), one row per distinct (unit, coder, code), sorted. For a ``code`` output, every unit of
    the ``responses.csv`` (or ``segments.csv``) beside it counts as seen by each machine coder.
    """
    path = Path(path)
    col = _unit_column(unit)
    if not path.exists():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    suffix = path.suffix.lower()
    seen_units: pd.Series | None = None
    if suffix == ".qdpx":
        raw, seen_units = _read_qdpx(path, col)
    elif suffix in (".csv", ".txt", ".xlsx", ".xlsm"):
        raw = read_table(path)
    else:
        raise InputError(MSG_UNSUPPORTED_FORMAT.format(suffix=suffix or "?", supported=".csv, .xlsx, .qdpx"), path=path)
    is_machine = "source" in raw.columns and "segment_id" in raw.columns and "response_id" in raw.columns
    if is_machine and seen_units is None:
        beside = path.parent / ("responses.csv" if unit == "response" else "segments.csv")
        if beside.is_file():
            seen_units = read_table(beside)[col]
            log.info("%s : %d unités de %s comptent comme vues par le codage automatique", path.name, len(seen_units), beside.name)
    return _codings_from_raw(raw, col, path=path, seen_units=seen_units)


def _read_qdpx(path: Path, col: str) -> tuple[pd.DataFrame, pd.Series | None]:
    """The codings of a REFI-QDA project, and the units it holds (every source is seen by every coder)."""
    from ..exchange import import_qdpx

    project = import_qdpx(path)
    units = project.responses if col == "response_id" else project.segments
    return project.codings, (units[col] if col in units.columns else None)


def _codings_from_raw(
    raw: pd.DataFrame, col: str, *, path: Path | None = None, seen_units: Iterable[str] | None = None
) -> pd.DataFrame:
    """Validate and normalise a raw codings frame to ``col, coder, code``."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    if col not in raw.columns:
        other = [c for c in UNIT_COLUMNS.values() if c in raw.columns]
        hint = MSG_AGREE_UNIT_COLUMN.format(column=col, found=", ".join(other) or "aucune")
        raise InputError(hint, path=path, column=col)
    if "code" not in raw.columns:
        raise InputError(MSG_MISSING_COLUMN.format(column="code"), path=path, column="code")
    units = _as_text(raw[col])
    if "coder" in raw.columns:
        coders = _as_text(raw["coder"])
    elif "source" in raw.columns:
        coders = pd.Series("", index=raw.index, dtype=object)
    else:
        raise InputError(MSG_MISSING_COLUMN.format(column="coder"), path=path, column="coder")
    if "source" in raw.columns:  # machine codings: an empty coder falls back on the source
        source = _as_text(raw["source"]).map(lambda s: _SOURCE_CODERS.get(s, s))
        coders = coders.where(coders != "", source)
    for name, values in ((col, units), ("coder", coders)):
        bad = np.flatnonzero((values == "").to_numpy())
        if bad.size:
            raise InputError(MSG_AGREE_EMPTY_VALUE, path=path, row=int(bad[0]) + 2, column=name)
    out = pd.DataFrame({col: units.to_numpy(), "coder": coders.to_numpy(), "code": _as_text(raw["code"]).to_numpy()})
    if seen_units is not None:
        seen = pd.Series(list(seen_units), dtype=object).astype(str).drop_duplicates()
        extra = pd.DataFrame(
            [(u, c, "") for c in sorted(out["coder"].unique()) for u in seen], columns=[col, "coder", "code"]
        )
        out = pd.concat([out, extra], ignore_index=True)
    return _tidy(out, col)


def _tidy(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Drop duplicates and the empty-code rows made redundant by a code of the same (unit, coder)."""
    df = df.drop_duplicates()
    has_code = df[df["code"] != ""].set_index([col, "coder"]).index
    redundant = (df["code"] == "") & df.set_index([col, "coder"]).index.isin(has_code)
    df = df[~redundant]
    return df.sort_values([col, "coder", "code"], kind="stable").reset_index(drop=True)


def _normalise(codings: pd.DataFrame, unit: str | None = None) -> pd.DataFrame:
    """Any accepted codings frame -> columns ``unit, coder, code`` (strings, tidy)."""
    if "unit" in codings.columns and unit is None:
        col = "unit"
    elif unit is not None:
        col = _unit_column(unit)
    elif "response_id" in codings.columns:
        col = "response_id"
    elif "segment_id" in codings.columns:
        col = "segment_id"
    else:
        raise InputError(MSG_AGREE_UNIT_COLUMN.format(column="response_id", found="aucune"), column="response_id")
    norm = _codings_from_raw(codings, col)
    return norm.rename(columns={col: "unit"})




def texts_beside(path: Path, unit: str) -> pd.DataFrame | None:
    """Texts of the units from the ``responses.csv``/``segments.csv`` beside a codings file, if any."""
    beside = path.parent / ("responses.csv" if unit == "response" else "segments.csv")
    if not beside.is_file():
        return None
    table = read_table(beside)
    col = _unit_column(unit)
    return table[[col, "text"]] if {col, "text"} <= set(table.columns) else None
