"""Scale: the per-chunk analysis and the engines that run it (this machine's processes, or Dask).

One spaCy pass per distinct text, with the ``analysis`` components (names, lemmas, sentences:
:func:`~transitions_analysis.core.nlp.load_nlp`), gives both what the anonymiser needs (the
named entities, as offsets) and what the coder needs (segments, rule codings, expectations, as
offsets), computed on the text as read. Both go to the on-disk cache, keyed by the text's hash:

- the anonymiser then finds every text's entities in the cache and does its corpus-wide work
  (word counts, names discovered in one answer masked in all, one number per person) without
  spaCy;
- the coder finds in the cache the result of every answer the anonymiser left unchanged
  (99.6 % of the Grand Débat) and parses only the few answers where a name, an e-mail or a
  phone was replaced (the text it codes is then another text, with another key).

:func:`analyse_chunk` is the one function that does the per-chunk work, whatever the engine:
:class:`LocalEngine` runs it in ``n_process`` processes of this machine,
:class:`DaskEngine` on the workers of a ``dask.distributed`` cluster. See ``docs/scale.md``.
"""

from .chunks import analyse_chunk, pipeline_identity, prime_caches, release_chunk_tools
from .engines import DaskEngine, Engine, LocalEngine, default_n_process, make_engine

__all__ = [
    "DaskEngine",
    "Engine",
    "LocalEngine",
    "analyse_chunk",
    "default_n_process",
    "make_engine",
    "pipeline_identity",
    "prime_caches",
    "release_chunk_tools",
]
