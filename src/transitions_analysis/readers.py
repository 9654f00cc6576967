"""One reader per raw format: CSV, XLSX, Framaforms/Webform exports, transcripts, video chats.

Each reader returns a :class:`SourceRead`: a list of *answers* (plain dicts, one per input answer,
including empty ones, so that nothing is lost) and what was detected (encoding, delimiter, sheet).
An answer dict holds: ``source_row``, ``column`` (source column, "" for text files), ``session``,
``territory``, ``respondent_key`` (never output), ``role_raw``, ``question_id``, ``question``,
``text``, ``_names`` (names known from the source, for the anonymiser), ``_qorder`` (question order
in the file), ``response_id`` (only when the file carries one) and ``reject`` (``None`` or a
``(reason, detail)`` pair decided by the reader: facilitator turn, private message...).
Emptiness, duplicates, roles and ids are decided later, in :mod:`transitions_analysis.ingest`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import MSG_MISSING_COLUMN, MSG_NO_TEXT_COLUMN, MSG_UNREADABLE_ENCODING, InputError, MappingError, yaml_error_line
from .ids import stable_hash
from .roles import RoleTable, fold, tokens

log = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
TEXT_SUFFIXES = (".txt",)
SUPPORTED_SUFFIXES = TABLE_SUFFIXES + TEXT_SUFFIXES
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = (",", ";", "\t")
MAPPING_SUFFIX = ".mapping.yaml"

MAPPING_KEYS = (
    "sheet", "encoding", "delimiter", "session", "territory", "role", "question_id", "question",
    "columns", "names", "drop", "questions",
)
MAPPING_COLUMN_KEYS = ("respondent", "session", "territory", "role", "question", "question_id", "text")
_TABLE_ONLY_KEYS = ("sheet", "delimiter", "columns", "names", "drop", "questions")

# Headers recognised without a mapping (compared through ``_header_key``).
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
class Mapping:
    """A validated source mapping (see docs/ingestion.md); ``path`` is None when there is none."""

    path: Path | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    session: str | None = None
    territory: str | None = None
    role: str | None = None
    question_id: str | None = None
    question: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)
    questions: dict[str, str] = field(default_factory=dict)

    def error(self, message: str, key: str | None = None) -> MappingError:
        return MappingError(message, path=self.path, column=key)


@dataclass
class SourceRead:
    """What one reader got from one file."""

    format: str
    answers: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- small helpers


def _header_key(header: str) -> str:
    """Comparison key of a column header: accent/case/punctuation-insensitive."""
    return " ".join(tokens(header))


def _clean_header(header: object) -> str:
    return " ".join(unicodedata.normalize("NFC", "" if header is None else str(header)).split())


def clean_text(value: str) -> str:
    """Cell/turn text as output: newlines normalised, surrounding blanks removed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def name_variants(*names: str) -> list[str]:
    """Distinct non-blank names (whitespace collapsed), in order: the anonymiser derives the
    surname alone, "Jean D.", "M. Dupont"... from each full name itself."""
    out: list[str] = []
    for name in names:
        name = " ".join(str(name).split())
        if name and name not in out:
            out.append(name)
    return out


def slug_question(text: str, *, max_len: int = 40) -> str:
    """A stable, readable id for a question text (same text, same slug)."""
    slug = "-".join(tokens(text))
    if not slug:
        return ""
    if len(slug) <= max_len:
        return slug
    cut = slug[:max_len].rsplit("-", 1)[0] or slug[:max_len]
    return f"{cut}-{stable_hash(text, length=4)}"


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s*(?:a|à)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?)?$")
_LONG_RE = re.compile(
    r"^(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$"
)
DATE_FORMATS_HELP = "16/03/2021, 2021-03-16, 16/03/2021 14:32, 16 mars 2021"


def parse_session(value: object) -> str:
    """ISO date (AAAA-MM-JJ) of a session value; "" for blank; ``ValueError`` if unrecognised."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = " ".join(str(value).split())
    if not text:
        return ""
    if m := _ISO_RE.match(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY_RE.match(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        y = y + 2000 if y < 100 else y
    elif (m := _LONG_RE.match(fold(text).replace(",", ""))) and m[2] in _MONTHS:
        d, mo, y = int(m[1]), _MONTHS[m[2]], int(m[3])
    else:
        raise ValueError(f"format de date inconnu : {text!r} (formats lus : {DATE_FORMATS_HELP})")
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError as exc:
        raise ValueError(f"date impossible : {text!r}") from exc


_NAME_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NAME_DMY_RE = re.compile(r"(?<!\d)(\d{2})-(\d{2})-(\d{4})(?!\d)")
_SESSION_COMMENT_RE = re.compile(r"session du\s+(.+?)\s*(?:[-–—(),;]|$)", re.IGNORECASE)


def session_from_file_name(name: str) -> str:
    """ISO date found in a file name (2023-03-15 or 15-03-2023), "" if none."""
    for regex, order in ((_NAME_ISO_RE, (0, 1, 2)), (_NAME_DMY_RE, (2, 1, 0))):
        if m := regex.search(name):
            y, mo, d = (int(m.group(i + 1)) for i in order)
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                continue
    return ""


# --------------------------------------------------------------------------- mapping


def mapping_path_for(path: Path) -> Path:
    """``NAME.EXT`` -> ``NAME.mapping.yaml`` beside it."""
    return path.with_name(path.stem + MAPPING_SUFFIX)


def _as_str(value: object, mapping: Mapping, key: str) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise mapping.error(f"valeur invalide pour {key!r} : un texte est attendu", key)


def load_mapping(path: Path, *, for_table: bool) -> Mapping:
    """Read and validate a mapping YAML; ``MappingError`` names the YAML file and the key."""
    mapping = Mapping(path=path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise MappingError(
            f"YAML illisible ({getattr(exc, 'problem', None) or exc})", path=path, line=yaml_error_line(exc)
        ) from exc
    except UnicodeDecodeError as exc:
        raise MappingError("le fichier de correspondance doit être en UTF-8", path=path) from exc
    if data is None:
        return mapping
    if not isinstance(data, dict):
        raise mapping.error("un dictionnaire de clés est attendu (voir docs/ingestion.md)")
    for key in data:
        if key not in MAPPING_KEYS:
            raise mapping.error(f"clé inconnue {key!r} (clés permises : {', '.join(MAPPING_KEYS)})", str(key))
        if not for_table and key in _TABLE_ONLY_KEYS:
            raise mapping.error(f"la clé {key!r} ne s'applique qu'aux tableaux (CSV, XLSX)", key)
    for key in ("sheet", "encoding", "delimiter", "territory", "role", "question_id", "question"):
        if data.get(key) is not None:
            setattr(mapping, key, _as_str(data[key], mapping, key))
    if data.get("session") is not None:
        try:
            mapping.session = parse_session(data["session"])
        except ValueError as exc:
            raise mapping.error(str(exc), "session") from exc
    if mapping.delimiter is not None:
        mapping.delimiter = {"tab": "\t", "\\t": "\t", "tabulation": "\t"}.get(mapping.delimiter, mapping.delimiter)
        if len(mapping.delimiter) != 1:
            raise mapping.error("le séparateur doit être un seul caractère (ou 'tab')", "delimiter")
    if mapping.encoding is not None:
        try:
            "".encode(mapping.encoding)
        except LookupError as exc:
            raise mapping.error(f"encodage inconnu {mapping.encoding!r}", "encoding") from exc
    columns = data.get("columns") or {}
    if not isinstance(columns, dict):
        raise mapping.error("'columns' doit associer un champ à un nom de colonne", "columns")
    for key, value in columns.items():
        if key not in MAPPING_COLUMN_KEYS:
            raise mapping.error(
                f"clé inconnue columns.{key} (clés permises : {', '.join(MAPPING_COLUMN_KEYS)})", f"columns.{key}"
            )
        mapping.columns[key] = _clean_header(_as_str(value, mapping, f"columns.{key}"))
    for key in ("names", "drop"):
        value = data.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            raise mapping.error(f"'{key}' doit être une liste de noms de colonnes", key)
        setattr(mapping, key, [_clean_header(_as_str(v, mapping, key)) for v in values])
    questions = data.get("questions") or {}
    if not isinstance(questions, dict):
        raise mapping.error("'questions' doit associer un identifiant de question à un en-tête de colonne", "questions")
    for qid, header in questions.items():
        mapping.questions[str(qid)] = _clean_header(_as_str(header, mapping, f"questions.{qid}"))
    if mapping.questions and "text" in mapping.columns:
        raise mapping.error("'questions' (formulaire large) et 'columns.text' (fichier long) s'excluent", "questions")
    return mapping


# --------------------------------------------------------------------------- decoding


def decode_bytes(raw: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Text and encoding name: the mapping's encoding, else utf-8(-sig) strict, cp1252, latin-1."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(MSG_UNREADABLE_ENCODING.format(tried=encoding), path=path, line=line) from exc
    tried = []
    for name in ENCODINGS:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            tried.append(name)
            continue
        if name == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
            name = "utf-8"
        return text, name
    raise InputError(MSG_UNREADABLE_ENCODING.format(tried=", ".join(tried)), path=path)  # pragma: no cover


# --------------------------------------------------------------------------- tables


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


def read_csv_table(path: Path, mapping: Mapping) -> tuple[RawTable, dict[str, Any]]:
    """Decode and parse a CSV file strictly; broken quoting -> ``InputError`` with line, row, column."""
    text, encoding = decode_bytes(path.read_bytes(), path, mapping.encoding)
    delim = mapping.delimiter or detect_delimiter(text)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("caractère nul : ce n'est pas un fichier texte CSV", path=path, line=line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
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
            physical = text.split("\n")[start_line - 1] if start_line - 1 < text.count("\n") + 1 else ""
            col = _open_quote_column(physical, delim)
            col_name = header[col] if header is not None and col is not None and col < len(header) else col
            message = (
                "guillemet ouvert jamais fermé : le champ court jusqu'à la fin du fichier"
                if "end of data" in str(exc) or "unexpected end" in str(exc)
                else f"CSV mal formé ({exc})"
            )
            raise InputError(
                message, path=path, line=start_line, row=row_number + 1, column=col_name + 1 if isinstance(col_name, int) else col_name
            ) from exc
        row_number += 1
        prev_line = reader.line_num
        lines[row_number] = start_line
        rows.append((row_number, record))
        if header is None and any(c.strip() for c in record):
            header = [_clean_header(c) for c in record]
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
    """Cells of the mapping's sheet (default: the first) of an XLSX workbook, as strings."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"classeur XLSX illisible (pas une archive .xlsx valide : {exc})", path=path) from exc
    try:
        if mapping.sheet is not None:
            if mapping.sheet not in workbook.sheetnames:
                raise mapping.error(
                    f"feuille {mapping.sheet!r} absente de {path.name} (feuilles : {', '.join(workbook.sheetnames)})",
                    "sheet",
                )
            sheet = workbook[mapping.sheet]
        else:
            sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((row_number, [_cell_str(v) for v in values]))
        title = sheet.title
    finally:
        workbook.close()
    return RawTable(rows=rows), {"sheet": title}


def _find_header(table: RawTable, wanted: set[str]) -> int:
    """Index in ``table.rows`` of the header row: the first one holding every mapped column, else
    the first holding Webform metadata (multi-row Webform headers), else the first non-empty row."""
    candidates = [i for i, (_, cells) in enumerate(table.rows[:10]) if any(c.strip() for c in cells)]
    if not candidates:
        return -1
    if wanted:
        for i in candidates:
            if wanted <= {_clean_header(c) for c in table.rows[i][1]}:
                return i
    else:
        for i in candidates[:5]:
            keys = {_header_key(c) for c in table.rows[i][1]}
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
    header = [_clean_header(c) for c in raw_header]
    seen: dict[str, int] = {}
    for i, name in enumerate(header):  # duplicate headers get " (2)", " (3)"
        if name in seen:
            seen[name] += 1
            header[i] = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
    index = {name: i for i, name in enumerate(header) if name}
    keys = [_header_key(h) for h in header]
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
        if f not in fields and f in keys and not (f == "question" and mapping.questions):
            fields[f] = keys.index(f)
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
                answers.append({
                    "source_row": row_number, "session": mapping.session or "", "territory": mapping.territory or "",
                    "respondent_key": f"row:{row_number}", "role_raw": "", "_names": [], "column": "",
                    "question_id": "", "question": "", "text": "", "_qorder": 0,
                    "reject": ("empty", "ligne vide au milieu des données"),
                })
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
            f"respondent:{respondent}" if respondent else f"name:{fold(full_name)}" if full_name else f"row:{row_number}"
        )
        base = {
            "source_row": row_number,
            "session": session,
            "territory": territory,
            "respondent_key": respondent_key,
            "role_raw": role_raw,
            "_names": names,
            "reject": None,
        }
        if questions:
            for order, (qid, i, qtext) in enumerate(questions):
                answers.append(
                    {**base, "column": header[i], "question_id": qid, "question": qtext, "text": cell(cells, i), "_qorder": order}
                )
        else:
            question = cell(cells, fields.get("question")).strip() or (mapping.question or "")
            qid = cell(cells, fields.get("question_id")).strip() or mapping.question_id or slug_question(question)
            answer = {
                **base, "column": header[fields["text"]], "question_id": qid, "question": question,
                "text": cell(cells, fields["text"]), "_qorder": 0,
            }
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


# --------------------------------------------------------------------------- speakers


_SPLIT_RE = re.compile(r"\s+[-–—|/]\s+|\s*[|,]\s*|\s+[–—]\s*|\s*[–—]\s+")
_PAREN_RE = re.compile(r"\(([^()]*)\)\s*$")


_TERRITORY_RE = re.compile(
    r"^(?:cc|ca|cu|communaute|metropole|commune|ville|mairie|petr|pays|pnr|parc|departement|region|agglo|"
    r"agglomeration|scot|syndicat mixte)\b"
)


def split_speaker(label: str, *, name_first: bool, table: RoleTable) -> tuple[str, str, str]:
    """``(name, role_raw, territory)`` of a speaker label or chat display name.

    The label is cut at `` - ``, `` | ``, ``,`` and a trailing ``(...)``. Parts the role table
    recognises (or facilitator labels) are the role; parts starting like a territory ("CC ...",
    "Mairie de ...", "PNR ...") the territory; of the rest, the first is the person's name. When
    nothing is recognised, transcripts read ``ROLE - NAME`` and chats ``NAME - ROLE``
    (``name_first``); an unrecognised ``(...)`` is the territory in a transcript and the role in
    a chat.
    """
    label = " ".join(label.split())
    paren = ""
    if m := _PAREN_RE.search(label):
        paren, label = m.group(1).strip(), label[: m.start()].strip()

    def split(text: str) -> list[str]:
        return [p.strip() for p in _SPLIT_RE.split(text) if p and p.strip()]

    def role_like(part: str) -> bool:
        return table.role_of(part) != "inconnu" or table.is_facilitator(part)

    main, extra = split(label), split(paren)
    roles = [p for p in main + extra if role_like(p)]
    places = [p for p in main + extra if p not in roles and _TERRITORY_RE.match(fold(p))]
    others = [p for p in main if p not in roles and p not in places]
    others_extra = [p for p in extra if p not in roles and p not in places]
    if roles or places or len(others) <= 1 or name_first:
        name, rest = (others[0] if others else ""), others[1:]
    else:  # transcript "ROLE - NAME" with a role the table does not know
        name, rest = " - ".join(others[1:]), others[:1]
    if name_first:
        rest += others_extra
    else:
        places += others_extra
    return name, " - ".join(roles + rest), " - ".join(places)


def _facilitator(role_raw: str, table: RoleTable) -> bool:
    return any(table.is_facilitator(p) for p in re.split(r"\s+-\s+", role_raw) if p)


# --------------------------------------------------------------------------- transcripts and chats

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_TURN_RE = re.compile(rf"^\s*(?:(?P<time>\[{_TIME}\]|{_TIME})\s*)?(?P<speaker>[^:\s\[][^:]{{0,100}}?)\s*:(?:\s+(?P<text>.*))?\s*$")
_CHAT_TO_RE = re.compile(
    rf"^\s*(?P<time>{_TIME})\s+(?:From|De)\s+(?P<author>[^:]+)\s+(?:to|à|a)\s+(?P<to>[^:]+?)\s*:[ \t]?(?P<text>.*)$",
    re.IGNORECASE,
)
_CHAT_RE = re.compile(rf"^\s*(?P<time>{_TIME})\s+(?:From|De)\s+(?P<author>[^:]+?)\s*:[ \t]?(?P<text>.*)$", re.IGNORECASE)
_PUBLIC = {"everyone", "tout le monde", "tous", "toutes et tous", "all", "all panelists", "tous les participants"}
_REACTION_RE = re.compile(r"^(?:Reacted to|Removed a|A réagi à|a réagi à|Replying to|En réponse à)\b")
_CONNECTORS = {"de", "du", "des", "la", "le", "les", "d", "l", "et", "a", "au", "aux", "en", "van", "von"}
_SPEAKER_FORBIDDEN = set('?!;«»"…=<>{}')


def _name_like(label: str) -> bool:
    """Every word outside parentheses is capitalised, an initial, a number or a connector."""
    words = [w for w in re.sub(r"\([^()]*\)", " ", label).replace("'", " ").replace("’", " ").split() if w not in "-–—|/,"]
    if not words or len(words) > 8:
        return False
    capitals = 0
    for word in words:
        first = word.lstrip("(")[:1]
        if first.isupper():
            capitals += 1
        elif not (word.lower() in _CONNECTORS or word.isdigit()):
            return False
    return capitals >= 1


def _is_chat_line(line: str) -> re.Match[str] | None:
    return _CHAT_TO_RE.match(line) or _CHAT_RE.match(line)


def read_text_file(path: Path, mapping: Mapping, *, source_file: str, table: RoleTable) -> SourceRead:
    """A transcript (speaker turns) or a video-meeting chat, detected from its lines."""
    text, encoding = decode_bytes(path.read_bytes(), path, mapping.encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    chat_lines = sum(1 for line in lines if _is_chat_line(line))
    session = mapping.session or session_from_file_name(path.name)
    if not session:
        for line in lines:
            if line.lstrip().startswith("#") and (m := _SESSION_COMMENT_RE.search(line)):
                try:
                    session = parse_session(m.group(1))
                    break
                except ValueError:
                    continue
    if chat_lines:
        fmt, heads = "chat", _chat_heads(lines)
    else:
        fmt, heads = "transcript", _transcript_heads(lines, table)
    answers: list[dict[str, Any]] = []
    known_names: list[str] = []
    pending: list[tuple[int, list[str]]] = []  # stray lines before the first turn
    current: dict[str, Any] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current["text"] = "\n".join(body).strip()
            if fmt == "chat" and current["reject"] is None and _REACTION_RE.match(current["text"]):
                current["reject"] = ("reaction", "réaction à un message (emoji), pas un retour")
            answers.append(current)

    for number, line in enumerate(lines, start=1):
        head = heads.get(number)
        if head is None:
            if line.lstrip().startswith("#"):
                continue  # a comment
            if not line.strip():
                if current is not None and body and body[-1]:
                    body.append("")  # keep one paragraph break
                continue
            if current is None:
                pending.append((number, [line.strip()]))
            else:
                body.append(line.strip())
            continue
        close()
        speaker, first_text, recipient = head
        name, role_raw, territory = split_speaker(speaker, name_first=(fmt == "chat"), table=table)
        if name:
            known_names.append(name)
        reject = None
        if _facilitator(role_raw, table) or (not role_raw and table.is_facilitator(name)):
            reject = ("facilitator", "tour de parole de l'animation, pas un retour de participant")
        elif recipient is not None and fold(recipient).strip() not in _PUBLIC:
            reject = ("private", "message privé, non adressé à tout le monde")
        current = {
            "source_row": number,
            "column": "",
            "session": session,
            "territory": territory or (mapping.territory or ""),
            "respondent_key": f"speaker:{fold(name or speaker)}",
            "role_raw": role_raw or (mapping.role or ""),
            "question_id": mapping.question_id or "",
            "question": mapping.question or "",
            "_qorder": 0,
            "reject": reject,
        }
        body = [first_text.strip()] if first_text and first_text.strip() else []
    close()
    names = name_variants(*known_names)
    for answer in answers:
        answer["_names"] = names
    for number, stray in pending:
        answers.append({
            "source_row": number, "column": "", "session": session, "territory": mapping.territory or "",
            "respondent_key": f"row:{number}", "role_raw": "", "question_id": mapping.question_id or "",
            "question": mapping.question or "", "_qorder": 0, "text": "\n".join(stray), "_names": names,
            "reject": ("no_speaker", "texte hors d'un tour de parole (avant le premier intervenant)"),
        })
    info = {"encoding": encoding, "turns": len(heads), "session_detected": session}
    return SourceRead(format=fmt, answers=answers, info=info)


def _chat_heads(lines: list[str]) -> dict[int, tuple[str, str, str | None]]:
    heads = {}
    for number, line in enumerate(lines, start=1):
        if m := _CHAT_TO_RE.match(line):
            heads[number] = (m["author"].strip(), m["text"], m["to"].strip())
        elif m := _CHAT_RE.match(line):
            heads[number] = (m["author"].strip(), m["text"], None)
    return heads


def _transcript_heads(lines: list[str], table: RoleTable) -> dict[int, tuple[str, str, None]]:
    """Line number -> (speaker label, text on that line, None) for every speaker turn.

    A line ``SPEAKER : text`` opens a turn when it has a timecode, or when the label looks like a
    speaker (a role, or capitalised words such as "Marie D."), or when the same label opens
    at least two lines of the file - so that "Par exemple : ..." inside a turn stays text.
    """
    candidates: dict[int, tuple[str, str, bool]] = {}
    counts: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        m = _TURN_RE.match(line)
        if not m:
            continue
        speaker = m["speaker"].strip()
        if not speaker or set(speaker) & _SPEAKER_FORBIDDEN or len(speaker) > 80:
            continue
        candidates[number] = (speaker, m["text"] or "", bool(m["time"]))
        counts[speaker] = counts.get(speaker, 0) + 1
    def role_like(label: str) -> bool:
        return table.role_of(label) != "inconnu" or table.is_facilitator(label)

    def role_then_name(label: str) -> bool:
        """``ROLE - Name (...)``: a role the table knows, then a name, e.g. "Cheffe de projet - Léa M."."""
        parts = re.split(r"\s+[-–—]\s+", _PAREN_RE.sub("", label).strip())
        return len(parts) == 2 and role_like(parts[0]) and _name_like(parts[1])

    heads = {}
    for number, (speaker, text, timed) in candidates.items():
        multiword = len(speaker.split()) >= 2 and _name_like(speaker)
        recognised = role_like(speaker) and (_name_like(speaker) or len(speaker.split()) <= 3)
        if timed or recognised or multiword or role_then_name(speaker) or (counts[speaker] >= 2 and _name_like(speaker)):
            heads[number] = (speaker, text, None)
    return heads
