"""REFI-QDA exchange (``.qdc`` codebooks, ``.qdpx`` projects) with NVivo, ATLAS.ti, MAXQDA,
QualCoder, Taguette...: machine coding can be reviewed in the researchers' tool, and their human
coding can come back to feed agreement and the learning coder.

Python API::

    export_qdc(codebook, path)                              # codebook -> .qdc
    export_qdpx(coding_dir, path, *, codebook=None)         # output folder of `code` -> .qdpx
    import_qdpx(path, *, codebook=None, segments=None)      # -> QDAImport (responses, segments,
                                                            #    codings, rejected, report, users, codes)
    import_qdc(path)                                        # -> mapping in the codebook YAML format
    write_import(result, out_dir)                           # same files as `code` + run.json report

CLI: ``export-qdpx``, ``export-qdc``, ``import-qdpx``, ``import-qdc`` (see ``docs/refi-qda.md``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from ..errors import InputError
from .codes import make_guid, slugify
from .export import EXPORT_DATETIME, MACHINE_USERS, export_qdc, export_qdpx, read_coding_dir
from .importer import QDAImport, QDCImport, import_qdc, import_qdpx, read_qdc
from .safety import DEFAULT_LIMITS, Limits, SafeArchive, parse_xml
from .schemas import validate_file

__all__ = [
    "EXPORT_DATETIME",
    "MACHINE_USERS",
    "DEFAULT_LIMITS",
    "Limits",
    "QDAImport",
    "QDCImport",
    "SafeArchive",
    "export_qdc",
    "export_qdpx",
    "import_qdc",
    "import_qdpx",
    "make_guid",
    "parse_xml",
    "read_coding_dir",
    "read_qdc",
    "slugify",
    "validate_file",
    "write_codebook_yaml",
    "write_import",
]

log = logging.getLogger(__name__)

IMPORT_FILES = ("responses.csv", "rejected.csv", "segments.csv", "codings.csv", "expectations.csv", "run.json")
_CSV_OPTIONS = {"index": False, "encoding": "utf-8", "lineterminator": "\n", "quoting": csv.QUOTE_MINIMAL, "float_format": "%.4f"}  # as coding.py


def _refuse_raw(out: Path) -> None:
    from .. import config

    resolved = out.resolve()
    raw = config.RAW_DIR.resolve()
    parts = resolved.parts
    if resolved == raw or raw in resolved.parents or any(
        parts[i] == "data" and parts[i + 1] == "raw" for i in range(len(parts) - 1)
    ):
        raise InputError(
            "refus d'écrire dans data/raw/ : les données brutes ne sont jamais modifiées ; choisissez un autre dossier (--out)",
            path=out,
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_import(result: QDAImport, out_dir: str | Path, *, source: str | Path | None = None, codebook_hash: str = "") -> dict[str, Path]:
    """Write the tables of ``result`` like ``code`` does (responses, rejected, segments, codings,
    an empty expectations table, run.json with the ``import_report``); byte-stable."""
    from ..schema import EXPECTATIONS, empty_frame

    out = Path(out_dir)
    _refuse_raw(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in IMPORT_FILES}
    result.responses.to_csv(paths["responses.csv"], **_CSV_OPTIONS)
    result.rejected.to_csv(paths["rejected.csv"], **_CSV_OPTIONS)
    result.segments.to_csv(paths["segments.csv"], **_CSV_OPTIONS)
    result.codings.to_csv(paths["codings.csv"], **_CSV_OPTIONS)
    empty_frame(EXPECTATIONS).to_csv(paths["expectations.csv"], **_CSV_OPTIONS)
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
    paths["run.json"].write_text(json.dumps(run, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return paths


def write_codebook_yaml(codebook: dict[str, Any], path: str | Path, *, header: str = "") -> Path:
    """Write a codebook mapping as YAML (UTF-8, accents kept, keys in the documented order)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(codebook, allow_unicode=True, sort_keys=False, width=100)
    comment = "".join(f"# {line}\n" for line in header.splitlines()) if header else ""
    path.write_text(comment + text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- CLI


def add_export_qdpx_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis export-qdpx``."""
    parser.add_argument("coding_dir", metavar="DOSSIER", help="dossier de sortie de « transitions-analysis code » (responses.csv, codings.csv, run.json)")
    parser.add_argument("--out", required=True, metavar="FICHIER.qdpx", help="projet REFI-QDA à écrire")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du codage, sinon celui du paquet)")
    parser.add_argument("--name", metavar="NOM", default=None, help="nom du projet affiché dans le logiciel")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--coders", metavar="LISTE", default=None,
                       help="n'exporter que les codages de ces codeurs, séparés par des virgules (ex. rules,model)")
    which.add_argument("--blank", action="store_true",
                       help="projet sans aucun codage (textes, cas et codebook seulement) pour un codage humain à l'aveugle")


def run_export_qdpx(args: argparse.Namespace) -> int:
    """Export a coded folder as ``.qdpx``. Returns 0."""
    coders = [] if args.blank else ([c.strip() for c in args.coders.split(",") if c.strip()] if args.coders else None)
    export_qdpx(args.coding_dir, args.out, codebook=args.codebook, name=args.name, coders=coders)
    return 0


def add_export_qdc_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis export-qdc``."""
    parser.add_argument("--out", required=True, metavar="FICHIER.qdc", help="codebook REFI-QDA à écrire")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")


def run_export_qdc(args: argparse.Namespace) -> int:
    """Export the codebook as ``.qdc``. Returns 0."""
    export_qdc(args.codebook, args.out)
    return 0


def add_import_qdpx_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis import-qdpx``."""
    parser.add_argument("qdpx", metavar="FICHIER.qdpx", help="projet REFI-QDA exporté par un logiciel d'analyse qualitative")
    parser.add_argument("--out", required=True, metavar="DOSSIER", help="dossier de sortie (mêmes tables que « code » : codings.csv...)")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML pour reconnaître les codes (défaut : celui du paquet)")
    parser.add_argument("--segments", metavar="FICHIER", default=None, help="segments.csv pour rattacher les codages aux segments")


def run_import_qdpx(args: argparse.Namespace) -> int:
    """Import a ``.qdpx`` into a folder of tables; logs the report. Returns 0."""
    result = import_qdpx(args.qdpx, codebook=args.codebook, segments=args.segments)
    codebook_hash = ""
    if args.codebook:
        from .codes import load_codebook_info

        info = load_codebook_info(args.codebook)
        codebook_hash = info.hash if info else ""
    paths = write_import(result, args.out, source=args.qdpx, codebook_hash=codebook_hash)
    log.info("Import : %s.", result.summary_fr())
    log.info("Fichiers écrits : %s", ", ".join(str(p) for p in paths.values()))
    return 0


def add_import_qdc_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis import-qdc``."""
    parser.add_argument("qdc", metavar="FICHIER.qdc", help="codebook REFI-QDA exporté par un logiciel d'analyse qualitative")
    parser.add_argument("--out", required=True, metavar="FICHIER.yaml", help="codebook YAML à écrire")


def run_import_qdc(args: argparse.Namespace) -> int:
    """Import a ``.qdc`` as a codebook YAML (checked by the codebook loader when present). Returns 0."""
    out = Path(args.out)
    _refuse_raw(out)
    result = read_qdc(args.qdc)
    header = f"Codebook importé de {Path(args.qdc).name} par transitions-analysis import-qdc.\n"
    if result.report:
        header += "Remarques d'import :\n" + "\n".join(f"- {m}" for m in result.report)
    write_codebook_yaml(result.codebook, out, header=header)
    try:
        from ..codebook import load_codebook
    except ImportError:
        load_codebook = None
    if load_codebook is not None:
        load_codebook(out)
    log.info("Codebook YAML écrit : %s (%d codes)", out, len(result.codebook["codes"]))
    return 0
