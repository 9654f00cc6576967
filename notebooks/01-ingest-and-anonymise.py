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
# # 01 - Lire et anonymiser les retours
#
# Les retours des ateliers arrivent sous des formes variées : questionnaires en ligne (CSV,
# XLSX), post-its retranscrits, chats Zoom, transcriptions des groupes de pairs. Ce carnet les lit
# tous en **une seule table de réponses** (une ligne par réponse), écarte sans rien perdre ce qui
# n'est pas une réponse (cases vides, doublons, messages d'animation) et **anonymise** les textes :
# les noms, courriels et téléphones sont remplacés par `[PERSONNE_1]`, `[EMAIL]`, `[TELEPHONE]`
# avant toute analyse. Rien n'est écrit dans `data/raw/`.
#
# Pour une nouvelle session : déposer ses fichiers (et, si besoin, un `NOM.mapping.yaml` à côté,
# voir `docs/ingestion.md`) puis relancer ce carnet, ou `transitions-analysis report`.

# %% tags=["parameters"]
INPUTS = ["../data/raw/sample/feedback"]
INGEST_OUT = "../data/processed/ingest"
SESSIONS = []
USE_CACHE = True

# %%

import pandas as pd

import transitions_analysis as ta
from transitions_analysis import config, ingestion, pipeline, synthesis

chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


pd.set_option("display.max_colwidth", 90)
entrees = [chemin(p) for p in INPUTS]
sortie = chemin(INGEST_OUT)

# %% [markdown]
# ## 1. Lecture et anonymisation
#
# `ta.ingest` lit chaque fichier (encodage et séparateur détectés), applique la table des
# rôles (« VP CC » → élu, « DDT » → services de l'État...) et anonymise. Le cache garde seulement
# les positions des noms repérés, pour qu'une relance ne réanalyse que les nouvelles réponses.

# %%
if len(entrees) == 1 and pipeline.is_coded_folder(entrees[0]):
    # un dossier déjà lu et codé (sortie de `transitions-analysis code` ou `report`) : on le relit
    deja = ta.read_coded(entrees[0])
    resultat = ingestion.IngestResult(deja.responses, deja.rejected, deja.summary)
    print(f"Dossier déjà lu : {entrees[0]} ({len(deja.responses)} réponses, {len(deja.rejected)} écartées)")
else:
    resultat = ta.ingest(entrees, cache_dir=config.CACHE_DIR if USE_CACHE else None)
    print(ingestion.summary_fr(resultat.summary))
    chemins = pipeline.write_ingested(resultat, sortie)
    print("Écrit :", ", ".join(p.name for p in chemins.values()), "dans", sortie)

# %%
reponses = resultat.responses
if SESSIONS:
    reponses = reponses[reponses["session"].isin(SESSIONS) | reponses["session"].str[:4].isin(SESSIONS)]
reponses[["session", "role", "role_raw", "question_id", "text"]].head(10)

# %% [markdown]
# ## 2. Ce qui a été lu : par session, par rôle, par question

# %%
synthesis.answers_by_session(reponses)

# %%
synthesis.answers_by_role(reponses)

# %%
synthesis.answers_by_question(reponses)[["question_id", "question", "answers", "respondents"]]

# %% [markdown]
# ## 3. Ce qui a été écarté, et pourquoi
#
# Chaque ligne lue est soit gardée, soit écartée avec un motif : le bilan doit être équilibré
# (lues = gardées + écartées).

# %%
if "balanced" in resultat.summary:
    print("Bilan équilibré :", resultat.summary["balanced"])
synthesis.rejections_by_reason(resultat.rejected)

# %% [markdown]
# ## 4. Libellés de rôle non reconnus
#
# Ces libellés, tels qu'écrits par les participant·es, n'ont pas trouvé de correspondance : leurs
# réponses sont classées « inconnu ». Les ajouter à la table des rôles (`roles.yaml`) les rattache
# à la bonne catégorie lors de la prochaine lecture.

# %%
synthesis.unmapped_role_labels(reponses).head(20)

# %% [markdown]
# ## 5. L'anonymisation, vérifiée
#
# Les textes ne contiennent plus que des marqueurs. On compte les réponses où un marqueur a
# remplacé une donnée personnelle.

# %%
marqueurs = reponses["text"].str.extractall(r"(\[(?:PERSONNE_\d+|EMAIL|TELEPHONE|IP)\])")[0]
print(f"{marqueurs.index.get_level_values(0).nunique()} réponse(s) avec au moins un marqueur d'anonymisation")
marqueurs.str.replace(r"_\d+", "_n", regex=True).value_counts()
