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
# # 04 - Ce que chaque catégorie retient et attend des autres
#
# À partir des réponses codées (carnet 02 ou `transitions-analysis code`), ce carnet produit la
# synthèse publiée par les chercheur·es :
#
# 1. les chiffres du programme (sessions, territoires, participant·es) ;
# 2. ce que chaque catégorie d'acteurs (élu·es, agent·es, acteurs socio-économiques, services de
#    l'État) **retient** des quatre principes, avec un intervalle de confiance ;
# 3. la **matrice des attentes** : ce que chaque catégorie attend des trois autres, avec des
#    citations représentatives ;
# 4. les enjeux et stratégies de chaque catégorie, et les effets observés.
#
# On compte des **personnes**, pas des passages. Les citations d'un groupe de moins de `K`
# personnes sont masquées, pour que personne ne soit reconnaissable. Le détail des règles est
# dans `docs/synthesis.md`.

# %% tags=["parameters"]
CODED_DIR = "../data/processed/code"
SESSIONS = []
K = 3
N_QUOTES = 3

# %%

import pandas as pd
from IPython.display import Markdown, display

import transitions_analysis as ta
from transitions_analysis import config, synthesis

chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


pd.set_option("display.max_colwidth", 120)
tables = synthesis.select_sessions(ta.read_coded(chemin(CODED_DIR)), SESSIONS)
r, c = tables.responses, tables.codings
print(f"{len(r)} réponses, {r['respondent_id'].nunique()} répondant·es, {len(c)} codages, {len(tables.expectations)} attentes")

# %% [markdown]
# ## 1. Le programme en chiffres
#
# Participant·es = personnes distinctes ayant répondu ; la moyenne par session porte sur les
# sessions datées.

# %%
synthesis.programme_indicators(r)

# %% [markdown]
# ## 2. Ce que chaque catégorie retient
#
# Part des répondant·es de chaque catégorie qui mentionnent chaque principe (une mention niée,
# « pas de coopération », ne compte pas), avec l'intervalle de Wilson à 95 %.

# %%
parts = synthesis.principle_shares(r, c, by="role")
tableau = parts.pivot(index="group_label", columns="label", values="share").reindex(
    index=list(dict.fromkeys(parts["group_label"])))
(tableau * 100).round(0)

# %% [markdown]
# Le principe retenu dépend-il de la catégorie ? Premier test : la table rôles × principes des
# personnes qui mentionnent chaque principe (descriptif : une personne peut citer plusieurs
# principes) ; puis un test par principe (mentionne / ne mentionne pas, par rôle). Une alerte
# s'affiche quand les effectifs attendus sont trop faibles pour le khi-deux.

# %%
tests = synthesis.role_principle_association(r, c)
for alerte in sorted(set(w for w in tests["warning"] if w)):
    display(Markdown(f"> **{alerte}**"))
tests[["test", "n", "chi2", "dof", "p_value", "cramers_v", "min_expected", "small_expected"]].round(3)

# %% [markdown]
# ## 3. Ce que chaque catégorie attend des autres
#
# Une case par couple (qui attend → de qui) : nombre de personnes et de passages, principes
# dominants, et jusqu'à `N_QUOTES` citations choisies par une règle fixe (les plus proches du
# centre lexical TF-IDF de la case, une par personne ; jamais au hasard).

# %%
matrice = synthesis.expectations_matrix(tables.expectations, r, k=K, n_quotes=N_QUOTES)
synthesis.matrix_wide(matrice, "respondents")

# %%
for case in matrice[matrice["respondents"] > 0].itertuples():
    lignes = [f"**{case.from_label} → {case.to_label}** : {case.respondents} personne(s), {case.segments} passage(s)"
              + (f" ; principes : {case.principles_fr}" if case.principles_fr else "")]
    lignes += [f"> « {getattr(case, f'quote_{i}')} »" for i in range(1, N_QUOTES + 1) if getattr(case, f"quote_{i}")]
    if case.note:
        lignes.append(f"*{case.note}*")
    display(Markdown("\n\n".join(lignes)))

# %% [markdown]
# ## 4. Enjeux et stratégies, effets observés

# %%
enjeux = synthesis.stakes_strategies(r, tables.segments, c, k=K, n_quotes=N_QUOTES)
enjeux[["role_label", "respondents", "segments", "top_codes_fr", "quote_1", "note"]]

# %%
effets = synthesis.outcomes_by_role(r, c)
effets.pivot(index="group_label", columns="label", values="mentioning")

# %% [markdown]
# ## 5. Au fil des sessions
#
# La même part, session par session : utile pour voir si une nouvelle formule d'atelier change ce
# que les participant·es retiennent (attention aux petits effectifs : voir les intervalles).

# %%
par_session = synthesis.principle_shares(r, c, by="session", include_total=False)
par_session.pivot(index="group_label", columns="label", values="share").mul(100).round(0)
