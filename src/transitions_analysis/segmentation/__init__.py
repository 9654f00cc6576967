"""Segmentation stage: answers -> segments (the units that get codes), with exact character offsets.

Rule (documented for researchers):

1. An answer shorter than :data:`SHORT_ANSWER_CHARS` characters (after trimming), or of a single
   sentence, stays whole: one segment.
2. Otherwise each sentence (spaCy's ``senter``, or the rule-based sentencizer) is a segment; a
   sentence is also cut at a blank line and before a line starting with a bullet (``-``, ``•``,
   ``*``, ``1.``, ``a)``...), as in sticky notes and lists.
3. A piece shorter than :data:`MIN_SEGMENT_CHARS` characters (« Oui. », « Bravo ! ») is merged into
   the previous segment (into the next one when it comes first).
4. Whitespace at segment edges is left out, so ``text == answer[start:end]`` always holds, with
   ``start``/``end`` counted in Unicode characters (Python string indices) from 0. Every
   non-blank character of an answer belongs to exactly one segment: nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..core import schema
from ..core.ids import make_segment_id

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

SHORT_ANSWER_CHARS = 120
MIN_SEGMENT_CHARS = 15
_BREAK_RE = re.compile(r"\n[ \t]*\n\s*|\n[ \t]*(?=(?:[-\u2022\u2013\u2014*\u25aa\u25cf>]|\d{1,2}[.)]|[a-z]\))\s)")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def segment_bounds(doc: Doc) -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of the segments of one parsed answer (rule in module doc)."""
    text = doc.text
    whole = _trim(text, 0, len(text))
    if whole[0] == whole[1]:
        return []
    if whole[1] - whole[0] < SHORT_ANSWER_CHARS:
        return [whole]
    pieces: list[tuple[int, int]] = []
    for sent in doc.sents:
        s0, s1 = sent.start_char, sent.end_char
        cut = s0
        for m in _BREAK_RE.finditer(text, s0, s1):
            pieces.append((cut, m.start()))
            cut = m.end()
        pieces.append((cut, s1))
    trimmed = [b for b in (_trim(text, a, z) for a, z in pieces) if b[0] < b[1]]
    if len(trimmed) < 2:
        return [whole]
    merged: list[list[int]] = []
    for start, end in trimmed:
        if merged and (end - start < MIN_SEGMENT_CHARS or merged[-1][1] - merged[-1][0] < MIN_SEGMENT_CHARS):
            merged[-1][1] = end  # a tiny piece joins its neighbour (the first tiny one joins the next)
        else:
            merged.append([start, end])
    return [(a, z) for a, z in merged]


def segments_frame(response_ids: Sequence[str], texts: Sequence[str], bounds: Sequence[Sequence[tuple[int, int]]]) -> pd.DataFrame:
    """The segments table (schema.SEGMENTS) from each response's text and segment bounds."""
    rows_rid, rows_start, rows_end, rows_text = [], [], [], []
    for rid, text, spans in zip(response_ids, texts, bounds):
        for start, end in spans:
            rows_rid.append(rid)
            rows_start.append(start)
            rows_end.append(end)
            rows_text.append(text[start:end])
    frame = pd.DataFrame(
        {
            "segment_id": [make_segment_id(r, a, z) for r, a, z in zip(rows_rid, rows_start, rows_end)],
            "response_id": pd.Series(rows_rid, dtype="object"),
            "start": pd.Series(rows_start, dtype="int64"),
            "end": pd.Series(rows_end, dtype="int64"),
            "text": pd.Series(rows_text, dtype="object"),
        }
    )
    frame = frame.sort_values(["response_id", "start", "end"], kind="stable")
    return schema.validate(frame, schema.Segments)


def segment_responses(responses: pd.DataFrame, docs: Sequence[Doc]) -> pd.DataFrame:
    """Cut each answer of ``responses`` (schema.RESPONSES) into segments (schema.SEGMENTS).

    ``docs`` are the parses of ``responses['text']``, in the same order (see
    :func:`transitions_analysis.core.nlp.parse_texts`); each Doc's text must equal its answer.
    """
    responses = schema.validate(responses, schema.Responses)
    if len(docs) != len(responses):
        raise ValueError(f"{len(docs)} analyses pour {len(responses)} réponses")
    texts = responses["text"].astype(str).tolist()
    for i, (doc, text) in enumerate(zip(docs, texts)):
        if doc.text != text:
            raise ValueError(f"l'analyse n° {i} ne correspond pas au texte de sa réponse")
        if not doc.has_annotation("SENT_START"):
            from spacy.pipeline import Sentencizer

            Sentencizer()(doc)
    return segments_frame(responses["response_id"].astype(str).tolist(), texts, [segment_bounds(d) for d in docs])
