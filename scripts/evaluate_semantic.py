"""The semantic coder and the combination (rules + semantic codes above calibrated thresholds)
on the development gold set, cross-validated: per-code precision and recall.

Usage: python scripts/evaluate_semantic.py [--gold data/external/gdn2019_gold] [--folds 5] [--out CSV]

The rules are those of this checkout (re-run after any change to the codebook's patterns). The
semantic coder's thresholds are calibrated in each fold on the training answers only, with the
rules as baseline (what it adds must keep the rules' precision), then applied to the held-out
answers. Reference: coding.learn.human_labels (an adjudication decision wins).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from transitions_analysis import config
from transitions_analysis.core.io import read_human_codings, read_table
from transitions_analysis.evaluation import cross_validate_semantic

GOLD = Path(__file__).resolve().parents[1] / "data" / "external" / "gdn2019_gold"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(GOLD))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-precision", type=float, default=0.8)
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE)
    parser.add_argument("--out", default=None, help="also write the long table to this CSV")
    args = parser.parse_args(argv)
    gold = Path(args.gold)
    answers = read_table(gold / "answers.csv")
    human = read_human_codings(gold / "gold_codings.csv")
    table = cross_validate_semantic(answers, human, n_splits=args.folds, random_state=args.random_state,
                                    min_precision=args.min_precision)
    pd.set_option("display.width", 200)
    print(f"{table.attrs['n_units']} réponses, {args.folds} plis, précision visée {args.min_precision}")
    wide = table.pivot(index="code", columns="coder", values=["precision", "recall"])
    wide = wide.reindex(index=list(dict.fromkeys(table["code"])))
    wide.insert(0, "support", table[table["coder"] == "rules"].set_index("code")["support"])
    print(wide.to_string(float_format=lambda v: f"{v:.2f}"))
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
