"""Person names: the rules file (``data/anonymise.yaml``), names known from the source, names
after a civility, and the filtering of spaCy's person entities.

Three sources, merged: the names the source itself gives (form name columns, transcript
speaker, chat author), searched in every text with their distinctive parts (surname alone,
"M. Dupont", "Jean D.", "J. Dupont", first name alone); civility and title cues ("M. Martin",
"Mme Da Silva", "Madame la Maire Sophie Leroy", "Miss Merkel", "président Macron"); spaCy's
French statistical NER (label ``PER``), filtered by the rules in ``data/anonymise.yaml``
(institutions, places, role words, acronyms, street/school names) and by the common-word test of
:mod:`.words` (a candidate without a listed first name whose words are ordinary French words is
dropped), because the small model takes many capitalised French words for persons. A name never
runs past the end of a sentence or a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .. import config
from ..core.errors import MSG_COMMON_WORDS_KEYS, MSG_COMMON_WORDS_NUMBERS, InputError, yaml_error_line, yaml_problem_fr
from ..core.text import fold_name as _fold
from .patterns import PersonalData
from .words import CommonWordRule, WordStats

RULES_FILE = config.PACKAGE_DATA_DIR / "anonymise.yaml"
_RULE_KEYS = {"civilities", "titles", "roles", "not_names", "place_words", "particles", "given_names", "known_names",
              "common_words"}
_NER_LABELS = {"PER", "PERSON"}
# A word of a name: letters, inner hyphens/apostrophes, optional final dot (initials, "M.").
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")


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
    titles: frozenset[str] = frozenset()
    common_words: CommonWordRule = field(default_factory=CommonWordRule)


def load_anonymisation_rules(path: str | Path | None = None) -> AnonymisationRules:
    """Read the anonymisation rules YAML (default: the shipped ``data/anonymise.yaml``)."""
    path = Path(path) if path is not None else RULES_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise InputError("fichier de règles d'anonymisation introuvable", path=path) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"YAML illisible : {yaml_problem_fr(exc)}", path=path, line=yaml_error_line(exc)) from exc
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
    common = raw.get("common_words") or {}
    if not isinstance(common, Mapping) or set(common) - {"min_lower", "min_evidence", "zipf"}:
        raise InputError(MSG_COMMON_WORDS_KEYS, path=path)
    try:
        common_rule = CommonWordRule(
            min_lower=int(common.get("min_lower", CommonWordRule.min_lower)),
            min_evidence=int(common.get("min_evidence", CommonWordRule.min_evidence)),
            zipf=float(common.get("zipf", CommonWordRule.zipf)),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(MSG_COMMON_WORDS_NUMBERS, path=path) from exc
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
        titles=words("titles"),
        common_words=common_rule,
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


def _split_name(name: str, rules: AnonymisationRules, leading: frozenset[str]) -> tuple[list[str], list[str]] | None:
    """``(given names, surname)`` words of ``name`` once its ``leading`` words (civilities...)
    and institution words are dropped; a one-word name is ``([], [word])``; None when nothing is left."""
    tokens = [w for _, _, w in _words(str(name))]
    while tokens and _fold(tokens[0]) in leading:
        tokens = tokens[1:]
    tokens = [t for t in tokens if _fold(t) not in rules.not_names or _is_initial(t)]
    if len(tokens) <= 1:
        return ([], tokens) if tokens else None
    parts = _parse_name(" ".join(tokens), rules)
    given = [t for t in tokens if _fold(t) in parts.given.split()] if parts else []
    surname = [t for t in tokens if t not in given]
    if not given or not surname:
        given, surname = tokens[:1], tokens[1:]
    return given, surname


class NamePattern:
    """A names regex (an alternation of whole-word forms) and the first word (``\\w+``) of each
    of its case-sensitive forms. A case-sensitive form can only match where its first word is a
    whole word of the text, so on a text holding none of them the regex, tried at every position,
    is not run: :meth:`finditer` finds the same matches, faster on a large corpus."""

    __slots__ = ("regex", "first_words")

    def __init__(self, regex: re.Pattern[str], first_words: frozenset[str] | None):
        self.regex = regex
        self.first_words = first_words  # None: some form is case-insensitive, no shortcut

    def could_match(self, text: str) -> bool:
        """False only when no form can match ``text``."""
        return self.first_words is None or not self.first_words.isdisjoint(_WORD_CHARS_RE.findall(text))

    def finditer(self, text: str):
        """The matches of ``regex.finditer(text)``. With first words, the regex is only tried
        where one of them stands as a whole word: every form starts with its first word right
        after a non-word character, so no match can start anywhere else (same matches, left to
        right, without overlaps, as the regex tried at every position)."""
        if self.first_words is None:
            yield from self.regex.finditer(text)
            return
        end = 0
        for word in _WORD_CHARS_RE.finditer(text):
            if word.start() < end or word.group() not in self.first_words:
                continue
            m = self.regex.match(text, word.start())
            if m is not None:
                end = m.end()
                yield m


_WORD_CHARS_RE = re.compile(r"\w+")


def _names_regex(forms: set[tuple[str, ...]], single_parts: set[str], *, case_sensitive: bool) -> NamePattern | None:
    """One regex for name ``forms`` (longest first; in any case, or as written and in capitals)
    and ``single_parts`` (capitalised or in capitals only)."""
    if not forms and not single_parts:
        return None
    patterns = []
    heads: list[str | None] = []  # first word of each form (None: it starts with no word character)

    def add(words: Sequence[str], *, sensitive: bool) -> None:
        patterns.append(_name_regex(words, case_sensitive=sensitive))
        head = _WORD_CHARS_RE.match(words[0].rstrip("."))
        heads.append(head.group() if head else None)

    for form in sorted(forms, key=lambda f: (-sum(map(len, f)), f)):
        add(form, sensitive=case_sensitive)
        if case_sensitive:
            add([w.upper() for w in form], sensitive=True)
    for part in sorted(single_parts, key=lambda p: (-len(p), p)):
        bare = part.rstrip(".")
        add([bare[0].upper() + bare[1:]], sensitive=True)
        add([bare.upper()], sensitive=True)
    shortcut = case_sensitive and None not in heads  # a case-insensitive form: no shortcut
    return NamePattern(re.compile("|".join(dict.fromkeys(patterns))), frozenset(heads) if shortcut else None)


def _known_name_pattern(known_names: Iterable[str], rules: AnonymisationRules) -> NamePattern | None:
    """One regex finding every known name and its distinctive parts, longest forms first."""
    full_forms: set[tuple[str, ...]] = set()
    single_parts: set[str] = set()
    for name in known_names:
        split = _split_name(name, rules, rules.civilities)
        if split is None:
            continue
        given, surname = split
        if not given:
            if _distinctive(surname[0], rules):
                single_parts.add(surname[0])
            continue
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
    return _names_regex(full_forms, single_parts, case_sensitive=False)


def _discovered_name_pattern(
    names: Iterable[str], rules: AnonymisationRules, stats: WordStats, not_persons: frozenset[str] = frozenset()
) -> NamePattern | None:
    """One regex finding, in every text, the names found in one of them (after a civility or a
    title, or by the model and kept by the filters). Stricter than for names the source gives:
    a name is searched as it was written (or in capitals), never in lower case ("Aides
    Financières" must not hide "aides financières"); "Jean D." and "J. Dupont" only when "Jean"
    is a listed first name and the name is not in capitals ("DONNER LES MOYENS" gives no
    "donner l'"); a surname alone only when it is not a common word nor a word the model calls
    a place or an organisation more often than a person (``not_persons``: "Hollande" of
    "François Hollande" stays a country elsewhere); a surname starting with a particle
    ("de Vie") never alone."""

    def alone_ok(word: str) -> bool:
        return _distinctive(word, rules) and not stats.is_common(word) and _fold(word) not in not_persons

    forms: set[tuple[str, ...]] = set()
    single_parts: set[str] = set()
    for name in names:
        split = _split_name(name, rules, rules.civilities | rules.titles | rules.roles)
        if split is None:
            continue
        given, surname = split
        if not given:
            if alone_ok(surname[0]):
                single_parts.add(surname[0])
            continue
        forms.add(tuple(given + surname))
        forms.add(tuple(surname + given))
        listed = _fold(given[0]).split("-")[0] in rules.given_names
        capitals = all(t.isupper() for t in given + surname)
        if listed and not capitals and not _is_initial(surname[0]):
            forms.add(tuple(given + [surname[0][0]]))  # Jean D.
            forms.add(tuple([given[0][0]] + surname))  # J. Dupont
        if len(surname) == 1 and alone_ok(surname[0]):
            single_parts.add(surname[0])
        elif len(surname) > 1 and _is_capitalised(surname[0]):
            forms.add(tuple(surname))  # Le Gall, Da Silva
    return _names_regex(forms, single_parts, case_sensitive=True)


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
        if folded in rules.stop_words and folded not in rules.particles:
            break  # "Je", "AU" (in a text in capitals): a name has no such word
        if _is_capitalised(w) and folded not in rules.not_names and folded not in rules.roles:
            if start is None:
                start = s
            end = e
            if _ends_sentence(w, rules):
                break  # "M. Barnier. Mais..."
        elif start is not None and folded in rules.particles:
            pass
        else:
            break
        j += 1
    if start is None:
        return None
    return start, end


_SENTENCE_PUNCT = re.compile(r"[.!?;:…\n]")


def _ends_sentence(word: str, rules: AnonymisationRules) -> bool:
    """A word with a final full stop that is not an initial ("J.") nor a civility ("M.", "Mme.")."""
    return word.endswith(".") and len(word) > 2 and _fold(word) not in rules.civilities


def _cut_at_sentence_end(text: str, words: list[tuple[int, int, str]], rules: AnonymisationRules) -> list[tuple[int, int, str]]:
    """The words of a candidate up to the end of its first sentence or line: a name does not run
    past "Bartolone. Il", "Michel Barnier. Mais" or "Moron-Puech\nDocteur"."""
    for i, (_, e, w) in enumerate(words[:-1]):
        if _ends_sentence(w, rules) or _SENTENCE_PUNCT.search(text[e : words[i + 1][0]]):
            return words[: i + 1]
    return words


def _cue_word(word: str, rules: AnonymisationRules) -> str | None:
    """``"strong"`` when ``word`` is a civility or a title introducing a name, ``"weak"`` when it
    is one that is also an ordinary word or written in capitals ("Me Limiter", "JE ME CHAUFFE"),
    else None. A short civility counts only capitalised; a title ending a sentence ("le choix du
    Roi.") does not count."""
    folded = _fold(word)
    if folded in rules.titles:
        if word.endswith("."):
            return None
    elif folded not in rules.civilities:
        return None
    elif len(folded) <= 3 and not _is_capitalised(word):
        return None  # "me", "m" in running text are not civilities
    if len(folded) > 1 and (folded in rules.stop_words or word.rstrip(".").isupper()):
        return "weak"
    return "strong"


def _civility_names(text: str, rules: AnonymisationRules, stats: WordStats | None = None) -> list[PersonalData]:
    """Names after a civility or a title: "M. Martin", "Mme Da Silva", "Madame la Maire Sophie
    Leroy", "Miss Merkel", "président Macron", "Président CHIRAC" (a title counts in any case, a
    short civility only capitalised). Nothing but spaces and role words may stand between the
    cue and the name; after a weak cue (see :func:`_cue_word`) the name may not start with a
    common word (``stats``)."""
    found = []
    words = _words(text)
    for i, (_, cue_end, w) in enumerate(words):
        strength = _cue_word(w, rules)
        if strength is None:
            continue
        j, prev_end = i + 1, cue_end
        while j < len(words) and _fold(words[j][2]) in rules.roles and not _SENTENCE_PUNCT.search(text[prev_end : words[j][0]]):
            prev_end = words[j][1]
            j += 1  # "Madame la Maire Sophie Leroy"
        if j >= len(words) or _SENTENCE_PUNCT.search(text[prev_end : words[j][0]]):
            continue
        span = _name_tokens_after(words, j, text, rules)
        if not span:
            continue
        if strength == "weak" and stats is not None and stats.is_common(words[j][2]):
            continue
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
    text: str, start: int, end: int, label: str, rules: AnonymisationRules, stats: WordStats | None = None
) -> tuple[int, int] | None:
    """Keep a candidate name only if it looks like a person's; trim civilities, roles, courtesy.

    ``label`` PER (the model's person label): kept unless the rules refute it. Any other label
    (the model's LOC/MISC/ORG, or ``GIVEN`` for a first-name hit): kept only when it starts with
    a common first name. The candidate stops at the end of its sentence or line; without a first
    name of the list, it is dropped when one of its words is a common word (``stats``, see
    :mod:`.words`; a civility or title just before it spares it).
    """
    words = _cut_at_sentence_end(text, _words(text[start:end], start), rules)
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
    if stats is not None and not _cue_before(text, s, rules) and _common_phrase(words, rules, stats):
        return None  # "Aides Financières", "Limiter", "Diminution": ordinary words
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
    return _extend_right(text, s, _trim_span(text, s, e)[1], rules, None if starts_with_given else stats)


def _common_phrase(words: Sequence[tuple[int, int, str]], rules: AnonymisationRules, stats: WordStats) -> bool:
    """True when no word is a listed first name and the words look ordinary: the last one (where
    a surname stands: "Aides Financières", "Bénélux Créer") or every one is a common word. A
    first word that is both a first name and a word ("Claire Vasseur") is then kept."""
    content = [w for _, _, w in words if _fold(w) not in rules.particles]
    if not content or any(_fold(w).split("-")[0] in rules.given_names for w in content):
        return False
    return stats.is_common(content[-1]) or all(stats.is_common(w) for w in content)


def _cue_before(text: str, start: int, rules: AnonymisationRules) -> bool:
    """A (strong) civility or title, roles allowed between, just before ``start``: "M. Petit",
    "président Macron", "Madame la Maire Sophie Leroy"."""
    before = _words(text[max(0, start - 60) : start], max(0, start - 60))
    end = start
    for s, e, w in reversed(before):
        if text[e:end].strip(" "):
            return False
        strength = _cue_word(w, rules)
        if strength is not None:
            return strength == "strong"
        if _fold(w) not in rules.roles:
            return False
        end = s
    return False


def _extend_right(
    text: str, start: int, end: int, rules: AnonymisationRules, stats: WordStats | None = None
) -> tuple[int, int]:
    """Add the capitalised surname the model left out ("Sophie" -> "Sophie Leroy", "Patrick" ->
    "Patrick Roux"); with ``stats`` (a span not led by a listed first name), never a common word."""
    following = _words(text[end : end + 60], end)
    extra = 0
    while extra < len(following) and extra < 2:
        s, e, w = following[extra]
        gap = text[(following[extra - 1][1] if extra else end) : s]
        if gap != " " or not _is_capitalised(w) or _fold(w) in rules.not_names | rules.roles | rules.stop_words:
            break
        if stats is not None and stats.is_common(w):
            break
        end = e
        extra += 1
        if _ends_sentence(w, rules):
            break
    return _trim_span(text, start, end)
