"""Evaluate the machine coders on the sample's human double coding (held-out test part).

Usage: python scripts/evaluate_coding.py [--human FILE] [--sample DIR] [--test-size 0.3] [--out CSV]

Splits the human-coded responses once into train/test (multi-label stratified, seeded), fits the
learning coder on the train part, and prints per-code precision / recall / F1 of the rules, the
model and their combination on the test part, with human-vs-human agreement as a ceiling.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from transitions_analysis import config
from transitions_analysis.evaluation import evaluate_split
from transitions_analysis.pipeline import ingest
from transitions_analysis.core.io import read_human_codings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--human", default=str(config.SAMPLE_HUMAN_CODINGS))
    parser.add_argument("--sample", default=str(config.SAMPLE_FEEDBACK_DIR))
    parser.add_argument("--test-size", type=float, default=0.3)
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE)
    parser.add_argument("--out", default=None, help="also write the table to this CSV")
    args = parser.parse_args(argv)

    responses = ingest(args.sample, cache_dir=config.CACHE_DIR).responses
    human = read_human_codings(args.human)
    table = evaluate_split(responses, human, test_size=args.test_size, random_state=args.random_state)
    split = table.attrs["split"]
    print(f"Split: {split['train']} train / {split['test']} test responses (random_state={split['random_state']})")
    wide = table.pivot(index="code", columns="coder", values="f1")
    support = table[table["coder"] == "rules"].set_index("code")["support"]
    wide.insert(0, "support", support)
    order = [c for c in table["code"].unique()]
    pd.set_option("display.width", 200)
    print("\nF1 per code on the test part:")
    print(wide.loc[order].to_string(float_format=lambda v: f"{v:.2f}"))
    print("\nPrecision / recall (micro) per coder:")
    micro = table[table["code"] == "__micro__"].set_index("coder")[["precision", "recall", "f1"]]
    print(micro.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
