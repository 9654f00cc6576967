"""Role normalisation: what people write in a role field -> elu, agent, socio_eco, etat or inconnu.

The rules live in a researcher-editable YAML table (``data/roles.yaml``, format documented in its
header comment). Comparison ignores case, accents, punctuation and inclusive writing
("élu·e·s", "élu.e", "Elu(e)", "élu-e"), and a word of the table also matches its feminine and
plural forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .. import config
from .errors import InputError, yaml_error_line, yaml_problem_fr
from .schema import ROLES, UNKNOWN_ROLE
from .text import label_tokens

_TOP_KEYS = {"priority", "roles", "facilitators"}
_ROLE_KEYS = {"labels", "words"}


def word_forms(word: str) -> set[str]:
    """``word`` with its feminine and plural forms (elu -> elue, elus, elues; directeur -> directrice)."""
    forms = {word}
    if word.endswith("eur"):
        stem = word[:-3]
        forms |= {stem + "euse", word[:-4] + "trice" if word.endswith("teur") else stem + "rice"}
    if word.endswith("er"):
        forms.add(word[:-2] + "ere")
    if word.endswith(("en", "on", "el")):
        forms.add(word + word[-1] + "e")
    if word.endswith("f"):
        forms |= {word + "fe", word[:-1] + "ve"}
    if word.endswith("al"):
        forms.add(word[:-2] + "aux")
    forms.add(word + "e")
    plural = {f + "s" for f in forms if not f.endswith(("s", "x"))}
    return forms | plural


@dataclass(frozen=True)
class RoleTable:
    """A loaded role table: exact labels and contained phrases per role, and facilitator labels."""

    path: str
    priority: tuple[str, ...]
    labels: dict[str, str]  # canonical label -> role
    words: dict[str, tuple[str, ...]]  # role -> canonical phrases (" w1 w2 ")
    facilitators: frozenset[str]
    canon: dict[str, str] = field(repr=False)  # word form -> table word

    def canonical(self, label: str) -> str:
        """Space-joined canonical words of ``label`` (feminine/plural forms -> the table's word)."""
        return " ".join(self.canon.get(t, t) for t in label_tokens(label))

    def role_of(self, label: str | None) -> str:
        """The role of ``label`` (``inconnu`` when nothing matches)."""
        if label is None:
            return UNKNOWN_ROLE
        text = self.canonical(label)
        if not text:
            return UNKNOWN_ROLE
        if text in self.labels:
            return self.labels[text]
        padded = f" {text} "
        found = [(role, p) for role in self.priority for p in self.words[role] if p in padded]
        # A phrase inside a longer matched phrase yields to it ("adjoint" < "adjoint administratif").
        found = [(r, p) for r, p in found if not any(p != q and p in q for _, q in found)]
        return found[0][0] if found else UNKNOWN_ROLE

    def is_facilitator(self, label: str | None) -> bool:
        """True when the whole ``label`` names a workshop facilitator (animatrice, facilitateur...)."""
        return bool(label) and self.canonical(label) in self.facilitators


def _error(path: str, message: str, key: str | None = None) -> InputError:
    return InputError(f"table des rôles invalide : {message}", path=path, column=key)


def _str_list(value: object, path: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _error(path, "une liste de libellés est attendue", key)
    return [str(v) for v in value]


def parse_role_table(data: object, *, path: str = "<roles>") -> RoleTable:
    """Validate a role table already parsed from YAML and compile it."""
    if not isinstance(data, dict):
        raise _error(path, "un dictionnaire est attendu (clés : priority, roles, facilitators)")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _error(path, f"clé inconnue {unknown[0]!r} (clés permises : {sorted(_TOP_KEYS)})", unknown[0])
    roles = data.get("roles") or {}
    if not isinstance(roles, dict):
        raise _error(path, "'roles' doit associer chaque rôle à labels/words", "roles")
    for role, spec in roles.items():
        if role not in ROLES:
            raise _error(path, f"rôle inconnu {role!r} (rôles : {list(ROLES)})", f"roles.{role}")
        if spec is not None and not isinstance(spec, dict):
            raise _error(path, "labels/words attendus", f"roles.{role}")
        bad = sorted(set(spec or {}) - _ROLE_KEYS)
        if bad:
            raise _error(path, f"clé inconnue {bad[0]!r} (clés permises : labels, words)", f"roles.{role}.{bad[0]}")
    priority = tuple(_str_list(data.get("priority"), path, "priority")) or ROLES
    wrong = [r for r in priority if r not in ROLES]
    if wrong:
        raise _error(path, f"rôle inconnu {wrong[0]!r} dans priority", "priority")
    priority = priority + tuple(r for r in ROLES if r not in priority)

    raw_labels = {r: _str_list((roles.get(r) or {}).get("labels"), path, f"roles.{r}.labels") for r in ROLES}
    raw_words = {r: _str_list((roles.get(r) or {}).get("words"), path, f"roles.{r}.words") for r in ROLES}
    raw_facilitators = _str_list(data.get("facilitators"), path, "facilitators")

    table_words: set[str] = set()
    for entries in (*raw_labels.values(), *raw_words.values(), raw_facilitators):
        for entry in entries:
            table_words.update(label_tokens(entry))
    canon: dict[str, str] = {}
    for word in sorted(table_words):
        for form in word_forms(word):
            if form not in table_words:  # a table word always stands for itself
                canon.setdefault(form, word)

    def canonical(entry: str) -> str:
        return " ".join(canon.get(t, t) for t in label_tokens(entry))

    labels: dict[str, str] = {}
    for role in priority:  # an exact label listed under two roles goes to the higher-priority one
        for entry in raw_labels[role]:
            labels.setdefault(canonical(entry), role)
    words = {r: tuple(sorted({f" {canonical(e)} " for e in raw_words[r] if canonical(e)})) for r in ROLES}
    facilitators = frozenset(canonical(e) for e in raw_facilitators if canonical(e))
    return RoleTable(path=path, priority=priority, labels=labels, words=words, facilitators=facilitators, canon=canon)


def load_role_table(path: str | Path | None = None) -> RoleTable:
    """Load and validate the role table at ``path`` (default: the shipped ``data/roles.yaml``)."""
    if path is None:
        return _default_table()
    return _load(Path(path))


def _load(path: Path) -> RoleTable:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("table des rôles introuvable", path=path) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(
            f"YAML illisible : {yaml_problem_fr(exc)}", path=path, line=yaml_error_line(exc)
        ) from exc
    return parse_role_table(data, path=str(path))


@lru_cache(maxsize=1)
def _default_table() -> RoleTable:
    return _load(config.ROLES_TABLE)


def normalise_role(label: str | None, *, table: RoleTable | None = None) -> str:
    """One of ``elu``, ``agent``, ``socio_eco``, ``etat`` or ``inconnu`` for a raw role label."""
    return (table or _default_table()).role_of(label)


def is_facilitator(label: str | None, *, table: RoleTable | None = None) -> bool:
    """True when ``label`` (a speaker's role or name label) is a workshop facilitator."""
    return (table or _default_table()).is_facilitator(label)
