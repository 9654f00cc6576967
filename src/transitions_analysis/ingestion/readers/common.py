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
    """What one reader got from one file: ``answers`` are :class:`Answer` or dicts of its fields."""

    format: str
    answers: list[Any]
    info: dict[str, Any] = field(default_factory=dict)


class Answer:
    """One answer read from a file, before it is kept or rejected: the fields of a dict
    (``a["text"]``, ``a.get("reject")``), held in slots rather than a dict of its own, as a
    table export has one per cell."""

    __slots__ = ("source_row", "session", "territory", "respondent_key", "role_raw", "_names", "column",
                 "question_id", "question", "text", "_qorder", "reject", "response_id", "source_file")

    def __init__(self, **fields: Any) -> None:
        self.reject = self.response_id = self.source_file = None
        for name, value in fields.items():
            setattr(self, name, value)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def get(self, name: str, default: Any = None) -> Any:
        """The field ``name``, or ``default`` when it is unset (None)."""
        value = getattr(self, name, None)
        return default if value is None else value



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
