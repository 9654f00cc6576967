"""Anonymisation stage: person names, e-mail addresses, phone numbers and IP addresses become
placeholders before any text is segmented, coded or quoted.

Placeholders: ``[PERSONNE_1]``, ``[PERSONNE_2]``... (one number per person, numbered in order of
first appearance, so the same inputs give the same output), ``[EMAIL]``, ``[TELEPHONE]``, ``[IP]``.

- :mod:`.patterns` - e-mails, French phones, IP addresses (regular expressions);
- :mod:`.names` - person names: rules file, names known from the source, civilities, filtering
  of spaCy's person entities;
- :mod:`.ner` - spaCy's named entities through the on-disk cache (offsets only);
- :mod:`.words` - whether a capitalised word is an ordinary French word (corpus counts, wordfreq);
- :mod:`.detect` - every finding of one text, without overlaps;
- this module - many texts with stable placeholders (:func:`anonymise_texts`,
  :func:`anonymise_frame`), and :func:`anonymise_documents`, which also reports every
  replacement so that positions in the original texts (codings imported from another tool) can
  be moved onto the anonymised ones (:meth:`Anonymised.position`).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import MSG_MISSING_COLUMN, InputError
from .detect import CandidateMemo, _find_all, find_personal_data
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
    "Anonymised",
    "KINDS",
    "PERSON_PLACEHOLDER",
    "PLACEHOLDERS",
    "PLACEHOLDER_RE",
    "AnonymisationRules",
    "PersonalData",
    "Replacement",
    "anonymise_documents",
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

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replacement:
    """One replacement: ``original[start:end]`` became ``text[new_start:new_end]`` (a placeholder)."""

    start: int
    end: int
    new_start: int
    new_end: int
    kind: str
    placeholder: str


@dataclass(frozen=True)
class Anonymised:
    """An anonymised text with the replacements made in it, in order."""

    original: str
    text: str
    replacements: tuple[Replacement, ...] = ()

    def position(self, pos: int, *, end: bool = False) -> int:
        """Where position ``pos`` of the original text lands in the anonymised one. A position
        inside a replaced span moves to the placeholder's start (``end=False``) or end
        (``end=True``), so a selection that cut a name now covers its placeholder."""
        i = bisect.bisect_right([r.start for r in self.replacements], pos) - 1
        if i < 0:
            return pos
        r = self.replacements[i]
        if pos >= r.end:
            return pos + (r.new_end - r.end)
        if pos == r.start:
            return r.new_start
        return r.new_end if end else r.new_start


def _replace_all(
    cells: Sequence[Any],
    *,
    known_names: Iterable[str],
    nlp: Any,
    cache_dir: str | Path | None,
    rules: AnonymisationRules | None,
    progress: bool | None = None,
) -> list[Any]:
    """Anonymise cells, numbering persons across all: a string cell where something was
    replaced becomes an :class:`Anonymised`; every other cell (most of a corpus, and
    non-strings) is returned as it is, so that a large corpus is not copied."""
    rules = rules or _default_rules()
    known = [str(n) for n in dict.fromkeys(known_names) if isinstance(n, str) and n.strip()]
    texts = list(dict.fromkeys(c for c in cells if isinstance(c, str) and c.strip()))
    entities = recognise_entities(texts, nlp=nlp, cache_dir=cache_dir, progress=progress)
    memo = CandidateMemo(cache_dir) if cache_dir is not None else None
    try:
        findings = _find_all(texts, entities, known_names=known, rules=rules, memo=memo)
    finally:
        if memo is not None:
            memo.close()
            log.info("anonymisation : %d texte(s) examiné(s), %d repris d'une exécution précédente",
                     memo.stats["computed"], memo.stats["kept"])
    mentions = [_parse_name(n, rules) for n in known]
    for found in findings.values():
        mentions += [_parse_name(p.value, rules) for p in found if p.kind == "PER"]
    index = _PersonIndex(m for m in mentions if m is not None)
    numbers: dict[tuple[str, str], int] = {}
    out: list[Any] = []
    for cell in cells:
        found = findings.get(cell) if isinstance(cell, str) else None
        if not found:
            out.append(cell)
            continue
        pieces, pos, size = [], 0, 0
        replacements = []
        for p in found:
            if p.kind == "PER":
                parts = _parse_name(p.value, rules) or _NameParts("", _fold(p.value))
                key = index.key(parts)
                n = numbers.setdefault(key, len(numbers) + 1)
                placeholder = PERSON_PLACEHOLDER.format(n=n)
            else:
                placeholder = PLACEHOLDERS[p.kind]
            before = cell[pos : p.start]
            pieces += [before, placeholder]
            size += len(before)
            replacements.append(Replacement(p.start, p.end, size, size + len(placeholder), p.kind, placeholder))
            size += len(placeholder)
            pos = p.end
        pieces.append(cell[pos:])
        out.append(Anonymised(cell, "".join(pieces), tuple(replacements)))
    return out


def anonymise_documents(
    texts: Iterable[str],
    *,
    known_names: Iterable[str] = (),
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    rules: AnonymisationRules | None = None,
    progress: bool | None = None,
) -> list[Anonymised]:
    """Like :func:`anonymise_texts`, but each result also lists the replacements made
    (:class:`Anonymised`), to move positions computed on the original texts."""
    replaced = _replace_all(list(texts), known_names=known_names, nlp=nlp, cache_dir=cache_dir, rules=rules,
                            progress=progress)
    return [r if isinstance(r, Anonymised) else Anonymised(r, r) for r in replaced]


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
    replaced = _replace_all(list(texts), known_names=known_names, nlp=nlp, cache_dir=cache_dir, rules=rules)
    return [r.text if isinstance(r, Anonymised) else r for r in replaced]


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
    replaced = [r.text if isinstance(r, Anonymised) else r for r in replaced]
    width = len(columns)
    for j, column in enumerate(columns):
        values = replaced[j::width]
        out[column] = pd.Series(values, index=df.index, dtype=df[column].dtype)
    return out
