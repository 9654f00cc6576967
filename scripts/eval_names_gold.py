"""Measure person-name masking on real public text: the gold set tests/fixtures/names_gold/.

500 real answers (Grand Débat 2019, Assemblée nationale 2016 consultation) whose person names
were marked by reading every text (see tests/fixtures/names_gold/README.md). Prints precision
and recall of the ``[PERSONNE_n]`` masks, span by span, in two settings:

- ``texte par texte``: each answer anonymised alone (what the 115 hand-written cases measure);
- ``lot``: the 500 answers anonymised together, as ``ingest`` does with a session's answers
  (names found in one answer are searched in the others; the common-word test counts words over
  the whole batch).

With ``--corpus FILE`` (a CSV with an ``answer_text`` or ``text`` column, e.g. the 62,655 Grand
Débat answers of ../shared/data), the gold texts are also anonymised inside that corpus, and
the share of the corpus's answers that get a ``[PERSONNE_n]`` is printed.

Matching: a mask is correct when it overlaps a gold name; a gold name is found when a mask
overlaps it (``exact``: same boundaries). Usage::

    .venv/bin/python scripts/eval_names_gold.py [--corpus FILE] [--errors] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from transitions_analysis.anonymisation import anonymise_documents, load_ner_pipeline

GOLD_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "names_gold"
CORE = ("gd_random", "gd_per", "gd_capital", "an_random", "an_per")
SUPPLEMENT = ("gd_namecue",)


@dataclass
class Counts:
    predicted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0
    exact: int = 0

    def add(self, other: Counts) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def line(self) -> str:
        p = self.correct / self.predicted if self.predicted else float("nan")
        r = self.found / self.gold if self.gold else float("nan")
        return (f"masques {self.predicted:4d}, justes {self.correct:4d} (précision {p:6.1%}) | "
                f"noms {self.gold:3d}, trouvés {self.found:3d} (rappel {r:6.1%}), aux mêmes bornes {self.exact:3d}")


def load_gold(folder: Path = GOLD_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 500 texts (text_id, corpus, stratum, text) and the gold names (text_id, start, end, name, public)."""
    sample = pd.read_csv(folder / "sample.csv", dtype=str, keep_default_na=False)
    gold = pd.read_csv(folder / "names_gold.csv", dtype={"text_id": str})
    texts = dict(zip(sample.text_id, sample.text))
    for row in gold.itertuples():
        if texts[row.text_id][row.start : row.end] != row.name:
            raise ValueError(f"{row.text_id}: offsets of {row.name!r} do not match the text")
    return sample, gold


def person_spans(anonymised) -> list[tuple[int, int]]:
    return [(r.start, r.end) for r in anonymised.replacements if r.kind == "PER"]


def score(sample: pd.DataFrame, gold: pd.DataFrame, spans: dict[str, list[tuple[int, int]]],
          public: int | None = None) -> tuple[Counts, list[str], list[str]]:
    """Counts over ``sample`` and the lines of false positives and misses."""
    total = Counts()
    false_pos, misses = [], []
    texts = dict(zip(sample.text_id, sample.text))
    for tid in sample.text_id:
        g = gold[gold.text_id == tid]
        if public is not None:
            g = g[g.public == public]
        names = list(zip(g.start, g.end))
        pred = spans.get(tid, [])
        c = Counts(gold=len(names))
        if public is None:
            c.predicted = len(pred)
            for s, e in pred:
                if any(s < ge and gs < e for gs, ge in names):
                    c.correct += 1
                else:
                    false_pos.append(f"  FAUX POSITIF {tid:14} {texts[tid][s:e]!r:30} …{texts[tid][max(0, s - 30):e + 20]!r}")
        for gs, ge in names:
            if any(s < ge and gs < e for s, e in pred):
                c.found += 1
                c.exact += (gs, ge) in pred
            else:
                misses.append(f"  MANQUÉ       {tid:14} {texts[tid][gs:ge]!r:30} …{texts[tid][max(0, gs - 30):ge + 20]!r}")
        total.add(c)
    return total, false_pos, misses


def report(title: str, sample: pd.DataFrame, gold: pd.DataFrame, spans: dict[str, list[tuple[int, int]]], errors: bool) -> None:
    print(f"\n== {title} ==")
    for label, strata in (("cœur (450)", CORE), ("supplément (50)", SUPPLEMENT), ("les 500", CORE + SUPPLEMENT)):
        sub = sample[sample.stratum.isin(strata)]
        counts, fps, misses = score(sub, gold, spans)
        print(f"  {label:17} {counts.line()}")
    sub = sample
    for label, flag in (("personnes publiques", 1), ("personnes privées", 0)):
        counts, _, _ = score(sub, gold, spans, public=flag)
        print(f"  {label:19} noms {counts.gold:3d}, trouvés {counts.found:3d}")
    masked = sum(1 for tid in sample.text_id if spans.get(tid))
    wrong = sum(1 for tid in sample.text_id if spans.get(tid) and not (gold.text_id == tid).any())
    print(f"  textes avec un [PERSONNE_n] : {masked} / {len(sample)}, dont sans aucun nom : {wrong}")
    if errors:
        _, fps, misses = score(sample, gold, spans)
        print("\n".join(fps + misses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Précision / rappel du masquage des noms sur le jeu de référence réel.")
    parser.add_argument("--corpus", type=Path, help="CSV d'un grand corpus (colonne answer_text ou text) où plonger les textes")
    parser.add_argument("--errors", action="store_true", help="lister les faux positifs et les noms manqués")
    parser.add_argument("--cache", type=Path, default=None, help="cache du repérage des entités (défaut : aucun)")
    args = parser.parse_args(argv)

    sample, gold = load_gold()
    nlp = load_ner_pipeline()
    texts = sample.text.tolist()

    one_by_one = {tid: person_spans(anonymise_documents([t], nlp=nlp, cache_dir=args.cache)[0])
                  for tid, t in zip(sample.text_id, texts)}
    report("texte par texte", sample, gold, one_by_one, args.errors)

    batch = anonymise_documents(texts, nlp=nlp, cache_dir=args.cache)
    report("lot des 500 textes", sample, gold, {tid: person_spans(a) for tid, a in zip(sample.text_id, batch)}, args.errors)

    if args.corpus:
        corpus = pd.read_csv(args.corpus, dtype=str, keep_default_na=False)
        column = "answer_text" if "answer_text" in corpus.columns else "text"
        answers = corpus[column].tolist()
        results = anonymise_documents(answers + texts, nlp=nlp, cache_dir=args.cache, progress=True)
        of_corpus, of_gold = results[: len(answers)], results[len(answers):]
        kept = [(t, a) for t, a in zip(answers, of_corpus) if t.strip()]
        masked = [a for _, a in kept if any(r.kind == "PER" for r in a.replacements)]
        print(f"\n== dans le corpus {args.corpus.name} ({len(answers)} réponses, {len(kept)} non vides) ==")
        print(f"  réponses avec un [PERSONNE_n] : {len(masked)} / {len(kept)} ({len(masked) / max(len(kept), 1):.1%})")
        values = Counter(a.original[r.start:r.end] for a in masked for r in a.replacements if r.kind == "PER")
        print("  passages masqués les plus fréquents : " + ", ".join(f"{v!r} ×{n}" for v, n in values.most_common(20)))
        report("textes de référence plongés dans ce corpus", sample, gold,
               {tid: person_spans(a) for tid, a in zip(sample.text_id, of_gold)}, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
