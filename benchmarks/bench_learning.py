"""Learning from researchers' coding, on real crowd coding: the AN 2016 consultation.

Volunteers coded the Assemblée nationale's 2016 consultation on gender equality with its own
14 yes/no codes (../shared/data/an2016_egalite_fh_crowdcoded, loaders in agreement.datasets).
The reference of an answer is the coders' majority (a code given by at least half of the
coders who saw it). The learnt coder (coding.LearningCoder) is trained on 50/100/200/400
answers drawn at random (seeded) and tested on all the others: per-code F1 and Krippendorff's
alpha of machine vs majority, beside the coders' own alpha per code (agreement_table on every
coded answer). Prints a table and saves the learning curve (house style) under docs/figures/.

    .venv/bin/python benchmarks/bench_learning.py [--sizes 50 100 200 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from transitions_analysis import config
from transitions_analysis.agreement import agreement_table
from transitions_analysis.agreement.datasets import AN2016_CODES, load_an2016_codings, load_an2016_texts
from transitions_analysis.coding import LearningCoder, human_labels
from transitions_analysis.evaluation import scores_table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "an2016_egalite_fh_crowdcoded"
FIGURE_DIR = ROOT / "docs" / "figures"


def machine_alpha(y_true: np.ndarray, y_pred: np.ndarray, codes) -> dict[str, float]:
    """Krippendorff's alpha per code between two « coders »: the majority and the machine."""
    n = len(y_true)
    rows = []
    for name, Y in (("majorite", y_true), ("machine", y_pred)):
        for i in range(n):
            given = [codes[j] for j in np.flatnonzero(Y[i])]
            rows += [(str(i), name, c) for c in given] or [(str(i), name, "")]
    table = agreement_table(pd.DataFrame(rows, columns=["response_id", "coder", "code"]), n_boot=0, codes=codes)
    return dict(zip(table["code"], table["krippendorff_alpha"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--repeats", type=int, default=3, help="random draws of the training answers per size")
    parser.add_argument("--figure-dir", default=str(FIGURE_DIR))
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE)
    args = parser.parse_args(argv)
    if not Path(args.data).is_dir():
        print(f"données absentes : {args.data}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    codings = load_an2016_codings(args.data)
    texts = load_an2016_texts(args.data).drop_duplicates("response_id").set_index("response_id")["text"]
    codes = list(AN2016_CODES)
    labels = human_labels(codings, codes=codes, min_share=0.5)
    labels = labels.loc[labels.index.intersection(texts.index)]
    human = agreement_table(codings, codes=codes, n_boot=0)
    human_alpha = dict(zip(human["code"], human["krippendorff_alpha"]))
    X = texts.loc[labels.index].astype(str).to_numpy()
    Y = labels.to_numpy(dtype=int)
    rng = np.random.default_rng(args.random_state)
    rows = []
    for size in args.sizes:
        for rep in range(args.repeats):
            train = np.sort(rng.choice(len(X), size=size, replace=False))
            test = np.setdiff1d(np.arange(len(X)), train)
            # the learner alone (no rules for this codebook): thresholds maximising out-of-fold F1, as measured
            model = LearningCoder(codes=codes, min_positives=3, policy="f1", cv=3, random_state=args.random_state + rep)
            model.fit(X[train], labels.iloc[train])
            pred = np.zeros((len(test), len(codes)), dtype=int)
            learnt = [codes.index(c) for c in model.codes_]
            pred[:, learnt] = model.predict(X[test])
            f1 = scores_table(Y[test], pred, codes).set_index("code")["f1"]
            alpha = machine_alpha(Y[test], pred, codes)
            for c in codes + ["__micro__"]:
                rows.append({"n_train": size, "repeat": rep, "code": c, "f1": f1[c],
                             "alpha": alpha.get(c if c != "__micro__" else "__all__", np.nan)})
    res = pd.DataFrame(rows)
    mean = res.groupby(["code", "n_train"])[["f1", "alpha"]].mean().unstack("n_train")
    table = pd.DataFrame(index=codes + ["__micro__"])
    table["support"] = [int(labels[c].sum()) if c in labels else int(Y.sum()) for c in table.index]
    for size in args.sizes:
        table[f"F1@{size}"] = mean[("f1", size)]
    for size in args.sizes:
        table[f"α@{size}"] = mean[("alpha", size)]
    table["α humains"] = [human_alpha.get(c if c != "__micro__" else "__all__", np.nan) for c in table.index]
    pd.set_option("display.width", 250)
    print(f"AN 2016 : {len(X)} réponses codées, référence = majorité des codeurs ; {args.repeats} tirages par taille")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"({time.perf_counter() - started:.0f} s)")

    from transitions_analysis.plots.style import COLUMN_WIDTH, house_style, pyplot, save_figure

    micro = res[res["code"] == "__micro__"].groupby("n_train")[["f1", "alpha"]].mean()
    content = res[res["code"].str.startswith("C_")].groupby("n_train")[["f1", "alpha"]].mean()
    human_content = np.nanmean([human_alpha[c] for c in codes if c.startswith("C_")])
    with house_style():
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, COLUMN_WIDTH * 0.75))
        ax.plot(micro.index, micro["f1"], marker="o", label="F1 micro (14 codes)")
        ax.plot(content.index, content["f1"], marker="s", label="F1 moyen, codes de contenu")
        ax.plot(content.index, content["alpha"], marker="^", label="α machine / majorité (contenu)")
        ax.axhline(human_content, color="#999999", linestyle="--", label="α entre codeurs humains (contenu)")
        ax.set_xlabel("réponses codées pour l'apprentissage")
        ax.set_ylabel("score sur les autres réponses")
        ax.set_xticks(list(args.sizes))
        ax.set_ylim(min(0, float(np.nanmin(content["alpha"]))) - 0.05, 1)
        ax.set_title("Apprendre du codage des chercheurs (AN 2016)")
        ax.legend(fontsize=6, loc="lower right")
        fig.tight_layout()
        paths = save_figure(fig, "an2016_courbe_apprentissage", Path(args.figure_dir), formats=("svg", "png"))
    print("figure :", ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
