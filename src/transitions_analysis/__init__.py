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

# The API (ta.ingest, ta.code...) is imported on first use, so that a worker process importing
# one stage (transitions_analysis.scale) does not load every other stage and its libraries.
_API = ("agree", "calibrate_semantic", "code", "figures", "ingest", "read_coded", "report", "review_export",
        "review_import", "synthesise", "write_coded")


def __getattr__(name: str):
    import importlib

    if name in _API:
        value = getattr(importlib.import_module(".api", __name__), name)
    elif name == "CodedTables":
        value = importlib.import_module(".core.io", __name__).CodedTables
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
