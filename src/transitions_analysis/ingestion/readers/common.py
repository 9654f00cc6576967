"""What every reader shares: the answers it returns (:class:`SourceRead`), cell and header
cleaning, decoding of text files."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.ids import stable_hash
from ...core.io import decode_text
from ...core.text import label_tokens

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
TEXT_SUFFIXES = (".txt",)
SUPPORTED_SUFFIXES = TABLE_SUFFIXES + TEXT_SUFFIXES
# Control characters a cell may hold (pasted from other software): vertical tab and form feed are
# line breaks; the others (C0 and C1 controls except tab and newline) are removed.
_LINE_BREAK_CONTROLS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
_CONTROL_CHARS = dict.fromkeys([*range(0x00, 0x09), *range(0x0e, 0x20), 0x7f, *range(0x80, 0xa0)])


@dataclass
class SourceRead:
    """What one reader got from one file."""

    format: str
    answers: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)



# --------------------------------------------------------------------------- small helpers


def header_key(header: str) -> str:
    """Comparison key of a column header: accent/case/punctuation-insensitive."""
    return " ".join(label_tokens(header))


def clean_header(header: object) -> str:
    return " ".join(unicodedata.normalize("NFC", "" if header is None else str(header)).split())


def clean_text(value: str) -> str:
    """Cell/turn text as output: newlines normalised (vertical tab, form feed and Unicode line
    separators become newlines), other control characters removed, surrounding blanks removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAK_CONTROLS)
    return value.translate(_CONTROL_CHARS).strip()


def name_variants(*names: str) -> list[str]:
    """Distinct non-blank names (whitespace collapsed), in order: the anonymiser derives the
    surname alone, "Jean D.", "M. Dupont"... from each full name itself."""
    out: list[str] = []
    for name in names:
        name = " ".join(str(name).split())
        if name and name not in out:
            out.append(name)
    return out


def slug_question(text: str, *, max_len: int = 40) -> str:
    """A stable, readable id for a question text (same text, same slug)."""
    slug = "-".join(label_tokens(text))
    if not slug:
        return ""
    if len(slug) <= max_len:
        return slug
    cut = slug[:max_len].rsplit("-", 1)[0] or slug[:max_len]
    return f"{cut}-{stable_hash(text, length=4)}"


# --------------------------------------------------------------------------- decoding


def decode_bytes(raw: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Text and encoding name of a file (see :func:`transitions_analysis.core.io.decode_text`)."""
    return decode_text(raw, path, encoding)
