"""Deterministic identifiers, stable across re-runs of the same inputs."""

from __future__ import annotations

import hashlib


def stable_hash(*parts: object, length: int = 12) -> str:
    """Hex digest (``length`` chars) of the parts joined by ``\\x1f``; same parts, same hash."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:length]


def make_response_id(source_file: str, source_row: int, question_id: str | None) -> str:
    """``R`` + hash of (source file name, row, question id): one answer of one respondent.

    ``source_file`` is the file's name relative to the input root given to ``ingest`` (so moving
    the folder does not change ids); ``source_row`` is the spreadsheet row (header = 1) or the
    text line where the answer starts.
    """
    return "R" + stable_hash(source_file, source_row, question_id or "", length=10)


def make_respondent_id(*key: object) -> str:
    """``P`` + hash of whatever identifies a respondent in its source (never the name itself)."""
    return "P" + stable_hash(*key, length=8)


def make_segment_id(response_id: str, start: int, end: int) -> str:
    """``<response_id>-<start>-<end>``: a segment is stable while its answer and offsets are."""
    return f"{response_id}-{start}-{end}"
