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
# # 06 - Lexicométrie : les mots de chaque catégorie, les mondes lexicaux, les concordances
#
# À côté du codage thématique, on explore le corpus comme avec Iramuteq, TXM ou rainette, sur les
# **mêmes segments anonymisés** : quels mots sont propres à chaque catégorie d'acteurs
# (spécificités de Lafon), en quels « mondes lexicaux » les réponses se partagent (classification
# descendante hiérarchique de Reinert), comment catégories et mots se placent sur une analyse
# factorielle des correspondances, et chaque occurrence d'un mot dans son contexte. Méthodes et
# choix : `docs/lexicometrie.md`.

# %% tags=["parameters"]
CODED_DIR = "../data/processed/code"
K = 3
N_CLASSES = 8
QUERY = "coopér*"
ROLES_FILTER = []
KWIC_OUT = "../data/processed/lexicometry/concordance.csv"

# %%

import pandas as pd
from IPython.display import display

import transitions_analysis as ta
from transitions_analysis import config, lexicometry, plots
from transitions_analysis.core.io import write_table
from transitions_analysis.core.labels import ROLE_LABELS_FR
from transitions_analysis.lexicometry.synthesis import lexical_synthesis

chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu

pd.set_option("display.max_colwidth", 120)
coded = ta.read_coded(chemin(CODED_DIR))
lemmes = lexicometry.lemmas_of_segments(coded.responses, coded.segments)
lex = lexical_synthesis(coded.responses, coded.segments, coded.codings, lemmes, k=K, n_classes=N_CLASSES)
print(f"{len(coded.segments)} segments, {sum(map(len, lemmes))} lemmes ; paramètres : {lex.params}")

# %% [markdown]
# ## 1. Les mots propres à chaque catégorie (spécificités)
#
# Score de Lafon (comme TXM) : +3 veut dire qu'une fréquence au moins aussi forte dans la
# catégorie n'avait qu'une chance sur mille si les mots se répartissaient au hasard ; un score
# négatif, un mot que la catégorie emploie moins que les autres.

# %%
display(lex.tables["specificites_par_role"])

# %%
if lex.specificities is not None:
    for role in [r for r in ("elu", "agent", "socio_eco", "etat") if r in set(lex.specificities["part"])]:
        display(plots.plot_specificities(lex.specificities, part=role, n=8, title=f"{ROLE_LABELS_FR[role]} : lemmes spécifiques"))

# %% [markdown]
# ## 2. Les mondes lexicaux (classification de Reinert)
#
# Les segments d'une même réponse sont regroupés jusqu'à compter assez de lemmes (les réponses
# courtes, point faible connu de la méthode) ; un groupe trop petit est mis de côté comme « non
# classé » plutôt que compté comme une classe. Les citations d'une classe de moins de K
# répondant·es sont masquées.

# %%
display(lex.tables["classes_lexicales"])

# %%
if lex.reinert is not None and lex.characteristic is not None:
    sizes = pd.Series(lex.reinert.classes).value_counts()
    display(plots.plot_class_profiles(lex.characteristic, sizes=sizes, n=8))
    display(plots.plot_dendrogram(lex.reinert))

# %% [markdown]
# ### Les classes croisées avec les catégories et avec les principes codés
#
# Résidu de Pearson positif : la case est plus remplie que si classes et catégories étaient
# indépendantes (au-delà de 2 : nettement).

# %%
display(lex.tables["classes_par_role"].pivot(index="class", columns="label", values="residual").round(1))
display(lex.tables["classes_par_principe"].pivot(index="class", columns="label", values="residual").round(1)
        if len(lex.tables["classes_par_principe"]) else lex.tables["classes_par_principe"])

# %% [markdown]
# ## 3. Catégories et mots sur un plan (analyse factorielle des correspondances)

# %%
if lex.ca is not None:
    display(lex.ca.summary().round(3))
    display(plots.plot_ca_biplot(lex.ca, n_row_labels=25, column_name="catégories", column_labels=ROLE_LABELS_FR))

# %% [markdown]
# ## 4. Concordances : chaque occurrence dans son contexte
#
# `QUERY` accepte `*` en fin de mot (« coopér* ») ; le résultat est exporté en CSV pour le
# tableur (les formules sont neutralisées).

# %%
segments = coded.segments.merge(coded.responses[["response_id", "role", "session"]], on="response_id")
filtres = {"role": ROLES_FILTER} if ROLES_FILTER else None
kwic = lexicometry.concordance(segments, QUERY, text_col="text", id_col="segment_id", window=60,
                               filters=filtres, attributes=["role", "session"])
print(f"{len(kwic)} occurrence(s) de « {QUERY} »")
write_table(kwic, chemin(KWIC_OUT))
kwic.head(20)
