"""Negation and expectation cues, and small-word equivalents (``data/coding_cues.yaml``,
researcher-editable): what the rule coder reads as « pas de... », « il faudrait que... »."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import config
from ..core.codebook import parse_pattern
from ..core.errors import InputError, yaml_error_line, yaml_problem_fr
from ..core.text import fold_cue, fold_word

CUE_PREFIX = "_cue."
CUE_EXPECTATION = CUE_PREFIX + "expectation"
CUE_OPENING = CUE_PREFIX + "opening"
CUE_QUESTION = CUE_PREFIX + "question"
_TOP_CUE_KEYS = {"equivalents", "negation", "expectation"}
_NEG_KEYS = {"before", "after", "after_with_ne", "breakers", "window_before", "window_after", "clause_breaks"}
_EXP_KEYS = {"cues", "opening_cues", "question_cues", "window_before", "window_after", "subject_cues",
             "addressee_cues", "proposal_question_cues", "agent_nouns"}


# ---------------------------------------------------------------------------------------------
# Cues (data/coding_cues.yaml)


@dataclass(frozen=True)
class Cues:
    """Negation and expectation cues, and small-word equivalents (see ``coding_cues.yaml``)."""

    equivalents: dict[str, str]
    negation_before: frozenset[str]
    negation_after: frozenset[str]
    negation_after_with_ne: frozenset[str]
    breakers: frozenset[str]
    clause_breaks: frozenset[str]
    negation_window_before: int
    negation_window_after: int
    expectation_cues: tuple[str, ...]
    opening_cues: tuple[str, ...]
    question_cues: tuple[str, ...]
    expectation_window_before: int
    expectation_window_after: int
    subject_cues: frozenset[str] = frozenset()
    addressee_cues: frozenset[str] = frozenset()
    proposal_question_cues: tuple[str, ...] = ()
    agent_nouns: frozenset[str] = frozenset()
    hash: str = ""
    path: str = ""


def _words(value: Any, where: str, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"« {where} » doit être une liste de mots", path=path)
    return value


def _window(value: Any, where: str, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 30:
        raise InputError(f"« {where} » doit être un entier entre 0 et 30", path=path)
    return value


def parse_cues(data: Any, *, path: str = "<cues>") -> Cues:
    """Validate the cues mapping (as read from YAML) and build :class:`Cues`."""
    if not isinstance(data, dict):
        raise InputError("le fichier de marqueurs doit être un dictionnaire", path=path)
    for key, allowed in (("", _TOP_CUE_KEYS), ("negation", _NEG_KEYS), ("expectation", _EXP_KEYS)):
        section = data if not key else data.get(key)
        if not isinstance(section, dict):
            raise InputError(f"section « {key} » manquante ou invalide", path=path)
        unknown = sorted(set(section) - allowed)
        if unknown:
            raise InputError(f"clé(s) inconnue(s) {unknown} dans « {key or 'racine'} »", path=path)
    eq_raw = data.get("equivalents") or {}
    if not isinstance(eq_raw, dict):
        raise InputError("« equivalents » doit associer une forme à une liste de formes", path=path)
    equivalents: dict[str, str] = {}
    for canon, forms in eq_raw.items():
        base = fold_cue(str(canon))
        equivalents[base] = base
        for form in _words(forms, f"equivalents.{canon}", path):
            equivalents[fold_cue(form)] = base
    neg, exp = data["negation"], data["expectation"]

    def fold_set(values: list[str]) -> frozenset[str]:
        return frozenset(fold_word(v, equivalents) for v in values)

    for group in ("cues", "opening_cues", "question_cues", "proposal_question_cues"):
        if group == "proposal_question_cues" and group not in exp:
            continue
        for pattern in _words(exp.get(group), f"expectation.{group}", path):
            try:
                parse_pattern(pattern)
            except ValueError as exc:
                raise InputError(f"motif invalide dans expectation.{group} : {exc}", path=path) from None
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return Cues(
        equivalents=equivalents,
        negation_before=fold_set(_words(neg.get("before"), "negation.before", path)),
        negation_after=fold_set(_words(neg.get("after"), "negation.after", path)),
        negation_after_with_ne=fold_set(_words(neg.get("after_with_ne", []), "negation.after_with_ne", path)),
        breakers=fold_set(_words(neg.get("breakers", []), "negation.breakers", path)),
        clause_breaks=fold_set(_words(neg.get("clause_breaks"), "negation.clause_breaks", path)),
        negation_window_before=_window(neg.get("window_before", 4), "negation.window_before", path),
        negation_window_after=_window(neg.get("window_after", 2), "negation.window_after", path),
        expectation_cues=tuple(exp["cues"]),
        opening_cues=tuple(exp["opening_cues"]),
        question_cues=tuple(exp["question_cues"]),
        expectation_window_before=_window(exp.get("window_before", 3), "expectation.window_before", path),
        expectation_window_after=_window(exp.get("window_after", 10), "expectation.window_after", path),
        subject_cues=fold_set(_words(exp.get("subject_cues", ["devoir"]), "expectation.subject_cues", path)),
        addressee_cues=fold_set(_words(exp.get("addressee_cues", ["attendre"]), "expectation.addressee_cues", path)),
        proposal_question_cues=tuple(exp.get("proposal_question_cues", ())),
        agent_nouns=fold_set(_words(exp.get("agent_nouns", ["aide"]), "expectation.agent_nouns", path)),
        hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        path=path,
    )


def load_cues(path: str | Path | None = None) -> Cues:
    """Load ``coding_cues.yaml`` (default: the shipped ``config.CODING_CUES``)."""
    path = Path(path) if path is not None else config.CODING_CUES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("fichier de marqueurs introuvable", path=path) from None
    except yaml.YAMLError as exc:
        raise InputError(f"YAML illisible : {yaml_problem_fr(exc)}", path=path, line=yaml_error_line(exc)) from None
    return parse_cues(data, path=str(path))
