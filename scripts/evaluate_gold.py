"""Score every machine coder on the development gold set (real Grand Débat answers coded by hand).

Usage: python scripts/evaluate_gold.py [--gold DIR] [--folds 5] [--codebook F] [--cues F]
                                       [--out CSV] [--errors CSV] [--by-stratum]

Codes the gold set's answers (``data/external/gdn2019_gold``) with each coder of
``evaluation.GOLD_CODERS``: the rules as they are, the learning coder and the combination
cross-validated (trained on the other folds' human reference, never on the answers it codes).
Prints per-code precision and recall (and the families: principles, actors), then the precision
and recall of ``to_role``, the category each expectation expects to act. ``--errors`` writes the
rules' false positives and false negatives with their evidence, to read them one by one.
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from transitions_analysis import config
from transitions_analysis.core import schema
from transitions_analysis.evaluation import (GOLD_CODERS, gold_codings, load_gold, pattern_effects, response_labels,
                                            score_codings, score_expectations)

CODES = [c for c in schema.CONTRACT_CODES if not c.startswith("outcome.")]  # outcomes are not coded in this set


def wide(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per code, for each coder « P » and « R » side by side, with the support."""
    out = table.pivot(index=key, columns="coder", values=["precision", "recall"])
    out.columns = [f"{coder}.{'P' if m == 'precision' else 'R'}" for m, coder in out.columns]
    coders = list(dict.fromkeys(table["coder"]))
    out = out[[f"{c}.{m}" for c in coders for m in ("P", "R")]]
    out.insert(0, "n", table.drop_duplicates(key).set_index(key)["support"])
    return out.loc[list(dict.fromkeys(table[key]))]


def errors_table(gold, codings: pd.DataFrame, codes) -> pd.DataFrame:
    """False positives and negatives of one coder, with its evidence and the answer."""
    ids = list(gold.labels.index)
    pred = response_labels(codings, ids, codes)
    ref = gold.labels.reindex(columns=codes, fill_value=0)
    texts = gold.responses.set_index("response_id")["text"]
    ev = codings[~schema.parse_bool(codings["negated"])].groupby(["response_id", "code"])["evidence"].agg(" | ".join)
    rows = []
    for code in codes:
        for rid in ids:
            p, r = int(pred.at[rid, code]), int(ref.at[rid, code])
            if p != r:
                rows.append({"response_id": rid, "code": code, "erreur": "faux positif" if p else "faux négatif",
                             "evidence": ev.get((rid, code), ""), "text": texts[rid]})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(config.GOLD_DIR), help="dossier du jeu de référence")
    parser.add_argument("--folds", type=int, default=5, help="plis de la validation croisée des codeurs appris")
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE)
    parser.add_argument("--codebook", default=None, help="un autre codebook (défaut : celui du paquet)")
    parser.add_argument("--cues", default=None, help="un autre fichier de marqueurs (défaut : celui du paquet)")
    parser.add_argument("--coders", default=",".join(GOLD_CODERS), help="codeurs à évaluer, séparés par des virgules")
    parser.add_argument("--out", default=None, help="écrire aussi les scores (CSV)")
    parser.add_argument("--errors", default=None, help="écrire les erreurs des règles (CSV)")
    parser.add_argument("--patterns", default=None, help="écrire l'effet de chaque motif des règles (CSV)")
    parser.add_argument("--by-stratum", action="store_true", help="scores des familles par strate de tirage")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    gold = load_gold(args.gold, codes=CODES)
    names = [n.strip() for n in args.coders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(GOLD_CODERS))
    if unknown:
        print(f"codeur(s) inconnu(s) : {unknown} ; disponibles : {list(GOLD_CODERS)}", file=sys.stderr)
        return 2
    run = gold_codings(gold, coders={n: GOLD_CODERS[n] for n in names}, n_splits=args.folds,
                       random_state=args.random_state, codebook=args.codebook, cues=args.cues)
    scores = score_codings(run.codings, gold.labels, codes=CODES)
    roles = score_expectations(run.expectations, gold.expectations, gold.responses["response_id"])
    pd.set_option("display.width", 200)
    fmt = lambda v: f"{v:.2f}"  # noqa: E731
    print(f"Jeu de référence : {len(gold.responses)} réponses ({gold.path}) ; "
          f"codeurs appris en validation croisée à {run.n_splits} plis (random_state={run.random_state}).")
    print("\nPrécision (P) et rappel (R) par code (n : réponses positives de la référence) :")
    print(wide(scores, "code").to_string(float_format=fmt))
    print("\nCatégorie attendue pour agir (to_role), couples (réponse, catégorie) :")
    print(wide(roles, "to_role").to_string(float_format=fmt))
    if args.by_stratum and len(gold.strata):
        for stratum, ids in gold.strata.groupby(gold.strata).groups.items():
            part = score_codings(run.codings, gold.labels.loc[list(ids)], codes=CODES)
            part = part[part["code"].str.startswith("__")]
            print(f"\nStrate « {stratum} » ({len(ids)} réponses) :")
            print(wide(part, "code").to_string(float_format=fmt))
    if args.out:
        pd.concat([scores.assign(table="codes"), roles.rename(columns={"to_role": "code"}).assign(table="to_role")],
                  ignore_index=True).to_csv(args.out, index=False)
    if args.errors and schema.RULE_CODER in run.codings:
        errors_table(gold, run.codings[schema.RULE_CODER], CODES).to_csv(args.errors, index=False)
    if args.patterns:
        pattern_effects(gold, codebook=args.codebook, cues=args.cues).to_csv(args.patterns, index=False)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
