"""Concordances (KWIC, « keyword in context ») of a word, expression, pattern or lemma.

:func:`concordance` returns one row per occurrence with the exact left context, match and right
context (``left + match + right == text[start - len(left) : end + len(right)]``: nothing is
normalised, so offsets can be checked and the row exported as is), the character offsets
``start``/``end`` in the segment's text, the segment id and any attribute columns. Filtering by
attribute (``filters={"role": ["elu"]}``) happens before the search. Export (CSV, XLSX) is left
to the caller: ``frame.to_csv(...)`` / ``frame.to_excel(...)``.

Queries: a word or expression (case-insensitive, whole words; ``*`` is a wildcard for letters, as
in the codebook: « coopér* »), a regular expression (``regex=True``), or a lemma (``nlp`` given:
tokens whose lemma, lower-cased, matches the query, with the same ``*`` wildcard).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

log = logging.getLogger(__name__)

_WORD = r"[^\W_]"
_WORD_SPAN = re.compile(r"\S+")


def _pattern(query: str, *, regex: bool, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    if regex:
        return re.compile(query, flags)
    parts = [re.escape(p) for p in query.strip().split("*")]
    body = f"{_WORD}*".join(parts)
    body = re.sub(r"(\\ )+", r"\\s+", body)  # one or more spaces between words of an expression
    return re.compile(rf"(?<!{_WORD}){body}(?!{_WORD})", flags)


def _lemma_matcher(query: str):
    q = query.strip().lower()
    if "*" in q:
        rx = re.compile("^" + f"{_WORD}*".join(re.escape(p) for p in q.split("*")) + "$")
        return lambda lemma: bool(rx.match(lemma))
    return lambda lemma: lemma == q


def _context(text: str, start: int, end: int, window: int, unit: str) -> tuple[int, int]:
    """Bounds (left_start, right_end) of the context around [start, end)."""
    if unit == "chars":
        return max(0, start - window), min(len(text), end + window)
    if window <= 0:
        return start, end
    # words: the ``window`` whitespace-separated words entirely before / after the match
    spans = np.array([m.span() for m in _WORD_SPAN.finditer(text)], dtype=int).reshape(-1, 2)
    before = spans[spans[:, 1] <= start, 0]
    after = spans[spans[:, 0] >= end, 1]
    left = int(before[-window]) if before.size >= window else (int(before[0]) if before.size else start)
    right = int(after[window - 1]) if after.size >= window else (int(after[-1]) if after.size else end)
    return left, right


def apply_filters(frame: pd.DataFrame, filters: Mapping[str, Any] | None) -> pd.DataFrame:
    """Rows of ``frame`` whose attribute columns take one of the given values
    (``{"role": ["elu", "agent"], "session": "2022-09-21"}``)."""
    if not filters:
        return frame
    mask = pd.Series(True, index=frame.index)
    for col, values in filters.items():
        if col not in frame.columns:
            raise KeyError(f"attribut inconnu pour le filtre : {col!r}")
        vals = [values] if isinstance(values, str) or not isinstance(values, Iterable) else list(values)
        mask &= frame[col].isin(vals)
    return frame.loc[mask]


def concordance(
    segments: pd.DataFrame,
    query: str,
    *,
    text_col: str = "text",
    id_col: str | None = "segment_id",
    nlp: Language | None = None,
    regex: bool = False,
    case_sensitive: bool = False,
    window: int = 40,
    unit: str = "chars",
    filters: Mapping[str, Any] | None = None,
    attributes: Iterable[str] | None = None,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Every occurrence of ``query`` in the texts of ``segments``, with its context.

    ``segments``: one row per segment with ``text_col`` and optional id and attribute columns.
    ``nlp``: a spaCy pipeline with a lemmatiser to search lemmas (``query`` is then a lemma);
    otherwise the query is a word/expression with ``*`` wildcards, or a regex (``regex=True``).
    ``window``: context size on each side, in characters (``unit="chars"``) or whitespace-separated
    words (``unit="words"``). ``filters``: {attribute: value(s)} applied first. ``attributes``:
    columns copied to the output (default: every column but the text). Returns a DataFrame with
    ``segment_id`` (the id column, or the row label), ``start``, ``end``, ``left``, ``match``,
    ``right`` and the attributes, in segment order then offset order.
    """
    if unit not in ("chars", "words"):
        raise ValueError("unit doit être « chars » ou « words »")
    if text_col not in segments.columns:
        raise KeyError(f"colonne de texte absente : {text_col!r}")
    if not query or not query.strip():
        raise ValueError("requête vide")
    frame = apply_filters(segments, filters)
    attrs = list(attributes) if attributes is not None else [c for c in frame.columns if c not in (text_col, id_col)]
    ids = frame[id_col].tolist() if id_col and id_col in frame.columns else frame.index.tolist()
    texts = ["" if not isinstance(t, str) else t for t in frame[text_col].tolist()]
    hits: list[tuple[int, int, int]] = []  # (row position, start, end)
    if nlp is not None:
        match = _lemma_matcher(query)
        for pos, doc in enumerate(nlp.pipe(texts, batch_size=batch_size)):
            for tok in doc:
                lemma = (tok.lemma_ or tok.text).lower()
                if match(lemma):
                    hits.append((pos, tok.idx, tok.idx + len(tok.text)))
    else:
        rx = _pattern(query, regex=regex, case_sensitive=case_sensitive)
        for pos, text in enumerate(texts):
            for m in rx.finditer(text):
                if m.end() > m.start():
                    hits.append((pos, m.start(), m.end()))
    rows = []
    for pos, start, end in hits:
        text = texts[pos]
        lo, hi = _context(text, start, end, window, unit)
        rows.append({"segment_id": ids[pos], "start": start, "end": end, "left": text[lo:start],
                     "match": text[start:end], "right": text[end:hi]})
    out = pd.DataFrame(rows, columns=["segment_id", "start", "end", "left", "match", "right"])
    if attrs and len(out):
        positions = [p for p, _, _ in hits]
        extra = frame[attrs].iloc[positions].reset_index(drop=True)
        out = pd.concat([out, extra], axis=1)
    elif attrs:
        out = out.reindex(columns=list(out.columns) + attrs)
    log.info("concordance « %s » : %d occurrences dans %d segments", query, len(out), len(texts))
    return out
