"""What every reader shares: the answers it returns (:class:`SourceRead`), cell and header
cleaning, decoding of text files."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...core.errors import MSG_UNREADABLE_ENCODING, InputError
from ...core.ids import stable_hash
from ...core.text import label_tokens

TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm")
TEXT_SUFFIXES = (".txt",)
SUPPORTED_SUFFIXES = TABLE_SUFFIXES + TEXT_SUFFIXES
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


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
    """Cell/turn text as output: newlines normalised, surrounding blanks removed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


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
    """Text and encoding name: the mapping's encoding, else utf-8(-sig) strict, cp1252, latin-1."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputError(MSG_UNREADABLE_ENCODING.format(tried=encoding), path=path, line=line) from exc
    tried = []
    for name in ENCODINGS:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            tried.append(name)
            continue
        if name == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
            name = "utf-8"
        return text, name
    raise InputError(MSG_UNREADABLE_ENCODING.format(tried=", ".join(tried)), path=path)  # pragma: no cover
