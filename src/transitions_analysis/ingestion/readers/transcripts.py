"""Transcripts (speaker turns) and video-meeting chats (Zoom, in French and English) -> answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...core.roles import RoleTable
from ...core.text import fold_label
from .common import SourceRead, clean_text, decode_bytes, name_variants
from .dates import _SESSION_COMMENT_RE, parse_session, session_from_file_name
from .mapping import Mapping

# --------------------------------------------------------------------------- speakers


_SPLIT_RE = re.compile(r"\s+[-–—|/]\s+|\s*[|,]\s*|\s+[–—]\s*|\s*[–—]\s+")
_PAREN_RE = re.compile(r"\(([^()]*)\)\s*$")


_TERRITORY_RE = re.compile(
    r"^(?:cc|ca|cu|communaute|metropole|commune|ville|mairie|petr|pays|pnr|parc|departement|region|agglo|"
    r"agglomeration|scot|syndicat mixte)\b"
)


def split_speaker(label: str, *, name_first: bool, table: RoleTable) -> tuple[str, str, str]:
    """``(name, role_raw, territory)`` of a speaker label or chat display name.

    The label is cut at `` - ``, `` | ``, ``,`` and a trailing ``(...)``. Parts the role table
    recognises (or facilitator labels) are the role; parts starting like a territory ("CC ...",
    "Mairie de ...", "PNR ...") the territory; of the rest, the first is the person's name. When
    nothing is recognised, transcripts read ``ROLE - NAME`` and chats ``NAME - ROLE``
    (``name_first``); an unrecognised ``(...)`` is the territory in a transcript and the role in
    a chat.
    """
    label = " ".join(label.split())
    paren = ""
    if m := _PAREN_RE.search(label):
        paren, label = m.group(1).strip(), label[: m.start()].strip()

    def split(text: str) -> list[str]:
        return [p.strip() for p in _SPLIT_RE.split(text) if p and p.strip()]

    def role_like(part: str) -> bool:
        return table.role_of(part) != "inconnu" or table.is_facilitator(part)

    main, extra = split(label), split(paren)
    roles = [p for p in main + extra if role_like(p)]
    places = [p for p in main + extra if p not in roles and _TERRITORY_RE.match(fold_label(p))]
    others = [p for p in main if p not in roles and p not in places]
    others_extra = [p for p in extra if p not in roles and p not in places]
    if roles or places or len(others) <= 1 or name_first:
        name, rest = (others[0] if others else ""), others[1:]
    else:  # transcript "ROLE - NAME" with a role the table does not know
        name, rest = " - ".join(others[1:]), others[:1]
    if name_first:
        rest += others_extra
    else:
        places += others_extra
    return name, " - ".join(roles + rest), " - ".join(places)


def _facilitator(role_raw: str, table: RoleTable) -> bool:
    return any(table.is_facilitator(p) for p in re.split(r"\s+-\s+", role_raw) if p)


# --------------------------------------------------------------------------- transcripts and chats

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_TURN_RE = re.compile(rf"^\s*(?:(?P<time>\[{_TIME}\]|{_TIME})\s*)?(?P<speaker>[^:\s\[][^:]{{0,100}}?)\s*:(?:\s+(?P<text>.*))?\s*$")
_CHAT_TO_RE = re.compile(
    rf"^\s*(?P<time>{_TIME})\s+(?:From|De)\s+(?P<author>[^:]+)\s+(?:to|à|a)\s+(?P<to>[^:]+?)\s*:[ \t]?(?P<text>.*)$",
    re.IGNORECASE,
)
_CHAT_RE = re.compile(rf"^\s*(?P<time>{_TIME})\s+(?:From|De)\s+(?P<author>[^:]+?)\s*:[ \t]?(?P<text>.*)$", re.IGNORECASE)
_PUBLIC = {"everyone", "tout le monde", "tous", "toutes et tous", "all", "all panelists", "tous les participants"}
_REACTION_RE = re.compile(r"^(?:Reacted to|Removed a|A réagi à|a réagi à|Replying to|En réponse à)\b")
_CONNECTORS = {"de", "du", "des", "la", "le", "les", "d", "l", "et", "a", "au", "aux", "en", "van", "von"}
_SPEAKER_FORBIDDEN = set('?!;«»"…=<>{}')


def _name_like(label: str) -> bool:
    """Every word outside parentheses is capitalised, an initial, a number or a connector."""
    words = [w for w in re.sub(r"\([^()]*\)", " ", label).replace("'", " ").replace("’", " ").split() if w not in "-–—|/,"]
    if not words or len(words) > 8:
        return False
    capitals = 0
    for word in words:
        first = word.lstrip("(")[:1]
        if first.isupper():
            capitals += 1
        elif not (word.lower() in _CONNECTORS or word.isdigit()):
            return False
    return capitals >= 1


def _is_chat_line(line: str) -> re.Match[str] | None:
    return _CHAT_TO_RE.match(line) or _CHAT_RE.match(line)


def read_text_file(path: Path, mapping: Mapping, *, source_file: str, table: RoleTable) -> SourceRead:
    """A transcript (speaker turns) or a video-meeting chat, detected from its lines."""
    text, encoding = decode_bytes(path.read_bytes(), path, mapping.encoding)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    chat_lines = sum(1 for line in lines if _is_chat_line(line))
    session = mapping.session or session_from_file_name(path.name)
    if not session:
        for line in lines:
            if line.lstrip().startswith("#") and (m := _SESSION_COMMENT_RE.search(line)):
                try:
                    session = parse_session(m.group(1))
                    break
                except ValueError:
                    continue
    if chat_lines:
        fmt, heads = "chat", _chat_heads(lines)
    else:
        fmt, heads = "transcript", _transcript_heads(lines, table)
    answers: list[dict[str, Any]] = []
    known_names: list[str] = []
    pending: list[tuple[int, list[str]]] = []  # stray lines before the first turn
    current: dict[str, Any] | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current["text"] = clean_text("\n".join(body))
            if fmt == "chat" and current["reject"] is None and _REACTION_RE.match(current["text"]):
                current["reject"] = ("reaction", "réaction à un message (emoji), pas un retour")
            answers.append(current)

    for number, line in enumerate(lines, start=1):
        head = heads.get(number)
        if head is None:
            if line.lstrip().startswith("#"):
                continue  # a comment
            if not line.strip():
                if current is not None and body and body[-1]:
                    body.append("")  # keep one paragraph break
                continue
            if current is None:
                pending.append((number, [line.strip()]))
            else:
                body.append(line.strip())
            continue
        close()
        speaker, first_text, recipient = head
        name, role_raw, territory = split_speaker(speaker, name_first=(fmt == "chat"), table=table)
        if name:
            known_names.append(name)
        reject = None
        if _facilitator(role_raw, table) or (not role_raw and table.is_facilitator(name)):
            reject = ("facilitator", "tour de parole de l'animation, pas un retour de participant")
        elif recipient is not None and fold_label(recipient).strip() not in _PUBLIC:
            reject = ("private", "message privé, non adressé à tout le monde")
        current = {
            "source_row": number,
            "column": "",
            "session": session,
            "territory": territory or (mapping.territory or ""),
            "respondent_key": f"speaker:{fold_label(name or speaker)}",
            "role_raw": role_raw or (mapping.role or ""),
            "question_id": mapping.question_id or "",
            "question": mapping.question or "",
            "_qorder": 0,
            "reject": reject,
        }
        body = [first_text.strip()] if first_text and first_text.strip() else []
    close()
    names = name_variants(*known_names)
    for answer in answers:
        answer["_names"] = names
    for number, stray in pending:
        answers.append({
            "source_row": number, "column": "", "session": session, "territory": mapping.territory or "",
            "respondent_key": f"row:{number}", "role_raw": "", "question_id": mapping.question_id or "",
            "question": mapping.question or "", "_qorder": 0, "text": clean_text("\n".join(stray)), "_names": names,
            "reject": ("no_speaker", "texte hors d'un tour de parole (avant le premier intervenant)"),
        })
    info = {"encoding": encoding, "turns": len(heads), "session_detected": session}
    return SourceRead(format=fmt, answers=answers, info=info)


def _chat_heads(lines: list[str]) -> dict[int, tuple[str, str, str | None]]:
    heads = {}
    for number, line in enumerate(lines, start=1):
        if m := _CHAT_TO_RE.match(line):
            heads[number] = (m["author"].strip(), m["text"], m["to"].strip())
        elif m := _CHAT_RE.match(line):
            heads[number] = (m["author"].strip(), m["text"], None)
    return heads


def _transcript_heads(lines: list[str], table: RoleTable) -> dict[int, tuple[str, str, None]]:
    """Line number -> (speaker label, text on that line, None) for every speaker turn.

    A line ``SPEAKER : text`` opens a turn when it has a timecode, or when the label looks like a
    speaker (a role, or capitalised words such as "Marie D."), or when the same label opens
    at least two lines of the file - so that "Par exemple : ..." inside a turn stays text.
    """
    candidates: dict[int, tuple[str, str, bool]] = {}
    counts: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        m = _TURN_RE.match(line)
        if not m:
            continue
        speaker = m["speaker"].strip()
        if not speaker or set(speaker) & _SPEAKER_FORBIDDEN or len(speaker) > 80:
            continue
        candidates[number] = (speaker, m["text"] or "", bool(m["time"]))
        counts[speaker] = counts.get(speaker, 0) + 1
    def role_like(label: str) -> bool:
        return table.role_of(label) != "inconnu" or table.is_facilitator(label)

    def role_then_name(label: str) -> bool:
        """``ROLE - Name (...)``: a role the table knows, then a name, e.g. "Cheffe de projet - Léa M."."""
        parts = re.split(r"\s+[-–—]\s+", _PAREN_RE.sub("", label).strip())
        return len(parts) == 2 and role_like(parts[0]) and _name_like(parts[1])

    heads = {}
    for number, (speaker, text, timed) in candidates.items():
        multiword = len(speaker.split()) >= 2 and _name_like(speaker)
        recognised = role_like(speaker) and (_name_like(speaker) or len(speaker.split()) <= 3)
        if timed or recognised or multiword or role_then_name(speaker) or (counts[speaker] >= 2 and _name_like(speaker)):
            heads[number] = (speaker, text, None)
    return heads
