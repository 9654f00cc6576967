"""Lemmas of French texts, document-term matrices and lexical tables (lemmas x parts).

- :func:`lemmatise` turns texts into lists of lemmas with a spaCy pipeline passed by the caller
  (``nlp.pipe`` in batches): alphabetic words only (letters, with inner hyphens or apostrophes:
  « aujourd'hui », « peut-être »), lower-cased, accents kept, spaCy's French stop words removed
  (tested on the word and on its lemma), anonymisation placeholders such as ``[PERSONNE_1]``
  dropped before parsing. With a trained pipeline (``fr_core_news_sm``) the lemma and the
  part-of-speech filter (``pos``, by default nouns, verbs, adjectives, adverbs, proper nouns: the
  « formes pleines » Iramuteq keeps active) are used; a pipeline without lemmatiser or tagger
  (``spacy.blank("fr")``) falls back to the lower-case word and applies no POS filter.
- :func:`document_term_matrix` builds the sparse segments x lemmas matrix (binary presence by
  default, as Reinert's method uses) keeping lemmas present in at least ``min_docfreq`` segments
  (10 by default, the value of rainette's introduction, ``dfm_trim(dtm, min_docfreq = 10)``;
  lower it for a corpus of a few hundred segments).
- :func:`lexical_table` counts lemma occurrences by part (any attribute: role, session, class)
  from a long frame: the lemmas x parts table that specificities and correspondence analysis take.

- :func:`lemmas_of_segments` gives the lemmas of a coded folder's segments from the parses the
  coding stage cached (no second pass over the texts).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from .. import config

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

log = logging.getLogger(__name__)

#: Parts of speech kept by default (Iramuteq's « formes actives »: full words).
DEFAULT_POS: tuple[str, ...] = ("NOUN", "VERB", "ADJ", "ADV", "PROPN")
#: Anonymisation placeholders written by the toolkit: [PERSONNE_1], [EMAIL], [TELEPHONE], [IP]...
PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z_]*\d*\]")
#: A word: letters, possibly joined by hyphens or apostrophes (no digits, no underscore).
WORD_RE = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")
_TAGGERS = ("morphologizer", "tagger")


def _has_component(nlp: Language, names: Sequence[str]) -> bool:
    return any(name in nlp.pipe_names for name in names)


def lemmatise(
    texts: Iterable[str],
    *,
    nlp: Language,
    pos: Sequence[str] | None = DEFAULT_POS,
    stop_words: Iterable[str] | None = None,
    min_chars: int = 2,
    batch_size: int = 256,
    n_process: int = 1,
) -> list[list[str]]:
    """Lemmas of each text, in order: one list of lower-case lemmas per input text.

    ``nlp``: a spaCy pipeline (only its lemmatiser and tagger are used: exclude ``ner`` and
    ``parser`` when loading it). ``pos``: parts of speech kept (``None``: all); ignored when the
    pipeline has no tagger. ``stop_words``: defaults to ``nlp.Defaults.stop_words``. Words shorter
    than ``min_chars`` letters are dropped. ``n_process`` > 1 uses spaCy's multiprocessing.
    Missing texts (None, NaN) give an empty list.
    """
    stops = {w.lower() for w in (nlp.Defaults.stop_words if stop_words is None else stop_words)}
    has_lemma = _has_component(nlp, ("lemmatizer",))
    has_pos = _has_component(nlp, _TAGGERS)
    keep_pos = set(pos) if (pos is not None and has_pos) else None
    if not has_lemma:
        log.info("pipeline sans lemmatiseur : les mots en minuscules tiennent lieu de lemmes")
    if pos is not None and not has_pos:
        log.info("pipeline sans étiqueteur : pas de filtre sur les catégories grammaticales")
    cleaned = [PLACEHOLDER_RE.sub(" ", t) if isinstance(t, str) else "" for t in texts]
    out = [_token_lemmas(doc, keep_pos=keep_pos, stops=stops, has_lemma=has_lemma, min_chars=min_chars)
           for doc in nlp.pipe(cleaned, batch_size=batch_size, n_process=n_process)]
    log.debug("%d textes lemmatisés", len(out))
    return out


def _token_lemmas(tokens, *, keep_pos, stops, has_lemma: bool, min_chars: int) -> list[str]:
    """The kept lemmas of a sequence of spaCy tokens (a Doc or a Span); see :func:`lemmatise`."""
    lemmas = []
    for tok in tokens:
        if not WORD_RE.match(tok.text):
            continue
        if keep_pos is not None and tok.pos_ not in keep_pos:
            continue
        word = tok.text.lower().replace("’", "'")
        lemma = (tok.lemma_.lower().replace("’", "'") if has_lemma and tok.lemma_ else word).strip()
        if len(lemma) < min_chars or word in stops or lemma in stops or not WORD_RE.match(lemma):
            continue
        lemmas.append(lemma)
    return lemmas


def lemmas_of_segments(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    nlp: Language | None = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
    pos: Sequence[str] | None = DEFAULT_POS,
    min_chars: int = 2,
) -> list[list[str]]:
    """Lemmas of each segment of a coded folder, in the order of ``segments``.

    The answers (``responses.text``) are parsed once through the parse cache of the coding stage
    (:func:`transitions_analysis.core.nlp.parse_texts`; ``nlp`` defaults to the project's model
    with the coding components; ``cache_dir=None``: no cache), and each segment takes the
    tokens inside its offsets: no second pass over the texts. Placeholders such as ``[PERSONNE_1]``
    give no lemma (their words are not alphabetic).
    """
    from ..core.nlp import load_nlp, parse_texts

    nlp = nlp if nlp is not None else load_nlp(purpose="coding")
    stops = {w.lower() for w in nlp.Defaults.stop_words}
    has_lemma = _has_component(nlp, ("lemmatizer",))
    keep_pos = set(pos) if (pos is not None and _has_component(nlp, _TAGGERS)) else None
    texts = responses.set_index("response_id")["text"].astype(str)
    ids = list(dict.fromkeys(segments["response_id"]))
    docs = dict(zip(ids, parse_texts(texts.loc[ids].tolist(), nlp=nlp, cache_dir=cache_dir, progress=False)))
    out = []
    for rid, start, end in zip(segments["response_id"], segments["start"], segments["end"]):
        span = docs[rid].char_span(int(start), int(end), alignment_mode="expand")
        tokens = span if span is not None else []
        out.append(_token_lemmas(tokens, keep_pos=keep_pos, stops=stops, has_lemma=has_lemma, min_chars=min_chars))
    return out


@dataclass(frozen=True)
class DocumentTermMatrix:
    """A sparse segments x terms matrix (CSR, int32) and its column labels (``terms``)."""

    matrix: sparse.csr_matrix
    terms: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


def document_term_matrix(
    lemmas: Sequence[Sequence[str]],
    *,
    min_docfreq: int = 10,
    binary: bool = True,
    vocabulary: Sequence[str] | None = None,
) -> DocumentTermMatrix:
    """Segments x lemmas matrix from one list of lemmas per segment.

    Keeps the lemmas present in at least ``min_docfreq`` segments (or exactly ``vocabulary``,
    in that order, when given); columns are sorted alphabetically otherwise (deterministic).
    ``binary``: 1 for presence (Reinert's method), else occurrence counts. Segments may end up
    with no term (empty rows are kept, so rows stay aligned with the input).
    """
    fixed = vocabulary is not None
    vocab_index: dict[str, int] = {t: j for j, t in enumerate(vocabulary)} if fixed else {}
    rows, cols = [], []
    for i, seg in enumerate(lemmas):
        for lemma in seg:
            j = vocab_index.get(lemma) if fixed else vocab_index.setdefault(lemma, len(vocab_index))
            if j is not None:
                rows.append(i)
                cols.append(j)
    full = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
        shape=(len(lemmas), len(vocab_index)),
    )
    full.sum_duplicates()
    names = np.array(list(vocab_index), dtype=object)
    if fixed:
        mat, terms = full, names
    else:
        docfreq = np.bincount(full.indices, minlength=full.shape[1])
        keep = np.flatnonzero(docfreq >= min_docfreq)
        keep = keep[np.argsort(names[keep].astype(str), kind="stable")]
        mat, terms = full[:, keep].tocsr(), names[keep]
    if binary:
        mat.data[:] = 1
    mat.sort_indices()
    log.info("matrice documents-termes : %d segments x %d lemmes (%d présences)", mat.shape[0], mat.shape[1], mat.nnz)
    return DocumentTermMatrix(matrix=mat.astype(np.int32), terms=terms)


def lexical_table(
    frame: pd.DataFrame,
    *,
    by: str,
    lemmas: str = "lemmas",
    min_frequency: int = 1,
) -> pd.DataFrame:
    """Lemmas x parts table of occurrence counts from a long frame.

    ``frame`` has one row per segment with a column ``lemmas`` (a list of lemmas) and the
    attribute column ``by`` (one part per segment; rows where it is missing are ignored).
    Returns an int DataFrame indexed by lemma (sorted), one column per part (sorted), keeping
    lemmas whose total frequency is at least ``min_frequency``.
    """
    if by not in frame.columns:
        raise KeyError(f"colonne absente : {by!r}")
    sub = frame.loc[frame[by].notna(), [by, lemmas]]
    long = sub.explode(lemmas).dropna(subset=[lemmas])
    table = pd.crosstab(long[lemmas], long[by]).astype(np.int64)
    table = table.loc[table.sum(axis=1) >= min_frequency].sort_index()
    table = table.reindex(sorted(table.columns, key=str), axis=1)
    table.index.name = "lemma"
    table.columns.name = by
    return table
