"""The codebook: codes, their French labels and guidance, and the patterns of the rule coder.

The codebook is a researcher-editable YAML file (format: header of ``data/codebook.yaml``).
:func:`load_codebook` validates it and returns a :class:`Codebook`; every problem raises
:class:`~transitions_analysis.core.errors.CodebookError` naming the file and the line of the code
concerned. :func:`dump_codebook` writes it back (UTF-8, accents kept).

String patterns are parsed by :func:`parse_pattern` (shared with the rule coder):
space-separated lemma tokens; ``mot*`` = a lemma starting with ``mot``; ``~N`` (N = 1..5)
= up to N arbitrary words between the neighbouring tokens.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import config
from .errors import (
    MSG_REGEX_NOT_TEXT,
    MSG_REGEX_REFUSED,
    REGEX_ALTERNATION,
    REGEX_BACKREFERENCE,
    REGEX_INVALID,
    REGEX_NESTED,
    REGEX_UNBOUNDED,
    CodebookError,
    yaml_error_line,
    yaml_problem_fr,
)
from .io import refuse_raw

TOP_KEYS = ("name", "version", "language", "description", "codes")
CODE_KEYS = ("id", "label", "description", "include", "exclude", "examples", "color", "patterns", "exclude_patterns")
_LIST_KEYS = ("include", "exclude", "examples")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_GAP_RE = re.compile(r"^~([1-5])$")
_APOSTROPHES = "'\u2019\u02bc"

#: Keys a token dict of a spaCy Matcher pattern may use (checked again by spaCy's validator).
_MATCHER_KEYS = {
    "ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "ENT_IOB",
    "ENT_ID", "ENT_KB_ID", "SHAPE", "PREFIX", "SUFFIX", "LENGTH", "IS_ALPHA", "IS_ASCII",
    "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_STOP",
    "IS_SENT_START", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "SPACY", "OP", "_",
}


@dataclass(frozen=True)
class PatternToken:
    """One token of a string pattern: ``text`` (folded later by the rule coder), ``prefix``
    (``mot*``) or a gap of up to ``gap`` arbitrary words (``~N``)."""

    text: str = ""
    prefix: bool = False
    gap: int = 0


@dataclass(frozen=True)
class Code:
    """One code of the codebook (``parent`` is the id before the last dot, ``None`` at the top)."""

    id: str
    label: str
    description: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    color: str | None = None
    patterns: tuple[Any, ...] = ()
    exclude_patterns: tuple[Any, ...] = ()
    parent: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The code as written in YAML (empty optional fields left out)."""
        out: dict[str, Any] = {"id": self.id, "label": self.label}
        if self.description:
            out["description"] = self.description
        for key in _LIST_KEYS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.color:
            out["color"] = self.color
        for key in ("patterns", "exclude_patterns"):
            if getattr(self, key):
                out[key] = [p if isinstance(p, str) else [dict(t) for t in p] for p in getattr(self, key)]
        return out


@dataclass(frozen=True)
class Codebook:
    """A validated codebook; ``hash`` is the sha256 of its canonical content (not of comments)."""

    name: str
    version: str
    language: str
    description: str
    codes: tuple[Code, ...]
    path: str | None = field(default=None, compare=False)

    @property
    def hash(self) -> str:
        canonical = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def get(self, code_id: str) -> Code:
        """The code ``code_id``; ``KeyError`` (French message) when absent."""
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(f"code inconnu du codebook : {code_id!r}")

    def ids(self) -> list[str]:
        """Every code id, in codebook order (groups included)."""
        return [c.id for c in self.codes]

    def children(self, code_id: str | None) -> list[Code]:
        """The codes whose parent is ``code_id`` (``None``: the top-level codes), in order."""
        return [c for c in self.codes if c.parent == code_id]

    def leaf_ids(self) -> list[str]:
        """Ids of the codes that have no child (the codes actually given to segments)."""
        parents = {c.parent for c in self.codes if c.parent}
        return [c.id for c in self.codes if c.id not in parents]

    def to_dict(self) -> dict[str, Any]:
        """The codebook as a plain dict, in the YAML's key order."""
        return {
            "name": self.name,
            "version": self.version,
            "language": self.language,
            "description": self.description,
            "codes": [c.to_dict() for c in self.codes],
        }


def parse_pattern(pattern: str) -> list[PatternToken]:
    """Parse a string pattern into tokens; ``ValueError`` (French) when it does not parse.

    Words are split on spaces and after an elision apostrophe (``l'état`` -> ``l'`` ``état``).
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError("motif vide")
    tokens: list[PatternToken] = []
    for raw in pattern.split():
        gap = _GAP_RE.match(raw)
        if gap:
            tokens.append(PatternToken(gap=int(gap.group(1))))
            continue
        if raw.startswith("~"):
            raise ValueError(f"écart invalide {raw!r} (écrire ~1 à ~5)")
        pieces = re.findall(rf"[^{_APOSTROPHES}]+[{_APOSTROPHES}]|[^{_APOSTROPHES}]+$", raw)
        if "".join(pieces) != raw:
            raise ValueError(f"mot invalide {raw!r}")
        for piece in pieces:
            star = piece.endswith("*")
            body = piece[:-1] if star else piece
            if "*" in body:
                raise ValueError(f"'*' seulement en fin de mot : {raw!r}")
            if star and len(body.strip("-")) < 2:
                raise ValueError(f"préfixe trop court avant '*' : {raw!r}")
            if not body:
                raise ValueError(f"mot vide dans {pattern!r}")
            tokens.append(PatternToken(text=body, prefix=star))
    if tokens[0].gap or tokens[-1].gap:
        raise ValueError("un écart ~N ne peut ni commencer ni finir un motif")
    if any(a.gap and b.gap for a, b in zip(tokens, tokens[1:])):
        raise ValueError("deux écarts ~N de suite")
    return tokens


# --------------------------------------------------------------------------- REGEX in spaCy patterns
#
# A spaCy token pattern may hold ``{"REGEX": "..."}``; Python's regular expressions backtrack, so a
# pattern such as ``^(a+)+$`` on a token « aaaa…ab » runs for ever. Only a safe subset is
# accepted, checked when the codebook loads (:func:`regex_problem`): no back-reference, no
# conditional group, no quantifier inside a quantified group (``(a+)+``, ``(a|aa)*``), no
# alternation inside a repeated group, at most :data:`REGEX_MAX_UNBOUNDED` unbounded quantifiers
# (``*``, ``+``, ``{n,}``). The rule coder also tries a REGEX only on tokens of at most
# :data:`REGEX_MAX_TOKEN_CHARS` characters (:func:`bounded_regex`): with both, a REGEX costs at
# most a few thousand steps per token.

REGEX_MAX_UNBOUNDED = 2
REGEX_MAX_TOKEN_CHARS = 100
_GLOBAL_FLAGS_RE = re.compile(r"^(?:\(\?[aiLmsux]+\))+")


def _regex_parser():
    try:
        import re._parser as parser  # Python >= 3.11
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse as parser
    try:
        import re._constants as constants
    except ImportError:  # pragma: no cover
        import sre_constants as constants
    return parser, constants


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused as a codebook REGEX (French), or None when it is in the safe
    subset (see the comment above)."""
    parser, c = _regex_parser()
    try:
        re.compile(pattern)
        tree = parser.parse(pattern)
    except re.error as exc:
        return REGEX_INVALID.format(detail=exc)
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT} | ({c.POSSESSIVE_REPEAT} if hasattr(c, "POSSESSIVE_REPEAT") else set())
    unbounded = 0

    def walk(items, inside_repeat: bool) -> str | None:
        nonlocal unbounded
        for op, arg in items:
            if op in (c.GROUPREF, c.GROUPREF_EXISTS) or op == getattr(c, "GROUPREF_IGNORE", None):
                return REGEX_BACKREFERENCE
            if op in repeats:
                low, high, sub = arg
                many = high is c.MAXREPEAT or high > 1
                if high is c.MAXREPEAT:
                    unbounded += 1
                if many and inside_repeat:
                    return REGEX_NESTED
                found = walk(sub, inside_repeat or many)
            elif op == c.BRANCH:
                if inside_repeat:
                    return REGEX_ALTERNATION
                found = next((r for alt in arg[1] if (r := walk(alt, inside_repeat))), None)
            elif op == c.SUBPATTERN:
                found = walk(arg[-1], inside_repeat)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                found = walk(arg[1], inside_repeat)
            elif op == getattr(c, "ATOMIC_GROUP", None):
                found = walk(arg, inside_repeat)
            else:
                found = None
            if found:
                return found
        return None

    found = walk(tree, False)
    if found:
        return found
    if unbounded > REGEX_MAX_UNBOUNDED:
        return REGEX_UNBOUNDED.format(limit=REGEX_MAX_UNBOUNDED)
    return None


def bounded_regex(pattern: str, max_chars: int = REGEX_MAX_TOKEN_CHARS) -> str:
    """``pattern`` rewritten to match (as ``re.search`` does) only texts of at most ``max_chars``
    characters: a longer token fails at once, at the first position."""
    flags = _GLOBAL_FLAGS_RE.match(pattern)
    head = flags.group() if flags else ""
    return rf"{head}\A(?=[\s\S]{{0,{max_chars}}}\Z)[\s\S]*?(?:{pattern[len(head):]})"


def _regexes(value: Any):
    """Every REGEX string inside a token-dict value (attribute dicts, ``_`` extensions)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if str(key).upper() == "REGEX":
                yield inner
            else:
                yield from _regexes(inner)


def map_regexes(token: dict[str, Any], func) -> dict[str, Any]:
    """A copy of a spaCy token dict whose REGEX strings went through ``func``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (func(v) if str(k).upper() == "REGEX" and isinstance(v, str) else walk(v)) for k, v in value.items()}
        return value

    return walk(token)


def _check_token_dicts(pattern: list) -> None:
    if not pattern:
        raise ValueError("motif spaCy vide")
    for tok in pattern:
        if not isinstance(tok, dict):
            raise ValueError(f"chaque élément d'un motif spaCy doit être un dictionnaire, pas {tok!r}")
        bad = [k for k in tok if str(k).upper() not in _MATCHER_KEYS]
        if bad:
            raise ValueError(f"attribut(s) de motif spaCy inconnu(s) : {bad}")
        for regex in _regexes(tok):
            if not isinstance(regex, str):
                raise ValueError(MSG_REGEX_NOT_TEXT.format(value=regex))
            problem = regex_problem(regex)
            if problem:
                raise ValueError(MSG_REGEX_REFUSED.format(regex=regex, problem=problem))
    from spacy.schemas import validate_token_pattern  # lazy: only for power-user patterns

    errors = validate_token_pattern(pattern)
    if errors:
        raise ValueError("motif spaCy invalide : " + "; ".join(errors))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _mapping_nodes(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _str_list(value: Any, key: str, err) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise err(f"« {key} » doit être une liste de textes")
    return tuple(value)


def _patterns(item: dict, fields: dict, key: str, code_id: str, err) -> tuple[Any, ...]:
    """The validated patterns under ``key`` (``patterns`` or ``exclude_patterns``) of one code."""
    raw_patterns = item.get(key) or []
    pnode = fields.get(key, (None, None))[1]
    if not isinstance(raw_patterns, list):
        raise err(f"« {key} » du code « {code_id} » doit être une liste", pnode)
    pnodes = pnode.value if isinstance(pnode, yaml.SequenceNode) else [None] * len(raw_patterns)
    patterns: list[Any] = []
    for pattern, pn in zip(raw_patterns, pnodes):
        try:
            if isinstance(pattern, str):
                parse_pattern(pattern)
            elif isinstance(pattern, list):
                _check_token_dicts(pattern)
            else:
                raise ValueError(f"un motif est un texte ou une liste de dictionnaires spaCy, pas {pattern!r}")
        except ValueError as exc:
            raise err(f"motif invalide du code « {code_id} » ({key}) : {exc}", pn) from None
        patterns.append(pattern)
    return tuple(patterns)


def parse_codebook(text: str, *, path: str = "<codebook>") -> Codebook:
    """Validate YAML ``text`` and build a :class:`Codebook`; errors name ``path`` and the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"YAML illisible : {yaml_problem_fr(exc)}", path=path,
                            line=yaml_error_line(exc)) from exc
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise CodebookError("le codebook doit être un dictionnaire (name, version, codes...)", path=path, line=1)
    top = _mapping_nodes(root)
    for key, (knode, _) in top.items():
        if key not in TOP_KEYS:
            raise CodebookError(f"clé inconnue « {key} » (clés permises : {', '.join(TOP_KEYS)})",
                                path=path, line=_line(knode))
    codes_node = top.get("codes", (None, None))[1]
    if not isinstance(data.get("codes"), list) or not isinstance(codes_node, yaml.SequenceNode):
        raise CodebookError("« codes » doit être une liste de codes", path=path,
                            line=_line(codes_node) or 1)
    codes: list[Code] = []
    seen: dict[str, int | None] = {}
    for item, node in zip(data["codes"], codes_node.value):
        line = _line(node)

        def err(message: str, at: yaml.Node | None = None, _line_=line):
            return CodebookError(message, path=path, line=_line(at) or _line_)

        if not isinstance(item, dict) or not isinstance(node, yaml.MappingNode):
            raise err("chaque code doit être un dictionnaire (id, label...)")
        fields = _mapping_nodes(node)
        for key, (knode, _) in fields.items():
            if key not in CODE_KEYS:
                raise err(f"clé inconnue « {key} » dans un code (clés permises : {', '.join(CODE_KEYS)})", knode)
        code_id = item.get("id")
        if not isinstance(code_id, str) or not _ID_RE.match(code_id):
            raise err(f"identifiant de code manquant ou invalide : {code_id!r} (ex. principle.cooperation)")
        if code_id in seen:
            raise err(f"identifiant en double « {code_id} » (déjà ligne {seen[code_id]})")
        seen[code_id] = line
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            raise err(f"le code « {code_id} » n'a pas de label")
        description = item.get("description") or ""
        if not isinstance(description, str):
            raise err(f"« description » du code « {code_id} » doit être un texte")
        color = item.get("color")
        if color is not None and (not isinstance(color, str) or not _COLOR_RE.match(color)):
            raise err(f"couleur invalide {color!r} pour « {code_id} » (format #RRGGBB)",
                      fields.get("color", (None, None))[1])
        lists = {k: _str_list(item.get(k), k, lambda m, k=k: err(m, fields.get(k, (None, None))[1]))
                 for k in _LIST_KEYS}
        patterns, exclude_patterns = (_patterns(item, fields, key, code_id, err) for key in ("patterns", "exclude_patterns"))
        parent = code_id.rsplit(".", 1)[0] if "." in code_id else None
        codes.append(Code(id=code_id, label=label.strip(), description=description.strip(),
                          color=color, patterns=patterns, exclude_patterns=exclude_patterns, parent=parent, line=line, **lists))
    for code in codes:
        if code.parent and code.parent not in seen:
            raise CodebookError(f"le code « {code.id} » a pour parent « {code.parent} », qui n'est pas déclaré",
                                path=path, line=code.line)
    for key in ("name", "version", "language", "description"):
        value = data.get(key, "")
        if value is not None and not isinstance(value, (str, int, float)):
            raise CodebookError(f"« {key} » doit être un texte", path=path, line=_line(top[key][0]))
    if not data.get("name"):
        raise CodebookError("le codebook n'a pas de « name »", path=path, line=1)
    return Codebook(
        name=str(data["name"]),
        version=str(data.get("version") or ""),
        language=str(data.get("language") or "fr"),
        description=str(data.get("description") or "").strip(),
        codes=tuple(codes),
        path=path,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook YAML (default: the shipped ``config.CODEBOOK``)."""
    path = Path(path) if path is not None else config.CODEBOOK
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CodebookError("codebook introuvable", path=path) from None
    except UnicodeDecodeError as exc:
        raise CodebookError(f"le codebook doit être en UTF-8 ({exc.reason})", path=path) from None
    return parse_codebook(text, path=str(path))


def dump_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write ``codebook`` as YAML (UTF-8, accents kept); returns the path. Never in ``data/raw/``."""
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(codebook.to_dict(), allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")
    return path


def as_codebook(codebook: Codebook | str | Path | Mapping[str, Any] | None = None) -> Codebook:
    """A :class:`Codebook` from a Codebook, the path of a codebook YAML, a mapping in that YAML's
    format (validated the same way), or ``None`` for the shipped codebook."""
    if isinstance(codebook, Codebook):
        return codebook
    if codebook is None or isinstance(codebook, (str, Path)):
        return load_codebook(codebook)
    if isinstance(codebook, Mapping):
        text = yaml.safe_dump(dict(codebook), allow_unicode=True, sort_keys=False)
        return parse_codebook(text, path="<codebook>")
    raise TypeError(f"codebook de type inattendu : {type(codebook).__name__}")
