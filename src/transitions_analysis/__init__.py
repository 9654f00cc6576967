"""transitions-analysis: code and synthesise French feedback from the "initiation" workshops.

The Python API (see ``docs/api.md``)::

    import transitions_analysis as ta
    coded = ta.code(ta.ingest("exports/"))
    tables = ta.synthesise(coded)

One package per stage of a one-way flow, over a shared ``core`` (``docs/architecture.md``)::

    ingestion -> anonymisation -> segmentation -> coding -> exchange -> agreement
              -> synthesis -> plots -> reporting      (pipeline: the orchestrator; cli: the commands)
"""

from .config import VERSION as __version__
from .api import (
    agree,
    calibrate_semantic,
    code,
    figures,
    ingest,
    read_coded,
    report,
    review_export,
    review_import,
    synthesise,
    write_coded,
)
from .core.io import CodedTables

__all__ = [
    "calibrate_semantic",
    "review_export",
    "review_import",
    "CodedTables",
    "__version__",
    "agree",
    "code",
    "figures",
    "ingest",
    "read_coded",
    "report",
    "synthesise",
    "write_coded",
]
