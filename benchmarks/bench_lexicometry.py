"""Benchmark of Reinert's classification on real French answers (Grand Débat 2019, ../shared/data).

62,655 short answers to 7 questions of the « transition écologique » theme. The classification
never sees the question; the script then measures how well its classes recover the questions
(adjusted Rand index, ARI, and the classes x questions table) and the machine clustering shipped
with the data (``auto_cluster_id``, 63 clusters made within each question). It prints, for each
configuration: time and peak memory of the classification (tracemalloc: Python and numpy
allocations), ARI on all answers (unclassified answers form a class of their own) and on the
classified answers only, coverage, the contingency tables and the characteristic lemmas.

Configurations (the method's defaults unless stated: ``min_docfreq=10``, ``k=10``,
``min_split_members=5``, ``cc_test=0.3``, ``tsj=3``, ``random_state=0``):

- ``simple``: one answer = one unit (no grouping; rainette: « short answers to a specific
  question » can be classified directly);
- ``simple-min-class``: as ``simple`` with ``min_class_size`` = 1 % of the answers (not a rainette
  option: satellites smaller than that are set aside instead of counting as classes);
- ``double``: rainette2-type crossing of two classifications with ``min_segment_size`` 10 and 15.
  Without sources to merge within, both runs are identical (no respondent ids in this file);
- ``grouped-question``: answers merged, within their question, into units of >= 10 lemmas
  (answers shuffled within each question first, since the file is sorted by ``auto_cluster_id``).
  This USES THE QUESTION LABEL: units are pure in their question, so its ARI is optimistic and is
  not an evaluation of the method; it shows what grouping can do when the sources are
  homogeneous (one respondent's answers to one question);
- ``double-grouped-question``: the double classification on those units (10 and 15 lemmas);
- ``grouped-respondent``: merging as for a respondent who answered all 7 questions (one random
  answer of each question per pseudo-respondent, in question order), i.e. merging across topics.

``--grid`` adds the single classification for ``min_docfreq`` in 3, 10, 30, 100, ``k`` in 7,
10, 15, and ``min_class_size`` 0 or 1 % (time only). ``--scaling`` times the single
classification (``min_class_size`` 1 %; best of 3 runs) on 5,000 to 62,655 answers and draws the
time and memory figure (``--figure``, default ``reports/figures/bench_lexicometry.png``, outside git).
The lemmatised corpus (fr_core_news_sm without ner/parser, ``n_process`` processes) is cached in
``--cache-dir`` (default /tmp/transitions_lexicometry) to re-run fast.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_lexicometry.py [--grid] [--scaling]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from transitions_analysis import lexicometry as lx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gdn2019_transition_ecologique_answers.csv"
QUESTIONS = ["Q4", "Q6", "Q7", "Q8", "Q10", "Q12", "Q15"]
MODEL = "fr_core_news_sm"


def load_lemmas(texts: list[str], *, cache_dir: Path, n_process: int, batch_size: int) -> tuple[list[list[str]], float | None]:
    """Lemmas of ``texts`` (cached by texts, model, spaCy version); returns (lemmas, seconds or None if cached)."""
    import spacy

    meta = spacy.info(MODEL)
    key = hashlib.sha1(
        json.dumps([MODEL, meta.get("version"), spacy.__version__, list(lx.DEFAULT_POS), texts]).encode()
    ).hexdigest()[:16]
    path = cache_dir / f"gdn2019_lemmas_{key}.json.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f), None
    nlp = spacy.load(MODEL, exclude=["ner", "parser", "senter"])
    start = time.perf_counter()
    lemmas = lx.lemmatise(texts, nlp=nlp, n_process=n_process, batch_size=batch_size)
    seconds = time.perf_counter() - start
    cache_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(lemmas, f, ensure_ascii=False)
    return lemmas, seconds


def measure(fn: Callable[[], Any], *, memory: bool = True) -> tuple[Any, float, float]:
    """(result, seconds, peak MiB traced). Timed without tracemalloc (which slows numpy-heavy
    loops down); the peak memory comes from a second, traced run (NaN when ``memory`` is False)."""
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    if not memory:
        return out, seconds, float("nan")
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def scores(classes: np.ndarray, answers: pd.DataFrame) -> dict[str, float]:
    classified = classes > 0
    out = {"coverage": float(classified.mean()), "n_classes": len(set(classes[classified].tolist()))}
    for name, col in (("question", "question_code"), ("auto", "auto_cluster_id")):
        truth = answers[col].to_numpy()
        out[f"ari_{name}_all"] = adjusted_rand_score(truth, classes)
        out[f"ari_{name}_classified"] = adjusted_rand_score(truth[classified], classes[classified])
    return out


def shuffled_within(answers: pd.DataFrame, by: str, seed: int) -> np.ndarray:
    """Row order: answers shuffled within ``by`` (groups kept in file order)."""
    rng = np.random.default_rng(seed)
    groups = answers.groupby(by, sort=False).indices
    return np.concatenate([rng.permutation(groups[key]) for key in answers[by].unique()])


def pseudo_respondents(answers: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(row order, source id per row in that order): pseudo-respondents answering the 7 questions."""
    rng = np.random.default_rng(seed)
    pools = {q: list(rng.permutation(np.flatnonzero(answers["question_code"].to_numpy() == q))) for q in QUESTIONS}
    order, source = [], []
    r = 0
    while any(pools.values()):
        for q in QUESTIONS:
            if pools[q]:
                order.append(pools[q].pop())
                source.append(r)
        r += 1
    return np.array(order), np.array(source)


def report(name: str, classes: np.ndarray, answers: pd.DataFrame, seconds: float, peak: float, dtm: lx.DocumentTermMatrix,
           *, details: bool = True, extra: str = "") -> dict[str, Any]:
    sc = scores(classes, answers)
    print(f"\n=== {name} {extra}")
    print(
        f"temps {seconds:.1f} s, mémoire max (tracemalloc) {peak:.0f} Mo ; {sc['n_classes']} classes, "
        f"{100 * sc['coverage']:.1f} % des réponses classées"
    )
    print(
        f"ARI questions : {sc['ari_question_all']:.3f} (toutes les réponses, non classées = une classe), "
        f"{sc['ari_question_classified']:.3f} (réponses classées) ; "
        f"ARI auto_cluster_id : {sc['ari_auto_all']:.3f} / {sc['ari_auto_classified']:.3f}"
    )
    if details:
        table = pd.crosstab(pd.Series(classes, name="classe"), answers["question_code"].rename("question"))
        table = table.reindex(columns=QUESTIONS)
        table["total"] = table.sum(axis=1)
        print("classes x questions (0 = non classées) :")
        print(table.to_string())
        auto = pd.crosstab(answers["auto_cluster_id"].rename("auto_cluster_id"), pd.Series(classes, name="classe"))
        auto = auto.loc[sorted(auto.index, key=lambda s: (QUESTIONS.index(s.split("-")[0]), int(s.split("-K")[1])))]
        print("auto_cluster_id x classes :")
        print(auto.to_string())
        ch = lx.characteristic_lemmas(dtm, classes)
        print("lemmes caractéristiques (chi2 > 0, les 8 premiers) :")
        for c, sub in ch.loc[ch["chi2"] > 0].groupby("class"):
            print(f"  classe {c} ({int(sub['class_size'].iloc[0])}) : " + ", ".join(sub["lemma"].head(8)))
    return {"configuration": name, "seconds": seconds, "peak_mib": peak, **sc}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-docfreq", type=int, default=10)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/transitions_lexicometry"))
    parser.add_argument("--seed", type=int, default=0, help="shuffles of the grouped configurations")
    parser.add_argument("--grid", action="store_true", help="also min_docfreq x k grid (single classification)")
    parser.add_argument("--scaling", action="store_true", help="time/memory on 5k..62k answers and the figure")
    parser.add_argument("--figure", type=Path, default=ROOT / "reports" / "figures" / "bench_lexicometry.png")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not DATA.is_file():
        print(f"données absentes : {DATA} (../shared/ manque, comme dans un clone d'utilisateur) ; benchmark ignoré")
        return 0
    print(f"paquet : {lx.__file__}")
    answers = pd.read_csv(DATA, dtype={"answer_text": str})
    answers["answer_text"] = answers["answer_text"].fillna("")
    texts = answers["answer_text"].tolist()
    lemmas, lem_seconds = load_lemmas(texts, cache_dir=args.cache_dir, n_process=args.n_process, batch_size=args.batch_size)
    n_lem = np.array([len(x) for x in lemmas])
    print(
        f"{len(answers)} réponses ; lemmatisation {MODEL} : "
        + (f"{lem_seconds:.0f} s ({args.n_process} processus)" if lem_seconds is not None else "en cache")
        + f" ; lemmes par réponse : médiane {np.median(n_lem):.0f}, 10 % en ont <= {np.percentile(n_lem, 10):.0f}, "
        f"{int((n_lem == 0).sum())} n'en ont aucun"
    )
    dtm = lx.document_term_matrix(lemmas, min_docfreq=args.min_docfreq)
    print(f"matrice : {dtm.shape[0]} réponses x {dtm.shape[1]} lemmes (présents dans >= {args.min_docfreq} réponses)")
    results = []

    res, sec, peak = measure(lambda: lx.reinert_classes(dtm, k=args.k))
    results.append(report("simple", res.classes, answers, sec, peak, dtm, extra="(une réponse = une unité)"))
    print("divisions (unités) : " + "; ".join(f"{s.sizes[0]}/{s.sizes[1]}" for s in res.splits))

    mcs = round(0.01 * len(answers))
    res_m, sec, peak = measure(lambda: lx.reinert_classes(dtm, k=args.k, min_class_size=mcs))
    results.append(report("simple-min-class", res_m.classes, answers, sec, peak, dtm,
                          extra=f"(une réponse = une unité ; min_class_size = {mcs}, 1 % des réponses)"))
    print(f"petits groupes écartés : {len(res_m.set_aside)} ({sum(n for n, _ in res_m.set_aside)} réponses) ; "
          "divisions (unités) : " + "; ".join(f"{s.sizes[0]}/{s.sizes[1]}" for s in res_m.splits))

    (double, first, second), sec, peak = measure(
        lambda: lx.reinert_double(dtm, k=args.k, min_segment_size1=10, min_segment_size2=15)
    )
    same = np.array_equal(first.classes, second.classes)
    results.append(report("double", double.classes(), answers, sec, peak, dtm, details=False,
                          extra=f"(k={double.max_k} ; passes identiques : {same})"))

    order = shuffled_within(answers, "question_code", args.seed)
    ans_q, dtm_q = answers.iloc[order].reset_index(drop=True), lx.DocumentTermMatrix(dtm.matrix[order], dtm.terms)
    res_q, sec, peak = measure(
        lambda: lx.reinert_classes(dtm_q, k=args.k, min_segment_size=10, segment_groups=ans_q["question_code"])
    )
    results.append(report("grouped-question", res_q.classes, ans_q, sec, peak, dtm_q,
                          extra=f"(UTILISE LA QUESTION : {res_q.units.max() + 1} unités de >= 10 lemmes)"))
    (double_q, _, _), sec, peak = measure(
        lambda: lx.reinert_double(dtm_q, k=args.k, min_segment_size1=10, min_segment_size2=15,
                                  segment_groups=ans_q["question_code"])
    )
    results.append(report("double-grouped-question", double_q.classes(), ans_q, sec, peak, dtm_q,
                          extra=f"(UTILISE LA QUESTION ; k={double_q.max_k})"))
    print(double_q.partitions[["k", "chi2", "n"]].to_string(index=False))

    order_r, source_r = pseudo_respondents(answers, args.seed)
    ans_r, dtm_r = answers.iloc[order_r].reset_index(drop=True), lx.DocumentTermMatrix(dtm.matrix[order_r], dtm.terms)
    res_r, sec, peak = measure(lambda: lx.reinert_classes(dtm_r, k=args.k, min_segment_size=10, segment_groups=source_r))
    results.append(report("grouped-respondent", res_r.classes, ans_r, sec, peak, dtm_r, details=False,
                          extra=f"({res_r.units.max() + 1} unités de >= 10 lemmes, réponses de questions différentes)"))

    if args.grid:
        for mdf in (3, 10, 30, 100):
            d = lx.document_term_matrix(lemmas, min_docfreq=mdf)
            for k in (7, 10, 15):
                for m in (0, mcs):
                    r, sec, peak = measure(lambda d=d, k=k, m=m: lx.reinert_classes(d, k=k, min_class_size=m), memory=False)
                    results.append(report(f"grid min_docfreq={mdf} k={k} min_class_size={m}", r.classes, answers, sec,
                                          peak, d, details=False, extra=f"({d.shape[1]} lemmes)"))

    if args.scaling:
        rng = np.random.default_rng(args.seed)
        rows = []
        for n in (5_000, 10_000, 20_000, 40_000, len(answers)):
            idx = np.sort(rng.choice(len(answers), size=n, replace=False))
            d = lx.document_term_matrix([lemmas[i] for i in idx], min_docfreq=args.min_docfreq)
            m = round(0.01 * n)
            timed = [measure(lambda d=d, m=m: lx.reinert_classes(d, k=args.k, min_class_size=m), memory=r == 0)
                     for r in range(3)]
            sec, peak = min(t[1] for t in timed), timed[0][2]  # best of 3: the machine may be shared
            rows.append((n, d.shape[1], d.matrix.nnz, sec, peak))
            print(f"passage à l'échelle : {n} réponses, {d.shape[1]} lemmes : {sec:.1f} s, {peak:.0f} Mo")
        draw_scaling(pd.DataFrame(rows, columns=["n", "terms", "nnz", "seconds", "peak_mib"]), args.figure)

    print("\nrésumé :")
    print(pd.DataFrame(results).round(3).to_string(index=False))
    print(f"mémoire max du processus (ru_maxrss) : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mo")
    return 0


def draw_scaling(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from transitions_analysis.plots.style import COLUMN_WIDTH, house_style

    with house_style():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH * 1.3, 2.4))
        ax.plot(table["n"], table["seconds"], marker="o", color="#0072B2", label="temps (s)")
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}".replace(",", "\u202f"))
        ax.set_xlabel("réponses classées (Grand Débat 2019)")
        ax.set_ylabel("temps (s)", color="#0072B2")
        ax2 = ax.twinx()
        ax2.spines["right"].set_visible(True)
        ax2.plot(table["n"], table["peak_mib"], marker="s", color="#D55E00", label="mémoire (Mo)")
        ax2.set_ylabel("mémoire max (Mo, tracemalloc)", color="#D55E00")
        ax.set_title("Classification de Reinert : temps et mémoire")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    print(f"figure : {path}")


if __name__ == "__main__":
    sys.exit(main())
