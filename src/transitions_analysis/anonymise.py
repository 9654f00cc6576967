"""Anonymisation stage: person names, e-mail addresses, phone numbers and IP addresses become
placeholders before any text is segmented, coded or quoted.

Placeholders: ``[PERSONNE_1]``, ``[PERSONNE_2]``... (one number per person, numbered in order of
first appearance, so the same inputs give the same output), ``[EMAIL]``, ``[TELEPHONE]``, ``[IP]``.

Where the personal data comes from:

- e-mail addresses, French phone numbers and IPv4/IPv6 addresses: regular expressions (IP
  candidates are validated with :mod:`ipaddress`);
- person names: three sources, merged:
    * the names the source itself gives (form name columns, transcript speaker, chat author),
      searched in every text with their distinctive parts (surname alone, "M. Dupont",
      "Jean D.", "J. Dupont", first name alone);
    * civility cues: "M. Martin", "Mme Da Silva", "Madame la Maire Sophie Leroy";
    * spaCy's French statistical NER (label ``PER``), filtered by the rules in
      ``data/anonymise.yaml`` (institutions, places, role words, acronyms, street/school names)
      because the small model takes many capitalised French words for persons.

Phone-number choices (documented because they trade recall for precision): a French number is
``0`` + a digit 1-9 followed by four pairs of digits, or the same after ``+33``/``0033`` (with an
optional ``(0)``); pairs may be glued or separated by one space, dot, hyphen or slash, and one
number may not mix two punctuation separators (so ``06/03/2021 10`` is not a phone). Dates
(``16/03/2021``), times (``10:15:32``), years, amounts (``150 000 €``), postcodes (``26400``) and
SIRET/SIREN numbers (9 or 14 digits) never have that shape. A bare 10-digit number starting with
``01``-``09`` is taken for a phone on purpose. Obfuscated e-mails (``prenom.nom [at] mairie.fr``,
``(at)``, ``arobase``, ``[dot]``) are detected too.

The NER result of a text depends only on the text and the model: it can be cached on disk
(``cache_dir``), keyed by sha1(text) + model name + model version, in one SQLite file that holds
only hashes and character offsets, never the text.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import yaml

from . import config
from .errors import MSG_MISSING_COLUMN, InputError, yaml_error_line

logger = logging.getLogger(__name__)

RULES_FILE = config.PACKAGE_DATA_DIR / "anonymise.yaml"
DEFAULT_NER_CACHE_DIR = config.CACHE_DIR / "ner"
NER_CACHE_FILE = "entities.sqlite"

KINDS: tuple[str, ...] = ("PER", "EMAIL", "PHONE", "IP")
PLACEHOLDERS: dict[str, str] = {"EMAIL": "[EMAIL]", "PHONE": "[TELEPHONE]", "IP": "[IP]"}
PERSON_PLACEHOLDER = "[PERSONNE_{n}]"
# Higher wins when two findings overlap ("marc.vidal@gmail.com" is an e-mail, not a name).
_PRIORITY = {"EMAIL": 4, "IP": 3, "PHONE": 2, "PER": 1}
# Spans already anonymised are never detected again.
PLACEHOLDER_RE = re.compile(r"\[(?:PERSONNE_\d+|EMAIL|TELEPHONE|IP)\]")

# Above this many texts to parse, a progress bar is shown (progress=None).
PROGRESS_MIN_TEXTS = 200
_RULE_KEYS = {"civilities", "roles", "not_names", "place_words", "particles", "given_names", "known_names"}
_NER_LABELS = {"PER", "PERSON"}


class PersonalData(NamedTuple):
    """One finding: ``text[start:end] == value``; kind is PER, EMAIL, PHONE or IP."""

    start: int
    end: int
    kind: str
    value: str


# --------------------------------------------------------------------------------------------
# Regular expressions: e-mails, phones, IP addresses
# --------------------------------------------------------------------------------------------

_AT = r"(?:\s?@\s?|\s?[\[({<]\s?(?:at|arobase|@)\s?[\])}>]\s?|\s(?:at|arobase)\s)"
_DOT = r"(?:\.|\s?[\[({<]\s?(?:dot|point)\s?[\])}>]\s?)"
EMAIL_RE = re.compile(
    rf"(?<![\w.+-])[\w+-]+(?:\.[\w+-]+)*{_AT}(?:[\w-]+{_DOT})+[a-z]{{2,}}(?![\w-])",
    re.IGNORECASE,
)

_PHONE_SEP = r"[ \t\u00a0\u202f./-]?"
PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?P<prefix>(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])"
    rf"(?P<rest>(?:{_PHONE_SEP}\d{{2}}){{4}})"
    r"(?!\d)"
)
_PHONE_SEPARATORS = re.compile(r"[^\d]")

IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])", re.IGNORECASE)

# A word of a name: letters, inner hyphens/apostrophes, optional final dot (initials, "M.").
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")


def _phone_ok(match: re.Match[str]) -> bool:
    """Refuse a phone-shaped match mixing two punctuation separators (``06/03/2021 10``)."""
    seps = {s for s in _PHONE_SEPARATORS.findall(match.group("rest")) if not s.isspace()}
    return len(seps) <= 1 and not (seps and any(c.isspace() for c in match.group("rest")))


def find_emails(text: str) -> list[PersonalData]:
    """E-mail addresses, plain or obfuscated (``[at]``, ``(at)``, ``arobase``, ``[dot]``)."""
    return [PersonalData(m.start(), m.end(), "EMAIL", m.group()) for m in EMAIL_RE.finditer(text)]


def find_phones(text: str) -> list[PersonalData]:
    """French phone numbers (mobiles, landlines, +33/0033 forms); see the module docstring."""
    return [
        PersonalData(m.start(), m.end(), "PHONE", m.group())
        for m in PHONE_RE.finditer(text)
        if _phone_ok(m)
    ]


def find_ip_addresses(text: str) -> list[PersonalData]:
    """IPv4 and IPv6 addresses, validated by :mod:`ipaddress` (no octet > 255, no bare ``::``)."""
    found = []
    for m in IPV4_RE.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        found.append(PersonalData(m.start(), m.end(), "IP", m.group()))
    for m in IPV6_RE.finditer(text):
        candidate = m.group()
        if sum(1 for g in candidate.split(":") if g) < 3:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        found.append(PersonalData(m.start(), m.end(), "IP", candidate))
    return found


# --------------------------------------------------------------------------------------------
# Rules (data/anonymise.yaml)
# --------------------------------------------------------------------------------------------


def _fold(word: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a word or phrase."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.replace("’", "'").casefold()
    return re.sub(r"\s+", " ", bare.strip(" .'"))


@dataclass(frozen=True)
class AnonymisationRules:
    """Word lists from ``anonymise.yaml``, folded (see :func:`load_anonymisation_rules`)."""

    civilities: frozenset[str]
    roles: frozenset[str]
    not_names: frozenset[str]
    place_words: frozenset[str]
    particles: frozenset[str]
    given_names: frozenset[str] = frozenset()
    given_name_alone: bool = True
    min_part_length: int = 3
    stop_words: frozenset[str] = field(default_factory=frozenset)


def load_anonymisation_rules(path: str | Path | None = None) -> AnonymisationRules:
    """Read the anonymisation rules YAML (default: the shipped ``data/anonymise.yaml``)."""
    path = Path(path) if path is not None else RULES_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise InputError("fichier de règles d'anonymisation introuvable", path=path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"YAML invalide : {exc}", path=path, line=yaml_error_line(exc)) from exc
    if not isinstance(raw, Mapping):
        raise InputError("les règles d'anonymisation doivent être un dictionnaire", path=path)
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise InputError(
            f"clé(s) inconnue(s) : {', '.join(unknown)} ; clés permises : {', '.join(sorted(_RULE_KEYS))}",
            path=path,
        )

    def words(key: str) -> frozenset[str]:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"'{key}' doit être une liste de mots", path=path)
        return frozenset(_fold(v) for v in value)

    options = raw.get("known_names") or {}
    if not isinstance(options, Mapping) or set(options) - {"given_name_alone", "min_part_length"}:
        raise InputError("'known_names' accepte given_name_alone et min_part_length", path=path)
    from spacy.lang.fr.stop_words import STOP_WORDS  # light: no model, no pipeline

    return AnonymisationRules(
        civilities=words("civilities"),
        roles=words("roles"),
        not_names=words("not_names"),
        place_words=words("place_words"),
        particles=words("particles"),
        given_names=words("given_names"),
        given_name_alone=bool(options.get("given_name_alone", True)),
        min_part_length=int(options.get("min_part_length", 3)),
        stop_words=frozenset(_fold(w) for w in STOP_WORDS),
    )


@lru_cache(maxsize=1)
def _default_rules() -> AnonymisationRules:
    return load_anonymisation_rules()


# --------------------------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------------------------


def _words(text: str, offset: int = 0) -> list[tuple[int, int, str]]:
    return [(m.start() + offset, m.end() + offset, m.group()) for m in _WORD_RE.finditer(text)]


def _is_capitalised(word: str) -> bool:
    """Capitalised, and so is the part after an elision: "D'Amico" yes, "J'aimerais" no."""
    return word[:1].isupper() and all(p[:1].isupper() for p in re.split(r"['’]", word)[1:])


def _is_initial(word: str) -> bool:
    return len(word.rstrip(".")) == 1 and word[:1].isupper()


@dataclass(frozen=True)
class _NameParts:
    """Folded given name and surname; a one-letter part is an initial; '' when unknown."""

    given: str
    surname: str


def _parse_name(value: str, rules: AnonymisationRules) -> _NameParts | None:
    """Split a name into given name and surname (``DUPONT Jean``: upper-case part = surname)."""
    tokens = [w for _, _, w in _words(value)]
    while tokens and _fold(tokens[0]) in rules.civilities | rules.roles:
        tokens = tokens[1:]
    tokens = [t for t in tokens if _fold(t) not in rules.not_names or _is_initial(t)]
    if not tokens:
        return None
    if len(tokens) == 1:
        return _NameParts("", _fold(tokens[0]))
    upper = [t for t in tokens if t.isupper() and len(t.rstrip(".")) > 1]
    if upper and len(upper) < len(tokens):
        given = " ".join(t for t in tokens if t not in upper)
        return _NameParts(_fold(given), _fold(" ".join(upper)))
    return _NameParts(_fold(tokens[0]), _fold(" ".join(tokens[1:])))


class _PersonIndex:
    """Links every mention of a person ("Jean Dupont", "M. Dupont", "Jean D.") to one key."""

    def __init__(self, full_names: Iterable[_NameParts]) -> None:
        self.full: list[_NameParts] = []
        for parts in full_names:
            if len(parts.given) > 1 and len(parts.surname) > 1 and parts not in self.full:
                self.full.append(parts)

    def key(self, parts: _NameParts) -> tuple[str, str]:
        given, surname = parts.given, parts.surname
        if len(given) > 1 and len(surname) > 1:
            if parts not in self.full and _NameParts(surname, given) in self.full:
                return (surname, given)  # same person written "Nom Prénom"
            return (given, surname)
        if len(given) > 1 and len(surname) == 1:
            candidates = [p for p in self.full if p.given == given and p.surname.startswith(surname)]
        elif len(given) == 1 and len(surname) > 1:
            candidates = [p for p in self.full if p.surname == surname and p.given.startswith(given)]
        elif not given:
            candidates = [p for p in self.full if p.surname == surname or p.surname.endswith(" " + surname)]
            if not candidates:
                candidates = [p for p in self.full if p.given == surname]
        else:
            candidates = []
        if len(candidates) == 1:
            return (candidates[0].given, candidates[0].surname)
        return (given, surname)


def _name_regex(words: Sequence[str], *, case_sensitive: bool) -> str:
    """Whole-word pattern of a name (flexible spaces, optional dot after an initial)."""
    parts = []
    for w in words:
        bare = w.rstrip(".")
        parts.append(re.escape(bare) + (r"\.?" if len(bare) == 1 else ""))
    body = r"\s+".join(parts)
    if not case_sensitive:
        body = f"(?i:{body})"
    return rf"(?<![\w-]){body}(?![\w-])"


def _known_name_pattern(known_names: Iterable[str], rules: AnonymisationRules) -> re.Pattern[str] | None:
    """One regex finding every known name and its distinctive parts, longest forms first."""
    full_forms: set[tuple[str, ...]] = set()
    single_parts: set[str] = set()
    for name in known_names:
        tokens = [w for _, _, w in _words(str(name))]
        while tokens and _fold(tokens[0]) in rules.civilities:
            tokens = tokens[1:]
        tokens = [t for t in tokens if _fold(t) not in rules.not_names or _is_initial(t)]
        if not tokens:
            continue
        if len(tokens) == 1:
            if _distinctive(tokens[0], rules):
                single_parts.add(tokens[0])
            continue
        parts = _parse_name(" ".join(tokens), rules)
        given = [t for t in tokens if _fold(t) in parts.given.split()] if parts else []
        surname = [t for t in tokens if t not in given]
        if not given or not surname:
            given, surname = tokens[:1], tokens[1:]
        full_forms.add(tuple(given + surname))
        full_forms.add(tuple(surname + given))
        if not _is_initial(surname[0]):
            full_forms.add(tuple(given + [surname[0][0]]))  # Jean D.
            full_forms.add(tuple([given[0][0]] + surname))  # J. Dupont
            if len(surname) == 1 and _distinctive(surname[0], rules):
                single_parts.add(surname[0])
            elif len(surname) > 1:
                full_forms.add(tuple(surname))  # Le Gall, Da Silva
        if rules.given_name_alone and len(given) == 1 and _distinctive(given[0], rules):
            single_parts.add(given[0])
    if not full_forms and not single_parts:
        return None
    patterns = [
        _name_regex(form, case_sensitive=False)
        for form in sorted(full_forms, key=lambda f: (-sum(map(len, f)), f))
    ]
    for part in sorted(single_parts, key=lambda p: (-len(p), p)):
        bare = part.rstrip(".")
        patterns.append(_name_regex([bare[0].upper() + bare[1:]], case_sensitive=True))
        patterns.append(_name_regex([bare.upper()], case_sensitive=True))
    return re.compile("|".join(dict.fromkeys(patterns)))


def _distinctive(word: str, rules: AnonymisationRules) -> bool:
    """A name part that may be searched alone: long enough, not a common or institutional word."""
    folded = _fold(word)
    return (
        len(folded) >= rules.min_part_length
        and folded not in rules.not_names
        and folded not in rules.roles
        and folded not in rules.civilities
        and folded not in rules.stop_words
        and folded not in rules.place_words
    )


def _name_tokens_after(
    words: list[tuple[int, int, str]], i: int, text: str, rules: AnonymisationRules
) -> tuple[int, int] | None:
    """Character span of the capitalised name starting at word ``i`` (particles allowed inside)."""
    start = end = None
    j = i
    while j < len(words) and j - i < 4:
        s, e, w = words[j]
        if end is not None and text[end:s].strip():
            break  # punctuation between words: the name stopped
        folded = _fold(w)
        if _is_capitalised(w) and folded not in rules.not_names and folded not in rules.roles:
            if start is None:
                start = s
            end = e
        elif start is not None and folded in rules.particles:
            pass
        else:
            break
        j += 1
    if start is None:
        return None
    return start, end


def _civility_names(text: str, rules: AnonymisationRules) -> list[PersonalData]:
    """Names after a civility: "M. Martin", "Mme Da Silva", "Madame la Maire Sophie Leroy"."""
    found = []
    words = _words(text)
    for i, (_, _, w) in enumerate(words):
        folded = _fold(w)
        if folded not in rules.civilities:
            continue
        if len(folded) <= 3 and not _is_capitalised(w):
            continue  # "me", "m" in running text are not civilities
        j = i + 1
        while j < len(words) and _fold(words[j][2]) in rules.roles:
            j += 1  # "Madame la Maire Sophie Leroy"
        if j >= len(words):
            continue
        span = _name_tokens_after(words, j, text, rules)
        if span:
            s, e = _trim_span(text, *span)
            found.append(PersonalData(s, e, "PER", text[s:e]))
    return found


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in " ,;:!?)»\"'’-":
        end -= 1
    if end > start and text[end - 1] == "." and not _is_initial(text[start:end].split()[-1]):
        end -= 1
    return start, end


_DETERMINERS = frozenset({"le", "la", "les", "l", "du", "au", "aux", "des", "un", "une"})
_SENTENCE_START = re.compile(r"(?:^|[.!?;:\n]\s*|[-*•]\s+)$")


def _is_given_name(word: str, rules: AnonymisationRules) -> bool:
    """A capitalised word whose first part is a common first name (Jean-Pierre -> jean)."""
    if not _is_capitalised(word) or word.isupper():
        return False
    return _fold(word).split("-")[0] in rules.given_names


def _clean_person(
    text: str, start: int, end: int, label: str, rules: AnonymisationRules
) -> tuple[int, int] | None:
    """Keep a candidate name only if it looks like a person's; trim civilities, roles, courtesy.

    ``label`` PER (the model's person label): kept unless the rules refute it. Any other label
    (the model's LOC/MISC/ORG, or ``GIVEN`` for a first-name hit): kept only when it starts with
    a common first name.
    """
    words = _words(text[start:end], start)
    lead_drop = rules.civilities | rules.roles | rules.not_names | rules.stop_words
    while words and (_fold(words[0][2]) in lead_drop or not _is_capitalised(words[0][2])):
        words = words[1:]
    trail_drop = rules.particles | rules.not_names | rules.roles
    while words and (_fold(words[-1][2]) in trail_drop or not _is_capitalised(words[-1][2])):
        words = words[:-1]
    if not words:
        return None
    s, e = words[0][0], words[-1][1]
    span = text[s:e]
    if any(c.isdigit() for c in span) or any(c in span for c in "@[]_/"):
        return None
    for _, _, w in words:
        folded = _fold(w)
        if folded in rules.particles:
            continue
        if not _is_capitalised(w):
            return None  # "Transition écologique": names are capitalised
        if folded in rules.not_names or folded in rules.roles:
            return None
        if folded.startswith(("saint-", "sainte-", "st-", "ste-")):
            return None  # places
    if all(w.isupper() for _, _, w in words) and label in _NER_LABELS:
        return None  # "DDT", "MONTREZ L'EXEMPLE": acronyms and shouting (known names are matched apart)
    starts_with_given = _is_given_name(words[0][2], rules)
    if label not in _NER_LABELS and not starts_with_given:
        return None
    if len(words) == 1:
        w = words[0][2]
        if _fold(w) in rules.stop_words or len(w.rstrip(".")) < 2:
            return None  # common words
        if not starts_with_given and _SENTENCE_START.search(text[:s]):
            return None  # a lone capitalised word opening a sentence ("Pause de 12h30")
    before = _words(text[max(0, s - 40) : s], max(0, s - 40))
    if before and not text[before[-1][1] : s].strip():
        prev = re.split(r"['’]", _fold(before[-1][2]))[-1]
        if prev in rules.place_words:
            return None  # rue Jean Jaurès, collège Sophie-Germain, l'école Jean-Moulin
        if len(words) == 1 and prev in _DETERMINERS:
            return None  # "la Marie", "le Département": a determiner before a capitalised noun
    if s > 0 and text[s - 1] in "-'’":
        return None  # second half of a hyphenated place (Saint-Martin)
    return _extend_right(text, s, _trim_span(text, s, e)[1], rules)


def _extend_right(text: str, start: int, end: int, rules: AnonymisationRules) -> tuple[int, int]:
    """Add the capitalised surname the model left out ("Sophie" -> "Sophie Leroy")."""
    following = _words(text[end : end + 60], end)
    extra = 0
    while extra < len(following) and extra < 2:
        s, e, w = following[extra]
        gap = text[(following[extra - 1][1] if extra else end) : s]
        if gap != " " or not _is_capitalised(w) or _fold(w) in rules.not_names | rules.roles | rules.stop_words:
            break
        end = e
        extra += 1
    return _trim_span(text, start, end)


# --------------------------------------------------------------------------------------------
# One text
# --------------------------------------------------------------------------------------------


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


def _entities_of(doc: Any) -> list[tuple[int, int, str]]:
    return [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]


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
        entities = _entities_of(doc)
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


# --------------------------------------------------------------------------------------------
# NER with an on-disk cache
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def load_ner_pipeline(model: str = config.SPACY_MODEL) -> Any:
    """The spaCy pipeline reduced to what its ``ner`` component needs.

    In the fr_core_news_* models the ``ner`` component embeds its own tok2vec, so the shared
    ``tok2vec`` (listened to by the morphologizer and parser only), the parser, morphologizer,
    attribute ruler and lemmatizer are not loaded.
    """
    import spacy

    nlp = spacy.load(model, exclude=["morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter", "tagger"])
    if "tok2vec" in nlp.pipe_names:
        listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", [])
        if "ner" not in listeners:
            nlp.remove_pipe("tok2vec")
    return nlp


def _model_id(nlp: Any) -> tuple[str, str]:
    meta = getattr(nlp, "meta", {}) or {}
    return f"{meta.get('lang', '')}_{meta.get('name', '')}", str(meta.get("version", ""))


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _NerCache:
    """SQLite file: (sha1 of text, model, version) -> JSON list of [start, end, label]."""

    def __init__(self, cache_dir: str | Path, model: str, version: str) -> None:
        self.path = Path(cache_dir) / NER_CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.model, self.version = model, version
        with closing(sqlite3.connect(self.path)) as con, con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS entities (text_sha1 TEXT NOT NULL, model TEXT NOT NULL, "
                "version TEXT NOT NULL, spans TEXT NOT NULL, PRIMARY KEY (text_sha1, model, version))"
            )

    def get(self, keys: Sequence[str]) -> dict[str, list[list[Any]]]:
        found: dict[str, list[list[Any]]] = {}
        with closing(sqlite3.connect(self.path)) as con:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i : i + 500])
                rows = con.execute(
                    "SELECT text_sha1, spans FROM entities WHERE model = ? AND version = ? AND text_sha1 IN "
                    f"({','.join('?' * len(chunk))})",
                    [self.model, self.version, *chunk],
                )
                found.update((k, json.loads(v)) for k, v in rows)
        return found

    def put(self, items: Mapping[str, list[list[Any]]]) -> None:
        with closing(sqlite3.connect(self.path)) as con, con:
            con.executemany(
                "INSERT OR REPLACE INTO entities VALUES (?, ?, ?, ?)",
                [(k, self.model, self.version, json.dumps(v)) for k, v in sorted(items.items())],
            )


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
    if nlp is None:
        nlp = load_ner_pipeline()
    if "ner" not in getattr(nlp, "pipe_names", ()):
        return [[] for _ in texts]
    unique = list(dict.fromkeys(texts))
    keys = {t: _text_key(t) for t in unique}
    results: dict[str, list[list[Any]]] = {}
    cache = _NerCache(cache_dir, *_model_id(nlp)) if cache_dir is not None else None
    if cache is not None:
        results.update(cache.get(list(keys.values())))
    todo = [t for t in unique if keys[t] not in results]
    if todo:
        from tqdm.auto import tqdm

        show = len(todo) >= PROGRESS_MIN_TEXTS if progress is None else progress
        docs = nlp.pipe(todo, batch_size=config.SPACY_BATCH_SIZE)
        new: dict[str, list[list[Any]]] = {}
        for text, doc in zip(todo, tqdm(docs, total=len(todo), desc="Repérage des noms", disable=not show)):
            new[keys[text]] = [list(e) for e in _entities_of(doc)]
        logger.info("NER: %d texte(s) analysé(s), %d depuis le cache", len(todo), len(unique) - len(todo))
        results.update(new)
        if cache is not None:
            cache.put(new)
    return [[(int(s), int(e), str(label)) for s, e, label in results[keys[t]]] for t in texts]


# --------------------------------------------------------------------------------------------
# Many texts: stable placeholders
# --------------------------------------------------------------------------------------------


def _replace_all(
    cells: Sequence[Any],
    *,
    known_names: Iterable[str],
    nlp: Any,
    cache_dir: str | Path | None,
    rules: AnonymisationRules | None,
    progress: bool | None = None,
) -> list[Any]:
    """Anonymise cells (non-strings are returned as they are), numbering persons across all."""
    rules = rules or _default_rules()
    known = [str(n) for n in dict.fromkeys(known_names) if isinstance(n, str) and n.strip()]
    texts = list(dict.fromkeys(c for c in cells if isinstance(c, str) and c.strip()))
    entities = recognise_entities(texts, nlp=nlp, cache_dir=cache_dir, progress=progress)
    findings = _find_all(texts, entities, known_names=known, rules=rules)
    mentions = [_parse_name(n, rules) for n in known]
    for t in texts:
        mentions += [_parse_name(p.value, rules) for p in findings[t] if p.kind == "PER"]
    index = _PersonIndex(m for m in mentions if m is not None)
    numbers: dict[tuple[str, str], int] = {}
    out: list[Any] = []
    for cell in cells:
        if not (isinstance(cell, str) and cell.strip()):
            out.append(cell)
            continue
        pieces, pos = [], 0
        for p in findings[cell]:
            if p.kind == "PER":
                parts = _parse_name(p.value, rules) or _NameParts("", _fold(p.value))
                key = index.key(parts)
                n = numbers.setdefault(key, len(numbers) + 1)
                placeholder = PERSON_PLACEHOLDER.format(n=n)
            else:
                placeholder = PLACEHOLDERS[p.kind]
            pieces += [cell[pos : p.start], placeholder]
            pos = p.end
        pieces.append(cell[pos:])
        out.append("".join(pieces))
    return out


def anonymise_texts(
    texts: Iterable[str],
    *,
    known_names: Iterable[str] = (),
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    rules: AnonymisationRules | None = None,
) -> list[str]:
    """Anonymised copies of ``texts``; one person keeps one ``[PERSONNE_n]`` across all of them.

    ``nlp``: a spaCy pipeline with ``ner`` (None: the project's model, see
    :func:`load_ner_pipeline`); a pipeline without ``ner`` disables the model.
    """
    return _replace_all(list(texts), known_names=known_names, nlp=nlp, cache_dir=cache_dir, rules=rules)


def _names_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [v for v in value if isinstance(v, str)]
    return []


def anonymise_frame(
    df: pd.DataFrame,
    *,
    columns: Sequence[str] = ("text", "role_raw"),
    names_column: str | None = "_names",
    nlp: Any = None,
    cache_dir: str | Path | None = None,
    rules: AnonymisationRules | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Copy of ``df`` whose ``columns`` have names, e-mails, phones and IPs replaced.

    ``names_column`` (dropped from the result when present) holds per row a list of names known
    from the source; every one is searched in every row. Persons are numbered in order of first
    appearance (rows in frame order, then ``columns`` in the order given). Missing values stay
    missing. ``cache_dir``: NER cache folder (None: no cache; the project's default is
    ``DEFAULT_NER_CACHE_DIR``).
    """
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(MSG_MISSING_COLUMN.format(column=", ".join(missing)))
    out = df.copy()
    known: list[str] = []
    if names_column is not None and names_column in df.columns:
        for value in df[names_column]:
            known += _names_of(value)
        out = out.drop(columns=[names_column])
    cells = [v for row in df[list(columns)].itertuples(index=False, name=None) for v in row]
    replaced = _replace_all(
        cells, known_names=known, nlp=nlp, cache_dir=cache_dir, rules=rules, progress=progress
    )
    width = len(columns)
    for j, column in enumerate(columns):
        values = replaced[j::width]
        out[column] = pd.Series(values, index=df.index, dtype=df[column].dtype)
    return out
