"""Command line: ``transitions-analysis SUBCOMMAND ...`` (aide en français).

Each subcommand lives in the module of its stage, which provides two functions named after it
(dashes become underscores): ``add_<cmd>_arguments(parser)`` and ``run_<cmd>(args) -> int``.
Only the chosen subcommand's module is imported, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from . import __version__
from .errors import InputError
from .logging_setup import configure_logging

# subcommand -> (module, one-line French help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("transitions_analysis.ingest", "lire des exports de retours (CSV, XLSX, formulaires, transcriptions, chats) en une table"),
    "code": ("transitions_analysis.coding", "segmenter et coder les réponses (règles du codebook + modèle appris)"),
    "agree": ("transitions_analysis.agree", "accord entre codeurs (alpha de Krippendorff, kappas)"),
    "report": ("transitions_analysis.report", "du fichier brut au rapport : ingestion, codage, synthèse, figures"),
    "export-qdpx": ("transitions_analysis.qda", "exporter un projet codé au format REFI-QDA (.qdpx)"),
    "export-qdc": ("transitions_analysis.qda", "exporter le codebook au format REFI-QDA (.qdc)"),
    "import-qdpx": ("transitions_analysis.qda", "importer un projet REFI-QDA (.qdpx) d'un autre logiciel"),
    "import-qdc": ("transitions_analysis.qda", "importer un codebook REFI-QDA (.qdc) en YAML"),
}

log = logging.getLogger(__name__)


def _chosen(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def _add_french_help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    parser._positionals.title = "arguments"
    parser._optionals.title = "options"


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The CLI parser; only the subcommand named in ``argv`` gets its arguments (lazy import)."""
    parser = argparse.ArgumentParser(
        prog="transitions-analysis",
        add_help=False,
        description="Boîte à outils d'analyse des retours des ateliers « transitions » : "
        "ingestion, anonymisation, codage, accord entre codeurs, synthèse, figures, rapport, "
        "échange REFI-QDA.",
    )
    _add_french_help(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}", help="afficher la version")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="plus de détails dans le journal")
    parser.add_argument("-q", "--quiet", action="store_true", help="seulement les avertissements et erreurs")
    sub = parser.add_subparsers(dest="command", metavar="SOUS-COMMANDE", title="sous-commandes")
    chosen = _chosen(argv)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, add_help=False)
        _add_french_help(p)
        if name == chosen:
            module = importlib.import_module(module_name)
            getattr(module, f"add_{name.replace('-', '_')}_arguments")(p)
            p.set_defaults(_run=getattr(module, f"run_{name.replace('-', '_')}"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (2 for bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
