"""Spreadsheets (CSV, TSV, XLSX, Framaforms/Webform exports) -> answers: long tables (one text
column) or wide forms (one column per question)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import (
    MSG_CELL_TOO_LONG,
    MSG_CSV_MALFORMED,
    MSG_DUPLICATE_FIELD_COLUMN,
    MSG_MISSING_COLUMN,
    MSG_NO_TEXT_COLUMN,
    InputError,
)
from ...core.io import open_xlsx, sheet_rows, utf8_name
from ...core.text import fold_label
from .common import Answer, SourceRead, clean_header, clean_text, decode_bytes, header_key, name_variants, slug_question
from .dates import parse_session
from .mapping import Mapping

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t")
#: Largest CSV cell read (Python's csv module stops at 128 KiB by default; a long transcript
#: pasted in one cell is legitimate).
MAX_CELL_CHARS = 16 * 1024 * 1024

# Headers recognised without a mapping (compared through ``header_key``).
_OUTPUT_HEADERS = ("response_id", "text", "session", "territory", "role", "question", "question_id", "respondent")
_NAME_HEADERS = {
    "nom", "prenom", "nom prenom", "prenom nom", "nom et prenom", "nom complet", "name", "full name",
    "first name", "last name", "nom d utilisateur", "username", "user name", "participant", "auteur",
}
_PRIVATE_HEADER_RE = re.compile(
    r"^(?:(?:adresse|address|remote) ?ip|ip(?: address| adresse)?|remote addr|"
    r"(?:adresse )?(?:e ?mail|courriel|mel)|(?:numero de )?(?:telephone|tel|portable|mobile|phone))$"
)
_WEBFORM_METADATA = {
    "numero de soumission", "numero de serie", "serial", "sid", "submission id", "date de creation",
    "date de derniere modification", "heure de soumission", "date de soumission", "submitted", "time",
    "draft", "brouillon", "uid", "nom d utilisateur", "username", "adresse ip", "ip address", "remote addr",
    "completed", "modified", "changed", "created", "langue", "language",
}
_WEBFORM_RESPONDENT = ("numero de soumission", "numero de serie", "serial", "sid", "submission id")
_AUTO_ROLE_HEADERS = {"vous etes", "role", "votre role", "fonction", "votre fonction", "statut", "votre statut", "profil"}
_AUTO_TERRITORY_HEADERS = {"territoire", "votre territoire", "collectivite", "votre collectivite"}
_EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!"}


@dataclass
class RawTable:
    """Cells of a sheet as strings: ``rows`` = list of (spreadsheet row number, cells)."""

    rows: list[tuple[int, list[str]]]
    lines: dict[int, int] = field(default_factory=dict)  # row number -> first text line (CSV)


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; tab that splits the first records into a constant, largest number of fields."""
    sample = text[:65536]
    best, best_score = ",", (-1, 0)
    for delim in DELIMITERS:
        counts = []
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
        try:
            for record in reader:
                if record:
                    counts.append(len(record))
                if len(counts) >= 50:
                    break
        except csv.Error:
            pass
        if not counts:
            continue
        if len(sample) == 65536 and len(counts) > 1:
            counts = counts[:-1]  # the last record of a truncated sample may be partial
        header = counts[0]
        consistent = all(c == header for c in counts[1:])
        score = (2 if consistent and header > 1 else 1 if header > 1 else 0, header)
        if score > best_score:
            best, best_score = delim, score
    return best


def _open_quote_column(line: str, delim: str) -> int | None:
    """0-based index of the field whose opening quote is never closed on ``line``."""
    field_index, in_quote, at_start = 0, False, True
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quote:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    i += 1
                else:
                    in_quote = False
        elif ch == delim:
            field_index, at_start = field_index + 1, True
            i += 1
            continue
        elif ch == '"' and at_start:
            in_quote = True
        at_start = False
        i += 1
    return field_index if in_quote else None


_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line and its end, as newline="" splits them


def read_csv_table(path: Path, mapping: Mapping) -> tuple[RawTable, dict[str, Any]]:
    """Decode and parse a CSV file strictly; broken quoting -> ``InputError`` with line, row, column."""
    raw = path.read_bytes()
    encoding = None if mapping.encoding else utf8_name(raw)
    if encoding is None:  # another encoding, or one the mapping gives: the text decoded whole
        text, encoding = decode_bytes(raw, path, mapping.encoding)
        del raw
        nul = text.find("\x00")
        line_of_nul = text.count("\n", 0, nul) + 1 if nul >= 0 else 0
        sample = text[:65536]
        # lines as io.StringIO(text, newline="") gives them, without its copy of the whole text
        source: Iterator[str] = (m.group() for m in _LINE_RE.finditer(text))

        def whole() -> str:
            return text
    else:  # UTF-8, the usual case: decoded line by line, never as one text (which takes four
        # bytes per character once one character is beyond U+FFFF: 0.56 GB for a 140 MB export)
        nul = raw.find(b"\x00")
        line_of_nul = raw.count(b"\n", 0, nul) + 1 if nul >= 0 else 0
        sample = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="").read(65536)
        source = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline="")

        def whole() -> str:
            return raw.decode("utf-8-sig")
    delim = mapping.delimiter or detect_delimiter(sample)
    if nul >= 0:
        raise InputError("caractère nul : ce n'est pas un fichier texte CSV", path=path, line=line_of_nul)
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(source, delimiter=delim, strict=True)
    rows: list[tuple[int, list[str]]] = []
    lines: dict[int, int] = {}
    row_number, prev_line = 0, 0
    header: list[str] | None = None
    while True:
        start_line = prev_line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            text = whole()
            physical = text.split("\n")[start_line - 1] if start_line - 1 < text.count("\n") + 1 else ""
            col = _open_quote_column(physical, delim)
            col_name = header[col] if header is not None and col is not None and col < len(header) else col
            if "end of data" in str(exc) or "unexpected end" in str(exc):
                message = "guillemet ouvert jamais fermé : le champ court jusqu'à la fin du fichier"
            elif "field larger than field limit" in str(exc):
                message = MSG_CELL_TOO_LONG.format(limit=MAX_CELL_CHARS // 2**20)
            else:
                message = MSG_CSV_MALFORMED.format(detail=exc)
            raise InputError(
                message, path=path, line=start_line, row=row_number + 1, column=col_name + 1 if isinstance(col_name, int) else col_name
            ) from exc
        row_number += 1
        prev_line = reader.line_num
        lines[row_number] = start_line
        rows.append((row_number, record))
        if header is None and any(c.strip() for c in record):
            header = [clean_header(c) for c in record]
    info = {"encoding": encoding, "delimiter": delim}
    return RawTable(rows=rows, lines=lines), info


def _cell_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx_table(path: Path, mapping: Mapping) -> tuple[RawTable, dict[str, Any]]:
    """Cells of the mapping's sheet of an XLSX workbook, as strings (see :func:`core.io.open_xlsx`
    for the limits). Without a ``sheet`` in the mapping, the first sheet holding a cell is read
    (a « Lisez-moi » sheet left empty before the data is skipped, and said in the log)."""
    with open_xlsx(path) as workbook:
        if mapping.sheet is not None:
            if mapping.sheet not in workbook.sheetnames:
                raise mapping.error(
                    f"feuille {mapping.sheet!r} absente de {path.name} (feuilles : {', '.join(workbook.sheetnames)})",
                    "sheet",
                )
            candidates = [workbook[mapping.sheet]]
        else:
            candidates = list(workbook.worksheets)
        rows: list[tuple[int, list[str]]] = []
        skipped: list[str] = []
        title = candidates[0].title if candidates else ""
        for sheet in candidates:
            rows = [(n, [_cell_str(v) for v in values]) for n, values in sheet_rows(sheet, path)]
            title = sheet.title
            if any(c.strip() for _, cells in rows for c in cells) or mapping.sheet is not None:
                break
            skipped.append(sheet.title)
        if skipped and len(skipped) < len(candidates):
            log.warning("%s : feuille(s) vide(s) %s sautée(s), lecture de la feuille « %s »",
                        path.name, ", ".join(f"« {t} »" for t in skipped), title)
    info: dict[str, Any] = {"sheet": title}
    if skipped and len(skipped) < len(candidates):
        info["empty_sheets_skipped"] = skipped
    return RawTable(rows=rows), info


def _find_header(table: RawTable, wanted: set[str]) -> int:
    """Index in ``table.rows`` of the header row: the first one holding every mapped column, else
    the first holding Webform metadata (multi-row Webform headers), else the first non-empty row."""
    candidates = [i for i, (_, cells) in enumerate(table.rows[:10]) if any(c.strip() for c in cells)]
    if not candidates:
        return -1
    if wanted:
        for i in candidates:
            if wanted <= {clean_header(c) for c in table.rows[i][1]}:
                return i
    else:
        for i in candidates[:5]:
            keys = {header_key(c) for c in table.rows[i][1]}
            if len(keys & _WEBFORM_METADATA) >= 2:
                return i
    return candidates[0]


def answers_from_table(
    table: RawTable, mapping: Mapping, path: Path, *, source_file: str, fmt: str
) -> SourceRead:
    """Turn a parsed sheet into answers: long (one text column) or wide (one column per question)."""
    wanted = set(mapping.columns.values()) | set(mapping.names) | set(mapping.questions.values())
    header_at = _find_header(table, wanted)
    if header_at < 0:
        return SourceRead(format=fmt, answers=[], info={"header_row": None})
    header_row, raw_header = table.rows[header_at]
    header = [clean_header(c) for c in raw_header]
    given_keys = [header_key(h) for h in header]  # before duplicates are renamed
    seen: dict[str, int] = {}
    for i, name in enumerate(header):  # duplicate headers get " (2)", " (3)"
        if name in seen:
            seen[name] += 1
            header[i] = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
    index = {name: i for i, name in enumerate(header) if name}
    keys = [header_key(h) for h in header]
    shown = path.name

    def locate(name: str, key: str) -> int:
        if name not in index:
            raise mapping.error(
                f"{key} : {MSG_MISSING_COLUMN.format(column=repr(name))} dans {shown} "
                f"(colonnes : {', '.join(repr(h) for h in header if h)})",
                name,
            )
        return index[name]

    fields: dict[str, int] = {f: locate(c, f"columns.{f}") for f, c in mapping.columns.items()}
    for f in _OUTPUT_HEADERS:
        key = header_key(f)  # "response_id" and "Response ID" are the same header
        if f not in fields and key in given_keys and not (f == "question" and mapping.questions):
            same = [i for i, k in enumerate(given_keys) if k == key]
            if len(same) > 1:
                raise InputError(
                    MSG_DUPLICATE_FIELD_COLUMN.format(field=f, columns=", ".join(str(i + 1) for i in same)),
                    path=path, row=header_row, column=same[1] + 1,
                )
            fields[f] = same[0]
    name_cols = [locate(c, "names") for c in mapping.names]
    name_cols += [i for i, k in enumerate(keys) if k in _NAME_HEADERS and i not in name_cols and i not in fields.values()]
    dropped = {locate(c, "drop") for c in mapping.drop}
    dropped |= {i for i, k in enumerate(keys) if _PRIVATE_HEADER_RE.match(k)}
    webform = len(set(keys) & _WEBFORM_METADATA) >= 2
    if webform and "respondent" not in fields:
        for key in _WEBFORM_RESPONDENT:
            if key in keys:
                fields["respondent"] = keys.index(key)
                break

    questions: list[tuple[str, int, str]] = []  # (question_id, column index, question text)
    if mapping.questions:
        questions = [(qid, locate(col, f"questions.{qid}"), col) for qid, col in mapping.questions.items()]
    elif "text" not in fields:
        if not webform:
            raise InputError(MSG_NO_TEXT_COLUMN, path=path, row=header_row)
        for key_set, f in ((_AUTO_ROLE_HEADERS, "role"), (_AUTO_TERRITORY_HEADERS, "territory")):
            if f not in fields:
                found = [i for i, k in enumerate(keys) if k in key_set]
                if found:
                    fields[f] = found[0]
        used = set(fields.values()) | set(name_cols) | dropped
        cols = [i for i, k in enumerate(keys) if header[i] and i not in used and k not in _WEBFORM_METADATA]
        questions = [(f"q{n}", i, header[i]) for n, i in enumerate(cols, start=1)]
        fmt = f"framaforms-{fmt}"
        log.info("%s : export de formulaire sans correspondance, %d questions détectées", shown, len(questions))
    elif webform:
        fmt = f"framaforms-{fmt}"

    def cell(cells: list[str], i: int | None) -> str:
        return cells[i] if i is not None and i < len(cells) else ""

    answers: list[dict[str, Any]] = []
    width = len(header)
    data_rows = table.rows[header_at + 1 :]
    filled = [i for i, (_, cells) in enumerate(data_rows) if any(c.strip() for c in cells)]
    last_filled = filled[-1] if filled else -1
    for position, (row_number, cells) in enumerate(data_rows):
        if not any(c.strip() for c in cells):
            if position < last_filled:  # a blank row amid the data is reported, not silently skipped
                answers.append(Answer(
                    source_row=row_number, session=mapping.session or "", territory=mapping.territory or "",
                    respondent_key=f"row:{row_number}", role_raw="", _names=[], column="",
                    question_id="", question="", text="", _qorder=0,
                    reject=("empty", "ligne vide au milieu des données"),
                ))
            continue
        extra = [j for j in range(width, len(cells)) if cells[j].strip()]
        if extra:
            raise InputError(
                f"trop de champs ({len(cells)} au lieu de {width}) : séparateur non protégé par des guillemets ?",
                path=path, row=row_number, line=table.lines.get(row_number), column=extra[0] + 1,
            )
        session_value = cell(cells, fields.get("session"))
        try:
            session = parse_session(session_value) if session_value.strip() else (mapping.session or "")
        except ValueError as exc:
            raise InputError(
                str(exc), path=path, row=row_number, line=table.lines.get(row_number), column=header[fields["session"]]
            ) from exc
        territory = cell(cells, fields.get("territory")).strip() or (mapping.territory or "")
        role_raw = " ".join(cell(cells, fields.get("role")).split()) or (mapping.role or "")
        full_name = " ".join(" ".join(cell(cells, i).split()) for i in name_cols).strip()
        names = name_variants(full_name)
        respondent = cell(cells, fields.get("respondent")).strip()
        respondent_key = (
            f"respondent:{respondent}" if respondent else f"name:{fold_label(full_name)}" if full_name else f"row:{row_number}"
        )
        base = {
            "source_row": row_number,
            "session": session,
            "territory": territory,
            "respondent_key": respondent_key,
            "role_raw": role_raw,
            "_names": names,
        }
        if questions:
            for order, (qid, i, qtext) in enumerate(questions):
                answers.append(
                    Answer(**base, column=header[i], question_id=qid, question=qtext, text=cell(cells, i), _qorder=order)
                )
        else:
            question = cell(cells, fields.get("question")).strip() or (mapping.question or "")
            qid = cell(cells, fields.get("question_id")).strip() or mapping.question_id or slug_question(question)
            answer = Answer(
                **base, column=header[fields["text"]], question_id=qid, question=question,
                text=cell(cells, fields["text"]), _qorder=0,
            )
            rid = cell(cells, fields.get("response_id")).strip()
            if rid:
                answer["response_id"] = rid
            answers.append(answer)
    for answer in answers:
        raw = answer["text"]
        answer["text"] = clean_text(raw)
        if answer["text"] in _EXCEL_ERRORS:
            answer["reject"] = ("unreadable", f"valeur d'erreur du tableur ({answer['text']})")
    info = {"header_row": header_row, "questions": len(questions) or 1, "dropped_columns": sorted(header[i] for i in dropped)}
    return SourceRead(format=fmt, answers=answers, info=info)


def read_table_file(path: Path, mapping: Mapping, *, source_file: str) -> SourceRead:
    """CSV/TSV or XLSX file -> answers."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table, info = read_xlsx_table(path, mapping)
        fmt = "xlsx"
    else:
        if mapping.sheet is not None:
            raise mapping.error("la clé 'sheet' ne s'applique qu'aux classeurs XLSX", "sheet")
        table, info = read_csv_table(path, mapping)
        fmt = "csv"
    read = answers_from_table(table, mapping, path, source_file=source_file, fmt=fmt)
    read.info = {**info, **read.info}
    return read
