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
# # 05 - Figures pour la publication
#
# Chaque figure est dessinée par la bibliothèque (`transitions_analysis.figures`) dans un style
# unique (DejaVu Sans, 7 à 9 pt, palette Okabe-Ito lisible par les daltonien·nes, largeur d'une
# colonne de revue : 8,5 cm ou 17,5 cm) et enregistrée en SVG, PDF et PNG 300 dpi dans
# `FIGURES_DIR`. Les mêmes fonctions servent au rapport `synthese.html` : une correction faite ici
# dans la bibliothèque vaut partout.

# %% tags=["parameters"]
CODED_DIR = "../data/processed/code"
FIGURES_DIR = "../reports/figures"
SESSIONS = []
K = 3

# %%

import matplotlib.pyplot as plt

import transitions_analysis as ta
from transitions_analysis import config, plots


chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


synthese = ta.synthesise(chemin(CODED_DIR), k=K, sessions=SESSIONS)
sortie = chemin(FIGURES_DIR)


def montrer(fig, nom: str) -> None:
    """Enregistre la figure (SVG, PDF, PNG) puis l'affiche ; rien quand il n'y a rien à dessiner."""
    if fig is None:
        print(f"Pas de figure « {nom} » : rien à montrer pour ces données (aucune session datée ?).")
        return
    chemins = plots.save_figure(fig, nom, sortie)
    print("Enregistrée :", ", ".join(p.name for p in chemins.values()))
    plt.show()


# %% [markdown]
# ## Le programme

# %%
montrer(plots.plot_programme_timeline(synthese["indicateurs_sessions"]), "programme_chronologie")

# %% [markdown]
# ## Ce que chaque catégorie retient

# %%
montrer(plots.plot_principles_by_role(synthese["principes_par_role"]), "principes_par_role")

# %% [markdown]
# ## Les « 4 fantastiques » : qui attend quoi de qui
#
# Flèche A → B : ce que les répondant·es de A attendent de B ; épaisseur et nombre : personnes.

# %%
montrer(plots.plot_expectations_diagram(synthese["matrice_attentes"]), "attentes_diagramme")

# %%
montrer(plots.plot_expectations_heatmap(synthese["matrice_attentes"], k=K), "attentes_matrice")

# %% [markdown]
# ## Au fil des sessions, effets, cooccurrences

# %%
montrer(plots.plot_principles_by_group(synthese["principes_par_session"], by="session"), "principes_par_session")

# %%
montrer(plots.plot_outcomes_by_role(synthese["effets_par_role"]), "effets_par_role")

# %%
montrer(plots.plot_cooccurrence(synthese["cooccurrences"]), "cooccurrences")
