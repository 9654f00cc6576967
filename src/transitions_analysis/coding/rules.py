"""Rule coder: the codebook's patterns matched on lemmas, with evidence spans and negation flags.

How a text is matched (the researcher-facing rules are in the headers of ``codebook.yaml`` and
``coding_cues.yaml``):

- each token gets a *key*: its lemma (its lower-case text when the pipeline has no lemmatizer,
  as with ``spacy.blank("fr")``), folded with :func:`~transitions_analysis.core.text.fold_word` (no accents, no case, no
  inclusive-writing suffix, no hyphen; small words mapped by ``equivalents``). The key is written
  into the token's ``NORM`` (so dict patterns can compare it: ``{NORM: etat}``); docs passed to
  the coder therefore have their ``norm_`` replaced;
- ``mot*`` matches when the folded lemma starts with ``mot`` (or, failing that, the folded
  written form: « coopèrent » lemmatised badly still starts with « coopèr »): each token gets
  the longest codebook stem its lemma (else its form) starts with, and ``mot*`` matches a token
  whose stem starts with ``mot``;
- ``~N``: up to N words that are not punctuation;
- string patterns are matched word by word in Python from an index of their first words (a
  token is looked up once per form and lemma): far faster than hundreds of spaCy Matcher
  patterns tried on every token. Dict patterns go to spaCy's :class:`~spacy.matcher.Matcher` as
  given (an « IN » set on their first token is expanded into exact values, compared in C); on a
  doc without part-of-speech tags (``spacy.blank``) their POS/TAG/MORPH/DEP keys are dropped and
  the match scores 0.7;
- a code's ``exclude_patterns`` cancel that code's matches they overlap (« état » is the State,
  « état des lieux » is not); an exclusion that needs tags is not applied to untagged docs.

Results per segment (one coding per segment and code): the best evidence is the first
non-negated match with the highest score (ties: earliest, then shortest). Scores: 1.0 when every
word is exact; 0.9 for a multi-word pattern with ``*``; 0.8 for a single ``mot*``; minus 0.1
when the pattern has a ``~N`` gap (evidence is weaker the more the pattern guesses). Overlapping
actor matches keep the longest (« agents de l'État » -> État, not agents). A match inside a
negation is kept with ``negated=True`` (rules in ``coding_cues.yaml``: « pas de », « aucun »,
« sans », « ni », « jamais », « manque de », « ne ... pas/plus/jamais »...).
"""

from __future__ import annotations

import hashlib
import json
import logging
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core import schema
from ..core.cache import source_hash
from ..core.codebook import Codebook, bounded_regex, load_codebook, map_regexes, parse_pattern
from ..core.errors import InputError
from ..core.ids import make_segment_id
from ..core.schema import RULE_CODER, SOURCE_RULE
from ..core.text import fold_word
from .codings import codings_table
from .cues import CUE_EXPECTATION, CUE_OPENING, CUE_PREFIX, CUE_QUESTION, Cues, load_cues

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

#: Token attributes a pipeline without tagger/parser lacks: dropped from dict patterns on its docs
#: (``spacy.blank``: « [{NORM: habitant, POS: NOUN}] » then matches any « habitant »); an
#: exclude pattern that needs them is not applied there.
_TAG_ATTRS = frozenset({"POS", "TAG", "MORPH", "DEP"})

#: Score of a tag-bound dict pattern matched without its tags (on a doc of ``spacy.blank``).
UNTAGGED_SCORE = 0.7

#: Code prefix of the matches of a code's ``exclude_patterns`` (never reported, they only cancel).
EXCLUDE_PREFIX = "_not."


# ---------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class Match:
    """One pattern match in a doc: token and character spans, its segment, score, negation."""

    code: str
    segment: int
    tok_start: int
    tok_end: int
    start: int
    end: int
    score: float
    negated: bool
    pattern: str


@dataclass
class DocAnalysis:
    """Everything the rule coder found in one answer, by segment."""

    bounds: list[tuple[int, int]]
    matches: list[Match]  # codebook codes (actor overlaps resolved) and cues
    keys: list[str] = field(repr=False)

    def best_codings(self) -> list[Match]:
        """One match per (segment, code) of the codebook (cues excluded), best evidence first."""
        best: dict[tuple[int, str], Match] = {}
        for m in self.matches:
            if m.code.startswith(CUE_PREFIX):
                continue
            k = (m.segment, m.code)
            cur = best.get(k)
            if cur is None or _rank(m) < _rank(cur):
                best[k] = m
        return sorted(best.values(), key=lambda m: (m.segment, m.start, m.end, m.code))


def _rank(m: Match) -> tuple:
    return (m.negated, -m.score, m.start, m.end - m.start, m.pattern)


@dataclass(frozen=True)
class _PatternInfo:
    code: str
    text: str
    score: float


class RuleCoder:
    """Codes parsed answers with a codebook's patterns (and finds the expectation cues).

    Use :meth:`analyse` on a Doc with its segment bounds, or :func:`rule_codings` on tables.
    """

    def __init__(self, codebook: Codebook | None = None, *, cues: Cues | None = None):
        self.codebook = codebook if codebook is not None else load_codebook()
        self.cues = cues if cues is not None else load_cues()
        self.actor_codes = frozenset(c.id for c in self.codebook.codes if c.id.startswith("actor."))
        groups: list[tuple[str, list[Any]]] = [(c.id, list(c.patterns)) for c in self.codebook.codes if c.patterns]
        groups += [(EXCLUDE_PREFIX + c.id, list(c.exclude_patterns)) for c in self.codebook.codes if c.exclude_patterns]
        groups += [
            (CUE_EXPECTATION, list(self.cues.expectation_cues)),
            (CUE_OPENING, list(self.cues.opening_cues)),
            (CUE_QUESTION, list(self.cues.question_cues)),
        ]
        eq = self.cues.equivalents
        parsed: list[tuple[str, Any, Any]] = []
        stems: set[str] = set()
        for code, patterns in groups:
            for pattern in patterns:
                if isinstance(pattern, str):
                    toks = parse_pattern(pattern)
                    toks = [t if t.gap else type(t)(text=fold_word(t.text, None if t.prefix else eq), prefix=t.prefix) for t in toks]
                    stems.update(t.text for t in toks if t.prefix)
                    parsed.append((code, pattern, toks))
                else:
                    parsed.append((code, pattern, None))
        self.stems = frozenset(stems)
        self._stem_lengths = sorted({len(s) for s in stems}, reverse=True)
        self._parsed = parsed
        self.fingerprint = hashlib.sha256(
            f"{self.codebook.hash}|{self.cues.hash}|{_source_hash()}".encode()
        ).hexdigest()
        self._token_cache: dict[tuple[int, int], tuple[str, int, int]] = {}
        self._stem_by_pair: dict[tuple[int, int], int] = {}
        self._matcher = None
        self._untagged = None
        self._first_exact: dict[str, list[int]] = {}
        self._first_prefix: list[tuple[str, int]] = []
        self._sequences: dict[int, tuple] = {}
        self._first_by_pair: dict[tuple[int, int], tuple[int, ...]] = {}
        self._vocab = None
        self._infos: dict[int, _PatternInfo] = {}

    # -- compilation ---------------------------------------------------------------------------
    def _build(self, vocab) -> None:
        from spacy.matcher import Matcher

        matcher = Matcher(vocab, validate=True)
        untagged = Matcher(vocab, validate=True)  # for docs without part-of-speech tags (spacy.blank)
        needs_tags = False
        infos: dict[int, _PatternInfo] = {}
        first_exact: dict[str, list[int]] = {}
        first_prefix: list[tuple[str, int]] = []
        sequences: dict[int, tuple] = {}
        for i, (code, pattern, toks) in enumerate(self._parsed):
            key = f"{code}#{i}"
            if toks is not None:  # a string pattern: matched word by word in Python (see _word_matches)
                pid = vocab.strings.add(key)
                sequences[pid] = tuple(toks)
                (first_prefix.append((toks[0].text, pid)) if toks[0].prefix
                 else first_exact.setdefault(toks[0].text, []).append(pid))
                words = [t for t in toks if not t.gap]
                prefix = any(t.prefix for t in words)
                score = 1.0 if not prefix else (0.9 if len(words) > 1 else 0.8)
                score -= 0.1 if any(t.gap for t in toks) else 0.0
                infos[pid] = _PatternInfo(code, pattern, round(score, 2))
                continue
            specs = _expand_first([map_regexes(t, bounded_regex) for t in pattern])  # a REGEX only on bounded tokens
            score = 1.0
            try:
                matcher.add(key, specs)
                bare = [[{k: v for k, v in t.items() if str(k).upper() not in _TAG_ATTRS} for t in spec] for spec in specs]
                if bare == specs:
                    untagged.add(key, specs)
                else:
                    needs_tags = True
                    if not code.startswith(EXCLUDE_PREFIX):  # a tag-bound exclusion would cancel too much
                        untagged.add(key + "~", bare)
            except (ValueError, KeyError) as exc:
                raise InputError(f"motif refusé par spaCy pour « {code} » : {pattern!r} ({exc})",
                                 path=self.codebook.path) from None
            text = pattern if isinstance(pattern, str) else json.dumps(pattern, ensure_ascii=False)
            infos[vocab.strings[key]] = _PatternInfo(code, text, round(score, 2))
            if bare != specs:  # the same pattern without its tags guesses more: weaker evidence
                infos[vocab.strings.add(key + "~")] = _PatternInfo(code, text, UNTAGGED_SCORE)
        self._matcher, self._vocab, self._infos = matcher, vocab, infos
        self._first_exact, self._first_prefix, self._sequences = first_exact, first_prefix, sequences
        # the per-word caches hold string ids of the previous vocabulary: another vocabulary (a new
        # pipeline, a worker process) may not store those strings (spaCy E018)
        self._first_by_pair, self._token_cache, self._stem_by_pair = {}, {}, {}
        self._untagged = untagged if needs_tags else matcher

    def _set_keys(self, doc: Doc) -> tuple[list[str], list[tuple[int, int]]]:
        import numpy as np
        from spacy.attrs import LEMMA, LOWER, NORM

        strings = doc.vocab.strings
        cache = self._token_cache
        eq = self.cues.equivalents
        arr = doc.to_array([LOWER, LEMMA]).tolist()
        keys: list[str] = []
        ids: list[int] = []
        pairs: list[tuple[int, int]] = []
        for lower, lemma in arr:
            pair = (lower, lemma)
            pairs.append(pair)
            hit = cache.get(pair)
            if hit is None:
                low_form = fold_word(strings[lower])
                lemma_text = strings[lemma] if lemma else ""
                if low_form in eq:
                    key = eq[low_form]
                else:
                    key = fold_word(lemma_text or strings[lower], eq)
                stem = self._longest_stem(fold_word(lemma_text)) if lemma_text else ""
                if not stem:
                    stem = self._longest_stem(low_form)
                hit = (key, strings.add(key))
                cache[pair] = hit
                if stem:
                    self._stem_by_pair[pair] = strings.add(stem)
            keys.append(hit[0])
            ids.append(hit[1])
        if ids:
            doc.from_array([NORM], np.asarray(ids, dtype="uint64").reshape(-1, 1))
        return keys, pairs

    def _first_hits(self, pair: tuple[int, int], key: str) -> tuple[int, ...]:
        """Ids of the string patterns whose first word a token matches (its key, or its stem for
        « mot* »), looked up once per (form, lemma)."""
        hits = self._first_by_pair.get(pair)
        if hits is None:
            found = list(self._first_exact.get(key, ()))
            stem_id = self._stem_by_pair.get(pair)
            if stem_id:
                stem = self._vocab.strings[stem_id]
                found += [i for text, i in self._first_prefix if stem.startswith(text)]
            hits = self._first_by_pair[pair] = tuple(found)
        return hits

    def _word_matches(self, keys: list[str], stems: list[str], punct: list[bool], pairs) -> list[tuple[int, int, int]]:
        """Every (pattern id, start, end) of the string patterns: a word is the token's key (its
        folded lemma), « mot* » a token whose stem starts with ``mot``, « ~N » up to N words that
        are not punctuation: what spaCy's Matcher did with one pattern per stem, without running
        hundreds of patterns on every token."""
        n = len(keys)
        out: list[tuple[int, int, int]] = []

        def ends(toks, j: int, i: int):
            if j == len(toks):
                yield i
                return
            t = toks[j]
            if t.gap:
                k = i
                while True:
                    yield from ends(toks, j + 1, k)
                    if k >= n or k - i >= t.gap or punct[k]:
                        return
                    k += 1
            elif i < n and (stems[i].startswith(t.text) if t.prefix else keys[i] == t.text):
                yield from ends(toks, j + 1, i + 1)

        for i in range(n):
            for pid in self._first_hits(pairs[i], keys[i]):
                toks = self._sequences[pid]
                out.extend((pid, i, e) for e in sorted(set(ends(toks, 1, i + 1))))
        return out

    def _longest_stem(self, form: str) -> str:
        for length in self._stem_lengths:
            if len(form) >= length and form[:length] in self.stems:
                return form[:length]
        return ""

    # -- matching ------------------------------------------------------------------------------
    def analyse(self, doc: Doc, bounds: list[tuple[int, int]]) -> DocAnalysis:
        """Match ``doc`` (one whole answer) and attribute each match to the segment of ``bounds``
        (character offsets) that contains it; matches across two segments are dropped."""
        from spacy.attrs import IDX, IS_PUNCT

        if self._matcher is None or self._vocab is not doc.vocab:
            self._build(doc.vocab)
        keys, pairs = self._set_keys(doc)
        if not bounds or not len(doc):
            return DocAnalysis(list(bounds), [], keys)
        tidx = doc.to_array([IDX]).ravel().tolist() if len(doc) > 1 else [doc[0].idx]
        seg_starts = [b[0] for b in bounds]
        raw = []
        matcher = self._matcher if doc.has_annotation("TAG") or doc.has_annotation("POS") else self._untagged
        strings = doc.vocab.strings
        stems = [strings[self._stem_by_pair[p]] if p in self._stem_by_pair else "" for p in pairs]
        punct = [bool(v) for v in doc.to_array([IS_PUNCT]).ravel().tolist()] if len(doc) > 1 else [doc[0].is_punct]
        found = (list(matcher(doc)) if len(matcher) else []) + self._word_matches(keys, stems, punct, pairs)
        for match_id, ts, te in found:
            info = self._infos[match_id]
            start = tidx[ts]
            last = doc[te - 1]
            end = last.idx + len(last.text)
            seg = bisect_right(seg_starts, start) - 1
            if seg < 0 or end > bounds[seg][1]:
                continue
            raw.append((info, ts, te, start, end, seg))
        # a code's exclude_patterns cancel that code's matches they overlap (« état des lieux »)
        excluded: dict[str, list[tuple[int, int]]] = {}
        for r in raw:
            if r[0].code.startswith(EXCLUDE_PREFIX):
                excluded.setdefault(r[0].code[len(EXCLUDE_PREFIX):], []).append((r[1], r[2]))
        if excluded:
            raw = [r for r in raw if not r[0].code.startswith(EXCLUDE_PREFIX)
                   and not any(a < r[2] and r[1] < z for a, z in excluded.get(r[0].code, ()))]
        # actor overlaps: the longest match wins (then the earliest, then codebook order)
        actors = sorted((r for r in raw if r[0].code in self.actor_codes), key=lambda r: (-(r[2] - r[1]), r[1], r[0].code))
        taken: set[int] = set()
        kept_actor = []
        for r in actors:
            span = set(range(r[1], r[2]))
            if span & taken:
                continue
            taken |= span
            kept_actor.append(r)
        others = [r for r in raw if r[0].code not in self.actor_codes]
        covered = set()
        for r in others + kept_actor:
            if not r[0].code.startswith(CUE_PREFIX):
                covered.update(range(r[1], r[2]))
        matches: list[Match] = []
        for info, ts, te, start, end, seg in others + kept_actor:
            negated = False
            if not info.code.startswith(CUE_PREFIX):
                lo = bisect_left(tidx, bounds[seg][0])
                hi = bisect_left(tidx, bounds[seg][1])
                negated = self._negated(keys, ts, te, lo, hi, covered, actor=info.code in self.actor_codes)
            matches.append(Match(info.code, seg, ts, te, start, end, info.score, negated, info.text))
        matches.sort(key=lambda m: (m.segment, m.start, m.end, m.code, m.pattern))
        return DocAnalysis(list(bounds), matches, keys)

    def _negated(self, keys: list[str], start: int, end: int, lo: int, hi: int, covered: set[int], *, actor: bool = False) -> bool:
        """True when a negation cue governs tokens ``start:end`` (rules in ``coding_cues.yaml``).

        For an actor the cue must come just before it (at most 2 words: « aucun élu », « pas
        d'élus », « sans les agents », « ni élus ») and nothing after counts (« les élus ne
        viennent pas » speaks of élus; the negation is on the verb).
        """
        c = self.cues
        breaks, breakers = c.clause_breaks, c.breakers

        def is_cue(i: int, cue_set: frozenset[str]) -> bool:
            return keys[i] in cue_set and i not in covered and not (i + 1 < hi and keys[i + 1] in breakers)

        ne_before = False
        i = start - 1
        window = min(c.negation_window_before, 2) if actor else c.negation_window_before
        while i >= lo and start - i <= window:
            if keys[i] in breaks:
                break
            if keys[i] == "ne":
                ne_before = True
            if is_cue(i, c.negation_before):
                return True
            i -= 1
        if actor:
            return False
        j = end
        while j < hi and j - end < c.negation_window_after:
            if keys[j] in breaks:
                break
            if is_cue(j, c.negation_after) or (ne_before and is_cue(j, c.negation_after_with_ne)):
                return True
            j += 1
        return False


def _expand_first(pattern: list[dict]) -> list[list[dict]]:
    """A dict pattern whose FIRST token uses ``{"IN": [...]}`` sets as the equivalent patterns with
    exact values: spaCy's Matcher evaluates an « IN » set in Python on every token where a pattern
    could start, exact values in C (« les politiques » starts at every « les »)."""
    first = [{}]
    for k, v in pattern[0].items():
        if k != "_" and isinstance(v, dict) and set(v) == {"IN"} and isinstance(v["IN"], list):
            first = [{**o, k: value} for o in first for value in v["IN"]]
        else:
            first = [{**o, k: v} for o in first]
    return [[f, *pattern[1:]] for f in first]


def _source_hash() -> str:
    """Hash of the rule engine's own source, so a code change invalidates cached codings."""
    return source_hash("coding/rules.py", "coding/cues.py", "coding/expectations.py", "segmentation/__init__.py",
                       "core/codebook.py", "core/text.py")


def codings_from_analyses(response_ids: list[str], texts: list[str], analyses: list[DocAnalysis]) -> pd.DataFrame:
    """The rule codings table (schema.CODINGS) of analysed answers."""
    rows: dict[str, list] = {k: [] for k in schema.CODINGS}
    for rid, text, analysis in zip(response_ids, texts, analyses):
        for m in analysis.best_codings():
            a, z = analysis.bounds[m.segment]
            rows["segment_id"].append(make_segment_id(rid, a, z))
            rows["response_id"].append(rid)
            rows["code"].append(m.code)
            rows["score"].append(m.score)
            rows["start"].append(m.start)
            rows["end"].append(m.end)
            rows["evidence"].append(text[m.start : m.end])
            rows["negated"].append(m.negated)
    n = len(rows["code"])
    rows["source"] = [SOURCE_RULE] * n
    rows["coder"] = [RULE_CODER] * n
    return codings_table(rows)



def rule_codings(responses: pd.DataFrame, segments: pd.DataFrame, docs, *, coder: RuleCoder | None = None) -> pd.DataFrame:
    """Rule codings (schema.CODINGS) of ``responses`` given their ``segments`` and parsed ``docs``
    (same order as ``responses``)."""
    coder = coder if coder is not None else RuleCoder()
    by_response = {rid: list(zip(g["start"].astype(int), g["end"].astype(int))) for rid, g in segments.groupby("response_id", sort=False)}
    rids = responses["response_id"].astype(str).tolist()
    texts = responses["text"].astype(str).tolist()
    analyses = [coder.analyse(doc, sorted(by_response.get(rid, []))) for rid, doc in zip(rids, docs)]
    return codings_from_analyses(rids, texts, analyses)
