"""transitions-analysis: code and synthesise French feedback from the "initiation" workshops.

Data flow (one module per stage, each taking and returning pandas DataFrames whose columns are
documented in :mod:`transitions_analysis.schema`):

    ingest -> anonymise -> segment -> code -> agree -> synthesise -> figures -> report
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("transitions-analysis")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
