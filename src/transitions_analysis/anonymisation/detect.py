"""All personal data of a text: regexes, known names, civilities and filtered entities, without
overlaps (an e-mail beats a name inside it)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import config
from ..core.cache import DiskCache, source_hash, text_key
from .names import (
    AnonymisationRules,
    NamePattern,
    _civility_names,
    _clean_person,
    _default_rules,
    _discovered_name_pattern,
    _fold,
    _is_given_name,
    _known_name_pattern,
    _trim_span,
    _words,
)
from .ner import entities_of
from .patterns import (
    PLACEHOLDER_RE,
    PersonalData,
    find_emails,
    find_ip_addresses,
    find_phones,
)
from .words import WordStats

# Higher wins when two findings overlap ("marc.vidal@gmail.com" is an e-mail, not a name).
_PRIORITY = {"EMAIL": 4, "IP": 3, "PHONE": 2, "PER": 1}


def _resolve_overlaps(spans: Iterable[PersonalData], text: str) -> list[PersonalData]:
    """Keep non-overlapping findings: higher kind priority first, then the longer one."""
    protected = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    kept: list[PersonalData] = []
    for span in sorted(set(spans), key=lambda p: (-_PRIORITY[p.kind], -(p.end - p.start), p.start)):
        if span.end <= span.start:
            continue
        if any(span.start < e and s < span.end for s, e in protected):
            continue
        if any(span.start < k.end and k.start < span.end for k in kept):
            continue
        kept.append(span)
    return sorted(kept, key=lambda p: (p.start, p.end))


def _pattern_spans(text: str, pattern: NamePattern | None) -> list[PersonalData]:
    """The names ``pattern`` finds in ``text``, trimmed."""
    spans = []
    if pattern is not None:
        for m in pattern.finditer(text):
            s, e = _trim_span(text, m.start(), m.end())
            spans.append(PersonalData(s, e, "PER", text[s:e]))
    return spans


def _candidate_spans(
    text: str,
    *,
    known_pattern: NamePattern | None,
    entities: Iterable[Sequence[Any]] | None,
    rules: AnonymisationRules,
    stats: WordStats | None = None,
) -> tuple[list[PersonalData], set[str]]:
    """Every candidate finding of one text, overlapping ones included (:func:`_resolve_overlaps`
    chooses), and the names among them that may be searched in other texts (found after a
    civility or a title, or by the model with two words or more)."""
    spans: list[PersonalData] = []
    spans += find_emails(text)
    spans += find_phones(text)
    spans += find_ip_addresses(text)
    spans += _pattern_spans(text, known_pattern)
    cues = _civility_names(text, rules, stats)
    spans += cues
    shareable = {p.value for p in cues}
    candidates = [(int(s), int(e), str(label)) for s, e, label in entities or ()]
    candidates += [(s, e, "GIVEN") for s, e, w in _words(text) if _is_given_name(w, rules)]
    for start, end, label in candidates:
        cleaned = _clean_person(text, start, end, label, rules, stats)
        if cleaned:
            value = text[cleaned[0] : cleaned[1]]
            spans.append(PersonalData(cleaned[0], cleaned[1], "PER", value))
            if label != "GIVEN" and len(_words(value)) >= 2:
                shareable.add(value)
    return spans, shareable


class _AskedStats:
    """A :class:`WordStats` that records each word it is asked about and its answer."""

    __slots__ = ("stats", "asked")

    def __init__(self, stats: WordStats):
        self.stats = stats
        self.asked: dict[str, bool] = {}

    def is_common(self, word: str) -> bool:
        answer = self.stats.is_common(word)
        self.asked[word] = answer
        return answer


def _source_hash() -> str:
    """Hash of the anonymiser's own source: a code change invalidates kept candidates."""
    return source_hash("anonymisation/detect.py", "anonymisation/names.py", "anonymisation/patterns.py",
                       "anonymisation/words.py", "core/text.py")


class CandidateMemo:
    """First-pass candidates of texts kept in the on-disk cache (namespace ``anonymisation``), so
    that a re-run after a new session only examines the new texts.

    A text's candidates depend on the text, its entities, the rules, the names the source gives
    and the anonymiser's code (all in the key), and on the corpus only through the common-word
    test (:class:`WordStats`): each entry keeps the words that test was asked about and its
    answers, and is used again only when the new corpus gives every one the same answer.
    Entries hold offsets and booleans, never text: a word is kept as the offsets of one of its
    occurrences in the text.
    """

    def __init__(self, cache_dir: str | Path):
        self.cache = DiskCache(cache_dir, "anonymisation")
        self.stats = {"kept": 0, "computed": 0}

    def close(self) -> None:
        self.cache.close()

    def candidates(self, by_text: dict[str, Any], *, known_pattern: NamePattern | None, rules: AnonymisationRules,
                   stats: WordStats) -> dict[str, tuple[list[PersonalData], set[str]]]:
        """:func:`_candidate_spans` of the texts of ``by_text`` (text -> entities) that have
        candidates (most texts have none and are left out). Entries are read slice by slice of
        ``config.CACHE_SLICE`` texts, never all decoded at once."""
        salt = text_key("anonymisation-candidates", _source_hash(), _rules_fingerprint(rules),
                        known_pattern.regex.pattern if known_pattern is not None else "")
        out: dict[str, tuple[list[PersonalData], set[str]]] = {}
        items = list(by_text.items())
        size = max(1, int(config.CACHE_SLICE))
        for at in range(0, len(items), size):
            part = items[at : at + size]
            keys = {t: text_key(salt, json.dumps(e or [], separators=(",", ":")), t) for t, e in part}
            stored = self.cache.get_json(list(keys.values()))
            new: list[tuple[str, Any]] = []
            for t, e in part:
                entry = stored.get(keys[t])
                if entry is not None and all(stats.is_common(t[a:z]) == bool(v) for a, z, v in entry["q"]):
                    if entry["s"]:
                        out[t] = ([PersonalData(a, z, kind, t[a:z]) for a, z, kind in entry["s"]],
                                  {t[a:z] for a, z in entry["h"]})
                    self.stats["kept"] += 1
                    continue
                asked = _AskedStats(stats)
                spans, shareable = _candidate_spans(t, known_pattern=known_pattern, entities=e, rules=rules,
                                                    stats=asked)
                if spans:
                    out[t] = (spans, shareable)
                self.stats["computed"] += 1
                encoded = _encode(t, spans, shareable, asked.asked)
                if encoded is not None:
                    new.append((keys[t], encoded))
            if new:
                self.cache.put_json(new)
        return out


def _encode(text: str, spans: list[PersonalData], shareable: set[str], asked: dict[str, bool]) -> dict | None:
    """A memo entry (offsets only), or None when something cannot be written as offsets."""
    if any(p.value != text[p.start : p.end] for p in spans):
        return None
    where = {}
    for word in [*shareable, *asked]:
        at = text.find(word)
        if at < 0:
            return None
        where[word] = (at, at + len(word))
    return {"s": [[p.start, p.end, p.kind] for p in spans], "h": sorted(where[w] for w in shareable),
            "q": sorted([*where[w], v] for w, v in asked.items())}


def _rules_fingerprint(rules: AnonymisationRules) -> str:
    """A stable hash of the rules (sets sorted)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (set, frozenset)):
            return sorted(value)
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    return text_key(json.dumps(plain(rules), sort_keys=True, ensure_ascii=False))


def find_personal_data(
    text: str,
    *,
    known_names: Iterable[str] = (),
    doc: Any = None,
    entities: Iterable[Sequence[Any]] | None = None,
    rules: AnonymisationRules | None = None,
) -> list[PersonalData]:
    """Personal data in one text, sorted by position, without overlaps.

    ``doc``: a spaCy ``Doc`` of ``text`` (its ``PER`` entities are used, filtered); or give
    ``entities`` as ``(start_char, end_char, label)`` triples (e.g. from the cache). With neither,
    only the regexes, the civility cues and ``known_names`` are used (no model needed).
    """
    rules = rules or _default_rules()
    if doc is not None:
        entities = entities_of(doc)
    known = [str(n) for n in dict.fromkeys(known_names) if isinstance(n, str) and n.strip()]
    return _find_all([text], [entities], known_names=known, rules=rules).get(text, [])


def _find_all(
    texts: Sequence[str],
    entities: Sequence[Iterable[Sequence[Any]] | None],
    *,
    known_names: Sequence[str],
    rules: AnonymisationRules,
    memo: CandidateMemo | None = None,
) -> dict[str, list[PersonalData]]:
    """Findings of every distinct text, in two passes: the names found in a first pass (full
    names, names after a civility or a title) are then searched in every text, as written, so
    "M. Garnier" in one answer also hides "Garnier" alone in another (first names excepted; see
    :func:`~.names._discovered_name_pattern`). The common-word test counts words over ``texts``.
    ``memo``: first-pass candidates kept from an earlier run (:class:`CandidateMemo`).

    Returns ``{text: findings}`` in the order of ``texts``, for the texts with findings only:
    most texts of a corpus have none, and a large corpus is not held once more for them."""
    known_pattern = _known_name_pattern(known_names, rules)
    by_text = dict(zip(texts, entities))
    stats = WordStats.of(by_text, rules.common_words)
    votes: dict[str, Counter[str]] = {}  # one-word entity -> texts per label the model gives it (+ cues: PER)
    for t, ents in by_text.items():
        if not ents:
            continue
        labelled = {(_fold(t[int(s) : int(e)]), str(label)) for s, e, label in ents if len(_words(t[int(s) : int(e)])) == 1}
        for word, label in labelled:
            votes.setdefault(word, Counter())[label] += 1
    if memo is None:
        candidates = {t: _candidate_spans(t, known_pattern=known_pattern, entities=e, rules=rules, stats=stats)
                      for t, e in by_text.items()}
    else:
        candidates = memo.candidates(by_text, known_pattern=known_pattern, rules=rules, stats=stats)
    # texts without candidates (shareable names are candidates too) are left out from here on
    candidates = {t: c for t, c in candidates.items() if c[0]}
    first = {t: (_resolve_overlaps(spans, t), shareable) for t, (spans, shareable) in candidates.items()}
    known_folded = {_fold(n) for n in known_names}
    discovered: dict[str, None] = {}
    for t, (found, shareable) in first.items():
        for value in {p.value for p in found if p.kind == "PER" and p.value in shareable and _fold(p.value) not in known_folded}:
            discovered[value] = None
            if len(_words(value)) == 1:
                votes.setdefault(_fold(value), Counter())["PER"] += 1
    # a word the model calls a place or an organisation in several texts, more often than a person
    not_persons = frozenset(w for w, c in votes.items() if c["LOC"] + c["ORG"] >= 2 and c["LOC"] + c["ORG"] > c["PER"])
    if not discovered:
        return {t: found for t, (found, _) in first.items() if found}
    discovered_pattern = _discovered_name_pattern(sorted(discovered), rules, stats, not_persons)
    # the second pass adds the discovered names' matches to each text's candidates (the same
    # choice among overlapping findings as one pass with both patterns); a text where no
    # discovered name can be found keeps its first-pass findings
    findings: dict[str, list[PersonalData]] = {}
    for t in by_text:
        if discovered_pattern is not None and discovered_pattern.could_match(t):
            found = _resolve_overlaps(candidates.get(t, ([],))[0] + _pattern_spans(t, discovered_pattern), t)
        else:
            found = first[t][0] if t in first else []
        if found:
            findings[t] = found
    return findings
