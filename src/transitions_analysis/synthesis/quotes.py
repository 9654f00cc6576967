"""Representative quotes: never drawn at random.

The group's segments are vectorised (TF-IDF, words, accents folded, French stop words removed,
idf fitted on every candidate text of the table), and ranked by cosine similarity to the group's
centroid; ties are broken by ``segment_id``; at most one quote per respondent; identical texts
count once; segments holding an anonymisation placeholder come last, segments of fewer than 5
words after longer ones. Groups smaller than ``k`` respondents get a note instead of quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .common import EMPTY_NOTE_FR, WITHHELD_NOTE_FR, label_of

_PLACEHOLDER_RE = r"\[(?:PERSONNE_\d+|EMAIL|TELEPHONE|IP)\]"
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import strip_accents_unicode
    from spacy.lang.fr.stop_words import STOP_WORDS

    words = set()
    for w in STOP_WORDS:  # tokenised like the texts, so « quelqu'un » gives « quelqu »
        words.update(re.findall(_TOKEN_PATTERN, strip_accents_unicode(w.lower())))
    return sorted(words)


def _vectoriser(corpus: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(lowercase=True, strip_accents="unicode", stop_words=_stop_words(),
                          token_pattern=_TOKEN_PATTERN, sublinear_tf=True)
    try:
        vec.fit(list(corpus))
    except ValueError:  # empty vocabulary (only stop words)
        return None
    return vec


def representative_quotes(
    candidates: pd.DataFrame,
    *,
    n_quotes: int = 3,
    vectoriser: Any = None,
    min_words: int = 5,
) -> pd.DataFrame:
    """The ``n_quotes`` segments closest to the group's TF-IDF centroid (the rule of the module doc).

    Segments holding an anonymisation placeholder (``[PERSONNE_1]``...) are ranked last, and
    segments of fewer than ``min_words`` words after the longer ones, so quotes read well.

    ``candidates``: segment_id, respondent_id, text. ``vectoriser``: a fitted TfidfVectorizer
    (default: fitted on ``candidates``). Returns the chosen rows (columns of ``candidates`` plus
    ``similarity``), best first.
    """
    c = candidates.copy()
    c["text"] = c["text"].fillna("").astype(str).str.strip()
    c = c[c["text"] != ""].sort_values("segment_id", kind="stable")
    c = c.drop_duplicates("text")
    if c.empty:
        return c.assign(similarity=pd.Series(dtype=float))
    vec = vectoriser if vectoriser is not None else _vectoriser(c["text"])
    if vec is None:
        sim = np.zeros(len(c))
    else:
        X = vec.transform(c["text"])
        centroid = np.asarray(X.mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        sim = (X @ centroid) / norm if norm > 0 else np.zeros(len(c))
        sim = np.round(np.asarray(sim).ravel(), 12)  # ties are exact ties, broken by segment_id
    c["similarity"] = sim
    c["_placeholder"] = c["text"].str.contains(_PLACEHOLDER_RE)
    c["_short"] = c["text"].str.count(r"\w+") < min_words
    c = c.sort_values(["_placeholder", "_short", "similarity", "segment_id"], ascending=[True, True, False, True], kind="stable")
    c = c.drop(columns=["_placeholder", "_short"])
    c = c.drop_duplicates("respondent_id")
    return c.head(n_quotes).reset_index(drop=True)


def _quote_columns(chosen: pd.DataFrame | None, n_quotes: int, withheld: bool, k: int, empty: bool) -> dict[str, Any]:
    out: dict[str, Any] = {f"quote_{i + 1}": "" for i in range(n_quotes)}
    out["quote_segments"] = ""
    if empty:
        out["note"] = EMPTY_NOTE_FR
    elif withheld:
        out["note"] = WITHHELD_NOTE_FR.format(k=k)
    else:
        out["note"] = ""
        for i, text in enumerate(chosen["text"]):
            out[f"quote_{i + 1}"] = text
        out["quote_segments"] = ";".join(chosen["segment_id"])
    return out


def _top(counts: pd.Series, order: Sequence[str], labels: dict[str, str] | None, top: int) -> tuple[str, str]:
    counts = counts[counts > 0]
    ranked = sorted(counts.index, key=lambda c: (-int(counts[c]), order.index(c) if c in order else len(order), c))[:top]
    return ";".join(ranked), " ; ".join(f"{label_of(c, labels)} ({int(counts[c])})" for c in ranked)
