"""The Python API a researcher calls from a notebook: one verb per stage, pandas tables out.

    import transitions_analysis as ta

    ingested = ta.ingest("exports/session_2024-03-12/")   # anonymised answers + rejected rows
    coded = ta.code(ingested)                              # segments, codings, expectations
    tables = ta.synthesise(coded)                          # every synthesis table
    figures = ta.figures(tables)                           # matplotlib figures, house style
    ta.report(["exports/session_2024-03-12/"], "rapports/2024-03-12")

Each function imports its stage when called, so ``import transitions_analysis`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import config

if TYPE_CHECKING:  # pragma: no cover
    from .core.io import CodedTables
    from .ingestion import IngestResult
    from .reporting import ReportResult


def ingest(
    paths: Iterable[str | Path] | str | Path,
    *,
    anonymise: bool = True,
    role_table: str | Path | None = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
) -> IngestResult:
    """Read exports (CSV, XLSX, forms, transcripts, chats; files or folders) into anonymised answers.

    Returns an ``IngestResult``: ``responses`` (one row per answer kept, columns of
    ``core.schema.Responses``), ``rejected`` (every other row with its reason) and ``summary``
    (counts: read = kept + rejected, roles, unknown role labels...). Names, e-mails and phones are
    replaced by ``[PERSONNE_n]``, ``[EMAIL]``, ``[TELEPHONE]`` unless ``anonymise=False``.
    """
    from .pipeline import ingest as run

    return run(paths, anonymise=anonymise, role_table=role_table, cache_dir=cache_dir)


def code(
    responses: pd.DataFrame | IngestResult,
    *,
    codebook: str | Path | None = None,
    model: Any = None,
    human_codings: pd.DataFrame | str | Path | None = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
    n_process: int = 1,
    semantic: Any = None,
) -> CodedTables:
    """Segment and code answers with the codebook's rules (plus a learnt ``model`` and a
    ``semantic`` coder when given, objects or saved files; ``human_codings`` win over the
    machine on the answers they cover).

    ``responses``: the ``responses`` table of :func:`ingest` (or its whole result). Returns
    ``CodedTables``: ``responses``, ``segments``, ``codings`` (one row per segment, code and
    coder, with its evidence), ``expectations`` (who expects what of whom), ``rejected``,
    ``run_info`` (what ran, with which versions), ``summary``, ``suggestions`` (the review queue).
    """
    from .coding import code_responses, load_model, load_semantic
    from .core.io import coded_tables, read_human_codings

    rejected, summary = None, None
    if hasattr(responses, "responses"):
        rejected, summary, responses = responses.rejected, responses.summary, responses.responses
    if isinstance(model, (str, Path)):
        model = load_model(model)
    if isinstance(semantic, (str, Path)):
        semantic = load_semantic(semantic, codebook=codebook)
    if isinstance(human_codings, (str, Path)):
        human_codings = read_human_codings(human_codings)
    result = code_responses(responses, codebook=codebook, model=model, human_codings=human_codings,
                            cache_dir=cache_dir, n_process=n_process, semantic=semantic)
    return coded_tables(responses, result.segments, result.codings, result.expectations, rejected,
                        result.run_info, summary, result.suggestions)


def review_export(coded: CodedTables | str | Path, path: str | Path, *, limit: int | None = None,
                  codebook: str | Path | None = None) -> Path:
    """Write the review queue of a coded folder (or ``CodedTables``) as an XLSX for reviewers:
    what the machine did not decide alone, least certain first, with an « oui / non » column."""
    from .coding import review_table, write_review_xlsx
    from .core.codebook import load_codebook
    from .core.io import read_coded as read

    if isinstance(coded, (str, Path)):
        coded = read(coded)
    queue = review_table(coded.codings, coded.responses, codebook=load_codebook(codebook),
                         suggestions=coded.suggestions)
    return write_review_xlsx(queue, path, limit=limit)


def review_import(path: str | Path, coded: CodedTables | str | Path, *, coder: str = "relecture",
                  codebook: str | Path | None = None) -> pd.DataFrame:
    """The decisions of a filled review XLSX as human codings (``response_id, coder, code``) of
    the reviewed answers: the machine's codes, plus those accepted, minus those rejected."""
    from .coding import read_review_xlsx, review_codings
    from .core.codebook import load_codebook
    from .core.io import read_coded as read

    if isinstance(coded, (str, Path)):
        coded = read(coded)
    decisions = read_review_xlsx(path, codes=load_codebook(codebook).ids())
    return review_codings(decisions, coded.codings, coder=coder)


def calibrate_semantic(coded: CodedTables | str | Path, human_codings: pd.DataFrame | str | Path, *,
                       codebook: str | Path | None = None, cache_dir: str | Path | None = config.CACHE_DIR) -> Any:
    """A semantic coder whose per-code thresholds are calibrated on the human-coded answers of
    ``coded``, keeping at least the rules' precision (save it with ``coding.save_semantic``)."""
    from .coding import fit_from_human_coding
    from .core.io import read_coded as read
    from .core.io import read_human_codings
    from .evaluation import response_labels

    if isinstance(coded, (str, Path)):
        coded = read(coded)
    if isinstance(human_codings, (str, Path)):
        human_codings = read_human_codings(human_codings)
    codings = coded.codings
    rules = codings[codings["source"] == "rule"]
    ids = coded.responses["response_id"].astype(str).tolist()
    baseline = response_labels(rules, ids, sorted(set(rules["code"])))
    return fit_from_human_coding(coded.responses, human_codings, codebook=codebook, cache_dir=cache_dir,
                                 baseline=baseline)


def agree(
    codings: pd.DataFrame | str | Path,
    *,
    unit: str = "response",
    exclusive: bool = False,
    n_boot: int = 1000,
    random_state: int = config.RANDOM_STATE,
) -> pd.DataFrame:
    """Agreement between coders, per code and overall (``__all__``): percent agreement,
    Krippendorff's alpha with a bootstrap interval, Fleiss' and Cohen's kappas.

    ``codings``: a table (``response_id`` or ``segment_id``, ``coder``, ``code``; an empty code =
    unit seen, no code) or the path of one (CSV, XLSX, ``codings.csv``, ``.qdpx``).
    """
    from .agreement import agreement_table, read_codings

    if isinstance(codings, (str, Path)):
        codings = read_codings(codings, unit=unit)
    return agreement_table(codings, exclusive=exclusive, n_boot=n_boot, random_state=random_state,
                           unit=None if "unit" in codings.columns else unit)


def synthesise(
    coded: CodedTables | str | Path,
    *,
    k: int = config.MIN_GROUP_SIZE,
    sessions: Sequence[str] | None = None,
    codebook: str | Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Every synthesis table (programme indicators, shares by role with Wilson intervals, the
    role x principle tests, the expectations matrix with quotes withheld below ``k`` respondents,
    stakes and strategies, outcomes, sessions, co-occurrences, what was read and rejected).

    ``coded``: ``CodedTables`` (from :func:`code` or :func:`read_coded`) or a coded folder.
    Returns ``{file stem: table}`` in the order of ``synthesis.TABLE_TITLES_FR``.
    """
    from .core.io import read_coded
    from .synthesis import code_labels, select_sessions
    from .synthesis import synthesise as run

    if isinstance(coded, (str, Path)):
        coded = read_coded(coded)
    return run(select_sessions(coded.validated(), sessions), k=k, labels=code_labels(codebook))


def figures(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path | None = None,
    *,
    k: int = config.MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """The publication figures of the synthesis ``tables`` (house style, French labels).

    Returns ``{name: Figure}``, or with ``out_dir`` ``{name: {format: path}}`` (SVG, PDF, PNG).
    """
    from .plots import draw_figures

    return draw_figures(dict(tables), out_dir, k=k)


def report(
    inputs: Sequence[str | Path] | str | Path,
    out_dir: str | Path = config.REPORTS_DIR,
    **options: Any,
) -> ReportResult:
    """The whole chain, raw exports (or a coded folder) -> ``synthese.html``, ``synthese.xlsx``,
    ``tables/`` (machine-readable), ``tableur/`` (French spreadsheet), ``figures/`` under
    ``out_dir``. Options: ``sessions``, ``notebooks``, ``codebook``, ``k``, ``human_codings``,
    ``model_path``, ``use_model``, ``cache``.
    Returns a ``ReportResult`` (paths written and the synthesis tables)."""
    from .pipeline import report_inputs

    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    return report_inputs(list(inputs), out_dir, **options)


def read_coded(folder: str | Path) -> CodedTables:
    """A coded folder (``responses.csv``, ``segments.csv``, ``codings.csv``,
    ``expectations.csv``...) as ``CodedTables`` whose tables are checked and typed."""
    from .core.io import read_coded as run

    return run(folder)


def write_coded(coded: CodedTables, folder: str | Path) -> dict[str, Path]:
    """Write ``CodedTables`` as a coded folder (byte-stable CSV and JSON); never in ``data/raw/``.
    Returns ``{file name: path}``."""
    from .core.io import write_coded as run

    return run(coded, folder)
