"""Command line: ``transitions-analysis SUBCOMMAND ...`` (aide en français).

Each subcommand has two functions in :mod:`.commands` (dashes become underscores):
``add_<cmd>_arguments(parser)`` and ``run_<cmd>(args) -> int``. Nothing in the package imports
this module: it is the top of the house.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ..config import VERSION
from ..core.errors import InputError
from . import commands

# subcommand -> one-line French help
COMMANDS: dict[str, str] = {
    "ingest": "lire des exports de retours (CSV, XLSX, formulaires, transcriptions, chats) en une table",
    "code": "segmenter et coder les réponses (règles du codebook + modèle appris)",
    "agree": "accord entre codeurs (alpha de Krippendorff, kappas)",
    "report": "du fichier brut au rapport : ingestion, codage, synthèse, figures",
    "export-qdpx": "exporter un projet codé au format REFI-QDA (.qdpx)",
    "export-qdc": "exporter le codebook au format REFI-QDA (.qdc) ou en CSV pour Taguette",
    "import-qdpx": "importer un projet REFI-QDA (.qdpx) d'un autre logiciel",
    "import-qdc": "importer un codebook REFI-QDA (.qdc) ou un CSV de Taguette en YAML",
    "review-export": "exporter la file de relecture (suggestions incertaines de la machine) en XLSX",
    "review-import": "relire le XLSX rempli (oui / non) comme codage humain",
    "calibrate-semantic": "calibrer les seuils du codeur sémantique sur un codage humain",
}

log = logging.getLogger(__name__)


def configure_logging(verbosity: int = 0) -> None:
    """A concise log format; ``verbosity`` 0=INFO, 1+=DEBUG, -1=WARNING."""
    level = logging.INFO if verbosity == 0 else (logging.DEBUG if verbosity > 0 else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)


def _add_french_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    parser._positionals.title = "arguments"
    parser._optionals.title = "options"


def build_parser() -> argparse.ArgumentParser:
    """The CLI parser, every subcommand with its arguments (French help)."""
    parser = argparse.ArgumentParser(
        prog="transitions-analysis",
        add_help=False,
        description="Boîte à outils d'analyse des retours des ateliers « transitions » : "
        "ingestion, anonymisation, codage, accord entre codeurs, synthèse, figures, rapport, "
        "échange REFI-QDA.",
    )
    _add_french_help(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {VERSION}", help="afficher la version")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="plus de détails dans le journal")
    parser.add_argument("-q", "--quiet", action="store_true", help="seulement les avertissements et erreurs")
    sub = parser.add_subparsers(dest="command", metavar="SOUS-COMMANDE", title="sous-commandes")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, add_help=False)
        _add_french_help(p)
        key = name.replace("-", "_")
        getattr(commands, f"add_{key}_arguments")(p)
        p.set_defaults(_run=getattr(commands, f"run_{key}"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (2 for bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(-1 if args.quiet else args.verbose)
    if not getattr(args, "command", None):
        parser.print_help()
        return 1
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"erreur : {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
