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
# # 03 - Accord entre codeurs
#
# Un codage thématique ne se publie qu'avec sa **fiabilité** : deux personnes qui appliquent le
# même codebook aux mêmes réponses arrivent-elles aux mêmes codes ? Ce carnet calcule, pour
# chaque code (présent / absent) et pour l'ensemble :
#
# - l'**accord observé** (part des paires de codeurs d'accord, en moyenne par unité) ;
# - l'**alpha de Krippendorff** (nominal), avec un intervalle de confiance bootstrap (on
#   rééchantillonne les unités) : c'est la statistique à publier ;
# - le **kappa de Fleiss** (unités notées par le même nombre de codeurs) et le **kappa de Cohen**
#   pour chaque paire de codeurs.
#
# Repères usuels (Krippendorff) : α ≥ 0,80 codage fiable ; 0,667 ≤ α < 0,80 conclusions
# provisoires ; en dessous, le code doit être redéfini. Voir `docs/agreement.md`.
#
# Le carnet suit ensuite le travail d'arbitrage (table des désaccords, décisions), puis compare
# le codage automatique à la référence humaine, et finit sur de vraies données multi-codeurs.

# %% tags=["parameters"]
HUMAN_CODINGS = "../data/raw/sample/human_codings.csv"
MACHINE_CODINGS = "../data/processed/code/codings.csv"
ADJUDICATION = "../data/processed/agreement/desaccords_arbitres.xlsx"
AN2016_DIR = "../../shared/data/an2016_egalite_fh_crowdcoded"
DISAGREEMENTS_OUT = "../data/processed/agreement/desaccords.xlsx"
N_BOOT = 1000

# %%

import matplotlib.pyplot as plt
import pandas as pd

from transitions_analysis import agreement as agree
from transitions_analysis import config
from transitions_analysis.agreement import datasets
from transitions_analysis.plots import plot_alpha

chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


pd.set_option("display.max_colwidth", 80)
human_path, machine_path, adjudication_path = chemin(HUMAN_CODINGS), chemin(MACHINE_CODINGS), chemin(ADJUDICATION)
an2016_dir, out_path = chemin(AN2016_DIR), chemin(DISAGREEMENTS_OUT)

# %% [markdown]
# ## 1. Le double codage humain de l'échantillon
#
# Le fichier de codage humain a trois colonnes : `response_id`, `coder`, `code`. Une ligne dont
# le code est **vide** signifie « j'ai lu cette réponse et je ne lui donne aucun code » ; une
# réponse **absente** pour un codeur signifie qu'il ne l'a pas lue. La différence compte : la
# première est un avis (« absent » pour chaque code), la seconde une donnée manquante.

# %%
if human_path.exists():
    human = agree.read_codings(human_path)
    print(f"{len(human)} lignes, {human['response_id'].nunique()} réponses, codeurs : {sorted(human['coder'].unique())}")
    table = agree.agreement_table(human, n_boot=N_BOOT)
    print(agree.format_table(table))
    fig = plot_alpha(table)
    plt.show()
else:
    human = None
    print(f"Pas encore de double codage humain ({human_path}) : on passe aux données réelles plus bas.")

# %% [markdown]
# ## 2. Arbitrer les désaccords
#
# La table des désaccords liste chaque réponse sur laquelle les codeurs divergent, avec le texte,
# les codes de chacun et une colonne `décision` vide. On l'ouvre dans un tableur, on inscrit les
# codes retenus (séparés par « ; », ou « aucun »), puis on relit le fichier : les décisions
# deviennent le codeur `adjudication`, et la **référence humaine** = réponses où les codeurs
# étaient d'accord + décisions.

# %%
if human is not None:
    table_desaccords = agree.disagreements(human)
    agree.write_disagreements_xlsx(table_desaccords, out_path)
    print(f"{len(table_desaccords)} réponses à arbitrer -> {out_path}")
    arbitrage = agree.read_adjudication(adjudication_path) if adjudication_path.exists() else None
    reference = agree.reference_codings(human, arbitrage)
    print(f"Référence humaine : {reference['response_id'].nunique()} réponses")

# %% [markdown]
# ## 3. La machine face à la référence
#
# Le codage automatique (règles, modèle) est un codeur de plus. Pour chaque code : précision
# (quand la machine met le code, a-t-elle raison ?), rappel (trouve-t-elle les réponses que les
# humains ont codées ?), F1 et alpha machine-référence. On ne confie à la machine que les codes
# où ces valeurs approchent l'accord entre humains.

# %%
if human is not None and machine_path.exists():
    machine = agree.read_codings(machine_path)
    display(agree.compare_machine(reference, machine).round(3))
else:
    print("Pas de codage automatique ou de référence disponible : étape sautée.")

# %% [markdown]
# ## 4. De vraies données multi-codeurs : la consultation de l'Assemblée nationale (2016)
#
# 787 réponses à la consultation sur l'égalité femmes-hommes, codées par des volontaires (1 à 11
# formulaires par réponse, 4 le plus souvent) avec 14 cases oui/non. Les volontaires sont
# anonymes : chaque formulaire est un « codeur ». On s'en tient ici aux 8 codes de **contenu**
# (`C_…`), tous issus de la même question du formulaire.
#
# **Le piège des formulaires blancs.** 487 formulaires laissent la question de contenu vide
# (`affirmations_raw == "0"`). Faut-il y lire « aucun de ces contenus » (absent) ou « le
# volontaire n'a pas répondu » (manquant) ? Le chargeur les traite par défaut comme **manquants**
# (`blank="missing"`) : un formulaire où aucune case n'est cochée, alors que presque toutes les
# réponses contiennent au moins une proposition ou une analyse, relève de l'abandon plus que du
# jugement. Comparons les deux lectures.

# %%
if (an2016_dir / datasets.AN2016_CODINGS_FILE).exists():
    codes = list(datasets.AN2016_CONTENT_CODES)
    an_tables = {}
    for blank in ("missing", "absent"):
        codings = datasets.load_an2016_codings(an2016_dir, blank=blank, codes=codes)
        an_tables[blank] = agree.agreement_table(codings, n_boot=N_BOOT, codes=codes)
    comparaison = pd.DataFrame(
        {
            "unités (blancs manquants)": an_tables["missing"].set_index("code")["n_units"],
            "accord % (blancs manquants)": 100 * an_tables["missing"].set_index("code")["percent_agreement"],
            "accord % (blancs absents)": 100 * an_tables["absent"].set_index("code")["percent_agreement"],
            "α (blancs manquants)": an_tables["missing"].set_index("code")["krippendorff_alpha"],
            "α (blancs absents)": an_tables["absent"].set_index("code")["krippendorff_alpha"],
        }
    ).round(3)
    display(comparaison)
    fig = plot_alpha(an_tables["missing"])
    plt.show()
else:
    an_tables = None
    print(f"Données AN 2016 absentes ({an2016_dir}) : elles sont dans ../shared/, pas dans un clone d'utilisateur.")

# %% [markdown]
# **Lecture.** Compter les blancs comme « absents » *augmente* l'accord brut (beaucoup de cases
# non cochées, donc beaucoup de « non » communs) mais *baisse* l'alpha global : ces « non »
# contredisent les volontaires qui ont vu une proposition ou une analyse dans la même réponse.
# C'est exactement pourquoi on publie l'alpha, corrigé du hasard, et non le pourcentage d'accord.
# Un code que personne n'a coché (`C_pour_mesure_existante`) a un alpha **non défini** : sans
# variation, il n'y a rien à mesurer.
#
# Enfin, ces alphas sont bas (le plus souvent < 0,5) : le codage de foule de 2016 ne serait pas
# publiable tel quel, ce qui rappelle l'intérêt de l'arbitrage et de la formation des codeurs.

# %%
if an_tables is not None:
    texts = datasets.load_an2016_texts(an2016_dir)
    codings = datasets.load_an2016_codings(an2016_dir, codes=list(datasets.AN2016_CONTENT_CODES))
    exemples = agree.disagreements(codings, texts)
    print(f"{len(exemples)} réponses en désaccord sur au moins un code de contenu ; premières lignes :")
    display(exemples.head(3)[["unité", "texte", "codeurs", "codes en désaccord"]])
