"""Command line: ``transitions-analysis SUBCOMMAND ...`` (aide en français).

Each subcommand has two functions in :mod:`.commands` (dashes become underscores):
``add_<cmd>_arguments(parser)`` and ``run_<cmd>(args) -> int``. Nothing in the package imports
this module: it is the top of the house.

One exit path (:func:`main`), so that no Python traceback ever reaches a terminal:

- an error the user can cause (:class:`~transitions_analysis.core.errors.InputError`: a file, a
  row, a column; or the operating system refusing a file: permission, disk full...) is one
  French line on stderr, exit status 2;
- Ctrl-C is one line, exit status 130 (output folders are written atomically: nothing half
  written is left);
- anything else is a bug: one line saying where the full trace was written, exit status 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from .. import config
from ..config import VERSION
from ..core.errors import MSG_INTERNAL, MSG_INTERRUPTED, MSG_OUT_OF_MEMORY, InputError, os_error_fr
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
    """A concise log format; ``verbosity`` 0=INFO, 1+=DEBUG, -1=WARNING. Python warnings of the
    libraries go to the log too (one line each, not a source excerpt)."""
    level = logging.INFO if verbosity == 0 else (logging.DEBUG if verbosity > 0 else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.captureWarnings(True)
    warnings.formatwarning = lambda message, category, *_args, **_kw: f"{category.__name__}: {message}"


def write_trace(exc: BaseException, argv: Sequence[str]) -> Path:
    """Write the full trace of an unexpected error to a file of the temporary folder; its path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, name = tempfile.mkstemp(prefix=f"transitions-analysis-erreur-{stamp}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"transitions-analysis {VERSION}, Python {sys.version.split()[0]}\n")
        handle.write(f"commande : transitions-analysis {' '.join(argv)}\n\n")
        handle.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return Path(name)


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


def _say(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nothing more can be said
        pass


def _choose_arrow_allocator() -> None:
    """Arrow's buffers (pandas' strings) from ``config.ARROW_MEMORY_POOL`` for this command."""
    if config.ARROW_MEMORY_POOL == "system":
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status: 0 done, 2 bad input or a file
    the system refuses, 130 interrupted, 1 an internal error (trace written to a file)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _choose_arrow_allocator()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        configure_logging(-1 if args.quiet else args.verbose)
        if not getattr(args, "command", None):
            parser.print_help()
            return 1
        return int(args._run(args) or 0)
    except InputError as exc:
        _say(f"erreur : {exc}")
        return 2
    except KeyboardInterrupt:
        _say(MSG_INTERRUPTED)
        return 130
    except OSError as exc:
        _say(f"erreur : {os_error_fr(exc)}")
        return 2
    except MemoryError:
        _say(f"erreur : {MSG_OUT_OF_MEMORY}")
        return 2
    except SystemExit:
        raise  # argparse: usage error (status 2) or --help / --version (status 0)
    except Exception as exc:  # a bug: one line here, the trace in a file
        try:
            where = str(write_trace(exc, argv))
        except OSError:
            where = "(impossible d'écrire le fichier de trace)"
        detail = " ".join(str(exc).split())[:200]
        _say(f"erreur : {MSG_INTERNAL.format(kind=type(exc).__name__, detail=detail, path=where)}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
