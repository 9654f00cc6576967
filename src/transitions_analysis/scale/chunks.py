"""The per-chunk work (:func:`analyse_chunk`) and what feeds it (:func:`prime_caches`).

A chunk is a list of distinct texts as read (before anonymisation). One ``nlp.pipe`` pass with
the ``analysis`` pipeline gives, for each text, its named entities (what the anonymiser reads)
and, for the texts to code, the coding result (:func:`~transitions_analysis.coding.engine.analyse_docs`).
Only offsets come back (no text), and they are stored in the on-disk cache under the same keys
as the anonymiser's and the coder's own caches, which then read them instead of parsing.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .. import config
from ..anonymisation.ner import entities_of
from ..coding.cues import Cues, load_cues
from ..coding.engine import analyse_docs, coding_salt
from ..coding.expectations import load_parser
from ..coding.rules import RuleCoder
from ..core.cache import DiskCache, text_key
from ..core.codebook import Codebook, load_codebook
from ..core.errors import MSG_WORKER_PIPELINE
from ..core.nlp import (
    load_nlp,
    model_id,
    nlp_fingerprint,
    package_id,
    pipe_texts,
    planned_fingerprint,
    set_sentences,
)
from .engines import Engine

log = logging.getLogger(__name__)


_CODERS: dict[tuple[str, str], RuleCoder] = {}


def _coder(codebook: Codebook, cues: Cues) -> RuleCoder:
    """The rule coder of a codebook and cues, built once per process."""
    key = (codebook.hash, cues.hash)
    if key not in _CODERS:
        _CODERS[key] = RuleCoder(codebook, cues=cues)
    return _CODERS[key]


def pipeline_identity(model: str = config.SPACY_MODEL, *, load: bool = True) -> dict[str, Any] | None:
    """What the cache keys of a worker's results depend on: the NER cache's ``(model, version)``
    and the coding pipeline's fingerprint (the ``analysis`` pipeline without ``ner``). With
    ``load=False``, read from the model package's description without loading spaCy (None when
    it does not tell)."""
    if not load:
        ner, coding = package_id(model), planned_fingerprint(model, purpose="analysis", without=("ner",))
        return {"ner": list(ner), "coding": coding} if ner and coding else None
    nlp = load_nlp(model, purpose="analysis")
    return {"ner": list(model_id(nlp)), "coding": nlp_fingerprint(nlp, without=("ner",))}


def analyse_chunk(chunk: Sequence[tuple[str, bool]], *, model: str = config.SPACY_MODEL,
                  codebook: Codebook | None = None, cues: Cues | None = None,
                  identity: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One spaCy pass over a chunk of ``(text, code)`` pairs: for each, ``{"ents": [[start, end,
    label], ...], "r": coding result or None}`` (``r`` only when ``code``). The same function runs
    in this process, in a local worker process or on a Dask worker (pipelines and rule coder are
    loaded once per process). ``identity``: the :func:`pipeline_identity` the results will be
    cached under; a worker whose pipeline differs (another model or spaCy version) refuses."""
    nlp = load_nlp(model, purpose="analysis")
    if identity is not None:
        here = pipeline_identity(model)
        if here != identity:
            raise RuntimeError(MSG_WORKER_PIPELINE.format(expected=identity, found=here))
    coder = _coder(codebook or load_codebook(None), cues or load_cues(None))
    parser = load_parser(nlp)
    out: list[dict[str, Any]] = []
    # Docs (with their tok2vec tensors) are kept one batch at a time, not the whole chunk: what a
    # worker holds beyond its pipeline stays the size of a batch (config.ANALYSIS_BATCH_SIZE).
    docs = pipe_texts(nlp, [t for t, _ in chunk], batch_size=config.ANALYSIS_BATCH_SIZE)
    for part in _chunks(zip(chunk, docs), config.ANALYSIS_BATCH_SIZE):
        batch = [doc for _, doc in part]
        set_sentences(d for d in batch if not d.has_annotation("SENT_START"))
        wanted = [i for i, ((_, code), _) in enumerate(part) if code]
        coded = dict(zip(wanted, analyse_docs([batch[i] for i in wanted], coder=coder, parser=parser))) if wanted else {}
        out.extend({"ents": [list(e) for e in entities_of(doc)], "r": coded.get(i)} for i, doc in enumerate(batch))
    return out


def load_chunk_tools(model: str = config.SPACY_MODEL, *, codebook: Codebook | None = None,
                     cues: Cues | None = None) -> Callable[[], None]:
    """Load what :func:`analyse_chunk` needs (pipelines, rule coder and its patterns) in this
    process, where forked workers then find it (:meth:`~.engines.Engine.warm`). Returns
    :func:`release_chunk_tools`, which the engine calls once its workers are stopped."""
    analyse_chunk([("Les élus doivent coopérer avec l'État.", True)], model=model, codebook=codebook, cues=cues)
    return release_chunk_tools


def release_chunk_tools() -> None:
    """Forget, in this process, the pipelines and rule coders loaded for the chunks (loaded again
    if ever needed) and give their memory back to the system: once the analysis pass is over,
    the tables are built from the cache, and this process no longer carries about 250 MB of
    spaCy models while it builds them."""
    import gc

    _CODERS.clear()
    load_nlp.cache_clear()
    gc.collect()
    _trim_memory()


def _trim_memory() -> None:
    """Give the memory freed by this process back to the system where the C library can (glibc's
    ``malloc_trim``; nothing elsewhere): freed small blocks otherwise stay in the process."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:  # pragma: no cover - no C library to load
        return
    if trim is not None:
        trim(0)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _distinct(texts: Iterable[Any]) -> pd.Series | list[str]:
    """The distinct non-blank strings of ``texts`` in order of first appearance. A pandas Series
    of pandas' strings stays one (compact: the texts are not turned into Python objects all at
    once); any other iterable gives a list."""
    if isinstance(texts, pd.Series) and str(texts.dtype) == "str":
        values = texts.dropna()
        filled = [bool(t.strip()) for t in values]  # Python's idea of blank, one text at a time
        return pd.Series(values[filled].unique(), dtype="str")
    return [t for t in dict.fromkeys(texts) if isinstance(t, str) and t.strip()]


def _texts_at(values: pd.Series | list[str], positions: Sequence[int]) -> list[str]:
    """The texts of :func:`_distinct`'s result at ``positions``, as Python strings."""
    return values.iloc[list(positions)].tolist() if isinstance(values, pd.Series) else [values[i] for i in positions]


def prime_caches(
    texts: Iterable[str],
    *,
    code: Iterable[str] | Literal[True] = (),
    engine: Engine,
    cache_dir: str | Path,
    codebook: Codebook | None = None,
    cues: Cues | None = None,
    model: str = config.SPACY_MODEL,
    chunk_size: int | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Analyse, in one spaCy pass each, the distinct ``texts`` whose entities (and, for those in
    ``code``, whose coding result) are not in the cache yet, chunk by chunk on ``engine``, and
    store the results: ``ner`` entries for every text, ``coding`` entries for the texts of
    ``code`` (``True``: every text), ``chunk_size`` texts a chunk (default
    ``config.CHUNK_TEXTS``). A pandas Series of texts (a column of answers) is read slice by
    slice: only the texts of the chunks in flight are held as Python strings. Returns counts
    (``texts``, ``analysed``, ``chunks``)."""
    from tqdm.auto import tqdm

    codebook = codebook or load_codebook(None)
    cues = cues or load_cues(None)
    identity = pipeline_identity(model, load=False) or engine.call(pipeline_identity, model)
    name, version = identity["ner"]
    salt = coding_salt(identity["coding"], _coder(codebook, cues))
    to_code = None if code is True else set(code)
    unique = _distinct(texts)
    size = chunk_size or config.CHUNK_TEXTS
    ner_cache, coding_cache = DiskCache(cache_dir, "ner"), DiskCache(cache_dir, "coding")
    stats = {"texts": len(unique), "analysed": 0, "chunks": 0}
    try:
        todo: list[int] = []  # positions in ``unique`` of the texts to analyse
        coded: list[bool] = []
        for at in range(0, len(unique), 5000):
            part = _texts_at(unique, range(at, min(at + 5000, len(unique))))
            ner_keys = [text_key(name, version, t) for t in part]
            have_ner = ner_cache.present(ner_keys)
            code_keys = {t: text_key(salt, t) for t in part if to_code is None or t in to_code}
            have_code = coding_cache.present(list(code_keys.values()))
            for i, (t, k) in enumerate(zip(part, ner_keys), start=at):
                needs_code = t in code_keys and code_keys[t] not in have_code
                if k not in have_ner or needs_code:
                    todo.append(i)
                    coded.append(t in code_keys)
        log.info("analyse spaCy (une passe : noms, lemmes, phrases) de %d texte(s) sur %d, %s",
                 len(todo), len(unique), engine.describe())
        bar = tqdm(total=len(todo), desc="analyse spaCy", unit="texte", disable=not progress or not todo)
        n_chunks = -(-len(todo) // size)
        sent: deque[list[tuple[str, bool]]] = deque()  # chunks given to the engine, results not back yet

        def chunks() -> Iterator[list[tuple[str, bool]]]:
            for at in range(0, len(todo), size):
                sent.append(list(zip(_texts_at(unique, todo[at : at + size]), coded[at : at + size])))
                yield sent[-1]

        if n_chunks > 1:
            engine.warm(load_chunk_tools, model, codebook=codebook, cues=cues)
        feed = chunks() if n_chunks > 1 else list(chunks())  # one chunk: the engine runs it in this process
        for results in engine.map(analyse_chunk, feed, model=model, codebook=codebook, cues=cues, identity=identity):
            chunk = sent.popleft()
            ner_cache.put_json((text_key(name, version, t), r["ents"]) for (t, _), r in zip(chunk, results))
            coding_cache.put_json((text_key(salt, t), r["r"]) for (t, c), r in zip(chunk, results) if c)
            stats["analysed"] += len(chunk)
            stats["chunks"] += 1
            bar.update(len(chunk))
        bar.close()
    finally:
        ner_cache.close()
        coding_cache.close()
    return stats
