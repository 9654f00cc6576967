"""The tables that flow between stages, declared once: columns, dtypes, French descriptions.

Each table is a pandera ``DataFrameModel``; every stage checks what it receives with
:func:`validate` (the scikit-learn ``check_array`` habit): columns present, values parsed to their
dtype (offsets as integers, scores as floats, ``negated`` as a boolean, text as strings), the
table's own rules checked (roles among the known ones, offsets not negative...), the model's
columns first and in order, extra columns kept after them. A problem raises
:class:`~transitions_analysis.core.errors.InputError` naming the table, the row and the column.

Column names are a contract with the researchers' notebooks and with the files on disk
(``responses.csv``, ``rejected.csv``, ``segments.csv``, ``codings.csv``, ``expectations.csv``):
add columns only at the end, never rename. ``RESPONSES``, ``CODINGS``... are the same columns as
``{name: description}`` mappings, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .errors import InputError

ROLES: tuple[str, ...] = ("elu", "agent", "socio_eco", "etat")
UNKNOWN_ROLE = "inconnu"
ALL_ROLES: tuple[str, ...] = ROLES + (UNKNOWN_ROLE,)

PRINCIPLES: tuple[str, ...] = (
    "principle.engagement",
    "principle.cooperation",
    "principle.systemic",
    "principle.value",
)
ACTOR_CODES: tuple[str, ...] = tuple(f"actor.{r}" for r in ROLES)
EXPECTATION_CODE = "expectation"
OUTCOME_CODES: tuple[str, ...] = (
    "outcome.understanding",
    "outcome.long_term_management",
    "outcome.key_actors",
    "outcome.financial",
)
#: Every code of the contract, in its order (principles, actors, expectation, outcomes).
CONTRACT_CODES: tuple[str, ...] = PRINCIPLES + ACTOR_CODES + (EXPECTATION_CODE,) + OUTCOME_CODES

#: Where a coding comes from (``codings.csv`` column ``source``) and the coder name of machines.
SOURCE_HUMAN = "human"
SOURCE_RULE = "rule"
SOURCE_MODEL = "model"
SOURCE_SEMANTIC = "semantic"
MACHINE_SOURCES: tuple[str, ...] = (SOURCE_RULE, SOURCE_MODEL, SOURCE_SEMANTIC)
SOURCES: tuple[str, ...] = (SOURCE_HUMAN,) + MACHINE_SOURCES
RULE_CODER = "rules"
MODEL_CODER = "model"
SEMANTIC_CODER = "semantic"
#: source -> coder name given to machine codings (a human coding keeps its coder's pseudonym).
MACHINE_CODERS: dict[str, str] = {SOURCE_RULE: RULE_CODER, SOURCE_MODEL: MODEL_CODER, SOURCE_SEMANTIC: SEMANTIC_CODER}

BASES: tuple[str, ...] = ("question", "text")
_TRUE = frozenset({"true", "1", "vrai", "yes", "oui"})
_FALSE = frozenset({"false", "0", "faux", "no", "non", ""})


class _Table(pa.DataFrameModel):
    class Config:
        strict = False  # extra columns are kept after the model's
        coerce = False  # values are parsed by :func:`validate`, with errors naming the row


class Responses(_Table):
    """One row per answer kept by ingestion (``responses.csv``)."""

    class Config:
        name = "responses"

    response_id: Series[str] = pa.Field(unique=True, description="identifiant déterministe d'une réponse (R + hash du fichier, du rang, de la question)")
    source_file: Series[str] = pa.Field(description="fichier d'origine, relatif au dossier d'entrée")
    source_row: Series[int] = pa.Field(ge=0, description="rang dans le fichier (tableur : en-tête = 1) ou ligne de début (texte)")
    session: Series[str] = pa.Field(description="date de la session, ISO AAAA-MM-JJ, vide si inconnue")
    territory: Series[str] = pa.Field(description="territoire du répondant, vide si inconnu")
    respondent_id: Series[str] = pa.Field(description="identifiant pseudonyme du répondant (P + hash), jamais le nom")
    role: Series[str] = pa.Field(isin=list(ALL_ROLES), metadata={"empty": UNKNOWN_ROLE},
                                 description="rôle normalisé : elu, agent, socio_eco, etat ou inconnu (vide : inconnu)")
    role_raw: Series[str] = pa.Field(description="rôle tel qu'écrit dans la source (anonymisé)")
    question_id: Series[str] = pa.Field(description="identifiant de la question (q1, q2... ou celui de la correspondance)")
    question: Series[str] = pa.Field(description="intitulé de la question, vide pour une transcription ou un chat")
    text: Series[str] = pa.Field(description="texte de la réponse, anonymisé")


class Rejected(_Table):
    """One row per input row not kept, with its reason (``rejected.csv``)."""

    class Config:
        name = "rejected"

    source_file: Series[str] = pa.Field(description="fichier d'origine")
    source_row: Series[int] = pa.Field(ge=0, description="rang ou ligne dans le fichier")
    column: Series[str] = pa.Field(description="colonne concernée, vide si la ligne entière")
    reason: Series[str] = pa.Field(description="motif court : empty, duplicate, unreadable, no_text...")
    detail: Series[str] = pa.Field(description="explication en français")
    text: Series[str] = pa.Field(description="texte rejeté (anonymisé), tronqué à 200 caractères")


class Segments(_Table):
    """The units that get codes (``segments.csv``)."""

    class Config:
        name = "segments"

    segment_id: Series[str] = pa.Field(unique=True, description="identifiant stable : <response_id>-<start>-<end>")
    response_id: Series[str] = pa.Field(description="réponse d'origine")
    start: Series[int] = pa.Field(ge=0, description="position de début (caractères Unicode, depuis 0) dans le texte de la réponse")
    end: Series[int] = pa.Field(ge=0, description="position de fin (exclue) ; text == réponse[start:end]")
    text: Series[str] = pa.Field(description="texte du segment")


class Codings(_Table):
    """One row per (segment or response, code, coder) (``codings.csv``)."""

    class Config:
        name = "codings"

    segment_id: Series[str] = pa.Field(description="segment codé (vide pour un codage humain au niveau de la réponse)")
    response_id: Series[str] = pa.Field(description="réponse d'origine")
    code: Series[str] = pa.Field(description="identifiant du code du codebook (principle.*, actor.*, expectation, outcome.*)")
    source: Series[str] = pa.Field(isin=list(SOURCES), description="human, rule, model ou semantic")
    score: Series[float] = pa.Field(nullable=True, description="certitude dans [0, 1] (1 pour human ; probabilité pour model ; similarité pour semantic)")
    start: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="début de la preuve dans le texte de la réponse")
    end: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="fin (exclue) de la preuve ; evidence == réponse[start:end]")
    evidence: Series[str] = pa.Field(description="texte exact qui justifie le code")
    negated: Series[bool] = pa.Field(description="True si le motif est dans une négation (« pas de coopération ») : signalé, pas caché")
    coder: Series[str] = pa.Field(description="codeur : nom pseudonyme de l'humain, 'rules', 'model' ou 'semantic'")


class Suggestions(_Table):
    """Machine suggestions below their code's threshold: the review queue (``suggestions.csv``).

    Not codes: nothing in the synthesis reads them. A person accepts or rejects them (review loop)."""

    class Config:
        name = "suggestions"

    segment_id: Series[str] = pa.Field(description="segment concerné")
    response_id: Series[str] = pa.Field(description="réponse d'origine")
    code: Series[str] = pa.Field(description="code suggéré")
    source: Series[str] = pa.Field(isin=list(MACHINE_SOURCES), description="codeur qui suggère (semantic, rule...)")
    score: Series[float] = pa.Field(nullable=True, description="score du codeur")
    margin: Series[float] = pa.Field(description="écart au seuil du code, en écarts-types des scores (négatif : sous le seuil)")
    start: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="début du mot le plus proche dans la réponse")
    end: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, description="fin (exclue) de ce mot")
    evidence: Series[str] = pa.Field(description="les mots les plus proches du code, séparés par des virgules")


class Expectations(_Table):
    """Who expects what of whom, one row per (segment, category expected of) (``expectations.csv``)."""

    class Config:
        name = "expectations"

    segment_id: Series[str] = pa.Field(description="segment qui exprime l'attente")
    response_id: Series[str] = pa.Field(description="réponse d'origine")
    from_role: Series[str] = pa.Field(isin=list(ALL_ROLES), description="rôle du répondant (qui attend)")
    to_role: Series[str] = pa.Field(isin=list(ALL_ROLES), description="catégorie dont on attend quelque chose")
    principles: Series[str] = pa.Field(description="codes de principes du segment, séparés par ';'")
    text: Series[str] = pa.Field(description="texte du segment")
    basis: Series[str] = pa.Field(isin=list(BASES), description="question (l'attente vient de la question posée) ou text (du texte lui-même)")


class HumanCodings(_Table):
    """A human coding (``human_codings.csv``): the unit column is ``response_id`` or ``segment_id``."""

    class Config:
        name = "human_codings"

    coder: Series[str] = pa.Field(description="codeur")
    code: Series[str] = pa.Field(description="code attribué ; vide = unité vue, aucun code (différent d'une unité jamais vue)")


TABLES: dict[str, type[_Table]] = {
    "responses": Responses,
    "rejected": Rejected,
    "segments": Segments,
    "codings": Codings,
    "expectations": Expectations,
    "suggestions": Suggestions,
}


@lru_cache(maxsize=None)
def _schema(model: type[_Table]) -> pa.DataFrameSchema:
    return model.to_schema()


def columns(model: type[_Table]) -> dict[str, str]:
    """The model's columns, in order, with their French descriptions."""
    return {name: col.description or "" for name, col in _schema(model).columns.items()}


RESPONSES = columns(Responses)
REJECTED = columns(Rejected)
SEGMENTS = columns(Segments)
CODINGS = columns(Codings)
EXPECTATIONS = columns(Expectations)
SUGGESTIONS = columns(Suggestions)
HUMAN_CODINGS = {"response_id": "réponse codée (ou segment_id pour un codage par segment)", **columns(HumanCodings)}


def _kind(model: type[_Table], name: str) -> str:
    dtype = str(_schema(model).columns[name].dtype)
    if dtype.lower().startswith("int"):
        return "int"
    if dtype.startswith("float"):
        return "float"
    if dtype == "bool":
        return "bool"
    return "str"


def parse_bool(values: pd.Series) -> pd.Series:
    """Booleans from booleans or from text (``True``/``False``, ``1``/``0``, ``vrai``/``faux``...);
    a missing value is False. ``ValueError`` names the first value that is neither."""
    if values.dtype == bool:
        return values
    text = values.astype("object").where(values.notna(), "").astype(str).str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        raise ValueError(f"valeur booléenne illisible : {values[bad].iloc[0]!r}")
    return text.isin(_TRUE)


def empty(model: type[_Table]) -> pd.DataFrame:
    """An empty table of ``model`` with its columns in order and their dtypes."""
    dtypes = {"int": "int64", "float": "float64", "bool": "bool", "str": "object"}
    frame = pd.DataFrame({n: pd.Series(dtype=dtypes[_kind(model, n)]) for n in columns(model)})
    return _cast(frame, model)


def _cast(df: pd.DataFrame, model: type[_Table], *, table: str = "", path: Any = None) -> pd.DataFrame:
    schema = _schema(model)
    for name, col in schema.columns.items():
        kind = _kind(model, name)
        values = df[name]
        try:
            if kind == "str":
                if str(values.dtype) == "str":  # already text (pandas' own strings): no copy of every value
                    text = values.fillna("")
                else:
                    text = values.astype("object").where(values.notna(), "").astype(str)
                default = (col.metadata or {}).get("empty")
                df[name] = text.where(text.str.strip() != "", default) if default else text
            elif kind == "bool":
                df[name] = parse_bool(values)
            else:
                text_like = values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
                if text_like:
                    values = values.astype("object").where(values.notna(), "")
                    values = values.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", np.nan)
                numbers = pd.to_numeric(values, errors="raise")
                if kind == "float":
                    df[name] = numbers.astype("float64")
                elif col.nullable:
                    df[name] = numbers.astype("Int64")
                else:
                    df[name] = numbers.astype("int64")
        except (ValueError, TypeError) as exc:
            row = _first_bad_row(values, kind)
            raise InputError(f"table {table or schema.name} : {exc}", path=path, row=row, column=name) from None
    return df


def _first_bad_row(values: pd.Series, kind: str) -> int | None:
    """Spreadsheet row (header = 1) of the first value that does not parse as ``kind``."""
    for i, v in enumerate(values.tolist()):
        try:
            if kind == "bool":
                parse_bool(pd.Series([v]))
            elif kind in ("int", "float"):
                if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v)):
                    if kind == "int":
                        return i + 2
                    continue
                number = float(v)
                if kind == "int" and number != int(number):
                    return i + 2
        except (ValueError, TypeError):
            return i + 2
    return None


def validate(df: pd.DataFrame, model: type[_Table], *, table: str = "", path: Any = None) -> pd.DataFrame:
    """``df`` checked against ``model``: a copy with the model's columns first (in order, parsed to
    their dtypes) and extra columns after them. ``InputError`` names the table, file, row and
    column of the first problem (a missing column, a value that does not parse, a broken rule)."""
    schema = _schema(model)
    name = table or schema.name
    missing = [c for c in schema.columns if c not in df.columns]
    if missing:
        raise InputError(f"table {name} : colonnes manquantes {missing}", path=path, column=missing[0])
    extra = [c for c in df.columns if c not in schema.columns]
    out = _cast(df[list(schema.columns) + extra].copy(), model, table=name, path=path)
    try:
        schema.validate(out, lazy=False)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        failure = getattr(exc, "failure_cases", None)
        row = None
        column = getattr(getattr(exc, "schema", None), "name", None)
        if isinstance(failure, pd.DataFrame) and "index" in failure.columns and len(failure):
            index = failure["index"].iloc[0]
            if index is not None and index in out.index:
                row = int(out.index.get_loc(index)) + 2
        check = getattr(exc, "check", None)
        value = failure["failure_case"].iloc[0] if isinstance(failure, pd.DataFrame) and "failure_case" in failure.columns and len(failure) else None
        rule = getattr(check, "error", None) or getattr(check, "name", None) or str(exc).splitlines()[0]
        shown = f"valeur {value!r} refusée : " if value is not None else ""
        raise InputError(f"table {name} : {shown}règle {rule}", path=path, row=row, column=column) from None
    return out.reset_index(drop=True)


def check_columns(df: pd.DataFrame, spec: Mapping[str, str], table: str) -> pd.DataFrame:
    """``df`` with the columns of ``spec`` first, in order (extra columns kept after them);
    ``InputError`` naming ``table`` when one is missing. Values are not parsed (see :func:`validate`)."""
    missing = [c for c in spec if c not in df.columns]
    if missing:
        raise InputError(f"table {table} : colonnes manquantes {missing}", column=missing[0])
    extra = [c for c in df.columns if c not in spec]
    return df[list(spec) + extra]
