"""Codes between the toolkit's codebook and REFI-QDA ``<Code>`` elements.

- GUIDs are deterministic: ``uuid5(NAMESPACE, "<kind>:<key>")`` (``code:principle.engagement``...),
  so re-exports are byte-stable and our GUIDs can be recognised on import.
- A code's REFI ``name`` is its French label; its ``<Description>`` carries the description, the
  include / exclude / examples lists under French headings and, on the last line, our id
  (``Identifiant transitions-analysis : principle.engagement``) so it survives any tool that keeps
  descriptions. :func:`parse_description` reads that layout back, and its one-line variant
  (parts joined by :data:`PART_SEP`, list items by :data:`ITEM_SEP`) written where a line break
  would not survive (Taguette's codebook form glues the lines of a description).
- Ids of codes coming from elsewhere are a slug of the path of names (``emotions_negatives.colere``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from ..core.codebook import Code
from ..core.schema import ACTOR_CODES, EXPECTATION_CODE, OUTCOME_CODES, PRINCIPLES

NAMESPACE = uuid.UUID("6f1d3c52-9a0e-5c1b-8d0e-7472616e7369")  # fixed: GUIDs must never change
ID_MARKER = "Identifiant transitions-analysis :"
HEADINGS = {"include": "À inclure :", "exclude": "À exclure :", "examples": "Exemples :"}
CONTRACT_IDS: tuple[str, ...] = (
    ("principle",) + PRINCIPLES + ("actor",) + ACTOR_CODES + (EXPECTATION_CODE, "outcome") + OUTCOME_CODES
)
PART_SEP = " ‖ "  # one-line layout: between description, lists and id
ITEM_SEP = " | "  # one-line layout: between the items of a list (« ; » occurs inside items)
_MARKER_RE = re.compile(r"^\s*" + re.escape(ID_MARKER) + r"\s*(\S+)\s*$")
_COLOR_RE = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


def make_guid(kind: str, key: str) -> str:
    """Deterministic upper-case GUID for object ``kind`` identified by ``key``."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}")).upper()


def normalise_guid(value: str | None) -> str:
    """GUID in one spelling (upper case, no braces) for comparisons."""
    return (value or "").strip().strip("{}").upper()


def normalise_color(value: str | None) -> str | None:
    """``#RRGGBB`` upper case (3-digit colours expanded), or None if absent or invalid."""
    if not value:
        return None
    match = _COLOR_RE.match(value.strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.upper()


def compose_description(code: Code, *, one_line: bool = False) -> str:
    """The REFI ``<Description>`` text of ``code`` (see module docstring); ``one_line``: the same
    parts on one line (spaces collapsed), for tools that do not keep line breaks."""
    items_of = {key: [i.strip() for i in getattr(code, key) if i and i.strip()] for key in HEADINGS}
    if one_line:
        parts = [" ".join(code.description.split())] if code.description.strip() else []
        parts += [f"{HEADINGS[key]} " + ITEM_SEP.join(" ".join(i.split()) for i in items)
                  for key, items in items_of.items() if items]
        parts.append(f"{ID_MARKER} {code.id}")
        return PART_SEP.join(parts)
    parts = [code.description.strip()] if code.description.strip() else []
    for key, items in items_of.items():
        if items:
            parts.append(HEADINGS[key] + "\n" + "\n".join(f"- {i}" for i in items))
    parts.append(f"{ID_MARKER} {code.id}")
    return "\n\n".join(parts)


def parse_description(text: str | None) -> tuple[str, dict[str, list[str]], str | None]:
    """Inverse of :func:`compose_description` (both layouts): (description, {include, exclude,
    examples}, our id).

    Any text that does not follow the layout stays in the description."""
    lists: dict[str, list[str]] = {"include": [], "exclude": [], "examples": []}
    if not text:
        return "", lists, None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    by_heading = {v: k for k, v in HEADINGS.items()}
    if "\n" not in text.strip() and PART_SEP.strip() in text:
        return _parse_one_line(text.strip(), lists, by_heading)
    our_id = None
    kept: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.strip().split("\n")
        marker = _MARKER_RE.match(lines[-1]) if lines else None
        if marker and len(lines) == 1:
            our_id = marker.group(1)
            continue
        head = lines[0].strip()
        if head in by_heading and len(lines) > 1 and all(ln.startswith("- ") for ln in lines[1:]):
            lists[by_heading[head]].extend(ln[2:].strip() for ln in lines[1:])
            continue
        kept.append(paragraph.strip())
    return "\n\n".join(kept), lists, our_id


def _parse_one_line(text: str, lists: dict[str, list[str]], by_heading: dict[str, str]):
    our_id = None
    kept: list[str] = []
    for part in (p.strip() for p in text.split(PART_SEP.strip())):
        marker = _MARKER_RE.match(part)
        head = next((h for h in by_heading if part.startswith(h + " ")), None)
        if marker:
            our_id = marker.group(1)
        elif head is not None:
            lists[by_heading[head]].extend(i.strip() for i in part[len(head):].split(ITEM_SEP.strip()) if i.strip())
        elif part:
            kept.append(part)
    return PART_SEP.join(kept), lists, our_id


_INCLUSIVE_AFTER_DOT = re.compile(
    r"(?:e|es|s|ne|nes|le|les|te|tes|ère|ères|ere|eres|euse|euses|rice|rices|trice|trices)(?![^\W\d_])",
    re.IGNORECASE,
)


def split_flat_name(name: str, *, dots: bool) -> list[str]:
    """Hierarchy hidden in a flat code name: ``Coke::diet Coke`` (ATLAS.ti) always, and
    ``Émotions négatives.Colère`` (Taguette) when ``dots``; a dot of inclusive writing
    (``élu.es``), a number (``1.2``) or an abbreviation (``M. Dupont``) does not split."""
    parts = [p.strip() for p in name.split("::")]
    if dots:
        out: list[str] = []
        for part in parts:
            start = 0
            pieces = []
            for i, char in enumerate(part):
                if char != "." or i == 0 or i == len(part) - 1:
                    continue
                before, after = part[i - 1], part[i + 1]
                if before.isspace() or after.isspace() or (before.isdigit() and after.isdigit()):
                    continue
                if before.isalpha() and before.islower() and _INCLUSIVE_AFTER_DOT.match(part, i + 1):
                    continue
                pieces.append(part[start:i])
                start = i + 1
            pieces.append(part[start:])
            out.extend(p.strip() for p in pieces)
        parts = out
    parts = [p for p in parts if p]
    return parts or [name]


def known_guids(ids: Sequence[str]) -> dict[str, str]:
    """GUID -> code id for every id we could have exported."""
    return {make_guid("code", i): i for i in ids}
