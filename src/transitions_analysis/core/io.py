"""Reading and writing tables, and the coded folder every stage exchanges.

- One set of CSV options (:data:`CSV_OPTIONS`: UTF-8, ``\\n``, minimal quoting, floats ``%.4f``)
  so that the same tables give the same bytes; :func:`read_table` reads CSV or XLSX alike.
- The same tables for a French spreadsheet (:data:`CSV_OPTIONS_FR`, :func:`write_table_fr`): UTF-8
  with BOM, ``;``, decimal comma, CRLF: what a French Excel or LibreOffice opens by double-click
  (without the BOM Excel reads UTF-8 as Windows-1252; with ``,`` it puts each row in one column).
- No formula reaches a spreadsheet (OWASP « CSV injection »): a text cell starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading ``'`` (and a cell
  starting with ``'`` gets a second one), so a spreadsheet shows it as text; the toolkit's
  readers remove exactly that ``'``, so the analysis sees the original text
  (:func:`neutralise_formula`, :func:`restore_formula`).
- One guard, :func:`refuse_raw`, used by every writer: ``data/raw/`` is never written.
- A *coded folder* (``responses.csv``, ``rejected.csv``, ``segments.csv``, ``codings.csv``,
  ``expectations.csv``, ``run.json``, ``ingest_summary.json``) is read by :func:`read_coded` and
  written by :func:`write_coded`, as a :class:`CodedTables` whose tables are validated
  (:mod:`~transitions_analysis.core.schema`): offsets are integers, scores floats, ``negated`` a
  boolean, whatever wrote them.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from . import schema
from .errors import MSG_FILE_NOT_FOUND, MSG_REFUSE_RAW, InputError

CSV_OPTIONS: dict[str, Any] = {
    "index": False,
    "encoding": "utf-8",
    "lineterminator": "\n",
    "quoting": csv.QUOTE_MINIMAL,
    "float_format": "%.4f",
}
#: A French spreadsheet's CSV (Excel and LibreOffice in French): not for the toolkit's readers.
CSV_OPTIONS_FR: dict[str, Any] = {
    "index": False,
    "encoding": "utf-8-sig",
    "sep": ";",
    "decimal": ",",
    "lineterminator": "\r\n",
    "quoting": csv.QUOTE_MINIMAL,
    "float_format": "%.4f",
}
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
#: What makes a spreadsheet read a cell as a formula (OWASP CSV injection guidance).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = "'"
CODED_TABLES: tuple[str, ...] = ("responses", "rejected", "segments", "codings", "expectations")
#: Files that make a folder a coded folder (``rejected.csv`` and the JSON files are optional).
CODED_REQUIRED: tuple[str, ...] = ("responses", "segments", "codings", "expectations")
#: The optional review queue of a coded folder (``suggestions.csv``, written when not empty).
SUGGESTIONS = "suggestions"
RUN_FILE = "run.json"
SUMMARY_FILE = "ingest_summary.json"


# --------------------------------------------------------------------------- the data/raw guard


def inside_raw(path: str | Path) -> bool:
    """True when ``path`` is ``data/raw`` of this project, inside it, or inside any ``data/raw/``."""
    resolved = Path(path).resolve()
    raw = config.RAW_DIR.resolve()
    if resolved == raw or raw in resolved.parents:
        return True
    parts = resolved.parts
    return any(parts[i] == "data" and parts[i + 1] == "raw" for i in range(len(parts) - 1))


def refuse_raw(path: str | Path) -> Path:
    """``path`` as a Path, or ``InputError`` when it lies in ``data/raw/`` (never written)."""
    if inside_raw(path):
        raise InputError(MSG_REFUSE_RAW, path=path)
    return Path(path)


# --------------------------------------------------------------------------- formulas


def neutralise_formula(value: object) -> object:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula (or when it
    already starts with ``'``, so that :func:`restore_formula` is exact); others unchanged."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == _ESCAPE):
        return _ESCAPE + value
    return value


def restore_formula(value: object) -> object:
    """The text :func:`neutralise_formula` was given (removes the ``'`` it added, nothing else)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == _ESCAPE and (value[1] in FORMULA_STARTS or value[1] == _ESCAPE):
        return value[1:]
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are passed through :func:`neutralise_formula`."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(neutralise_formula)
    return out


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Inverse of :func:`neutralise_formulas` (text columns only)."""
    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column].dtype):
            df[column] = df[column].map(restore_formula)
    return df


# --------------------------------------------------------------------------- tables


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as deterministic UTF-8 CSV (:data:`CSV_OPTIONS`), formulas neutralised;
    refuses ``data/raw/``."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(df).to_csv(path, **CSV_OPTIONS)
    return path


def write_table_fr(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one table for a French spreadsheet (:data:`CSV_OPTIONS_FR`), formulas neutralised;
    refuses ``data/raw/``. Byte-stable like :func:`write_table`."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_formulas(df).to_csv(path, **CSV_OPTIONS_FR)
    return path


def write_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as indented UTF-8 JSON, keys sorted (byte-stable); refuses ``data/raw/``."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_json(path: str | Path) -> dict[str, Any]:
    """A JSON object from ``path``; ``InputError`` naming the file when it does not parse."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"JSON illisible : {exc}", path=path) from exc
    return data if isinstance(data, dict) else {}


def read_table(path: str | Path, *, sheet: str | int = 0, sep: str = ",") -> pd.DataFrame:
    """Every cell of a CSV (UTF-8, with or without BOM, separated by ``sep``) or of an XLSX sheet,
    as text (an empty cell is ``""``). ``InputError`` naming the file when absent or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return restore_formulas(pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False))
        return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=sep))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise InputError(f"table illisible : {exc}", path=path) from exc


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """A comma-separated UTF-8 CSV written by the toolkit, every cell as text."""
    path = Path(path)
    try:
        return restore_formulas(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"table illisible : {exc}", path=path) from exc


_XLSX_FIXED_DATE = "2021-01-01T00:00:00Z"


def make_xlsx_deterministic(path: Path) -> None:
    """Rewrite an openpyxl workbook so that the same tables give the same bytes: openpyxl stamps
    the save time into docProps/core.xml and into every zip entry."""
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


# --------------------------------------------------------------------------- the coded folder


@dataclass
class CodedTables:
    """The tables of a coded folder (output of ``code``), validated.

    ``rejected`` may be empty; ``run_info`` is ``run.json``; ``summary`` is the ingestion summary
    (``ingest_summary.json``) when present.
    """

    responses: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    expectations: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.Rejected))
    run_info: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    suggestions: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.Suggestions))

    def validated(self) -> CodedTables:
        """A copy whose tables are checked and typed (see :func:`schema.validate`)."""
        return replace(
            self,
            **{name: schema.validate(getattr(self, name), schema.TABLES[name])
               for name in (*CODED_TABLES, SUGGESTIONS)},
        )


def coded_tables(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    codings: pd.DataFrame,
    expectations: pd.DataFrame,
    rejected: pd.DataFrame | None = None,
    run_info: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    suggestions: pd.DataFrame | None = None,
) -> CodedTables:
    """Bundle in-memory tables (e.g. from ingestion and coding) as validated :class:`CodedTables`."""
    return CodedTables(
        responses, segments, codings, expectations,
        rejected if rejected is not None else schema.empty(schema.Rejected), run_info or {}, summary or {},
        suggestions if suggestions is not None else schema.empty(schema.Suggestions),
    ).validated()


def is_coded_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder holding responses.csv, segments.csv, codings.csv and expectations.csv."""
    p = Path(path)
    return p.is_dir() and all((p / f"{n}.csv").is_file() for n in CODED_REQUIRED)


def read_coded(folder: str | Path, *, required: Iterable[str] = CODED_REQUIRED) -> CodedTables:
    """Read a coded folder: its tables validated, ``run.json`` and ``ingest_summary.json`` when present.
    A missing ``required`` table (others are then empty), a missing column or a value that does not
    parse raises InputError."""
    required = tuple(required)
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("dossier codé introuvable (sortie de « transitions-analysis code »)", path=folder)
    tables: dict[str, pd.DataFrame] = {}
    for name in CODED_TABLES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            if name not in required:
                tables[name] = schema.empty(schema.TABLES[name])
                continue
            raise InputError("fichier attendu absent d'un dossier codé", path=path)
        tables[name] = schema.validate(read_csv_table(path), schema.TABLES[name], table=name, path=path)
    path = folder / f"{SUGGESTIONS}.csv"
    if path.is_file():
        tables[SUGGESTIONS] = schema.validate(read_csv_table(path), schema.Suggestions, table=SUGGESTIONS, path=path)
    extras = {}
    for attr, fname in (("run_info", RUN_FILE), ("summary", SUMMARY_FILE)):
        p = folder / fname
        extras[attr] = read_json(p) if p.is_file() else {}
    return CodedTables(**tables, **extras)


def write_coded(
    tables: CodedTables, out_dir: str | Path, *, names: Iterable[str] = CODED_TABLES, json_files: bool = True
) -> dict[str, Path]:
    """Write the tables ``names`` of ``tables`` as ``<name>.csv`` in ``out_dir``, then ``run.json`` and
    ``ingest_summary.json`` when ``json_files`` and not empty. Refuses ``data/raw/``. Returns name -> path."""
    out = refuse_raw(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    names = list(names)
    for name in names:
        paths[f"{name}.csv"] = write_table(getattr(tables, name), out / f"{name}.csv")
    queue = out / f"{SUGGESTIONS}.csv"
    if "codings" in names and len(tables.suggestions):
        paths[queue.name] = write_table(tables.suggestions, queue)
    elif "codings" in names and queue.is_file():
        queue.unlink()  # a re-run without suggestions leaves no stale queue behind
    if json_files:
        if tables.summary:
            paths[SUMMARY_FILE] = write_json(tables.summary, out / SUMMARY_FILE)
        if tables.run_info:
            paths[RUN_FILE] = write_json(tables.run_info, out / RUN_FILE)
    return paths


def read_human_codings(path: str | Path) -> pd.DataFrame:
    """A human coding (``response_id`` or ``segment_id``, ``coder``, ``code``; CSV or XLSX) as text;
    an empty code stays ``""`` (unit seen, no code). ``InputError`` names the file and column."""
    path = Path(path)
    table = read_table(path)
    for column in ("coder", "code"):
        if column not in table.columns:
            raise InputError(f"colonne attendue absente : {column}", path=path, row=1, column=column)
    if "response_id" not in table.columns and "segment_id" not in table.columns:
        raise InputError("colonne attendue absente : response_id (ou segment_id)", path=path, row=1)
    return table
