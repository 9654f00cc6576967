"""Ingestion stage: raw feedback exports -> answers kept + rows rejected, with their reason.

- :func:`ingest` reads files and folders (see :mod:`.readers` for the formats) into an
  :class:`IngestResult` (``responses``, ``rejected``, ``summary``);
- :func:`summary_fr` tells the result in one French paragraph.
"""

from .ingest import ANONYMISED_COLUMNS, Anonymiser, IngestResult, collect_files, ingest, read_source, summary_fr

__all__ = ["ANONYMISED_COLUMNS", "Anonymiser", "IngestResult", "collect_files", "ingest", "read_source", "summary_fr"]
