"""REFI-QDA exchange (``.qdc`` codebooks, ``.qdpx`` projects) with NVivo, ATLAS.ti, MAXQDA,
QualCoder, Taguette...: machine coding can be reviewed in the researchers' tool, and their human
coding can come back to feed agreement and the learning coder.

Python API::

    export_qdc(codebook, path)                              # codebook -> .qdc
    export_qdpx(coding_dir, path, *, codebook=None)         # output folder of `code` -> .qdpx
    import_qdpx(path, *, codebook=None, segments=None)      # -> QDAImport (responses, segments,
                                                            #    codings, rejected, report, users, codes)
    import_qdc(path)                                        # .qdc or Taguette's CSV -> mapping in the
                                                            #    codebook YAML format
    export_taguette_csv(codebook, path)                     # codebook -> CSV Taguette imports
    write_import(result, out_dir)                           # same files as `code` + run.json report

CLI: ``export-qdpx``, ``export-qdc`` (``.qdc`` or, for ``.csv``, Taguette's CSV), ``import-qdpx``,
``import-qdc`` (see ``docs/refi-qda.md``).

- :mod:`.codes` - GUIDs, code descriptions, hierarchies hidden in flat names;
- :mod:`.export` and :mod:`.importer` - the two directions; :mod:`.taguette` - Taguette's CSV
  codebook; :mod:`.safety` - hostile archives and XML refused; :mod:`.schemas` - the standard's XSDs.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from ..core import schema
from ..core.io import CodedTables, refuse_raw, write_coded
from .codes import make_guid
from .export import EXPORT_DATETIME, MACHINE_USERS, export_qdc, export_qdpx
from .importer import QDAImport, QDCImport, import_qdc, import_qdpx, read_qdc
from .safety import DEFAULT_LIMITS, Limits, SafeArchive, parse_xml
from .taguette import codebook_taguette_csv, export_taguette_csv
from .schemas import validate_file

__all__ = [
    "EXPORT_DATETIME",
    "MACHINE_USERS",
    "DEFAULT_LIMITS",
    "Limits",
    "QDAImport",
    "QDCImport",
    "SafeArchive",
    "codebook_taguette_csv",
    "export_qdc",
    "export_qdpx",
    "export_taguette_csv",
    "import_qdc",
    "import_qdpx",
    "make_guid",
    "parse_xml",
    "read_qdc",
    "validate_file",
    "write_codebook_yaml",
    "write_import",
]

log = logging.getLogger(__name__)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_import(result: QDAImport, out_dir: str | Path, *, source: str | Path | None = None, codebook_hash: str = "") -> dict[str, Path]:
    """Write the tables of ``result`` like ``code`` does (responses, rejected, segments, codings,
    an empty expectations table, run.json with the ``import_report``); byte-stable."""
    run: dict[str, Any] = {
        "command": "import-qdpx",
        "project": {"name": result.name, "origin": result.origin},
        "counts": {
            "responses": len(result.responses),
            "segments": len(result.segments),
            "codings": len(result.codings),
            "rejected_sources": len(result.rejected),
            "users": len(result.users),
            "codes": len(result.codes),
        },
        "users": result.users.to_dict("records"),
        "codes_missing_from_codebook": result.missing_codes,
        "import_report": result.report,
    }
    if source is not None:
        run["input"] = {"file": Path(source).name, "sha256": _sha256(Path(source))}
    if codebook_hash:
        run["codebook_hash"] = codebook_hash
    tables = CodedTables(
        responses=result.responses, segments=result.segments, codings=result.codings,
        expectations=schema.empty(schema.Expectations), rejected=result.rejected, run_info=run,
    )
    return write_coded(tables, out_dir)


def write_codebook_yaml(codebook: dict[str, Any], path: str | Path, *, header: str = "") -> Path:
    """Write a codebook mapping as YAML (UTF-8, accents kept, keys in the documented order)."""
    import yaml

    path = refuse_raw(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(codebook, allow_unicode=True, sort_keys=False, width=100)
    comment = "".join(f"# {line}\n" for line in header.splitlines()) if header else ""
    path.write_text(comment + text, encoding="utf-8")
    return path
