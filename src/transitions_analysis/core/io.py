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
- One run, one folder (:func:`run_folder`): an output folder is written in a temporary sibling
  that replaces it only when the run succeeds, so an interrupted run leaves the previous folder
  whole and a folder never mixes two runs' files; :func:`check_out_file` checks a file output.
- One decoder for text files (:func:`decode_text`: UTF-8 with or without BOM, UTF-16, cp1252,
  line by line when a file mixes UTF-8 and cp1252) and one guarded XLSX reader
  (:func:`open_xlsx`, :func:`sheet_rows`: zip-bomb, DOCTYPE, row and column limits).
- A *coded folder* (``responses.csv``, ``rejected.csv``, ``segments.csv``, ``codings.csv``,
  ``expectations.csv``, ``run.json``, ``ingest_summary.json``) is read by :func:`read_coded` and
  written by :func:`write_coded`, as a :class:`CodedTables` whose tables are validated
  (:mod:`~transitions_analysis.core.schema`): offsets are integers, scores floats, ``negated`` a
  boolean, whatever wrote them.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .. import config
from . import schema
from .errors import (
    MSG_CSV_MALFORMED,
    MSG_CSV_NO_HEADER,
    MSG_FILE_NOT_FOUND,
    MSG_FILE_UNREADABLE,
    MSG_NUL_CHARACTER,
    MSG_SHEET_EMPTY,
    MSG_SHEET_MISSING,
    MSG_SHEET_TOO_MANY,
    MSG_SHEET_UNREADABLE,
    MSG_TOO_MANY_FIELDS,
    MSG_XLSX_BOMB,
    MSG_XLSX_DOCTYPE,
    MSG_XLSX_NOT_ZIP,
    MSG_XLSX_REFUSED,
    MSG_XLSX_TOO_BIG,
    MSG_XLSX_UNREADABLE,
    MSG_NOT_CODED_FOLDER,
    MSG_OUT_IS_DIR,
    MSG_OUT_IS_FILE,
    MSG_OUT_NOT_WRITABLE,
    MSG_REFUSE_RAW,
    MSG_UNREADABLE_ENCODING,
    InputError,
    os_error_fr,
)

log = logging.getLogger(__name__)

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


def _not_writable(path: Path, exc: OSError) -> InputError:
    return InputError(MSG_OUT_NOT_WRITABLE.format(reason=os_error_fr(exc).split(": ")[-1]), path=path)


@contextlib.contextmanager
def run_folder(out_dir: str | Path) -> Iterator[Path]:
    """One run's output folder, written atomically.

    Yields a new temporary folder beside ``out_dir`` (``.NAME.en-cours-XXXX``); when the ``with``
    block ends normally, it replaces ``out_dir`` (the previous folder, if any, is removed; its
    hidden files such as ``.gitkeep`` are carried over). When the block raises (or is interrupted
    by Ctrl-C), the temporary folder is removed and ``out_dir`` is left as it was: a folder never
    holds files of two runs. Refuses ``data/raw/``, an existing file, and a place where nothing
    can be written (:class:`InputError` naming it).
    """
    out = check_out_folder(out_dir)
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.en-cours-", dir=parent))
    except OSError as exc:
        raise _not_writable(parent, exc) from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        if out.is_dir():
            for hidden in out.iterdir():
                if hidden.name.startswith(".") and hidden.is_file() and not (tmp / hidden.name).exists():
                    shutil.copy2(hidden, tmp / hidden.name)
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.ancien-", dir=parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _not_writable(out, exc) from exc


def check_out_folder(path: str | Path) -> Path:
    """``path`` as a Path when a run's folder can be written there (before a long run): not in
    ``data/raw/``, not an existing file, its nearest existing parent a writable folder."""
    out = refuse_raw(path)
    if out.exists() and not out.is_dir():
        raise InputError(MSG_OUT_IS_FILE, path=out)
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(MSG_OUT_NOT_WRITABLE.format(reason=f"{parent} n'est pas un dossier"), path=out)
    if not os.access(parent, os.W_OK):
        raise InputError(MSG_OUT_NOT_WRITABLE.format(reason="permission refusée"), path=parent)
    return out


def check_out_file(path: str | Path) -> Path:
    """``path`` as a Path when a file can be written there: not in ``data/raw/``, not an existing
    folder, its folder creatable and writable; else :class:`InputError` naming it."""
    path = refuse_raw(path)
    if path.is_dir():
        raise InputError(MSG_OUT_IS_DIR, path=path)
    check_out_folder(path.absolute().parent)
    return path


# --------------------------------------------------------------------------- decoding text files


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when ``raw`` looks like BOM-less UTF-16 text (one byte of two
    is NUL in a Latin-script text), else None."""
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd >= 0.3 * half and even == 0:
        return "utf-16-le"
    if even >= 0.3 * half and odd == 0:
        return "utf-16-be"
    return None


def utf8_name(raw: bytes) -> str | None:
    """``"utf-8-sig"`` or ``"utf-8"`` when :func:`decode_text` would read ``raw`` as UTF-8 (with
    or without BOM; not UTF-16), else None. Checked piece by piece: the whole text is never built
    (a text holding one character beyond U+FFFF takes four bytes per character)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(raw):
        return None
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    try:
        for at in range(0, len(raw), step):
            decoder.decode(raw[at : at + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"


def decode_text(raw: bytes, path: str | Path, encoding: str | None = None) -> tuple[str, str]:
    """Text of a file and the name of its encoding.

    ``encoding`` given: strict, else :class:`InputError` naming the line. Otherwise: UTF-16 (with a
    BOM, or without when one byte of two is NUL), then UTF-8 with or without BOM; a file that is
    not UTF-8 as a whole is decoded line by line, UTF-8 where a line is valid UTF-8, cp1252 (then
    latin-1) elsewhere: a file mixing both (lines pasted from two sources) reads right and its
    encoding is reported as ``utf-8+cp1252`` with the first cp1252 line logged.
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(MSG_UNREADABLE_ENCODING.format(tried=encoding), path=path, line=line) from exc
    utf16 = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(MSG_UNREADABLE_ENCODING.format(tried="utf-16"), path=path) from exc
    try:
        text = raw.decode("utf-8-sig")
        return text, "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    except UnicodeDecodeError:
        pass
    pieces: list[str] = []
    utf8_lines, legacy_lines = 0, []
    legacy = "cp1252"
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            pieces.append(line.decode("utf-8"))
            utf8_lines += not line.isascii()
        except UnicodeDecodeError:
            legacy_lines.append(number)
            try:
                pieces.append(line.decode("cp1252"))
            except UnicodeDecodeError:  # bytes cp1252 leaves undefined: latin-1 reads everything
                pieces.append(line.decode("latin-1"))
                legacy = "latin-1"
    text = "".join(pieces)
    if text.startswith("\ufeff"):
        text = text[1:]
    if utf8_lines:
        log.warning("%s : encodage mixte, %d ligne(s) en UTF-8 et %d en %s (première : ligne %d), chacune lue dans le sien",
                    path, utf8_lines, len(legacy_lines), legacy, legacy_lines[0])
        return text, f"utf-8+{legacy}"
    return text, legacy


# --------------------------------------------------------------------------- spreadsheets (XLSX)

#: Limits of an XLSX read (a workbook is untrusted input: a 220 KB file can inflate to gigabytes).
MAX_XLSX_BYTES = 256 * 1024 * 1024  # uncompressed, all members
MAX_XLSX_RATIO = 200.0  # uncompressed / compressed, for members over 1 MiB
MAX_SHEET_ROWS = 200_000
MAX_SHEET_COLUMNS = 1_000


def _xlsx_error(path: Path, reason: str) -> InputError:
    return InputError(MSG_XLSX_REFUSED.format(reason=reason), path=path)


@contextlib.contextmanager
def open_xlsx(path: str | Path) -> Iterator[Any]:
    """An openpyxl workbook (read-only, values) after the archive was checked: a real zip, sizes
    within :data:`MAX_XLSX_BYTES` and :data:`MAX_XLSX_RATIO`, no ``<!DOCTYPE`` in its XML (an
    Excel file never has one: entity tricks). Every problem is an :class:`InputError` in French."""
    import openpyxl

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_XLSX_BYTES:
                raise _xlsx_error(path, MSG_XLSX_TOO_BIG.format(size=f"{total / 2**20:.0f}", limit=MAX_XLSX_BYTES // 2**20))
            for info in infos:
                if info.file_size > 2**20 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
                    raise _xlsx_error(path, MSG_XLSX_BOMB.format(member=info.filename,
                                                                 ratio=info.file_size // max(info.compress_size, 1)))
                if info.filename.lower().endswith((".xml", ".rels")):
                    with archive.open(info) as member:
                        head = member.read(2048)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise _xlsx_error(path, MSG_XLSX_DOCTYPE.format(member=info.filename))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise InputError(MSG_XLSX_NOT_ZIP, path=path) from exc
    except FileNotFoundError as exc:
        raise InputError(MSG_FILE_NOT_FOUND, path=path) from exc
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise InputError(MSG_XLSX_UNREADABLE.format(kind=type(exc).__name__), path=path) from exc
    try:
        yield workbook
    finally:
        workbook.close()


def sheet_rows(sheet: Any, path: str | Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """``(row number, cell values)`` of a read-only sheet, without the padding to the declared
    dimension (a sheet declaring ``A1:XFD1048576`` would fill memory) and within
    :data:`MAX_SHEET_ROWS` and :data:`MAX_SHEET_COLUMNS`; a broken sheet is an :class:`InputError`."""
    with contextlib.suppress(AttributeError):
        sheet.reset_dimensions()
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise InputError(MSG_SHEET_TOO_MANY.format(sheet=sheet.title, limit=MAX_SHEET_ROWS, what="lignes"),
                                 path=path, row=number)
            if len(values) > MAX_SHEET_COLUMNS:
                raise InputError(MSG_SHEET_TOO_MANY.format(sheet=sheet.title, limit=MAX_SHEET_COLUMNS, what="colonnes"),
                                 path=path, row=number)
            yield number, values
    except InputError:
        raise
    except Exception as exc:  # corrupt sheet XML, bad cell values...
        raise InputError(MSG_SHEET_UNREADABLE.format(sheet=sheet.title, kind=type(exc).__name__), path=path) from exc


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


_NEUTRALISED_STARTS = frozenset((*FORMULA_STARTS, _ESCAPE))


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are passed through :func:`neutralise_formula` (a column
    is rewritten only when one of its cells needs it: most never do)."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if str(values.dtype) == "str":  # pandas' own strings: one vectorised pass, no Python string per cell
            needs = values.str[:1].isin(_NEUTRALISED_STARTS)
            if needs.any():  # only the cells that need it are rewritten
                out[column] = values.mask(needs, _ESCAPE + values[needs])
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            if any(isinstance(v, str) and v[:1] in _NEUTRALISED_STARTS for v in values):
                out[column] = values.map(neutralise_formula)
    return out


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Inverse of :func:`neutralise_formulas` (text columns only)."""
    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column].dtype):
            df[column] = df[column].map(restore_formula)
    return df


# --------------------------------------------------------------------------- tables


def _write_csv(df: pd.DataFrame, path: str | Path, options: dict[str, Any]) -> Path:
    """``df`` as CSV with pandas' ``options``, formulas neutralised, written
    ``config.WRITE_SLICE`` rows at a time: a column rewritten for formulas (a segment starting
    with « - ») is copied one slice at a time, never whole. The same bytes as one ``to_csv``."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = max(1, int(config.WRITE_SLICE))
    options = dict(options)
    with path.open("w", encoding=options.pop("encoding"), newline="") as handle:
        for at in range(0, max(len(df), 1), size):
            neutralise_formulas(df.iloc[at : at + size]).to_csv(handle, header=at == 0, **options)
    return path


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as deterministic UTF-8 CSV (:data:`CSV_OPTIONS`), formulas neutralised;
    refuses ``data/raw/``."""
    return _write_csv(df, path, CSV_OPTIONS)


def write_table_fr(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one table for a French spreadsheet (:data:`CSV_OPTIONS_FR`), formulas neutralised;
    refuses ``data/raw/``. Byte-stable like :func:`write_table`."""
    return _write_csv(df, path, CSV_OPTIONS_FR)


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


def _sniff_delimiter(header: str, default: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(default, 0) else default


def _csv_frame(text: str, path: Path, sep: str) -> pd.DataFrame:
    """Every cell of a CSV text as a string; a row with more fields than the header is an error
    naming it, a shorter one is padded with empty cells."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(MSG_NUL_CHARACTER, path=path, line=line)
    first_line = text.split("\n", 1)[0]
    sep = _sniff_delimiter(first_line, sep)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            if record and any(c.strip() for c in record):
                records.append(record)
    except csv.Error as exc:
        raise InputError(MSG_CSV_MALFORMED.format(detail=exc), path=path, line=reader.line_num, row=len(records) + 1) from exc
    if not records:
        raise InputError(MSG_CSV_NO_HEADER, path=path)
    header = [h.strip() for h in records[0]]
    width = len(header)
    for number, record in enumerate(records[1:], start=2):
        if len(record) > width and any(c.strip() for c in record[width:]):
            raise InputError(MSG_TOO_MANY_FIELDS.format(found=len(record), width=width), path=path, row=number, column=width + 1)
    rows = [(r + [""] * width)[:width] for r in records[1:]]
    return pd.DataFrame(rows, columns=header, dtype=object)


def read_table(path: str | Path, *, sheet: str | int = 0, sep: str = ",") -> pd.DataFrame:
    """Every cell of a CSV (any encoding :func:`decode_text` reads; ``sep``, or ``;``/tab when the
    header line holds more of them) or of an XLSX sheet, as text (an empty cell is ``""``).
    :class:`InputError` naming the file (and row) when absent or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(MSG_FILE_NOT_FOUND, path=path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with open_xlsx(path) as workbook:
            try:
                ws = workbook[sheet] if isinstance(sheet, str) else workbook.worksheets[sheet]
            except (KeyError, IndexError) as exc:
                raise InputError(MSG_SHEET_MISSING.format(sheet=sheet, sheets=", ".join(workbook.sheetnames)), path=path) from exc
            values = [["" if v is None else str(v) for v in row] for _, row in sheet_rows(ws, path)]
        values = [r for r in values if any(c.strip() for c in r)]
        if not values:
            raise InputError(MSG_SHEET_EMPTY.format(sheet=ws.title), path=path)
        width = max(len(r) for r in values)
        values = [r + [""] * (width - len(r)) for r in values]
        header = [h.strip() for h in values[0]]
        return restore_formulas(pd.DataFrame(values[1:], columns=header, dtype=object))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(MSG_FILE_UNREADABLE.format(reason=os_error_fr(exc).split(": ")[-1]), path=path) from exc
    text, _ = decode_text(raw, path)
    return restore_formulas(_csv_frame(text, path, sep))


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


def output_folder_files(path: str | Path) -> list[str]:
    """The toolkit's own output files in folder ``path`` (``responses.csv``, ``rejected.csv``,
    ``segments.csv``, ``codings.csv``, ``expectations.csv``, ``run.json``, ``ingest_summary.json``)
    when it looks like an output folder (``responses.csv`` plus at least one of the others),
    else ``[]``: such a folder is not a set of raw exports."""
    p = Path(path)
    if not p.is_dir() or not (p / "responses.csv").is_file():
        return []
    names = [f"{n}.csv" for n in CODED_TABLES] + [RUN_FILE, SUMMARY_FILE]
    present = [n for n in names if (p / n).is_file()]
    return present if len(present) > 1 else []


def refuse_partial_output_folder(path: str | Path) -> None:
    """:class:`InputError` naming the missing files when ``path`` is an output folder of the toolkit
    (see :func:`output_folder_files`) that is not a complete coded folder."""
    present = output_folder_files(path)
    if present and not is_coded_folder(path):
        missing = [f"{n}.csv" for n in CODED_REQUIRED if f"{n}.csv" not in present]
        raise InputError(MSG_NOT_CODED_FOLDER.format(missing=", ".join(missing)), path=path)


def looks_like_human_codings(path: str | Path) -> bool:
    """True when ``path`` is a CSV whose header names ``coder``, ``code`` and ``response_id`` or
    ``segment_id`` (a human coding to compare or learn from, not answers)."""
    p = Path(path)
    if p.suffix.lower() != ".csv" or not p.is_file():
        return False
    try:
        with p.open("rb") as handle:
            head = handle.readline(4096)
        header, _ = decode_text(head, p)
    except (OSError, InputError):
        return False
    delimiter = _sniff_delimiter(header, ",")
    columns = {c.strip().strip('"').lower() for c in header.strip().split(delimiter)}
    return {"coder", "code"} <= columns and bool(columns & {"response_id", "segment_id"})


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
