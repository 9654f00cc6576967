"""All personal data of a text: regexes, known names, civilities and filtered entities, without
overlaps (an e-mail beats a name inside it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

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
from .patterns import PLACEHOLDER_RE, PersonalData, find_emails, find_ip_addresses, find_phones
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
    return _find_all([text], [entities], known_names=known, rules=rules)[text]


def _find_all(
    texts: Sequence[str],
    entities: Sequence[Iterable[Sequence[Any]] | None],
    *,
    known_names: Sequence[str],
    rules: AnonymisationRules,
) -> dict[str, list[PersonalData]]:
    """Findings of every distinct text, in two passes: the names found in a first pass (full
    names, names after a civility or a title) are then searched in every text, as written, so
    "M. Garnier" in one answer also hides "Garnier" alone in another (first names excepted; see
    :func:`~.names._discovered_name_pattern`). The common-word test counts words over ``texts``."""
    known_pattern = _known_name_pattern(known_names, rules)
    by_text = dict(zip(texts, entities))
    stats = WordStats.of(by_text, rules.common_words)
    votes: dict[str, Counter[str]] = {}  # one-word entity -> texts per label the model gives it (+ cues: PER)
    for t, ents in by_text.items():
        labelled = {(_fold(t[int(s) : int(e)]), str(label)) for s, e, label in ents or () if len(_words(t[int(s) : int(e)])) == 1}
        for word, label in labelled:
            votes.setdefault(word, Counter())[label] += 1
    candidates = {t: _candidate_spans(t, known_pattern=known_pattern, entities=e, rules=rules, stats=stats)
                  for t, e in by_text.items()}
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
        return {t: found for t, (found, _) in first.items()}
    discovered_pattern = _discovered_name_pattern(sorted(discovered), rules, stats, not_persons)
    # the second pass adds the discovered names' matches to each text's candidates (the same
    # choice among overlapping findings as one pass with both patterns); a text where no
    # discovered name can be found keeps its first-pass findings
    return {
        t: (_resolve_overlaps(candidates[t][0] + _pattern_spans(t, discovered_pattern), t)
            if discovered_pattern is not None and discovered_pattern.could_match(t) else first[t][0])
        for t in by_text
    }
