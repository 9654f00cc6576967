"""Scale: engines, the one spaCy pass shared by anonymisation and coding, Dask = local."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import pytest

from transitions_analysis.core.errors import InputError
from transitions_analysis.scale import LocalEngine, default_n_process, make_engine
from transitions_analysis.scale.engines import _bounded


def test_default_n_process_is_the_cores_this_process_may_use():
    n = default_n_process()
    assert n >= 1
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))


def test_unknown_engine_and_scheduler_without_dask_are_french_input_errors():
    with pytest.raises(InputError, match="moteur inconnu : spark"):
        make_engine("spark")
    with pytest.raises(InputError, match="--scheduler ne va qu'avec --engine dask"):
        make_engine("local", scheduler="tcp://127.0.0.1:8786")


def test_bounded_keeps_the_order_and_at_most_depth_pending():
    pending: list[int] = []
    high = []

    def submit(x):
        pending.append(x)
        high.append(len(pending))
        return x

    def result(x):
        pending.remove(x)
        return x * 10

    assert list(_bounded(submit, result, range(7), 3)) == [0, 10, 20, 30, 40, 50, 60]
    assert max(high) == 3


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_local_engine_in_two_processes_gives_the_results_in_chunk_order(start_method):
    chunks = [list(range(n)) for n in (5, 0, 3, 8, 1, 2)]
    with LocalEngine(2, start_method=start_method) as engine:
        assert list(engine.map(len, chunks)) == [5, 0, 3, 8, 1, 2]
        assert engine.call(sum, [1, 2, 3]) == 6
    with LocalEngine(1) as engine:  # one process: this one
        assert list(engine.map(sorted, [[3, 1], [2]])) == [[1, 3], [2]]


def test_local_engine_runs_work_of_one_chunk_in_this_process():
    """A small export (one chunk) starts no worker process: their start would cost more than it saves."""
    with LocalEngine(2) as engine:
        assert list(engine.map(os.getpid, [])) == []
        assert list(engine.map(lambda chunk: (len(chunk), os.getpid()), [[1, 2, 3]])) == [(3, os.getpid())]
        assert engine._pool is None
        assert [pid != os.getpid() for pid in engine.map(_pid_of, [[1], [2]])] == [True, True]
        assert engine._pool is not None


def _pid_of(chunk: list) -> int:
    return os.getpid()


_WARMED: list[str] = []


def _warm_up(what: str):
    _WARMED.append(what)
    return lambda: _WARMED.append(f"released {what}")


def _warmed(chunk: list) -> list[str]:
    return list(_WARMED)


def test_forked_workers_inherit_what_warm_loaded_and_the_freeze_is_undone():
    """``warm`` runs in this process before forked workers start, so they find what it loaded
    (the spaCy pipeline, in real runs) without loading it again; its objects are frozen out of
    the garbage collector while the workers run, and given back to it when the engine closes.
    Spawned workers start afresh: ``warm`` does nothing for them."""
    import gc

    _WARMED.clear()
    with LocalEngine(2, start_method="fork") as engine:
        engine.warm(_warm_up, "pipeline")
        assert _WARMED == ["pipeline"] and gc.get_freeze_count() > 0
        assert list(engine.map(_warmed, [[1], [2]])) == [["pipeline"], ["pipeline"]]
        engine.warm(_warm_up, "too late")  # workers already started: nothing to share any more
        assert _WARMED == ["pipeline"]
        engine.idle()  # what warm returned is called once the workers are stopped, once only
        assert _WARMED == ["pipeline", "released pipeline"]
        assert list(engine.map(len, [[1], [2, 3]])) == [1, 2]  # an idle local engine starts workers again
    assert gc.get_freeze_count() == 0
    assert _WARMED == ["pipeline", "released pipeline"]
    _WARMED.clear()
    with LocalEngine(2, start_method="spawn") as engine:
        engine.warm(_warm_up, "pipeline")
        assert _WARMED == [] and gc.get_freeze_count() == 0
        assert list(engine.map(_warmed, [[1], [2]])) == [[], []]


def test_cli_n_process_below_one_is_refused_in_french(tmp_path, capsys):
    from transitions_analysis.cli import main

    src = tmp_path / "in.csv"
    src.write_text("text\nbonjour à tous\n", encoding="utf-8")
    assert main(["code", str(src), "--out", str(tmp_path / "out"), "--n-process", "0", "--no-cache"]) == 2
    assert "--n-process doit être au moins 1" in capsys.readouterr().err


@pytest.mark.model
def test_one_pass_gives_what_two_passes_gave(make_responses, tmp_path):
    """The analysis pass primes the name and coding caches; anonymising then coding from them
    gives the same tables as the two passes (NER, then a parse of the anonymised texts)."""
    from transitions_analysis.anonymisation import anonymise_frame
    from transitions_analysis.coding import code_responses
    from transitions_analysis.scale import prime_caches

    texts = [
        "Les élus doivent montrer l'exemple et coopérer avec les associations du territoire.",
        "J'ai rencontré M. Garnier à la mairie : il attend que l'État finance la rénovation des écoles.",
        "Garnier a raison. Il faut que les agents soient formés à l'approche systémique, avec les entreprises.",
        "Écrire à jeanne.martin@example.org ou au 06 12 34 56 78 pour la prochaine session.",
        "Les entreprises locales attendent des collectivités un cadre clair et des aides.",
    ]
    frame = make_responses(texts).assign(column="", _names=[[] for _ in texts])[["text", "role_raw", "question", "column", "_names"]]

    def run(cache: Path, prime: bool):
        if prime:
            cells = [v for row in frame[["text", "role_raw", "question", "column"]].itertuples(index=False) for v in row]
            with LocalEngine(1) as engine:
                stats = prime_caches(cells, code=texts, engine=engine, cache_dir=cache, progress=False)
            assert stats["analysed"] == len(texts)
        done = anonymise_frame(frame, columns=("text", "role_raw", "question", "column"), cache_dir=cache)
        responses = make_responses(list(done["text"]))
        return done, code_responses(responses, cache_dir=cache, progress=False)

    done1, one = run(tmp_path / "one", True)
    done2, two = run(tmp_path / "two", False)
    assert list(done1["text"]) == list(done2["text"])
    assert "[PERSONNE_1]" in done1["text"][1] and "[EMAIL]" in done1["text"][3]
    for name in ("segments", "codings", "expectations"):
        assert getattr(one, name).equals(getattr(two, name)), name
    assert len(one.codings) > 0


@pytest.mark.model
def test_a_chunk_gives_the_same_results_whatever_its_batches(shared_dir, tmp_path, monkeypatch):
    """A worker keeps one batch of Docs at a time (``config.ANALYSIS_BATCH_SIZE``), not its whole
    chunk: the entities and coding results of every text do not depend on how it is batched."""
    from transitions_analysis import config
    from transitions_analysis.scale import analyse_chunk

    src = tmp_path / "gdn.csv"
    _gdn_slice(shared_dir, src, 60)
    with src.open(encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    chunk = [(t, i % 3 != 0) for i, t in enumerate(texts)]  # every third text: names only
    whole = analyse_chunk(chunk)
    monkeypatch.setattr(config, "ANALYSIS_BATCH_SIZE", 7)
    assert analyse_chunk(chunk) == whole
    assert sum(r["r"] is None for r in whole) == 20 and any(r["ents"] for r in whole)
    assert sum(bool(r["r"] and r["r"]["c"]) for r in whole) > 5


@pytest.mark.model
def test_answers_anonymisation_changed_are_coded_before_the_tables(tmp_path):
    """An answer where a name or an e-mail was replaced is another text than the one the analysis
    pass saw: ingestion codes it on the engine right after anonymising, so that coding then finds
    every answer in the cache and loads no pipeline while it builds the tables."""
    from transitions_analysis.coding import code_responses
    from transitions_analysis.pipeline import ingest

    src = tmp_path / "in.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["response_id", "text"])
        w.writerow(["r1", "J'ai rencontré M. Garnier à la mairie : il attend que l'État finance les écoles."])
        w.writerow(["r2", "Écrire à jeanne.martin@example.org pour la prochaine session avec les élus."])
        w.writerow(["r3", "Les entreprises locales attendent des collectivités un cadre clair."])
    cache = tmp_path / "cache"
    with LocalEngine(1) as engine:
        responses = ingest([src], cache_dir=cache, engine=engine, progress=False).responses
    assert "[PERSONNE_1]" in responses["text"][0] and "[EMAIL]" in responses["text"][1]
    stats = code_responses(responses, cache_dir=cache, progress=False).stats
    assert stats["unique_texts"] == 3 and stats["coding_cache"] == 3


def _gdn_slice(shared_dir: Path, path: Path, n: int) -> None:
    """``n`` Grand Débat answers spread over the file, as a long export."""
    with (shared_dir / "data" / "gdn2019_transition_ecologique_answers.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    step = max(1, len(rows) // n)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["response_id", "question_id", "question", "text"])
        for r in rows[::step][:n]:
            w.writerow([r["row_id"], r["question_code"], "", r["answer_text"]])


def _code_with_both_engines(src: Path, tmp_path: Path) -> dict[str, Path]:
    from transitions_analysis.pipeline import code_inputs

    outs = {}
    for engine in ("local", "dask"):
        outs[engine] = tmp_path / engine
        code_inputs([src], outs[engine], use_model=False, cache=False, progress=False, engine=engine, n_process=2)
    return outs


def _same_files(outs: dict[str, Path]) -> None:
    for name in ("codings.csv", "segments.csv", "expectations.csv", "responses.csv", "rejected.csv"):
        a, b = (hashlib.sha256((outs[e] / name).read_bytes()).hexdigest() for e in ("local", "dask"))
        assert a == b, name


@pytest.mark.model
@pytest.mark.slow
def test_dask_equals_local_on_the_500_real_answers_of_the_fixtures(tmp_path, monkeypatch):
    """Always runs (no ../shared needed): the 500 real answers of tests/fixtures/names_gold
    (Grand Débat, Licence Ouverte; AN 2016, ODbL; see its README), 38 person names among them,
    in chunks of 100 so that both engines spread them over their two workers."""
    from transitions_analysis import config

    monkeypatch.setattr(config, "CHUNK_TEXTS", 100)
    fixture = Path(__file__).parent / "fixtures" / "names_gold" / "sample.csv"
    src = tmp_path / "sample.csv"
    with fixture.open(encoding="utf-8", newline="") as f, src.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["response_id", "question_id", "question", "text"])
        for r in csv.DictReader(f):
            w.writerow([r["text_id"], r["corpus"], "", r["text"]])
    outs = _code_with_both_engines(src, tmp_path)
    _same_files(outs)
    assert "[PERSONNE_" in (outs["dask"] / "responses.csv").read_text(encoding="utf-8")
    assert (outs["local"] / "codings.csv").stat().st_size > 10_000


@pytest.mark.shared
@pytest.mark.model
@pytest.mark.slow
def test_dask_local_cluster_of_two_workers_codes_2000_answers_like_the_local_engine(shared_dir, tmp_path):
    src = tmp_path / "gdn2000.csv"
    _gdn_slice(shared_dir, src, 2000)
    outs = _code_with_both_engines(src, tmp_path)
    _same_files(outs)
    assert (outs["local"] / "codings.csv").stat().st_size > 10_000


@pytest.mark.model
@pytest.mark.parametrize("purpose", ["coding", "analysis", "tokens", "parsing"])
def test_pipeline_identity_read_from_the_package_is_the_loaded_pipelines(purpose):
    """The cache keys computed without loading spaCy (meta.json) are those of the loaded pipeline."""
    from transitions_analysis.core.nlp import load_nlp, nlp_fingerprint, planned_components, planned_fingerprint

    nlp = load_nlp(purpose=purpose)
    assert planned_components(purpose=purpose) == list(nlp.pipe_names)
    assert planned_fingerprint(purpose=purpose) == nlp_fingerprint(nlp)
    assert planned_fingerprint(purpose=purpose, without=("ner",)) == nlp_fingerprint(nlp, without=("ner",))
    assert planned_fingerprint("no_such_model_xyz", purpose=purpose) is None


@pytest.mark.model
def test_a_worker_with_another_pipeline_refuses_to_fill_the_cache():
    """Results are cached under the identity the main process computed; a worker whose pipeline
    is not that one (another model or spaCy version on a cluster node) stops with an error."""
    from transitions_analysis.scale import analyse_chunk, pipeline_identity

    identity = pipeline_identity(load=False)
    assert identity == pipeline_identity()  # the same read from meta.json as from the loaded pipeline
    assert analyse_chunk([("Les élus doivent coopérer.", True)], identity=identity)[0]["r"] is not None
    other = {**identity, "coding": identity["coding"].replace("spacy==", "spacy==0.")}
    with pytest.raises(RuntimeError, match="autre chaîne spaCy"):
        analyse_chunk([("Les élus doivent coopérer.", True)], identity=other)


@pytest.mark.model
def test_a_rerun_from_the_cache_loads_no_spacy_and_gives_the_same_tables(make_responses, tmp_path):
    """Everything cached (answers and questions): the coding stage loads no spaCy pipeline,
    and its tables and run.json's description of the pipeline are those of the first run."""
    import subprocess
    import sys

    script = r"""
import json, sys
from pathlib import Path
import pandas as pd
from transitions_analysis.coding import code_responses
responses = pd.read_pickle(sys.argv[1])
result = code_responses(responses, cache_dir=sys.argv[2], progress=False)
out = Path(sys.argv[3])
for name in ("segments", "codings", "expectations"):
    getattr(result, name).to_csv(out / f"{name}.csv", index=False)
(out / "nlp.json").write_text(json.dumps([result.run_info["nlp"], result.run_info["expectation_direction"],
                                          result.run_info["spacy_version"]]))
from transitions_analysis.core.nlp import load_nlp
(out / "spacy_loaded.txt").write_text(str(load_nlp.cache_info().misses > 0))
"""
    texts = ["Les élus doivent montrer l'exemple et coopérer avec les associations.",
             "Il faut que l'État finance la rénovation des écoles.",
             "Les entreprises attendent des collectivités un cadre clair."]
    responses = make_responses(texts)
    responses.to_pickle(tmp_path / "responses.pkl")
    runs = []
    for i in range(2):
        out = tmp_path / f"run{i}"
        out.mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / "responses.pkl"), str(tmp_path / "cache"), str(out)],
                       check=True)
        runs.append(out)
    assert (runs[0] / "spacy_loaded.txt").read_text() == "True"
    assert (runs[1] / "spacy_loaded.txt").read_text() == "False"
    for name in ("segments.csv", "codings.csv", "expectations.csv", "nlp.json"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name
    assert (runs[0] / "codings.csv").read_text().count("\n") > 1


@pytest.mark.parametrize("module", ["transitions_analysis.scale", "transitions_analysis.pipeline"])
def test_rules_only_runs_do_not_import_scikit_learn(module):
    """A worker (``scale``) and a ``code --no-model`` run (``pipeline``) never train or load a
    model: scikit-learn and SciPy's models are imported only on first use (about 1 s and 60 MB)."""
    import subprocess
    import sys

    probe = f"import sys, {module}; print(sorted(m for m in ('sklearn', 'skops') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
