"""Text folding, one function per purpose, so that every stage compares text the same way.

- :func:`fold_label` - labels people write (roles, questions, headers): no case, no accents, no
  inclusive-writing suffix (« élu·e·s », « élu.e », « Elu(e) » -> « elu »), punctuation kept;
  :func:`label_tokens` splits it into words.
- :func:`fold_word` - the matching key of one word for the rule coder (also no hyphen, edge
  punctuation removed, small words mapped by the cue file's ``equivalents``).
- :func:`fold_name` - person names and name-rule words for the anonymiser (apostrophes unified,
  blanks collapsed, edge dots and apostrophes removed).
- :func:`fold_plain` - lower case without accents (question wordings, stakes selection).
- :func:`fold_case` - case only (the learning coder's word features; accents are handled by the
  vectoriser).
- :func:`slugify` - an ASCII identifier part (``Émotions négatives`` -> ``emotions_negatives``).
- :func:`file_name_words` and :func:`transfer_edits` - a file name read as words (to find a
  person's name in it), and the edits made on that reading carried back onto the name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Inclusive-writing suffixes after a separator: élu·e·s, conseiller·ère, directeur.rice, élu(e)s...
_INCLUSIVE_SUFFIX = r"(?:e|es|s|ne|nes|le|les|te|tes|fe|fes|ere|eres|euse|euses|ice|ices|rice|rices|trice|trices)"
_INCLUSIVE_RE = re.compile(
    rf"(?<=[a-z]{{2}})(?:[\u00b7\u2022\u22c5\u2027.\-/]{_INCLUSIVE_SUFFIX}|\({_INCLUSIVE_SUFFIX}\)s?)(?![a-z])"
)
_NON_WORD_RE = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'"})
_EDGE_PUNCT = ".,;:!?()[]{}\"«»“”<>/\\|*#_~…"
_BLANKS_RE = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """``text`` without combining marks (NFKD decomposition)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_label(text: str) -> str:
    """Lower-case, accent-free, inclusive-writing-free form of ``text`` (punctuation kept)."""
    folded = strip_accents(text).lower()
    folded = folded.replace("œ", "oe").replace("æ", "ae")
    previous = None
    while previous != folded:  # élu·e·s needs two passes
        previous = folded
        folded = _INCLUSIVE_RE.sub("", folded)
    return folded


def label_tokens(text: str) -> list[str]:
    """Words of ``fold_label(text)``: punctuation, apostrophes and dashes separate words."""
    return [t for t in _NON_WORD_RE.split(fold_label(text)) if t]


def _fold_apostrophes(text: str) -> str:
    return fold_label(str(text).translate(_APOSTROPHES))


def fold_word(text: str, equivalents: Mapping[str, str] | None = None) -> str:
    """Matching form of one word: no accents/case/inclusive suffix/hyphen, edge punctuation
    removed (a final elision apostrophe is kept), small words mapped by ``equivalents``."""
    folded = _fold_apostrophes(text)
    stripped = folded.replace("-", "").strip(_EDGE_PUNCT).lstrip("'")
    if not stripped:
        return folded.strip() or folded
    if equivalents:
        return equivalents.get(stripped, stripped)
    return stripped


def fold_cue(text: str) -> str:
    """A cue-file word or equivalent as written (apostrophes unified, then :func:`fold_label`)."""
    return _fold_apostrophes(text)


def fold_name(word: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name or name-rule word."""
    bare = strip_accents(word).replace("’", "'").casefold()
    return _BLANKS_RE.sub(" ", bare.strip(" .'"))


def fold_plain(text: str) -> str:
    """Lower case without accents (scikit-learn's ``strip_accents_unicode`` of ``text.lower()``)."""
    from sklearn.feature_extraction.text import strip_accents_unicode

    return strip_accents_unicode(text.lower())


def fold_case(text: str) -> str:
    """Case-folded ``text`` (the learning coder's word preprocessor)."""
    return text.casefold()


def slugify(name: str) -> str:
    """ASCII id part of a French name: ``Émotions négatives`` -> ``emotions_negatives``."""
    text = name.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
    text = strip_accents(text).lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not text[:1].isalpha():  # our ids start with a letter
        text = f"code_{text}".rstrip("_")
    return text


_FILE_NAME_SEPARATORS = str.maketrans({"_": " ", ".": " ", "/": " ", "\\": " "})


def file_name_words(name: str) -> str:
    """``name`` with its separators (``_ . / \\``) as spaces, same length:
    ``"retours_Hélène_Marchetti.csv"`` -> ``"retours Hélène Marchetti csv"``."""
    return name.translate(_FILE_NAME_SEPARATORS)


def transfer_edits(original: str, edited_from: str, edited_to: str) -> str:
    """``original`` with the edits that turned ``edited_from`` into ``edited_to``.

    ``edited_from`` is ``original`` with some characters replaced one for one (same length), e.g.
    a file name whose ``_`` became spaces so that names in it could be found; the parts the edit
    kept come from ``original``, the replaced parts from ``edited_to``:
    ``transfer_edits("a_Jean_Dupont.csv", "a Jean Dupont csv", "a [PERSONNE_1] csv")`` gives
    ``"a_[PERSONNE_1].csv"``.
    """
    if edited_from == edited_to:
        return original
    from difflib import SequenceMatcher

    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, edited_from, edited_to, autojunk=False).get_opcodes():
        out.append(original[i1:i2] if tag == "equal" else edited_to[j1:j2])
    return "".join(out)
