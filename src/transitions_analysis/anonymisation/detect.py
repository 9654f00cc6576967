"""All personal data of a text: regexes, known names, civilities and filtered entities, without
overlaps (an e-mail beats a name inside it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from .names import (
    AnonymisationRules,
    _civility_names,
    _clean_person,
    _default_rules,
    _fold,
    _is_given_name,
    _known_name_pattern,
    _trim_span,
    _words,
)
from .ner import entities_of
from .patterns import PLACEHOLDER_RE, PersonalData, find_emails, find_ip_addresses, find_phones

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


def _find(
    text: str,
    *,
    known_patterns: Iterable[re.Pattern[str] | None],
    entities: Iterable[Sequence[Any]] | None,
    rules: AnonymisationRules,
) -> list[PersonalData]:
    spans: list[PersonalData] = []
    spans += find_emails(text)
    spans += find_phones(text)
    spans += find_ip_addresses(text)
    for pattern in known_patterns:
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            s, e = _trim_span(text, m.start(), m.end())
            spans.append(PersonalData(s, e, "PER", text[s:e]))
    spans += _civility_names(text, rules)
    candidates = [(int(s), int(e), str(label)) for s, e, label in entities or ()]
    candidates += [(s, e, "GIVEN") for s, e, w in _words(text) if _is_given_name(w, rules)]
    for start, end, label in candidates:
        cleaned = _clean_person(text, start, end, label, rules)
        if cleaned:
            spans.append(PersonalData(cleaned[0], cleaned[1], "PER", text[cleaned[0] : cleaned[1]]))
    return _resolve_overlaps(spans, text)


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
    names, names after a civility) are then searched in every text as known names are, so
    "M. Garnier" in one answer also hides "Garnier" alone in another (first names excepted)."""
    known_pattern = _known_name_pattern(known_names, rules)
    by_text = dict(zip(texts, entities))
    first = {t: _find(t, known_patterns=[known_pattern], entities=e, rules=rules) for t, e in by_text.items()}
    known_folded = {_fold(n) for n in known_names}
    discovered: dict[str, None] = {}
    for t, found in first.items():
        cue_names = {p.value for p in _civility_names(t, rules)}
        for p in found:
            n_words = len(_words(p.value))
            if p.kind == "PER" and (n_words >= 2 or p.value in cue_names) and _fold(p.value) not in known_folded:
                discovered[p.value] = None
    if not discovered:
        return first
    rules_no_given = replace(rules, given_name_alone=False)
    discovered_pattern = _known_name_pattern(sorted(discovered), rules_no_given)
    return {
        t: _find(t, known_patterns=[known_pattern, discovered_pattern], entities=e, rules=rules)
        for t, e in by_text.items()
    }
