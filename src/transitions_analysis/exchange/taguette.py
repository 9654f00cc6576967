"""Taguette's codebook CSV, both ways.

Taguette (1.5.2) imports a codebook from CSV only (its ``.qdc`` export has no descriptions and
its import refuses ``.qdc``). What its import reads (``taguette/import_codebook.py``): a header
row, lower-cased, with exactly one of the columns ``tag``, ``name`` or ``path`` and optionally
``description``; other columns ignored; comma separator; the encoding guessed (UTF-8 with a BOM
is always recognised); a tag path of at most 200 characters. A tag's hierarchy is its path,
levels separated by dots (``Principes.Engagement``); parents are not created.

- :func:`codebook_taguette_csv` writes ours: columns ``tag,description``, path = the French labels
  of the code and its parents joined by dots, description on one line
  (:func:`.codes.compose_description`, ``one_line``: Taguette's confirmation form loses line
  breaks) ending with our id, so an import gives the codebook back; UTF-8 with BOM, CRLF, like
  the ``csv`` module writes. Group codes are tags too (they carry their label and description).
- :func:`taguette_rows` reads Taguette's export (``tag,description,number of highlights,number of
  documents``) or any CSV Taguette accepts, a little more leniently (spaces around headers, ``;``
  or tab separators, Windows-1252): the importer (:func:`.importer.read_qdc`) turns the rows into
  a codebook.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from ..core.codebook import as_codebook
from ..core.errors import QDAError
from ..core.io import refuse_raw
from .codes import compose_description, split_flat_name

log = logging.getLogger(__name__)

HEADER: tuple[str, str] = ("tag", "description")
NAME_COLUMNS: tuple[str, ...] = ("tag", "name", "path")
PATH_MAX = 200  # taguette/validate.py: a longer tag path is refused
DESCRIPTION_MAX = 102_400
LEVEL_SEP = "."


def codebook_taguette_csv(codebook: Any = None) -> bytes:
    """The bytes of ``codebook`` (a ``Codebook``, a YAML path or mapping, None = the shipped one)
    as a CSV codebook Taguette imports (see module docstring)."""
    info = as_codebook(codebook)
    if not info.codes:
        raise QDAError("codebook vide : rien à exporter", path=info.path)
    by_id = {c.id: c for c in info.codes}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for code in info.codes:
        labels, current = [], code
        while current is not None:
            labels.append(" ".join(current.label.split()))
            current = by_id.get(current.parent) if current.parent else None
        path = LEVEL_SEP.join(reversed(labels))
        if len(split_flat_name(path, dots=True)) != len(labels):
            log.warning("libellé avec un point dans « %s » : Taguette (et l'import) y verront un niveau de plus", path)
        if len(path) > PATH_MAX:
            raise QDAError(
                f"chemin « {path} » de {len(path)} caractères : Taguette refuse au-delà de {PATH_MAX} "
                f"(raccourcir le libellé du code {code.id})", path=info.path,
            )
        description = compose_description(code, one_line=True)
        if len(description) > DESCRIPTION_MAX:
            raise QDAError(f"description du code {code.id} trop longue pour Taguette ({len(description)} caractères)", path=info.path)
        writer.writerow((path, description))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def export_taguette_csv(codebook: Any, path: str | Path) -> Path:
    """Write ``codebook`` as Taguette's CSV codebook at ``path`` (refuses ``data/raw/``)."""
    data = codebook_taguette_csv(codebook)
    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    log.info("Codebook pour Taguette écrit : %s (Taguette : Projet > Codebook > Importer un codebook)", path)
    return path


def looks_like_csv(path: Path, data: bytes) -> bool:
    """True for a codebook to read as CSV: a ``.csv`` name, or content that is not XML."""
    return path.suffix.lower() in (".csv", ".tsv") or not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _decode(data: bytes, report: list[str], where: str) -> str:
    """UTF-8 (a BOM removed), else Windows-1252 (reported)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.append(f"{where} : fichier non UTF-8, lu en Windows-1252")
        return data.decode("cp1252", errors="replace")


def taguette_rows(path: Path, data: bytes, report: list[str]) -> list[tuple[int, str, str]]:
    """(row number, tag path, description) of a CSV codebook; ``report`` gets French remarks.

    ``QDAError`` naming the file (and the row) when no tag column is found or the CSV is broken."""
    where = path.name
    text = _decode(data, report, where)
    first = text.splitlines()[0] if text.strip() else ""
    # Taguette reads commas only; a researcher's spreadsheet may have saved « ; » or tabs
    delimiter = max((",", ";", "\t"), key=lambda d: sum(h.strip().lower() in NAME_COLUMNS for h in first.split(d)))
    if delimiter != ",":
        report.append(f"{where} : séparateur « {'tabulation' if delimiter == chr(9) else delimiter} » au lieu de la "
                      "virgule, accepté (Taguette n'accepte que la virgule)")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise QDAError(f"CSV illisible : {exc}", path=path) from exc
    if not rows:
        raise QDAError("fichier vide : pas de codes à importer", path=path)
    header = [h.strip().lower() for h in rows[0]]
    names = [h for h in header if h in NAME_COLUMNS]
    if not names:
        raise QDAError(
            "ni un codebook REFI-QDA (XML) ni un codebook CSV de Taguette : l'en-tête n'a pas de colonne "
            "« tag », « name » ou « path »", path=path, row=1,
        )
    if len(names) > 1:
        raise QDAError(f"plusieurs colonnes de nom de code ({', '.join(names)}) : laquelle lire ?", path=path, row=1)
    at = header.index(names[0])
    described = header.index("description") if "description" in header else None
    out: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        tag = row[at].strip() if at < len(row) else ""
        description = row[described].strip() if described is not None and described < len(row) else ""
        if not tag:
            report.append(f"{where} : ligne {number} sans nom de code, ignorée")
            continue
        if tag in seen:
            report.append(f"{where} : ligne {number} : code « {tag} » déjà lu, seule sa première ligne est gardée")
            continue
        seen.add(tag)
        out.append((number, tag, description))
    if not out:
        raise QDAError("aucun code dans le fichier", path=path)
    return out
