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

from transitions_analysis import config, figures, synthesise


chemin = config.notebook_path  # un chemin des paramètres : relatif à notebooks/ sauf s'il est absolu


tables = synthesise.select_sessions(synthesise.read_coded(chemin(CODED_DIR)), SESSIONS)
synthese = synthesise.synthesise(tables, k=K)
sortie = chemin(FIGURES_DIR)


def montrer(fig, nom: str) -> None:
    """Enregistre la figure (SVG, PDF, PNG) puis l'affiche."""
    chemins = figures.save_figure(fig, nom, sortie)
    print("Enregistrée :", ", ".join(p.name for p in chemins.values()))
    plt.show()


# %% [markdown]
# ## Le programme

# %%
montrer(figures.plot_programme_timeline(synthese["indicateurs_sessions"]), "programme_chronologie")

# %% [markdown]
# ## Ce que chaque catégorie retient

# %%
montrer(figures.plot_principles_by_role(synthese["principes_par_role"]), "principes_par_role")

# %% [markdown]
# ## Les « 4 fantastiques » : qui attend quoi de qui
#
# Flèche A → B : ce que les répondant·es de A attendent de B ; épaisseur et nombre : personnes.

# %%
montrer(figures.plot_expectations_diagram(synthese["matrice_attentes"]), "attentes_diagramme")

# %%
montrer(figures.plot_expectations_heatmap(synthese["matrice_attentes"], k=K), "attentes_matrice")

# %% [markdown]
# ## Au fil des sessions, effets, cooccurrences

# %%
montrer(figures.plot_principles_by_group(synthese["principes_par_session"], by="session"), "principes_par_session")

# %%
montrer(figures.plot_outcomes_by_role(synthese["effets_par_role"]), "effets_par_role")

# %%
montrer(figures.plot_cooccurrence(synthese["cooccurrences"]), "cooccurrences")
