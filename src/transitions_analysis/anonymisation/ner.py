"""Named entities of texts (spaCy's ``ner`` only), through the on-disk cache: a text is parsed
once, its entities kept as character offsets keyed by sha1(model, version, text), never the text."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import config
from ..core.cache import DiskCache, text_key
from ..core.nlp import load_nlp, model_id, package_id, pipe_texts

log = logging.getLogger(__name__)

# Above this many texts to parse, a progress bar is shown (progress=None).
PROGRESS_MIN_TEXTS = 200


def load_ner_pipeline(model: str = config.SPACY_MODEL) -> Any:
    """The spaCy pipeline reduced to its ``ner`` component (see :func:`core.nlp.load_nlp`)."""
    return load_nlp(model, purpose="entities")


def entities_of(doc: Any) -> list[tuple[int, int, str]]:
    """``(start_char, end_char, label)`` of every entity of a parsed doc."""
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]


def recognise_entities(
    texts: Sequence[str],
    *,
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
) -> list[list[tuple[int, int, str]]]:
    """Named entities ``(start_char, end_char, label)`` of each text, parsed once per distinct text.

    ``nlp`` without a ``ner`` component (e.g. ``spacy.blank("fr")``) gives no entities.
    ``cache_dir``: folder of the on-disk cache (None: no cache). ``progress``: tqdm bar
    (None: shown from PROGRESS_MIN_TEXTS texts to parse).
    """
    known = package_id(config.SPACY_MODEL) if nlp is None else None  # all cached: no need to load spaCy
    if nlp is None and known is None:
        nlp = load_ner_pipeline()
    if nlp is not None and "ner" not in getattr(nlp, "pipe_names", ()):
        return [[] for _ in texts]
    unique = list(dict.fromkeys(texts))
    model, version = known or model_id(nlp)
    results: dict[str, list[tuple[int, int, str]]] = {}  # text -> its entities
    cache = DiskCache(cache_dir, "ner") if cache_dir is not None else None
    todo: list[str] = []
    size = max(1, int(config.CACHE_SLICE))
    for at in range(0, len(unique), size):  # read slice by slice: never every entry decoded at once
        keys = {t: text_key(model, version, t) for t in unique[at : at + size]}
        stored = cache.get_json(list(keys.values())) if cache is not None else {}
        for t, k in keys.items():
            if k in stored:
                results[t] = [(int(s), int(e), str(label)) for s, e, label in stored[k]]
            else:
                todo.append(t)
    if todo:
        from tqdm.auto import tqdm

        if nlp is None:
            nlp = load_ner_pipeline()
        show = len(todo) >= PROGRESS_MIN_TEXTS if progress is None else progress
        docs = pipe_texts(nlp, todo, batch_size=config.SPACY_BATCH_SIZE)
        new: dict[str, list[list[Any]]] = {}
        for text, doc in zip(todo, tqdm(docs, total=len(todo), desc="Repérage des noms", disable=not show)):
            found = entities_of(doc)
            new[text_key(model, version, text)] = [list(e) for e in found]
            results[text] = [(int(s), int(e), str(label)) for s, e, label in found]
        log.info("NER: %d texte(s) analysé(s), %d depuis le cache", len(todo), len(unique) - len(todo))
        if cache is not None:
            cache.put_json(sorted(new.items()))
    if cache is not None:
        cache.close()
    return [results[t] for t in texts]  # a text given twice shares its list: read, never changed
