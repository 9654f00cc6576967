"""Logging configuration for the CLI (library modules only call ``logging.getLogger``)."""

from __future__ import annotations

import logging


def configure_logging(verbosity: int = 0) -> None:
    """Set up a concise French-friendly log format; ``verbosity`` 0=INFO, 1+=DEBUG, -1=WARNING."""
    level = logging.INFO if verbosity == 0 else (logging.DEBUG if verbosity > 0 else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
