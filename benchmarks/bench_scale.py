"""Scale benchmark: a national consultation coded end to end on this machine.

Prints, for the 62,655 Grand Débat answers of ``../shared/data`` (then, with ``--million``, the
same replicated to 1,000,000 answers, each copy's texts varied so that no cache or duplicate
detection can short-cut):

- answers/s of ``transitions-analysis code`` end to end (reading, anonymisation, analysis,
  coding, writing; a cold cache), and the peak memory of its whole process tree (the command
  and its worker processes: summed PSS, and summed RSS as an upper bound);
- answers/s of one ``nlp.pipe`` pass with the same components (the names, lemmas and
  sentences the chain needs) and the same number of processes, in its own process: the ratio
  code / nlp.pipe (goal >= 0.8);
- the time of a re-run after 400 new answers (warm cache) as a share of the full run (goal < 5 %):
  a new ``code`` command, and the same call made a second time in one Python process (a
  JupyterLab kernel where the corpus was coded before: modules imported, spaCy's French
  tokenizer rules compiled).

Each measurement runs in a child process; memory is sampled every 0.2 s over its whole process
tree (see :func:`run_child`); inputs, caches and outputs go to a temporary folder. The machine
may be shared: the load average before and after each run is printed with it. Usage::

    python benchmarks/bench_scale.py [--n-process 2] [--engine local|dask] [--million [--replicate N]] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GDN = ROOT.parent / "shared" / "data" / "gdn2019_transition_ecologique_answers.csv"
BIN = Path(sys.executable).parent


def write_input(path: Path, rows: list[dict], copies: int = 1, extra: list[dict] = (), limit: int = 0) -> int:
    """A long CSV export (response_id, question_id, question, text). Copy k > 0 of an answer gets
    a varied text (« (variante k) » appended) and its own id, so nothing is a duplicate or cached;
    ``extra`` answers (a new session) follow with ids of their own; ``limit`` caps the rows."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["response_id", "question_id", "question", "text"])
        for k in range(copies):
            for r in rows:
                if limit and n >= limit:
                    return n
                text = r["answer_text"] if k == 0 else f"{r['answer_text']} (variante {k})"
                w.writerow([f"{r['row_id']}-{k}", r["question_code"], "", text])
                n += 1
        for i, r in enumerate(extra):
            w.writerow([f"{r['row_id']}-new{i}", r["question_code"], "", r["answer_text"]])
            n += 1
    return n


def run_child(args: list[str], env: dict | None = None) -> tuple[float, dict[str, float], str]:
    """Wall time (s), peak memory of the child's whole process tree (MB) and its stderr tail.

    Memory is sampled every 0.2 s over the child and all its descendants (worker processes):
    ``rss`` is the sum of their resident sizes (pages shared between processes, such as the
    libraries every worker maps, counted once per process: an upper bound), ``pss`` the sum of
    their proportional set sizes (shared pages split between the processes that map them: what
    the tree really takes from the machine's memory)."""
    import psutil

    t0 = time.perf_counter()
    peak = {"rss": 0.0, "pss": 0.0}
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            rss = pss = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        info = p.memory_full_info()
                    except (psutil.NoSuchProcess, psutil.ZombieProcess):
                        continue
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
            except psutil.Error:
                pass
            peak["rss"] = max(peak["rss"], rss / 2**20)
            peak["pss"] = max(peak["pss"], pss / 2**20)
            time.sleep(0.2)
        seconds = time.perf_counter() - t0
        err.seek(0)
        tail = err.read()[-3000:]
    if proc.returncode != 0:
        raise SystemExit(f"échec ({proc.returncode}) : {' '.join(args)}\n{tail}")
    return seconds, peak, tail


SPACY_BASELINE = r"""
import csv, sys, time
from transitions_analysis.core.nlp import load_nlp
path, n_process = sys.argv[1], int(sys.argv[2])
with open(path, encoding="utf-8", newline="") as f:
    texts = [r["text"] for r in csv.DictReader(f)]
nlp = load_nlp(purpose="analysis")
t0 = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=256, n_process=n_process):
    pass
print(time.perf_counter() - t0)
"""


def code_command(input_csv: Path, out: Path, *, n_process: int, engine: str) -> list[str]:
    return [str(BIN / "transitions-analysis"), "-q", "code", str(input_csv), "--out", str(out),
            "--no-model", "--n-process", str(n_process), "--engine", engine]


def measure(label: str, input_csv: Path, n: int, work: Path, *, n_process: int, engine: str,
            spacy_processes: int) -> dict:
    """``code`` end to end on a cold cache (time, peak memory of its process tree), then one
    ``nlp.pipe`` pass with the ``analysis`` components over the same texts."""
    cache = work / f"cache-{label}"
    env = {"TRANSITIONS_ANALYSIS_CACHE": str(cache)}
    load = os.getloadavg()[0]
    seconds, peak, _ = run_child(code_command(input_csv, work / f"out-{label}", n_process=n_process, engine=engine), env)
    probe = subprocess.run([sys.executable, "-c", SPACY_BASELINE, str(input_csv), str(spacy_processes)],
                           capture_output=True, text=True, check=True)
    spacy_seconds = float(probe.stdout.strip().splitlines()[-1])
    return {"label": label, "answers": n, "seconds": seconds, "answers_per_s": n / seconds,
            "peak_rss_mb": peak["rss"], "peak_pss_mb": peak["pss"], "spacy_seconds": spacy_seconds,
            "spacy_answers_per_s": n / spacy_seconds, "ratio": spacy_seconds / seconds,
            "load_before": load, "load_after": os.getloadavg()[0], "cache": cache, "env": env}


KERNEL_RERUN = """
import sys, time
from transitions_analysis.pipeline import code_inputs
base, plus, out, n_process, engine = sys.argv[1:6]
code_inputs([base], out + "-base", use_model=False, progress=False, n_process=int(n_process), engine=engine)
t0 = time.perf_counter()
code_inputs([plus], out + "-plus", use_model=False, progress=False, n_process=int(n_process), engine=engine)
print(time.perf_counter() - t0)
"""


def kernel_rerun(base: Path, plus: Path, work: Path, cache: Path, *, n_process: int, engine: str) -> float:
    """Seconds of ``code`` on ``plus`` called in a process that has just coded ``base`` (from the
    cache ``cache``, which holds ``base`` only): a researcher's kernel when a session arrives."""
    env = {**os.environ, "TRANSITIONS_ANALYSIS_CACHE": str(cache)}
    probe = subprocess.run([sys.executable, "-c", KERNEL_RERUN, str(base), str(plus), str(work / "out-kernel"),
                            str(n_process), engine], capture_output=True, text=True, check=True, env=env)
    return float(probe.stdout.strip().splitlines()[-1])


def report(r: dict) -> None:
    """Print one measurement (the figures the issue asks for) as it comes."""
    print(f"{r['label']:8s} {r['answers']:>9,d} réponses : code {r['seconds']:8.1f} s ({r['answers_per_s']:6.0f} réponses/s) ; "
          f"nlp.pipe seul {r['spacy_seconds']:7.1f} s ({r['spacy_answers_per_s']:6.0f}/s) ; "
          f"ratio {r['ratio']:.2f} (objectif >= 0,8)", flush=True)
    print(f"         mémoire max de l'arbre de processus : PSS {r['peak_pss_mb']:6.0f} Mo, RSS additionnés "
          f"{r['peak_rss_mb']:6.0f} Mo (objectif < {'1 500' if r['answers'] > 100_000 else '1 000'} Mo) ; "
          f"charge de la machine {r['load_before']:.1f} -> {r['load_after']:.1f}", flush=True)
    if "rerun_400_seconds" in r:
        share = 100 * r["rerun_400_seconds"] / r["seconds"]
        print(f"         re-codage après 400 nouvelles réponses : {r['rerun_400_seconds']:.1f} s, "
              f"{share:.1f} % du codage complet (objectif < 5 %)", flush=True)
    if "kernel_rerun_400_seconds" in r:
        share = 100 * r["kernel_rerun_400_seconds"] / r["seconds"]
        print(f"         le même dans un noyau qui vient de coder le corpus : {r['kernel_rerun_400_seconds']:.1f} s, "
              f"{share:.1f} %", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-process", type=int, default=os.cpu_count() or 1, help="processus de code (défaut : les cœurs)")
    parser.add_argument("--spacy-processes", type=int, default=2, help="n_process de la passe nlp.pipe de référence (2)")
    parser.add_argument("--engine", choices=("local", "dask"), default="local")
    parser.add_argument("--million", action="store_true", help="aussi le corpus répliqué jusqu'à --replicate réponses")
    parser.add_argument("--replicate", type=int, default=1_000_000, help="taille du corpus répliqué (1 000 000)")
    parser.add_argument("--limit", type=int, default=0, help="seulement les N premières réponses (vérification rapide)")
    args = parser.parse_args()
    if not GDN.is_file():
        print(f"corpus absent : {GDN} (../shared/data) ; benchmark sauté")
        return 0
    with GDN.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if args.limit:
        rows = rows[: args.limit]
    print(f"machine : {os.cpu_count()} cœurs, partagée (charge au départ {os.getloadavg()[0]:.1f}) ; "
          f"code --n-process {args.n_process} --engine {args.engine} ; nlp.pipe n_process={args.spacy_processes}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        base = work / "gdn.csv"
        n = write_input(base, rows)
        full = measure("gdn", base, n, work, n_process=args.n_process, engine=args.engine,
                       spacy_processes=args.spacy_processes)
        # incremental: the same answers plus 400 new ones, warm cache
        plus = work / "gdn_plus_400.csv"
        extra = [dict(r, answer_text=f"{r['answer_text']} (nouvelle session)") for r in rows[:400]]
        write_input(plus, rows, extra=extra)
        kept = work / "cache-gdn-only"
        shutil.copytree(full["cache"], kept)  # the kernel's re-run starts from the same cache
        again, _, _ = run_child(code_command(plus, work / "out-plus", n_process=args.n_process, engine=args.engine),
                                full["env"])
        full["rerun_400_seconds"] = again
        full["kernel_rerun_400_seconds"] = kernel_rerun(base, plus, work, kept, n_process=args.n_process,
                                                        engine=args.engine)
        results.append(full)
        report(full)
        if args.million:
            big = work / "million.csv"
            copies = -(-args.replicate // len(rows))
            n_big = write_input(big, rows, copies=copies, limit=args.replicate)
            results.append(measure("million", big, n_big, work, n_process=args.n_process, engine=args.engine,
                                   spacy_processes=args.spacy_processes))
            report(results[-1])
    print(json.dumps([{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k not in ("cache", "env")}
                      for r in results], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
