"""Source mappings: the ``NAME.mapping.yaml`` beside an export says which columns are the
questions, the role, the territory, the session (format in ``docs/ingestion.md``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ...core.errors import MappingError, yaml_error_line, yaml_problem_fr
from .common import clean_header
from .dates import parse_session

MAPPING_SUFFIX = ".mapping.yaml"

MAPPING_KEYS = (
    "sheet", "encoding", "delimiter", "session", "territory", "role", "question_id", "question",
    "columns", "names", "drop", "questions",
)
MAPPING_COLUMN_KEYS = ("respondent", "session", "territory", "role", "question", "question_id", "text")
_TABLE_ONLY_KEYS = ("sheet", "delimiter", "columns", "names", "drop", "questions")


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
            f"YAML illisible : {yaml_problem_fr(exc)}", path=path, line=yaml_error_line(exc)
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
        mapping.columns[key] = clean_header(_as_str(value, mapping, f"columns.{key}"))
    for key in ("names", "drop"):
        value = data.get(key)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            raise mapping.error(f"'{key}' doit être une liste de noms de colonnes", key)
        setattr(mapping, key, [clean_header(_as_str(v, mapping, key)) for v in values])
    questions = data.get("questions") or {}
    if not isinstance(questions, dict):
        raise mapping.error("'questions' doit associer un identifiant de question à un en-tête de colonne", "questions")
    for qid, header in questions.items():
        mapping.questions[str(qid)] = clean_header(_as_str(header, mapping, f"questions.{qid}"))
    if mapping.questions and "text" in mapping.columns:
        raise mapping.error("'questions' (formulaire large) et 'columns.text' (fichier long) s'excluent", "questions")
    return mapping
