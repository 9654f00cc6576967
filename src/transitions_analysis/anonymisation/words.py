"""Is a capitalised word a common French word rather than a name?

The small French model takes many capitalised words for persons: a verb or a noun opening a
list item or a sentence written without punctuation (« Limiter les déchets », « Diminution du
prix »), words written in capitals, capitalised phrases (« Aides Financières »). A word is
*common* when:

- the corpus being anonymised writes it in lower case at least ``min_lower`` times (« limiter »,
  « diesel »): the corpus itself says it is an ordinary word; or
- the corpus has seen it fewer than ``min_evidence`` times inside a sentence (in any case; the
  first word of a sentence or a line does not count, since it is capitalised anyway), and its
  French frequency (PyPI ``wordfreq``, Zipf scale: 4 = once per 100,000 words) is at least
  ``zipf``: a small corpus cannot tell, the language can. A word the corpus writes often
  inside sentences and almost always capitalised (« Macron » in a national consultation) is
  taken for a name whatever its frequency in the language.

Corpus counts ignore accents: a capital often loses its accent (« Etudier », « Eviter »), and
« étudier » in lower case elsewhere says it is a word. The thresholds are in
``data/anonymise.yaml`` (``common_words``). The rules that use this test
(:mod:`.names`) never apply it to a first name of the list, a name given by the source or a name
after a civility or a title (« M. Petit », « président Macron »).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.text import strip_accents

_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_BREAK_RE = re.compile(r"[!?;:…\n]")


@lru_cache(maxsize=200_000)
def french_zipf(word: str) -> float:
    """Zipf frequency of a lower-case word in French (wordfreq's large list; 0 when unknown)."""
    from wordfreq import zipf_frequency  # loads the French list once (about 1 s)

    return zipf_frequency(word, "fr", wordlist="large")


@dataclass(frozen=True)
class CommonWordRule:
    """Thresholds of :meth:`WordStats.is_common` (``common_words`` in ``anonymise.yaml``)."""

    min_lower: int = 5
    min_evidence: int = 20
    zipf: float = 4.0


@dataclass
class WordStats:
    """How a corpus writes each word (keys are lower-cased, without accents): ``lower`` counts it
    written in lower case, ``inside`` counts it anywhere but at the start of a sentence or a
    line, in any case."""

    lower: Counter[str] = field(default_factory=Counter)
    inside: Counter[str] = field(default_factory=Counter)
    rule: CommonWordRule = field(default_factory=CommonWordRule)

    @classmethod
    def of(cls, texts: Iterable[str], rule: CommonWordRule | None = None) -> WordStats:
        """Counts over ``texts`` (each distinct text once)."""
        lower: Counter[str] = Counter()
        inside: Counter[str] = Counter()
        for text in dict.fromkeys(texts):
            previous = ""
            end = 0
            for m in _WORD_RE.finditer(text):
                w = m.group()
                key = _key(w)
                gap = text[end : m.start()]
                opening = not previous or bool(_BREAK_RE.search(gap)) or ("." in gap and len(previous) > 2)
                written_lower = w == w.lower()
                if written_lower:
                    lower[key] += 1
                if written_lower or not opening:
                    inside[key] += 1
                previous, end = w, m.end()
        return cls(lower, inside, rule or CommonWordRule())

    def is_common(self, word: str) -> bool:
        """True when ``word`` (any case) is an ordinary French word (see the module docstring)."""
        word = word.rstrip(".").lower()
        if not word:
            return False
        key = _key(word)
        if self.lower[key] >= self.rule.min_lower:
            return True
        if self.inside[key] >= self.rule.min_evidence:
            return False
        return french_zipf(word) >= self.rule.zipf


@lru_cache(maxsize=200_000)
def _key(word: str) -> str:
    """Counting key of a word: lower case, no accents."""
    return strip_accents(word.lower())
