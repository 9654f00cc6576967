"""Anonymisation stage: person names, e-mail addresses, phone numbers and IP addresses become
placeholders before any text is segmented, coded or quoted.

Placeholders: ``[PERSONNE_1]``, ``[PERSONNE_2]``... (one number per person, numbered in order of
first appearance, so the same inputs give the same output), ``[EMAIL]``, ``[TELEPHONE]``, ``[IP]``.

- :mod:`.patterns` - e-mails, French phones, IP addresses (regular expressions);
- :mod:`.names` - person names: rules file, names known from the source, civilities, filtering
  of spaCy's person entities;
- :mod:`.ner` - spaCy's named entities through the on-disk cache (offsets only);
- :mod:`.detect` - every finding of one text, without overlaps;
- this module - many texts with stable placeholders (:func:`anonymise_texts`,
  :func:`anonymise_frame`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import MSG_MISSING_COLUMN, InputError
from .detect import _find_all, find_personal_data
from .names import (
    AnonymisationRules,
    _default_rules,
    _fold,
    _NameParts,
    _parse_name,
    _PersonIndex,
    load_anonymisation_rules,
)
from .ner import load_ner_pipeline, recognise_entities
from .patterns import (
    KINDS,
    PERSON_PLACEHOLDER,
    PLACEHOLDER_RE,
    PLACEHOLDERS,
    PersonalData,
    find_emails,
    find_ip_addresses,
    find_phones,
)

__all__ = [
    "KINDS",
    "PERSON_PLACEHOLDER",
    "PLACEHOLDERS",
    "PLACEHOLDER_RE",
    "AnonymisationRules",
    "PersonalData",
    "anonymise_frame",
    "anonymise_texts",
    "find_emails",
    "find_ip_addresses",
    "find_personal_data",
    "find_phones",
    "load_anonymisation_rules",
    "load_ner_pipeline",
    "recognise_entities",
]


def _replace_all(
    cells: Sequence[Any],
    *,
    known_names: Iterable[str],
    nlp: Any,
    cache_dir: str | Path | None,
    rules: AnonymisationRules | None,
    progress: bool | None = None,
) -> list[Any]:
    """Anonymise cells (non-strings are returned as they are), numbering persons across all."""
    rules = rules or _default_rules()
    known = [str(n) for n in dict.fromkeys(known_names) if isinstance(n, str) and n.strip()]
    texts = list(dict.fromkeys(c for c in cells if isinstance(c, str) and c.strip()))
    entities = recognise_entities(texts, nlp=nlp, cache_dir=cache_dir, progress=progress)
    findings = _find_all(texts, entities, known_names=known, rules=rules)
    mentions = [_parse_name(n, rules) for n in known]
    for t in texts:
        mentions += [_parse_name(p.value, rules) for p in findings[t] if p.kind == "PER"]
    index = _PersonIndex(m for m in mentions if m is not None)
    numbers: dict[tuple[str, str], int] = {}
    out: list[Any] = []
    for cell in cells:
        if not (isinstance(cell, str) and cell.strip()):
            out.append(cell)
            continue
        pieces, pos = [], 0
        for p in findings[cell]:
            if p.kind == "PER":
                parts = _parse_name(p.value, rules) or _NameParts("", _fold(p.value))
                key = index.key(parts)
                n = numbers.setdefault(key, len(numbers) + 1)
                placeholder = PERSON_PLACEHOLDER.format(n=n)
            else:
                placeholder = PLACEHOLDERS[p.kind]
            pieces += [cell[pos : p.start], placeholder]
            pos = p.end
        pieces.append(cell[pos:])
        out.append("".join(pieces))
    return out


def anonymise_texts(
    texts: Iterable[str],
    *,
    known_names: Iterable[str] = (),
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    rules: AnonymisationRules | None = None,
) -> list[str]:
    """Anonymised copies of ``texts``; one person keeps one ``[PERSONNE_n]`` across all of them.

    ``nlp``: a spaCy pipeline with ``ner`` (None: the project's model, see
    :func:`load_ner_pipeline`); a pipeline without ``ner`` disables the model.
    """
    return _replace_all(list(texts), known_names=known_names, nlp=nlp, cache_dir=cache_dir, rules=rules)


def _names_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [v for v in value if isinstance(v, str)]
    return []


def anonymise_frame(
    df: pd.DataFrame,
    *,
    columns: Sequence[str] = ("text", "role_raw"),
    names_column: str | None = "_names",
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    rules: AnonymisationRules | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Copy of ``df`` whose ``columns`` have names, e-mails, phones and IPs replaced.

    ``names_column`` (dropped from the result when present) holds per row a list of names known
    from the source; every one is searched in every row. Persons are numbered in order of first
    appearance (rows in frame order, then ``columns`` in the order given). Missing values stay
    missing. ``cache_dir``: NER cache folder (None: no cache; the project's default is
    ``DEFAULT_NER_CACHE_DIR``).
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(MSG_MISSING_COLUMN.format(column=", ".join(missing)))
    out = df.copy()
    known: list[str] = []
    if names_column is not None and names_column in df.columns:
        for value in df[names_column]:
            known += _names_of(value)
        out = out.drop(columns=[names_column])
    cells = [v for row in df[list(columns)].itertuples(index=False, name=None) for v in row]
    replaced = _replace_all(
        cells, known_names=known, nlp=nlp, cache_dir=cache_dir, rules=rules, progress=progress
    )
    width = len(columns)
    for j, column in enumerate(columns):
        values = replaced[j::width]
        out[column] = pd.Series(values, index=df.index, dtype=df[column].dtype)
    return out
