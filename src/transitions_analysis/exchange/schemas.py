"""The REFI-QDA XML schemas shipped with the package (``data/refi-qda/``) and validation helpers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from .. import config

SCHEMA_DIR = config.PACKAGE_DATA_DIR / "refi-qda"
PROJECT_XSD = SCHEMA_DIR / "Project.xsd"
CODEBOOK_XSD = SCHEMA_DIR / "Codebook.xsd"
NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"


@lru_cache(maxsize=2)
def _schema(path: str) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(path, parser=parser))


def schema_errors(root: etree._Element, kind: str) -> list[str]:
    """Messages (French prefix, schema's own wording) of ``root`` against ``Project.xsd``
    (``kind="project"``) or ``Codebook.xsd`` (``kind="codebook"``); empty when valid."""
    schema = _schema(str(PROJECT_XSD if kind == "project" else CODEBOOK_XSD))
    if schema.validate(root):
        return []
    return [f"ligne {e.line} : {e.message}" for e in schema.error_log]


def validate_file(path: str | Path) -> list[str]:
    """Schema errors of a ``.qdc`` or of the ``project.qde`` inside a ``.qdpx`` (empty = valid)."""
    from .safety import SafeArchive, parse_xml

    path = Path(path)
    if path.suffix.lower() == ".qdpx":
        with SafeArchive(path) as archive:
            names = [n for n in archive.names if n.lower().endswith(".qde") and "/" not in n]
            if not names:
                return ["project.qde absent"]
            root = parse_xml(archive.read(names[0]), where=f"{path}:{names[0]}")
        return schema_errors(root, "project")
    root = parse_xml(path.read_bytes(), where=str(path))
    return schema_errors(root, "codebook")
